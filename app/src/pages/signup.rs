//! `/signup`: create an account; errors appear next to the field they concern.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::auth::{MIN_PASSWORD_LEN, safe_next};
use crate::components::auth::{reload_to, use_auth};
use crate::components::errors::{FieldError, FormError};

#[component]
pub fn SignupPage() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let result = auth.signup.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            reload_to(safe_next(Some(&next()), "/dashboard"));
        }
    });
    let error = Signal::derive(move || result.get().and_then(Result::err));
    let pending = auth.signup.pending();

    view! {
        <Title text="Sign up" />
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=auth.signup attr:class="form" attr:data-test="signup-form">
                <input type="hidden" name="next" prop:value=next />
                <FormError error />
                <div class="field">
                    <label for="signup-email">"Email"</label>
                    <input id="signup-email" name="email" type="email" autocomplete="email"
                        required aria-describedby="email-error" data-test="email" />
                    <FieldError error field="email" />
                </div>
                <div class="field">
                    <label for="signup-password">"Password"</label>
                    <input id="signup-password" name="password" type="password"
                        autocomplete="new-password" required minlength=MIN_PASSWORD_LEN
                        aria-describedby="password-hint password-error" data-test="password" />
                    <p class="hint" id="password-hint">
                        {format!("At least {MIN_PASSWORD_LEN} characters.")}
                    </p>
                    <FieldError error field="password" />
                </div>
                <button type="submit" class="button" disabled=pending data-test="submit">
                    {move || if pending.get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="muted">"Already have an account? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
