//! `/admin/apps`: every app with its approval state and installs, for administrators, who
//! may disable an app for everyone (its installations stop, and their owners see why) and
//! enable it again; and every uploaded version with its verification report, where a
//! submitted one is approved or rejected with a reason. Anyone else gets 403.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::apps::{AdminDisableApp, DecideAppVersion, admin_app_versions, list_admin_apps};
use crate::apps::view::{Approval, VersionView};
use crate::components::auth::RequireUser;
use crate::components::errors::{ErrorPage, FormError};
use crate::components::version_report::VersionReport;

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
            <Versions />
        </section>
    }
}

/// Every uploaded version, submitted ones first, each with its report.
#[component]
fn Versions() -> impl IntoView {
    let decide = ServerAction::<DecideAppVersion>::new();
    let versions = Resource::new(move || decide.version().get(), |_| admin_app_versions());
    let error = Signal::derive(move || decide.value().get().and_then(Result::err));
    view! {
        <h2>"Uploaded versions"</h2>
        <FormError error />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match versions.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No app has been uploaded."</p> }.into_any(),
                    Ok(mut list) => {
                        list.sort_by_key(|v| (v.state != Approval::Submitted, std::cmp::Reverse(v.created_at)));
                        list.into_iter().map(|v| view! { <Review version=v decide /> }).collect_view().into_any()
                    }
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One uploaded version: approve or reject it while it is submitted.
#[component]
fn Review(version: VersionView, decide: ServerAction<DecideAppVersion>) -> impl IntoView {
    let id = format!("{}-{}", version.app, version.version);
    let actions = (version.state == Approval::Submitted).then(|| {
        let (slug, number, reason_id) = (version.app.clone(), version.version.clone(), format!("reject-{id}"));
        let (reject_slug, reject_number) = (slug.clone(), number.clone());
        view! {
            <div class="app-actions">
                <ActionForm action=decide attr:class="inline-form">
                    <input type="hidden" name="slug" value=slug />
                    <input type="hidden" name="version" value=number />
                    <input type="hidden" name="decision" value="approve" />
                    <button type="submit" class="button" data-test="approve">"Approve"</button>
                </ActionForm>
                <ActionForm action=decide attr:class="inline-form">
                    <input type="hidden" name="slug" value=reject_slug />
                    <input type="hidden" name="version" value=reject_number />
                    <input type="hidden" name="decision" value="reject" />
                    <label class="visually-hidden" for=reason_id.clone()>"Reason"</label>
                    <input id=reason_id name="reason" required placeholder="Why (the publisher sees this)"
                        data-test="reject-reason" />
                    <button type="submit" class="button button-danger" data-test="reject">"Reject"</button>
                </ActionForm>
            </div>
        }
    });
    view! {
        <article class="card" data-test=format!("review-{id}")>
            <h3>
                <code>{version.app.clone()}</code>" "{version.version.clone()}" · "
                <span class="badge" data-test="version-state">{version.state.name()}</span>
            </h3>
            <p class="small">
                {version.name.clone()}" · asks to: "
                {version.permissions.iter().map(|p| p.scope.clone()).collect::<Vec<_>>().join(", ")}
                " · " <a href=version.component_url.clone()>"component"</a>
                {(!version.reason.is_empty()).then(|| view! { " · " {version.reason.clone()} })}
            </p>
            <VersionReport report=version.report.clone() />
            {actions}
        </article>
    }
}
