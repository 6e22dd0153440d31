//! Forms: the definition document (fields, routes, fallback, settings), its validation with
//! error paths such as `fields[2].config.options`, and answer checking with the field-type
//! registry. Plain Rust, shared by the builder, the public page, the API and the server.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{AppError, FieldErrors};
use crate::fields;

pub mod answers;
pub mod compiled;
pub mod conditions;
pub mod insights;

/// Unread responses of one form, for its owner.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Notice {
    pub form_id: String,
    pub form_name: String,
    pub count: i64,
    /// Unix seconds of the newest response.
    pub latest: i64,
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

    /// `(value, label)` of a select's, radio group's or multi-select's options, in order
    /// (empty for other types).
    pub fn choices(&self) -> Vec<(String, String)> {
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

    pub fn help_text(&self) -> Option<&str> {
        self.config
            .get("help_text")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
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
            .filter(|(_, f)| !f.deleted && f.field_type().is_some())
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

/// Checks a definition and completes it: ids and identifiers generated where absent,
/// configurations filled with their defaults. Errors are keyed by path.
pub fn validate_definition(mut def: FormDefinition) -> Result<FormDefinition, AppError> {
    let mut errors: FieldErrors = BTreeMap::new();
    let mut push = |path: String, message: String| errors.entry(path).or_default().push(message);

    def.name = def.name.trim().to_owned();
    if def.name.is_empty() {
        push("name".into(), "Give the form a name.".into());
    } else if def.name.chars().count() > 200 {
        push("name".into(), "Use at most 200 characters.".into());
    }
    if def.description.chars().count() > 5_000 {
        push("description".into(), "Use at most 5,000 characters.".into());
    }
    if def.fields.len() > MAX_FIELDS {
        push(
            "fields".into(),
            format!("A form may have at most {MAX_FIELDS} fields."),
        );
    }
    if def.routes.len() > MAX_ROUTES {
        push(
            "routes".into(),
            format!("A form may have at most {MAX_ROUTES} routes."),
        );
    }

    // Ids and identifiers: keep those given, generate the rest, all unique.
    let mut ids = HashSet::new();
    let mut identifiers: HashSet<String> = HashSet::new();
    for (i, field) in def.fields.iter_mut().enumerate() {
        let at = |key: &str| format!("fields[{i}].{key}");
        if field.id.is_empty() {
            // The browser checks drafts without ids; the server assigns them on save.
            if cfg!(feature = "ssr") {
                field.id = new_id();
            }
        } else if field.id.len() > 64
            || !field
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            push(
                at("id"),
                "An id uses letters, digits, - and _ (at most 64).".into(),
            );
        }
        if !field.id.is_empty() && !ids.insert(field.id.clone()) {
            push(
                at("id"),
                format!("The id \"{}\" is used by another field.", field.id),
            );
        }
        field.label = field.label.trim().to_owned();
        if field.label.is_empty() && field.kind != "hidden" {
            push(at("label"), "Give the field a label.".into());
        } else if field.label.chars().count() > 500 {
            push(at("label"), "Use at most 500 characters.".into());
        }
        if field.identifier.is_empty() {
            let base = identifier_from_label(if field.label.is_empty() {
                &field.kind
            } else {
                &field.label
            });
            field.identifier = unique_identifier(&base, &identifiers);
        } else if !is_valid_identifier(&field.identifier) {
            push(
                at("identifier"),
                "Use lower-case letters, digits and _, starting with a letter.".into(),
            );
        }
        if !identifiers.insert(field.identifier.clone()) {
            push(
                at("identifier"),
                format!(
                    "\"{}\" is already the identifier of another field.",
                    field.identifier
                ),
            );
        }
        match field.field_type() {
            None => {
                let known: Vec<&str> = fields::REGISTRY.iter().map(|t| t.meta().kind).collect();
                push(
                    at("type"),
                    format!(
                        "Unknown field type \"{}\"; use one of {}.",
                        field.kind,
                        known.join(", ")
                    ),
                );
            }
            Some(t) => match t.check_config(&field.config) {
                Ok(config) => field.config = config,
                Err(problems) => {
                    for (path, message) in problems {
                        let key = if path.is_empty() {
                            at("config")
                        } else {
                            format!("fields[{i}].config.{path}")
                        };
                        push(key, message);
                    }
                }
            },
        }
    }

    // Conditions may only look at earlier fields.
    let mut earlier: HashSet<&str> = HashSet::new();
    for (i, field) in def.fields.iter().enumerate() {
        if let Some(condition) = &field.visible_if
            && let Err(message) = check_condition(condition, &earlier, "an earlier field")
        {
            push(format!("fields[{i}].visible_if"), message);
        }
        earlier.insert(field.identifier.as_str());
    }

    let all_identifiers: HashSet<&str> = def.fields.iter().map(|f| f.identifier.as_str()).collect();
    let mut route_ids = HashSet::new();
    for (i, route) in def.routes.iter_mut().enumerate() {
        if route.id.is_empty() && cfg!(feature = "ssr") {
            route.id = new_id();
        }
        if !route
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            || route.id.len() > 64
        {
            push(
                format!("routes[{i}].id"),
                "A route id uses at most 64 letters, digits, _ and -.".into(),
            );
        } else if !route.id.is_empty() && !route_ids.insert(route.id.clone()) {
            push(
                format!("routes[{i}].id"),
                format!("The id \"{}\" is used by another route.", route.id),
            );
        }
        if route.name.chars().count() > 200 {
            push(
                format!("routes[{i}].name"),
                "Use at most 200 characters.".into(),
            );
        }
        if !is_empty_object(&route.rule)
            && let Err(message) =
                check_condition(&route.rule, &all_identifiers, "a field of this form")
        {
            push(format!("routes[{i}].rule"), message);
        }
        match &route.use_routes_of {
            Some(form) if form.trim().is_empty() || form.len() > 64 => push(
                format!("routes[{i}].use_routes_of"),
                "Choose the form whose routes to use.".into(),
            ),
            Some(_) => {}
            None => {
                if let Err(message) = check_action(&route.action) {
                    push(format!("routes[{i}].action.value"), message);
                }
            }
        }
    }
    if let Err(message) = check_action(&def.fallback.action) {
        push("fallback.action.value".into(), message);
    }
    if def.settings.thank_you.chars().count() > 5_000 {
        push(
            "settings.thank_you".into(),
            "Use at most 5,000 characters.".into(),
        );
    }

    if errors.is_empty() {
        Ok(def)
    } else {
        let message = match errors.len() {
            1 => "The form has a problem; see the highlighted setting.".to_owned(),
            n => format!("The form has {n} problems; see the highlighted settings."),
        };
        Err(AppError::Validation {
            message,
            fields: errors,
        })
    }
}

/// Compiles a rule or condition and checks that every answer it reads is `known`.
pub fn check_condition(
    rule: &Value,
    known: &HashSet<&str>,
    what: &str,
) -> Result<crate::rules::Rule, String> {
    let compiled = crate::rules::Rule::compile(rule).map_err(|e| e.to_string())?;
    for var in compiled.variables() {
        let root = var.split('.').next().unwrap_or("");
        if !root.is_empty() && !known.contains(root) {
            return Err(format!("It refers to \"{var}\", which is not {what}."));
        }
    }
    Ok(compiled)
}

fn check_action(action: &Action) -> Result<(), String> {
    let value = action.value.trim();
    match action.kind {
        ActionKind::Message if value.is_empty() => Err("Write the message to show.".into()),
        ActionKind::Message if value.chars().count() > 5_000 => {
            Err("Use at most 5,000 characters.".into())
        }
        ActionKind::ExternalUrl
            if !(value.starts_with("https://") || value.starts_with("http://")) =>
        {
            Err("An external URL starts with https:// or http://.".into())
        }
        ActionKind::ExternalUrl if host_has_placeholder(value) => Err(
            "The site's address cannot contain {placeholders}: put answers in the path or the query."
                .into(),
        ),
        ActionKind::EventType if !is_local_path(value) => {
            Err("A booking page is a path on this site, starting with / (not // or /\\).".into())
        }
        _ if value.len() > 2_000 => Err("Use at most 2,000 characters.".into()),
        _ => Ok(()),
    }
}

/// A path on this site that no browser reads as another site: it starts with one `/`, and
/// has no backslash (browsers read `/\\evil.example` as `//evil.example`), whitespace or
/// control character (browsers drop tabs and newlines from URLs, so `/\t/evil.example`
/// would become `//evil.example`).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether a `{placeholder}` sits in the scheme or authority of `https://host/…`, where an
/// answer could choose the host (`https://a.example{x}` with `x` = `.evil.example`).
fn host_has_placeholder(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority_end = url.len() - rest.len() + authority.len();
    url[..authority_end].contains('{')
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
}
