//! Pages loaded lazily: with `cargo leptos build --split` (the release build) each becomes
//! its own wasm chunk, fetched when the page is first visited, so the main module holds only
//! the shell, the router and the navigation; owners fetch each tool as they open it.
//! (Respondents' pages are not routes: `pages::public_form`.) Without
//! `--split` (debug builds, tests) they stay in the main module.

use leptos::prelude::*;
use leptos_router::LazyRoute;
#[cfg(not(feature = "respondent"))]
use leptos_router::lazy_route;

macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[cfg(not(feature = "respondent"))]
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }

        // The respondent's entry never routes: without a split point the page is not
        // exported, so it is left out of that build.
        #[cfg(feature = "respondent")]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    };
}

lazy_page!(DashboardRoute, super::dashboard::DashboardPage);
lazy_page!(AppsRoute, super::apps::AppsPage);
lazy_page!(AppDetailRoute, super::apps::AppDetailPage);
lazy_page!(AppInstallRoute, super::apps::AppInstallPage);
lazy_page!(InstallationRoute, super::installation::InstallationPage);
lazy_page!(AdminAppsRoute, super::admin_apps::AdminAppsPage);
lazy_page!(PublishRoute, super::publish::PublishPage);
lazy_page!(SettingsRoute, super::settings::SettingsPage);
lazy_page!(WebhooksRoute, super::webhooks::WebhooksPage);
lazy_page!(WebhookDeliveriesRoute, super::webhooks::WebhookDeliveriesPage);
lazy_page!(HooksDocsRoute, super::docs_hooks::HooksDocsPage);
lazy_page!(AppsDocsRoute, super::docs_apps::AppsDocsPage);
lazy_page!(FormsRoute, super::forms::FormsPage);
lazy_page!(FormEditorRoute, super::form_editor::FormEditorPage);
lazy_page!(FormResponsesRoute, super::form_responses::FormResponsesPage);
lazy_page!(FormInsightsRoute, super::form_insights::FormInsightsPage);
