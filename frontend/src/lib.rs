//! The browser entry point: hydrates the server-rendered page.
//!
//! Hydration is asynchronous because pages are lazy routes: with a split build the page's
//! wasm chunk is fetched before its server-rendered HTML is taken over. Only then is the
//! document marked hydrated.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // hydrate_from_async sets up Leptos's executor itself once it runs.
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::mark_hydrated();
    });
}
