//! What the browser and the JSON API see of the Webhooks app: endpoints, their deliveries
//! and each delivery's attempts. Secrets appear only in `CreatedEndpoint`, once.

use serde::{Deserialize, Serialize};

/// The Webhooks app's slug, which the outbox looks installations up by.
pub const SLUG: &str = "webhooks";

/// One webhook endpoint.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    /// The hook names sent, for example `form.submitted`.
    pub events: Vec<String>,
    /// Only this form's events, when set.
    pub form_id: Option<String>,
    /// That form's name, for showing.
    pub form_name: Option<String>,
    pub active: bool,
    /// Why Junction switched the endpoint off (the receiver answered 410 Gone).
    pub disabled_reason: Option<String>,
    /// After a rotation, until when (Unix seconds) the previous secret still signs.
    pub old_secret_until: Option<i64>,
    pub created_at: i64,
}

/// A new endpoint, or a rotated one, with its secret: the only time it is shown.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_` and base64: verify deliveries with it; it is not shown again.
    pub secret: String,
}

/// One attempt at a delivery.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    /// Unix seconds.
    pub at: i64,
    /// The receiver's status, when it answered.
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// One event's delivery to one endpoint.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    /// The event's id, the `webhook-id` header: the same on every attempt and redelivery.
    pub event_id: String,
    /// The hook name, or `webhook.test` for a test event.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: Vec<AttemptView>,
    /// When the next attempt is due (Unix seconds), while pending.
    pub next_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// The JSON body sent.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// A page of deliveries, newest first.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// The events an endpoint may be sent, with what each is, for the form that adds one.
pub fn subscribable() -> Vec<(&'static str, &'static str)> {
    crate::hooks::CATALOG
        .iter()
        .filter(|p| p.kind == crate::hooks::HookKind::Action)
        .map(|p| (p.name, p.doc))
        .collect()
}
