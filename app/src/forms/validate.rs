//! Checking a form definition, by what a reader looks for: the document as a whole, its
//! fields (ids, identifiers, labels, types and their settings), display conditions, routes
//! and their actions, and the settings. Each part adds its problems by path
//! (`fields[2].config.options`); `validate_definition` runs them all.

use std::collections::HashSet;

use serde_json::Value;

use super::{
    Action, ActionKind, FormDefinition, MAX_FIELDS, MAX_ROUTES, identifier_from_label,
    is_empty_object, is_valid_identifier, new_id, unique_identifier,
};
use crate::error::{AppError, FieldErrors};
use crate::fields;

/// Problems found so far, by path.
#[derive(Default)]
struct Problems(FieldErrors);

impl Problems {
    fn push(&mut self, path: String, message: String) {
        self.0.entry(path).or_default().push(message);
    }
}

/// Checks a definition and completes it: ids and identifiers generated where absent,
/// configurations filled with their defaults. Errors are keyed by path.
pub fn validate_definition(mut def: FormDefinition) -> Result<FormDefinition, AppError> {
    let mut problems = Problems::default();
    check_document(&mut def, &mut problems);
    check_fields(&mut def, &mut problems);
    check_display_conditions(&def, &mut problems);
    check_routes(&mut def, &mut problems);
    check_settings(&def, &mut problems);
    let errors = problems.0;
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

/// The name, the description and how many fields and routes there are.
fn check_document(def: &mut FormDefinition, problems: &mut Problems) {
    def.name = def.name.trim().to_owned();
    if def.name.is_empty() {
        problems.push("name".into(), "Give the form a name.".into());
    } else if def.name.chars().count() > 200 {
        problems.push("name".into(), "Use at most 200 characters.".into());
    }
    if def.description.chars().count() > 5_000 {
        problems.push("description".into(), "Use at most 5,000 characters.".into());
    }
    if def.fields.len() > MAX_FIELDS {
        problems.push(
            "fields".into(),
            format!("A form may have at most {MAX_FIELDS} fields."),
        );
    }
    if def.routes.len() > MAX_ROUTES {
        problems.push(
            "routes".into(),
            format!("A form may have at most {MAX_ROUTES} routes."),
        );
    }
}

/// Each field: its id and identifier (kept when given, else generated; all unique), its
/// label, and its type with the type's settings (completed with their defaults).
fn check_fields(def: &mut FormDefinition, problems: &mut Problems) {
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
            problems.push(
                at("id"),
                "An id uses letters, digits, - and _ (at most 64).".into(),
            );
        }
        if !field.id.is_empty() && !ids.insert(field.id.clone()) {
            problems.push(
                at("id"),
                format!("The id \"{}\" is used by another field.", field.id),
            );
        }
        field.label = field.label.trim().to_owned();
        if field.label.is_empty() && field.shown() {
            problems.push(at("label"), "Give the field a label.".into());
        } else if field.label.chars().count() > 500 {
            problems.push(at("label"), "Use at most 500 characters.".into());
        }
        if field.identifier.is_empty() {
            let base = identifier_from_label(if field.label.is_empty() {
                &field.kind
            } else {
                &field.label
            });
            field.identifier = unique_identifier(&base, &identifiers);
        } else if !is_valid_identifier(&field.identifier) {
            problems.push(
                at("identifier"),
                "Use lower-case letters, digits and _, starting with a letter.".into(),
            );
        }
        if !identifiers.insert(field.identifier.clone()) {
            problems.push(
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
                problems.push(
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
                Err(config_problems) => {
                    for (path, message) in config_problems {
                        let key = if path.is_empty() {
                            at("config")
                        } else {
                            format!("fields[{i}].config.{path}")
                        };
                        problems.push(key, message);
                    }
                }
            },
        }
    }
}

/// A field's display condition may look only at earlier fields.
fn check_display_conditions(def: &FormDefinition, problems: &mut Problems) {
    let mut earlier: HashSet<&str> = HashSet::new();
    for (i, field) in def.fields.iter().enumerate() {
        if let Some(condition) = &field.visible_if
            && let Err(message) = check_condition(condition, &earlier, "an earlier field")
        {
            problems.push(format!("fields[{i}].visible_if"), message);
        }
        earlier.insert(field.identifier.as_str());
    }
}

/// Each route: its id and name, its rule (over this form's fields) and its action or the
/// form whose routes it reuses; then the fallback's action.
fn check_routes(def: &mut FormDefinition, problems: &mut Problems) {
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
            problems.push(
                format!("routes[{i}].id"),
                "A route id uses at most 64 letters, digits, _ and -.".into(),
            );
        } else if !route.id.is_empty() && !route_ids.insert(route.id.clone()) {
            problems.push(
                format!("routes[{i}].id"),
                format!("The id \"{}\" is used by another route.", route.id),
            );
        }
        if route.name.chars().count() > 200 {
            problems.push(
                format!("routes[{i}].name"),
                "Use at most 200 characters.".into(),
            );
        }
        if !is_empty_object(&route.rule)
            && let Err(message) =
                check_condition(&route.rule, &all_identifiers, "a field of this form")
        {
            problems.push(format!("routes[{i}].rule"), message);
        }
        match &route.use_routes_of {
            Some(form) if form.trim().is_empty() || form.len() > 64 => problems.push(
                format!("routes[{i}].use_routes_of"),
                "Choose the form whose routes to use.".into(),
            ),
            Some(_) => {}
            None => {
                if let Err(message) = check_action(&route.action) {
                    problems.push(format!("routes[{i}].action.value"), message);
                }
            }
        }
    }
    if let Err(message) = check_action(&def.fallback.action) {
        problems.push("fallback.action.value".into(), message);
    }
}

fn check_settings(def: &FormDefinition, problems: &mut Problems) {
    if def.settings.thank_you.chars().count() > 5_000 {
        problems.push(
            "settings.thank_you".into(),
            "Use at most 5,000 characters.".into(),
        );
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
