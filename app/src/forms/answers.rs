//! Checking a respondent's answers against a form: visibility conditions, the field-type
//! registry, and what is stored. The browser runs it for live validation and the server
//! runs it again before storing, so both sides reach the same verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Field, FormDefinition};
use crate::error::FieldErrors;

/// Answers as submitted, by identifier.
pub type RawAnswers = BTreeMap<String, Value>;

/// One stored answer: by field id, with a snapshot of the label it was given under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub identifier: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Value,
}

/// The outcome of a successful check.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedAnswers {
    /// Normalized answers by identifier: what rules and routes see.
    pub values: Map<String, Value>,
    /// What is stored, by field id.
    pub stored: BTreeMap<String, StoredAnswer>,
}

/// How to treat keys that are not a field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKeys {
    /// Drop them (a form page may carry other query parameters).
    Ignore,
    /// Refuse them, naming each (the API).
    Reject,
}

/// Whether `field` is shown, given the normalized answers to the fields before it.
pub fn is_visible(field: &Field, earlier: &Map<String, Value>) -> bool {
    let Some(condition) = &field.visible_if else {
        return true;
    };
    let data = Value::Object(earlier.clone());
    match crate::rules::Rule::compile(condition) {
        Ok(rule) => rule.matches(&data).unwrap_or(false),
        Err(_) => false,
    }
}

/// Visibility of every live field, in order, for the answers as they stand (invalid
/// answers count as unanswered).
pub fn visibility(def: &FormDefinition, raw: &RawAnswers) -> BTreeMap<String, bool> {
    let mut values = Map::new();
    let mut shown = BTreeMap::new();
    for field in def.live_fields() {
        let visible = is_visible(field, &values);
        shown.insert(field.identifier.clone(), visible);
        if visible {
            if let Some(t) = field.field_type() {
                let raw_value = raw.get(&field.identifier).unwrap_or(&Value::Null);
                if let Ok(Some(value)) = t.answer(raw_value, &field.config, field.required) {
                    values.insert(field.identifier.clone(), value);
                }
            }
        }
    }
    shown
}

/// Checks every answer. Hidden fields (by condition) are not required and their values are
/// dropped; errors are keyed by identifier.
pub fn check_answers(
    def: &FormDefinition,
    raw: &RawAnswers,
    unknown: UnknownKeys,
) -> Result<CheckedAnswers, FieldErrors> {
    let mut errors = FieldErrors::new();
    if unknown == UnknownKeys::Reject {
        for key in raw.keys() {
            if !def.live_fields().any(|f| &f.identifier == key) {
                errors
                    .entry(key.clone())
                    .or_default()
                    .push(format!("\"{key}\" is not a field of this form."));
            }
        }
    }
    let mut checked = CheckedAnswers::default();
    for field in def.live_fields() {
        if !is_visible(field, &checked.values) {
            continue;
        }
        let Some(t) = field.field_type() else {
            continue;
        };
        let raw_value = raw.get(&field.identifier).unwrap_or(&Value::Null);
        match t.answer(raw_value, &field.config, field.required) {
            Ok(Some(value)) => {
                checked
                    .values
                    .insert(field.identifier.clone(), value.clone());
                checked.stored.insert(
                    field.id.clone(),
                    StoredAnswer {
                        identifier: field.identifier.clone(),
                        label: field.label.clone(),
                        kind: field.kind.clone(),
                        value,
                    },
                );
            }
            Ok(None) => {}
            Err(message) => errors
                .entry(field.identifier.clone())
                .or_default()
                .push(message),
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}
