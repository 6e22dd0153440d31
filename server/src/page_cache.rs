//! The public form page, rendered once per revision for visitors who are not signed in.
//!
//! `GET /f/{id}` without a query string, from a visitor without a session user, shows the
//! same page to everyone until the form changes: its key (`services::submissions::PageKey`,
//! the form's revision, whether a honeypot is added and which apps' field types are asked)
//! is read on every request, one small query, so a save, opening or closing on any server
//! instance takes effect at once, and a change of the owner's apps within the second the
//! running apps are cached. The page
//! carries an `ETag` from that key and this build; a browser that sends it back gets `304`.
//!
//! A kept page is sent byte for byte, compressed once (brotli and gzip) rather than per
//! answer, so its inline scripts cannot rely on a nonce that would be the same for everyone:
//! its policy allows them by their SHA-256 hashes instead (`'sha256-…'`), which admits
//! exactly those scripts and no other inline one. A `304` carries no policy
//! (`security::headers`), so the browser keeps the one stored with the page.
//!
//! Prefilled links, signed-in owners, refused submissions (a POST) and pages that are not a
//! plain 200 (closed or unknown forms) render fresh every time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::components::frame::PageUser;
use app::services::submissions::{PageKey, page_key};
use app::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Forms kept at once; past this the cache starts again empty (a page renders in about a
/// millisecond, so a miss costs little).
const MAX_PAGES: usize = 1024;
/// Larger pages are sent as rendered and not kept.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The pages kept, and what tells this build's pages from another's.
#[derive(Clone)]
pub struct PageCache {
    state: AppState,
    pages: Arc<Mutex<HashMap<String, Arc<Page>>>>,
    build: Arc<str>,
}

struct Page {
    key: PageKey,
    etag: HeaderValue,
    /// As rendered, with the policy's nonce replaced by the scripts' hashes.
    headers: HeaderMap,
    plain: Bytes,
    brotli: Bytes,
    gzip: Bytes,
}

impl PageCache {
    /// `build` names the site's build (its asset hashes), so a new build's pages, which
    /// name other files, get other ETags.
    pub fn new(state: AppState, build: &str) -> PageCache {
        PageCache {
            state,
            pages: Arc::default(),
            build: build.into(),
        }
    }

    fn get(&self, id: &str, key: PageKey) -> Option<Arc<Page>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.get(id).filter(|page| page.key == key).cloned()
    }

    fn put(&self, id: &str, page: Page) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= MAX_PAGES && !pages.contains_key(id) {
            pages.clear();
        }
        pages.insert(id.to_owned(), Arc::new(page));
    }

    fn etag(&self, key: PageKey) -> HeaderValue {
        let tag = format!("\"r{}-h{}-a{}-{}\"", key.revision, u8::from(key.honeypot), key.awake, self.build);
        HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"unknown\""))
    }
}

/// The middleware around the page routes.
pub async fn public_form(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let Some(id) = cacheable(&request) else {
        return next.run(request).await;
    };
    let key = match page_key(&cache.state, &id).await {
        Ok(Some(key)) => key,
        // Unknown forms and database errors: the page renders and says what it says.
        _ => return next.run(request).await,
    };
    let etag = cache.etag(key);
    if sent_back(request.headers(), &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::ETAG, etag);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        return response;
    }
    let accepted = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(page) = cache.get(&id, key) {
        return answer(&page, &accepted);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(form = %id, "the public page could not be read for the cache: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let nonce = parts
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .and_then(nonce_in);
    let kept = match (nonce, std::str::from_utf8(&bytes)) {
        (Some(nonce), Ok(body)) => hashed_policy(&parts.headers, body, &nonce),
        _ => None,
    };
    let Some(headers) = kept else {
        // Not a page this cache understands: send it as it came.
        return Response::from_parts(parts, Body::from(bytes));
    };
    let page = Page { key, etag, headers, brotli: brotli(&bytes), gzip: gzip(&bytes), plain: bytes };
    let response = answer(&page, &accepted);
    cache.put(&id, page);
    response
}

/// The rendered headers with the policy's `'nonce-…'` replaced by the hashes of the inline
/// scripts that carry that nonce.
fn hashed_policy(headers: &HeaderMap, body: &str, nonce: &str) -> Option<HeaderMap> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let policy = headers.get(header::CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let mut sources = Vec::new();
    for script in inline_scripts(body, nonce) {
        let digest = sha2::Sha256::digest(script.as_bytes());
        let source = format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest));
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    let allowed = policy.replace(&format!("'nonce-{nonce}'"), &sources.join(" "));
    let mut headers = headers.clone();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&allowed).ok()?);
    Some(headers)
}

/// The text of each `<script …nonce="{nonce}"…>` element without `src`.
fn inline_scripts<'b>(body: &'b str, nonce: &str) -> Vec<&'b str> {
    let attribute = format!("nonce=\"{nonce}\"");
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let tag = &after[..open_end];
        let content = &after[open_end + 1..];
        let Some(close) = content.find("</script>") else { break };
        if tag.contains(&attribute) && !tag.contains(" src=") {
            found.push(&content[..close]);
        }
        rest = &content[close..];
    }
    found
}

fn brotli(bytes: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(bytes.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        let _ = writer.write_all(bytes);
    }
    Bytes::from(out)
}

fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// The form id of a request the cache may answer.
fn cacheable(request: &Request) -> Option<String> {
    if request.method() != Method::GET || request.uri().query().is_some_and(|q| !q.is_empty()) {
        return None;
    }
    let signed_in = request
        .extensions()
        .get::<PageUser>()
        .is_none_or(|PageUser(user)| !matches!(user, Ok(None)));
    if signed_in {
        return None;
    }
    let id = request.uri().path().strip_prefix("/f/")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| id.to_owned())
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn sent_back(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else { return false };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// The nonce in a policy's `'nonce-…'` source.
fn nonce_in(policy: &str) -> Option<String> {
    let start = policy.find("'nonce-")? + "'nonce-".len();
    let len = policy[start..].find('\'')?;
    Some(policy[start..start + len].to_owned()).filter(|n| !n.is_empty())
}

/// The kept page, in the encoding the browser takes best.
fn answer(page: &Page, accepted: &str) -> Response {
    let (body, coding) = if crate::assets::accepts(accepted, "br") {
        (page.brotli.clone(), Some("br"))
    } else if crate::assets::accepts(accepted, "gzip") {
        (page.gzip.clone(), Some("gzip"))
    } else {
        (page.plain.clone(), None)
    };
    let mut headers = page.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    headers.insert(header::ETAG, page.etag.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_read_from_the_policy() {
        let policy = "default-src 'self'; script-src 'self' 'nonce-Ab3_x' 'wasm-unsafe-eval'";
        assert_eq!(nonce_in(policy).as_deref(), Some("Ab3_x"));
        assert_eq!(nonce_in("default-src 'none'"), None);
        assert_eq!(nonce_in("script-src 'nonce-'"), None);
    }

    #[test]
    fn only_inline_scripts_with_the_nonce_are_hashed() {
        let body = r#"<head><script nonce="N">a()</script><script nonce="N" src="/x.js"></script>
            <script>evil()</script><script type="module" nonce="N">b()</script></head>"#;
        assert_eq!(inline_scripts(body, "N"), vec!["a()", "b()"]);
        assert!(inline_scripts(body, "other").is_empty());
    }

    #[test]
    fn an_etag_sent_back_matches_strong_weak_listed_or_any() {
        let etag = HeaderValue::from_static("\"r3-h0-abc\"");
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
            sent_back(&headers, &etag)
        };
        assert!(with("\"r3-h0-abc\""));
        assert!(with("W/\"r3-h0-abc\""));
        assert!(with("\"other\", \"r3-h0-abc\""));
        assert!(with("*"));
        assert!(!with("\"r2-h0-abc\""));
        assert!(!sent_back(&HeaderMap::new(), &etag));
    }
}
