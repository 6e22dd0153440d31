//! Apps: what the App Store lists, installs and runs.
//!
//! An app is described by its [`Manifest`](manifest::Manifest) (catalog text, versions,
//! permissions, dependencies, settings, hook handlers, field types). A built-in app is one
//! file in `builtin/` implementing [`App`]; `builtin::all` lists them, one line each, and
//! [`Registry::new`] checks their manifests together (`check.rs`) and registers their hook
//! handlers when the server starts. The manifest types and the configuration check
//! (`config.rs`) are shared with the browser, which builds the consent screen and the
//! settings form from them.
//!
//! Apps reach Junction only through the host API handed to their callbacks and handlers
//! (`host.rs`), never through `db/` or `services/` (ARCHITECTURE.md, "Layers").

pub mod config;
pub mod contract;
pub mod email;
pub mod manifest;
pub mod view;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod builtin;
#[cfg(feature = "ssr")]
pub mod check;
#[cfg(feature = "ssr")]
pub mod host;
#[cfg(feature = "ssr")]
mod registry;
#[cfg(feature = "ssr")]
pub mod running;
#[cfg(feature = "ssr")]
pub mod wasm;

#[cfg(feature = "ssr")]
pub use registry::{App, Registrar, Registry, hook_scopes};
