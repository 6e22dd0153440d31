//! `/docs/hooks`: the hook points app authors can handle, generated from the catalog
//! (`hooks::CATALOG`), so the page lists exactly the points that exist.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::hooks::{CATALOG, HookKind, HookPoint};

#[component]
pub fn HooksDocsPage() -> impl IntoView {
    let table = |kind: HookKind| {
        let rows: Vec<&HookPoint> = CATALOG.iter().filter(|p| p.kind == kind).collect();
        view! {
            <table class="compact hook-points" data-test=format!("hooks-{kind:?}").to_lowercase()>
                <thead>
                    <tr><th scope="col">"Hook point"</th><th scope="col">"When"</th><th scope="col">"Payload"</th></tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|p| view! {
                        <tr id=p.name>
                            <td><code>{p.name}</code></td>
                            <td>{p.doc}</td>
                            <td><code>{p.payload}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <Title text="Hook points" />
        <section class="docs">
            <h1>"Hook points"</h1>
            <p class="alert alert-info" role="note" data-test="account-hooks">
                "The account hooks, user.beforeCreate and user.created, are the whole site's: "
                "the apps and endpoints of administrators handle them. Every other point is "
                "handled by the apps of the user whose form, app or log-in it is."
            </p>
            <p class="lead">
                "An app handles hook points to change or follow what Junction does. Each "
                "handler has a priority: higher runs first, equal priorities in the order the "
                "apps registered. Handlers run only for the apps their owner has installed "
                "and switched on."
            </p>
            <h2>"Filters"</h2>
            <p>
                "Filters run before the work, one after another, each given the previous "
                "handler's result. A handler may change the payload or reject it with a "
                "message the user sees. A handler that fails or takes longer than 5 seconds "
                "is skipped, and the data passes on unchanged."
            </p>
            {table(HookKind::Filter)}
            <h2>"Actions"</h2>
            <p>
                "Actions run after the work has been saved, all at once, each with its own "
                "5-second limit. They cannot change what happened, and one failing never "
                "affects the others or the person who caused the event."
            </p>
            {table(HookKind::Action)}
        </section>
    }
}
