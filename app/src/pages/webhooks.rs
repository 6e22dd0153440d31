//! `/webhooks`: the Webhooks app's endpoints (add one, with its secret shown once; send a
//! test, rotate the secret, switch off or on, change, remove) and `/webhooks/{id}`: one
//! endpoint's delivery log, each delivery's attempts and body, and redelivery.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::webhooks::{
    CreateWebhook, EditWebhook, RedeliverWebhook, StepDone, WebhookStep, load_webhook, load_webhooks,
};
use crate::apps::webhooks::{DeliveryView, EndpointView};
use crate::components::auth::RequireUser;
use crate::components::deliveries::DeliveryItem;
use crate::components::errors::{ErrorPage, FieldError, FormError};
use crate::dates::iso_datetime;
use crate::error::AppError;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    view! {
        <Title text="Webhooks" />
        <RequireUser let:_user>
            <Endpoints />
        </RequireUser>
    }
}

#[component]
fn Endpoints() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let step = ServerAction::<WebhookStep>::new();
    let edit = ServerAction::<EditWebhook>::new();
    // Reloaded after a change that took: a refused one leaves the page, and what was typed
    // in it, as it was.
    let changes = RwSignal::new(0_u32);
    let bump = move || changes.update(|n| *n += 1);
    Effect::new(move |_| create.value().with(|v| matches!(v, Some(Ok(_)))).then(bump));
    Effect::new(move |_| step.value().with(|v| matches!(v, Some(Ok(_)))).then(bump));
    Effect::new(move |_| edit.value().with(|v| matches!(v, Some(Ok(_)))).then(bump));
    let loaded = Resource::new(move || changes.get(), |_| load_webhooks());
    // The secret of the endpoint just added or rotated: shown this once.
    let secret = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            secret.set(Some(created.secret));
        }
    });
    Effect::new(move |_| match step.value().get() {
        Some(Ok(StepDone::Rotated { secret: s })) => secret.set(Some(s)),
        Some(_) => secret.set(None),
        None => {}
    });
    let step_error = Signal::derive(move || {
        step.value()
            .get()
            .and_then(Result::err)
            .or_else(|| edit.value().get().and_then(Result::err))
    });
    let test_queued = move || matches!(step.value().get(), Some(Ok(StepDone::TestQueued { .. })));
    view! {
        <section class="page">
            <h1>"Webhooks"</h1>
            <p class="muted">
                "Junction POSTs each event you choose to your endpoints as JSON, signed as the "
                <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a>
                " specification says, and retries until your server answers 2xx. What each event carries is in the "
                <a href="/docs/hooks">"hook reference"</a>"."
            </p>
            {move || secret.get().map(|s| view! {
                <div class="alert alert-success" role="status" data-test="webhook-secret">
                    <p>"The endpoint's signing secret. Copy it now: it is not shown again."</p>
                    <code class="secret" data-test="new-webhook-secret">{s}</code>
                </div>
            })}
            <FormError error=step_error />
            {move || test_queued().then(|| view! {
                <div class="alert alert-info" role="status" data-test="test-queued">
                    "A test event is on its way; its delivery is in the endpoint's log."
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                        Ok(page) => {
                            let events = StoredValue::new(page.events);
                            let forms = StoredValue::new(page.forms);
                            view! {
                                <AddEndpoint create events forms />
                                {if page.endpoints.is_empty() {
                                    view! { <p class="muted" data-test="no-endpoints">"No endpoints yet."</p> }.into_any()
                                } else {
                                    page.endpoints.into_iter().map(|endpoint| view! {
                                        <EndpointCard endpoint step edit events forms />
                                    }).collect_view().into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The URL, event and form inputs shared by adding and changing an endpoint. What was
/// typed stays in the signals when the server refuses it.
#[component]
fn EndpointFields(
    prefix: &'static str,
    url: RwSignal<String>,
    chosen: RwSignal<Vec<String>>,
    form: RwSignal<String>,
    events: StoredValue<Vec<(String, String)>>,
    forms: StoredValue<Vec<(String, String)>>,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let url_id = format!("{prefix}-url");
    let form_id = format!("{prefix}-form");
    view! {
        <div class="field">
            <label for=url_id.clone()>"Endpoint URL"</label>
            <input id=url_id.clone() type="url" required placeholder="https://example.com/junction-webhooks"
                data-test=url_id prop:value=move || url.get() aria-describedby="url-error"
                on:input=move |ev| url.set(event_target_value(&ev)) />
            <FieldError error field="url" />
        </div>
        <fieldset class="field choices">
            <legend>"Events"</legend>
            {events.get_value().into_iter().map(|(name, doc)| {
                let checked_name = name.clone();
                let toggled = name.clone();
                let test = format!("{prefix}-event-{name}");
                view! {
                    <label class="choice">
                        <input type="checkbox" data-test=test
                            prop:checked=move || chosen.with(|c| c.contains(&checked_name))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| {
                                    c.retain(|e| *e != toggled);
                                    if on {
                                        c.push(toggled.clone());
                                    }
                                });
                            } />
                        " "<code>{name.clone()}</code>" "<span class="muted small">{doc}</span>
                    </label>
                }
            }).collect_view()}
            <FieldError error field="events" />
        </fieldset>
        <div class="field">
            <label for=form_id.clone()>"Forms"</label>
            <select id=form_id.clone() data-test=form_id on:change=move |ev| form.set(event_target_value(&ev))>
                <option value="" selected=move || form.get().is_empty()>"Every form"</option>
                {forms.get_value().into_iter().map(|(id, name)| {
                    let selected_id = id.clone();
                    view! { <option value=id selected=move || form.get() == selected_id>{name}</option> }
                }).collect_view()}
            </select>
            <FieldError error field="form_id" />
        </div>
    }
}

#[component]
fn AddEndpoint(
    create: ServerAction<CreateWebhook>,
    events: StoredValue<Vec<(String, String)>>,
    forms: StoredValue<Vec<(String, String)>>,
) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(vec!["form.submitted".to_string()]);
    let form = RwSignal::new(String::new());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            url.set(String::new());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateWebhook {
            url: url.get_untracked(),
            events: chosen.get_untracked().join(","),
            form_id: form.get_untracked(),
        });
    };
    view! {
        <article class="card" data-test="add-endpoint">
            <h2>"Add an endpoint"</h2>
            <form class="form" on:submit=on_submit novalidate>
                <FormError error />
                <EndpointFields prefix="new" url chosen form events forms error />
                <button type="submit" class="button" data-test="add-endpoint-button">"Add endpoint"</button>
            </form>
        </article>
    }
}

/// Whether an endpoint is sending, in a badge.
fn state_badge(endpoint: &EndpointView) -> impl IntoView + use<> {
    let (class, text) = match (endpoint.active, &endpoint.disabled_reason) {
        (_, Some(_)) => ("badge badge-error", "Switched off by Junction"),
        (true, None) => ("badge badge-success", "Active"),
        (false, None) => ("badge badge-off", "Off"),
    };
    view! { <span class=class data-test="endpoint-state">{text}</span> }
}

#[component]
fn EndpointCard(
    endpoint: EndpointView,
    step: ServerAction<WebhookStep>,
    edit: ServerAction<EditWebhook>,
    events: StoredValue<Vec<(String, String)>>,
    forms: StoredValue<Vec<(String, String)>>,
) -> impl IntoView {
    let id = endpoint.id.clone();
    let step_button = move |name: &'static str, label: &'static str, class: &'static str| {
        let id = id.clone();
        view! {
            <ActionForm action=step attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="step" value=name />
                <button type="submit" class=class data-test=format!("endpoint-{name}")>{label}</button>
            </ActionForm>
        }
    };
    let sending = endpoint.active && endpoint.disabled_reason.is_none();
    let editing = RwSignal::new(false);
    let url = RwSignal::new(endpoint.url.clone());
    let chosen = RwSignal::new(endpoint.events.clone());
    let form = RwSignal::new(endpoint.form_id.clone().unwrap_or_default());
    let edit_error = Signal::derive(move || edit.value().get().and_then(Result::err));
    let edit_id = endpoint.id.clone();
    let on_edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        edit.dispatch(EditWebhook {
            id: edit_id.clone(),
            url: url.get_untracked(),
            events: chosen.get_untracked().join(","),
            form_id: form.get_untracked(),
        });
    };
    view! {
        <article class="card" data-test="endpoint">
            <header class="endpoint-header">
                <h2 class="endpoint-url"><code data-test="endpoint-url">{endpoint.url.clone()}</code></h2>
                {state_badge(&endpoint)}
            </header>
            {endpoint.disabled_reason.clone().map(|reason| view! {
                <div class="alert alert-error" role="alert" data-test="endpoint-disabled">{reason}" Switch it on again once your server is ready."</div>
            })}
            <dl class="facts">
                <dt>"Events"</dt>
                <dd data-test="endpoint-events">{endpoint.events.join(", ")}</dd>
                <dt>"Forms"</dt>
                <dd data-test="endpoint-form">{endpoint.form_name.clone().unwrap_or_else(|| "Every form".into())}</dd>
                <dt>"Added (UTC)"</dt>
                <dd>{iso_datetime(endpoint.created_at)}</dd>
                {endpoint.old_secret_until.map(|until| view! {
                    <dt>"Previous secret"</dt>
                    <dd data-test="old-secret">"Also signs until "{iso_datetime(until)}" UTC"</dd>
                })}
            </dl>
            <div class="app-actions">
                <a class="button button-secondary" href=format!("/webhooks/{}", endpoint.id) data-test="endpoint-deliveries">"Delivery log"</a>
                {sending.then(|| step_button("test", "Send test event", "button button-secondary"))}
                {step_button("rotate", "Rotate secret", "button button-secondary")}
                {if sending {
                    step_button("off", "Switch off", "button button-secondary").into_any()
                } else {
                    step_button("on", "Switch on", "button").into_any()
                }}
                <button type="button" class="button button-secondary" data-test="endpoint-edit"
                    on:click=move |_| editing.update(|e| *e = !*e)>"Change"</button>
                {step_button("delete", "Delete", "button button-danger")}
            </div>
            <Show when=move || editing.get()>
                <form class="form" on:submit=on_edit.clone() novalidate data-test="edit-endpoint">
                    <EndpointFields prefix="edit" url chosen form events forms error=edit_error />
                    <button type="submit" class="button" data-test="save-endpoint">"Save endpoint"</button>
                </form>
            </Show>
        </article>
    }
}

#[component]
pub fn WebhookDeliveriesPage() -> impl IntoView {
    view! {
        <Title text="Webhook deliveries" />
        <RequireUser let:_user>
            <Deliveries />
        </RequireUser>
    }
}

#[component]
fn Deliveries() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let step = ServerAction::<WebhookStep>::new();
    let loaded = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                query.read().get("before"),
                redeliver.version().get(),
                step.version().get(),
            )
        },
        |(id, before, _, _)| load_webhook(id, before),
    );
    let error = Signal::derive(move || {
        redeliver
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| step.value().get().and_then(Result::err))
    });
    view! {
        <section class="page">
            <p><a href="/webhooks">"← All endpoints"</a></p>
            <FormError error />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                        Ok((endpoint, page)) => {
                            let sending = endpoint.active && endpoint.disabled_reason.is_none();
                            let id = endpoint.id.clone();
                            let older = page.next_cursor.clone().map(|c| format!("/webhooks/{id}?before={c}"));
                            view! {
                                <h1>"Deliveries to "<code data-test="endpoint-url">{endpoint.url.clone()}</code></h1>
                                <p>{state_badge(&endpoint)}" "<span class="muted">{endpoint.events.join(", ")}</span></p>
                                {sending.then(|| view! {
                                    <ActionForm action=step attr:class="inline-form">
                                        <input type="hidden" name="id" value=endpoint.id.clone() />
                                        <input type="hidden" name="step" value="test" />
                                        <button type="submit" class="button button-secondary" data-test="endpoint-test">"Send test event"</button>
                                    </ActionForm>
                                })}
                                {if page.deliveries.is_empty() {
                                    view! { <p class="muted" data-test="no-deliveries">"Nothing has been sent to this endpoint yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="deliveries" data-test="delivery-list">
                                            {page.deliveries.into_iter().map(|delivery| view! {
                                                <DeliveryRow endpoint=id.clone() delivery redeliver sending />
                                            }).collect_view()}
                                        </div>
                                    }.into_any()
                                }}
                                {older.map(|href| view! { <p><a href=href data-test="older-deliveries">"Older deliveries →"</a></p> })}
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DeliveryRow(
    endpoint: String,
    delivery: DeliveryView,
    redeliver: ServerAction<RedeliverWebhook>,
    sending: bool,
) -> impl IntoView {
    let id = delivery.id.clone();
    view! {
        <DeliveryItem delivery protocol="HTTP">
            {sending.then(|| view! {
                <ActionForm action=redeliver attr:class="inline-form">
                    <input type="hidden" name="id" value=endpoint />
                    <input type="hidden" name="delivery" value=id />
                    <button type="submit" class="button button-secondary button-small" data-test="redeliver">"Send again"</button>
                </ActionForm>
            })}
        </DeliveryItem>
    }
}
