//! The form's own settings and the selected field's: label, identifier, required, page
//! break, display condition, and its type's settings editor.

use leptos::prelude::*;
use serde_json::Value;

use super::{errors_under, identifiers_except};
use crate::components::condition_builder::ConditionBuilder;
use crate::components::config_editor::ConfigEditor;
use crate::error::FieldErrors;
use crate::fields;
use crate::forms::conditions::Subject;
use crate::forms::{Field, FormDefinition, identifier_from_label, unique_identifier};

#[component]
pub(super) fn FormSettingsPanel(
    draft: RwSignal<FormDefinition>,
    local_errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let error = move |key: &'static str| {
        move || local_errors.with(|e| e.get(key).map(|m| m.join(" ")).unwrap_or_default())
    };
    view! {
        <div class="card form-settings">
            <div class="field">
                <label for="form-name">"Form name"</label>
                <input id="form-name" prop:value=move || draft.with(|d| d.name.clone())
                    on:input=move |ev| draft.update(|d| d.name = event_target_value(&ev)) data-test="form-name" />
                <p class="field-error">{error("name")}</p>
            </div>
            <div class="field">
                <label for="form-description">"Description"</label>
                <textarea id="form-description" rows="2" prop:value=move || draft.with(|d| d.description.clone())
                    on:input=move |ev| draft.update(|d| d.description = event_target_value(&ev))></textarea>
                <p class="field-error">{error("description")}</p>
            </div>
            <div class="field field-inline">
                <input id="form-enabled" type="checkbox" prop:checked=move || draft.with(|d| d.settings.enabled)
                    on:change=move |ev| draft.update(|d| d.settings.enabled = event_target_checked(&ev)) />
                <label for="form-enabled">"Accepting responses"</label>
            </div>
            <div class="field field-inline">
                <input id="form-notify" type="checkbox" prop:checked=move || draft.with(|d| d.settings.notify_owner)
                    on:change=move |ev| draft.update(|d| d.settings.notify_owner = event_target_checked(&ev)) data-test="form-notify" />
                <label for="form-notify">"Notify me of each response (on my dashboard)"</label>
            </div>
        </div>
    }
}

#[component]
pub(super) fn FieldSettings(
    index: usize,
    draft: RwSignal<FormDefinition>,
    local_errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let field = move || draft.with(|d| d.fields.get(index).cloned());
    let errors = Signal::derive(move || {
        local_errors.with(|e| errors_under(e, &format!("fields[{index}].")))
    });
    let error = move |key: &'static str| {
        move || {
            errors.with(|e| {
                e.iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, m)| m.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
    };
    let config_errors = Signal::derive(move || {
        errors.with(|e| {
            e.iter()
                .filter_map(|(k, m)| k.strip_prefix("config.").map(|k| (k.to_owned(), m.clone())))
                .collect::<Vec<_>>()
        })
    });
    let edit = move |f: &dyn Fn(&mut Field)| {
        draft.update(|d| {
            if let Some(field) = d.fields.get_mut(index) {
                f(field)
            }
        })
    };
    let set_label = move |label: String| {
        draft.update(|d| {
            let taken = identifiers_except(d, Some(index));
            let Some(field) = d.fields.get_mut(index) else {
                return;
            };
            // The identifier follows the label until it is saved with responses or edited by hand.
            let auto = field.identifier == identifier_from_label(&field.label)
                || field
                    .identifier
                    .starts_with(&format!("{}_", identifier_from_label(&field.label)));
            if auto && field.id.is_empty() {
                field.identifier = unique_identifier(&identifier_from_label(&label), &taken);
            }
            field.label = label;
        });
    };
    let earlier = Memo::new(move |_| draft.with(|d| Subject::before(d, index)));
    let set_condition =
        Callback::new(move |rule: Option<Value>| edit(&|f| f.visible_if = rule.clone()));
    let kind = field().map(|f| f.kind).unwrap_or_default();
    let t = fields::lookup(&kind);
    view! {
        <div class="card field-settings" data-test="field-settings">
            <h2>{t.map(|t| t.meta().name).unwrap_or("Unknown type")}" settings"</h2>
            <div class="field">
                <label for="field-label">"Label"</label>
                <input id="field-label" prop:value=move || field().map(|f| f.label).unwrap_or_default()
                    on:input=move |ev| set_label(event_target_value(&ev)) data-test="field-label" />
                <p class="field-error" data-test="field-label-error">{error("label")}</p>
            </div>
            <div class="field">
                <label for="field-identifier">"Identifier (used in links and rules)"</label>
                <input id="field-identifier" prop:value=move || field().map(|f| f.identifier).unwrap_or_default()
                    on:change=move |ev| { let v = event_target_value(&ev); edit(&|f| f.identifier = v.clone()) } data-test="field-identifier" />
                <p class="field-error">{error("identifier")}</p>
            </div>
            <div class="field field-inline">
                <input id="field-required" type="checkbox" prop:checked=move || field().is_some_and(|f| f.required)
                    on:change=move |ev| { let on = event_target_checked(&ev); edit(&|f| f.required = on) } data-test="field-required" />
                <label for="field-required">"Required"</label>
            </div>
            <div class="field field-inline">
                <input id="field-page-break" type="checkbox" prop:checked=move || field().is_some_and(|f| f.page_break)
                    on:change=move |ev| { let on = event_target_checked(&ev); edit(&|f| f.page_break = on) } />
                <label for="field-page-break">"Start a new page here"</label>
            </div>
            {t.map(|t| view! {
                <ConfigEditor
                    props=t.config_props()
                    config=Signal::derive(move || field().map(|f| f.config).unwrap_or(Value::Null))
                    on_change=Callback::new(move |(key, value): (String, Value)| edit(&|f| {
                        if !f.config.is_object() { f.config = Value::Object(Default::default()); }
                        if let Some(obj) = f.config.as_object_mut() { obj.insert(key.clone(), value.clone()); }
                    }))
                    id_prefix="cfg".to_owned()
                    errors=config_errors
                />
            })}
            <div class="field">
                <span class="label">"Show this field only when"</span>
                {(index == 0).then(|| view! { <p class="muted small">"The first field is always shown: conditions test earlier answers."</p> })}
                {(index > 0).then(|| view! {
                    <ConditionBuilder
                        rule=draft.with_untracked(|d| d.fields.get(index).and_then(|f| f.visible_if.clone()))
                        subjects=earlier.into()
                        on_change=set_condition
                        id="field-condition".to_owned()
                        what="an earlier field"
                        error=Signal::derive(error("visible_if"))
                        empty_means="always"
                    />
                })}
            </div>
            <p class="field-error">{error("config")}{error("type")}{error("id")}</p>
        </div>
    }
}
