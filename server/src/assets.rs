//! The site's built files (`/pkg`: the JS, wasm and CSS cargo-leptos writes) on their own
//! route, without the page fallback's work.
//!
//! A release build made with `--precompress` leaves `.br` and `.gz` copies beside each file;
//! the one the browser accepts is sent (`Vary: Accept-Encoding`), and a file without a copy
//! is compressed on the way out by the router's compression layer. A file whose name carries
//! its content's hash (`junction.<hash>.wasm`, `hash-files` in Cargo.toml) never changes, so
//! browsers may keep it for a year; any other file is checked again on each use.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
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
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(axum::middleware::from_fn(cache_control))
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
    use super::carries_hash;

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
