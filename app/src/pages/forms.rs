//! `/forms`: the user's forms: create, rename, duplicate, delete, enable/disable, share.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::forms::{
    CreateForm, DeleteForm, DuplicateForm, RenameForm, SetFormEnabled, list_forms,
};
use crate::components::auth::RequireUser;
use crate::components::errors::FormError;
use crate::dates::iso_date;
use crate::forms::FormSummary;

#[component]
pub fn FormsPage() -> impl IntoView {
    view! {
        <Title text="Forms" />
        <RequireUser let:_user>
            <FormsList />
        </RequireUser>
    }
}

#[component]
fn FormsList() -> impl IntoView {
    let create = ServerAction::<CreateForm>::new();
    let rename = ServerAction::<RenameForm>::new();
    let duplicate = ServerAction::<DuplicateForm>::new();
    let delete = ServerAction::<DeleteForm>::new();
    let enable = ServerAction::<SetFormEnabled>::new();
    let forms = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                duplicate.version().get(),
                delete.version().get(),
                enable.version().get(),
            )
        },
        |_| list_forms(),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = create.value().get() {
            navigate(&format!("/forms/{id}/edit"), Default::default());
        }
    });
    let action_error = Signal::derive(move || {
        [
            create.value().get().map(|r| r.map(drop)),
            duplicate.value().get().map(|r| r.map(drop)),
            rename.value().get(),
            delete.value().get(),
            enable.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(Result::err)
    });

    view! {
        <section class="page" data-test="forms-page">
            <div class="page-head">
                <h1>"Forms"</h1>
                <ActionForm action=create attr:class="inline-form">
                    <label for="new-form-name" class="visually-hidden">"New form name"</label>
                    <input id="new-form-name" name="name" placeholder="Name of a new form" required data-test="new-form-name" />
                    <button type="submit" class="button" data-test="create-form">"New form"</button>
                </ActionForm>
            </div>
            <FormError error=action_error />
            <Transition fallback=|| view! { <p class="muted">"Loading forms…"</p> }>
                {move || Suspend::new(async move {
                    match forms.await {
                        Err(error) => view! { <p class="alert alert-error">{error.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="card muted" data-test="no-forms">"You have no forms yet. Name one above to start."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="form-list">
                                {list.into_iter().map(|form| view! {
                                    <FormRow form rename duplicate delete enable />
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn FormRow(
    form: FormSummary,
    rename: ServerAction<RenameForm>,
    duplicate: ServerAction<DuplicateForm>,
    delete: ServerAction<DeleteForm>,
    enable: ServerAction<SetFormEnabled>,
) -> impl IntoView {
    let renaming = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let id = form.id.clone();
    let responses_href = format!("/forms/{}/responses", form.id);
    let edit_href = format!("/forms/{}/edit", form.id);
    let duplicate_id = form.id.clone();
    let enable_id = form.id.clone();
    let delete_id = form.id.clone();
    let public_path = format!("/f/{}", form.id);
    let copy_link = {
        let path = public_path.clone();
        move |_| {
            copy_to_clipboard(&path);
            copied.set(true);
        }
    };
    let FormSummary {
        id: _,
        name,
        enabled,
        updated_at,
        responses,
    } = form;
    view! {
        <li class="form-row card" data-test="form-row">
            <div class="form-row-main">
                {move || if renaming.get() {
                    let id = id.clone();
                    let name = name.clone();
                    view! {
                        <ActionForm action=rename attr:class="inline-form" on:submit=move |_| renaming.set(false)>
                            <input type="hidden" name="id" value=id.clone() />
                            <label class="visually-hidden" for=format!("rename-{}", id)>"Form name"</label>
                            <input id=format!("rename-{}", id) name="name" value=name.clone() required data-test="rename-input" />
                            <button type="submit" class="button button-small">"Save"</button>
                            <button type="button" class="link-button" on:click=move |_| renaming.set(false)>"Cancel"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    let href = format!("/forms/{id}/edit");
                    let label = name.clone();
                    view! {
                        <h2 class="form-name"><A href=href>{label}</A></h2>
                    }.into_any()
                }}
                <p class="muted small">
                    <span class=if enabled { "badge" } else { "badge badge-off" } data-test="form-status">
                        {if enabled { "Accepting responses" } else { "Disabled" }}
                    </span>
                    " · " <A href=responses_href>{format!("{responses} responses")}</A>
                    " · updated " {iso_date(updated_at)}
                </p>
            </div>
            <div class="form-row-actions">
                <A href=edit_href attr:class="button button-small">"Edit"</A>
                <a href=public_path.clone() target="_blank" rel="noopener" class="link-button">"Open"</a>
                <button type="button" class="link-button" on:click=copy_link data-test="copy-link">
                    {move || if copied.get() { "Link copied" } else { "Copy link" }}
                </button>
                <button type="button" class="link-button" on:click=move |_| renaming.set(true) data-test="rename">"Rename"</button>
                <ActionForm action=duplicate>
                    <input type="hidden" name="id" value=duplicate_id />
                    <button type="submit" class="link-button" data-test="duplicate">"Duplicate"</button>
                </ActionForm>
                <ActionForm action=enable>
                    <input type="hidden" name="id" value=enable_id />
                    <input type="hidden" name="enabled" value=(!enabled).to_string() />
                    <button type="submit" class="link-button" data-test="toggle-enabled">{if enabled { "Disable" } else { "Enable" }}</button>
                </ActionForm>
                {move || if confirming.get() {
                    let delete_id = delete_id.clone();
                    view! {
                        <ActionForm action=delete attr:class="confirm">
                            <input type="hidden" name="id" value=delete_id />
                            <span>"Delete this form and its responses?"</span>
                            <button type="submit" class="button button-small button-danger" data-test="confirm-delete">"Delete"</button>
                            <button type="button" class="link-button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! { <button type="button" class="link-button danger" on:click=move |_| confirming.set(true) data-test="delete">"Delete"</button> }.into_any()
                }}
            </div>
        </li>
    }
}

/// Copies the absolute address of `path` to the clipboard.
fn copy_to_clipboard(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let window = window();
        let origin = window.location().origin().unwrap_or_default();
        let _ = window
            .navigator()
            .clipboard()
            .write_text(&format!("{origin}{path}"));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
