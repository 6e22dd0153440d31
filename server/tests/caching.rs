//! What makes a respondent's load light: compressed pages and JSON (downloads left alone),
//! the site's built files on their own route with precompressed copies and a year of
//! browser cache for hashed names, and the public form page kept per revision with an ETag.

mod common;

use axum::body::Body;
use common::{Client, TestApp, key_for, owner_with_form};
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn form(label: &str) -> Value {
    json!({
        "name": "Demo request",
        "fields": [
            {"identifier": "email", "label": label, "type": "email", "required": true},
            {"identifier": "size", "label": "Team size", "type": "number"}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

/// Status, headers and raw body bytes (compressed bodies are not text).
async fn raw(router: &axum::Router, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let response = router.clone().oneshot(request).await.expect("router answers");
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn header(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn pages_and_json_are_compressed_and_downloads_are_not() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "zip@example.com", &form("Work email")).await;
    let page = Request::get("/forms")
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = raw(&app.router, page).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "br", "{headers:?}");
    assert!(header(&headers, header::VARY).to_ascii_lowercase().contains("accept-encoding"), "{headers:?}");

    let key = key_for(&app, &cookie).await;
    let json = Request::get("/api/v1/openapi.json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = raw(&app.router, json).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "gzip", "{headers:?}");

    // Without Accept-Encoding, sent as it is.
    let (_, headers, body) = raw(&app.router, Request::get("/forms").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "");
    assert!(String::from_utf8(body).unwrap().contains("Demo request"));

    // The CSV export streams row by row, untouched.
    let csv = Request::get(format!("/forms/{id}/responses.csv"))
        .header(header::COOKIE, &cookie)
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = raw(&app.router, csv).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "", "{headers:?}");
    assert!(String::from_utf8(body).unwrap().contains("Work email"), "the CSV reads as text");
}

const WASM_NAME: &str = "junction.pIHnd0ZvaBvr9U6bPsGwbA.wasm";

#[tokio::test]
async fn built_files_have_their_own_route_precompressed_copies_and_a_year_of_cache() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(WASM_NAME), vec![7_u8; 4096]).unwrap();
    std::fs::write(pkg.join(format!("{WASM_NAME}.br")), b"brotli copy").unwrap();
    std::fs::write(pkg.join(format!("{WASM_NAME}.gz")), b"gzip copy").unwrap();
    std::fs::write(pkg.join("junction.js"), "export default 1;\n".repeat(100)).unwrap();
    let root = site.path().to_str().unwrap().to_owned();
    let app = TestApp::build(app::auth::ApiLimiter::new(0, 0), false, move |state| {
        state.leptos_options.site_root = root.into();
    })
    .await;
    let get = |path: String, encoding: Option<&'static str>| {
        let mut request = Request::get(path);
        if let Some(encoding) = encoding {
            request = request.header(header::ACCEPT_ENCODING, encoding);
        }
        request.body(Body::empty()).unwrap()
    };

    let (status, headers, body) = raw(&app.router, get(format!("/pkg/{WASM_NAME}"), Some("gzip, br"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"brotli copy");
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "br");
    assert_eq!(header(&headers, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&headers, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(header(&headers, header::VARY).to_ascii_lowercase().contains("accept-encoding"), "{headers:?}");

    let (_, headers, body) = raw(&app.router, get(format!("/pkg/{WASM_NAME}"), Some("gzip"))).await;
    assert_eq!((header(&headers, header::CONTENT_ENCODING), body.as_slice()), ("gzip", b"gzip copy".as_slice()));
    let (_, headers, body) = raw(&app.router, get(format!("/pkg/{WASM_NAME}"), None)).await;
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "");
    assert_eq!(body.len(), 4096);
    // A hashed name is read once and sent from memory: its file cannot change.
    std::fs::write(pkg.join(WASM_NAME), b"changed").unwrap();
    let (_, _, body) = raw(&app.router, get(format!("/pkg/{WASM_NAME}"), Some("identity"))).await;
    assert_eq!(body.len(), 4096);

    // A name without a hash may change under the same name: checked again on each use.
    let (status, headers, _) = raw(&app.router, get("/pkg/junction.js".into(), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CACHE_CONTROL), "no-cache");
    // A missing file is a plain 404, not a rendered page.
    let (status, headers, _) = raw(&app.router, get("/pkg/junction.missing.js".into(), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!header(&headers, header::CONTENT_TYPE).starts_with("text/html"), "{headers:?}");
}

/// The `'sha256-…'` sources of a page's policy, and the hashes of the page's inline scripts.
fn script_hashes(headers: &HeaderMap, body: &str) -> (Vec<String>, Vec<String>) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let policy = header(headers, header::CONTENT_SECURITY_POLICY);
    let allowed = policy
        .split_whitespace()
        .filter_map(|s| s.trim_end_matches(';').strip_prefix("'sha256-"))
        .map(|s| s.trim_end_matches('\'').to_owned())
        .collect();
    let mut found = Vec::new();
    for piece in body.split("<script").skip(1) {
        let (tag, rest) = piece.split_once('>').unwrap();
        // A script with a source, or data (the form's definition), which never runs.
        if tag.contains(" src=") || tag.contains("type=\"application/json\"") {
            continue;
        }
        let text = &rest[..rest.find("</script>").unwrap()];
        found.push(base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes())));
    }
    (allowed, found)
}

async fn anonymous(router: &axum::Router, path: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut request = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(etag) = etag {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    let (status, headers, body) = raw(router, request.body(Body::empty()).unwrap()).await;
    (status, headers, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn the_public_form_is_kept_per_revision_with_an_etag_and_its_scripts_hashes() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "cache@example.com", &form("Work email")).await;
    let api = Client { app: &app, key: Some(key_for(&app, &cookie).await) };
    let path = format!("/f/{id}");

    let (status, first_headers, first) = anonymous(&app.router, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let etag = header(&first_headers, header::ETAG).to_owned();
    assert!(etag.starts_with('"'), "{first_headers:?}");
    assert_eq!(header(&first_headers, header::CACHE_CONTROL), "no-cache");
    let (_, second_headers, second) = anonymous(&app.router, &path, None).await;
    assert_eq!(header(&second_headers, header::ETAG), etag);
    assert_eq!(first, second, "a kept page is sent as kept");
    // Its policy allows exactly its inline scripts, by their hashes, and no nonce.
    let policy = header(&first_headers, header::CONTENT_SECURITY_POLICY);
    let script_src = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or_default();
    assert!(!script_src.contains("'nonce-") && !script_src.contains("unsafe-inline"), "{policy}");
    let (allowed, scripts) = script_hashes(&first_headers, &first);
    assert!(!scripts.is_empty(), "the page starts its wasm through an inline script");
    for script in &scripts {
        assert!(allowed.contains(script), "{script} is not in {policy}");
    }
    // Compressed once, sent as kept.
    let compressed = Request::get(&path).header(header::ACCEPT_ENCODING, "gzip, br").body(Body::empty()).unwrap();
    let (status, headers, _) = raw(&app.router, compressed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, header::CONTENT_ENCODING), "br");
    assert_eq!(header(&headers, header::ETAG), etag);

    // The ETag sent back: 304, with no policy to replace the stored one.
    let (status, headers, body) = anonymous(&app.router, &path, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_none(), "{headers:?}");

    // Another instance on the same database; a save made through the first is seen by both
    // at once, whatever they kept.
    let other = server::router(app.state.clone(), false);
    assert_eq!(anonymous(&other, &path, None).await.0, StatusCode::OK);
    let saved = api.send(Method::PUT, &format!("/forms/{id}"), Some(form("Business email"))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    for router in [&app.router, &other] {
        let (status, headers, body) = anonymous(router, &path, Some(&etag)).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(header(&headers, header::ETAG), etag);
        assert!(body.contains("Business email") && !body.contains("Work email"), "{body}");
    }

    // Closed: the page says so, at once, and is not kept.
    let mut closing = form("Business email");
    closing["settings"] = json!({"enabled": false});
    let closed = api.send(Method::PUT, &format!("/forms/{id}"), Some(closing)).await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let (status, headers, body) = anonymous(&app.router, &path, None).await;
    assert_ne!(status, StatusCode::OK, "{body}");
    assert!(headers.get(header::ETAG).is_none());
    let reopened = api.send(Method::PUT, &format!("/forms/{id}"), Some(form("Business email"))).await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    assert_eq!(anonymous(&app.router, &path, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn prefilled_signed_in_and_refused_pages_render_fresh() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "fresh@example.com", &form("Work email")).await;
    let path = format!("/f/{id}");
    let (_, headers, _) = anonymous(&app.router, &path, None).await;
    let etag = header(&headers, header::ETAG).to_owned();

    let (status, headers, body) = anonymous(&app.router, &format!("{path}?email=ada%40example.com"), Some(&etag)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::ETAG).is_none());
    assert!(body.contains("ada@example.com"), "{body}");

    let owner = app.get(&path, Some(&cookie)).await;
    assert_eq!(owner.status, StatusCode::OK);
    assert!(owner.headers.get(header::ETAG).is_none());

    // A refused submission shows what was typed, and only to the one who typed it.
    let refused = app
        .send(
            Request::post(&path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("email=not-an-address&size=12"))
                .unwrap(),
        )
        .await;
    assert!(refused.body.contains("not-an-address"), "{}", refused.body);
    let (_, _, after) = anonymous(&app.router, &path, None).await;
    assert!(!after.contains("not-an-address"));
}

/// The owner's spam guard adds a honeypot input to the page: switching it on changes the
/// page within the second the running apps are cached.
#[tokio::test]
async fn the_owners_apps_change_the_kept_page() {
    let app = TestApp::new().await;
    let (_, id) = owner_with_form(&app, "guard@example.com", &form("Work email")).await;
    let path = format!("/f/{id}");
    let (_, headers, before) = anonymous(&app.router, &path, None).await;
    let honeypot = app::apps::builtin::spam_guard::HONEYPOT;
    assert!(!before.contains(&format!("name=\"{honeypot}\"")));
    common::install_on(&app, "guard@example.com", "spam-guard").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, after_headers, after) = anonymous(&app.router, &path, Some(header(&headers, header::ETAG))).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(header(&after_headers, header::ETAG), header(&headers, header::ETAG));
    assert!(after.contains(&format!("name=\"{honeypot}\"")), "{after}");
}
