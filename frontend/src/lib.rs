//! The browser entry points. The crate is built twice:
//!
//! - by cargo-leptos, into `junction.wasm`, whose `hydrate` takes over every page of the
//!   app. Hydration is asynchronous because pages are lazy routes: with a split build the
//!   page's wasm chunk is fetched before its server-rendered HTML is taken over. Only then
//!   is the document marked hydrated.
//! - with the `respondent` feature (`scripts/build-respondent.sh`), into
//!   `respondent.wasm`, whose `enhance` gives a respondent's server-rendered form its
//!   behaviour (`app::components::form_behaviour`). Nothing of Leptos's client, the
//!   router or the owner's pages is linked into it.

use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(not(feature = "respondent"))]
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

#[cfg(feature = "respondent")]
#[wasm_bindgen]
pub fn enhance() {
    app::components::form_behaviour::attach_to_page();
}
