//! `/api/v1/apps` and `/api/v1/installations`: the App Store's catalog, and the key's
//! user's installations through their lifecycle. Secrets are write-only: an installation
//! lists which secret settings are set, never their values.

use app::apps::manifest::Scope;
use app::apps::view::{AppCard, AppDetail, AuditEntry, InstallationView};
use app::error::AppError;
use app::apps::webhooks::{DeliveryPage, DeliveryView};
use app::services::apps as service;
use app::services::email;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::webhooks::DeliveriesQuery;
use super::{ApiUser, Body, ErrorBody, OptionalBody, Params};

#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    /// The approved apps, by name.
    pub apps: Vec<AppCard>,
}

/// The catalog: every approved app, with its rating, installs and whether the key's user
/// has it.
#[utoipa::path(get, path = "/apps", tag = "apps", security(("api_key" = [])),
    responses((status = 200, description = "The catalog", body = AppList)))]
pub(super) async fn list_apps(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<AppList>, AppError> {
    let mut apps = service::catalog(&state, Some(&user)).await?;
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Json(AppList { apps }))
}

/// One app: description, versions with their changes, dependencies, permissions in plain
/// words, reviews.
#[utoipa::path(get, path = "/apps/{slug}", tag = "apps", security(("api_key" = [])),
    params(("slug" = String, Path, description = "The app's slug")),
    responses(
        (status = 200, description = "The app", body = AppDetail),
        (status = 404, description = "No such app in the catalog", body = ErrorBody),
    ))]
pub(super) async fn get_app(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(slug): Path<String>,
) -> Result<Json<AppDetail>, AppError> {
    Ok(Json(service::detail(&state, &slug, Some(&user)).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InstallationList {
    pub installations: Vec<InstallationView>,
}

/// The key's user's installations, oldest first.
#[utoipa::path(get, path = "/installations", tag = "apps", security(("api_key" = [])),
    responses((status = 200, description = "The installations", body = InstallationList)))]
pub(super) async fn list_installations(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<InstallationList>, AppError> {
    Ok(Json(InstallationList {
        installations: service::installations(&state, &user).await?,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInstallation {
    /// The app's slug.
    pub app: String,
    /// The permissions granted: every one the app (and each dependency installed with it)
    /// requests.
    pub grant: Vec<Scope>,
    /// A name for this installation, for apps that may be installed several times.
    #[serde(default)]
    pub name: Option<String>,
    /// One of the app's released versions; the newest when left out.
    #[serde(default)]
    pub version: Option<String>,
}

/// Installs an app, with the dependencies the user lacks, granted `grant`. It starts
/// switched off: configure it, then activate it.
#[utoipa::path(post, path = "/installations", tag = "apps", security(("api_key" = [])),
    request_body = NewInstallation,
    responses(
        (status = 201, description = "The new installation", body = InstallationView),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such app in the catalog", body = ErrorBody),
        (status = 409, description = "Already installed, and the app may be installed once", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "Permissions not granted, or a dependency that cannot be met, named", body = ErrorBody),
    ))]
pub(super) async fn create_installation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Body(new): Body<NewInstallation>,
) -> Result<Response, AppError> {
    let id = service::install(
        &state,
        &user,
        &new.app,
        &new.grant,
        new.name.as_deref(),
        new.version.as_deref(),
    )
    .await?;
    let view = service::installation(&state, &user, &id).await?;
    let mut response = (StatusCode::CREATED, Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("/api/v1/installations/{id}")) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// One of the user's installations; another user's is "not found".
#[utoipa::path(get, path = "/installations/{id}", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 200, description = "The installation", body = InstallationView),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
    ))]
pub(super) async fn get_installation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::installation(&state, &user, &id).await?))
}

/// Removes an installation with its settings and secrets; refused while another installed
/// app needs it.
#[utoipa::path(delete, path = "/installations/{id}", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 204, description = "Uninstalled"),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 409, description = "Another installed app needs it (named)", body = ErrorBody),
    ))]
pub(super) async fn delete_installation(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::uninstall(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the settings, checked against the app's schema. A secret is write-only: send
/// a value to replace it, `null` to clear it, or leave it out to keep it.
#[utoipa::path(put, path = "/installations/{id}/config", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    request_body = Object,
    responses(
        (status = 200, description = "The installation with its new settings", body = InstallationView),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "Settings refused, by key, or refused by the app", body = ErrorBody),
    ))]
pub(super) async fn put_config(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Body(config): Body<Map<String, Value>>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::configure(&state, &user, &id, &config).await?))
}

/// Switches the installation on (and the dependencies it needs): its hooks run.
#[utoipa::path(post, path = "/installations/{id}/activate", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 200, description = "The installation, active", body = InstallationView),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 409, description = "The app is disabled by an admin", body = ErrorBody),
        (status = 422, description = "Required settings are missing (named)", body = ErrorBody),
    ))]
pub(super) async fn activate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::set_active(&state, &user, &id, true).await?))
}

/// Switches the installation off, keeping its settings.
#[utoipa::path(post, path = "/installations/{id}/deactivate", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 200, description = "The installation, inactive", body = InstallationView),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 409, description = "An active app needs it (named)", body = ErrorBody),
    ))]
pub(super) async fn deactivate(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::set_active(&state, &user, &id, false).await?))
}

/// What an update is given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// Consent to the permissions the newest version asks for beyond those granted (the
    /// installation's `update_asks`). Not needed when it asks for nothing more.
    #[serde(default)]
    pub grant: Vec<Scope>,
}

/// Moves the installation to the app's newest version, keeping the previous version,
/// settings and permissions for a rollback.
#[utoipa::path(post, path = "/installations/{id}/update", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    request_body(content = Option<UpdateRequest>, description = "Optional: the consent to new permissions"),
    responses(
        (status = 200, description = "The installation, updated", body = InstallationView),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 409, description = "Already at the newest version", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "The newest version asks for permissions not granted (named)", body = ErrorBody),
    ))]
pub(super) async fn update(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    OptionalBody(request): OptionalBody<UpdateRequest>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::update(&state, &user, &id, &request.grant).await?))
}

/// Returns to the version and settings the last update replaced.
#[utoipa::path(post, path = "/installations/{id}/rollback", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 200, description = "The installation, rolled back", body = InstallationView),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
        (status = 409, description = "No update to roll back", body = ErrorBody),
    ))]
pub(super) async fn rollback(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<InstallationView>, AppError> {
    Ok(Json(service::rollback(&state, &user, &id).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
}

/// Every lifecycle step and denied permission of the installation, newest first
/// (readable after an uninstall too).
#[utoipa::path(get, path = "/installations/{id}/audit", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id")),
    responses(
        (status = 200, description = "The audit log", body = AuditLog),
        (status = 404, description = "No such installation of this user", body = ErrorBody),
    ))]
pub(super) async fn audit(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<AuditLog>, AppError> {
    Ok(Json(AuditLog {
        entries: service::audit_log(&state, &user, &id).await?,
    }))
}

/// The e-mails of an Email notifications installation, newest first: each with its
/// attempts, SMTP reply codes, durations, last error and next attempt.
#[utoipa::path(get, path = "/installations/{id}/deliveries", tag = "apps", security(("api_key" = [])),
    params(("id" = String, Path, description = "The installation's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page of e-mails", body = DeliveryPage),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
        (status = 404, description = "No such Email notifications installation of this user", body = ErrorBody),
        (status = 422, description = "A limit out of range", body = ErrorBody),
    ))]
pub(super) async fn list_emails(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Params(query): Params<DeliveriesQuery>,
) -> Result<Json<DeliveryPage>, AppError> {
    let page = email::deliveries(&state, &user, &id, query.cursor.as_deref(), query.limit).await?;
    Ok(Json(page))
}

/// Sends one of the installation's e-mails again at once.
#[utoipa::path(post, path = "/installations/{id}/deliveries/{delivery_id}/redeliver", tag = "apps", security(("api_key" = [])),
    params(
        ("id" = String, Path, description = "The installation's id"),
        ("delivery_id" = String, Path, description = "The e-mail's delivery id"),
    ),
    responses(
        (status = 202, description = "Queued again", body = DeliveryView),
        (status = 404, description = "No such installation or e-mail of this user", body = ErrorBody),
        (status = 409, description = "The app is switched off", body = ErrorBody),
    ))]
pub(super) async fn resend_email(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), AppError> {
    let view = email::redeliver(&state, &user, &id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
