//! The page for any path no route matches; answered with status 404.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::frame::Frame;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <Frame>
        <section class="card narrow" data-test="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/">"Back to the start page"</A></p>
        </section>
        </Frame>
    }
}
