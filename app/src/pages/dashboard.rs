//! `/dashboard`: where a signed-in user lands.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::auth::SessionUser;
use crate::components::auth::RequireUser;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <RequireUser let:user>
            <Dashboard user />
        </RequireUser>
    }
}

#[component]
fn Dashboard(user: SessionUser) -> impl IntoView {
    view! {
        <section class="page" data-test="dashboard">
            <h1>"Dashboard"</h1>
            <p class="lead">"Welcome, " <strong data-test="dashboard-email">{user.email.clone()}</strong> "."</p>
            <div class="cards">
                <article class="card">
                    <h2>"Your account"</h2>
                    <dl class="facts">
                        <dt>"Role"</dt>
                        <dd>{if user.is_admin() { "Administrator" } else { "User" }}</dd>
                        <dt>"Member since"</dt>
                        <dd><LocalDate unix=user.created_at /></dd>
                    </dl>
                    <A href="/settings">"Account settings"</A>
                </article>
            </div>
        </section>
    }
}

/// A Unix time shown as an ISO date (UTC), the same on server and browser.
#[component]
fn LocalDate(unix: i64) -> impl IntoView {
    let date = crate::components::format::iso_date(unix);
    let datetime = date.clone();
    view! { <time datetime=datetime>{date}</time> }
}
