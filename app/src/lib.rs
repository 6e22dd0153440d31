//! Junction's application crate: pages, components and server functions, plus the domain
//! code they share. Built twice: with `ssr` for the server and with `hydrate` for the
//! browser (wasm). Domain modules are plain Rust and test natively.

#![recursion_limit = "256"]

pub mod api;
pub mod apps;
pub mod auth;
pub mod components;
pub mod dates;
pub mod error;
pub mod fields;
pub mod forms;
pub mod hooks;
pub mod pages;
pub mod raw_text;
pub mod routing;
pub mod rules;

#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod delivery;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod state;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use crate::components::auth::{Auth, CurrentUser};
use crate::components::frame::Frame;
use crate::pages::lazy::{
    AdminAppsRoute, AppDetailRoute, AppInstallRoute, AppsRoute, DashboardRoute,
    FormEditorRoute, InstallationRoute, FormInsightsRoute, FormResponsesRoute, FormsRoute,
    AppsDocsRoute, HooksDocsRoute, PublishRoute, SettingsRoute, WebhookDeliveriesRoute, WebhooksRoute,
};
use crate::pages::{home::HomePage, login::LoginPage, not_found::NotFound, signup::SignupPage};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::csp::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                // The stylesheet's name carries its content hash when the build hashes files.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Auth::new());
    provide_context(CurrentUser::default());

    view! {
        // Every page's <Title text=…> goes through this formatter, which escapes on the server.
        <Title formatter=crate::raw_text::document_title />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Routes fallback=NotFound>
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("dashboard") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("apps") view={Lazy::<AppsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("apps/publish") view={Lazy::<PublishRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("apps/installed/:id") view={Lazy::<InstallationRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("apps/:slug") view={Lazy::<AppDetailRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("apps/:slug/install") view={Lazy::<AppInstallRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("admin/apps") view={Lazy::<AdminAppsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("webhooks") view={Lazy::<WebhooksRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("webhooks/:id") view={Lazy::<WebhookDeliveriesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("docs/hooks") view={Lazy::<HooksDocsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("docs/apps") view={Lazy::<AppsDocsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("forms") view={Lazy::<FormsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("forms/:id/edit") view={Lazy::<FormEditorRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("forms/:id/responses") view={Lazy::<FormResponsesRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("forms/:id/insights") view={Lazy::<FormInsightsRoute>::new()} ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Every page inside the frame: navigation and the user loaded once.
#[component]
fn Layout() -> impl IntoView {
    view! { <Frame><Outlet /></Frame> }
}

/// Marks the document once the wasm has taken over, so tests and styles can tell.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
    leptos::logging::log!("junction: hydrated");
}
