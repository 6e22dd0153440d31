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
    /// An uploaded version taken out of the catalog; installations that have it keep it.
    Withdrawn,
}

impl Approval {
    pub fn name(self) -> &'static str {
        match self {
            Approval::Draft => "draft",
            Approval::Submitted => "submitted",
            Approval::Approved => "approved",
            Approval::Rejected => "rejected",
            Approval::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Approval> {
        [
            Approval::Draft,
            Approval::Submitted,
            Approval::Approved,
            Approval::Rejected,
            Approval::Withdrawn,
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
    /// The long description (searched too).
    pub description: String,
    /// What it asks to be allowed.
    pub permissions: Vec<Permission>,
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
    /// What the newest version asks for beyond the permissions granted: updating to it
    /// needs the user's consent to these.
    pub update_asks: Vec<Permission>,
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
    /// Every released version, newest first (one may be installed instead of the newest).
    pub versions: Vec<String>,
    pub permissions: Vec<Permission>,
    /// Dependencies the user lacks, installed in the same step, with their permissions.
    pub also_installs: Vec<(DependencyView, Vec<Permission>)>,
    /// Set when the install cannot go ahead (an unmet version, already installed).
    pub refusal: Option<String>,
    pub multiple_installs: bool,
    pub installed_count: i64,
}

/// How the catalog is searched, filtered and sorted; it lives in the page's URL
/// (`/apps?q=…&category=…&type=…&sort=…&tab=installed`), so a link or Back restores it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogQuery {
    pub q: String,
    pub category: String,
    /// An `AppType` name, or empty for all.
    pub app_type: String,
    /// `popular` (the default), `rating`, `name` or `newest`.
    pub sort: String,
    /// Only the user's installed apps.
    pub installed: bool,
}

/// The sort orders, with their labels.
pub const SORTS: [(&str, &str); 4] = [
    ("popular", "Most installed"),
    ("rating", "Best rated"),
    ("name", "Name"),
    ("newest", "Newest"),
];

impl CatalogQuery {
    /// From the URL's parameters (`get` looks one up).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> CatalogQuery {
        CatalogQuery {
            q: get("q").unwrap_or_default(),
            category: get("category").unwrap_or_default(),
            app_type: get("type").unwrap_or_default(),
            sort: get("sort").unwrap_or_default(),
            installed: get("tab").is_some_and(|t| t == "installed"),
        }
    }

    /// The URL's query string (with `?`), empty parameters left out.
    pub fn to_query(&self) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("q", self.q.as_str()),
            ("category", &self.category),
            ("type", &self.app_type),
            ("sort", &self.sort),
            ("tab", if self.installed { "installed" } else { "" }),
        ] {
            if !value.trim().is_empty() {
                pairs.push(format!(
                    "{name}={}",
                    crate::forms::action::encode_uri_component(value.trim())
                ));
            }
        }
        if pairs.is_empty() {
            String::new()
        } else {
            format!("?{}", pairs.join("&"))
        }
    }
}

/// The cards `query` selects, in its order. Search matches every word of `q` against the
/// name, the summary, the type and the categories, ignoring case.
pub fn filter_catalog(cards: &[AppCard], query: &CatalogQuery) -> Vec<AppCard> {
    let words: Vec<String> = query
        .q
        .to_lowercase()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut found: Vec<AppCard> = cards
        .iter()
        .filter(|card| {
            let text = format!(
                "{} {} {} {} {}",
                card.name,
                card.summary,
                card.description,
                card.app_type.label(),
                card.categories.join(" ")
            )
            .to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .filter(|card| {
            query.category.is_empty() || card.categories.contains(&query.category)
        })
        .filter(|card| query.app_type.is_empty() || card.app_type.name() == query.app_type)
        .filter(|card| !query.installed || card.installed)
        .cloned()
        .collect();
    match query.sort.as_str() {
        "rating" => found.sort_by(|a, b| {
            b.rating
                .unwrap_or(0.0)
                .total_cmp(&a.rating.unwrap_or(0.0))
                .then(b.reviews.cmp(&a.reviews))
                .then(a.name.cmp(&b.name))
        }),
        "name" => found.sort_by_key(|card| card.name.to_lowercase()),
        "newest" => found.sort_by(|a, b| b.listed_at.cmp(&a.listed_at).then(a.name.cmp(&b.name))),
        _ => found.sort_by(|a, b| b.installs.cmp(&a.installs).then(a.name.cmp(&b.name))),
    }
    found
}

/// Every category of `cards`, sorted.
pub fn categories(cards: &[AppCard]) -> Vec<String> {
    let mut all: Vec<String> = cards.iter().flat_map(|c| c.categories.clone()).collect();
    all.sort();
    all.dedup();
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str, app_type: AppType, categories: &[&str], installs: i64, rating: Option<f64>) -> AppCard {
        AppCard {
            slug: name.to_lowercase(),
            name: name.into(),
            summary: format!("{name} does things."),
            description: String::new(),
            permissions: Vec::new(),
            app_type,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            logo: String::new(),
            version: "1.0.0".into(),
            rating,
            reviews: rating.map_or(0, |_| 1),
            installs,
            listed_at: installs,
            installed: installs > 5,
            update_available: false,
        }
    }

    #[test]
    fn the_catalog_is_searched_filtered_and_sorted_as_the_url_says() {
        let cards = vec![
            card("Spam guard", AppType::Form, &["spam", "security"], 10, Some(4.0)),
            card("UTM", AppType::Analytics, &["marketing"], 3, Some(5.0)),
            card("Lead scoring", AppType::Crm, &["sales", "marketing"], 7, None),
        ];
        let names = |q: CatalogQuery| -> Vec<String> {
            filter_catalog(&cards, &q).into_iter().map(|c| c.name).collect()
        };
        assert_eq!(names(CatalogQuery::default()), ["Spam guard", "Lead scoring", "UTM"]);
        let q = CatalogQuery { q: "MARKETING".into(), sort: "name".into(), ..Default::default() };
        assert_eq!(names(q), ["Lead scoring", "UTM"]);
        let q = CatalogQuery { sort: "rating".into(), ..Default::default() };
        assert_eq!(names(q), ["UTM", "Spam guard", "Lead scoring"]);
        let q = CatalogQuery { app_type: "crm".into(), ..Default::default() };
        assert_eq!(names(q), ["Lead scoring"]);
        let q = CatalogQuery { category: "security".into(), ..Default::default() };
        assert_eq!(names(q), ["Spam guard"]);
        let q = CatalogQuery { installed: true, sort: "newest".into(), ..Default::default() };
        assert_eq!(names(q), ["Spam guard", "Lead scoring"]);
        let q = CatalogQuery { q: "spam  does".into(), ..Default::default() };
        assert_eq!(names(q.clone()), ["Spam guard"]);
        assert_eq!(q.to_query(), "?q=spam%20%20does");
        let back = CatalogQuery::from_params(|k| match k {
            "q" => Some("spam  does".into()),
            "tab" => Some("installed".into()),
            _ => None,
        });
        assert_eq!(back.to_query(), "?q=spam%20%20does&tab=installed");
    }
}

/// What the automatic checks of an uploaded app version found (`apps::wasm::verify`):
/// only a version that passed all three may be submitted for approval.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VerificationReport {
    pub passed: bool,
    /// The component's imports against what its permissions allow, and its manifest
    /// against the same checks as a built-in app's.
    pub security: ReportSection,
    /// Each hook it declares, run on a sample payload under the limits.
    pub performance: ReportSection,
    /// The WIT version it was built against, and its dependencies.
    pub compatibility: ReportSection,
    /// The interfaces the component imports, as named.
    pub imports: Vec<String>,
    pub runs: Vec<TrialRun>,
}

/// One part of a verification report: whether it passed, and what was found.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReportSection {
    pub passed: bool,
    pub findings: Vec<String>,
}

/// One declared hook run on its sample payload under the limits.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRun {
    pub hook: String,
    pub passed: bool,
    /// What it answered (`accepted`, `rejected: …`) or why it failed.
    pub result: String,
    /// Instructions used (wasmtime's fuel).
    pub fuel: i64,
    pub micros: i64,
    /// The most memory the instance had, in bytes.
    pub peak_memory: i64,
    /// The limits it ran under.
    pub fuel_limit: i64,
    pub time_limit_ms: i64,
    pub memory_limit: i64,
}

/// One uploaded version of an app, as its publisher and the admins see it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    /// The app's slug.
    pub app: String,
    pub name: String,
    pub version: String,
    pub state: Approval,
    /// Why it was rejected.
    pub reason: String,
    /// What the automatic checks found; only a version that passed may be submitted.
    pub report: VerificationReport,
    /// The component's SHA-256, and where it is served (`/artifacts/{sha256}.wasm`).
    pub component: String,
    pub component_url: String,
    /// The permissions it asks for, in plain words.
    pub permissions: Vec<Permission>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}
