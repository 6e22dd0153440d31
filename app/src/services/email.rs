//! The Email notifications app's delivery log, on its installation's page and in the API:
//! a page of its e-mails, sending one again, and a test e-mail. Every call is its user's:
//! another user's installation is not found.

use crate::apps::email::SLUG;
use crate::apps::webhooks::{DeliveryPage, DeliveryView};
use crate::auth::SessionUser;
use crate::db::apps::{InstallationRow, find_installation};
use crate::error::AppError;
use crate::services::outbox;
use crate::state::AppState;

/// `user`'s Email notifications installation `id`.
async fn owned(state: &AppState, user: &SessionUser, id: &str) -> Result<InstallationRow, AppError> {
    find_installation(&state.db, id, user.id)
        .await?
        .filter(|row| row.app == SLUG)
        .ok_or_else(|| AppError::NotFound("That Email notifications installation".into()))
}

fn sending(row: &InstallationRow) -> Result<(), AppError> {
    if row.active {
        Ok(())
    } else {
        Err(AppError::Conflict("The app is switched off; switch it on to send e-mails.".into()))
    }
}

/// The installation's e-mails, newest first, `limit` at a time, older than `before`.
pub async fn deliveries(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    before: Option<&str>,
    limit: Option<i64>,
) -> Result<DeliveryPage, AppError> {
    let row = owned(state, user, id).await?;
    outbox::log_page(state, user.id, &row.id, before, limit).await
}

/// Sends an e-mail again at once.
pub async fn redeliver(state: &AppState, user: &SessionUser, id: &str, delivery: &str) -> Result<DeliveryView, AppError> {
    let row = owned(state, user, id).await?;
    sending(&row)?;
    outbox::redeliver(state, user.id, &row.id, delivery).await
}

/// Queues a test e-mail with the saved settings.
pub async fn send_test(state: &AppState, user: &SessionUser, id: &str) -> Result<DeliveryView, AppError> {
    let row = owned(state, user, id).await?;
    sending(&row)?;
    let delivery = outbox::enqueue_test_email(state, user.id, &row.id).await?;
    outbox::logged(state, user.id, &row.id, &delivery).await
}
