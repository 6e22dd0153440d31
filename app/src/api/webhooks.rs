//! Server functions for the Webhooks pages: endpoints (added, changed, tested, rotated,
//! removed) and each endpoint's delivery log. Each calls `services/webhooks.rs`, which
//! authorizes it: another user's endpoint is not found.

use serde::{Deserialize, Serialize};

use crate::apps::webhooks::{CreatedEndpoint, DeliveryPage, DeliveryView, EndpointView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{require_user, state};
#[cfg(feature = "ssr")]
use crate::services::webhooks as service;

/// What the endpoints page shows: the endpoints, the events one may be sent (name and
/// what it is), and the user's forms (id and name) to limit one to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhooksPage {
    pub endpoints: Vec<EndpointView>,
    pub events: Vec<(String, String)>,
    pub forms: Vec<(String, String)>,
}

#[server(endpoint = "webhooks/list")]
pub async fn load_webhooks() -> Result<WebhooksPage, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let endpoints = service::list(&state, &user).await?;
    let forms = crate::services::forms::list(&state.db, user.id)
        .await?
        .into_iter()
        .map(|f| (f.id, f.name))
        .collect();
    let events = crate::apps::webhooks::subscribable()
        .into_iter()
        .map(|(name, doc)| (name.to_string(), doc.to_string()))
        .collect();
    Ok(WebhooksPage { endpoints, events, forms })
}

/// Adds an endpoint. `events` is the chosen hook names joined by commas; an empty
/// `form_id` means every form. The secret comes back this once.
#[server(endpoint = "webhooks/create")]
pub async fn create_webhook(url: String, events: String, form_id: String) -> Result<CreatedEndpoint, AppError> {
    let user = require_user().await?;
    let input = service::EndpointInput {
        url,
        events: split_events(&events),
        form_id: Some(form_id).filter(|f| !f.trim().is_empty()),
    };
    service::create(&state()?, &user, input).await
}

#[cfg(feature = "ssr")]
fn split_events(events: &str) -> Vec<String> {
    events
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect()
}

/// What one step on an endpoint did: a rotation's new secret, or a test's delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepDone {
    Rotated { secret: String },
    TestQueued { delivery: String },
    Changed,
    Deleted,
}

/// One step on an endpoint: `test`, `rotate`, `on`, `off` or `delete`.
#[server(endpoint = "webhooks/step")]
pub async fn webhook_step(id: String, step: String) -> Result<StepDone, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let switch = |active| service::EndpointPatch { active: Some(active), ..Default::default() };
    Ok(match step.as_str() {
        "test" => StepDone::TestQueued { delivery: service::send_test(&state, &user, &id).await?.id },
        "rotate" => StepDone::Rotated { secret: service::rotate_secret(&state, &user, &id).await?.secret },
        "on" => {
            service::update(&state, &user, &id, switch(true)).await?;
            StepDone::Changed
        }
        "off" => {
            service::update(&state, &user, &id, switch(false)).await?;
            StepDone::Changed
        }
        "delete" => {
            service::delete(&state, &user, &id).await?;
            StepDone::Deleted
        }
        other => return Err(AppError::BadRequest(format!("There is no step \"{other}\"."))),
    })
}

/// Changes an endpoint's URL, events and form.
#[server(endpoint = "webhooks/edit")]
pub async fn edit_webhook(id: String, url: String, events: String, form_id: String) -> Result<EndpointView, AppError> {
    let user = require_user().await?;
    let patch = service::EndpointPatch {
        url: Some(url),
        events: Some(split_events(&events)),
        form_id: Some(Some(form_id).filter(|f| !f.trim().is_empty())),
        active: None,
    };
    service::update(&state()?, &user, &id, patch).await
}

/// One endpoint and a page of its deliveries, newest first, older than `before`.
#[server(endpoint = "webhooks/deliveries")]
pub async fn load_webhook(id: String, before: Option<String>) -> Result<(EndpointView, DeliveryPage), AppError> {
    let user = require_user().await?;
    let state = state()?;
    let endpoint = service::get(&state, &user, &id).await?;
    let page = service::deliveries(&state, &user, &id, before.as_deref().filter(|b| !b.is_empty()), None).await?;
    Ok((endpoint, page))
}

#[server(endpoint = "webhooks/redeliver")]
pub async fn redeliver_webhook(id: String, delivery: String) -> Result<DeliveryView, AppError> {
    let user = require_user().await?;
    service::redeliver(&state()?, &user, &id, &delivery).await
}
