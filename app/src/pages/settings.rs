//! `/settings`: the account, its password and its API keys.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::api_keys::{CreateApiKey, RevokeApiKey, list_api_keys};
use crate::auth::{MIN_PASSWORD_LEN, SessionUser};
use crate::components::auth::{RequireUser, use_auth};
use crate::components::errors::{FieldError, FormError};
use crate::components::format::iso_datetime;

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
    let saved = move || matches!(result.get(), Some(Ok(())));
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if saved() {
            if let Some(form) = form.get() {
                form.reset();
            }
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
                    {move || saved().then(|| view! {
                        <div class="alert alert-success" role="status">"Your password was changed."</div>
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
                    <button type="submit" class="button">"Change password"</button>
                </ActionForm>
            </article>
            <ApiKeys />
        </section>
    }
}

/// Keys for `/api/v1`: created here (shown once), listed by name, revoked.
#[component]
fn ApiKeys() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
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
        if matches!(created.get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
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
