//! An action with the answers put in: `{identifier}` in a URL becomes the answer, encoded
//! as a URI component. Used wherever a route is decided (`compiled.rs`, `routing/`).

use serde_json::{Map, Value};

use super::{Action, ActionKind, is_valid_identifier};

/// Replaces `{identifier}` in URL actions with the answer, encoded as a URI component
/// (`@` → `%40`, space → `%20`); unknown or empty answers become empty. Messages are kept
/// as written.
pub fn substitute(action: &Action, answers: &Map<String, Value>) -> Action {
    if action.kind == ActionKind::Message {
        return action.clone();
    }
    let mut out = String::with_capacity(action.value.len());
    let mut rest = action.value.as_str();
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if is_valid_identifier(&after[..end]) => {
                let text = answers
                    .get(&after[..end])
                    .map(answer_text)
                    .unwrap_or_default();
                out.push_str(&encode_uri_component(&text));
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Action {
        kind: action.kind,
        value: out,
    }
}

/// An answer as text for a URL: lists joined with commas.
fn answer_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(answer_text).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// JavaScript's `encodeURIComponent`: everything but `A–Z a–z 0–9 - _ . ! ~ * ' ( )`.
pub fn encode_uri_component(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}
