//! Sign-up, log-in, log-out, the current user and password changes.

use leptos::prelude::*;

use crate::auth::SessionUser;
use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::context::{
    USER_ID_KEY, client_ip, redirect_plain_form_post, require_user, session, state,
};

/// Starts a fresh session for `user`, cycling the id so a planted cookie is worthless.
#[cfg(feature = "ssr")]
async fn start_session(user: &SessionUser) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session
        .insert(USER_ID_KEY, user.id)
        .await
        .map_err(AppError::internal)
}

#[server(endpoint = "auth/signup")]
pub async fn signup(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = state()?;
    state.login_limiter.check_sign_up(client_ip().await)?;
    let account = crate::auth::NewAccount::new(&email, &password);
    let user =
        crate::services::accounts::register(&state, account, crate::auth::Role::User).await?;
    start_session(&user).await?;
    tracing::info!(user_id = user.id, "account created");
    redirect_plain_form_post(crate::auth::safe_next(next.as_deref(), "/dashboard"));
    Ok(())
}

#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = state()?;
    let ip = client_ip().await;
    let user = crate::services::accounts::authenticate(
        &state.db,
        &state.login_limiter,
        &email,
        &password,
        ip,
    )
    .await?;
    start_session(&user).await?;
    crate::services::accounts::logged_in(&state, &user).await;
    redirect_plain_form_post(crate::auth::safe_next(next.as_deref(), "/dashboard"));
    Ok(())
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    session().await?.flush().await.map_err(AppError::internal)?;
    redirect_plain_form_post("/login");
    Ok(())
}

/// The signed-in user, or `None` for a visitor. Never fails for being anonymous.
#[server(endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    super::context::current_user().await
}

/// Changes the password. Every other session of the account ends (this one stays signed
/// in); `revoke_api_keys` (a checkbox: any value) also revokes all of the account's API keys.
/// Returns how many sessions and keys were ended.
#[server(endpoint = "account/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    revoke_api_keys: Option<String>,
) -> Result<(u64, u64), AppError> {
    let user = require_user().await?;
    let session = session().await?;
    let keep = session.id().map(|id| id.to_string());
    let done = crate::services::accounts::change_password(
        &state()?.db,
        user.id,
        &current_password,
        &new_password,
        keep.as_deref(),
        revoke_api_keys.is_some(),
    )
    .await?;
    tracing::info!(
        user_id = user.id,
        sessions_ended = done.sessions_ended,
        keys_revoked = done.keys_revoked,
        "password changed"
    );
    Ok((done.sessions_ended, done.keys_revoked))
}
