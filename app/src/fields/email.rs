//! Email: an address, stored with its domain in lower case.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Email;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct EmailConfig {}

/// `local@domain` with a plausible domain; the domain is lower-cased (the local part is
/// case-sensitive by the standard, so it is kept).
pub fn normalize_email(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = text.rsplit_once('@')?;
    if local.is_empty() || local.len() > 64 || local.contains('@') {
        return None;
    }
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_label = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(valid_label) {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

impl FieldType for Email {
    type Config = EmailConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "email",
        name: "Email",
        icon: "@",
        doc: FieldDoc {
            what: "An email address.",
            stored: "The address with its domain in lower case.",
            validation: "One @, a local part of at most 64 characters, and a domain with a dot.",
            example: "\"Ada@Example.COM\" is stored as \"Ada@example.com\"",
        },
    };

    fn parse(&self, value: &Value, _config: &EmailConfig) -> Result<Value, String> {
        as_text(value)
            .and_then(|t| normalize_email(&t))
            .map(Value::String)
            .ok_or_else(|| "Enter an email address like name@example.com.".to_owned())
    }

    fn input(&self, ctx: InputCtx, _config: &EmailConfig) -> AnyView {
        text_input_with(ctx, "email", vec![("autocomplete", "email".into())])
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({}),
            valid: vec![(json!(" Ada@Example.COM "), json!("Ada@example.com"))],
            invalid: vec![
                json!("ada"),
                json!("ada@"),
                json!("@example.com"),
                json!("ada@example"),
                json!("a b@example.com"),
                json!("ada@-x.com"),
            ],
        }
    }
}
