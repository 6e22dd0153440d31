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
    /// How many bytes of uploaded files one form may hold (`JUNCTION_FORM_STORAGE_MB`).
    pub upload_quota_bytes: u64,
    /// The apps: registry, secret keys, running installations.
    pub apps: Arc<crate::apps::running::Apps>,
    /// Outbound delivery: the HTTP client and the worker's wake-up.
    pub delivery: Arc<crate::delivery::Delivery>,
    /// The one writer of responses, many to a transaction: a
    /// `services::group_commit::ResponseWriter`, held without naming its type, which would
    /// make `state` and `services` import each other (`ResponseWriter::of` finds it).
    pub responses: Arc<dyn std::any::Any + Send + Sync>,
}

/// The default of `JUNCTION_FORM_STORAGE_MB`.
pub const DEFAULT_FORM_STORAGE_MB: u64 = 1024;

impl AppState {
    /// Where a form's uploaded files live, one file per upload id.
    pub fn upload_dir(&self, form_id: &str) -> PathBuf {
        self.data_dir.join("uploads").join(form_id)
    }

    /// Where files being received are written until their submission is stored; the same
    /// file system as `upload_dir`, so moving one into place is a rename.
    pub fn incoming_dir(&self) -> PathBuf {
        self.data_dir.join("uploads").join(".incoming")
    }
}
