//! Showing errors: a banner for a form, messages under a field, and the friendly error page.

use leptos::prelude::*;

use crate::error::AppError;

/// The form-level message of the last failed submission, if any.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            view! {
                <div class="alert alert-error" role="alert" data-test="form-error">
                    {error.to_string()}
                </div>
            }
        })
    }
}

/// The messages a validation error has for `field`, linked to its input by id.
#[component]
pub fn FieldError(
    #[prop(into)] error: Signal<Option<AppError>>,
    field: &'static str,
) -> impl IntoView {
    let messages = move || {
        error.with(|error| {
            error
                .as_ref()
                .map(|e| e.messages_for(field).to_vec())
                .unwrap_or_default()
        })
    };
    view! {
        <p class="field-error" id=format!("{field}-error") data-test=format!("{field}-error")>
            {move || messages().join(" ")}
        </p>
    }
}

/// A friendly page for an error; the cause was already logged on the server.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(error.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    view! {
        <section class="card narrow" data-test="error-page">
            <h1>"Something went wrong"</h1>
            <p>{error.to_string()}</p>
            <p><a href="/">"Back to the start page"</a></p>
        </section>
    }
}
