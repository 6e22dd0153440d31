//! Forms: the definition document (fields, routes, fallback, settings), its validation with
//! error paths such as `fields[2].config.options`, and answer checking with the field-type
//! registry. Plain Rust, shared by the builder, the public page, the API and the server.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::AppError;
use crate::fields;

pub mod action;
pub mod answers;
pub mod compiled;
pub mod conditions;
pub mod insights;
mod validate;

pub use validate::{check_condition, is_local_path, validate_definition};

/// Unread responses of one form, for its owner.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub form_id: String,
    pub form_name: String,
    pub count: i64,
    /// Unix seconds of the newest response.
    pub latest: i64,
}

/// Everything unread for one owner: new responses by form, and what their apps told them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Unread {
    pub responses: Vec<Notice>,
    /// Newest first.
    pub apps: Vec<AppNotice>,
}

/// A notice an app left its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppNotice {
    pub installation_id: String,
    /// The app's slug.
    pub app: String,
    /// The app's name, as the catalog gives it.
    pub app_name: String,
    pub text: String,
    /// Unix seconds.
    pub at: i64,
}

/// The routes of the forms a form reuses, by form id.
pub type LinkedRoutes = BTreeMap<String, Vec<Route>>;

/// Most fields a form may have (deleted ones included).
pub const MAX_FIELDS: usize = 200;
pub const MAX_ROUTES: usize = 100;

/// A form as exported, imported and sent through the API.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub settings: FormSettings,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub fallback: Fallback,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FormSettings {
    /// A disabled form's public page says so and takes no answers.
    pub enabled: bool,
    /// Leave the owner a notice on their dashboard for each submission.
    pub notify_owner: bool,
    /// Shown after a submission when no route applies.
    pub thank_you: String,
}

impl Default for FormSettings {
    fn default() -> Self {
        FormSettings {
            enabled: true,
            notify_owner: false,
            thank_you: String::new(),
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Stable across edits; generated when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The name used in links, rules and the API; generated from the label when absent.
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_empty_object")]
    pub config: Value,
    /// JSON Logic over earlier answers; the field is shown only while it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Value>,
    /// Start a new page before this field.
    #[serde(default, skip_serializing_if = "is_false")]
    pub page_break: bool,
    /// Soft-deleted: kept so old responses keep their column, never shown or asked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// JSON Logic over answers by identifier; empty (`{}` or absent) matches everyone.
    #[serde(default, skip_serializing_if = "is_empty_object")]
    pub rule: Value,
    /// Ignored while `use_routes_of` is set.
    #[serde(default)]
    pub action: Action,
    /// The id of another form of the same owner whose routes this route stands for (a
    /// "router" route): when `rule` holds, that form's routes are tried in order, with this
    /// form's answers; when none matches, the next route here is. Responses record
    /// `"{this route's id}/{the other route's id}"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_routes_of: Option<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fallback {
    pub action: Action,
}

impl Default for Fallback {
    fn default() -> Self {
        Fallback {
            action: Action {
                kind: ActionKind::Message,
                value: "Thank you! Your answers were sent.".into(),
            },
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: ActionKind,
    pub value: String,
}

impl Default for Action {
    fn default() -> Self {
        Action {
            kind: ActionKind::Message,
            value: String::new(),
        }
    }
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Message,
    ExternalUrl,
    EventType,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Whether a rule or condition is empty (`null` or `{}`): it always holds.
pub(crate) fn is_empty_object(v: &Value) -> bool {
    v.is_null() || v.as_object().is_some_and(Map::is_empty)
}

impl Field {
    pub fn field_type(&self) -> Option<&'static dyn fields::DynFieldType> {
        fields::lookup(&self.kind)
    }

    /// The answering side of its type (all the respondent's page and answer checks use).
    pub fn answer_type(&self) -> Option<&'static dyn fields::AnswerType> {
        fields::answering(&self.kind)
    }

    /// `(value, label)` of a select's, radio group's or multi-select's options, or of the
    /// points of a type that brings its own (a rating), in order; empty for other types.
    pub fn choices(&self) -> Vec<(String, String)> {
        if let Some(own) = self.field_type().map(|t| t.choices(&self.config)).filter(|c| !c.is_empty()) {
            return own;
        }
        self.config
            .get("options")
            .and_then(Value::as_array)
            .map(|options| {
                options
                    .iter()
                    .filter_map(|o| {
                        let value = o.get("value")?.as_str()?.to_owned();
                        let label = o.get("label").and_then(Value::as_str).unwrap_or(&value);
                        Some((value.clone(), label.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The shared settings (placeholder, help text) of the field's type.
    pub fn common(&self) -> fields::Common {
        self.answer_type()
            .map(|t| t.common(&self.config))
            .unwrap_or_default()
    }

    /// A stored answer as its type displays it in tables and the CSV; an answer to a field
    /// whose type is no longer known reads as stored.
    pub fn display(&self, value: &Value) -> String {
        match self.field_type() {
            Some(t) => t.display(value, &self.config),
            None => fields::display_stored(value),
        }
    }

    /// Whether the answer is a file (posted as multipart, never prefilled or typed).
    pub fn takes_file(&self) -> bool {
        self.answer_type().is_some_and(|t| t.needs_multipart())
    }

    /// Whether an answer holds several values.
    pub fn multi_valued(&self) -> bool {
        self.answer_type().is_some_and(|t| t.multi_valued())
    }

    /// Whether the respondent sees the field (hidden fields carry a value from the link).
    pub fn shown(&self) -> bool {
        self.answer_type().is_none_or(|t| t.shown())
    }
}

impl FormDefinition {
    /// How a response's route reads in tables, exports and charts: the route's name,
    /// "Fallback", or for a reused route (`"{route}/{other}"`) both names joined by an arrow.
    /// A route deleted since shows its id.
    pub fn route_label(&self, route_id: Option<&str>, linked: &LinkedRoutes) -> String {
        fn name(r: &Route) -> &str {
            if r.name.is_empty() { &r.id } else { &r.name }
        }
        let Some(id) = route_id else {
            return "Fallback".to_owned();
        };
        let (own, reused) = match id.split_once('/') {
            Some((own, inner)) => (own, Some(inner)),
            None => (id, None),
        };
        let Some(route) = self.routes.iter().find(|r| r.id == own) else {
            return id.to_owned();
        };
        match reused {
            None => name(route).to_owned(),
            Some(inner) => {
                let other = route
                    .use_routes_of
                    .as_ref()
                    .and_then(|form| linked.get(form))
                    .and_then(|routes| routes.iter().find(|r| r.id == inner))
                    .map(name)
                    .unwrap_or(inner);
                format!("{} → {other}", name(route))
            }
        }
    }

    /// The forms whose routes this one reuses.
    pub fn reused_forms(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .routes
            .iter()
            .filter_map(|r| r.use_routes_of.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// An empty, enabled form.
    pub fn new(name: &str) -> Self {
        FormDefinition {
            name: name.to_owned(),
            description: String::new(),
            settings: FormSettings::default(),
            fields: Vec::new(),
            routes: Vec::new(),
            fallback: Fallback::default(),
        }
    }

    /// Fields a respondent can see: not deleted and of a known type.
    pub fn live_fields(&self) -> impl Iterator<Item = &Field> {
        self.live_fields_indexed().map(|(_, f)| f)
    }

    /// [`FormDefinition::live_fields`] with each field's position in `fields`.
    pub fn live_fields_indexed(&self) -> impl Iterator<Item = (usize, &Field)> {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.deleted && f.answer_type().is_some())
    }

    /// Parses a JSON document, naming the path of a structural problem.
    pub fn from_json(json: &str) -> Result<FormDefinition, AppError> {
        serde_json::from_str(json).map_err(|e| {
            AppError::field("form", format!("This is not a valid form document: {}", e))
        })
    }
}

/// `"Work email"` → `"work_email"`: lower-case ASCII letters, digits and underscores,
/// starting with a letter.
pub fn identifier_from_label(label: &str) -> String {
    let mut out = String::new();
    for c in label.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    match out.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => out,
        Some(_) => format!("q_{out}"),
        None => "question".to_owned(),
    }
}

/// `base`, or `base_2`, `base_3` … whichever is not in `taken`.
pub fn unique_identifier(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|c| !taken.contains(c))
        .expect("an unused suffix exists")
}

pub fn is_valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A new random id for a field, route, form or response (server only: drafts in the
/// browser have none until they are saved).
pub fn new_id() -> String {
    #[cfg(feature = "ssr")]
    {
        uuid::Uuid::new_v4().simple().to_string()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

#[cfg(test)]
mod tests;

/// A stored form, as its owner sees it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormRecord {
    pub id: String,
    pub owner_id: i64,
    pub definition: FormDefinition,
    pub created_at: i64,
    pub updated_at: i64,
    /// Counts the saves: 0 when created, one more for every save since.
    pub revision: i64,
}

/// A line in the owner's list of forms.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSummary {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub updated_at: i64,
    pub responses: i64,
}

/// A stored response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub id: String,
    /// By field id.
    pub answers: BTreeMap<String, answers::StoredAnswer>,
    pub route_id: Option<String>,
    pub created_at: i64,
    /// What apps attached to it (a campaign's `utm_source`, a lead `score`).
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
}
