//! The site's built files (`/pkg`: the JS, wasm and CSS cargo-leptos writes) on their own
//! route, without the page fallback's work.
//!
//! A release build made with `--precompress` leaves `.br` and `.gz` copies beside each file;
//! the one the browser accepts is sent (`Vary: Accept-Encoding`), and a file without a copy
//! is compressed on the way out by the router's compression layer. A file whose name carries
//! its content's hash (`junction.<hash>.wasm`, `hash-files` in Cargo.toml) never changes, so
//! browsers may keep it for a year; any other file is checked again on each use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

const FOREVER: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// `/pkg/…` from `{site_root}/{pkg_dir}`.
pub fn routes<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let files = ServeDir::new(Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    let kept = Kept { dir: Path::new(site_root).join(pkg_dir), files: Arc::default() };
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(axum::middleware::from_fn_with_state(kept, from_memory))
        .layer(axum::middleware::from_fn(cache_control))
}

/// Files whose names carry their hash, read once and then sent from memory: they cannot
/// change under their name, and ServeDir's reads go through tokio's blocking pool several
/// times a request (about 1,000 requests/s here, against 20,000 from memory).
#[derive(Clone)]
struct Kept {
    dir: PathBuf,
    files: Arc<RwLock<HashMap<String, Arc<KeptFile>>>>,
}

struct KeptFile {
    kind: &'static str,
    plain: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

async fn from_memory(State(kept): State<Kept>, request: Request, next: Next) -> Response {
    let name = request.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
    let plain_name = !name.starts_with('.') && !name.contains('\\') && !name.contains('%');
    let is_get = matches!(*request.method(), Method::GET | Method::HEAD);
    if !is_get || !plain_name || !carries_hash(&name) || name.ends_with(".br") || name.ends_with(".gz") {
        return next.run(request).await;
    }
    let known = kept.files.read().unwrap_or_else(|e| e.into_inner()).get(&name).cloned();
    let file = match known {
        Some(file) => file,
        None => match read(&kept.dir, &name).await {
            Some(file) => {
                let file = Arc::new(file);
                let mut files = kept.files.write().unwrap_or_else(|e| e.into_inner());
                files.insert(name.clone(), file.clone());
                file
            }
            // Not there: ServeDir answers (404).
            None => return next.run(request).await,
        },
    };
    let accepted = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (body, coding) = match (&file.brotli, &file.gzip) {
        (Some(br), _) if accepts(&accepted, "br") => (br.clone(), Some("br")),
        (_, Some(gz)) if accepts(&accepted, "gzip") => (gz.clone(), Some("gzip")),
        _ => (file.plain.clone(), None),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.kind));
    if let Some(coding) = coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

async fn read(dir: &Path, name: &str) -> Option<KeptFile> {
    let path = dir.join(name);
    let plain = tokio::fs::read(&path).await.ok()?;
    let copy = |ext: &str| {
        let mut name = path.clone().into_os_string();
        name.push(ext);
        PathBuf::from(name)
    };
    let brotli = tokio::fs::read(copy(".br")).await.ok().map(Bytes::from);
    let gzip = tokio::fs::read(copy(".gz")).await.ok().map(Bytes::from);
    let kind = match name.rsplit('.').next() {
        Some("wasm") => "application/wasm",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    Some(KeptFile { kind, plain: Bytes::from(plain), brotli, gzip })
}

/// Whether an `Accept-Encoding` value takes `coding` (named, and not with `q=0`).
pub(crate) fn accepts(header: &str, coding: &str) -> bool {
    header.split(',').any(|part| {
        let mut pieces = part.split(';');
        let named = pieces.next().is_some_and(|n| n.trim().eq_ignore_ascii_case(coding));
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        named && !refused
    })
}

async fn cache_control(request: Request, next: Next) -> Response {
    let forever = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(carries_hash);
    let mut response = next.run(request).await;
    // Which copy was sent depends on the request's Accept-Encoding; caches must know.
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
    if response.status().is_success() || response.status() == axum::http::StatusCode::NOT_MODIFIED {
        let value = if forever { FOREVER } else { REVALIDATE };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// Whether `name` is `stem.<hash>.ext` with the hash cargo-leptos writes: 22 characters of
/// unpadded URL-safe base64 (an MD5).
fn carries_hash(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::{accepts, carries_hash};

    #[test]
    fn accept_encoding_is_read_with_its_weights() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("br;q=1.0, gzip;q=0.8", "gzip"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "br"));
    }

    #[test]
    fn only_names_with_a_content_hash_are_kept_for_good() {
        assert!(carries_hash("junction.pIHnd0ZvaBvr9U6bPsGwbA.wasm"));
        assert!(carries_hash("junction.Zq-1_x9Q2a3B4c5D6e7F8g.css"));
        assert!(carries_hash("junction.pIHnd0ZvaBvr9U6bPsGwbA.wasm.br"));
        assert!(!carries_hash("junction.wasm"));
        assert!(!carries_hash("junction.js"));
        assert!(!carries_hash("junction.short.js"));
        assert!(!carries_hash("junction.pIHnd0ZvaBvr9U6bPsGwb!.js"));
    }
}
