//! The signed-in user as a reactive resource, and the gate for pages that need one.

use std::sync::Arc;

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::auth::{ChangePassword, Login, Logout, Signup, current_user};
use crate::auth::{SessionUser, login_url};
use crate::components::errors::ErrorPage;
use crate::error::AppError;

/// Auth actions and the current user, provided once at the root.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub signup: ServerAction<Signup>,
    pub logout: ServerAction<Logout>,
    pub change_password: ServerAction<ChangePassword>,
    /// Blocking, so a page that needs a user can redirect before any HTML is sent.
    pub user: Resource<Result<Option<SessionUser>, AppError>>,
}

impl Auth {
    pub fn new() -> Self {
        let login = ServerAction::<Login>::new();
        let signup = ServerAction::<Signup>::new();
        let logout = ServerAction::<Logout>::new();
        let change_password = ServerAction::<ChangePassword>::new();
        // Signing in or out reloads the page (see `reload_to`), so this is read once per load.
        let user = Resource::new_blocking(|| (), |_| current_user());
        Auth { login, signup, logout, change_password, user }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Auth::new()
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// Renders `children` with the signed-in user; sends visitors to the login page and back.
#[component]
pub fn RequireUser<F, IV>(children: F) -> impl IntoView
where
    F: Fn(SessionUser) -> IV + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let auth = use_auth();
    let location = use_location();
    let children = Arc::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) => children(user).into_any(),
                        Ok(None) => {
                            let here = format!(
                                "{}{}",
                                location.pathname.get_untracked(),
                                location.search.get_untracked()
                            );
                            view! { <Redirect path=login_url(&here) /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// Sends the browser to `path` with a full page load, so every resource starts fresh
/// after the session changed.
pub fn reload_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
