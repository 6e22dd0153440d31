//! Apps: what the App Store lists, installs and runs. An app is described by its
//! [`Manifest`](manifest::Manifest) (catalog text, versions, permissions, dependencies,
//! settings, hook handlers, field types); `manifest::check_catalog` checks a catalog of
//! them against the running Junction, the hook points and the field kinds.
//!
//! Apps reach Junction only through the host API handed to their callbacks, never through
//! `db/` or `services/` (ARCHITECTURE.md, "Layers").

pub mod manifest;
