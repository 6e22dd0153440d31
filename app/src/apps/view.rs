//! What the App Store shows, as the server sends it to pages and the JSON API: the catalog
//! (built-in apps and, later, uploaded ones, through one interface), an app's page, an
//! installation with its settings (secrets only as "set"), its audit log and reviews.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::manifest::{AppType, Release, Scope, Setting};

/// Where an app stands in the approval process; only approved apps are in the catalog.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    Draft,
    Submitted,
    Approved,
    Rejected,
}

impl Approval {
    pub fn name(self) -> &'static str {
        match self {
            Approval::Draft => "draft",
            Approval::Submitted => "submitted",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Approval> {
        [
            Approval::Draft,
            Approval::Submitted,
            Approval::Approved,
            Approval::Rejected,
        ]
        .into_iter()
        .find(|a| a.name() == s)
    }
}

impl AppType {
    pub const ALL: [AppType; 9] = [
        AppType::Calendar,
        AppType::Video,
        AppType::Payment,
        AppType::Form,
        AppType::Analytics,
        AppType::Automation,
        AppType::Crm,
        AppType::Messaging,
        AppType::Other,
    ];

    /// As written in manifests and URLs.
    pub fn name(self) -> &'static str {
        match self {
            AppType::Calendar => "calendar",
            AppType::Video => "video",
            AppType::Payment => "payment",
            AppType::Form => "form",
            AppType::Analytics => "analytics",
            AppType::Automation => "automation",
            AppType::Crm => "crm",
            AppType::Messaging => "messaging",
            AppType::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AppType::Calendar => "Calendar",
            AppType::Video => "Video",
            AppType::Payment => "Payment",
            AppType::Form => "Forms",
            AppType::Analytics => "Analytics",
            AppType::Automation => "Automation",
            AppType::Crm => "CRM",
            AppType::Messaging => "Messaging",
            AppType::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<AppType> {
        AppType::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// A permission as people read it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    pub scope: String,
    pub sentence: String,
}

impl From<Scope> for Permission {
    fn from(scope: Scope) -> Permission {
        Permission {
            scope: scope.name().into(),
            sentence: scope.sentence().into(),
        }
    }
}

/// One app in the catalog grid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppCard {
    pub slug: String,
    pub name: String,
    pub summary: String,
    #[serde(rename = "type")]
    pub app_type: AppType,
    pub categories: Vec<String>,
    pub logo: String,
    /// The newest version.
    pub version: String,
    /// The average of the visible reviews' stars.
    pub rating: Option<f64>,
    pub reviews: i64,
    pub installs: i64,
    /// When the catalog first listed it (Unix seconds), for "newest".
    pub listed_at: i64,
    /// The signed-in user has it installed.
    pub installed: bool,
    /// One of the user's installations is on an older version.
    pub update_available: bool,
}

/// Another app this one needs, and whether the user has it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyView {
    pub slug: String,
    pub name: String,
    pub version: String,
    /// The user has an installation in a matching version.
    pub installed: bool,
}

/// A review as shown under an app.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    /// The reviewer as others see them (not their address).
    pub author: String,
    pub stars: i64,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Hidden by an admin: only admins and its author see it.
    pub hidden: bool,
    pub mine: bool,
    /// For admins, who hide reviews by it.
    pub user_id: Option<i64>,
}

/// One of the user's installations of an app, in a list.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationSummary {
    pub id: String,
    pub name: String,
    pub version: String,
    pub active: bool,
}

/// An app's page.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppDetail {
    pub card: AppCard,
    pub description: String,
    pub publisher: String,
    pub contact: String,
    pub screenshots: Vec<String>,
    /// Newest first.
    pub releases: Vec<Release>,
    pub dependencies: Vec<DependencyView>,
    pub permissions: Vec<Permission>,
    pub multiple_installs: bool,
    pub installations: Vec<InstallationSummary>,
    pub reviews: Vec<ReviewView>,
    /// Set when an admin disabled the app for everyone.
    pub disabled_reason: Option<String>,
    /// The user may review it (they installed it).
    pub can_review: bool,
}

/// An installation's page: its state and its settings, secrets only as set or not.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallationView {
    pub id: String,
    pub app: String,
    pub app_name: String,
    pub logo: String,
    pub name: String,
    pub version: String,
    pub latest_version: String,
    pub active: bool,
    pub auto_update: bool,
    pub scopes: Vec<Permission>,
    pub settings: Vec<Setting>,
    /// The settings' values, secrets left out.
    pub values: Map<String, Value>,
    /// The secret settings that hold a value.
    pub secrets_set: Vec<String>,
    /// The version a rollback returns to.
    pub rollback_to: Option<String>,
    /// The releases newer than the installed one, newest first.
    pub newer: Vec<Release>,
    /// Set when an admin disabled the app: the installation does not run.
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

/// One line of an installation's audit log.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub event: String,
    pub detail: String,
    pub at: i64,
}

/// An app as admins see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminApp {
    pub slug: String,
    pub name: String,
    pub version: String,
    pub source: String,
    pub state: Approval,
    pub reason: String,
    pub disabled_reason: Option<String>,
    pub installs: i64,
}

/// What an install asks the user to agree to: every permission of the app and of the
/// dependencies it would install with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentView {
    pub app: String,
    pub name: String,
    pub version: String,
    pub permissions: Vec<Permission>,
    /// Dependencies the user lacks, installed in the same step, with their permissions.
    pub also_installs: Vec<(DependencyView, Vec<Permission>)>,
    /// Set when the install cannot go ahead (an unmet version, already installed).
    pub refusal: Option<String>,
    pub multiple_installs: bool,
    pub installed_count: i64,
}
