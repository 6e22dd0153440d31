//! Publishing apps from CI: `POST /api/v1/apps` uploads a component with its manifest (an
//! app, or a new version of the key's user's app) and returns the version with its
//! verification report; the publisher submits a verified version, an admin approves or
//! rejects it, and a version can be withdrawn.

use app::apps::view::VersionView;
use app::error::AppError;
use app::services::publishing::{self as service, Image, Upload};
use app::state::AppState;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiUser, Body, ErrorBody};

/// The parts of an upload (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the form for the OpenAPI document; read part by part.
pub struct UploadForm {
    /// The app's manifest, as JSON.
    manifest: String,
    /// The WebAssembly component (`.wasm`), built against `wit/junction.wit`.
    #[schema(value_type = String, format = Binary)]
    component: Vec<u8>,
    /// An SVG, PNG, JPEG or WebP logo (at most 256 KB).
    #[schema(value_type = Option<String>, format = Binary)]
    logo: Option<Vec<u8>>,
    /// Up to five screenshots, each an image part of this name.
    #[schema(value_type = Option<String>, format = Binary)]
    screenshot: Option<Vec<u8>>,
}

/// Reads the parts of an upload; an unknown part, or a part that cannot be read, is
/// refused by name.
pub(crate) async fn read_upload(request: Request, state: &AppState) -> Result<Upload, AppError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::UnsupportedMedia(format!("Send the upload as multipart/form-data: {}", e.body_text())))?;
    let mut upload = Upload::default();
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {}", e.body_text())))?
    {
        let name = part.name().unwrap_or_default().to_owned();
        let content_type = part.content_type().map(str::to_owned);
        let bytes = part
            .bytes()
            .await
            .map_err(|e| AppError::BadRequest(format!("The part \"{name}\" could not be read: {}", e.body_text())))?;
        let image = |bytes: &[u8]| Image {
            content_type: content_type.clone().unwrap_or_else(|| sniff(bytes).to_owned()),
            bytes: bytes.to_vec(),
        };
        match name.as_str() {
            "manifest" => {
                upload.manifest = String::from_utf8(bytes.to_vec())
                    .map_err(|_| AppError::field("manifest", "The manifest is not UTF-8 text."))?;
            }
            "component" => upload.component = bytes.to_vec(),
            "logo" if !bytes.is_empty() => upload.logo = Some(image(&bytes)),
            "screenshot" if !bytes.is_empty() => upload.screenshots.push(image(&bytes)),
            "logo" | "screenshot" => {}
            other => {
                return Err(AppError::field(
                    other,
                    format!("There is no part \"{other}\": send manifest, component, logo and screenshot."),
                ));
            }
        }
    }
    if upload.manifest.trim().is_empty() {
        return Err(AppError::field("manifest", "Send the app's manifest (JSON) as the part \"manifest\"."));
    }
    Ok(upload)
}

/// A content type from an image's first bytes, for a part sent without one.
fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8]) {
        "image/jpeg"
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        "image/webp"
    } else if std::str::from_utf8(bytes).is_ok_and(|t| t.contains("<svg")) {
        "image/svg+xml"
    } else {
        "application/octet-stream"
    }
}

/// Uploads an app, or a new version of one of the key's user's apps, in draft, and
/// verifies it. The answer carries the verification report; a version that passed may be
/// submitted for approval.
#[utoipa::path(post, path = "/apps", tag = "apps", security(("api_key" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The version, in draft, with its verification report", body = VersionView),
        (status = 400, description = "The upload could not be read", body = ErrorBody),
        (status = 409, description = "The slug belongs to another app, or the version exists", body = ErrorBody),
        (status = 413, description = "The upload is too large", body = ErrorBody),
        (status = 415, description = "Not multipart/form-data", body = ErrorBody),
        (status = 422, description = "The manifest, the component or an image refused, named", body = ErrorBody),
    ))]
pub(super) async fn upload_app(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    request: Request,
) -> Result<Response, AppError> {
    let upload = read_upload(request, &state).await?;
    let version = service::upload(&state, &user, upload).await?;
    let location = format!("/api/v1/apps/{}/versions", version.app);
    let mut response = (StatusCode::CREATED, Json(version)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    /// Oldest first.
    pub versions: Vec<VersionView>,
}

/// The versions of one of the key's user's uploaded apps (an admin: of any), with their
/// states and reports.
#[utoipa::path(get, path = "/apps/{slug}/versions", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug")),
    responses(
        (status = 200, description = "The app's versions", body = VersionList),
        (status = 404, description = "No such app of this user", body = ErrorBody),
    ))]
pub(super) async fn list_versions(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
) -> Result<Json<VersionList>, AppError> {
    let versions = service::versions(&state, &user, Some(&slug)).await?;
    if versions.is_empty() {
        return Err(AppError::NotFound(format!("An uploaded app \"{slug}\" of yours")));
    }
    Ok(Json(VersionList { versions }))
}

/// Submits a verified version for an admin's approval.
#[utoipa::path(post, path = "/apps/{slug}/versions/{version}/submit", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug"), ("version" = String, Path, description = "The version")),
    responses(
        (status = 200, description = "The version, submitted", body = VersionView),
        (status = 404, description = "No such version of this user's app", body = ErrorBody),
        (status = 409, description = "The version is not a draft", body = ErrorBody),
        (status = 422, description = "The version did not pass its verification", body = ErrorBody),
    ))]
pub(super) async fn submit_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Json<VersionView>, AppError> {
    Ok(Json(service::submit(&state, &user, &slug, &version).await?))
}

/// Approves a submitted version (admins only): it joins the catalog.
#[utoipa::path(post, path = "/apps/{slug}/versions/{version}/approve", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug"), ("version" = String, Path, description = "The version")),
    responses(
        (status = 200, description = "The version, approved", body = VersionView),
        (status = 403, description = "Only administrators decide", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 409, description = "The version is not submitted", body = ErrorBody),
    ))]
pub(super) async fn approve_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((slug, version)): Path<(String, String)>,
) -> Result<Json<VersionView>, AppError> {
    Ok(Json(service::decide(&state, &user, &slug, &version, true, "").await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Why, for the publisher.
    pub reason: String,
}

/// Rejects a submitted version with a reason (admins only).
#[utoipa::path(post, path = "/apps/{slug}/versions/{version}/reject", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug"), ("version" = String, Path, description = "The version")),
    request_body = Rejection,
    responses(
        (status = 200, description = "The version, rejected", body = VersionView),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 403, description = "Only administrators decide", body = ErrorBody),
        (status = 404, description = "No such version", body = ErrorBody),
        (status = 409, description = "The version is not submitted", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    ))]
pub(super) async fn reject_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((slug, version)): Path<(String, String)>,
    Body(rejection): Body<Rejection>,
) -> Result<Json<VersionView>, AppError> {
    Ok(Json(service::decide(&state, &user, &slug, &version, false, &rejection.reason).await?))
}

/// Withdraws a version (its publisher or an admin): it leaves the catalog, and the
/// installations that have it keep running it.
#[utoipa::path(delete, path = "/apps/{slug}/versions/{version}", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug"), ("version" = String, Path, description = "The version")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "No such version of this user's app", body = ErrorBody),
    ))]
pub(super) async fn withdraw_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((slug, version)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    service::withdraw(&state, &user, &slug, &version).await?;
    Ok(StatusCode::NO_CONTENT)
}
