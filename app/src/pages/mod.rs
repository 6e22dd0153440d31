//! One page per file; each is a route in `App`.

pub mod admin_apps;
pub mod apps;
pub mod dashboard;
pub mod docs_apps;
pub mod docs_hooks;
pub mod form_editor;
pub mod form_insights;
pub mod form_responses;
pub mod forms;
pub mod home;
pub mod installation;
pub mod lazy;
pub mod login;
pub mod not_found;
pub mod publish;
// Rendered by the server alone: a respondent's page hydrates nothing.
#[cfg(feature = "ssr")]
pub mod public_form;
pub mod settings;
pub mod signup;
pub mod webhooks;
