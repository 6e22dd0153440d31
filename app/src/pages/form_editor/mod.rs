//! `/forms/{id}/edit`: the form builder. A palette from the field-type registry, the list of
//! fields (reorder by drag and drop or with the arrow buttons), each field's settings from
//! its type's editor, and a live preview drawn by the public page's renderer. Saving is
//! validated on the server by the same code; problems appear next to what they concern.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::forms::{AppFieldType, SaveForm, app_field_types, get_form};
use crate::components::auth::RequireUser;
use crate::components::errors::ErrorPage;
use crate::components::form_view::FormView;
use crate::components::routes_editor::RoutesEditor;
use crate::error::{AppError, FieldErrors};
use crate::forms::{FormDefinition, FormRecord};

mod field_list;
mod import_export;
mod settings;

use field_list::{FieldList, Palette};
use import_export::{ExportLink, ImportPanel};
use settings::{FieldSettings, FormSettingsPanel};

#[component]
pub fn FormEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    view! {
        <Title text="Edit form" />
        <RequireUser let:_user>
            <EditorLoader id=id.clone() />
        </RequireUser>
    }
}

#[component]
fn EditorLoader(id: String) -> impl IntoView {
    let record = Resource::new(move || id.clone(), get_form);
    let app_types = Resource::new(|| (), |_| app_field_types());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the form…"</p> }>
            {move || Suspend::new(async move {
                match (record.await, app_types.await) {
                    (Ok(record), Ok(app_types)) => view! { <Editor record app_types /> }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Messages for paths under `prefix` (`fields[3].`), keyed by the rest of the path.
fn errors_under(errors: &FieldErrors, prefix: &str) -> Vec<(String, String)> {
    errors
        .iter()
        .filter_map(|(path, messages)| {
            path.strip_prefix(prefix)
                .map(|rest| (rest.to_owned(), messages.join(" ")))
        })
        .collect()
}

fn identifiers_except(def: &FormDefinition, skip: Option<usize>) -> HashSet<String> {
    def.fields
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != skip)
        .map(|(_, f)| f.identifier.clone())
        .collect()
}

#[component]
fn Editor(record: FormRecord, app_types: Vec<AppFieldType>) -> impl IntoView {
    let form_id = record.id.clone();
    let awake: Vec<String> = app_types.iter().filter(|t| t.awake).map(|t| t.kind.clone()).collect();
    let draft = RwSignal::new(record.definition.clone());
    let saved = RwSignal::new(record.definition);
    // The form's questions of a type whose app is off, by the app: respondents are not
    // asked them until it is on again.
    let asleep = move || {
        draft.with(|d| {
            let mut apps: Vec<(String, String)> = app_types
                .iter()
                .filter(|t| !t.awake && d.fields.iter().any(|f| !f.deleted && f.kind == t.kind))
                .map(|t| (t.app.clone(), t.app_name.clone()))
                .collect();
            apps.dedup();
            apps
        })
    };
    let dirty = Memo::new(move |_| draft.with(|d| saved.with(|s| d != s)));
    let selected = RwSignal::new(None::<usize>);
    let local_errors = RwSignal::new(FieldErrors::new());
    // Counts wholesale replacements of the routes (import, reordering), which redraw them.
    let generation = RwSignal::new(0u32);
    let save = ServerAction::<SaveForm>::new();

    Effect::new(move |_| match save.value().get() {
        Some(Ok(record)) => {
            draft.set(record.definition.clone());
            saved.set(record.definition);
            local_errors.set(FieldErrors::new());
        }
        Some(Err(AppError::Validation { fields, .. })) => local_errors.set(fields),
        _ => {}
    });
    let save_error = Signal::derive(move || match save.value().get() {
        Some(Err(e @ AppError::Validation { .. })) => Some(e.to_string()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    });
    let just_saved = move || matches!(save.value().get(), Some(Ok(_))) && !dirty.get();

    warn_before_leaving(dirty);

    let do_save = {
        let form_id = form_id.clone();
        move |_| {
            let def = draft.get_untracked();
            match crate::forms::validate_definition(def.clone()) {
                Err(AppError::Validation { fields, .. }) => local_errors.set(fields),
                _ => {
                    local_errors.set(FieldErrors::new());
                    save.dispatch(SaveForm {
                        id: form_id.clone(),
                        definition: serde_json::to_string(&def).unwrap_or_default(),
                    });
                }
            }
        }
    };

    let form_level = Signal::derive(move || {
        local_errors.with(|e| {
            ["name", "description", "form", "fields"]
                .iter()
                .filter_map(|k| e.get(*k).map(|m| m.join(" ").to_string()))
                .collect::<Vec<_>>()
        })
    });
    let problem_count = move || local_errors.with(|e| e.len());

    view! {
        <section class="editor" data-test="form-editor">
            <div class="page-head">
                <div>
                    <A href="/forms">"← All forms"</A>
                    <h1 class="editor-title">{move || draft.with(|d| d.name.clone())}</h1>
                </div>
                <div class="editor-actions">
                    <span class="muted small" data-test="save-state">
                        {move || if save.pending().get() { "Saving…" } else if dirty.get() { "Unsaved changes" } else if just_saved() { "Saved" } else { "" }}
                    </span>
                    <a class="button button-secondary button-small" target="_blank" rel="noopener" href=format!("/f/{form_id}")>"Open public page"</a>
                    <ExportLink draft />
                    <button type="button" class="button" on:click=do_save disabled=move || save.pending().get() data-test="save-form">"Save"</button>
                </div>
            </div>
            {move || (problem_count() > 0).then(|| view! {
                <div class="alert alert-error" role="alert" data-test="editor-errors">
                    {save_error.get().unwrap_or_else(|| format!("The form has {} problem(s); see the highlighted settings.", problem_count()))}
                    <ul>{form_level.get().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                </div>
            })}
            {move || match save.value().get() {
                Some(Err(e)) if !matches!(e, AppError::Validation { .. }) => Some(view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }),
                _ => None,
            }}
            {move || asleep().into_iter().map(|(slug, name)| view! {
                <div class="alert alert-info" role="note" data-test="asleep-fields">
                    {format!("Respondents are not asked this form's questions that come with the {name} app, because it is switched off for you. They are kept, with their answers. ")}
                    <A href=format!("/apps/{slug}")>{format!("Switch on {name}")}</A>
                    " to ask them again."
                </div>
            }).collect_view()}
            <div class="editor-grid">
                <Palette draft selected awake />
                <div class="editor-main">
                    <FormSettingsPanel draft local_errors />
                    <FieldList draft selected local_errors />
                    // Tracks only the selection: re-creating the panel on every keystroke would
                    // take the focus away from the input being typed in.
                    {move || selected.get().filter(|i| draft.with_untracked(|d| d.fields.get(*i).is_some_and(|f| !f.deleted))).map(|i| view! {
                        <FieldSettings index=i draft local_errors />
                    })}
                </div>
                <aside class="preview card" aria-label="Preview">
                    <h2>"Preview"</h2>
                    {move || view! { <FormView definition=draft.get() /> }}
                </aside>
            </div>
            <RoutesEditor form_id=form_id.clone() draft local_errors generation />
            <ImportPanel draft local_errors generation />
        </section>
    }
}

/// Asks before the page is left (closed, reloaded, or a link followed) with unsaved changes.
fn warn_before_leaving(dirty: Memo<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        use leptos::wasm_bindgen::closure::Closure;

        let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
            if dirty.get_untracked() {
                ev.prevent_default();
                ev.set_return_value("unsaved");
            }
        });
        // Links are handled by the router before `beforeunload` could fire, so catch their
        // clicks first, in the capture phase.
        let on_click =
            Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |ev: web_sys::MouseEvent| {
                if !dirty.get_untracked() {
                    return;
                }
                let link = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|el| el.closest("a[href]").ok().flatten());
                let Some(link) = link else { return };
                if link.get_attribute("target").is_some() || link.has_attribute("download") {
                    return;
                }
                if !window()
                    .confirm_with_message("You have unsaved changes. Leave without saving?")
                    .unwrap_or(true)
                {
                    ev.prevent_default();
                    ev.stop_immediate_propagation();
                }
            });
        let _ = document().add_event_listener_with_callback_and_bool(
            "click",
            on_click.as_ref().unchecked_ref(),
            true,
        );
        let on_click = send_wrapper::SendWrapper::new(on_click);
        on_cleanup(move || {
            unload.remove();
            let _ = document().remove_event_listener_with_callback_and_bool(
                "click",
                on_click.as_ref().unchecked_ref(),
                true,
            );
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dirty;
}
