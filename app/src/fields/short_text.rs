//! Short text: one line, with optional length limits and a pattern.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

/// Longest short answer accepted even without a configured limit.
pub const HARD_MAX: usize = 1_000;

pub struct ShortText;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct ShortTextConfig {
    #[garde(inner(range(max = 1_000)))]
    pub min_length: Option<u32>,
    #[garde(inner(range(min = 1, max = 1_000)))]
    pub max_length: Option<u32>,
    /// A regular expression the whole answer must match.
    #[garde(length(max = 500))]
    pub pattern: String,
}

/// Compiles `pattern` anchored at both ends.
pub(crate) fn compile_pattern(pattern: &str) -> Result<regex_lite::Regex, String> {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
        format!(
            "not a valid pattern: {}",
            e.to_string().lines().last().unwrap_or("")
        )
    })
}

/// [`compile_pattern`], compiled once per pattern and kept: a form's patterns change only
/// with a new revision, and every submission checks them again.
fn cached_pattern(pattern: &str) -> Result<std::sync::Arc<regex_lite::Regex>, String> {
    use std::collections::HashMap;
    use std::sync::{Arc, LazyLock, Mutex};
    static CACHE: LazyLock<Mutex<HashMap<String, Arc<regex_lite::Regex>>>> =
        LazyLock::new(Default::default);
    /// Patterns kept; past it the cache starts again.
    const KEPT: usize = 1024;
    if let Some(hit) = CACHE.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return Ok(hit);
    }
    let compiled = Arc::new(compile_pattern(pattern)?);
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= KEPT {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), compiled.clone());
    }
    Ok(compiled)
}

/// Length checks shared by the text types.
pub(crate) fn check_length(
    text: &str,
    min: Option<u32>,
    max: Option<u32>,
    hard_max: usize,
) -> Result<(), String> {
    let len = text.chars().count();
    if let Some(min) = min.filter(|&m| len < m as usize) {
        return Err(format!("Use at least {min} characters (you used {len})."));
    }
    let max = max.map_or(hard_max, |m| (m as usize).min(hard_max));
    if len > max {
        return Err(format!("Use at most {max} characters (you used {len})."));
    }
    Ok(())
}

pub(crate) fn check_min_max(min: Option<u32>, max: Option<u32>) -> Vec<(String, String)> {
    match (min, max) {
        (Some(min), Some(max)) if min > max => {
            vec![(
                "min_length".into(),
                format!("must not exceed the maximum length ({max})"),
            )]
        }
        _ => Vec::new(),
    }
}

impl FieldType for ShortText {
    type Config = ShortTextConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "short_text",
        name: "Short text",
        icon: "T",
        doc: FieldDoc {
            what: "A single line of text, such as a name or a company.",
            stored: "The text with surrounding spaces removed.",
            validation: "Optional minimum and maximum length (at most 1,000 characters) and a \
                         pattern (a regular expression the whole answer must match).",
            example: "\"Ada Lovelace\"",
        },
    };

    fn parse(&self, value: &Value, config: &ShortTextConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("Enter text.")?;
        let text = text.trim();
        if text.contains(['\n', '\r']) {
            return Err("Use a single line.".into());
        }
        check_length(text, config.min_length, config.max_length, HARD_MAX)?;
        if !config.pattern.is_empty() {
            let pattern = cached_pattern(&config.pattern)?;
            if !pattern.is_match(text) {
                return Err("This answer is not in the expected format.".into());
            }
        }
        Ok(Value::String(text.to_owned()))
    }

    fn check(&self, config: &ShortTextConfig) -> Vec<(String, String)> {
        let mut errors = check_min_max(config.min_length, config.max_length);
        if !config.pattern.is_empty()
            && let Err(e) = compile_pattern(&config.pattern)
        {
            errors.push(("pattern".into(), e));
        }
        errors
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "min_length",
                label: "Minimum length",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "max_length",
                label: "Maximum length",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "pattern",
                label: "Pattern (regular expression)",
                kind: PropKind::Text,
            },
        ]
    }

    fn input(&self, ctx: InputCtx, config: &ShortTextConfig) -> AnyView {
        let mut extra = vec![(
            "maxlength",
            config.max_length.map_or(HARD_MAX as u32, |m| m).to_string(),
        )];
        if let Some(min) = config.min_length {
            extra.push(("minlength", min.to_string()));
        }
        if !config.pattern.is_empty() {
            extra.push(("pattern", config.pattern.clone()));
        }
        text_input_with(ctx, "text", extra)
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"min_length": 2, "max_length": 10, "pattern": "[A-Za-z ]+"}),
            valid: vec![
                (json!("  Ada "), json!("Ada")),
                (json!("Ada Byron"), json!("Ada Byron")),
            ],
            invalid: vec![
                json!("A"),
                json!("Ada Lovelace!"),
                json!("Ada4"),
                json!("two\nlines"),
                json!({"a": 1}),
            ],
        }
    }
}
