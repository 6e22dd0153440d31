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
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
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
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
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
