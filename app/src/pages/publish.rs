//! `/apps/publish`: publishing apps. A signed-in user uploads an app (its manifest, its
//! WebAssembly component, a logo and screenshots) with a plain multipart form (`POST
//! /apps/publish/upload`, which works without JavaScript), reads each version's
//! verification report, submits a verified version for approval, or withdraws one. The
//! guide for app authors is `/docs/apps`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::apps::{AppVersionStep, my_app_versions};
use crate::apps::view::{Approval, VersionView};
use crate::components::auth::RequireUser;
use crate::components::errors::{ErrorPage, FormError};
use crate::components::version_report::VersionReport;

#[component]
pub fn PublishPage() -> impl IntoView {
    view! {
        <Title text="Publish an app" />
        <RequireUser let:_user>
            <Publish />
        </RequireUser>
    }
}

#[component]
fn Publish() -> impl IntoView {
    let query = use_query_map();
    let (uploaded, version, error) = query.with_untracked(|q| (q.get("uploaded"), q.get("version"), q.get("error")));
    let step = ServerAction::<AppVersionStep>::new();
    let versions = Resource::new(move || step.version().get(), |_| my_app_versions());
    let step_error = Signal::derive(move || step.value().get().and_then(Result::err));
    view! {
        <section class="page" data-test="publish">
            <h1>"Publish an app"</h1>
            <p class="muted">
                "An app is a WebAssembly component built against Junction's WIT world, with a manifest beside it. "
                "The " <a href="/docs/apps">"guide for app authors"</a> " says how to write one; "
                <code>"junction app new"</code> " starts a project."
            </p>
            {error.map(|error| view! { <div class="alert alert-error" role="alert" data-test="upload-error">{error}</div> })}
            {uploaded.map(|slug| view! {
                <div class="alert alert-success" role="status" data-test="uploaded">
                    {format!("Uploaded {slug} {}. Its verification report is below.", version.unwrap_or_default())}
                </div>
            })}
            <article class="card">
                <h2>"Upload"</h2>
                <form method="post" action="/apps/publish/upload" enctype="multipart/form-data" class="form" data-test="upload-form">
                    <div class="field">
                        <label for="upload-manifest">"Manifest (manifest.json)"</label>
                        <input id="upload-manifest" name="manifest" type="file" accept=".json,application/json" required data-test="upload-manifest" />
                    </div>
                    <div class="field">
                        <label for="upload-component">"Component (.wasm)"</label>
                        <input id="upload-component" name="component" type="file" accept=".wasm,application/wasm" required data-test="upload-component" />
                    </div>
                    <div class="field">
                        <label for="upload-logo">"Logo (SVG, PNG, JPEG or WebP, optional)"</label>
                        <input id="upload-logo" name="logo" type="file" accept="image/svg+xml,image/png,image/jpeg,image/webp" />
                    </div>
                    <div class="field">
                        <label for="upload-screenshots">"Screenshots (up to five, optional)"</label>
                        <input id="upload-screenshots" name="screenshot" type="file" multiple accept="image/png,image/jpeg,image/webp" />
                    </div>
                    <button type="submit" class="button" data-test="upload">"Upload and verify"</button>
                </form>
            </article>
            <h2>"Your apps"</h2>
            <FormError error=step_error />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match versions.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-test="no-versions">"Nothing published yet."</p> }.into_any(),
                        Ok(list) => list.into_iter().rev().map(|v| view! { <Published version=v step /> }).collect_view().into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// One of the user's versions: its state, its report, and what may be done next.
#[component]
fn Published(version: VersionView, step: ServerAction<AppVersionStep>) -> impl IntoView {
    let button = move |name: &'static str, label: &'static str, class: &'static str, slug: String, v: String| {
        view! {
            <ActionForm action=step attr:class="inline-form">
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="version" value=v />
                <input type="hidden" name="step" value=name />
                <button type="submit" class=class data-test=name>{label}</button>
            </ActionForm>
        }
    };
    let submittable = matches!(version.state, Approval::Draft | Approval::Rejected) && version.report.passed;
    let withdrawable = version.state != Approval::Withdrawn;
    view! {
        <article class="card" data-test=format!("published-{}-{}", version.app, version.version)>
            <header class="app-header">
                <div>
                    <h3>{format!("{} {}", version.name, version.version)}</h3>
                    <p class="small">
                        <code>{version.app.clone()}</code>" · "
                        <span class="badge" data-test="version-state">{version.state.name()}</span>
                        {(!version.reason.is_empty()).then(|| view! { " · " <span data-test="version-reason">{version.reason.clone()}</span> })}
                    </p>
                </div>
            </header>
            <VersionReport report=version.report.clone() />
            <div class="app-actions">
                {submittable.then(|| button("submit", "Submit for approval", "button", version.app.clone(), version.version.clone()))}
                {withdrawable.then(|| button("withdraw", "Withdraw", "button button-secondary", version.app.clone(), version.version.clone()))}
            </div>
        </article>
    }
}
