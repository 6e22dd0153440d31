//! Reusable view pieces: navigation, the signed-in gate, form error display.

pub mod auth;
pub mod condition_builder;
pub mod config_editor;
pub mod deliveries;
pub mod errors;
#[cfg(feature = "hydrate")]
pub mod form_behaviour;
pub mod form_view;
pub mod frame;
pub mod nav;
pub mod routes_editor;
pub mod version_report;
