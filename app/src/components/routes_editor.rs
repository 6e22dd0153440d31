//! The builder's routes: ordered routes with a rule and an action, the fallback, and the
//! "test routing" panel, which runs the same routing code in the browser as the server.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::forms::{linked_routes, list_forms};
use crate::components::condition_builder::ConditionBuilder;
use crate::error::FieldErrors;
use crate::forms::answers::{RawAnswers, UnknownKeys, check_answers};
use crate::forms::conditions::Subject;
use crate::forms::{Action, ActionKind, FormDefinition, LinkedRoutes, Route};
use crate::routing::{decide, expand, trace};

const KINDS: &[(ActionKind, &str, &str)] = &[
    (ActionKind::Message, "message", "Show a message"),
    (
        ActionKind::ExternalUrl,
        "external_url",
        "Redirect to an external URL",
    ),
    (
        ActionKind::EventType,
        "event_type",
        "Redirect to a booking page (path on this site)",
    ),
];

fn kind_from(s: &str) -> ActionKind {
    KINDS
        .iter()
        .find(|(_, k, _)| *k == s)
        .map(|(k, _, _)| *k)
        .unwrap_or(ActionKind::Message)
}

fn kind_str(kind: ActionKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, s, _)| *s)
        .unwrap_or("message")
}

#[component]
fn ActionEditor(
    action: Signal<Action>,
    on_change: Callback<Action>,
    id: String,
    error: Signal<String>,
) -> impl IntoView {
    let type_id = format!("{id}-type");
    let value_id = format!("{id}-value");
    view! {
        <div class="action-editor">
            <div class="field">
                <label for=type_id.clone()>"Then"</label>
                <select id=type_id prop:value=move || kind_str(action.get().kind)
                    on:change=move |ev| { let mut a = action.get_untracked(); a.kind = kind_from(&event_target_value(&ev)); on_change.run(a) }>
                    {KINDS.iter().map(|(_, v, l)| view! { <option value=*v>{*l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for=value_id.clone()>{move || match action.get().kind {
                    ActionKind::Message => "Message (plain text)",
                    ActionKind::ExternalUrl => "URL ({identifier} is replaced by the answer)",
                    ActionKind::EventType => "Booking path, e.g. /team/sales/intro?email={email}",
                }}</label>
                <input id=value_id prop:value=move || action.get().value data-test="action-value"
                    on:change=move |ev| { let mut a = action.get_untracked(); a.value = event_target_value(&ev); on_change.run(a) } />
                <p class="field-error">{move || error.get()}</p>
            </div>
        </div>
    }
}

#[component]
pub fn RoutesEditor(
    /// The form being edited: it cannot reuse its own routes.
    form_id: String,
    draft: RwSignal<FormDefinition>,
    local_errors: RwSignal<FieldErrors>,
    /// Bumped whenever the routes are replaced or reordered.
    generation: RwSignal<u32>,
) -> impl IntoView {
    let error_at = move |path: String| {
        Signal::derive(move || {
            local_errors.with(|e| e.get(&path).map(|m| m.join(" ")).unwrap_or_default())
        })
    };
    let add = move |_| {
        generation.update(|g| *g += 1);
        draft.update(|d| {
            d.routes.push(Route {
                id: String::new(),
                name: format!("Route {}", d.routes.len() + 1),
                rule: Value::Object(Default::default()),
                action: Action {
                    kind: ActionKind::Message,
                    value: "Thank you!".into(),
                },
                use_routes_of: None,
            })
        })
    };
    let count = Memo::new(move |_| draft.with(|d| d.routes.len()));
    // The owner's other forms (to reuse routes from) and the routes of those reused: loaded
    // in the browser, as the editor is.
    let forms = LocalResource::new(list_forms);
    let form_id = StoredValue::new(form_id);
    let other_forms = move || {
        forms.get().map(|r| {
            r.unwrap_or_default()
                .into_iter()
                .filter(|f| form_id.with_value(|id| *id != f.id))
                .collect::<Vec<_>>()
        })
    };
    let reused = Memo::new(move |_| draft.with(|d| d.reused_forms().join(",")));
    let linked = LocalResource::new(move || {
        let ids = reused.get();
        async move {
            if ids.is_empty() {
                LinkedRoutes::new()
            } else {
                linked_routes(ids).await.unwrap_or_default()
            }
        }
    });
    let linked = Signal::derive(move || linked.get().unwrap_or_default());
    let subjects = Memo::new(move |_| draft.with(Subject::all_of));
    // Drawn again when routes are added, moved, copied, deleted or imported (`generation`),
    // not on every edit, so the condition builders keep their state and the focus.
    let reorder = move |f: &dyn Fn(&mut Vec<Route>)| {
        draft.update(|d| f(&mut d.routes));
        generation.update(|g| *g += 1);
    };
    view! {
        <section class="card routes-editor" data-test="routes-editor">
            <h2>"Routes"</h2>
            <p class="muted small">"The first route whose conditions hold decides where a respondent goes; a route without conditions takes everyone."</p>
            <ol class="route-list">
                {move || { generation.get(); (0..count.get()).map(|i| {
                    let route = move || draft.with(|d| d.routes.get(i).cloned());
                    let swap = move |j: usize| reorder(&|routes| if j < routes.len() && i < routes.len() { routes.swap(i, j) });
                    view! {
                        <li class="route-item" data-test="route-item">
                            <div class="field">
                                <label for=format!("route-{i}-name")>"Route name"</label>
                                <input id=format!("route-{i}-name") prop:value=move || route().map(|r| r.name).unwrap_or_default()
                                    on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(r) = d.routes.get_mut(i) { r.name = v }) } data-test="route-name" />
                            </div>
                            <div class="field">
                                <span class="label">"When"</span>
                                <ConditionBuilder
                                    rule=draft.with_untracked(|d| d.routes.get(i).map(|r| r.rule.clone()))
                                    subjects=subjects.into()
                                    on_change=Callback::new(move |rule: Option<Value>| draft.update(|d| if let Some(r) = d.routes.get_mut(i) {
                                        r.rule = rule.unwrap_or_else(|| Value::Object(Default::default()))
                                    }))
                                    id=format!("route-{i}-rule")
                                    what="a field of this form"
                                    error=error_at(format!("routes[{i}].rule"))
                                    empty_means="everyone"
                                />
                            </div>
                            {
                                let reuse = Memo::new(move |_| draft.with(|d| d.routes.get(i).and_then(|r| r.use_routes_of.clone())));
                                let reuse_error = error_at(format!("routes[{i}].use_routes_of"));
                                move || {
                                    let current = reuse.get();
                                    let forms = other_forms();
                                    let known = forms.as_ref().is_some_and(|f| f.iter().any(|f| Some(&f.id) == current.as_ref()));
                                    view! {
                                        <div class="field">
                                            <label for=format!("route-{i}-reuse")>"Decided by"</label>
                                            <select id=format!("route-{i}-reuse") data-test="route-reuse"
                                                on:change=move |ev| { let v = event_target_value(&ev); draft.update(|d| if let Some(r) = d.routes.get_mut(i) { r.use_routes_of = (!v.is_empty()).then_some(v) }) }>
                                                <option value="" selected=current.is_none()>"This route's own action"</option>
                                                {forms.unwrap_or_default().into_iter().map(|f| {
                                                    let selected = Some(&f.id) == current.as_ref();
                                                    view! { <option value=f.id selected=selected>{format!("The routes of “{}”", f.name)}</option> }
                                                }).collect_view()}
                                                {current.clone().filter(|_| !known).map(|id| view! { <option value=id selected=true>"The routes of another form"</option> })}
                                            </select>
                                            <p class="field-error">{move || reuse_error.get()}</p>
                                        </div>
                                        {if current.is_some() {
                                            view! { <p class="muted small">"When this route's conditions hold, that form's routes are tried in order with these answers; if none holds, the next route here is."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ActionEditor
                                                    id=format!("route-{i}-action")
                                                    action=Signal::derive(move || route().map(|r| r.action).unwrap_or_default())
                                                    on_change=Callback::new(move |a: Action| draft.update(|d| if let Some(r) = d.routes.get_mut(i) { r.action = a }))
                                                    error=error_at(format!("routes[{i}].action.value"))
                                                />
                                            }.into_any()
                                        }}
                                    }
                                }
                            }
                            <div class="field-item-actions">
                                <button type="button" class="icon-button" aria-label="Move route up" disabled={move || i == 0} on:click={move |_| if i > 0 { swap(i - 1) }}>"↑"</button>
                                <button type="button" class="icon-button" aria-label="Move route down" disabled={move || i + 1 >= count.get()} on:click={move |_| swap(i + 1)}>"↓"</button>
                                <button type="button" class="icon-button text" aria-label="Duplicate route" data-test="duplicate-route"
                                    on:click=move |_| reorder(&|routes| if let Some(r) = routes.get(i) { let mut c = r.clone(); c.id = String::new(); c.name = format!("{} (copy)", c.name); routes.insert(i + 1, c) })>"Copy"</button>
                                <button type="button" class="icon-button danger" aria-label="Delete route" data-test="delete-route"
                                    on:click=move |_| reorder(&|routes| if i < routes.len() { routes.remove(i); })>"✕"</button>
                            </div>
                        </li>
                    }
                }).collect_view() }}
            </ol>
            <button type="button" class="button button-secondary button-small" on:click=add data-test="add-route">"Add route"</button>
            <h3>"Otherwise (fallback)"</h3>
            <ActionEditor
                id="fallback".to_owned()
                action=Signal::derive(move || draft.with(|d| d.fallback.action.clone()))
                on_change=Callback::new(move |a: Action| draft.update(|d| d.fallback.action = a))
                error=error_at("fallback.action.value".to_owned())
            />
            <TestRouting draft linked />
        </section>
    }
}

/// Answers typed here are checked and routed exactly as a submission would be.
#[component]
fn TestRouting(draft: RwSignal<FormDefinition>, linked: Signal<LinkedRoutes>) -> impl IntoView {
    let answers = RwSignal::new(RawAnswers::new());
    let fields = move || {
        draft.with(|d| {
            d.live_fields()
                .filter(|f| !f.takes_file())
                .map(|f| (f.identifier.clone(), f.label.clone(), f.multi_valued()))
                .collect::<Vec<_>>()
        })
    };
    let outcome = move || {
        let def = draft.get();
        let raw = answers.get();
        match check_answers(&def, &raw, UnknownKeys::Ignore) {
            Err(errors) => Err(errors
                .into_iter()
                .map(|(k, m)| format!("{k}: {}", m.join(" ")))
                .collect::<Vec<_>>()),
            Ok(checked) => {
                let def = linked.with(|l| expand(&def, l));
                Ok((decide(&def, &checked.values), trace(&def, &checked.values)))
            }
        }
    };
    view! {
        <details class="test-routing" data-test="test-routing">
            <summary>"Test routing"</summary>
            <div class="test-grid">
                <div>
                    {move || fields().into_iter().map(|(identifier, label, multi)| {
                        let id = format!("test-{identifier}");
                        let key = identifier.clone();
                        view! {
                            <div class="field">
                                <label for=id.clone()>{label}" "<code class="muted small">{identifier.clone()}</code></label>
                                <input id=id data-test=format!("test-{identifier}")
                                    placeholder=if multi { "values, comma-separated" } else { "" }
                                    on:input=move |ev| {
                                        let text = event_target_value(&ev);
                                        let value = if multi {
                                            Value::Array(text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.to_owned())).collect())
                                        } else { Value::String(text) };
                                        answers.update(|a| { a.insert(key.clone(), value); });
                                    } />
                            </div>
                        }
                    }).collect_view()}
                </div>
                <div aria-live="polite" data-test="test-outcome">
                    {move || match outcome() {
                        Err(problems) => view! {
                            <p class="muted">"These answers would be refused:"</p>
                            <ul class="field-error">{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                        }.into_any(),
                        Ok((decision, traces)) => view! {
                            <p><strong data-test="test-route">{decision.route_name.clone()}</strong>" → "
                                {kind_str(decision.action.kind)}": "<code data-test="test-action">{decision.action.value.clone()}</code></p>
                            <ol class="trace">
                                {traces.into_iter().map(|t| view! {
                                    <li class:matched=t.matched>
                                        {if t.matched { "✓ " } else { "✗ " }}<strong>{t.name.clone()}</strong>
                                        {t.error.map(|e| view! { <span class="field-error">" — "{e}</span> })}
                                        <ul>{t.steps.into_iter().map(|s| view! {
                                            <li style=format!("margin-left: {}rem", s.depth)>{if s.held { "✓ " } else { "✗ " }}<code>{s.description}</code></li>
                                        }).collect_view()}</ul>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }}
                </div>
            </div>
        </details>
    }
}
