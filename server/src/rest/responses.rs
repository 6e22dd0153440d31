//! `/api/v1/forms/{id}/responses`: reading a form's responses (with its key) and
//! submitting answers (without one).

use app::error::AppError;
use app::forms::Action;
use app::forms::answers::RawAnswers;
use app::services::forms as form_service;
use app::services::submissions::{self, Channel};
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::{ApiUser, Body, ClientIp, ErrorBody, Params};

/// Most responses one page of the listing holds.
const MAX_PAGE: i64 = 200;

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
        (status = 404, description = "No such form of this user", body = ErrorBody),
        (status = 422, description = "A date is not YYYY-MM-DD or the limit is out of range", body = ErrorBody),
    ))]
pub(super) async fn list_responses(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
    Params(query): Params<ResponsesQuery>,
) -> Result<Json<ResponsePage>, AppError> {
    let form = form_service::find_owned(&state.db, &id, user.id).await?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field(
            "limit",
            format!("Ask for 1 to {MAX_PAGE} responses a page."),
        ));
    }
    let filter = submissions::ResponseFilter::parse(query.route, query.from, query.to)?;
    let rows =
        submissions::responses_page(&state.db, &id, &filter, query.cursor.as_deref(), limit + 1)
            .await?;
    let linked = form_service::linked_routes(&state.db, &form.definition, user.id).await?;
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
        (status = 404, description = "No such form of this user", body = ErrorBody),
    ))]
pub(super) async fn responses_csv(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let record = form_service::find_owned(&state.db, &id, user.id).await?;
    crate::export::csv_response(state, record).await
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
        (status = 403, description = "The form is not accepting responses", body = ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = ErrorBody),
        (status = 422, description = "Answers were refused, by identifier", body = ErrorBody),
        (status = 429, description = "Too many submissions from this address", body = ErrorBody),
    ))]
pub(super) async fn submit_response(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Params(query): Params<SubmitQuery>,
    Body(submission): Body<Submission>,
) -> Result<Response, AppError> {
    if let Some(ip) = ip {
        state.api_limiter.check_submit(ip)?;
    }
    let dry_run = match query.dry_run.as_deref() {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "dry_run is 1 or 0, not {other:?}."
            )));
        }
    };
    let record = submissions::open_form(&state, &id).await?;
    let raw: RawAnswers = submission.answers.into_iter().collect();
    let done = submissions::submit(
        &state,
        &record,
        submissions::Submission {
            channel: Channel::Api,
            raw: &raw,
            files: &[],
            problems: Default::default(),
            dry_run,
            params: Default::default(),
            client_ip: ip,
        },
    )
    .await?;
    let (response_id, decision) = (done.response_id, done.decision);
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
