//! The frame around every page: the top navigation and the main landmark.
//!
//! The signed-in user is loaded here, once per page load, and then read synchronously by
//! the navigation and the pages (`use_user`). A single Suspense reading the blocking
//! resource keeps server rendering simple: the response waits for it, so a page can still
//! answer with a redirect.

use leptos::prelude::*;

use crate::api::auth::current_user;
use crate::components::auth::CurrentUser;
use crate::components::errors::ErrorPage;
use crate::components::nav::TopNav;

#[component]
pub fn Frame(children: ChildrenFn) -> impl IntoView {
    // Signing in or out reloads the page (see `reload_to`), so this is read once per load;
    // pages outside the frame (a respondent's form) never look the user up.
    let user = Resource::new(|| (), |_| current_user());
    let current = expect_context::<CurrentUser>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let user = user.await;
                    current.set(user.clone().ok().flatten());
                    view! {
                        <TopNav />
                        <main id="main" class="main" tabindex="-1">
                            {match user {
                                Ok(_) => children().into_any(),
                                Err(error) => view! { <ErrorPage error /> }.into_any(),
                            }}
                        </main>
                    }
                })
            }}
        </Suspense>
    }
}
