//! `AppError`: the one error type shared by server functions, pages and the browser.
//!
//! It crosses the wire as JSON, so the browser sees the same variant the server chose.
//! Internal causes are logged on the server with `tracing` and never serialized.

use std::collections::BTreeMap;

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Field name → messages, for errors shown next to the input they concern.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// The request is well-formed but its values are not acceptable.
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("Please log in to continue.")]
    Unauthorized,
    /// An API call without a valid key (401 with `WWW-Authenticate: Bearer`).
    #[error("{0}")]
    BadKey(String),
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// The form is closed to respondents (one answer on the page, the API and the router).
    #[error("{0}")]
    Closed(String),
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than this endpoint or form accepts.
    #[error("{0}")]
    TooLarge(String),
    /// The body is not in a format the endpoint reads (not declared as JSON, say).
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    /// Something failed on the server; the cause is in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server function or its answer could not be read.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    /// A validation error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_owned(), vec![message.clone()]);
        AppError::Validation { message, fields }
    }

    /// The messages for one field, if this is a validation error that names it.
    pub fn messages_for(&self, field: &str) -> &[String] {
        match self {
            AppError::Validation { fields, .. } => {
                fields.get(field).map(Vec::as_slice).unwrap_or(&[])
            }
            _ => &[],
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized | AppError::BadKey(_) => 401,
            AppError::Forbidden | AppError::Closed(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooLarge(_) => 413,
            AppError::UnsupportedMedia(_) => 415,
            AppError::RateLimited { .. } => 429,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// Logs `cause` on the server and returns the opaque `Internal` error.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let location = std::panic::Location::caller();
        tracing::error!(%location, "internal error: {cause}");
        AppError::Internal
    }
}

/// Outside server functions (the JSON API, the headless router, downloads) an error is
/// answered as JSON: `{"error": message, "errors": {path: [messages]}}`, the field errors
/// only for a validation error. Server functions send the whole `AppError` instead, for the
/// browser to decode, and get the same status and headers from [`AppError::headers`].
#[cfg(feature = "ssr")]
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<FieldErrors>,
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The headers that go with this error's status: `Retry-After` when rate limited,
    /// `WWW-Authenticate` when an API key is missing or wrong.
    pub fn headers(&self, headers: &mut http::HeaderMap) {
        match self {
            AppError::RateLimited { retry_after_secs } => {
                headers.insert(http::header::RETRY_AFTER, (*retry_after_secs).into());
            }
            AppError::BadKey(_) => {
                headers.insert(
                    http::header::WWW_AUTHENTICATE,
                    http::HeaderValue::from_static("Bearer"),
                );
            }
            _ => {}
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.to_string(),
            errors: match self {
                AppError::Validation { fields, .. } => Some(fields.clone()),
                _ => None,
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(self.body())).into_response();
        self.headers(response.headers_mut());
        response
    }
}

/// A database error is an internal error: its cause is logged (where the `?` stands) and
/// never sent to the client.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        AppError::internal(e)
    }
}

impl From<garde::Report> for AppError {
    fn from(report: garde::Report) -> Self {
        let mut fields = FieldErrors::new();
        for (path, error) in report.iter() {
            let key = path.to_string();
            let key = if key.is_empty() {
                "form".to_owned()
            } else {
                key
            };
            fields
                .entry(key)
                .or_default()
                .push(error.message().to_owned());
        }
        let message = match fields.len() {
            1 => "Please correct the highlighted field.".to_owned(),
            n => format!("Please correct the {n} highlighted fields."),
        };
        AppError::Validation { message, fields }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::BadRequest(format!("The request could not be read: {msg}"))
            }
            ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(format!("A required value is missing: {msg}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use garde::Validate;

    #[derive(Validate)]
    struct Sample {
        #[garde(length(min = 3))]
        name: String,
    }

    #[test]
    fn garde_reports_become_field_errors() {
        let err: AppError = Sample { name: "a".into() }.validate().unwrap_err().into();
        assert_eq!(err.status(), 422);
        assert_eq!(err.messages_for("name").len(), 1);
        assert!(err.messages_for("other").is_empty());
    }

    #[test]
    fn errors_round_trip_as_json() {
        let err = AppError::field("email", "This email is already registered.");
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }
}
