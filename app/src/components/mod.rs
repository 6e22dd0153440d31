//! Reusable view pieces: navigation, the signed-in gate, form error display.

pub mod auth;
pub mod errors;
pub mod format;
pub mod frame;
pub mod nav;
