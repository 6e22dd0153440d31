//! The top navigation bar and the user menu.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::SessionUser;
use crate::components::auth::{reload_to, use_auth, use_user};

#[component]
pub fn TopNav() -> impl IntoView {
    view! {
        <header class="topbar">
            <nav class="nav" aria-label="Main">
                <A href="/" attr:class="brand">"Junction"</A>
                {match use_user() {
                    Some(user) => view! { <SignedInNav user /> }.into_any(),
                    None => view! { <SignedOutNav /> }.into_any(),
                }}
            </nav>
        </header>
    }
}

#[component]
fn SignedOutNav() -> impl IntoView {
    view! {
        <ul class="nav-links nav-end">
            <li><A href="/apps">"App Store"</A></li>
            <li><A href="/login">"Log in"</A></li>
            <li><A href="/signup" attr:class="button button-small">"Sign up"</A></li>
        </ul>
    }
}

#[component]
fn SignedInNav(user: SessionUser) -> impl IntoView {
    let admin = user.is_admin();
    view! {
        <ul class="nav-links">
            <li><A href="/dashboard">"Dashboard"</A></li>
            <li><A href="/forms">"Forms"</A></li>
            <li><A href="/apps">"App Store"</A></li>
            <li><A href="/settings">"Settings"</A></li>
            {admin.then(|| view! { <li><A href="/admin/apps">"Admin"</A></li> })}
        </ul>
        <UserMenu user />
    }
}

/// A disclosure menu: the button toggles it, Escape closes it and returns focus.
#[component]
fn UserMenu(user: SessionUser) -> impl IntoView {
    let auth = use_auth();
    let open = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let logged_out = auth.logout.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = logged_out.get() {
            reload_to("/login");
        }
    });
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = button.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    view! {
        <div class="user-menu nav-end" on:keydown=close_on_escape>
            <button
                type="button"
                class="user-menu-button"
                node_ref=button
                aria-haspopup="true"
                aria-controls="user-menu-panel"
                aria-expanded=move || open.get().to_string()
                data-test="user-menu"
                on:click=move |_| open.update(|o| *o = !*o)
            >
                <span class="avatar" aria-hidden="true">
                    {user.email.chars().next().unwrap_or('?').to_ascii_uppercase()}
                </span>
                <span class="user-email">{user.email.clone()}</span>
            </button>
            <div id="user-menu-panel" class="user-menu-panel" hidden=move || !open.get()>
                <p class="muted small">
                    "Signed in as " <strong>{user.email.clone()}</strong>
                    {user.is_admin().then(|| view! { " " <span class="badge">"Admin"</span> })}
                </p>
                <A href="/settings" on:click=move |_| open.set(false)>"Settings"</A>
                <ActionForm action=auth.logout>
                    <button type="submit" class="link-button" data-test="logout">"Log out"</button>
                </ActionForm>
            </div>
        </div>
    }
}
