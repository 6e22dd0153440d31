//! Action events after a change commits: the outbox for receivers outside Junction, and
//! the in-process action handlers of the owner's apps.
//!
//! A change that fires an action calls [`enqueue`] inside its own transaction, which
//! writes one outbox row per receiver (the owner's webhook endpoints that take the event,
//! and their Email notifications installation),
//! so the event exists exactly when the change does. After the commit it calls [`fired`],
//! which wakes the delivery worker and runs the apps' action handlers concurrently, each
//! with its own timeout, on a task of its own: nothing the handlers do reaches the request.
//!
//! The worker ([`spawn_worker`], run by `junction serve`) claims due rows (see
//! `db::outbox::claim`; on PostgreSQL several servers share the work), sends them (a
//! webhook signed, an e-mail over the owner's SMTP server), and records each attempt; a failure is tried again on the schedule of
//! `delivery::schedule`. A row claimed by a server that then died is claimed again once its
//! lease ends, so a crash at any moment loses nothing; receivers de-duplicate by the
//! event's id.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::apps::builtin::email;
use crate::apps::builtin::webhooks::SLUG as WEBHOOKS;
use crate::apps::manifest::Scope;
use crate::apps::webhooks::{AttemptView, DeliveryPage, DeliveryView};
use crate::db::now;
use crate::db::outbox::{self as db, AttemptRecord, DeliveryRow, EndpointRow, NewDelivery};
use crate::delivery::schedule;
use crate::delivery::signing;
use crate::error::AppError;
use crate::hooks::Action;
use crate::state::AppState;

/// How long a worker holds the rows it claimed (a send times out well before).
pub const LEASE_SECONDS: i64 = 60;
/// How many due rows one claim takes.
pub const BATCH: i64 = 256;
/// How many requests one worker has in flight.
pub const CONCURRENCY: usize = 64;
/// How long a worker waits for a wake-up before looking for due rows anyway (retries come
/// due, and other servers commit events).
pub const POLL: Duration = Duration::from_secs(1);
/// How long finished deliveries stay in the log.
pub const KEEP_SECONDS: i64 = 30 * 24 * 3600;
/// The event type of a test event.
pub const TEST_EVENT: &str = "webhook.test";

/// The JSON body of an event: `{"type", "timestamp", "data"}`.
pub fn body(event: &str, at: i64, data: &Value) -> String {
    json!({"type": event, "timestamp": rfc3339(at), "data": data}).to_string()
}

fn rfc3339(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// A new event id (`msg_…`), stable across receivers, attempts and redeliveries.
pub fn event_id() -> String {
    format!("msg_{}", crate::forms::new_id())
}

/// Writes the event `H` with `payload` for each of `owner_id`'s receivers that take it,
/// in the caller's transaction `conn`: their webhook endpoints, and their running Email
/// notifications installation. `form_id` is the form the event concerns, for endpoints
/// limited to one form. Returns how many rows were written.
pub async fn enqueue<H: Action>(
    conn: &mut sqlx::AnyConnection,
    owner_id: i64,
    form_id: Option<&str>,
    payload: &H::Payload,
) -> Result<usize, AppError> {
    let rows = deliveries::<H>(conn, &mut Receivers::default(), owner_id, form_id, payload).await?;
    db::insert_deliveries(conn, &rows).await?;
    Ok(rows.len())
}

/// Who takes each owner's events, read once per transaction: a batch of responses
/// (`services::group_commit`) asks the database once per owner, not once per response.
/// Valid only within the transaction that read it.
#[derive(Default)]
pub struct Receivers {
    endpoints: HashMap<i64, Vec<(EndpointRow, String)>>,
    email: HashMap<i64, Vec<(String, String)>>,
}

/// The outbox rows [`enqueue`] would write, with the receivers `receivers` already read in
/// this transaction, for a caller that writes many events' rows at once
/// (`services::group_commit`).
pub async fn deliveries<H: Action>(
    conn: &mut sqlx::AnyConnection,
    receivers: &mut Receivers,
    owner_id: i64,
    form_id: Option<&str>,
    payload: &H::Payload,
) -> Result<Vec<NewDelivery>, AppError> {
    let name = H::POINT.name;
    let needed = crate::apps::hook_scopes(name).0;
    let granted = |target: &str, scopes: &str| {
        let granted: Vec<Scope> = serde_json::from_str(scopes).unwrap_or_default();
        let allowed = needed.is_none_or(|scope| granted.contains(&scope));
        if !allowed {
            tracing::warn!(target, hook = name, "not sent: {} was not granted", needed.map(Scope::name).unwrap_or_default());
        }
        allowed
    };
    let endpoints = match receivers.endpoints.entry(owner_id) {
        Entry::Occupied(known) => known.into_mut(),
        Entry::Vacant(slot) => slot.insert(db::receiving_endpoints(&mut *conn, owner_id, WEBHOOKS).await?),
    };
    let mut targets: Vec<(&'static str, String)> = endpoints
        .iter()
        .filter(|(endpoint, _)| endpoint.event_names().iter().any(|e| e == name))
        .filter(|(endpoint, _)| endpoint.form_id.is_none() || endpoint.form_id.as_deref() == form_id)
        .filter(|(endpoint, scopes)| granted(&endpoint.id, scopes))
        .map(|(endpoint, _)| (db::WEBHOOK, endpoint.id.clone()))
        .collect();
    if email::takes(name) {
        let installations = match receivers.email.entry(owner_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => {
                slot.insert(db::receiving_installations(&mut *conn, owner_id, email::SLUG).await?)
            }
        };
        for (installation, scopes) in installations.iter() {
            if granted(installation, scopes) {
                targets.push((db::EMAIL, installation.clone()));
            }
        }
    }
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let id = event_id();
    let at = now();
    let data = serde_json::to_value(payload).map_err(AppError::internal)?;
    let body = body(name, at, &data);
    Ok(targets
        .into_iter()
        .map(|(channel, target)| NewDelivery {
            event_id: id.clone(),
            user_id: owner_id,
            channel,
            target,
            event: name,
            body: body.clone(),
            created_at: at,
        })
        .collect())
}

/// After the change that enqueued `written` rows has committed: wakes the worker and runs
/// the owner's apps' action handlers for `H`, without waiting for them.
pub async fn fired<H: Action>(state: &AppState, owner_id: i64, written: usize, payload: H::Payload) {
    let registry = state.apps.registry();
    if written > 0 {
        state.delivery.wake.notify_one();
    }
    let hooks = registry.hooks();
    let running = crate::services::apps::running(state, owner_id).await;
    if hooks.any::<H>(&running.active) {
        drop(hooks.actions::<H>(&running.active, &payload));
    }
}

/// Writes the event `H` in `tx` (the change's own transaction), commits it, then does
/// what follows a commit ([`fired`]).
pub async fn commit_with<H: Action>(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    owner_id: i64,
    form_id: Option<&str>,
    payload: H::Payload,
) -> Result<(), AppError> {
    let written = enqueue::<H>(&mut tx, owner_id, form_id, &payload).await?;
    tx.commit().await?;
    fired::<H>(state, owner_id, written, payload).await;
    Ok(())
}

/// [`commit_with`] for an event several owners receive (each administrator, for the
/// site's `user.*` events): written for each in `tx`, committed once, then each one's
/// actions run.
pub async fn commit_for_each<H: Action>(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    owners: &[i64],
    payload: H::Payload,
) -> Result<(), AppError> {
    let mut written = Vec::with_capacity(owners.len());
    for &owner in owners {
        written.push(enqueue::<H>(&mut tx, owner, None, &payload).await?);
    }
    tx.commit().await?;
    for (&owner, written) in owners.iter().zip(written) {
        fired::<H>(state, owner, written, payload.clone()).await;
    }
    Ok(())
}

/// [`commit_with`] in a transaction of its own, for an event whose change is already
/// written.
pub async fn emit<H: Action>(
    state: &AppState,
    owner_id: i64,
    form_id: Option<&str>,
    payload: H::Payload,
) -> Result<(), AppError> {
    let tx = state.db.pool().begin().await?;
    commit_with::<H>(state, tx, owner_id, form_id, payload).await
}

/// Queues a test event for `endpoint` at once, whatever events it takes.
pub async fn enqueue_test(state: &AppState, endpoint: &EndpointRow) -> Result<String, AppError> {
    let data = json!({
        "endpoint_id": endpoint.id,
        "message": "A test event from Junction: if its signature checks out, your endpoint works.",
    });
    enqueue_one(state, endpoint.user_id, db::WEBHOOK, &endpoint.id, TEST_EVENT, &data).await
}

/// Queues a test e-mail for the Email notifications installation `installation` of
/// `owner_id` at once.
pub async fn enqueue_test_email(state: &AppState, owner_id: i64, installation: &str) -> Result<String, AppError> {
    let data = json!({"installation_id": installation});
    enqueue_one(state, owner_id, db::EMAIL, installation, email::TEST_EVENT, &data).await
}

async fn enqueue_one(
    state: &AppState,
    owner_id: i64,
    channel: &'static str,
    target: &str,
    event: &'static str,
    data: &Value,
) -> Result<String, AppError> {
    let at = now();
    let id = db::insert_delivery(
        state.db.pool(),
        &NewDelivery {
            event_id: event_id(),
            user_id: owner_id,
            channel,
            target: target.to_owned(),
            event,
            body: body(event, at, data),
            created_at: at,
        },
    )
    .await?;
    state.delivery.wake.notify_one();
    Ok(id)
}

/// The largest page of a delivery log.
pub const MAX_PAGE: i64 = 100;

/// A page of `user_id`'s deliveries to `target` (an endpoint or an installation), newest
/// first, `limit` (20 if not given) at a time, older than the cursor `before`.
pub async fn log_page(
    state: &AppState,
    user_id: i64,
    target: &str,
    before: Option<&str>,
    limit: Option<i64>,
) -> Result<DeliveryPage, AppError> {
    let limit = limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::field("limit", format!("Between 1 and {MAX_PAGE}.")));
    }
    let mut rows = db::deliveries_to(&state.db, user_id, target, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let mut deliveries = Vec::with_capacity(rows.len());
    for delivery in &rows {
        deliveries.push(to_view(state, delivery).await?);
    }
    Ok(DeliveryPage {
        next_cursor: if more { rows.last().map(|r| r.id.clone()) } else { None },
        deliveries,
    })
}

/// `user_id`'s delivery `id` to `target`, as its log shows it.
pub async fn logged(state: &AppState, user_id: i64, target: &str, id: &str) -> Result<DeliveryView, AppError> {
    let row = db::find_delivery(&state.db, user_id, target, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That delivery".into()))?;
    to_view(state, &row).await
}

/// Sends `user_id`'s delivery `id` to `target` again at once, with the same event id.
pub async fn redeliver(state: &AppState, user_id: i64, target: &str, id: &str) -> Result<DeliveryView, AppError> {
    logged(state, user_id, target, id).await?;
    db::redeliver(&state.db, id).await?;
    state.delivery.wake.notify_one();
    logged(state, user_id, target, id).await
}

async fn to_view(state: &AppState, row: &DeliveryRow) -> Result<DeliveryView, AppError> {
    let attempts = db::attempts_of(&state.db, &row.id)
        .await?
        .into_iter()
        .map(|a| AttemptView { at: a.at, status: a.status, duration_ms: a.duration_ms, error: a.error })
        .collect();
    Ok(DeliveryView {
        id: row.id.clone(),
        event_id: row.event_id.clone(),
        event: row.event.clone(),
        state: row.state.clone(),
        attempts,
        next_attempt_at: row.next_at.filter(|_| row.state == "pending"),
        last_status: row.last_status,
        last_error: row.last_error.clone(),
        created_at: row.created_at,
        body: serde_json::from_str(&row.body).unwrap_or(Value::Null),
    })
}

/// Runs the delivery worker until the process ends.
pub fn spawn_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut pruned_at = 0;
        loop {
            let at = now();
            match deliver_due(&state, at).await {
                Ok(0) => {}
                Ok(_) => continue, // more may be due at once
                Err(e) => tracing::warn!("delivering events: {e}"),
            }
            if at - pruned_at > 3600 {
                pruned_at = at;
                match db::prune(&state.db, at - KEEP_SECONDS).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("pruned {n} old deliveries"),
                    Err(e) => tracing::warn!("pruning deliveries: {e}"),
                }
            }
            tokio::select! {
                _ = state.delivery.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

/// Claims what is due at `now` (Unix seconds, the worker's clock) and sends it, at most
/// `CONCURRENCY` at a time, then records every attempt. Returns how many were attempted.
pub async fn deliver_due(state: &AppState, now: i64) -> Result<usize, AppError> {
    let claimed = db::claim(&state.db, now, now + LEASE_SECONDS, BATCH).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut endpoints: HashMap<String, Option<Arc<EndpointRow>>> = HashMap::new();
    for row in &claimed {
        if row.channel == db::WEBHOOK && !endpoints.contains_key(&row.target) {
            let found = db::endpoint_by_id(&state.db, &row.target).await?.map(Arc::new);
            endpoints.insert(row.target.clone(), found);
        }
    }
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut sending = JoinSet::new();
    for row in claimed {
        let endpoint = endpoints.get(&row.target).cloned().flatten();
        let state = state.clone();
        let limit = limit.clone();
        sending.spawn(async move {
            let _permit = limit.acquire_owned().await;
            if row.channel == db::EMAIL {
                (attempt_email(&state, &row, now).await, row, false)
            } else {
                attempt_webhook(&state, row, endpoint, now).await
            }
        });
    }
    let mut records = Vec::new();
    let mut gone = Vec::new();
    while let Some(joined) = sending.join_next().await {
        match joined {
            Ok((record, row, is_gone)) => {
                if is_gone {
                    gone.push(row);
                }
                records.push(record);
            }
            Err(e) => tracing::error!("a delivery task failed: {e}"),
        }
    }
    db::record_attempts(&state.db, &records).await?;
    for row in gone {
        switch_off_gone(state, &row).await?;
    }
    Ok(records.len())
}

/// Sends one row to its endpoint. Returns what to record, the row, and whether the
/// receiver answered 410 Gone.
async fn attempt_webhook(
    state: &AppState,
    row: DeliveryRow,
    endpoint: Option<Arc<EndpointRow>>,
    now: i64,
) -> (AttemptRecord, DeliveryRow, bool) {
    let ended = |why: &str| AttemptRecord {
        id: row.id.clone(),
        at: now,
        status: None,
        duration_ms: 0,
        error: Some(why.to_owned()),
        state: "failed",
        next_at: None,
    };
    let Some(endpoint) = endpoint else {
        let record = ended("The endpoint was deleted.");
        return (record, row, false);
    };
    if !endpoint.active || endpoint.disabled_reason.is_some() {
        let record = ended("The endpoint is switched off.");
        return (record, row, false);
    }
    let secrets = match endpoint_secrets(state, &endpoint, now) {
        Ok(secrets) => secrets,
        Err(e) => {
            tracing::error!(endpoint = %endpoint.id, "an endpoint's secret cannot be opened: {e}");
            let record = ended("The endpoint's secret cannot be read on this server; rotate it.");
            return (record, row, false);
        }
    };
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = match signing::signature(&refs, &row.event_id, now, &row.body) {
        Ok(signature) => signature,
        Err(e) => {
            let record = ended(&e);
            return (record, row, false);
        }
    };
    let headers = [
        ("webhook-id", row.event_id.clone()),
        ("webhook-timestamp", now.to_string()),
        ("webhook-signature", signature),
    ];
    let attempt = state
        .delivery
        .outbound
        .post(&endpoint.url, &headers, row.body.clone())
        .await;
    let gone = attempt.status == Some(410);
    let retry_after = attempt
        .retry_after
        .as_deref()
        .and_then(|v| schedule::retry_after_seconds(v, now));
    let (state_name, next_at) = outcome(&row, now, attempt.succeeded(), gone, retry_after);
    if !attempt.succeeded() {
        tracing::info!(delivery = %row.id, endpoint = %endpoint.id, status = ?attempt.status, "delivery failed: {}", attempt.error.as_deref().unwrap_or(""));
    }
    let record = AttemptRecord {
        id: row.id.clone(),
        at: now,
        status: attempt.status.map(i64::from),
        duration_ms: attempt.duration_ms,
        error: attempt.error,
        state: state_name,
        next_at,
    };
    (record, row, gone)
}

/// What an attempt at `row` leaves it as: delivered, failed (when `final_failure`, or
/// after the last try of the schedule), or pending until its next try.
fn outcome(row: &DeliveryRow, now: i64, succeeded: bool, final_failure: bool, retry_after: Option<i64>) -> (&'static str, Option<i64>) {
    if succeeded {
        return ("delivered", None);
    }
    if final_failure {
        return ("failed", None);
    }
    let failures = u32::try_from(row.attempts + 1).unwrap_or(u32::MAX);
    match schedule::next_attempt(failures, now, retry_after, schedule::random_jitter()) {
        Some(at) => ("pending", Some(at)),
        None => ("failed", None),
    }
}

/// Sends one row as an e-mail through its Email notifications installation, composed by
/// the app through the host API from the installation's current settings.
async fn attempt_email(state: &AppState, row: &DeliveryRow, now: i64) -> AttemptRecord {
    let ended = |why: String| AttemptRecord {
        id: row.id.clone(),
        at: now,
        status: None,
        duration_ms: 0,
        error: Some(why),
        state: "failed",
        next_at: None,
    };
    let running = crate::services::apps::running(state, row.user_id).await;
    let Some(active) = running.active.iter().find(|a| a.ctx.installation_id() == row.target) else {
        return ended("The Email notifications app is switched off or uninstalled.".into());
    };
    let owner = match crate::db::users::find_by_id(&state.db, row.user_id).await {
        Ok(Some(owner)) => owner.user.email,
        Ok(None) => return ended("The form's owner is gone.".into()),
        Err(e) => {
            // The database is unwell: try again on the schedule.
            let (state_name, next_at) = outcome(row, now, false, false, None);
            return AttemptRecord { state: state_name, next_at, ..ended(e.to_string()) };
        }
    };
    let (smtp, mail) = match email::compose(&active.ctx, &owner, &row.body).await {
        Ok(composed) => composed,
        Err(why) => return ended(why),
    };
    let sent = crate::delivery::email::send(&smtp, &mail, state.delivery.outbound.allows_private()).await;
    if !sent.succeeded() {
        tracing::info!(delivery = %row.id, installation = %row.target, code = ?sent.code, "e-mail not sent: {}", sent.error.as_deref().unwrap_or(""));
    }
    let (state_name, next_at) = outcome(row, now, sent.succeeded(), sent.permanent, None);
    AttemptRecord {
        id: row.id.clone(),
        at: now,
        status: sent.code.map(i64::from),
        duration_ms: sent.duration_ms,
        error: sent.error,
        state: state_name,
        next_at,
    }
}

/// The secrets that sign for `endpoint` at `now`: its own, and the previous one for a day
/// after a rotation.
fn endpoint_secrets(state: &AppState, endpoint: &EndpointRow, now: i64) -> Result<Vec<String>, String> {
    let keyring = &state.apps.keyring;
    let mut secrets = vec![keyring.open(&endpoint.secret)?];
    if let (Some(old), Some(until)) = (&endpoint.old_secret, endpoint.old_until)
        && until > now
    {
        secrets.push(keyring.open(old)?);
    }
    Ok(secrets)
}

/// A receiver answered 410 Gone: its endpoint is switched off, what is pending for it is
/// failed, and its owner finds the reason on the endpoint and in the app's log.
async fn switch_off_gone(state: &AppState, row: &DeliveryRow) -> Result<(), AppError> {
    let Some(mut endpoint) = db::endpoint_by_id(&state.db, &row.target).await? else {
        return Ok(());
    };
    let reason = format!(
        "{} answered 410 Gone, so Junction stopped sending to it. Switch it on again once it accepts events.",
        endpoint.url
    );
    endpoint.disabled_reason = Some(reason.clone());
    db::update_endpoint(&state.db, &endpoint).await?;
    db::fail_pending(&state.db, &endpoint.id, "The endpoint was switched off after a 410 Gone.").await?;
    let installations = crate::db::apps::installations_of(&state.db, endpoint.user_id).await?;
    if let Some(installation) = installations.iter().find(|i| i.app == WEBHOOKS) {
        crate::db::apps::audit(state.db.pool(), endpoint.user_id, &installation.id, WEBHOOKS, "endpoint switched off", &reason).await?;
    }
    tracing::warn!(endpoint = %endpoint.id, "switched off after 410 Gone");
    Ok(())
}
