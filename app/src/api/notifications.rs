//! Server functions for the owner's notices about new responses.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::forms::Notice;

#[cfg(feature = "ssr")]
use super::context::{require_user, state};

#[server(endpoint = "notifications/unread")]
pub async fn unread_notices() -> Result<Vec<Notice>, AppError> {
    let user = require_user().await?;
    crate::services::notices::unread(&state()?.db, user.id).await
}

#[server(endpoint = "notifications/read")]
pub async fn mark_notices_read() -> Result<(), AppError> {
    let user = require_user().await?;
    crate::services::notices::mark_read(&state()?.db, user.id).await
}
