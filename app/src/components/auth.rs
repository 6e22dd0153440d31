//! The signed-in user, and the gate for pages that need one.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::api::auth::{ChangePassword, Login, Logout, Signup};
use crate::auth::{SessionUser, login_url};

/// Auth actions, provided once at the root.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub signup: ServerAction<Signup>,
    pub logout: ServerAction<Logout>,
    pub change_password: ServerAction<ChangePassword>,
}

impl Auth {
    pub fn new() -> Self {
        Auth {
            login: ServerAction::<Login>::new(),
            signup: ServerAction::<Signup>::new(),
            logout: ServerAction::<Logout>::new(),
            change_password: ServerAction::<ChangePassword>::new(),
        }
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

/// The loaded user, set by `App` before any page renders.
#[derive(Clone, Copy, Default)]
pub struct CurrentUser(RwSignal<Option<SessionUser>>);

impl CurrentUser {
    pub fn set(&self, user: Option<SessionUser>) {
        self.0.set(user);
    }
}

/// The signed-in user, if any.
pub fn use_user() -> Option<SessionUser> {
    expect_context::<CurrentUser>().0.get_untracked()
}

/// Renders `children` with the signed-in user; sends visitors to the login page and back.
#[component]
pub fn RequireUser<F, IV>(children: F) -> impl IntoView
where
    F: Fn(SessionUser) -> IV + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    match use_user() {
        Some(user) => children(user).into_any(),
        None => {
            let location = use_location();
            let here = format!(
                "{}{}",
                location.pathname.get_untracked(),
                location.search.get_untracked()
            );
            view! { <Redirect path=login_url(&here) /> }.into_any()
        }
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
