//! Checking a respondent's answers against a form: visibility conditions, the field-type
//! registry, and what is stored. The browser runs it for live validation and the server
//! runs it again before storing, so both sides reach the same verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::compiled::{CompiledForm, SUBMISSION_BUDGET};
use super::{Field, FormDefinition};
use crate::error::FieldErrors;
use crate::rules::Budget;

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
    /// The value as its type displays it, filled in for the owner's table; never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
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

/// Text answers from `name=value` pairs (a posted form, a link's query string), in one pass
/// over the pairs: a multi-select collects every value of its name, any other field takes
/// the first. Names that are not a live field, and file fields (which come only as
/// uploads), are left out.
pub fn collect(
    def: &FormDefinition,
    pairs: impl IntoIterator<Item = (String, String)>,
) -> RawAnswers {
    let fields: std::collections::HashMap<&str, &Field> = def
        .live_fields()
        .filter(|f| !f.takes_file())
        .map(|f| (f.identifier.as_str(), f))
        .collect();
    let mut raw = RawAnswers::new();
    for (name, value) in pairs {
        let Some(field) = fields.get(name.as_str()) else {
            continue;
        };
        if field.multi_valued() {
            if let Value::Array(values) =
                raw.entry(name).or_insert_with(|| Value::Array(Vec::new()))
            {
                values.push(Value::String(value));
            }
        } else {
            raw.entry(name).or_insert(Value::String(value));
        }
    }
    raw
}

/// Visibility of every live field, in order, for the answers as they stand (invalid
/// answers count as unanswered).
pub fn visibility(def: &FormDefinition, raw: &RawAnswers) -> BTreeMap<String, bool> {
    let compiled = CompiledForm::new(def);
    let mut budget = Budget::new(SUBMISSION_BUDGET);
    let mut values = Value::Object(Map::new());
    let mut shown = BTreeMap::new();
    for (index, field) in def.live_fields_indexed() {
        let visible = compiled
            .is_visible(index, &values, &mut budget)
            .unwrap_or(false);
        shown.insert(field.identifier.clone(), visible);
        if visible && let Some(t) = field.answer_type() {
            let raw_value = raw.get(&field.identifier).unwrap_or(&Value::Null);
            if let (Ok(Some(value)), Value::Object(map)) = (
                t.answer(raw_value, &field.config, field.required),
                &mut values,
            ) {
                map.insert(field.identifier.clone(), value);
            }
        }
    }
    shown
}

/// The key of an error about the submission as a whole rather than one field (never an
/// identifier, which is never empty).
pub const WHOLE_FORM: &str = "";

/// Checks every answer. Hidden fields (by condition) are not required and their values are
/// dropped; errors are keyed by identifier.
pub fn check_answers(
    def: &FormDefinition,
    raw: &RawAnswers,
    unknown: UnknownKeys,
) -> Result<CheckedAnswers, FieldErrors> {
    let compiled = CompiledForm::new(def);
    check_answers_with(
        def,
        &compiled,
        raw,
        unknown,
        &mut Budget::new(SUBMISSION_BUDGET),
    )
}

/// [`check_answers`] with the form's rules already compiled, taking the work from
/// `budget`. Every display condition and every field's check costs steps (a check one per
/// 64 bytes of its answer); a submission that needs more than the budget is refused as a
/// whole, under [`WHOLE_FORM`].
pub fn check_answers_with(
    def: &FormDefinition,
    compiled: &CompiledForm,
    raw: &RawAnswers,
    unknown: UnknownKeys,
    budget: &mut Budget,
) -> Result<CheckedAnswers, FieldErrors> {
    let mut errors = FieldErrors::new();
    if unknown == UnknownKeys::Reject {
        let known: std::collections::HashSet<&str> =
            def.live_fields().map(|f| f.identifier.as_str()).collect();
        for key in raw.keys() {
            if !known.contains(key.as_str()) {
                errors
                    .entry(key.clone())
                    .or_default()
                    .push(format!("\"{key}\" is not a field of this form."));
            }
        }
    }
    let too_much = || {
        let mut errors = FieldErrors::new();
        errors.insert(
            WHOLE_FORM.to_owned(),
            vec!["This form needs more work to check than Junction allows; its owner should simplify its conditions.".to_owned()],
        );
        errors
    };
    // The answers so far, as the JSON object the display conditions read; moved in and out
    // rather than cloned for every field.
    let mut earlier = Value::Object(Map::new());
    let mut checked = CheckedAnswers::default();
    for (index, field) in def.live_fields_indexed() {
        match compiled.is_visible(index, &earlier, budget) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(_) => return Err(too_much()),
        }
        let Some(t) = field.answer_type() else {
            continue;
        };
        let raw_value = raw.get(&field.identifier).unwrap_or(&Value::Null);
        if budget.take(1 + answer_len(raw_value) / 64).is_err() {
            return Err(too_much());
        }
        match t.answer(raw_value, &field.config, field.required) {
            Ok(Some(value)) => {
                if let Value::Object(map) = &mut earlier {
                    map.insert(field.identifier.clone(), value.clone());
                }
                checked.stored.insert(
                    field.id.clone(),
                    StoredAnswer {
                        identifier: field.identifier.clone(),
                        label: field.label.clone(),
                        kind: field.kind.clone(),
                        value,
                        shown: None,
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
    if let Value::Object(map) = earlier {
        checked.values = map;
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// Bytes of text in an answer, roughly: what checking it costs.
fn answer_len(value: &Value) -> u64 {
    match value {
        Value::String(s) => s.len() as u64,
        Value::Array(items) => items.iter().map(answer_len).sum::<u64>() + items.len() as u64,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.len() as u64 + answer_len(v))
            .sum(),
        _ => 8,
    }
}
