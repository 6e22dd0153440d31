//! `/docs/apps`: the guide for authors of uploaded apps, generated from what the host
//! enforces: the WIT world (`apps::contract::WIT`), which permission opens each interface
//! (`contract::opened_by`), the limits events run under, the hook catalog with its sample
//! payloads (`hooks::CATALOG`) and the permission list (`Scope::ALL`). The example app's
//! manifest is the one in `examples/apps/domain-filter/`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::apps::contract::{self, FAILURES_TO_SWITCH_OFF, Limits, SLICE, WIT, WIT_PACKAGE, WIT_VERSION};
use crate::apps::manifest::Scope;
use crate::hooks::{CATALOG, HookKind};

const EXAMPLE_MANIFEST: &str = include_str!("../../../examples/apps/domain-filter/manifest.json");

#[component]
pub fn AppsDocsPage() -> impl IntoView {
    let (preamble, items) = contract::items(WIT);
    let interfaces = items.clone().into_iter().filter(|i| i.keyword == "interface" && i.name != "types");
    let limits = |kind: &'static str, l: Limits| {
        view! {
            <tr>
                <th scope="row">{kind}</th>
                <td>{format!("{} ms", l.time.as_millis())}</td>
                <td>{format!("{} ms", l.wall.as_millis())}</td>
                <td>{format!("{} million", l.fuel / 1_000_000)}</td>
                <td>{format!("{} MiB", l.memory >> 20)}</td>
            </tr>
        }
    };
    view! {
        <Title text="Writing apps" />
        <section class="docs" data-test="apps-guide">
            <h1>"Writing apps"</h1>
            <p class="lead">
                "An app you upload is a WebAssembly component and a manifest. Junction runs it "
                "sandboxed, once per event, with exactly the permissions its installer granted, "
                "and without a rebuild or a deploy."
            </p>
            <ol>
                <li><code>"junction app new \"My app\""</code> " writes a project (a Rust crate, its manifest and a build script)."</li>
                <li><code>"bash build.sh"</code> " builds the component with rustup's " <code>"wasm32-unknown-unknown"</code> " target and prints its path."</li>
                <li>
                    "Upload it on " <a href="/apps/publish">"Publish an app"</a> ", with "
                    <code>"junction app upload --email you@example.com manifest.json app.wasm"</code>
                    ", or from CI with " <code>"POST /api/v1/apps"</code> " (multipart: " <code>"manifest"</code> ", " <code>"component"</code> ")."
                </li>
                <li>"Junction verifies it at once (below). Submit a verified version; an administrator approves or rejects it, with a reason."</li>
                <li>"Approved versions join the App Store. Installations that update automatically move to a new version; the others see it as an update, and can roll back."</li>
            </ol>

            <h2 id="world">"The WIT world"</h2>
            <p>{preamble}</p>
            <p>
                "The package is " <code>{format!("{WIT_PACKAGE}@{WIT_VERSION}")}</code>
                "; a component built against any version with the same major number runs here. "
                "Its types:"
            </p>
            {items.iter().find(|i| i.name == "types").map(|types| view! { <pre class="wit"><code>{types.text.clone()}</code></pre> })}
            <h3>"Interfaces and the permissions that open them"</h3>
            <table class="compact" data-test="wit-interfaces">
                <thead><tr><th scope="col">"Interface"</th><th scope="col">"Needs"</th><th scope="col">"What it does"</th></tr></thead>
                <tbody>
                    {interfaces.clone().map(|i| {
                        let needs = match contract::opened_by(&i.name).flatten() {
                            None => "nothing: every app may import it".to_owned(),
                            Some(scopes) => scopes.iter().map(|s| s.name()).collect::<Vec<_>>().join(" or "),
                        };
                        view! {
                            <tr id=format!("interface-{}", i.name)>
                                <td><code>{i.name.clone()}</code></td>
                                <td>{needs}</td>
                                <td>{i.doc.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p>
                "A component that imports an interface its manifest's permissions do not open, "
                "or anything else (WASI included), is refused at upload. A call whose permission "
                "the installer did not grant returns " <code>"permission-denied"</code>
                " and is written to the installation's activity log."
            </p>
            {interfaces.map(|i| view! {
                <details>
                    <summary><code>{format!("interface {}", i.name)}</code></summary>
                    <pre class="wit"><code>{i.text}</code></pre>
                </details>
            }).collect_view()}
            {items.iter().find(|i| i.keyword == "world").map(|world| view! {
                <h3>"The world"</h3>
                <p>{world.doc.clone()}</p>
                <pre class="wit" data-test="wit-world"><code>{world.text.clone()}</code></pre>
            })}

            <h2 id="limits">"Limits"</h2>
            <p>
                "Each event runs in a fresh instance, on threads apart from the ones that answer "
                "requests, which take only the CPU those leave. An event that runs longer than "
                {format!("{} ms", SLICE.as_millis())}
                " is held while the server is answering requests, and goes on when it is not. Its "
                "time counts while it runs or waits on a host call, not while it waits for a CPU "
                "or is held. An event past a limit ends "
                "with that instance: a filter's work goes on without the app, and the failure is "
                "logged against it. After "
                {FAILURES_TO_SWITCH_OFF.to_string()}
                " failed events in a row the installation is switched off and its owner told. An "
                "event the server was too busy to run within its longest wait is skipped and "
                "logged, and is not counted as the app's failure."
            </p>
            <table class="compact" data-test="limits">
                <thead><tr><th scope="col">"Handler"</th><th scope="col">"Running time"</th><th scope="col">"At most, waiting included"</th><th scope="col">"Instructions (fuel)"</th><th scope="col">"Memory"</th></tr></thead>
                <tbody>
                    {limits("Filter", Limits::FILTER)}
                    {limits("Action", Limits::ACTION)}
                </tbody>
            </table>

            <h2 id="verification">"Verification"</h2>
            <ul>
                <li><strong>"Security scan"</strong>": the component's imports are within its permissions, and its manifest passes the checks every app's passes. Uploaded apps cannot add field types."</li>
                <li><strong>"Compatibility check"</strong>": it was built against a WIT version this Junction offers, it links, its own " <code>"manifest"</code> " export names the same app and version, and its dependencies resolve."</li>
                <li><strong>"Performance test"</strong>": each hook it declares runs on that hook's sample payload (below) with its settings' defaults, under the limits; the report keeps the instructions, time and peak memory of each run."</li>
            </ul>

            <h2 id="hooks">"Hook points"</h2>
            <p>
                "The manifest's " <code>"hooks"</code> " list the points the app handles, each with a priority (higher runs first). "
                "The " <a href="/docs/hooks">"hook reference"</a> " says how filters and actions run. Each point's sample payload is what the performance test runs:"
            </p>
            {CATALOG.iter().map(|p| view! {
                <details id=format!("sample-{}", p.name)>
                    <summary>
                        <code>{p.name}</code>
                        {if p.kind == HookKind::Filter { " (filter): " } else { " (action): " }}
                        {p.doc}
                    </summary>
                    <pre><code>{pretty(p.sample)}</code></pre>
                </details>
            }).collect_view()}

            <h2 id="permissions">"Permissions"</h2>
            <table class="compact" data-test="scopes">
                <thead><tr><th scope="col">"Permission"</th><th scope="col">"What installers read on the consent screen"</th></tr></thead>
                <tbody>
                    {Scope::ALL.into_iter().map(|s| view! {
                        <tr><td><code>{s.name()}</code></td><td>{s.sentence()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <p class="muted">
                "No interface offers " <code>"forms:write"</code> " to uploaded apps yet; built-in apps use it."
            </p>

            <h2 id="manifest">"The manifest"</h2>
            <p>
                "The example app, " <code>"examples/apps/domain-filter/"</code>
                ", refuses submissions whose e-mail answers use a blocked domain. Its manifest:"
            </p>
            <pre data-test="example-manifest"><code>{EXAMPLE_MANIFEST}</code></pre>
            <p>
                "A new version is the same slug with a higher " <code>"version"</code> " and a "
                <code>"releases"</code> " entry saying what changed. A version that asks for "
                "permissions its installers did not grant waits for their consent."
            </p>
        </section>
    }
}

/// A sample payload, indented for reading.
fn pretty(json: &str) -> String {
    serde_json::from_str::<serde_json::Value>(json)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| json.to_owned())
}
