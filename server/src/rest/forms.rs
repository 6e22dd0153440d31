//! `/api/v1/forms`: the key's user's forms, created, read, replaced and deleted.

use app::error::AppError;
use app::forms::{FormDefinition, FormRecord, FormSummary};
use app::services::forms as service;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiUser, Body, ErrorBody};

#[derive(Debug, Serialize, ToSchema)]
pub struct FormList {
    /// Most recently changed first.
    pub forms: Vec<FormSummary>,
}

/// The signed-in user's forms.
#[utoipa::path(get, path = "/forms", tag = "forms", security(("api_key" = [])),
    responses(
        (status = 200, description = "The key's user's forms", body = FormList),
    ))]
pub(super) async fn list_forms(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> Result<Json<FormList>, AppError> {
    Ok(Json(FormList {
        forms: service::list(&state.db, user.id).await?,
    }))
}

/// Creates a form from a whole definition, checked as the builder checks it.
#[utoipa::path(post, path = "/forms", tag = "forms", security(("api_key" = [])),
    request_body = FormDefinition,
    responses(
        (status = 201, description = "The stored form, with its id and generated field and route ids", body = FormRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "The definition has problems, by path", body = ErrorBody),
    ))]
pub(super) async fn create_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Body(def): Body<FormDefinition>,
) -> Result<Response, AppError> {
    let record = service::create(&state, user.id, def).await?;
    let location = format!("/api/v1/forms/{}", record.id);
    let mut response = (StatusCode::CREATED, Json(record)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// One of the user's forms. Another user's form is "not found".
#[utoipa::path(get, path = "/forms/{id}", tag = "forms", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    responses(
        (status = 200, description = "The form", body = FormRecord),
        (status = 404, description = "No such form of this user", body = ErrorBody),
    ))]
pub(super) async fn get_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<FormRecord>, AppError> {
    Ok(Json(service::find_owned(&state.db, &id, user.id).await?))
}

/// Replaces a form's definition. Fields keep their ids (send them back) so that stored
/// responses keep their columns.
#[utoipa::path(put, path = "/forms/{id}", tag = "forms", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    request_body = FormDefinition,
    responses(
        (status = 200, description = "The stored form", body = FormRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "The definition has problems, by path", body = ErrorBody),
    ))]
pub(super) async fn update_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Body(def): Body<FormDefinition>,
) -> Result<Json<FormRecord>, AppError> {
    service::find_owned(&state.db, &id, user.id).await?;
    Ok(Json(service::save(&state, &id, user.id, def).await?))
}

/// Deletes a form with its responses and uploaded files' records.
#[utoipa::path(delete, path = "/forms/{id}", tag = "forms", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such form of this user", body = ErrorBody),
    ))]
pub(super) async fn delete_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete(&state, &id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
