//! Hidden: a value taken from the link (`?identifier=value`), never shown to the respondent.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Hidden;

pub const HARD_MAX: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct HiddenConfig {
    /// Used when the link carries no value.
    #[garde(length(max = 2_000))]
    pub default_value: String,
}

impl FieldType for Hidden {
    type Config = HiddenConfig;

    const HELP_TEXT: bool = false;

    const META: FieldMeta = FieldMeta {
        kind: "hidden",
        name: "Hidden",
        icon: "◌",
        doc: FieldDoc {
            what: "A value carried in the form's link, such as a campaign or a customer id; never shown.",
            stored: "The text from the link, or the default value.",
            validation: "At most 2,000 characters.",
            example: "/f/…?utm_source=newsletter stores \"newsletter\" for the identifier utm_source",
        },
    };

    fn shown(&self) -> bool {
        false
    }

    fn parse(&self, value: &Value, _config: &HiddenConfig) -> Result<Value, String> {
        let text = as_text(value).ok_or("A hidden value must be text.")?;
        if text.chars().count() > HARD_MAX {
            return Err(format!(
                "A hidden value may have at most {HARD_MAX} characters."
            ));
        }
        Ok(Value::String(text))
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[ConfigProp {
            key: "default_value",
            label: "Default value",
            kind: PropKind::Text,
        }]
    }

    fn labelled_by_renderer(&self) -> bool {
        false
    }

    fn input(&self, ctx: InputCtx, _config: &HiddenConfig) -> AnyView {
        let InputCtx { name, value, .. } = ctx;
        view! { <input type="hidden" name=name value=display_value(&value.get_untracked()) prop:value=move || display_value(&value.get()) /> }
            .into_any()
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({}),
            valid: vec![
                (json!("newsletter"), json!("newsletter")),
                (json!(42), json!("42")),
            ],
            invalid: vec![json!("x".repeat(2_001)), json!({"a": 1})],
        }
    }
}
