//! Server functions for the signed-in user's API keys (Settings).

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{require_user, state};

pub use crate::auth::ApiKeyInfo;

#[server(endpoint = "api-keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyInfo>, AppError> {
    let user = require_user().await?;
    crate::services::api_keys::list(&state()?.db, user.id).await
}

/// Creates a key and returns it: the only time it is shown. A key acts as the account, so
/// the password is asked for again: a borrowed or stolen session alone cannot mint one.
#[server(endpoint = "api-keys/create")]
pub async fn create_api_key(name: String, password: String) -> Result<String, AppError> {
    let user = require_user().await?;
    let db = &state()?.db;
    crate::services::accounts::confirm_password(db, user.id, &password).await?;
    let (key, _) = crate::services::api_keys::create(db, user.id, &name).await?;
    Ok(key)
}

#[server(endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    crate::services::api_keys::revoke(&state()?.db, user.id, &id).await
}
