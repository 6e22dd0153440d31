//! The owner's notices: new responses (left by `submissions::submit`) and what their apps
//! told them (`HostApi::notify`).

use crate::db::Db;
use crate::error::AppError;
use crate::forms::{AppNotice, Unread};
use crate::state::AppState;

pub use crate::db::notifications::{mark_read, unread};

/// The user's unread notices from their apps, each with its app's name.
pub async fn unread_from_apps(state: &AppState, user_id: i64) -> Result<Vec<AppNotice>, AppError> {
    let registry = state.apps.registry();
    let mut notices = crate::db::notifications::unread_app_notices(&state.db, user_id).await?;
    for notice in &mut notices {
        if let Some(manifest) = registry.manifest(&notice.app) {
            notice.app_name = manifest.name.clone();
        }
    }
    Ok(notices)
}

/// Leaves `user_id` a notice from their installation `installation_id` of `app`.
pub async fn from_app(db: &Db, user_id: i64, installation_id: &str, app: &str, text: &str) -> Result<(), AppError> {
    crate::db::notifications::insert_app_notice(db, user_id, installation_id, app, text).await
}

/// Both kinds at once, for the dashboard.
pub async fn all_unread(state: &AppState, user_id: i64) -> Result<Unread, AppError> {
    Ok(Unread {
        responses: unread(&state.db, user_id).await?,
        apps: unread_from_apps(state, user_id).await?,
    })
}
