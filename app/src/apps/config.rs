//! An installation's configuration, checked against its app's settings schema by the same
//! code in the browser (as the owner types) and on the server (before anything is stored).
//!
//! Values are JSON: text, URL, e-mail, select and secret settings are strings, numbers are
//! numbers, booleans are booleans. A secret is write-only: the form sends a new value to
//! replace it, `null` to clear it, and leaves it out to keep what is stored; the browser
//! only ever learns whether one is set.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::manifest::{Setting, SettingKind};
use crate::error::FieldErrors;

/// The longest text a setting takes.
pub const MAX_TEXT: usize = 10_000;

/// What the owner sent for a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretChange {
    Keep,
    Clear,
    Replace(String),
}

/// The checked configuration: the plain values to store, and what to do with each secret.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Checked {
    pub values: Map<String, Value>,
    pub secrets: BTreeMap<String, SecretChange>,
}

fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Checks `sent` against `settings`. `secrets_set` names the secrets already stored, so a
/// required secret left out is fine when one is kept. Errors are keyed by setting.
pub fn check(
    settings: &[Setting],
    sent: &Map<String, Value>,
    secrets_set: &[String],
) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut checked = Checked::default();
    for key in sent.keys() {
        if !settings.iter().any(|s| &s.key == key) {
            errors
                .entry(key.clone())
                .or_default()
                .push(format!("This app has no setting \"{key}\"."));
        }
    }
    for setting in settings {
        let key = &setting.key;
        let value = sent.get(key);
        let mut fail = |message: String| errors.entry(key.clone()).or_default().push(message);
        if setting.kind == SettingKind::Secret {
            let change = match value {
                None => SecretChange::Keep,
                Some(Value::Null) => SecretChange::Clear,
                Some(Value::String(s)) if s.is_empty() => SecretChange::Keep,
                Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
                    fail(format!("At most {MAX_TEXT} characters."));
                    continue;
                }
                Some(Value::String(s)) => SecretChange::Replace(s.clone()),
                Some(_) => {
                    fail("A secret is text.".into());
                    continue;
                }
            };
            let will_be_set = match &change {
                SecretChange::Keep => secrets_set.contains(key),
                SecretChange::Clear => false,
                SecretChange::Replace(_) => true,
            };
            if setting.required && !will_be_set {
                fail(format!("{} is required.", setting.label));
            }
            checked.secrets.insert(key.clone(), change);
            continue;
        }
        let value = match value {
            None | Some(Value::Null) => setting.default.clone(),
            Some(Value::String(s)) if s.trim().is_empty() && setting.kind != SettingKind::Text => {
                setting.default.clone()
            }
            Some(v) => Some(v.clone()),
        };
        let Some(value) = value else {
            if setting.required {
                fail(format!("{} is required.", setting.label));
            }
            continue;
        };
        let value = match (setting.kind, value) {
            (SettingKind::Boolean, Value::Bool(b)) => Value::Bool(b),
            (SettingKind::Boolean, Value::String(s)) if s == "true" || s == "on" => {
                Value::Bool(true)
            }
            (SettingKind::Boolean, Value::String(s)) if s == "false" || s == "off" => {
                Value::Bool(false)
            }
            (SettingKind::Boolean, _) => {
                fail("Choose yes or no.".into());
                continue;
            }
            (SettingKind::Number, Value::Number(n)) => Value::Number(n),
            (SettingKind::Number, Value::String(s)) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::Number::from_f64(n)
                    .map(|n| {
                        // Whole numbers stay whole (10, not 10.0).
                        if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) {
                            Value::from(n.as_f64().unwrap_or(0.0) as i64)
                        } else {
                            Value::Number(n)
                        }
                    })
                    .unwrap_or(Value::Null),
                _ => {
                    fail(format!("\"{s}\" is not a number."));
                    continue;
                }
            },
            (SettingKind::Number, _) => {
                fail("Enter a number.".into());
                continue;
            }
            (_, Value::String(s)) => {
                let s = s.trim().to_owned();
                if s.chars().count() > MAX_TEXT {
                    fail(format!("At most {MAX_TEXT} characters."));
                    continue;
                }
                let problem = match setting.kind {
                    SettingKind::Url if !is_url(&s) => {
                        Some("Enter a full address starting with https:// or http://.".to_owned())
                    }
                    SettingKind::Email if !is_email(&s) => {
                        Some(format!("\"{s}\" is not an e-mail address."))
                    }
                    SettingKind::Select if !setting.options.contains(&s) => Some(format!(
                        "Choose one of: {}.",
                        setting.options.join(", ")
                    )),
                    _ => None,
                };
                if let Some(problem) = problem {
                    fail(problem);
                    continue;
                }
                if s.is_empty() && setting.required {
                    fail(format!("{} is required.", setting.label));
                    continue;
                }
                Value::String(s)
            }
            (_, _) => {
                fail("Enter text.".into());
                continue;
            }
        };
        checked.values.insert(key.clone(), value);
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// The configuration an installation starts with: every default.
pub fn defaults(settings: &[Setting]) -> Map<String, Value> {
    settings
        .iter()
        .filter_map(|s| Some((s.key.clone(), s.default.clone()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn setting(key: &str, kind: SettingKind, required: bool) -> Setting {
        Setting {
            key: key.into(),
            label: key.into(),
            kind,
            required,
            default: None,
            help: String::new(),
            options: if kind == SettingKind::Select {
                vec!["a".into(), "b".into()]
            } else {
                vec![]
            },
        }
    }

    fn schema() -> Vec<Setting> {
        vec![
            setting("name", SettingKind::Text, true),
            setting("count", SettingKind::Number, false),
            setting("on", SettingKind::Boolean, false),
            setting("pick", SettingKind::Select, false),
            setting("site", SettingKind::Url, false),
            setting("mail", SettingKind::Email, false),
            setting("password", SettingKind::Secret, true),
        ]
    }

    fn sent(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn good_values_are_typed_and_secrets_are_kept_apart() {
        let checked = check(
            &schema(),
            &sent(json!({"name": " Ada ", "count": "10", "on": "on", "pick": "b",
                "site": "https://example.com/x", "mail": "a@example.com", "password": "pw"})),
            &[],
        )
        .unwrap();
        assert_eq!(
            Value::Object(checked.values),
            json!({"name": "Ada", "count": 10, "on": true, "pick": "b",
                "site": "https://example.com/x", "mail": "a@example.com"})
        );
        assert_eq!(checked.secrets["password"], SecretChange::Replace("pw".into()));
    }

    #[test]
    fn each_problem_is_named_by_its_setting() {
        let errors = check(
            &schema(),
            &sent(json!({"count": "ten", "on": 3, "pick": "z", "site": "javascript:alert(1)",
                "mail": "nobody", "extra": 1})),
            &[],
        )
        .unwrap_err();
        let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["count", "extra", "mail", "name", "on", "password", "pick", "site"]
        );
        assert!(errors["count"][0].contains("\"ten\" is not a number"));
        assert!(errors["password"][0].contains("required"));
    }

    #[test]
    fn a_stored_secret_satisfies_required_until_it_is_cleared() {
        let kept = check(&schema(), &sent(json!({"name": "n"})), &["password".into()]).unwrap();
        assert_eq!(kept.secrets["password"], SecretChange::Keep);
        let cleared = check(
            &schema(),
            &sent(json!({"name": "n", "password": null})),
            &["password".into()],
        )
        .unwrap_err();
        assert!(cleared.contains_key("password"));
    }
}
