//! `/artifacts/{sha256}.{ext}`: what uploaded apps bring (their components, logos and
//! screenshots), served by the SHA-256 of their content. A name never changes what it
//! serves, so browsers and CDNs may keep each for a year.

use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const FOREVER: &str = "public, max-age=31536000, immutable";

pub async fn serve(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((sha256, extension)) = file.split_once('.') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let known = ["wasm", "svg", "png", "jpg", "webp"];
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) || !known.contains(&extension) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match app::services::publishing::artifact(&state, sha256, extension).await {
        Ok((content_type, bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(FOREVER));
            if let Ok(kind) = HeaderValue::from_str(&content_type) {
                headers.insert(header::CONTENT_TYPE, kind);
            }
            // An SVG served from this origin runs no script and loads nothing.
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            );
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(e) => e.into_response(),
    }
}
