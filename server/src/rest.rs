//! `/api/v1`: the public JSON API for integrators. Keys (`Authorization: Bearer jk_…`) act
//! as their user; the one public endpoint takes a respondent's answers. Every handler is
//! registered through `utoipa-axum` from its `#[utoipa::path]` annotation, so the OpenAPI
//! 3.1 document at `/api/v1/openapi.json` lists exactly the routes that exist.
//!
//! Handlers stay thin: the domain code (validation, routing, storage) is the pages' own.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use app::auth::SessionUser;
use app::db::forms as db;
use app::error::AppError;
use app::forms::answers::{RawAnswers, UnknownKeys};
use app::forms::compiled::SUBMISSION_BUDGET;
use app::forms::{Action, FormDefinition, FormRecord, FormSummary, service};
use app::rules::Budget;
use app::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most responses one page of the listing holds.
const MAX_PAGE: i64 = 200;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Junction API",
        version = "1.0.0",
        description = "Manage routing forms and read their responses. Authenticate with \
                       `Authorization: Bearer <key>` (create keys in Settings or with \
                       `junction api-key create`). Submitting answers needs no key."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerKeys),
    tags((name = "forms"), (name = "responses"))
)]
struct ApiDoc;

struct BearerKeys;

impl Modify for BearerKeys {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key, `jk_` and 64 hex digits."))
                    .build(),
            ),
        );
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_forms, create_form))
        .routes(routes!(get_form, update_form, delete_form))
        .routes(routes!(list_responses, submit_response))
        .routes(routes!(responses_csv))
        .routes(routes!(openapi_json))
}

/// The `/api/v1` router, to be nested there.
pub fn routes() -> Router<AppState> {
    let (router, doc) = api().split_for_parts();
    router
        .layer(axum::Extension(std::sync::Arc::new(doc)))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no such endpoint in /api/v1.",
            )
        })
}

/// The OpenAPI document, as `/api/v1/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().split_for_parts().1
}

// ---------------------------------------------------------------------------------------
// Errors

/// Every error: a message, and for 422 the problems by path (`fields[2].label`, an answer's
/// identifier, or `body` when the JSON itself does not fit).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: message.into(),
                errors: None,
            },
            retry_after: None,
        }
    }

    fn unauthorized(message: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = ApiError::new(status, e.to_string());
        match e {
            AppError::Validation { fields, .. } => error.body.errors = Some(fields),
            AppError::RateLimited { retry_after_secs } => {
                error.retry_after = Some(retry_after_secs)
            }
            AppError::Unauthorized => {
                error.body.error = "Send an API key as `Authorization: Bearer <key>`.".into()
            }
            _ => {}
        }
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

// ---------------------------------------------------------------------------------------
// Extractors

/// The user an API key acts as, after the per-user rate limit.
pub struct ApiUser(pub SessionUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::unauthorized(
                "Send an API key as `Authorization: Bearer <key>`; create one in Settings.",
            ));
        };
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::unauthorized("The Authorization header must read `Bearer <key>`.")
            })?;
        let user = app::auth::api_key::authenticate(&state.db, key)
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized("This API key is not valid: it may have been revoked.")
            })?;
        state.api_limiter.check_user(user.id)?;
        Ok(ApiUser(user))
    }
}

/// The client's address when the server knows it.
pub(crate) struct ClientIp(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
                .await
                .ok()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// A JSON body; a body that is not JSON, or JSON of the wrong shape (an unknown field
/// included), is refused naming the problem.
pub struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> ApiResult<Self> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let text = rejection.body_text();
    let mut error = ApiError::new(status, text.clone());
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        error.body.errors = Some([("body".to_owned(), vec![text])].into());
    }
    error
}

/// Query parameters; unknown or malformed ones are refused naming the problem.
pub struct Params<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())
}

// ---------------------------------------------------------------------------------------
// Forms

#[derive(Debug, Serialize, ToSchema)]
pub struct FormList {
    /// Most recently changed first.
    pub forms: Vec<FormSummary>,
}

/// The signed-in user's forms.
#[utoipa::path(get, path = "/forms", tag = "forms", security(("api_key" = [])),
    responses(
        (status = 200, description = "The key's user's forms", body = FormList),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn list_forms(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
) -> ApiResult<Json<FormList>> {
    Ok(Json(FormList {
        forms: db::list(&state.db, user.id).await?,
    }))
}

/// Creates a form from a whole definition, checked as the builder checks it.
#[utoipa::path(post, path = "/forms", tag = "forms", security(("api_key" = [])),
    request_body = FormDefinition,
    responses(
        (status = 201, description = "The stored form, with its id and generated field and route ids", body = FormRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "The definition has problems, by path", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn create_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Body(def): Body<FormDefinition>,
) -> ApiResult<Response> {
    let record = service::create(&state.db, user.id, def).await?;
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
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn get_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<FormRecord>> {
    Ok(Json(db::find_owned(&state.db, &id, user.id).await?))
}

/// Replaces a form's definition. Fields keep their ids (send them back) so that stored
/// responses keep their columns.
#[utoipa::path(put, path = "/forms/{id}", tag = "forms", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    request_body = FormDefinition,
    responses(
        (status = 200, description = "The stored form", body = FormRecord),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "The definition has problems, by path", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn update_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Body(def): Body<FormDefinition>,
) -> ApiResult<Json<FormRecord>> {
    db::find_owned(&state.db, &id, user.id).await?;
    Ok(Json(service::save(&state.db, &id, user.id, def).await?))
}

/// Deletes a form with its responses and uploaded files' records.
#[utoipa::path(delete, path = "/forms/{id}", tag = "forms", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn delete_form(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Responses

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResponsesQuery {
    /// `next_cursor` of the previous page; absent for the newest responses.
    pub cursor: Option<String>,
    /// Responses per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Only this route's responses (a route id, or `fallback`).
    pub route: Option<String>,
    /// First day, `YYYY-MM-DD` (UTC).
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), inclusive.
    pub to: Option<String>,
}

/// One stored response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiResponse {
    pub id: String,
    /// Unix seconds.
    pub submitted_at: i64,
    /// The route taken; `null` for the fallback. A reused route reads `route/other`.
    pub route_id: Option<String>,
    /// The route's name ("Fallback" for the fallback).
    pub route: String,
    /// Answers by field identifier, normalized (phone numbers in E.164, for instance).
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsePage {
    /// Newest first.
    pub responses: Vec<ApiResponse>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A form's responses, newest first, a page at a time.
#[utoipa::path(get, path = "/forms/{id}/responses", tag = "responses", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id"), ResponsesQuery),
    responses(
        (status = 200, description = "One page of responses", body = ResponsePage),
        (status = 400, description = "A query parameter is unknown or malformed", body = ErrorBody),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 422, description = "A date is not YYYY-MM-DD or the limit is out of range", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn list_responses(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Params(query): Params<ResponsesQuery>,
) -> ApiResult<Json<ResponsePage>> {
    let form = db::find_owned(&state.db, &id, user.id).await?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("Ask for 1 to {MAX_PAGE} responses a page."),
        )
        .into());
    }
    let filter = db::ResponseFilter::parse(query.route, query.from, query.to)?;
    let rows =
        db::responses_page(&state.db, &id, &filter, query.cursor.as_deref(), limit + 1).await?;
    let linked = db::linked_routes(&state.db, &form.definition, user.id).await?;
    let more = rows.len() as i64 > limit;
    let responses: Vec<ApiResponse> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| ApiResponse {
            route: form.definition.route_label(r.route_id.as_deref(), &linked),
            answers: r
                .answers
                .into_values()
                .map(|a| (a.identifier, a.value))
                .collect(),
            id: r.id,
            submitted_at: r.created_at,
            route_id: r.route_id,
        })
        .collect();
    let next_cursor = more
        .then(|| responses.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Json(ResponsePage {
        responses,
        next_cursor,
    }))
}

/// Every response as CSV, streamed: submitted-at, route, then each field by label.
#[utoipa::path(get, path = "/forms/{id}/responses.csv", tag = "responses", security(("api_key" = [])),
    params(("id" = String, Path, description = "The form's id")),
    responses(
        (status = 200, description = "CSV, one row per response, newest first", content_type = "text/csv", body = String),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 429, description = "Too many calls with this key", body = ErrorBody),
    ))]
async fn responses_csv(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let record = db::find_owned(&state.db, &id, user.id).await?;
    Ok(crate::export::csv_response(state, record).await)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"answers": {
    "email": "ada@example.com", "name": "Ada Lovelace", "size": 12, "country": "DE",
    "topics": ["api", "sso"], "agree": true
}}))]
pub struct Submission {
    /// Answers by field identifier: text as strings, numbers as numbers or strings, a
    /// multi-select as a list, a checkbox as `true`.
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// `1` (or `true`) routes the answers without storing them.
    #[param(pattern = "^(0|1|true|false)$")]
    pub dry_run: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteTaken {
    /// `null` for the fallback.
    pub id: Option<String>,
    pub name: String,
    /// What happens next, with answers substituted into URLs.
    pub action: Action,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitResult {
    /// `null` on a dry run.
    pub response_id: Option<String>,
    pub route: RouteTaken,
}

/// A respondent's answers: checked by the form's field types, routed, and stored. Needs
/// no key; limited per client address.
#[utoipa::path(post, path = "/forms/{id}/responses", tag = "responses",
    params(("id" = String, Path, description = "The form's id"), SubmitQuery),
    request_body = Submission,
    responses(
        (status = 201, description = "Stored and routed", body = SubmitResult),
        (status = 200, description = "Routed without storing (dry run)", body = SubmitResult),
        (status = 400, description = "The body is not JSON, or a query parameter is unknown", body = ErrorBody),
        (status = 404, description = "No such form", body = ErrorBody),
        (status = 409, description = "The form is not accepting responses", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "Answers were refused, by identifier", body = ErrorBody),
        (status = 429, description = "Too many submissions from this address", body = ErrorBody),
    ))]
async fn submit_response(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Params(query): Params<SubmitQuery>,
    Body(submission): Body<Submission>,
) -> ApiResult<Response> {
    if let Some(ip) = ip {
        state.api_limiter.check_submit(ip)?;
    }
    let dry_run = match query.dry_run.as_deref() {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("dry_run is 1 or 0, not {other:?}."),
            ));
        }
    };
    let record = db::find(&state.db, &id)
        .await?
        .ok_or_else(|| AppError::NotFound("That form".into()))?;
    if !record.definition.settings.enabled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "This form is not accepting responses.",
        ));
    }
    let raw: RawAnswers = submission.answers.into_iter().collect();
    let mut budget = Budget::new(SUBMISSION_BUDGET);
    let checked = service::check(&record, &raw, UnknownKeys::Reject, &mut budget)
        .await
        .map_err(|fields| AppError::Validation {
            message: "Some answers were refused.".into(),
            fields,
        })?;
    service::check_uploads(&state.db, &record, &checked).await?;
    let decision = service::decide(&state.db, &record, &checked.values, &mut budget).await?;
    let response_id = if dry_run {
        None
    } else {
        Some(service::store(&state.db, &record, &checked, &decision).await?)
    };
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(SubmitResult {
            response_id,
            route: RouteTaken {
                id: decision.route_id,
                name: decision.route_name,
                action: decision.action,
            },
        }),
    )
        .into_response())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "forms",
    responses((status = 200, description = "The OpenAPI 3.1 document of /api/v1", body = Object)))]
async fn openapi_json(
    axum::Extension(doc): axum::Extension<std::sync::Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json((*doc).clone())
}
