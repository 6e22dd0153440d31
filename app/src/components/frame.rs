//! The frame around every page: the top navigation, the main landmark and the footer.
//!
//! The signed-in user is looked up by the server before rendering starts (a middleware puts
//! a [`PageUser`] on the request) and written into the page, where hydration reads it back:
//! no Suspense stands between the root and the pages, so every page renders in one pass
//! and its resources belong to the request's owner from the start. Signing in or out
//! reloads the page (`reload_to`), so the value holds for the page's life.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::SessionUser;
use crate::components::auth::CurrentUser;
use crate::components::errors::ErrorPage;
use crate::components::nav::TopNav;
use crate::error::AppError;

/// The signed-in user of a page request, or the error looking them up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageUser(pub Result<Option<SessionUser>, AppError>);

const ELEMENT_ID: &str = "junction-user";

fn page_user() -> Result<Option<SessionUser>, AppError> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PageUser>().cloned())
            .map(|user| user.0)
            .unwrap_or(Ok(None))
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .get_element_by_id(ELEMENT_ID)
            .and_then(|element| element.get_attribute("data-user"))
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or(Ok(None))
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Ok(None)
    }
}

#[component]
pub fn Frame(children: Children) -> impl IntoView {
    let user = page_user();
    expect_context::<CurrentUser>().set(user.clone().ok().flatten());
    let data = serde_json::to_string(&user).unwrap_or_default();
    view! {
        <span id=ELEMENT_ID hidden data-user=data></span>
        <TopNav />
        <main id="main" class="main" tabindex="-1">
            {match user {
                Ok(_) => children(),
                Err(error) => view! { <ErrorPage error /> }.into_any(),
            }}
        </main>
        <footer class="site-footer">
            <a href="/docs/apps">"Writing apps"</a>
            " · "
            <a href="/docs/hooks">"Hook points"</a>
        </footer>
    }
}
