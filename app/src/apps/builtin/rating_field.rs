//! Rating field: contributes the `rating` field type (`fields/rating.rs`). It has no hook
//! handlers; the host offers the type in the builder and asks it of respondents only while
//! this app runs for the form's owner (`services::apps::awake_kinds`).

use crate::apps::manifest::Manifest;
use crate::apps::{App, Registrar};

pub struct RatingField {
    manifest: Manifest,
}

impl RatingField {
    pub fn new(manifest: Manifest) -> RatingField {
        RatingField { manifest }
    }
}

impl App for RatingField {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, _hooks: &mut Registrar<'_>) {}
}
