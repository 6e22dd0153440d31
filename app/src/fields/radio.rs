//! Radio group: one choice, all options visible.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::select::{default_options, pick, valid_options};
use super::*;

pub struct Radio;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct RadioConfig {
    #[garde(length(min = 1, max = 100), custom(valid_options))]
    pub options: Vec<Choice>,
}

impl Default for RadioConfig {
    fn default() -> Self {
        RadioConfig {
            options: default_options(),
        }
    }
}

impl FieldType for Radio {
    type Config = RadioConfig;

    const META: FieldMeta = FieldMeta {
        kind: "radio",
        name: "Radio group",
        icon: "◉",
        doc: FieldDoc {
            what: "One choice from a short list, all options visible.",
            stored: "The chosen option's value.",
            validation: "Must be one of the options' values.",
            example: "\"monthly\"",
        },
    };

    fn family(&self) -> Option<Family> {
        Some(Family::Choice)
    }

    fn chart(&self) -> Chart {
        Chart::Options
    }

    fn parse(&self, value: &Value, config: &RadioConfig) -> Result<Value, String> {
        pick(value, &config.options)
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[ConfigProp {
            key: "options",
            label: "Options",
            kind: PropKind::Options,
        }]
    }

    fn labelled_by_renderer(&self) -> bool {
        false
    }

    fn input(&self, ctx: InputCtx, config: &RadioConfig) -> AnyView {
        let InputCtx {
            html_id,
            name,
            label,
            required,
            value,
            invalid,
            described_by,
            disabled,
            ..
        } = ctx;
        let options = config.options.clone();
        let choices = options
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let id = format!("{html_id}-{i}");
                let label_for = id.clone();
                let option_value = o.value.clone();
                let checked_value = o.value.clone();
                view! {
                    <label class="choice" for=label_for>
                        <input
                            type="radio"
                            id=id
                            name=name.clone()
                            value=o.value.clone()
                            required=required
                            disabled=disabled
                            checked=display_value(&value.get_untracked()) == o.value
                            prop:checked=move || display_value(&value.get()) == checked_value
                            on:change=move |_| value.set(Value::String(option_value.clone()))
                        />
                        {o.label}
                    </label>
                }
            })
            .collect_view()
            .into_any();
        choices_fieldset(html_id, label, required, invalid, described_by, choices)
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({"options": [{"value": "monthly", "label": "Monthly"}, {"value": "yearly", "label": "Yearly"}]}),
            valid: vec![(json!("yearly"), json!("yearly"))],
            invalid: vec![json!("weekly"), json!(1)],
        }
    }
}
