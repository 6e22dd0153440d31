//! Server functions for the owner's notices: new responses and what their apps told them.

use leptos::prelude::*;

use crate::error::AppError;

pub use crate::forms::{AppNotice, Notice, Unread};

#[cfg(feature = "ssr")]
use super::context::{require_user, state};

/// Unread notices of new responses (by form), and from apps (newest first).
#[server(endpoint = "notifications/unread")]
pub async fn unread_notices() -> Result<Unread, AppError> {
    let user = require_user().await?;
    crate::services::notices::all_unread(&state()?, user.id).await
}

#[server(endpoint = "notifications/read")]
pub async fn mark_notices_read() -> Result<(), AppError> {
    let user = require_user().await?;
    crate::services::notices::mark_read(&state()?.db, user.id).await
}
