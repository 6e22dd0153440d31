//! `/forms/{id}/edit`: the form builder. A palette from the field-type registry, the list of
//! fields (reorder by drag and drop or with the arrow buttons), each field's settings from
//! its type's editor, and a live preview drawn by the public page's renderer. Saving is
//! validated on the server by the same code; problems appear next to what they concern.

use std::collections::HashSet;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::Value;

use crate::api::forms::{SaveForm, get_form};
use crate::components::auth::RequireUser;
use crate::components::condition_builder::ConditionBuilder;
use crate::components::config_editor::ConfigEditor;
use crate::components::errors::ErrorPage;
use crate::components::form_view::FormView;
use crate::components::routes_editor::RoutesEditor;
use crate::error::{AppError, FieldErrors};
use crate::fields::{self, REGISTRY};
use crate::forms::conditions::Subject;
use crate::forms::{Field, FormDefinition, FormRecord, identifier_from_label, unique_identifier};

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
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the form…"</p> }>
            {move || Suspend::new(async move {
                match record.await {
                    Ok(record) => view! { <Editor record /> }.into_any(),
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
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
fn Editor(record: FormRecord) -> impl IntoView {
    let form_id = record.id.clone();
    let draft = RwSignal::new(record.definition.clone());
    let saved = RwSignal::new(record.definition);
    let dirty = Memo::new(move |_| draft.with(|d| saved.with(|s| d != s)));
    let selected = RwSignal::new(None::<usize>);
    let dragging = RwSignal::new(None::<usize>);
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

    let add_field = move |kind: &'static str| {
        let Some(t) = fields::lookup(kind) else {
            return;
        };
        draft.update(|d| {
            let label = t.meta().name.to_owned();
            let identifier =
                unique_identifier(&identifier_from_label(&label), &identifiers_except(d, None));
            d.fields.push(Field {
                id: String::new(),
                identifier,
                label,
                kind: kind.to_owned(),
                required: false,
                config: t.default_config(),
                visible_if: None,
                page_break: false,
                deleted: false,
            });
            selected.set(Some(d.fields.len() - 1));
        });
    };
    // Moves field `from` to just before the live field now at `to`.
    let move_field = move |from: usize, to: usize| {
        if from == to {
            return;
        }
        draft.update(|d| {
            let field = d.fields.remove(from);
            let to = to.min(d.fields.len());
            d.fields.insert(to, field);
        });
        selected.set(Some(to.min(draft.with_untracked(|d| d.fields.len() - 1))));
        local_errors.set(FieldErrors::new());
    };
    let neighbour = move |i: usize, up: bool| -> Option<usize> {
        draft.with_untracked(|d| {
            let live = |j: &usize| !d.fields[*j].deleted;
            if up {
                (0..i).rev().find(live)
            } else {
                (i + 1..d.fields.len()).find(live)
            }
        })
    };
    let duplicate = move |i: usize| {
        draft.update(|d| {
            let mut copy = d.fields[i].clone();
            copy.id = String::new();
            copy.label = format!("{} (copy)", copy.label);
            copy.identifier = unique_identifier(
                &identifier_from_label(&copy.label),
                &identifiers_except(d, None),
            );
            d.fields.insert(i + 1, copy);
        });
        selected.set(Some(i + 1));
        local_errors.set(FieldErrors::new());
    };
    let remove = move |i: usize| {
        draft.update(|d| {
            // Saved fields are kept, marked deleted, so old responses keep their column.
            if d.fields[i].id.is_empty() {
                d.fields.remove(i);
            } else {
                d.fields[i].deleted = true;
            }
        });
        selected.set(None);
        local_errors.set(FieldErrors::new());
    };

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
            <div class="editor-grid">
                <aside class="palette card" aria-label="Field types">
                    <h2>"Add a field"</h2>
                    <ul>
                        {REGISTRY.iter().map(|t| {
                            let meta = t.meta();
                            view! {
                                <li>
                                    <button type="button" class="palette-item" title=meta.doc.what
                                        on:click=move |_| add_field(meta.kind) data-test=format!("add-{}", meta.kind)>
                                        <span class="palette-icon" aria-hidden="true">{meta.icon}</span>
                                        {meta.name}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </aside>
                <div class="editor-main">
                    <FormSettingsPanel draft local_errors />
                    <ol class="field-list" aria-label="Fields">
                        {move || draft.with(|d| d.fields.iter().enumerate().filter(|(_, f)| !f.deleted).map(|(i, f)| (i, f.clone())).collect::<Vec<_>>())
                            .into_iter()
                            .map(|(i, field)| {
                                let has_errors = move || local_errors.with(|e| !errors_under(e, &format!("fields[{i}].")).is_empty());
                                let icon = field.field_type().map(|t| t.meta().icon).unwrap_or("?");
                                let type_name = field.field_type().map(|t| t.meta().name).unwrap_or("Unknown type");
                                view! {
                                    <li
                                        class="field-item"
                                        class:selected=move || selected.get() == Some(i)
                                        class:has-errors=has_errors
                                        draggable="true"
                                        data-test="field-item"
                                        on:dragstart=move |_| dragging.set(Some(i))
                                        on:dragover=move |ev| ev.prevent_default()
                                        on:drop=move |ev| {
                                            ev.prevent_default();
                                            if let Some(from) = dragging.get_untracked() { move_field(from, i); }
                                            dragging.set(None);
                                        }
                                    >
                                        <button type="button" class="field-item-main" on:click=move |_| selected.set(Some(i))
                                            aria-pressed=move || (selected.get() == Some(i)).to_string()>
                                            <span class="palette-icon" aria-hidden="true">{icon}</span>
                                            <span class="field-item-label">{field.label.clone()}{field.required.then_some(" *")}</span>
                                            <span class="muted small">{type_name}" · "{field.identifier.clone()}</span>
                                            {field.page_break.then(|| view! { <span class="badge">"new page"</span> })}
                                            {field.visible_if.is_some().then(|| view! { <span class="badge">"conditional"</span> })}
                                        </button>
                                        <div class="field-item-actions">
                                            <button type="button" class="icon-button" aria-label=format!("Move {} up", field.label)
                                                on:click=move |_| if let Some(j) = neighbour(i, true) { move_field(i, j) } data-test="move-up">"↑"</button>
                                            <button type="button" class="icon-button" aria-label=format!("Move {} down", field.label)
                                                on:click=move |_| if let Some(j) = neighbour(i, false) { move_field(i, j) } data-test="move-down">"↓"</button>
                                            <button type="button" class="icon-button text" aria-label=format!("Duplicate {}", field.label)
                                                on:click=move |_| duplicate(i) data-test="duplicate-field">"Copy"</button>
                                            <button type="button" class="icon-button danger" aria-label=format!("Delete {}", field.label)
                                                on:click=move |_| remove(i) data-test="delete-field">"✕"</button>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                    {move || draft.with(|d| d.live_fields().next().is_none()).then(|| view! {
                        <p class="muted card">"No fields yet. Add one from the palette."</p>
                    })}
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

#[component]
fn FormSettingsPanel(
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
fn FieldSettings(
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

/// A link that downloads the draft as a JSON document.
#[component]
fn ExportLink(draft: RwSignal<FormDefinition>) -> impl IntoView {
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
fn ImportPanel(
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
