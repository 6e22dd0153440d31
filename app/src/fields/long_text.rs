//! Long text: several lines, with optional length limits.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::short_text::{check_length, check_min_max};
use super::*;

pub const HARD_MAX: usize = 10_000;

pub struct LongText;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct LongTextConfig {
    #[garde(inner(range(max = 10_000)))]
    pub min_length: Option<u32>,
    #[garde(inner(range(min = 1, max = 10_000)))]
    pub max_length: Option<u32>,
    /// Visible lines of the text area.
    #[garde(range(min = 2, max = 30))]
    pub rows: u32,
}

impl Default for LongTextConfig {
    fn default() -> Self {
        LongTextConfig {
            min_length: None,
            max_length: None,
            rows: 4,
        }
    }
}

impl FieldType for LongText {
    type Config = LongTextConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "long_text",
        name: "Long text",
        icon: "¶",
        doc: FieldDoc {
            what: "Several lines of text, such as a message or a description.",
            stored: "The text with surrounding spaces removed and line breaks as \\n.",
            validation: "Optional minimum and maximum length (at most 10,000 characters).",
            example: "\"We need 40 seats.\\nStarting in May.\"",
        },
    };

    fn parse(&self, value: &Value, config: &LongTextConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("Enter text.")?.replace("\r\n", "\n");
        let text = text.trim();
        check_length(text, config.min_length, config.max_length, HARD_MAX)?;
        Ok(Value::String(text.to_owned()))
    }

    fn check(&self, config: &LongTextConfig) -> Vec<(String, String)> {
        check_min_max(config.min_length, config.max_length)
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
                key: "rows",
                label: "Visible lines",
                kind: PropKind::Number,
            },
        ]
    }

    fn input(&self, ctx: InputCtx, config: &LongTextConfig) -> AnyView {
        let InputCtx {
            html_id,
            name,
            required,
            value,
            invalid,
            described_by,
            disabled,
            placeholder,
            ..
        } = ctx;
        let maxlength = config.max_length.unwrap_or(HARD_MAX as u32);
        view! {
            <textarea
                id=html_id
                name=name
                rows=config.rows
                placeholder=placeholder
                required=required
                disabled=disabled
                maxlength=maxlength
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
                prop:value=move || display_value(&value.get())
                on:input=move |ev| value.set(Value::String(event_target_value(&ev)))
                // Never as children: tachys writes a textarea's children unescaped.
                inner_html=crate::raw_text::escaped(&display_value(&value.get_untracked()))
            ></textarea>
        }
        .into_any()
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"max_length": 20}),
            valid: vec![(json!("line one\r\nline two "), json!("line one\nline two"))],
            invalid: vec![json!("x".repeat(21)), json!([1, 2])],
        }
    }
}
