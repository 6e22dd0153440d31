//! An app's manifest: what the catalog shows, what the app asks for (permissions,
//! dependencies, settings) and what it brings (hook handlers, field types).
//!
//! One type for every source: a built-in app's manifest is JSON beside its code
//! (`include_str!`), an uploaded app's will be JSON stored in the database, and both are
//! read and checked by the same code (`check.rs`, server only). The types are shared: the
//! browser shows permissions and builds the configuration form from them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of service an app connects, as the catalog filters them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    Calendar,
    Video,
    Payment,
    Form,
    Analytics,
    Automation,
    Crm,
    Messaging,
    Other,
}

/// A permission an app requests and its installer grants. The host checks the granted
/// scopes on every call the app makes.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "forms:read")]
    FormsRead,
    #[serde(rename = "forms:write")]
    FormsWrite,
    #[serde(rename = "responses:read")]
    ResponsesRead,
    #[serde(rename = "responses:write")]
    ResponsesWrite,
    #[serde(rename = "http:outbound")]
    HttpOutbound,
    #[serde(rename = "notifications:send")]
    NotificationsSend,
    #[serde(rename = "config:read")]
    ConfigRead,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Scope::FormsRead,
        Scope::FormsWrite,
        Scope::ResponsesRead,
        Scope::ResponsesWrite,
        Scope::HttpOutbound,
        Scope::NotificationsSend,
        Scope::ConfigRead,
    ];

    /// The scope written as `name` (`responses:read`).
    pub fn from_name(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name.trim())
    }

    /// The scope as written in manifests and the API.
    pub fn name(self) -> &'static str {
        match self {
            Scope::FormsRead => "forms:read",
            Scope::FormsWrite => "forms:write",
            Scope::ResponsesRead => "responses:read",
            Scope::ResponsesWrite => "responses:write",
            Scope::HttpOutbound => "http:outbound",
            Scope::NotificationsSend => "notifications:send",
            Scope::ConfigRead => "config:read",
        }
    }

    /// What granting it allows, in the words the consent screen uses.
    pub fn sentence(self) -> &'static str {
        match self {
            Scope::FormsRead => "See your forms: their fields, routes and settings.",
            Scope::FormsWrite => "Change your forms.",
            Scope::ResponsesRead => "Read the answers people send to your forms.",
            Scope::ResponsesWrite => "Add notes and data to the responses your forms receive.",
            Scope::HttpOutbound => "Send data from Junction to other sites on the internet.",
            Scope::NotificationsSend => "Send you notifications.",
            Scope::ConfigRead => "Read the settings you give this app.",
        }
    }
}

/// One version of an app and what changed in it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: String,
    pub changes: String,
    /// What this version asks for, where it differs from the newest version's
    /// `permissions` (an update that asks for more needs the installer's consent again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Scope>>,
}

/// Another app this one needs, in versions matching `version` (a semver requirement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub app: String,
    pub version: String,
}

/// The type of one setting in an app's configuration form.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingKind {
    Text,
    Number,
    Boolean,
    Select,
    Url,
    Email,
    /// Stored encrypted, never shown again once saved.
    Secret,
}

/// One setting of an app's configuration.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: SettingKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// The choices of a `select` setting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A hook handler the app registers: the hook point's name and its priority (higher
/// runs first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookRegistration {
    pub hook: String,
    #[serde(default)]
    pub priority: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub description: String,
    /// The newest version; `releases` lists every version, this one included.
    pub version: String,
    pub releases: Vec<Release>,
    pub publisher: String,
    pub contact: String,
    #[serde(rename = "type")]
    pub app_type: AppType,
    pub categories: Vec<String>,
    /// An asset path under `public/`, such as `/apps/spam-guard.svg`.
    pub logo: String,
    #[serde(default)]
    pub screenshots: Vec<String>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    /// The Junction versions it works with (a semver requirement, such as `>=0.1, <2`).
    pub junction: String,
    /// Whether one user may install it several times (several accounts of a service).
    #[serde(default)]
    pub multiple_installs: bool,
    #[serde(default)]
    pub permissions: Vec<Scope>,
    #[serde(default)]
    pub settings: Vec<Setting>,
    #[serde(default)]
    pub hooks: Vec<HookRegistration>,
    /// The field kinds the app adds to the builder while it is active.
    #[serde(default)]
    pub field_types: Vec<String>,
}

impl Manifest {
    /// Reads a manifest from JSON; the error names the problem (`missing field "slug"`).
    pub fn from_json(text: &str) -> Result<Manifest, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The permissions `version` asks for: its release's own list, else the newest's.
    pub fn permissions_of(&self, version: &str) -> &[Scope] {
        self.releases
            .iter()
            .find(|r| r.version == version)
            .and_then(|r| r.permissions.as_deref())
            .unwrap_or(&self.permissions)
    }

    /// The permissions `version` asks for beyond `granted`, in the catalog's order.
    pub fn asks_beyond(&self, version: &str, granted: &[Scope]) -> Vec<Scope> {
        self.permissions_of(version).iter().copied().filter(|s| !granted.contains(s)).collect()
    }
}

/// A manifest that cannot be accepted: which app, and why, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub app: String,
    pub problem: String,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "app \"{}\": {}", self.app, self.problem)
    }
}
