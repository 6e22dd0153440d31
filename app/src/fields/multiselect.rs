//! Multi-select: several choices, shown as checkboxes.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::select::{default_options, valid_options};
use super::*;

pub struct MultiSelect;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct MultiSelectConfig {
    #[garde(length(min = 1, max = 100), custom(valid_options))]
    pub options: Vec<Choice>,
    #[garde(skip)]
    pub min_selections: Option<u32>,
    #[garde(inner(range(min = 1)))]
    pub max_selections: Option<u32>,
}

impl Default for MultiSelectConfig {
    fn default() -> Self {
        MultiSelectConfig {
            options: default_options(),
            min_selections: None,
            max_selections: None,
        }
    }
}

/// The answer as a list of strings (a single string counts as one choice).
fn chosen(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items.iter().map(as_text).collect(),
        other => as_text(other).map(|s| vec![s]),
    }
}

impl FieldType for MultiSelect {
    type Config = MultiSelectConfig;

    const META: FieldMeta = FieldMeta {
        kind: "multiselect",
        name: "Multi-select",
        icon: "☑",
        doc: FieldDoc {
            what: "Any number of choices from a list.",
            stored: "A list of the chosen values, in the options' order, without repeats.",
            validation: "Every value must be an option; optional minimum and maximum number of choices.",
            example: "[\"crm\", \"billing\"]",
        },
    };

    fn family(&self) -> Option<Family> {
        Some(Family::Multi)
    }

    fn multi_valued(&self) -> bool {
        true
    }

    fn chart(&self) -> Chart {
        Chart::Options
    }

    fn parse(&self, value: &Value, config: &MultiSelectConfig) -> Result<Value, String> {
        let chosen = chosen(value).ok_or("Choose from the options.")?;
        if let Some(unknown) = chosen
            .iter()
            .find(|c| !c.is_empty() && !config.options.iter().any(|o| &o.value == *c))
        {
            return Err(format!("\"{unknown}\" is not one of the options."));
        }
        let picked: Vec<Value> = config
            .options
            .iter()
            .filter(|o| chosen.contains(&o.value))
            .map(|o| Value::String(o.value.clone()))
            .collect();
        if let Some(min) = config.min_selections.filter(|&m| picked.len() < m as usize) {
            return Err(format!("Choose at least {min}."));
        }
        if let Some(max) = config.max_selections.filter(|&m| picked.len() > m as usize) {
            return Err(format!("Choose at most {max}."));
        }
        Ok(Value::Array(picked))
    }

    fn check(&self, config: &MultiSelectConfig) -> Vec<(String, String)> {
        let mut errors = Vec::new();
        if let (Some(min), Some(max)) = (config.min_selections, config.max_selections)
            && min > max
        {
            errors.push((
                "min_selections".into(),
                format!("must not exceed the maximum ({max})"),
            ));
        }
        if let Some(min) = config
            .min_selections
            .filter(|&m| m as usize > config.options.len())
        {
            errors.push((
                "min_selections".into(),
                format!("{min} is more than the number of options"),
            ));
        }
        errors
    }

    fn config_props(&self) -> &'static [ConfigProp] {
        &[
            ConfigProp {
                key: "options",
                label: "Options",
                kind: PropKind::Options,
            },
            ConfigProp {
                key: "min_selections",
                label: "Minimum choices",
                kind: PropKind::Number,
            },
            ConfigProp {
                key: "max_selections",
                label: "Maximum choices",
                kind: PropKind::Number,
            },
        ]
    }

    fn labelled_by_renderer(&self) -> bool {
        false
    }

    fn input(&self, ctx: InputCtx, config: &MultiSelectConfig) -> AnyView {
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
        let is_checked =
            move |v: &str| chosen(&value.get()).is_some_and(|c| c.iter().any(|x| x == v));
        let choices = options
                    .into_iter()
                    .enumerate()
                    .map(|(i, o)| {
                        let id = format!("{html_id}-{i}");
                        let label_for = id.clone();
                        let toggled = o.value.clone();
                        let checked_value = o.value.clone();
                        let initially = chosen(&value.get_untracked()).is_some_and(|c| c.contains(&o.value));
                        view! {
                            <label class="choice" for=label_for>
                                <input
                                    type="checkbox"
                                    id=id
                                    name=name.clone()
                                    value=o.value.clone()
                                    disabled=disabled
                                    checked=initially
                                    prop:checked=move || is_checked(&checked_value)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        value.update(|v| {
                                            let mut list = chosen(v).unwrap_or_default();
                                            list.retain(|x| x != &toggled && !x.is_empty());
                                            if on {
                                                list.push(toggled.clone());
                                            }
                                            *v = Value::Array(list.into_iter().map(Value::String).collect());
                                        });
                                    }
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
            config: json!({"options": [{"value": "crm", "label": "CRM"}, {"value": "billing", "label": "Billing"}, {"value": "hr", "label": "HR"}], "max_selections": 2}),
            valid: vec![
                (json!(["billing", "crm", "crm"]), json!(["crm", "billing"])),
                (json!("hr"), json!(["hr"])),
            ],
            invalid: vec![
                json!(["crm", "billing", "hr"]),
                json!(["erp"]),
                json!({"crm": true}),
            ],
        }
    }
}
