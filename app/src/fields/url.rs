//! URL: a web address.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Url;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct UrlConfig {
    /// Refuse plain `http://` addresses.
    #[garde(skip)]
    pub require_https: bool,
}

/// An http(s) URL with a host; a missing scheme becomes `https://`.
pub fn normalize_url(text: &str, require_https: bool) -> Result<String, String> {
    let text = text.trim();
    if text.len() > 2_000 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Enter a web address without spaces.".into());
    }
    let lower = text.to_ascii_lowercase();
    let (scheme, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        ("https", &text[text.len() - rest.len()..])
    } else if let Some(rest) = lower.strip_prefix("http://") {
        ("http", &text[text.len() - rest.len()..])
    } else if lower.contains("://") {
        return Err("Enter an address starting with https://.".into());
    } else {
        ("https", text)
    };
    if require_https && scheme != "https" {
        return Err("Enter an address starting with https://.".into());
    }
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let valid_host = host == "localhost"
        || (host.contains('.')
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-')));
    if !valid_host {
        return Err("Enter a web address like https://example.com.".into());
    }
    Ok(format!("{scheme}://{rest}"))
}

impl FieldType for Url {
    type Config = UrlConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "url",
        name: "URL",
        icon: "🔗",
        doc: FieldDoc {
            what: "A web address, such as a company website.",
            stored: "The address with a scheme; \"example.com\" is stored as \"https://example.com\".",
            validation: "http or https with a host name; https only when required.",
            example: "\"https://example.com/about\"",
        },
    };

    fn parse(&self, value: &Value, config: &UrlConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("Enter a web address.")?;
        normalize_url(&text, config.require_https).map(Value::String)
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[ConfigProp {
            key: "require_https",
            label: "Require https",
            kind: PropKind::Bool,
        }]
    }

    fn input(&self, ctx: InputCtx, _config: &UrlConfig) -> AnyView {
        // type=text, not url: browsers refuse "example.com", which Junction accepts.
        text_input_with(
            ctx,
            "text",
            vec![("inputmode", "url".into()), ("autocomplete", "url".into())],
        )
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({}),
            valid: vec![
                (json!("example.com"), json!("https://example.com")),
                (
                    json!("HTTP://Example.com/a?b=1"),
                    json!("http://Example.com/a?b=1"),
                ),
            ],
            invalid: vec![
                json!("ftp://example.com"),
                json!("not a url"),
                json!("https://"),
                json!("https://nodot"),
            ],
        }
    }
}
