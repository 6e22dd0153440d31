//! `/settings`: the account, its password and its API keys.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::api_keys::{CreateApiKey, RevokeApiKey, list_api_keys};
use crate::auth::{MIN_PASSWORD_LEN, SessionUser};
use crate::components::auth::{RequireUser, use_auth};
use crate::components::errors::{FieldError, FormError};
use crate::dates::iso_datetime;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <RequireUser let:user>
            <Settings user />
        </RequireUser>
    }
}

#[component]
fn Settings(user: SessionUser) -> impl IntoView {
    let auth = use_auth();
    let result = auth.change_password.value();
    let error = Signal::derive(move || result.get().and_then(Result::err));
    let saved = move || result.get().and_then(Result::ok);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if saved().is_some()
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    view! {
        <section class="page">
            <h1>"Settings"</h1>
            <article class="card">
                <h2>"Account"</h2>
                <dl class="facts">
                    <dt>"Email"</dt>
                    <dd data-test="settings-email">{user.email.clone()}</dd>
                    <dt>"Role"</dt>
                    <dd>{if user.is_admin() { "Administrator" } else { "User" }}</dd>
                </dl>
            </article>
            <article class="card">
                <h2>"Change password"</h2>
                <ActionForm action=auth.change_password node_ref=form attr:class="form">
                    <FormError error />
                    {move || saved().map(|(sessions, keys)| view! {
                        <div class="alert alert-success" role="status" data-test="password-changed">
                            "Your password was changed. "
                            {changed_note(sessions, keys)}
                        </div>
                    })}
                    <div class="field">
                        <label for="current-password">"Current password"</label>
                        <input id="current-password" name="current_password" type="password"
                            autocomplete="current-password" required
                            aria-describedby="current_password-error" />
                        <FieldError error field="current_password" />
                    </div>
                    <div class="field">
                        <label for="new-password">"New password"</label>
                        <input id="new-password" name="new_password" type="password"
                            autocomplete="new-password" required minlength=MIN_PASSWORD_LEN
                            aria-describedby="new_password-error" />
                        <FieldError error field="new_password" />
                    </div>
                    <p class="muted small">"Every other device signed in to this account is signed out."</p>
                    <div class="field field-inline">
                        <input id="revoke-api-keys" name="revoke_api_keys" type="checkbox" value="on"
                            data-test="revoke-api-keys" />
                        <label for="revoke-api-keys">"Also revoke all my API keys"</label>
                    </div>
                    <button type="submit" class="button">"Change password"</button>
                </ActionForm>
            </article>
            <ApiKeys />
        </section>
    }
}

/// What a password change ended, in words.
fn changed_note(sessions: u64, keys: u64) -> String {
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut note = format!(
        "{} signed out.",
        plural(sessions, "other session was", "other sessions were")
    );
    if keys > 0 {
        note.push_str(&format!(
            " {} revoked.",
            plural(keys, "API key was", "API keys were")
        ));
    }
    note
}

/// Keys for `/api/v1`: created here (shown once), listed by name, revoked.
#[component]
fn ApiKeys() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    // A password change may revoke every key.
    let password_changes = use_auth().change_password.version();
    let keys = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                password_changes.get(),
            )
        },
        |_| list_api_keys(),
    );
    let created = create.value();
    let error = Signal::derive(move || {
        created
            .get()
            .and_then(Result::err)
            .or_else(|| revoke.value().get().and_then(Result::err))
    });
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(created.get(), Some(Ok(_)))
            && let Some(form) = form.get()
        {
            form.reset();
        }
    });
    view! {
        <article class="card" data-test="api-keys">
            <h2>"API keys"</h2>
            <p class="muted">"Scripts and other services use a key to act as you through the "
                <a href="/api/v1/openapi.json">"JSON API"</a>" (send it as "<code>"Authorization: Bearer <key>"</code>")."</p>
            <ActionForm action=create node_ref=form attr:class="form">
                <FormError error />
                <div class="field">
                    <label for="api-key-name">"Name"</label>
                    <input id="api-key-name" name="name" required maxlength="100" placeholder="e.g. CRM sync"
                        aria-describedby="name-error" data-test="api-key-name" />
                    <FieldError error field="name" />
                </div>
                <div class="field">
                    <label for="api-key-password">"Your password"</label>
                    <input id="api-key-password" name="password" type="password" required
                        autocomplete="current-password" aria-describedby="password-error"
                        data-test="api-key-password" />
                    <FieldError error field="password" />
                </div>
                <button type="submit" class="button" data-test="create-api-key">"Create key"</button>
            </ActionForm>
            {move || created.get().and_then(Result::ok).map(|key| view! {
                <div class="alert alert-success" role="status">
                    <p>"Copy the new key now: it is not shown again."</p>
                    <code class="secret" data-test="new-api-key">{key}</code>
                </div>
            })}
            <Suspense fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-test="no-api-keys">"No keys yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="compact" data-test="api-key-list">
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Created (UTC)"</th><th scope="col">"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|k| view! {
                                        <tr data-test="api-key-row">
                                            <td>{k.name.clone()}</td>
                                            <td><code>{format!("{}…", k.prefix)}</code></td>
                                            <td>{iso_datetime(k.created_at)}</td>
                                            <td>{k.last_used_at.map(iso_datetime).unwrap_or_else(|| "Never".into())}</td>
                                            <td>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=k.id.clone() />
                                                    <button type="submit" class="button button-secondary button-small danger"
                                                        aria-label=format!("Revoke {}", k.name) data-test="revoke-api-key">"Revoke"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </article>
    }
}
