//! Hook points: the named places where apps may change or follow what Junction does.
//!
//! Each hook point is a type implementing [`Hook`]: its name, its kind (a filter runs
//! before the work and may transform or reject its data; an action runs after the work has
//! committed), a doc line and a typed payload. `CATALOG` lists them all, for the hooks page
//! app authors read. Firing goes through the type (`fire_filter::<FormBeforeSubmit>`), so
//! firing a hook that is not in the catalog does not compile.
//!
//! Hooks fire only from `services/` (ARCHITECTURE.md, "Where a hook fires"); the runtime
//! that runs the handlers is `runtime.rs` (server only).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(feature = "ssr")]
pub mod runtime;

/// Whether a hook runs before the work (and may change or stop it) or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookKind {
    /// Handlers run one after another by priority, each given the previous one's result;
    /// one may reject, which stops the work with its message.
    Filter,
    /// Handlers run concurrently once the work has committed; none can change it.
    Action,
}

/// What the catalog says about a hook point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HookPoint {
    pub name: &'static str,
    pub kind: HookKind,
    pub doc: &'static str,
    /// The payload's shape, for the hooks page: its fields and what they hold.
    pub payload: &'static str,
    /// An example payload as JSON: shown to app authors, and what an uploaded app is tried
    /// on before it may be submitted (`apps::wasm::verify`).
    pub sample: &'static str,
}

/// A hook point as a type: what it is called and carries.
pub trait Hook: Send + Sync + 'static {
    const POINT: HookPoint;
    type Payload: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
}

/// A hook whose handlers run before the work and may transform or reject its payload.
pub trait Filter: Hook {}

/// A hook whose handlers run after the work has committed.
pub trait Action: Hook {}

/// The app lifecycle events' payload, shared by the six of them.
const APP_EVENT_SHAPE: &str = "{app, installation_id, version}";
const APP_EVENT_SAMPLE: &str = r#"{"app": "domain-filter", "installation_id": "i1", "version": "1.0.0"}"#;

/// Declares hook point types, their catalog entries and the catalog itself.
macro_rules! hook_points {
    ($( $(#[$meta:meta])* $kind:ident $ty:ident = $name:literal, $payload:ty, $doc:literal, $shape:expr, $sample:expr; )*) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, Copy)]
            pub struct $ty;

            impl Hook for $ty {
                const POINT: HookPoint = HookPoint {
                    name: $name,
                    kind: HookKind::$kind,
                    doc: $doc,
                    payload: $shape,
                    sample: $sample,
                };
                type Payload = $payload;
            }

            impl $kind for $ty {}
        )*

        /// Every hook point, filters first, in the order the hooks page lists them.
        pub static CATALOG: &[HookPoint] = &[$( $ty::POINT ),*];

        /// Each sample payload that does not read as its hook's payload type, and why.
        #[cfg(test)]
        fn sample_errors() -> Vec<String> {
            let mut errors = Vec::new();
            $(
                if let Err(e) = serde_json::from_str::<$payload>($sample) {
                    errors.push(format!("{}: {e}", $name));
                }
            )*
            errors
        }
    };
}

hook_points! {
    Filter FormBeforeSubmit = "form.beforeSubmit", SubmitPayload,
        "A respondent's answers, checked by the field types, before they are routed and stored. A handler may change them or reject the submission with a message the respondent sees; their answers stay in the form.",
        "{form_id, answers: {identifier: value}, kinds: {identifier: type}, params: {name: text}, client_ip, data: {key: value}}",
        r#"{"form_id": "f1", "answers": {"email": "ada@example.com", "name": "Ada", "budget": "large"}, "kinds": {"email": "email", "name": "short_text", "budget": "select"}, "params": {"utm_source": "newsletter"}, "client_ip": "192.0.2.10", "data": {}}"#;
    Filter RoutingBeforeRoute = "routing.beforeRoute", RoutePayload,
        "The route the form's rules chose. A handler may choose another of the form's own routes (by id) or the fallback (null), or reject the submission with a message.",
        "{form_id, answers (with what apps attached, as routes see them), route_id}",
        r#"{"form_id": "f1", "answers": {"email": "ada@example.com", "budget": "large"}, "route_id": "r1"}"#;
    Filter FormBeforeSave = "form.beforeSave", FormSavePayload,
        "A form definition about to be saved, checked already. A handler may change it (it is checked again) or refuse the save.",
        "{form_id (null for a new form), definition}",
        r#"{"form_id": "f1", "definition": {"name": "Contact", "fields": [{"identifier": "email", "label": "Email", "type": "email", "required": true}]}}"#;
    Filter UserBeforeCreate = "user.beforeCreate", NewUserPayload,
        "An account about to be created at sign-up, handled by the administrators' apps for the whole site. A handler may refuse it with a message the person signing up sees.",
        "{email}",
        r#"{"email": "ada@example.com"}"#;
    Filter AppBeforeInstall = "app.beforeInstall", InstallPayload,
        "An app about to be installed. A handler may refuse the installation with a message.",
        "{app, user_id}",
        r#"{"app": "spam-guard", "user_id": 1}"#;
    Action FormCreated = "form.created", FormEvent, "A form was created.", "{form_id, name}",
        r#"{"form_id": "f1", "name": "Contact"}"#;
    Action FormUpdated = "form.updated", FormEvent, "A form was saved.", "{form_id, name}",
        r#"{"form_id": "f1", "name": "Contact"}"#;
    Action FormDeleted = "form.deleted", FormEvent, "A form was deleted with its responses.", "{form_id, name}",
        r#"{"form_id": "f1", "name": "Contact"}"#;
    Action FormSubmitted = "form.submitted", SubmittedPayload,
        "A response was stored: its answers with their labels and the route it took.",
        "{form_id, form_name, response_id, answers: {identifier: {label, value}}, route: {id, name}, data}",
        r#"{"form_id": "f1", "form_name": "Contact", "response_id": "r9", "answers": {"email": {"label": "Email", "value": "ada@example.com"}}, "route": {"id": "r1", "name": "Sales"}, "data": {}}"#;
    Action RoutingFallbackHit = "routing.fallbackHit", FallbackPayload,
        "A stored response matched no route and took the fallback.",
        "{form_id, response_id}",
        r#"{"form_id": "f1", "response_id": "r9"}"#;
    Action AppInstalled = "app.installed", AppEvent, "An app was installed.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action AppConfigured = "app.configured", AppEvent, "An installation's settings were saved.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action AppActivated = "app.activated", AppEvent, "An installation was switched on.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action AppDeactivated = "app.deactivated", AppEvent, "An installation was switched off.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action AppUpdated = "app.updated", AppEvent, "An installation moved to another version.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action AppUninstalled = "app.uninstalled", AppEvent, "An installation was removed.", APP_EVENT_SHAPE, APP_EVENT_SAMPLE;
    Action UserCreated = "user.created", UserEvent, "An account was created at sign-up; sent to the administrators' apps and endpoints.", "{user_id, email}",
        r#"{"user_id": 7, "email": "ada@example.com"}"#;
    Action UserLoggedIn = "user.loggedIn", UserEvent, "A user logged in.", "{user_id, email}",
        r#"{"user_id": 7, "email": "ada@example.com"}"#;
}

/// The catalog entry named `name`.
pub fn lookup(name: &str) -> Option<&'static HookPoint> {
    CATALOG.iter().find(|p| p.name == name)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitPayload {
    pub form_id: String,
    pub answers: Map<String, Value>,
    /// The type of each answer's question (`email`, `short_text` …), by identifier. Changes
    /// to it are not kept.
    #[serde(default)]
    pub kinds: std::collections::BTreeMap<String, String>,
    /// What the form's page carried that is not an answer (the `utm_*` of its address, the
    /// honeypot), as text. Changes to it are not kept.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The respondent's address, when known.
    #[serde(default)]
    pub client_ip: Option<String>,
    /// What apps attach to the response: stored with it, shown to the owner, and usable in
    /// a route's address as `{key}`.
    #[serde(default)]
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePayload {
    pub form_id: String,
    pub answers: Map<String, Value>,
    /// The chosen route's id; `None` for the fallback.
    pub route_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSavePayload {
    pub form_id: Option<String>,
    pub definition: crate::forms::FormDefinition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewUserPayload {
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallPayload {
    pub app: String,
    pub user_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormEvent {
    pub form_id: String,
    pub name: String,
}

/// One answer of a stored response, with the label it was asked under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledAnswer {
    pub label: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteTaken {
    /// `None` for the fallback.
    pub id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedPayload {
    pub form_id: String,
    pub form_name: String,
    pub response_id: String,
    pub answers: std::collections::BTreeMap<String, LabelledAnswer>,
    pub route: RouteTaken,
    /// What apps attached to the response (`SubmitPayload::data`).
    #[serde(default)]
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallbackPayload {
    pub form_id: String,
    pub response_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppEvent {
    pub app: String,
    pub installation_id: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEvent {
    pub user_id: i64,
    pub email: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_names_each_hook_once_in_its_kind() {
        let mut names: Vec<&str> = CATALOG.iter().map(|p| p.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOG.len(), "a hook name is listed twice");
        for point in CATALOG {
            let (area, event) = point.name.split_once('.').expect("area.event");
            assert!(!area.is_empty() && !event.is_empty(), "{}", point.name);
            let before = event.starts_with("before");
            assert_eq!(
                before,
                point.kind == HookKind::Filter,
                "{}: filters are the before… hooks",
                point.name
            );
            assert!(!point.doc.is_empty() && point.payload.starts_with('{'));
            assert!(point.sample.starts_with('{'), "{}", point.name);
        }
        assert_eq!(sample_errors(), Vec::<String>::new(), "every sample is its hook's payload");
        assert_eq!(lookup("form.submitted"), Some(&FormSubmitted::POINT));
        assert_eq!(lookup("form.unknown"), None);
    }
}
