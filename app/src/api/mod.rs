//! Server functions, grouped by area. They stay thin: take the state and the user from
//! context, call the domain code and `services/`, and return `AppError`s; the server gives each
//! error its HTTP status (`AppError::status`).

pub mod api_keys;
pub mod apps;
pub mod auth;
pub mod forms;
pub mod notifications;
pub mod public;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub(crate) mod context {
    use leptos::prelude::*;
    use tower_sessions::Session;

    use crate::auth::SessionUser;
    use crate::error::AppError;
    use crate::state::AppState;

    pub use crate::auth::SESSION_USER_ID_KEY as USER_ID_KEY;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>()
            .await
            .map_err(AppError::internal)
    }

    /// The signed-in user, if any. A session pointing at a deleted user counts as none.
    pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
        let session = session().await?;
        let Some(id) = session
            .get::<i64>(USER_ID_KEY)
            .await
            .map_err(AppError::internal)?
        else {
            return Ok(None);
        };
        Ok(crate::services::accounts::find_by_id(&state()?.db, id)
            .await?
            .map(|record| record.user))
    }

    /// The signed-in user, or `Unauthorized` (401).
    pub async fn require_user() -> Result<SessionUser, AppError> {
        current_user().await?.ok_or(AppError::Unauthorized)
    }

    /// The client's address (the socket's peer), when the server was started with it.
    pub async fn client_ip() -> Option<std::net::IpAddr> {
        leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()
            .map(|info| info.0.ip())
    }

    /// After a plain HTML form post (no JavaScript), answers with a redirect to `path`.
    /// Hydrated pages navigate themselves once the call succeeds.
    pub fn redirect_plain_form_post(path: &str) {
        let accepts_html = use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::ACCEPT).cloned())
            .and_then(|accept| accept.to_str().ok().map(|a| a.contains("text/html")))
            .unwrap_or(false);
        if accepts_html {
            leptos_axum::redirect(path);
        }
    }
}
