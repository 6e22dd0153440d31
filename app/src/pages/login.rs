//! `/login`: email and password; a failed attempt keeps what was typed.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::auth::safe_next;
use crate::components::auth::{reload_to, use_auth};
use crate::components::errors::FormError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let result = auth.login.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            reload_to(safe_next(Some(&next()), "/dashboard"));
        }
    });
    let error = Signal::derive(move || result.get().and_then(Result::err));
    let pending = auth.login.pending();

    view! {
        <Title text="Log in" />
        <section class="card narrow">
            <h1>"Log in"</h1>
            <ActionForm action=auth.login attr:class="form" attr:data-test="login-form">
                <input type="hidden" name="next" prop:value=next />
                <FormError error />
                <div class="field">
                    <label for="login-email">"Email"</label>
                    <input id="login-email" name="email" type="email" autocomplete="email"
                        required data-test="email" />
                </div>
                <div class="field">
                    <label for="login-password">"Password"</label>
                    <input id="login-password" name="password" type="password"
                        autocomplete="current-password" required data-test="password" />
                </div>
                <button type="submit" class="button" disabled=pending data-test="submit">
                    {move || if pending.get() { "Logging in…" } else { "Log in" }}
                </button>
            </ActionForm>
            <p class="muted">"New to Junction? " <A href="/signup">"Create an account"</A></p>
        </section>
    }
}
