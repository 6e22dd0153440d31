//! `/settings`: the account and its password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::{MIN_PASSWORD_LEN, SessionUser};
use crate::components::auth::{RequireUser, use_auth};
use crate::components::errors::{FieldError, FormError};

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
        </section>
    }
}
