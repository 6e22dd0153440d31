//! Webhooks: sends the owner's events to their endpoints as signed HTTP requests. It has
//! no in-process handlers: its endpoints are written to the outbox in the transaction of
//! the change (`services/outbox.rs`), and the delivery worker sends them, so an event
//! survives a crash between the change and its delivery. An endpoint gets an event only
//! while this app is installed, switched on and granted the event's read permission.

use crate::apps::manifest::Manifest;
use crate::apps::{App, Registrar};

pub use crate::apps::webhooks::SLUG;

pub struct Webhooks {
    manifest: Manifest,
}

impl Webhooks {
    pub fn new(manifest: Manifest) -> Webhooks {
        Webhooks { manifest }
    }
}

impl App for Webhooks {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, _hooks: &mut Registrar<'_>) {}
}
