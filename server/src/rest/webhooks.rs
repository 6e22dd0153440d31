//! `/api/v1/webhooks`: the Webhooks app's endpoints, their delivery log and redelivery.
//! Adding the first endpoint installs and switches on the Webhooks app. An endpoint's
//! secret is in the answer that creates or rotates it, and nowhere else.

use app::apps::webhooks::{CreatedEndpoint, DeliveryPage, DeliveryView, EndpointView};
use app::error::AppError;
use app::services::webhooks::{self as service, EndpointInput, EndpointPatch};
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiUser, Body, ErrorBody, Params};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where to POST events: https://… (private addresses are refused).
    pub url: String,
    /// The events to send, for example `["form.submitted"]`.
    pub events: Vec<String>,
    /// Only this form's events.
    #[serde(default)]
    pub form_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// A form's id to send only its events, or `null` for every form's; left out, unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub form_id: Option<Option<String>>,
    /// Switch the endpoint off or on (on again after a 410 Gone switched it off).
    pub active: Option<bool>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointList {
    pub endpoints: Vec<EndpointView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `next_cursor` of the previous page; absent for the newest deliveries.
    pub cursor: Option<String>,
    /// Deliveries per page, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// Adds an endpoint (installing and switching on the Webhooks app if needed) and returns
/// it with its signing secret: the only time the secret is shown.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("api_key" = [])),
    request_body = NewEndpoint,
    responses(
        (status = 201, description = "The endpoint and its secret", body = CreatedEndpoint),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 409, description = "Too many endpoints", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "A refused URL, event or form, named", body = ErrorBody),
    ))]
pub(super) async fn create_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Body(new): Body<NewEndpoint>,
) -> Result<Response, AppError> {
    let input = EndpointInput { url: new.url, events: new.events, form_id: new.form_id };
    let created = service::create(&state, &user, input).await?;
    let location = format!("/api/v1/webhooks/{}", created.endpoint.id);
    let mut response = (StatusCode::CREATED, Json(created)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The key's user's endpoints, oldest first.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("api_key" = [])),
    responses((status = 200, description = "The endpoints", body = EndpointList)))]
pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<EndpointList>, AppError> {
    Ok(Json(EndpointList { endpoints: service::list(&state, &user).await? }))
}

/// One endpoint; another user's is "not found".
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointView),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
    ))]
pub(super) async fn get_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<EndpointView>, AppError> {
    Ok(Json(service::get(&state, &user, &id).await?))
}

/// Changes the fields given.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = EndpointChange,
    responses(
        (status = 200, description = "The endpoint as changed", body = EndpointView),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "A refused URL, event or form, named", body = ErrorBody),
    ))]
pub(super) async fn update_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Body(change): Body<EndpointChange>,
) -> Result<Json<EndpointView>, AppError> {
    let patch = EndpointPatch {
        url: change.url,
        events: change.events,
        form_id: change.form_id,
        active: change.active,
    };
    Ok(Json(service::update(&state, &user, &id, patch).await?))
}

/// Removes the endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
    ))]
pub(super) async fn delete_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret, returned this once. The previous one keeps signing beside it for
/// 24 hours (both signatures are sent), so a receiver can switch without missing events.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint and its new secret", body = CreatedEndpoint),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
    ))]
pub(super) async fn rotate_secret(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CreatedEndpoint>, AppError> {
    Ok(Json(service::rotate_secret(&state, &user, &id).await?))
}

/// Sends a `webhook.test` event to the endpoint now.
#[utoipa::path(post, path = "/webhooks/{id}/test", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id")),
    responses(
        (status = 202, description = "Queued; its delivery", body = DeliveryView),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
        (status = 409, description = "The endpoint is switched off", body = ErrorBody),
    ))]
pub(super) async fn test_webhook(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<DeliveryView>), AppError> {
    Ok((StatusCode::ACCEPTED, Json(service::send_test(&state, &user, &id).await?)))
}

/// The endpoint's delivery log, newest first: each event with its attempts, status codes,
/// durations, last error and next attempt.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("api_key" = [])),
    params(("id" = String, Path, description = "The endpoint's id"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = DeliveryPage),
        (status = 400, description = "An unknown query parameter", body = ErrorBody),
        (status = 404, description = "No such endpoint of this user", body = ErrorBody),
        (status = 422, description = "A limit out of range", body = ErrorBody),
    ))]
pub(super) async fn list_deliveries(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Params(query): Params<DeliveriesQuery>,
) -> Result<Json<DeliveryPage>, AppError> {
    let page = service::deliveries(&state, &user, &id, query.cursor.as_deref(), query.limit).await?;
    Ok(Json(page))
}

/// Sends a delivered or failed event again at once, with the same `webhook-id`.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/redeliver", tag = "webhooks", security(("api_key" = [])),
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("delivery_id" = String, Path, description = "The delivery's id"),
    ),
    responses(
        (status = 202, description = "Queued again", body = DeliveryView),
        (status = 404, description = "No such endpoint or delivery of this user", body = ErrorBody),
        (status = 409, description = "The endpoint is switched off", body = ErrorBody),
    ))]
pub(super) async fn redeliver(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryView>), AppError> {
    let view = service::redeliver(&state, &user, &id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}
