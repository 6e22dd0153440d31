//! The form renderer: the same component draws the public page and the builder's live
//! preview. It draws a plain HTML form, which works without JavaScript (every field and
//! page shows; the server checks every answer). In the browser `form_behaviour` adds
//! display conditions, paging and the field types' checks: the builder's preview attaches
//! it here once drawn, and the respondent's page from its own small wasm entry.

use leptos::prelude::*;
use serde_json::Value;

use crate::error::FieldErrors;
use crate::fields::InputCtx;
use crate::forms::FormDefinition;
use crate::forms::answers::RawAnswers;

#[component]
pub fn FormView(
    definition: FormDefinition,
    /// Prefilled or previously posted answers, by identifier.
    #[prop(optional)]
    initial: RawAnswers,
    /// Errors from the server, by identifier.
    #[prop(optional)]
    errors: FieldErrors,
    /// Where the form posts; `None` for the builder's preview, which never submits.
    #[prop(optional)]
    action: Option<String>,
    /// Link parameters posted back with the answers, as hidden inputs.
    #[prop(optional)]
    carried: Vec<(String, String)>,
    /// A honeypot input (its name): out of sight and out of the tab order, so only
    /// scripts fill it.
    #[prop(optional_no_strip)]
    honeypot: Option<String>,
) -> impl IntoView {
    let preview = action.is_none();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    {
        // The preview's behaviour lives as long as this drawing of the form.
        let definition = definition.clone();
        Effect::new(move |_| {
            if let Some(form) = form_ref.get() {
                let behaviour = crate::components::form_behaviour::attach(form, definition.clone(), preview);
                let behaviour = send_wrapper::SendWrapper::new(behaviour);
                on_cleanup(move || drop(behaviour));
            }
        });
    }
    let has_files = definition.live_fields().any(|f| f.takes_file());

    // Page numbers: a page break starts a new page.
    let mut page = 0;
    let fields_view = definition
        .live_fields()
        .enumerate()
        .map(|(i, field)| {
            if field.page_break && i > 0 {
                page += 1;
            }
            let t = field.field_type().expect("live fields have a type");
            let default = field.config.get("default_value").cloned().unwrap_or(Value::Null);
            let value = RwSignal::new(initial.get(&field.identifier).cloned().unwrap_or(default));
            let error = errors.get(&field.identifier).map(|m| m.join(" "));
            let common = field.common();
            let html_id = format!("q-{}", field.identifier);
            let help_id = format!("{html_id}-help");
            let error_id = format!("{html_id}-error");
            let invalid = error.is_some();
            let ctx = InputCtx {
                html_id: html_id.clone(),
                name: field.identifier.clone(),
                label: field.label.clone(),
                required: field.required,
                placeholder: common.placeholder(),
                value,
                invalid,
                described_by: format!("{help_id} {error_id}"),
                disabled: false,
            };
            view! {
                <div
                    class="field"
                    class:field-hidden=!field.shown()
                    data-field=field.identifier.clone()
                    data-page=page
                >
                    {t.labelled_by_renderer().then(|| view! {
                        <label for=html_id.clone()>
                            {field.label.clone()}
                            {field.required.then_some(view! { <span class="req" aria-hidden="true">" *"</span> })}
                        </label>
                    })}
                    {t.input_view(ctx, &field.config)}
                    {common.help_text().map(|h| view! { <p class="hint" id=help_id.clone()>{h.to_owned()}</p> })}
                    <p class="field-error" id=error_id data-test=format!("error-{}", field.identifier)>
                        {error}
                    </p>
                </div>
            }
        })
        .collect_view();

    let description = definition.description.clone();
    let enctype = has_files.then_some("multipart/form-data");

    view! {
        <form
            class="form respondent-form"
            method="post"
            action=action.unwrap_or_default()
            enctype=enctype
            node_ref=form_ref
            data-test="respondent-form"
        >
            {(!description.is_empty()).then(|| view! { <p class="form-description">{description}</p> })}
            <p class="muted small" aria-live="polite" data-test="page-count" hidden></p>
            {fields_view}
            {carried.into_iter().map(|(name, value)| view! {
                <input type="hidden" name=name value=value />
            }).collect_view()}
            {honeypot.map(|name| view! {
                <div class="hp-field" aria-hidden="true">
                    <label>"Leave this empty" <input type="text" name=name tabindex="-1" autocomplete="off" /></label>
                </div>
            })}
            <div class="form-actions">
                // Shown by the form's behaviour on the pages that need them.
                <button type="button" class="button button-secondary" style:display="none"
                    data-test="back">"Back"</button>
                <button type="button" class="button" style:display="none"
                    data-test="next">"Next"</button>
                <button type="submit" class="button"
                    disabled=preview data-test="submit-answers">"Submit"</button>
            </div>
        </form>
    }
}
