//! The settings editor a field type gets in the builder, generated from its `config_props`.

use leptos::prelude::*;
use serde_json::{Map, Value, json};

use crate::fields::{ConfigProp, PropKind};

/// Edits `config` (a JSON object) through `props`; `errors(key)` gives messages for a key.
#[component]
pub fn ConfigEditor(
    props: Vec<ConfigProp>,
    config: Signal<Value>,
    on_change: Callback<(String, Value)>,
    id_prefix: String,
    errors: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    props
        .into_iter()
        .map(|prop| {
            let key = prop.key;
            let id = format!("{id_prefix}-{key}");
            let current = move || config.with(|c| c.get(key).cloned().unwrap_or(Value::Null));
            let messages = move || errors.with(|e| e.iter().filter(|(k, _)| k == key).map(|(_, m)| m.clone()).collect::<Vec<_>>().join(" "));
            let set = move |v: Value| on_change.run((key.to_owned(), v));
            let input = match prop.kind {
                PropKind::Text => view! {
                    <input id=id.clone() type="text" prop:value=move || current().as_str().unwrap_or("").to_owned()
                        on:change=move |ev| set(Value::String(event_target_value(&ev))) />
                }.into_any(),
                PropKind::Number => view! {
                    <input id=id.clone() type="number" step="any"
                        prop:value=move || current().as_f64().map(|n| n.to_string()).unwrap_or_default()
                        on:change=move |ev| {
                            let text = event_target_value(&ev);
                            set(text.trim().parse::<f64>().ok().map(|n| if n.fract() == 0.0 { json!(n as i64) } else { json!(n) }).unwrap_or(Value::Null));
                        } />
                }.into_any(),
                PropKind::Bool => view! {
                    <input id=id.clone() type="checkbox" prop:checked=move || current().as_bool().unwrap_or(false)
                        on:change=move |ev| set(Value::Bool(event_target_checked(&ev))) />
                }.into_any(),
                PropKind::Choice(choices) => view! {
                    <select id=id.clone() prop:value=move || current().as_str().unwrap_or("").to_owned()
                        on:change=move |ev| set(Value::String(event_target_value(&ev)))>
                        {choices.iter().map(|(v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                    </select>
                }.into_any(),
                PropKind::List => view! {
                    <input id=id.clone() type="text"
                        prop:value=move || current().as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()
                        on:change=move |ev| {
                            let items: Vec<Value> = event_target_value(&ev).split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| json!(s)).collect();
                            set(Value::Array(items));
                        } />
                }.into_any(),
                PropKind::Options => view! { <OptionsEditor id=id.clone() options=Signal::derive(current) on_change=Callback::new(set) /> }.into_any(),
            };
            let is_bool = prop.kind == PropKind::Bool;
            view! {
                <div class="field" class:field-inline=is_bool>
                    {if prop.kind == PropKind::Options {
                        view! { <span class="label">{prop.label}</span> }.into_any()
                    } else {
                        view! { <label for=id.clone()>{prop.label}</label> }.into_any()
                    }}
                    {input}
                    <p class="field-error" data-test=format!("config-error-{key}")>{messages}</p>
                </div>
            }
        })
        .collect_view()
}

/// Rows of value/label pairs with add and remove.
#[component]
fn OptionsEditor(id: String, options: Signal<Value>, on_change: Callback<Value>) -> impl IntoView {
    let rows = move || options.with(|o| o.as_array().cloned().unwrap_or_default());
    let update = move |i: usize, key: &'static str, text: String| {
        let mut list = rows();
        if let Some(Value::Object(row)) = list.get_mut(i) {
            row.insert(key.to_owned(), Value::String(text));
        }
        on_change.run(Value::Array(list));
    };
    let add = move |_| {
        let mut list = rows();
        let n = list.len() + 1;
        let mut row = Map::new();
        row.insert("value".into(), json!(format!("option_{n}")));
        row.insert("label".into(), json!(format!("Option {n}")));
        list.push(Value::Object(row));
        on_change.run(Value::Array(list));
    };
    view! {
        <div class="options-editor" id=id.clone()>
            {move || rows().into_iter().enumerate().map(|(i, row)| {
                let value = row.get("value").and_then(Value::as_str).unwrap_or("").to_owned();
                let label = row.get("label").and_then(Value::as_str).unwrap_or("").to_owned();
                let remove = move |_| {
                    let mut list = rows();
                    list.remove(i);
                    on_change.run(Value::Array(list));
                };
                view! {
                    <div class="option-row">
                        <input aria-label=format!("Option {} label", i + 1) placeholder="Label" prop:value=label
                            on:change=move |ev| update(i, "label", event_target_value(&ev)) data-test="option-label" />
                        <input aria-label=format!("Option {} value", i + 1) placeholder="Value" prop:value=value
                            on:change=move |ev| update(i, "value", event_target_value(&ev)) data-test="option-value" />
                        <button type="button" class="link-button" on:click=remove aria-label=format!("Remove option {}", i + 1)>"Remove"</button>
                    </div>
                }
            }).collect_view()}
            <button type="button" class="link-button" on:click=add data-test="add-option">"Add option"</button>
        </div>
    }
}
