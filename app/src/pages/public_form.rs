//! `/f/{id}`: the page a respondent fills, and `/f/{id}/thanks` after submitting.
//!
//! A respondent's pages are rendered outside the app's router, by a document of their own
//! (`respondent_document`): the server loads what the page shows before rendering, and
//! writes the form's definition into the page as JSON. Nothing is hydrated: the
//! respondent's own small wasm (`frontend` built with its `respondent` feature, see
//! `scripts/build-respondent.sh`) reads the definition back and attaches the form's
//! behaviour (`components::form_behaviour`) to the server-rendered HTML, so a respondent
//! downloads none of Leptos's client, the router or the owner's pages. The thank-you and
//! "unavailable" pages load no wasm at all. Every page works without JavaScript; the form
//! is prefilled from the link's query string.

use leptos::prelude::*;
use serde::Serialize;

use crate::api::public::{FORM_DATA_ID, PublicFormData};
use crate::components::form_view::FormView;
use crate::error::AppError;

/// What a respondent's page shows.
#[derive(Debug, Clone)]
pub enum RespondentPage {
    /// The form to fill (the only page that loads wasm).
    Form(Box<PublicFormData>),
    /// After submitting: the form's name and the route's message.
    Thanks { name: String, text: String },
    /// A missing (404) or closed (403) form.
    Unavailable(AppError),
}

impl RespondentPage {
    /// The HTTP status the page is sent with.
    pub fn status(&self) -> u16 {
        match self {
            RespondentPage::Form(_) | RespondentPage::Thanks { .. } => 200,
            RespondentPage::Unavailable(error) => unavailable(error).0,
        }
    }

        fn title(&self) -> String {
        match self {
            RespondentPage::Form(form) => form.definition.name.clone(),
            RespondentPage::Thanks { name, .. } => name.clone(),
            RespondentPage::Unavailable(error) => unavailable(error).1.to_owned(),
        }
    }
}

/// The whole HTML document of a respondent's page, its inline script carrying `nonce`
/// (the page's policy is `csp::page_policy(nonce, true)`: a form may be embedded).
/// Rendered straight to HTML, without Leptos's hydration bookkeeping, since nothing here
/// hydrates.
pub fn respondent_document(options: LeptosOptions, page: RespondentPage, nonce: &str) -> String {
    use leptos_meta::HashedStylesheet;

    let title = crate::raw_text::document_title(page.title());
    // Only the form has behaviour in the browser.
    let data = match &page {
        RespondentPage::Form(form) => Some(script_json(&form.definition)),
        _ => None,
    };
    let scripts = data.is_some().then(|| respondent_scripts(&options, nonce));
    // The signals the form's inputs create belong to this render alone.
    Owner::new_root(None).with(move || view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Already escaped: `<title>` children are written raw.
                <title inner_html=title></title>
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                {data.map(|json| view! {
                    <script type="application/json" id=FORM_DATA_ID inner_html=json></script>
                })}
                {scripts}
            </head>
            <body>{respondent_body(page)}</body>
        </html>
    }
    .to_html())
}

/// The respondent's wasm entry: preloaded, then started by a module script carrying the
/// page's nonce.
fn respondent_scripts(options: &LeptosOptions, nonce: &str) -> impl IntoView + use<> {
    let (js, wasm) = respondent_bundle(options);
    let nonce = nonce.to_owned();
    let start = format!(
        "import init, {{ enhance }} from '{js}'; init({{ module_or_path: '{wasm}' }}).then(() => enhance());"
    );
    view! {
        <link rel="modulepreload" href=js.clone() />
        <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
        <script type="module" nonce=nonce>{start}</script>
    }
}

/// The paths of the respondent's JS and wasm in the site's package directory: the hashed
/// names `scripts/build-respondent.sh` writes (`respondent.<hash>.js` and `.wasm`), read
/// once, else the plain names of an unhashed build.
fn respondent_bundle(options: &LeptosOptions) -> (String, String) {
    use std::sync::OnceLock;
    static FOUND: OnceLock<(String, String)> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let pkg = options.site_pkg_dir.to_string();
            let dir = std::path::Path::new(options.site_root.as_ref()).join(&pkg);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| entry.file_name().into_string().ok())
                .filter(|name| name.starts_with("respondent.") && name.split('.').count() == 3)
                .collect();
            names.sort();
            let find = |ext: &str| names.iter().find(|n| n.ends_with(&format!(".{ext}"))).cloned();
            match (find("js"), find("wasm")) {
                (Some(js), Some(wasm)) => (format!("/{pkg}/{js}"), format!("/{pkg}/{wasm}")),
                _ => {
                    tracing::warn!(
                        dir = %dir.display(),
                        "the respondent's wasm is not built (scripts/build-respondent.sh): public forms work without it, checked by the server alone"
                    );
                    (format!("/{pkg}/respondent.js"), format!("/{pkg}/respondent.wasm"))
                }
            }
        })
        .clone()
}

/// `value` as JSON that can sit inside a `<script>` element: every `<` is written as
/// `\u003c` (which JSON reads back the same), so no answer can close the element.
fn script_json(value: &impl Serialize) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".to_owned())
        .replace('<', "\\u003c")
}

fn respondent_body(page: RespondentPage) -> AnyView {
    match page {
        RespondentPage::Form(form) => view! { <RespondentForm form=*form /> }.into_any(),
        RespondentPage::Thanks { name, text } => view! {
            <div class="public-page">
                <article class="card public-form" data-test="thank-you">
                    <h1>{name}</h1>
                    // Plain text with line breaks kept; never HTML.
                    <p class="message">{text}</p>
                </article>
            </div>
        }
        .into_any(),
        RespondentPage::Unavailable(error) => {
            let (_, title, text) = unavailable(&error);
            view! {
                <div class="public-page">
                    <article class="card public-form" data-test="form-unavailable">
                        <h1>{title}</h1>
                        <p>{text}</p>
                    </article>
                </div>
            }
            .into_any()
        }
    }
}

/// Status, title and text for a form that cannot be filled.
fn unavailable(error: &AppError) -> (u16, &'static str, &'static str) {
    match error {
        AppError::NotFound(_) => (
            404,
            "Form not found",
            "There is no form at this address. Check the link you were given.",
        ),
        AppError::Closed(_) => (
            403,
            "This form is closed",
            "This form is not accepting responses at the moment.",
        ),
        _ => (
            500,
            "Something went wrong",
            "The form could not be loaded. Please try again later.",
        ),
    }
}

/// The form a respondent fills: the body of its page.
#[component]
pub fn RespondentForm(form: PublicFormData) -> impl IntoView {
    let action = format!("/f/{}", form.id);
    let has_errors = !form.errors.is_empty();
    view! {
        <div class="public-page">
            <article class="card public-form">
                <h1>{form.definition.name.clone()}</h1>
                {form.notice.map(|notice| view! {
                    <div class="alert alert-error" role="alert" data-test="form-notice">{notice}</div>
                })}
                {has_errors.then(|| view! {
                    <div class="alert alert-error" role="alert" data-test="form-errors">
                        "Some answers need another look; see the messages below."
                    </div>
                })}
                <FormView definition=form.definition initial=form.initial errors=form.errors action
                    carried=form.carried honeypot=form.honeypot />
            </article>
            <p class="powered muted small">"Powered by Junction"</p>
        </div>
    }
}
