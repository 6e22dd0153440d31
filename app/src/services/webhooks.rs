//! The Webhooks app's endpoints: adding, changing, rotating and removing them, their
//! delivery log, redelivery and test events. Every call is its user's: another user's
//! endpoint is not found. Secrets are sealed at rest and returned only when made.

use crate::apps::builtin::webhooks::SLUG as WEBHOOKS;
use crate::apps::webhooks::{CreatedEndpoint, DeliveryPage, DeliveryView, EndpointView, subscribable};
use crate::auth::SessionUser;
use crate::db::now;
use crate::db::outbox::{self as db, EndpointRow};
use crate::delivery::{outbound, signing};
use crate::error::AppError;
use crate::services::{apps, outbox};
use crate::state::AppState;

/// How long a rotated-out secret keeps signing.
pub const OLD_SECRET_SECONDS: i64 = 24 * 3600;
/// The most endpoints one user may have.
pub const MAX_ENDPOINTS: usize = 20;

/// What a new endpoint is, as sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointInput {
    pub url: String,
    pub events: Vec<String>,
    pub form_id: Option<String>,
}

/// A change to an endpoint: each field given is replaced. `form_id: Some(None)` lifts the
/// limit to one form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub form_id: Option<Option<String>>,
    pub active: Option<bool>,
}

async fn view(state: &AppState, row: &EndpointRow) -> EndpointView {
    let form_name = match &row.form_id {
        Some(id) => crate::db::forms::find(&state.db, id).await.ok().flatten().map(|f| f.definition.name),
        None => None,
    };
    EndpointView {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.event_names(),
        form_id: row.form_id.clone(),
        form_name,
        active: row.active,
        disabled_reason: row.disabled_reason.clone(),
        old_secret_until: row.old_until.filter(|until| *until > now()),
        created_at: row.created_at,
    }
}

fn check_url(state: &AppState, url: &str) -> Result<String, AppError> {
    outbound::check_url(url, state.delivery.outbound.allows_private())
        .map(|u| u.to_string())
        .map_err(|e| AppError::field("url", e))
}

fn check_events(events: &[String]) -> Result<String, AppError> {
    let known: Vec<&str> = subscribable().iter().map(|(name, _)| *name).collect();
    if events.is_empty() {
        return Err(AppError::field("events", format!("Choose at least one event: {}.", known.join(", "))));
    }
    for event in events {
        if !known.contains(&event.as_str()) {
            return Err(AppError::field(
                "events",
                format!("\"{event}\" is not an event Junction sends; choose from {}.", known.join(", ")),
            ));
        }
    }
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    serde_json::to_string(&events).map_err(AppError::internal)
}

async fn check_form(state: &AppState, user: &SessionUser, form_id: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(id) = form_id.map(str::trim).filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    match crate::db::forms::find_owned(&state.db, id, user.id).await {
        Ok(record) => Ok(Some(record.id)),
        Err(AppError::NotFound(_)) => Err(AppError::field("form_id", format!("You have no form \"{id}\"."))),
        Err(e) => Err(e),
    }
}

/// Installs and switches on the Webhooks app for `user` if it is not running, granting
/// the permissions it asks for (adding an endpoint is the consent).
async fn ensure_app(state: &AppState, user: &SessionUser) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let mine = crate::db::apps::installations_of(&state.db, user.id).await?;
    let installation = match mine.iter().find(|i| i.app == WEBHOOKS) {
        Some(i) if i.active => return Ok(()),
        Some(i) => i.id.clone(),
        None => {
            let grant = registry
                .manifest(WEBHOOKS)
                .map(|m| m.permissions.clone())
                .unwrap_or_default();
            apps::install(state, user, WEBHOOKS, &grant, None, None).await?
        }
    };
    apps::set_active(state, user, &installation, true).await?;
    Ok(())
}

async fn owned(state: &AppState, user: &SessionUser, id: &str) -> Result<EndpointRow, AppError> {
    db::find_endpoint(&state.db, id, user.id)
        .await?
        .ok_or_else(|| AppError::NotFound("That webhook endpoint".into()))
}

/// Adds an endpoint, installing and switching on the Webhooks app if needed. The secret
/// is returned this once.
pub async fn create(state: &AppState, user: &SessionUser, input: EndpointInput) -> Result<CreatedEndpoint, AppError> {
    let url = check_url(state, &input.url)?;
    let events = check_events(&input.events)?;
    let form_id = check_form(state, user, input.form_id.as_deref()).await?;
    if db::endpoints_of(&state.db, user.id).await?.len() >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!("You have {MAX_ENDPOINTS} endpoints, the most one account may have.")));
    }
    ensure_app(state, user).await?;
    let secret = signing::new_secret();
    let at = now();
    let row = EndpointRow {
        id: crate::forms::new_id(),
        user_id: user.id,
        url,
        events,
        form_id,
        active: true,
        secret: state.apps.keyring.seal(&secret).map_err(AppError::internal)?,
        old_secret: None,
        old_until: None,
        disabled_reason: None,
        created_at: at,
    };
    db::insert_endpoint(&state.db, &row).await?;
    Ok(CreatedEndpoint { endpoint: view(state, &row).await, secret })
}

pub async fn list(state: &AppState, user: &SessionUser) -> Result<Vec<EndpointView>, AppError> {
    let mut views = Vec::new();
    for row in db::endpoints_of(&state.db, user.id).await? {
        views.push(view(state, &row).await);
    }
    Ok(views)
}

pub async fn get(state: &AppState, user: &SessionUser, id: &str) -> Result<EndpointView, AppError> {
    Ok(view(state, &owned(state, user, id).await?).await)
}

/// Changes an endpoint. Switching it on clears a 410's switch-off.
pub async fn update(state: &AppState, user: &SessionUser, id: &str, patch: EndpointPatch) -> Result<EndpointView, AppError> {
    let mut row = owned(state, user, id).await?;
    if let Some(url) = &patch.url {
        row.url = check_url(state, url)?;
    }
    if let Some(events) = &patch.events {
        row.events = check_events(events)?;
    }
    if let Some(form_id) = &patch.form_id {
        row.form_id = check_form(state, user, form_id.as_deref()).await?;
    }
    if let Some(active) = patch.active {
        row.active = active;
        if active {
            row.disabled_reason = None;
        }
    }
    db::update_endpoint(&state.db, &row).await?;
    Ok(view(state, &row).await)
}

pub async fn delete(state: &AppState, user: &SessionUser, id: &str) -> Result<(), AppError> {
    if db::delete_endpoint(&state.db, id, user.id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("That webhook endpoint".into()))
    }
}

/// A new secret for the endpoint, returned this once; the previous one keeps signing
/// beside it for a day, so receivers can switch without missing an event.
pub async fn rotate_secret(state: &AppState, user: &SessionUser, id: &str) -> Result<CreatedEndpoint, AppError> {
    let mut row = owned(state, user, id).await?;
    let secret = signing::new_secret();
    row.old_secret = Some(row.secret.clone());
    row.old_until = Some(now() + OLD_SECRET_SECONDS);
    row.secret = state.apps.keyring.seal(&secret).map_err(AppError::internal)?;
    db::update_endpoint(&state.db, &row).await?;
    Ok(CreatedEndpoint { endpoint: view(state, &row).await, secret })
}

/// Queues a test event for the endpoint; returns its delivery.
pub async fn send_test(state: &AppState, user: &SessionUser, id: &str) -> Result<DeliveryView, AppError> {
    let row = owned(state, user, id).await?;
    if !row.active || row.disabled_reason.is_some() {
        return Err(AppError::Conflict("The endpoint is switched off; switch it on to send it events.".into()));
    }
    let delivery = outbox::enqueue_test(state, &row).await?;
    outbox::logged(state, user.id, &row.id, &delivery).await
}

/// The endpoint's deliveries, newest first, `limit` at a time, older than `before`.
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

/// Sends a delivery again at once, with the same event id.
pub async fn redeliver(state: &AppState, user: &SessionUser, endpoint: &str, id: &str) -> Result<DeliveryView, AppError> {
    let row = owned(state, user, endpoint).await?;
    if !row.active || row.disabled_reason.is_some() {
        return Err(AppError::Conflict("The endpoint is switched off; switch it on to send it events.".into()));
    }
    outbox::redeliver(state, user.id, endpoint, id).await
}
