//! Delivering events to receivers outside Junction (server only): the retry schedule, the
//! Standard Webhooks signature, the guarded HTTP client and the SMTP sender. What is due and what happened
//! is kept in the outbox (`db/outbox.rs`); the worker that claims and sends it is
//! `services/outbox.rs`. Nothing here touches the database.

pub mod email;
pub mod outbound;
pub mod schedule;
pub mod signing;

/// What the server delivers with: the guarded HTTP client, and the signal that wakes the
/// worker when an event has been committed.
#[derive(Debug)]
pub struct Delivery {
    pub outbound: outbound::Outbound,
    pub wake: tokio::sync::Notify,
}

impl Delivery {
    /// `allow_private` lets receivers be on private addresses
    /// (`JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1`).
    pub fn new(allow_private: bool) -> Result<Delivery, String> {
        Ok(Delivery {
            outbound: outbound::Outbound::new(allow_private)?,
            wake: tokio::sync::Notify::new(),
        })
    }
}
