//! Server functions for the owner's notices about new responses.

use leptos::prelude::*;

use crate::error::AppError;

/// Unread responses of one form, for its owner.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub form_id: String,
    pub form_name: String,
    pub count: i64,
    /// Unix seconds of the newest response.
    pub latest: i64,
}

#[cfg(feature = "ssr")]
use super::context::{require_user, state};

#[server(endpoint = "notifications/unread")]
pub async fn unread_notices() -> Result<Vec<Notice>, AppError> {
    let user = require_user().await?;
    crate::db::notifications::unread(&state()?.db, user.id).await
}

#[server(endpoint = "notifications/read")]
pub async fn mark_notices_read() -> Result<(), AppError> {
    let user = require_user().await?;
    crate::db::notifications::mark_read(&state()?.db, user.id).await
}
