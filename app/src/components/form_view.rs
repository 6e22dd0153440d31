//! The form renderer: the same component draws the public page and the builder's live
//! preview. It works as a plain HTML form without JavaScript; once hydrated it validates
//! on blur and on submit with the field-type registry, applies visibility conditions and
//! shows one page at a time.

use leptos::prelude::*;
use serde_json::Value;

use crate::error::FieldErrors;
use crate::fields::InputCtx;
use crate::forms::FormDefinition;
use crate::forms::answers::{RawAnswers, visibility};

/// One rendered field's state.
#[derive(Clone)]
struct FieldState {
    identifier: String,
    value: RwSignal<Value>,
    error: RwSignal<Option<String>>,
    page: usize,
}

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
    let definition = StoredValue::new(definition);
    let live: Vec<crate::forms::Field> =
        definition.with_value(|d| d.live_fields().cloned().collect());
    let has_files = live.iter().any(|f| f.takes_file());

    // Page numbers: a page break starts a new page.
    let mut page = 0;
    let states: Vec<FieldState> = live
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if f.page_break && i > 0 {
                page += 1;
            }
            let default = f
                .config
                .get("default_value")
                .cloned()
                .unwrap_or(Value::Null);
            FieldState {
                identifier: f.identifier.clone(),
                value: RwSignal::new(initial.get(&f.identifier).cloned().unwrap_or(default)),
                error: RwSignal::new(errors.get(&f.identifier).map(|m| m.join(" "))),
                page,
            }
        })
        .collect();
    let page_count = page + 1;
    let states = StoredValue::new(states);

    // Without JavaScript every field and page shows; once hydrated, conditions and paging apply.
    let enhanced = RwSignal::new(false);
    Effect::new(move |_| enhanced.set(true));
    let current_page = RwSignal::new(0usize);

    let answers = move || -> RawAnswers {
        states.with_value(|s| {
            s.iter()
                .map(|f| (f.identifier.clone(), f.value.get()))
                .collect()
        })
    };
    let visible = Memo::new(move |_| definition.with_value(|d| visibility(d, &answers())));
    let is_shown = move |identifier: &str, page: usize| {
        !enhanced.get()
            || (visible.with(|v| v.get(identifier).copied().unwrap_or(true))
                && current_page.get() == page)
    };

    // Validates the fields of one page (or all), showing messages; true when all pass.
    let validate = move |only_page: Option<usize>| -> bool {
        let shown = visible.get_untracked();
        let mut ok = true;
        let mut first_bad: Option<(usize, String)> = None;
        definition.with_value(|d| {
            states.with_value(|states| {
                for (field, state) in d.live_fields().zip(states) {
                    if only_page.is_some_and(|p| p != state.page)
                        || !shown.get(&field.identifier).copied().unwrap_or(true)
                    {
                        state.error.set(None);
                        continue;
                    }
                    let Some(t) = field.field_type() else {
                        continue;
                    };
                    let value = state.value.get_untracked();
                    // A chosen file is checked on upload by the server.
                    let message = if field.takes_file() {
                        (field.required && value.is_null())
                            .then(|| crate::fields::REQUIRED.to_owned())
                    } else {
                        t.validate(&value, &field.config, field.required)
                            .into_iter()
                            .next()
                    };
                    if message.is_some() {
                        ok = false;
                        first_bad.get_or_insert((state.page, field.identifier.clone()));
                    }
                    state.error.set(message);
                }
            })
        });
        if let Some((page, identifier)) = first_bad {
            current_page.set(page);
            focus_field(&identifier);
        }
        ok
    };

    let fields_view = definition.with_value(|d| {
        let states = states.get_value();
        d.live_fields()
            .zip(states)
            .map(|(field, state)| {
                let t = field.field_type().expect("live fields have a type");
                let common = field.common();
                let html_id = format!("q-{}", field.identifier);
                let help_id = format!("{html_id}-help");
                let error_id = format!("{html_id}-error");
                let error = state.error;
                let on_blur = {
                    let field = field.clone();
                    let value = state.value;
                    Callback::new(move |()| {
                        if field.takes_file() {
                            return;
                        }
                        if let Some(t) = field.field_type() {
                            error.set(t.validate(&value.get_untracked(), &field.config, field.required).into_iter().next());
                        }
                    })
                };
                let ctx = InputCtx {
                    html_id: html_id.clone(),
                    name: field.identifier.clone(),
                    label: field.label.clone(),
                    required: field.required,
                    placeholder: common.placeholder(),
                    value: state.value,
                    invalid: Signal::derive(move || error.with(Option::is_some)),
                    described_by: format!("{help_id} {error_id}"),
                    on_blur,
                    disabled: false,
                };
                let identifier = field.identifier.clone();
                let page = state.page;
                let hidden_type = !field.shown();
                view! {
                    <div
                        class="field"
                        class:field-hidden=hidden_type
                        data-field=field.identifier.clone()
                        style:display=move || (!is_shown(&identifier, page)).then_some("none")
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
                            {move || error.get()}
                        </p>
                    </div>
                }
            })
            .collect_view()
    });

    let preview = action.is_none();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if preview || !validate(None) {
            ev.prevent_default();
        }
    };
    let next = move |_| {
        if validate(Some(current_page.get_untracked())) {
            current_page.update(|p| *p = (*p + 1).min(page_count - 1));
        }
    };
    let back = move |_| current_page.update(|p| *p = p.saturating_sub(1));
    let paged = move || enhanced.get() && page_count > 1;
    let on_last = move || !paged() || current_page.get() + 1 == page_count;
    let description = definition.with_value(|d| d.description.clone());
    let enctype = has_files.then_some("multipart/form-data");

    view! {
        <form
            class="form respondent-form"
            method="post"
            action=action.unwrap_or_default()
            enctype=enctype
            novalidate=move || enhanced.get()
            on:submit=on_submit
            data-test="respondent-form"
        >
            {(!description.is_empty()).then(|| view! { <p class="form-description">{description}</p> })}
            {move || paged().then(|| view! {
                <p class="muted small" aria-live="polite">{format!("Page {} of {}", current_page.get() + 1, page_count)}</p>
            })}
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
                <button type="button" class="button button-secondary"
                    style:display=move || (!paged() || current_page.get() == 0).then_some("none")
                    on:click=back>"Back"</button>
                <button type="button" class="button"
                    style:display=move || on_last().then_some("none")
                    on:click=next data-test="next">"Next"</button>
                <button type="submit" class="button"
                    style:display=move || (!on_last()).then_some("none")
                    disabled=preview data-test="submit-answers">"Submit"</button>
            </div>
        </form>
    }
}

fn focus_field(identifier: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let selector = format!(
            "[data-field=\"{identifier}\"] input, [data-field=\"{identifier}\"] select, [data-field=\"{identifier}\"] textarea"
        );
        if let Ok(Some(el)) = document().query_selector(&selector) {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = identifier;
}
