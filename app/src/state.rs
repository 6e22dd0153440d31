//! What every request handler and server function can reach on the server.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::auth::{ApiLimiter, LoginLimiter};
use crate::db::Db;

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub login_limiter: Arc<LoginLimiter>,
    pub api_limiter: Arc<ApiLimiter>,
    /// Where uploaded files and other server-side data live.
    pub data_dir: PathBuf,
}
