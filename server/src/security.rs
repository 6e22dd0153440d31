//! Response headers every answer carries, and the cross-site request check.
//!
//! Pages set their own Content-Security-Policy while rendering, because only the render knows
//! the nonce Leptos gives its inline scripts (`app::csp`). Every other response (JSON, files,
//! errors) gets a policy that allows nothing, unless it already has one.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Adds `X-Content-Type-Options`, `Referrer-Policy`, a deny-all CSP where the response has
/// none, and `Strict-Transport-Security` when served over HTTPS (`--secure-cookies`).
pub async fn headers(hsts: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Routes send respondents to other sites with answers in the URL; those sites learn
    // nothing about which form sent them.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // A 304's headers replace the stored ones: a cached page keeps the policy that matches
    // the nonce in its body only if the 304 brings none.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) && !not_modified {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Refuses a state-changing request that a browser sent from another site (CSRF, login CSRF
/// included). The browser's own word decides: `Origin`, else `Referer`, else
/// `Sec-Fetch-Site`. A request with none of them did not come from a browser page (curl, a
/// server), so it carries no victim's cookie by accident and passes, as in Go's
/// `CrossOriginProtection`. `/api/v1` authenticates by bearer key only, never by cookie, so
/// it is not checked here.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    if let Err(reason) = same_site(request.headers(), host.as_deref()) {
        tracing::warn!(path = %request.uri().path(), reason, "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            "This request came from another site and was refused. Open Junction itself and try again.",
        )
            .into_response();
    }
    next.run(request).await
}

/// `Ok` when the headers show the request came from a page of `host` (or from no browser).
fn same_site(headers: &HeaderMap, host: Option<&str>) -> Result<(), &'static str> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN) {
        return match (authority_of(origin), host) {
            (Some(origin), Some(host)) if same_authority(&origin, host) => Ok(()),
            _ => Err("Origin is another site"),
        };
    }
    if let Some(referer) = text(header::REFERER) {
        return match (authority_of(referer), host) {
            (Some(from), Some(host)) if same_authority(&from, host) => Ok(()),
            _ => Err("Referer is another site"),
        };
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site" | "same-site") => Err("Sec-Fetch-Site is another site"),
        _ => Ok(()),
    }
}

/// `host[:port]` of an absolute URL, with the scheme's default port dropped; `None` for
/// `null` and anything that is not `http(s)://…`.
fn authority_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let authority = authority.to_ascii_lowercase();
    Some(
        authority
            .strip_suffix(default_port)
            .map(str::to_owned)
            .unwrap_or(authority),
    )
}

fn same_authority(from: &str, host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let bare = |h: &str| {
        h.strip_suffix(":80")
            .or_else(|| h.strip_suffix(":443"))
            .map(str::to_owned)
            .unwrap_or_else(|| h.to_owned())
    };
    from == host || bare(from) == bare(&host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_sites_own_pages_pass_and_others_do_not() {
        let host = Some("junction.example:3000");
        let ok = |pairs: &[(&str, &str)]| same_site(&headers(pairs), host).is_ok();
        assert!(ok(&[("origin", "http://junction.example:3000")]));
        assert!(ok(&[(
            "referer",
            "http://junction.example:3000/login?next=/x"
        )]));
        assert!(ok(&[("sec-fetch-site", "same-origin")]));
        assert!(ok(&[]), "no browser headers: not a browser");
        assert!(!ok(&[("origin", "http://evil.example")]));
        assert!(!ok(&[("origin", "http://junction.example:3001")]));
        assert!(!ok(&[("origin", "null")]));
        assert!(!ok(&[(
            "origin",
            "http://junction.example:3000@evil.example"
        )]));
        assert!(!ok(&[(
            "referer",
            "https://evil.example/junction.example:3000"
        )]));
        assert!(!ok(&[("sec-fetch-site", "cross-site")]));
        assert!(
            !ok(&[
                ("origin", "http://evil.example"),
                ("referer", "http://junction.example:3000/")
            ]),
            "Origin decides when present"
        );
    }

    #[test]
    fn default_ports_are_the_same_site() {
        assert!(
            same_site(
                &headers(&[("origin", "https://j.example")]),
                Some("j.example")
            )
            .is_ok()
        );
        assert!(
            same_site(
                &headers(&[("origin", "https://j.example:443")]),
                Some("j.example")
            )
            .is_ok()
        );
        assert!(same_site(&headers(&[("origin", "https://j.example")]), None).is_err());
    }
}
