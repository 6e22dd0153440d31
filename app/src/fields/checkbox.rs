//! Checkbox: a single box, such as consent to terms.

use garde::Validate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

pub struct Checkbox;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub struct CheckboxConfig {}

fn is_checked(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => Some(true),
            "false" | "off" | "no" | "0" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().filter(|n| *n == 0 || *n == 1).map(|n| n == 1),
        _ => None,
    }
}

impl FieldType for Checkbox {
    type Config = CheckboxConfig;

    const META: FieldMeta = FieldMeta {
        kind: "checkbox",
        name: "Checkbox",
        icon: "✓",
        doc: FieldDoc {
            what: "A single box to tick, such as consent to terms; its label is the statement.",
            stored: "true when ticked; nothing when left empty.",
            validation: "When required, it must be ticked.",
            example: "true",
        },
    };

    fn is_empty(&self, value: &Value) -> bool {
        is_checked(value) == Some(false)
    }

    fn family(&self) -> Option<Family> {
        Some(Family::Checkbox)
    }

    fn chart(&self) -> Chart {
        Chart::Ticked
    }

    fn parse(&self, value: &Value, _config: &CheckboxConfig) -> Result<Value, String> {
        match is_checked(value) {
            Some(true) => Ok(Value::Bool(true)),
            _ => Err("Tick the box or leave it empty.".into()),
        }
    }

    fn labelled_by_renderer(&self) -> bool {
        false
    }

    fn input(&self, ctx: InputCtx, _config: &CheckboxConfig) -> AnyView {
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
        let label_for = html_id.clone();
        view! {
            <label class="choice consent" for=label_for>
                <input
                    type="checkbox"
                    id=html_id
                    name=name
                    value="true"
                    required=required
                    disabled=disabled
                    checked=is_checked(&value.get_untracked()) == Some(true)
                    prop:checked=move || is_checked(&value.get()) == Some(true)
                    aria-invalid=invalid.then_some("true")
                    aria-describedby=described_by
                    on:change=move |ev| value.set(Value::Bool(event_target_checked(&ev)))
                />
                {label}
                {required.then_some(view! { <span class="req" aria-hidden="true">" *"</span> })}
            </label>
        }
        .into_any()
    }

    fn fixtures(&self) -> Fixtures {
        Fixtures {
            config: json!({}),
            valid: vec![
                (json!("on"), json!(true)),
                (json!(true), json!(true)),
                (json!("true"), json!(true)),
            ],
            invalid: vec![json!("maybe"), json!([true]), json!(7)],
        }
    }
}
