//! `/apps/installed/{id}`: one of the user's installations. Its settings form is generated
//! from the app's schema and checked in the browser by the same code the server runs;
//! secrets show only whether they are set. The lifecycle buttons (switch on or off,
//! update, roll back, automatic updates, uninstall) and the audit log are here too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde_json::{Map, Value};

use crate::api::apps::{
    ConfigureInstallation, InstallationStep, SendEmailAgain, UninstallInstallation, UpdateInstallation,
    installation_emails, load_installation,
};
use crate::apps::config;
use crate::apps::manifest::{Setting, SettingKind};
use crate::apps::view::{AuditEntry, InstallationView};
use crate::components::auth::RequireUser;
use crate::components::deliveries::DeliveryItem;
use crate::components::errors::{ErrorPage, FormError};
use crate::dates::iso_datetime;
use crate::error::{AppError, FieldErrors};

#[component]
pub fn InstallationPage() -> impl IntoView {
    view! {
        <Title text="App settings" />
        <RequireUser let:_user>
            <Installation />
        </RequireUser>
    }
}

#[component]
fn Installation() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let configure = ServerAction::<ConfigureInstallation>::new();
    let step = ServerAction::<InstallationStep>::new();
    let update = ServerAction::<UpdateInstallation>::new();
    // Reloaded after each change that went through, not after a refusal: the settings form
    // would be drawn again from what is stored, and what the owner typed would be lost.
    let changes = RwSignal::new(0_usize);
    Effect::new(move |_| {
        if configure.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if step.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if update.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
    let loaded = Resource::new(
        move || (id.clone(), changes.get()),
        |(id, _)| load_installation(id),
    );
    view! {
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok((view, log)) => view! { <Loaded view log configure step update /> }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Loaded(
    view: InstallationView,
    log: Vec<AuditEntry>,
    configure: ServerAction<ConfigureInstallation>,
    step: ServerAction<InstallationStep>,
    update: ServerAction<UpdateInstallation>,
) -> impl IntoView {
    let uninstall = ServerAction::<UninstallInstallation>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = uninstall.value().get() {
            let navigate = use_navigate();
            navigate("/apps?tab=installed", Default::default());
        }
    });
    let step_error = Signal::derive(move || {
        step.value()
            .get()
            .and_then(Result::err)
            .or_else(|| update.value().get().and_then(Result::err))
            .or_else(|| uninstall.value().get().and_then(Result::err))
    });
    let id = view.id.clone();
    let step_button = move |name: &'static str, label: String, class: &'static str| {
        let id = id.clone();
        view! {
            <ActionForm action=step attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="step" value=name />
                <button type="submit" class=class data-test=name>{label}</button>
            </ActionForm>
        }
    };
    let newest = view.newer.first().map(|r| r.version.clone());
    // Updating to a version that asks for more permissions needs the user's consent to them.
    let update_button = newest.clone().filter(|_| view.update_asks.is_empty()).map(|v| {
        let id = view.id.clone();
        view! {
            <ActionForm action=update attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button" data-test="update">{format!("Update to {v}")}</button>
            </ActionForm>
        }
    });
    let update_consent = newest.clone().filter(|_| !view.update_asks.is_empty()).map(|v| {
        let id = view.id.clone();
        let grant = view.update_asks.iter().map(|p| p.scope.clone()).collect::<Vec<_>>().join(",");
        let asks = view.update_asks.clone();
        view! {
            <ActionForm action=update attr:class="update-consent" attr:data-test="update-consent">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="grant" value=grant />
                <p>{format!("Version {v} also asks to:")}</p>
                <ul class="permissions">
                    {asks.into_iter().map(|p| view! { <li data-test="update-asks">{p.sentence}</li> }).collect_view()}
                </ul>
                <div class="field field-inline">
                    <input id="allow-update" name="allow" type="checkbox" value="on" required data-test="allow-update" />
                    <label for="allow-update">"I allow these permissions"</label>
                </div>
                <button type="submit" class="button" data-test="update">{format!("Update to {v}")}</button>
            </ActionForm>
        }
    });
    let settings_view = view.clone();
    let email_log = (view.app == crate::apps::email::SLUG).then(|| (view.id.clone(), view.active));
    view! {
        <Title text=format!("{} settings", view.name.clone()) />
        <article class="card" data-test="installation">
            <header class="app-header">
                <img class="app-logo" src=view.logo.clone() alt="" width="48" height="48" />
                <div>
                    <h1>{view.name.clone()}</h1>
                    <p class="small">
                        <a href=format!("/apps/{}", view.app)>{view.app_name.clone()}</a>
                        " · version "<span data-test="version">{view.version.clone()}</span>" · "
                        {if view.active {
                            view! { <span class="badge badge-success" data-test="state">"Active"</span> }.into_any()
                        } else {
                            view! { <span class="badge" data-test="state">"Off"</span> }.into_any()
                        }}
                    </p>
                </div>
            </header>
            {view.disabled_reason.clone().map(|reason| view! {
                <div class="alert alert-error" role="alert" data-test="disabled">
                    "An administrator disabled this app for everyone, so it does not run: "{reason}
                </div>
            })}
            <FormError error=step_error />
            <div class="app-actions">
                {if view.active {
                    step_button("deactivate", "Switch off".into(), "button button-secondary").into_any()
                } else {
                    step_button("activate", "Switch on".into(), "button").into_any()
                }}
                {update_button}
                {view.rollback_to.clone().map(|v| step_button("rollback", format!("Roll back to {v}"), "button button-secondary"))}
                {if view.auto_update {
                    step_button("auto-update-off", "Stop automatic updates".into(), "button button-secondary").into_any()
                } else {
                    step_button("auto-update-on", "Update automatically".into(), "button button-secondary").into_any()
                }}
                <ActionForm action=uninstall attr:class="inline-form">
                    <input type="hidden" name="id" value=view.id.clone() />
                    <button type="submit" class="button button-danger" data-test="uninstall">"Uninstall"</button>
                </ActionForm>
            </div>
            {(!view.newer.is_empty()).then(|| view! {
                <div class="alert alert-info" data-test="newer">
                    <p><strong>"A newer version is available."</strong></p>
                    <dl class="changelog">
                        {view.newer.iter().map(|r| view! { <dt>{r.version.clone()}</dt><dd>{r.changes.clone()}</dd> }).collect_view()}
                    </dl>
                    {update_consent}
                </div>
            })}
            {(view.app == crate::apps::webhooks::SLUG).then(|| view! {
                <p><a class="button" href="/webhooks" data-test="manage-endpoints">"Manage endpoints and deliveries"</a></p>
            })}
            <h2>"Permissions granted"</h2>
            <ul class="permissions" data-test="granted">
                {view.scopes.iter().map(|p| view! { <li>{p.sentence.clone()}</li> }).collect_view()}
            </ul>
        </article>
        <SettingsForm view=settings_view configure />
        {email_log.map(|(id, active)| view! { <EmailLog id active /> })}
        <article class="card" data-test="audit">
            <h2>"Activity"</h2>
            <table class="table">
                <thead><tr><th>"When"</th><th>"What"</th><th>"Details"</th></tr></thead>
                <tbody>
                    {log.into_iter().map(|e| view! {
                        <tr data-test="audit-entry"><td>{iso_datetime(e.at)}</td><td>{e.event}</td><td>{e.detail}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </article>
    }
}

/// The Email notifications app's delivery log: a test e-mail, then each e-mail with its
/// attempts, newest first, and "Send again".
#[component]
fn EmailLog(id: String, active: bool) -> impl IntoView {
    let query = use_query_map();
    let send = ServerAction::<SendEmailAgain>::new();
    let emails = {
        let id = id.clone();
        Resource::new(
            move || (id.clone(), query.read().get("before"), send.version().get()),
            |(id, before, _)| installation_emails(id, before),
        )
    };
    let error = Signal::derive(move || send.value().get().and_then(Result::err));
    let send_form = move |delivery: String, label: &'static str, test: &'static str, class: &'static str| {
        let id = id.clone();
        active.then(|| view! {
            <ActionForm action=send attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="delivery" value=delivery />
                <button type="submit" class=class data-test=test>{label}</button>
            </ActionForm>
        })
    };
    let test_button = send_form(String::new(), "Send a test e-mail", "send-test-email", "button button-secondary");
    view! {
        <article class="card" data-test="email-log">
            <h2>"E-mails sent"</h2>
            <p class="small muted">"Each e-mail is tried again on a schedule while the server refuses it for now; a permanent refusal ends it at once."</p>
            {if active {
                test_button.into_any()
            } else {
                view! { <p class="muted">"Switch the app on to send e-mails."</p> }.into_any()
            }}
            <FormError error />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let send_form = send_form.clone();
                    Suspend::new(async move {
                        match emails.await {
                            Err(error) => view! { <FormError error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                            Ok(page) if page.deliveries.is_empty() => {
                                view! { <p class="muted" data-test="no-deliveries">"No e-mail has been sent yet."</p> }.into_any()
                            }
                            Ok(page) => {
                                let older = page.next_cursor.clone().map(|c| format!("?before={c}"));
                                view! {
                                    <div class="deliveries" data-test="delivery-list">
                                        {page.deliveries.into_iter().map(|delivery| {
                                            let again = send_form(delivery.id.clone(), "Send again", "redeliver", "button button-secondary button-small");
                                            view! { <DeliveryItem delivery protocol="SMTP">{again}</DeliveryItem> }
                                        }).collect_view()}
                                    </div>
                                    {older.map(|href| view! { <p><a href=href data-test="older-deliveries">"Older e-mails →"</a></p> })}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </article>
    }
}

/// The settings form, generated from the schema.
#[component]
fn SettingsForm(view: InstallationView, configure: ServerAction<ConfigureInstallation>) -> impl IntoView {
    if view.settings.is_empty() {
        return view! { <article class="card"><h2>"Settings"</h2><p class="muted">"This app has no settings."</p></article> }.into_any();
    }
    let settings = StoredValue::new(view.settings.clone());
    let secrets_set = StoredValue::new(view.secrets_set.clone());
    // What the owner typed, by key: the stored values to start with (never a secret).
    let values = RwSignal::new(view.values.clone());
    let errors = RwSignal::new(FieldErrors::new());
    let server_error = Signal::derive(move || configure.value().get().and_then(Result::err));
    let saved = move || matches!(configure.value().get(), Some(Ok(_)));
    Effect::new(move |_| {
        if let Some(Err(AppError::Validation { fields, .. })) = configure.value().get() {
            errors.set(fields);
        }
    });
    let id = view.id.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sent = values.get_untracked();
        match settings.with_value(|s| secrets_set.with_value(|set| config::check(s, &sent, set))) {
            Err(found) => errors.set(found),
            Ok(_) => {
                errors.set(FieldErrors::new());
                configure.dispatch(ConfigureInstallation {
                    id: id.clone(),
                    config: Value::Object(sent).to_string(),
                });
            }
        }
    };
    view! {
        <article class="card" data-test="settings">
            <h2>"Settings"</h2>
            <form class="form" on:submit=on_submit novalidate>
                <FormError error=server_error />
                {move || saved().then(|| view! { <div class="alert alert-success" role="status" data-test="saved">"Settings saved."</div> })}
                {settings.get_value().into_iter().map(|setting| {
                    let set = secrets_set.with_value(|s| s.contains(&setting.key));
                    view! { <SettingInput setting values errors set /> }
                }).collect_view()}
                <button type="submit" class="button" data-test="save-settings">"Save settings"</button>
            </form>
        </article>
    }.into_any()
}

fn text_of(values: &Map<String, Value>, key: &str) -> String {
    match values.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

#[component]
fn SettingInput(
    setting: Setting,
    values: RwSignal<Map<String, Value>>,
    errors: RwSignal<FieldErrors>,
    /// For a secret: whether one is stored.
    set: bool,
) -> impl IntoView {
    let key = setting.key.clone();
    let input_id = format!("setting-{key}");
    let error_id = format!("setting-{key}-error");
    let k = key.clone();
    let message = move || errors.with(|e| e.get(&k).map(|m| m.join(" ")).unwrap_or_default());
    let k = key.clone();
    let put = move |value: Value| values.update(|v| {
        v.insert(k.clone(), value);
    });
    let label = format!("{}{}", setting.label, if setting.required { " (required)" } else { "" });
    let help = setting.help.clone();
    let k = key.clone();
    let initial = values.with_untracked(|v| text_of(v, &k));
    let input = match setting.kind {
        SettingKind::Boolean => {
            let checked = values.with_untracked(|v| v.get(&key).and_then(Value::as_bool).unwrap_or(false));
            let put = put.clone();
            view! {
                <input id=input_id.clone() type="checkbox" checked=checked data-test=input_id.clone()
                    on:change=move |ev| put(Value::Bool(event_target_checked(&ev))) />
            }.into_any()
        }
        SettingKind::Select => {
            let put = put.clone();
            view! {
                <select id=input_id.clone() data-test=input_id.clone() on:change=move |ev| put(Value::String(event_target_value(&ev)))>
                    {setting.options.iter().map(|o| view! { <option value=o.clone() selected=*o == initial>{o.clone()}</option> }).collect_view()}
                </select>
            }.into_any()
        }
        SettingKind::Secret => {
            let put_clear = put.clone();
            let put_text = put.clone();
            let k = key.clone();
            view! {
                <p class="small" data-test=format!("{input_id}-state")>{if set { "Set. Type a new value to replace it." } else { "Not set." }}</p>
                <input id=input_id.clone() type="password" autocomplete="new-password" data-test=input_id.clone()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        if text.is_empty() {
                            values.update(|v| { v.remove(&k); });
                        } else {
                            put_text(Value::String(text));
                        }
                    } />
                {set.then(|| view! {
                    <label class="small"><input type="checkbox" data-test=format!("{input_id}-clear")
                        on:change=move |ev| if event_target_checked(&ev) { put_clear(Value::Null) } /> " Clear it"</label>
                })}
            }.into_any()
        }
        kind => {
            let put = put.clone();
            let on_input = move |ev: leptos::ev::Event| put(Value::String(event_target_value(&ev)));
            let (id, test, described) = (input_id.clone(), input_id.clone(), error_id.clone());
            // The HTML input type written out in each arm.
            match kind {
                SettingKind::Number => view! {
                    <input id=id type="number" step="any" value=initial data-test=test aria-describedby=described on:input=on_input />
                }.into_any(),
                SettingKind::Url => view! {
                    <input id=id type="url" value=initial data-test=test aria-describedby=described on:input=on_input />
                }.into_any(),
                SettingKind::Email => view! {
                    <input id=id type="email" value=initial data-test=test aria-describedby=described on:input=on_input />
                }.into_any(),
                _ => {
                    // Text settings may hold several lines (one rule per line). Raw-text
                    // element: escaped here, the live value as a property.
                    let escaped = crate::raw_text::escaped(&initial);
                    view! {
                        <textarea id=id rows="3" data-test=test inner_html=escaped prop:value=initial
                            aria-describedby=described on:input=on_input></textarea>
                    }.into_any()
                }
            }
        }
    };
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            {input}
            {(!help.is_empty()).then(|| view! { <p class="muted small">{help}</p> })}
            <p class="field-error" id=error_id.clone() data-test=error_id.clone()>{message}</p>
        </div>
    }
}
