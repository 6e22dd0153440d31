//! `/admin/apps`: every app with its approval state and installs, for administrators, who
//! may disable an app for everyone (its installations stop, and their owners see why) and
//! enable it again. Anyone else gets 403.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::apps::{AdminDisableApp, list_admin_apps};
use crate::components::auth::RequireUser;
use crate::components::errors::{ErrorPage, FormError};

#[component]
pub fn AdminAppsPage() -> impl IntoView {
    view! {
        <Title text="Apps · Admin" />
        <RequireUser let:_user>
            <AdminApps />
        </RequireUser>
    }
}

#[component]
fn AdminApps() -> impl IntoView {
    let disable = ServerAction::<AdminDisableApp>::new();
    let apps = Resource::new(move || disable.version().get(), |_| list_admin_apps());
    let error = Signal::derive(move || disable.value().get().and_then(Result::err));
    view! {
        <section class="page">
            <h1>"Apps"</h1>
            <FormError error />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match apps.await {
                        Ok(apps) => view! {
                            <table class="table" data-test="admin-apps">
                                <thead><tr><th>"App"</th><th>"Version"</th><th>"Source"</th><th>"State"</th><th>"Installs"</th><th>"For everyone"</th></tr></thead>
                                <tbody>
                                    {apps.into_iter().map(|app| {
                                        let slug = app.slug.clone();
                                        view! {
                                            <tr data-test=format!("admin-app-{}", app.slug)>
                                                <td><a href=format!("/apps/{}", app.slug)>{app.name.clone()}</a></td>
                                                <td>{app.version.clone()}</td>
                                                <td>{if app.source == "builtin" { "Built in" } else { "Uploaded" }}</td>
                                                <td>{app.state.name()}{(!app.reason.is_empty()).then(|| format!(": {}", app.reason))}</td>
                                                <td>{app.installs}</td>
                                                <td>
                                                    {match app.disabled_reason.clone() {
                                                        Some(reason) => view! {
                                                            <p class="small">"Disabled: "{reason}</p>
                                                            <ActionForm action=disable attr:class="inline-form">
                                                                <input type="hidden" name="slug" value=slug.clone() />
                                                                <button type="submit" class="button button-small" data-test="enable-app">"Enable"</button>
                                                            </ActionForm>
                                                        }.into_any(),
                                                        None => view! {
                                                            <ActionForm action=disable attr:class="inline-form">
                                                                <input type="hidden" name="slug" value=slug.clone() />
                                                                <label class="visually-hidden" for=format!("reason-{slug}")>"Reason"</label>
                                                                <input id=format!("reason-{slug}") name="reason" required placeholder="Why (its users see this)"
                                                                    data-test="disable-reason" />
                                                                <button type="submit" class="button button-danger button-small" data-test="disable-app">"Disable"</button>
                                                            </ActionForm>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
