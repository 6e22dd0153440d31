//! Single select (a dropdown) and the option checks shared by the choice types.

use std::collections::HashSet;

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Select;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct SelectConfig {
    #[garde(length(min = 1, max = 500), custom(valid_options))]
    pub options: Vec<Choice>,
}

impl Default for SelectConfig {
    fn default() -> Self {
        SelectConfig {
            options: default_options(),
        }
    }
}

pub(crate) fn default_options() -> Vec<Choice> {
    vec![
        Choice {
            value: "option_1".into(),
            label: "Option 1".into(),
        },
        Choice {
            value: "option_2".into(),
            label: "Option 2".into(),
        },
    ]
}

/// Values are non-empty, unique and short; labels are non-empty.
pub(crate) fn valid_options(options: &[Choice], _: &()) -> garde::Result {
    let mut seen = HashSet::new();
    for (i, option) in options.iter().enumerate() {
        if option.value.trim().is_empty() || option.value.len() > 200 {
            return Err(garde::Error::new(format!(
                "option {} needs a value of 1 to 200 characters",
                i + 1
            )));
        }
        if option.label.trim().is_empty() || option.label.len() > 500 {
            return Err(garde::Error::new(format!(
                "option {} needs a label of 1 to 500 characters",
                i + 1
            )));
        }
        if !seen.insert(option.value.as_str()) {
            return Err(garde::Error::new(format!(
                "the value \"{}\" is used twice",
                option.value
            )));
        }
    }
    Ok(())
}

/// The option whose value is the answer.
pub(crate) fn pick(value: &Value, options: &[Choice]) -> Result<Value, String> {
    let text = as_text(value).ok_or("Choose one of the options.")?;
    options
        .iter()
        .find(|o| o.value == text)
        .map(|o| Value::String(o.value.clone()))
        .ok_or_else(|| "Choose one of the options.".to_owned())
}

impl FieldType for Select {
    type Config = SelectConfig;

    const PLACEHOLDER: bool = true;

    const META: FieldMeta = FieldMeta {
        kind: "select",
        name: "Dropdown",
        icon: "▾",
        doc: FieldDoc {
            what: "One choice from a dropdown list.",
            stored: "The chosen option's value.",
            validation: "Must be one of the options' values.",
            example: "\"DE\" for the option {\"value\": \"DE\", \"label\": \"Germany\"}",
        },
    };

    fn family(&self) -> Option<Family> {
        Some(Family::Choice)
    }

    fn chart(&self) -> Chart {
        Chart::Options
    }

    fn parse(&self, value: &Value, config: &SelectConfig) -> Result<Value, String> {
        pick(value, &config.options)
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[ConfigProp {
            key: "options",
            label: "Options",
            kind: PropKind::Options,
        }]
    }

    fn input(&self, ctx: InputCtx, config: &SelectConfig) -> AnyView {
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
        let prompt = placeholder.unwrap_or_else(|| "Choose…".to_owned());
        let options = config.options.clone();
        view! {
            <select
                id=html_id
                name=name
                required=required
                disabled=disabled
                aria-invalid=invalid.then_some("true")
                aria-describedby=described_by
                prop:value=move || display_value(&value.get())
                on:change=move |ev| value.set(Value::String(event_target_value(&ev)))
            >
                <option value="">{prompt}</option>
                {options
                    .into_iter()
                    .map(|o| {
                        let selected = display_value(&value.get_untracked()) == o.value;
                        view! { <option value=o.value selected=selected>{o.label}</option> }
                    })
                    .collect_view()}
            </select>
        }
        .into_any()
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"options": [{"value": "US", "label": "United States"}, {"value": "DE", "label": "Germany"}]}),
            valid: vec![(json!("DE"), json!("DE"))],
            invalid: vec![json!("FR"), json!("Germany"), json!(["DE"])],
        }
    }
}
