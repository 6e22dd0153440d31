//! `/`: what Junction is, and the way in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::auth::use_user;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="hero">
            <h1>"Send every respondent to the right place."</h1>
            <p class="lead">
                "Junction is a routing-forms product: build a form, add rules, and route each "
                "respondent to a message, an external page or a booking page."
            </p>
            {match use_user() {
                Some(_) => view! {
                    <A href="/dashboard" attr:class="button">"Go to your dashboard"</A>
                }.into_any(),
                None => view! {
                    <div class="actions">
                        <A href="/signup" attr:class="button">"Create an account"</A>
                        <A href="/login" attr:class="button button-secondary">"Log in"</A>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
