//! `/f/{id}`: the page a respondent fills, and `/f/{id}/thanks` after submitting. Rendered on
//! the server and usable without JavaScript; prefilled from the link's query string.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_params_map};

use crate::api::forms::public_form;
use crate::components::form_view::FormView;
use crate::error::AppError;

#[component]
pub fn PublicFormPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let query = location.search.get_untracked();
    let form = Resource::new(
        move || (id.clone(), query.clone()),
        |(id, query)| public_form(id, query),
    );
    view! {
        <div class="public-page">
            <Suspense fallback=|| view! { <p class="muted">"Loading the form…"</p> }>
                {move || Suspend::new(async move {
                    match form.await {
                        Ok(form) => {
                            let action = format!("/f/{}", form.id);
                            let has_errors = !form.errors.is_empty();
                            let notice = form.notice.clone();
                            view! {
                                <Title text=form.definition.name.clone() />
                                <article class="card public-form">
                                    <h1>{form.definition.name.clone()}</h1>
                                    {notice.map(|notice| view! {
                                        <div class="alert alert-error" role="alert" data-test="form-notice">{notice}</div>
                                    })}
                                    {has_errors.then(|| view! {
                                        <div class="alert alert-error" role="alert" data-test="form-errors">
                                            "Some answers need another look; see the messages below."
                                        </div>
                                    })}
                                    <FormView definition=form.definition initial=form.initial errors=form.errors action
                                        carried=form.carried honeypot=form.honeypot />
                                </article>
                            }.into_any()
                        }
                        Err(error) => view! { <Unavailable error /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="powered muted small">"Powered by Junction"</p>
        </div>
    }
}

/// A missing (404) or disabled (403) form.
#[component]
fn Unavailable(error: AppError) -> impl IntoView {
    let (status, title, text) = match error {
        AppError::NotFound(_) => (
            404,
            "Form not found",
            "There is no form at this address. Check the link you were given.",
        ),
        AppError::Closed(_) => (
            403,
            "This form is closed",
            "This form is not accepting responses at the moment.",
        ),
        _ => (
            500,
            "Something went wrong",
            "The form could not be loaded. Please try again later.",
        ),
    };
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    let _ = status;
    view! {
        <Title text=title />
        <article class="card public-form" data-test="form-unavailable">
            <h1>{title}</h1>
            <p>{text}</p>
        </article>
    }
}

#[component]
pub fn ThanksPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let route = leptos_router::hooks::use_query_map()
        .read_untracked()
        .get("route");
    let message = Resource::new(
        move || (id.clone(), route.clone()),
        |(id, route)| crate::api::forms::thank_you_message(id, route),
    );
    view! {
        <div class="public-page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match message.await {
                        Ok((name, text)) => view! {
                            <Title text=name.clone() />
                            <article class="card public-form" data-test="thank-you">
                                <h1>{name}</h1>
                                // Plain text with line breaks kept; never HTML.
                                <p class="message">{text}</p>
                            </article>
                        }.into_any(),
                        Err(error) => view! { <Unavailable error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
