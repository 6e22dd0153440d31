//! `/api/v1`: the public JSON API for integrators. Keys (`Authorization: Bearer jk_…`) act
//! as their user; the one public endpoint takes a respondent's answers. One file per
//! resource (`forms.rs`, `responses.rs`); this file holds the document, the extractors and
//! what every endpoint shares. Every handler is registered through `utoipa-axum` from its
//! `#[utoipa::path]` annotation, so the OpenAPI 3.1 document at `/api/v1/openapi.json`
//! lists exactly the routes that exist.
//!
//! Handlers stay thin: they read the request and call `app::services`, the code the pages
//! use. They return `Result<_, AppError>`; `AppError`'s one `IntoResponse` gives the status
//! and the JSON body (`ErrorBody`).

use std::net::{IpAddr, SocketAddr};

use app::auth::SessionUser;
use app::error::AppError;
pub use app::error::ErrorBody;
use app::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod apps;
mod forms;
pub(crate) mod publishing;
mod responses;
mod webhooks;

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
    components(schemas(ErrorBody)),
    tags((name = "forms"), (name = "responses"), (name = "apps"), (name = "webhooks"))
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

/// The answers every endpoint that takes a key may give, added here once rather than on
/// each handler: 401 without a valid key, 429 past the key's rate. Applied to the whole
/// document once the routes have added their paths (see [`parts`]).
struct KeyedResponses;

impl Modify for KeyedResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let keyed = operation
                    .security
                    .as_ref()
                    .is_some_and(|requirements| !requirements.is_empty());
                if !keyed {
                    continue;
                }
                let responses = &mut operation.responses.responses;
                responses
                    .entry("401".into())
                    .or_insert_with(|| error("No valid API key"));
                responses
                    .entry("429".into())
                    .or_insert_with(|| error("Too many calls with this key"));
            }
        }
    }
}

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(forms::list_forms, forms::create_form))
        .routes(routes!(
            forms::get_form,
            forms::update_form,
            forms::delete_form
        ))
        .routes(routes!(
            responses::list_responses,
            responses::submit_response
        ))
        .routes(routes!(responses::responses_csv))
        .routes(routes!(apps::list_apps, publishing::upload_app))
        .routes(routes!(publishing::list_versions))
        .routes(routes!(publishing::submit_version))
        .routes(routes!(publishing::approve_version))
        .routes(routes!(publishing::reject_version))
        .routes(routes!(publishing::withdraw_version))
        .routes(routes!(apps::get_app))
        .routes(routes!(apps::list_installations, apps::create_installation))
        .routes(routes!(apps::get_installation, apps::delete_installation))
        .routes(routes!(apps::put_config))
        .routes(routes!(apps::activate))
        .routes(routes!(apps::deactivate))
        .routes(routes!(apps::update))
        .routes(routes!(apps::rollback))
        .routes(routes!(apps::audit))
        .routes(routes!(apps::list_emails))
        .routes(routes!(apps::resend_email))
        .routes(routes!(webhooks::list_webhooks, webhooks::create_webhook))
        .routes(routes!(
            webhooks::get_webhook,
            webhooks::update_webhook,
            webhooks::delete_webhook
        ))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::test_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(openapi_json))
}

/// The router and its whole OpenAPI document.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = api().split_for_parts();
    KeyedResponses.modify(&mut doc);
    (router, doc)
}

/// The `/api/v1` router, to be nested there.
pub fn routes() -> Router<AppState> {
    let (router, doc) = parts();
    router
        .layer(axum::Extension(std::sync::Arc::new(doc)))
        .fallback(|| async {
            AppError::NotFound("This endpoint of /api/v1".into()).into_response()
        })
}

/// The OpenAPI document, as `/api/v1/openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    parts().1
}

// ---------------------------------------------------------------------------------------
// Extractors

/// The user an API key acts as, after the per-user rate limit.
pub struct ApiUser(pub SessionUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(AppError::BadKey(
                "Send an API key as `Authorization: Bearer <key>`; create one in Settings.".into(),
            ));
        };
        let key = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                AppError::BadKey("The Authorization header must read `Bearer <key>`.".into())
            })?;
        let user = app::services::api_keys::authenticate(&state.db, key)
            .await?
            .ok_or_else(|| {
                AppError::BadKey("This API key is not valid: it may have been revoked.".into())
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
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out (no body at all): `T::default()` then. A body that is
/// sent is read as [`Body`] reads it.
pub struct OptionalBody<T>(T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalBody<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let headers = request.headers();
        let declared_empty = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == "0");
        let untyped = !headers.contains_key(axum::http::header::CONTENT_TYPE);
        if declared_empty || (untyped && !headers.contains_key(axum::http::header::TRANSFER_ENCODING)
            && !headers.contains_key(axum::http::header::CONTENT_LENGTH))
        {
            return Ok(OptionalBody(T::default()));
        }
        Body::<T>::from_request(request, state).await.map(|Body(value)| OptionalBody(value))
    }
}

/// axum's refusal of a body, with its own status and words: 400 not JSON, 415 not declared
/// as JSON, 413 too large, 422 JSON of the wrong shape (by the path `body`).
fn json_rejection(rejection: JsonRejection) -> AppError {
    let text = rejection.body_text();
    match rejection.status() {
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Validation {
            message: text.clone(),
            fields: [("body".to_owned(), vec![text])].into(),
        },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMedia(text),
        StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge(text),
        _ => AppError::BadRequest(text),
    }
}

/// Query parameters; unknown or malformed ones are refused naming the problem.
pub struct Params<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> AppError {
    AppError::BadRequest(rejection.body_text())
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "forms",
    responses((status = 200, description = "The OpenAPI 3.1 document of /api/v1", body = Object)))]
async fn openapi_json(
    axum::Extension(doc): axum::Extension<std::sync::Arc<utoipa::openapi::OpenApi>>,
) -> Json<utoipa::openapi::OpenApi> {
    Json((*doc).clone())
}
