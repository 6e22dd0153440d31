//! `/dashboard`: where a signed-in user lands.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::notifications::{MarkNoticesRead, Unread, unread_notices};
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
                <article class="card">
                    <h2>"Forms"</h2>
                    <p class="muted">"Build a form, share its link, and read the responses."</p>
                    <A href="/forms">"Go to your forms"</A>
                </article>
                <Notices />
            </div>
        </section>
    }
}

/// Unread responses on forms whose owner asked to be notified, and what the user's apps
/// told them.
#[component]
fn Notices() -> impl IntoView {
    let mark_read = ServerAction::<MarkNoticesRead>::new();
    let notices = Resource::new(move || mark_read.version().get(), |_| unread_notices());
    view! {
        <article class="card" data-test="notices">
            <h2>"New responses"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match notices.await {
                        Err(e) => view! { <p class="alert alert-error">{e.to_string()}</p> }.into_any(),
                        Ok(unread) if unread.responses.is_empty() && unread.apps.is_empty() => view! {
                            <p class="muted">"Nothing new. Forms set to notify you list their new responses here, and your apps what they tell you."</p>
                        }.into_any(),
                        Ok(Unread { responses, apps: from_apps }) => view! {
                            {(!responses.is_empty()).then(|| view! {
                                <ul class="notices">
                                    {responses.into_iter().map(|n| view! {
                                        <li data-test="notice">
                                            <A href=format!("/forms/{}/responses", n.form_id)>{n.form_name.clone()}</A>
                                            ": " {format!("{} new", n.count)}
                                            <span class="muted small">" · latest " {crate::dates::iso_datetime(n.latest)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                            {(!from_apps.is_empty()).then(|| view! {
                                <h3>"From your apps"</h3>
                                <ul class="notices">
                                    {from_apps.into_iter().map(|n| view! {
                                        <li data-test="app-notice">
                                            <A href=format!("/apps/installed/{}", n.installation_id)>{n.app_name.clone()}</A>
                                            ": " {n.text.clone()}
                                            <span class="muted small">" · " {crate::dates::iso_datetime(n.at)}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            })}
                            <ActionForm action=mark_read>
                                <button type="submit" class="link-button" data-test="mark-read">"Mark all as read"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Transition>
        </article>
    }
}

/// A Unix time shown as an ISO date (UTC), the same on server and browser.
#[component]
fn LocalDate(unix: i64) -> impl IntoView {
    let date = crate::dates::iso_date(unix);
    let datetime = date.clone();
    view! { <time datetime=datetime>{date}</time> }
}
