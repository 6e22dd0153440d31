//! The definition as a JSON download, and importing one in its place.

use leptos::prelude::*;

use crate::error::{AppError, FieldErrors};
use crate::forms::{FormDefinition, identifier_from_label};

/// A link that downloads the draft as a JSON document.
#[component]
pub(super) fn ExportLink(draft: RwSignal<FormDefinition>) -> impl IntoView {
    let href = move || {
        let json = draft.with(|d| serde_json::to_string_pretty(d).unwrap_or_default());
        format!(
            "data:application/json;charset=utf-8,{}",
            percent_encoding::utf8_percent_encode(&json, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let file_name = move || {
        format!(
            "{}.json",
            identifier_from_label(&draft.with(|d| d.name.clone()))
        )
    };
    view! { <a class="button button-secondary button-small" href=href download=file_name data-test="export">"Export JSON"</a> }
}

/// Replaces the draft with an imported JSON document, after checking it.
#[component]
pub(super) fn ImportPanel(
    draft: RwSignal<FormDefinition>,
    local_errors: RwSignal<FieldErrors>,
    generation: RwSignal<u32>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let problems = RwSignal::new(Vec::<String>::new());
    let import = move |_| {
        let result = FormDefinition::from_json(&text.get_untracked())
            .and_then(crate::forms::validate_definition);
        match result {
            Ok(def) => {
                draft.set(def);
                generation.update(|g| *g += 1);
                problems.set(Vec::new());
                local_errors.set(FieldErrors::new());
            }
            Err(AppError::Validation { fields, .. }) => {
                problems.set(
                    fields
                        .into_iter()
                        .map(|(path, m)| format!("{path}: {}", m.join(" ")))
                        .collect(),
                );
            }
            Err(e) => problems.set(vec![e.to_string()]),
        }
    };
    view! {
        <details class="card import-panel">
            <summary>"Import a form from JSON"</summary>
            <div class="field">
                <label for="import-json">"Form JSON (replaces the fields, routes and settings above; save to keep)"</label>
                <textarea id="import-json" rows="8" class="code" prop:value=move || text.get()
                    on:input=move |ev| text.set(event_target_value(&ev)) data-test="import-json"></textarea>
            </div>
            <ul class="field-error" data-test="import-errors">{move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            <button type="button" class="button button-secondary" on:click=import data-test="import">"Import"</button>
        </details>
    }
}
