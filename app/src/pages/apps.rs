//! `/apps`: the App Store catalog; `/apps/{slug}`: an app's page with its reviews;
//! `/apps/{slug}/install`: the consent step. All render on the server and work without the
//! wasm (the search is a GET form); after hydration the catalog filters as you type, with
//! the search kept in the URL so a link or Back restores it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::apps::{
    DeleteReview, HideReview, InstallApp, SaveReview, app_catalog, app_consent, app_page,
};
use crate::apps::manifest::AppType;
use crate::apps::view::{
    AppCard, AppDetail, CatalogQuery, ConsentView, SORTS, categories, filter_catalog,
};
use crate::components::auth::RequireUser;
use crate::components::errors::{ErrorPage, FieldError, FormError};
use crate::dates::iso_datetime;
use crate::error::AppError;

#[component]
pub fn AppsPage() -> impl IntoView {
    let query = use_query_map();
    let current = Memo::new(move |_| query.with(|q| CatalogQuery::from_params(|k| q.get(k))));
    let catalog = Resource::new(|| (), |_| app_catalog());
    view! {
        <Title text="App Store" />
        <section class="page">
            <h1>"App Store"</h1>
            <p class="muted">"Apps change how your forms behave: they check, enrich and pass on what respondents send. Each asks for permissions you grant when you install it."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading the apps…"</p> }>
                {move || Suspend::new(async move {
                    match catalog.await {
                        Ok((cards, signed_in)) => view! { <Catalog cards signed_in current /> }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Catalog(cards: Vec<AppCard>, signed_in: bool, current: Memo<CatalogQuery>) -> impl IntoView {
    let all_categories = categories(&cards);
    let cards = StoredValue::new(cards);
    let navigate = use_navigate();
    let go = move |query: CatalogQuery, replace: bool| {
        navigate(
            &format!("/apps{}", query.to_query()),
            NavigateOptions {
                replace,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let go_q = go.clone();
    let go_category = go.clone();
    let go_type = go.clone();
    let go_sort = go.clone();
    let shown = move || cards.with_value(|c| filter_catalog(c, &current.get()));
    let tab_link = move |installed: bool| {
        let mut q = current.get();
        q.installed = installed;
        format!("/apps{}", q.to_query())
    };
    view! {
        <nav class="tabs" aria-label="Catalog">
            <a href=move || tab_link(false) aria-current=move || (!current.get().installed).then_some("page") data-test="tab-all">"All apps"</a>
            {signed_in.then(|| view! {
                <a href=move || tab_link(true) aria-current=move || current.get().installed.then_some("page") data-test="tab-installed">"Installed"</a>
                <a href="/apps/publish" class="tab-aside" data-test="publish-link">"Publish an app"</a>
            })}
        </nav>
        <form class="catalog-search" method="get" action="/apps" role="search"
            on:submit=move |ev: leptos::ev::SubmitEvent| ev.prevent_default()>
            {move || current.get().installed.then(|| view! { <input type="hidden" name="tab" value="installed" /> })}
            <div class="field">
                <label for="app-search">"Search"</label>
                <input id="app-search" name="q" type="search" placeholder="Name, description or category"
                    value=current.get_untracked().q prop:value=move || current.get().q data-test="app-search"
                    on:input=move |ev| {
                        let mut q = current.get_untracked();
                        q.q = event_target_value(&ev);
                        go_q(q, true);
                    } />
            </div>
            <div class="field">
                <label for="app-category">"Category"</label>
                <select id="app-category" name="category" data-test="app-category"
                    on:change=move |ev| {
                        let mut q = current.get_untracked();
                        q.category = event_target_value(&ev);
                        go_category(q, false);
                    }>
                    <option value="" selected=move || current.get().category.is_empty()>"All categories"</option>
                    {all_categories.into_iter().map(|c| {
                        let value = c.clone();
                        let text = c.clone();
                        view! { <option value=c selected=move || current.get().category == value>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="app-type">"Type"</label>
                <select id="app-type" name="type" data-test="app-type"
                    on:change=move |ev| {
                        let mut q = current.get_untracked();
                        q.app_type = event_target_value(&ev);
                        go_type(q, false);
                    }>
                    <option value="" selected=move || current.get().app_type.is_empty()>"All types"</option>
                    {AppType::ALL.into_iter().map(|t| view! {
                        <option value=t.name() selected=move || current.get().app_type == t.name()>{t.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="app-sort">"Sort by"</label>
                <select id="app-sort" name="sort" data-test="app-sort"
                    on:change=move |ev| {
                        let mut q = current.get_untracked();
                        q.sort = event_target_value(&ev);
                        go_sort(q, false);
                    }>
                    {SORTS.into_iter().map(|(value, label)| view! {
                        <option value=value selected=move || {
                            let sort = current.get().sort;
                            sort == value || (sort.is_empty() && value == "popular")
                        }>{label}</option>
                    }).collect_view()}
                </select>
            </div>
            <noscript><button type="submit" class="button">"Search"</button></noscript>
        </form>
        {move || {
            let shown = shown();
            if shown.is_empty() {
                view! { <p class="muted" data-test="no-apps">"No app matches this search."</p> }.into_any()
            } else {
                view! {
                    <ul class="app-grid" data-test="app-grid">
                        {shown.into_iter().map(|card| view! { <li><AppTile card /></li> }).collect_view()}
                    </ul>
                }.into_any()
            }
        }}
    }
}

fn rating_text(rating: Option<f64>, reviews: i64) -> String {
    match rating {
        Some(r) if reviews > 0 => format!(
            "★ {r:.1} ({reviews} review{})",
            if reviews == 1 { "" } else { "s" }
        ),
        _ => "No reviews yet".into(),
    }
}

fn installs_text(n: i64) -> String {
    if n == 1 {
        "1 install".into()
    } else {
        format!("{n} installs")
    }
}

#[component]
fn AppTile(card: AppCard) -> impl IntoView {
    let href = format!("/apps/{}", card.slug);
    view! {
        <article class="card app-card" data-test=format!("app-{}", card.slug)>
            <img class="app-logo" src=card.logo.clone() alt="" width="48" height="48" />
            <div>
                <h2><a href=href>{card.name.clone()}</a></h2>
                <p class="muted small">{card.app_type.label()}" · "{card.categories.join(", ")}</p>
                <p>{card.summary.clone()}</p>
                <p class="small">
                    <span data-test="rating">{rating_text(card.rating, card.reviews)}</span>
                    " · "{installs_text(card.installs)}
                </p>
                {card.installed.then(|| view! { <span class="badge badge-success" data-test="installed-badge">"Installed"</span> })}
                {card.update_available.then(|| view! { <span class="badge" data-test="update-badge">"Update available"</span> })}
            </div>
        </article>
    }
}

/// Text written by an app's author: paragraphs at blank lines, "- " lines as a list.
#[component]
fn Prose(text: String) -> impl IntoView {
    text.split("\n\n")
        .map(|block| {
            let lines: Vec<&str> = block.lines().collect();
            if !lines.is_empty() && lines.iter().all(|l| l.starts_with("- ")) {
                view! {
                    <ul>{lines.iter().map(|l| view! { <li>{l[2..].to_owned()}</li> }).collect_view()}</ul>
                }
                .into_any()
            } else {
                view! { <p>{block.to_owned()}</p> }.into_any()
            }
        })
        .collect_view()
}

fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[component]
pub fn AppDetailPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SaveReview>::new();
    let delete = ServerAction::<DeleteReview>::new();
    let hide = ServerAction::<HideReview>::new();
    let detail = Resource::new(
        move || (slug(), save.version().get(), delete.version().get(), hide.version().get()),
        |(slug, _, _, _)| app_page(slug),
    );
    view! {
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading the app…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok((detail, signed_in)) => view! { <Detail detail signed_in save delete hide /> }.into_any(),
                        Err(AppError::NotFound(_)) => {
                            not_found_status();
                            view! {
                                <Title text="App not found" />
                                <article class="card narrow" data-test="not-found">
                                    <h1>"App not found"</h1>
                                    <p>"There is no app at this address in the App Store."</p>
                                    <p><a href="/apps">"Back to the App Store"</a></p>
                                </article>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Detail(
    detail: AppDetail,
    signed_in: bool,
    save: ServerAction<SaveReview>,
    delete: ServerAction<DeleteReview>,
    hide: ServerAction<HideReview>,
) -> impl IntoView {
    let card = detail.card.clone();
    let slug = card.slug.clone();
    let install_href = format!("/apps/{slug}/install");
    let action = if !signed_in {
        view! { <a class="button" href=format!("/login?next=/apps/{slug}") data-test="install">"Log in to install"</a> }.into_any()
    } else if detail.disabled_reason.is_some() {
        ().into_any()
    } else if detail.installations.is_empty() || detail.multiple_installs {
        let label = if detail.installations.is_empty() { "Install" } else { "Install another" };
        view! { <a class="button" href=install_href data-test="install">{label}</a> }.into_any()
    } else {
        ().into_any()
    };
    let my_review = detail.reviews.iter().find(|r| r.mine).cloned();
    view! {
        <Title text=card.name.clone() />
        <article class="card app-detail" data-test="app-detail">
            <header class="app-header">
                <img class="app-logo" src=card.logo.clone() alt="" width="64" height="64" />
                <div>
                    <h1>{card.name.clone()}</h1>
                    <p class="muted">{card.summary.clone()}</p>
                    <p class="small">
                        {card.app_type.label()}" · "{card.categories.join(", ")}" · version "{card.version.clone()}
                        " · "{rating_text(card.rating, card.reviews)}" · "{installs_text(card.installs)}
                    </p>
                </div>
            </header>
            {detail.disabled_reason.clone().map(|reason| view! {
                <div class="alert alert-error" role="alert" data-test="disabled">
                    "An administrator disabled this app for everyone: "{reason}
                </div>
            })}
            <div class="app-actions">
                {action}
                {detail.installations.iter().map(|i| {
                    let outdated = i.version != card.version;
                    view! {
                        <a class="button button-secondary" href=format!("/apps/installed/{}", i.id) data-test="open-installation">
                            {format!("Open {}", i.name)}
                        </a>
                        {outdated.then(|| view! { <span class="badge" data-test="update-badge">{format!("Update available: {} → {}", i.version, card.version)}</span> })}
                    }
                }).collect_view()}
            </div>
            <div class="prose" data-test="description"><Prose text=detail.description.clone() /></div>
            {(!detail.screenshots.is_empty()).then(|| view! {
                <h2>"Screenshots"</h2>
                <div class="screenshots">
                    {detail.screenshots.iter().map(|s| view! { <img src=s.clone() alt="Screenshot" loading="lazy" /> }).collect_view()}
                </div>
            })}
            <h2>"Permissions it asks for"</h2>
            <ul class="permissions" data-test="permissions">
                {detail.permissions.iter().map(|p| view! {
                    <li><strong>{p.sentence.clone()}</strong>" "<code class="muted">{p.scope.clone()}</code></li>
                }).collect_view()}
                {detail.permissions.is_empty().then(|| view! { <li>"None: it reads and changes none of your data."</li> })}
            </ul>
            {(!detail.dependencies.is_empty()).then(|| view! {
                <h2>"Needs"</h2>
                <ul data-test="dependencies">
                    {detail.dependencies.iter().map(|d| view! {
                        <li>
                            <a href=format!("/apps/{}", d.slug)>{d.name.clone()}</a>" "{d.version.clone()}
                            {if d.installed { " (installed)" } else { " (installed with it)" }}
                        </li>
                    }).collect_view()}
                </ul>
            })}
            <h2>"Versions"</h2>
            <dl class="changelog" data-test="changelog">
                {detail.releases.iter().map(|r| view! { <dt>{r.version.clone()}</dt><dd>{r.changes.clone()}</dd> }).collect_view()}
            </dl>
            <p class="muted small">"By "{detail.publisher.clone()}" · "{detail.contact.clone()}</p>
        </article>
        <article class="card" data-test="reviews">
            <h2>"Reviews"</h2>
            {detail.can_review.then(|| view! { <ReviewForm slug=slug.clone() mine=my_review.clone() save delete /> })}
            {if detail.reviews.is_empty() {
                view! { <p class="muted">"No reviews yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="reviews">
                        {detail.reviews.iter().map(|r| {
                            // Only administrators are sent the author's id.
                            let hide_form = r.user_id.map(|author| {
                                let (hidden, label) = if r.hidden { ("false", "Show it again") } else { ("true", "Hide from everyone") };
                                let slug = slug.clone();
                                view! {
                                    <ActionForm action=hide attr:class="inline-form">
                                        <input type="hidden" name="slug" value=slug />
                                        <input type="hidden" name="author" value=author.to_string() />
                                        <input type="hidden" name="hidden" value=hidden />
                                        <button type="submit" class="button button-secondary button-small" data-test="hide-review">{label}</button>
                                    </ActionForm>
                                }
                            });
                            view! {
                                <li class="review" data-test="review">
                                    <p><span class="stars" aria-label=format!("{} of 5 stars", r.stars)>{"★".repeat(r.stars.clamp(0, 5) as usize)}</span>
                                        " "<span class="muted small">{r.author.clone()}" · "{iso_datetime(r.updated_at)}</span>
                                        {r.hidden.then(|| view! { <span class="badge">"Hidden by an administrator"</span> })}</p>
                                    <p class="review-body">{r.body.clone()}</p>
                                    {hide_form}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </article>
    }
}

#[component]
fn ReviewForm(
    slug: String,
    mine: Option<crate::apps::view::ReviewView>,
    save: ServerAction<SaveReview>,
    delete: ServerAction<DeleteReview>,
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let stars = mine.as_ref().map_or(5, |r| r.stars);
    let body = mine.as_ref().map(|r| r.body.clone()).unwrap_or_default();
    let has_review = mine.is_some();
    let escaped = crate::raw_text::escaped(&body);
    let delete_slug = slug.clone();
    view! {
        <ActionForm action=save attr:class="form review-form">
            <FormError error />
            <input type="hidden" name="slug" value=slug.clone() />
            <div class="field">
                <label for="review-stars">"Stars"</label>
                <select id="review-stars" name="stars" data-test="review-stars">
                    {(1..=5).rev().map(|n| view! { <option value=n.to_string() selected=n == stars>{format!("{n} ★")}</option> }).collect_view()}
                </select>
                <FieldError error field="stars" />
            </div>
            <div class="field">
                <label for="review-body">{if has_review { "Your review" } else { "Write a review" }}</label>
                <textarea id="review-body" name="body" rows="3" maxlength="5000" required
                    inner_html=escaped prop:value=body data-test="review-body"></textarea>
                <FieldError error field="body" />
            </div>
            <button type="submit" class="button" data-test="save-review">{if has_review { "Save review" } else { "Post review" }}</button>
        </ActionForm>
        {has_review.then(|| view! {
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="slug" value=delete_slug.clone() />
                <button type="submit" class="button button-secondary button-small" data-test="delete-review">"Delete my review"</button>
            </ActionForm>
        })}
    }
}

#[component]
pub fn AppInstallPage() -> impl IntoView {
    let params = use_params_map();
    let slug = params.read_untracked().get("slug").unwrap_or_default();
    view! {
        <Title text="Install an app" />
        <RequireUser let:_user>
            <Consent slug=slug.clone() />
        </RequireUser>
    }
}

#[component]
fn Consent(slug: String) -> impl IntoView {
    let consent = Resource::new(move || slug.clone(), app_consent);
    view! {
        <section class="page">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match consent.await {
                        Ok(consent) => view! { <ConsentForm consent /> }.into_any(),
                        Err(AppError::NotFound(_)) => {
                            not_found_status();
                            view! { <article class="card narrow" data-test="not-found"><h1>"App not found"</h1></article> }.into_any()
                        }
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ConsentForm(consent: ConsentView) -> impl IntoView {
    let install = ServerAction::<InstallApp>::new();
    let error = Signal::derive(move || install.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(id)) = install.value().get() {
            let navigate = use_navigate();
            navigate(&format!("/apps/installed/{id}"), Default::default());
        }
    });
    let ConsentView {
        app,
        name,
        version,
        versions,
        permissions,
        also_installs,
        refusal,
        multiple_installs,
        installed_count,
    } = consent;
    let asks_nothing = permissions.is_empty();
    view! {
        <article class="card narrow" data-test="consent">
            <h1>{format!("Install {name}")}</h1>
            <p class="muted">"Version "{version}</p>
            {match refusal {
                Some(refusal) => view! {
                    <div class="alert alert-error" role="alert" data-test="refusal">{refusal}</div>
                    <p><a href=format!("/apps/{app}")>{format!("Back to {name}")}</a></p>
                }.into_any(),
                None => view! {
                    <ActionForm action=install attr:class="form">
                        <FormError error />
                        <input type="hidden" name="slug" value=app.clone() />
                        {if permissions.is_empty() {
                            view! {
                                <p data-test="consent-permissions">{format!("{name} asks for no permissions: it reads and changes none of your data.")}</p>
                            }.into_any()
                        } else {
                            view! {
                                <h2>{format!("{name} will be able to:")}</h2>
                                <ul class="permissions" data-test="consent-permissions">
                                    {permissions.iter().map(|p| view! { <li>{p.sentence.clone()}</li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {(!also_installs.is_empty()).then(|| view! {
                            <h2>"It needs these apps, which are installed with it:"</h2>
                            <ul data-test="also-installs">
                                {also_installs.iter().map(|(d, p)| view! {
                                    <li><strong>{d.name.clone()}</strong>", which will be able to: "
                                        {p.iter().map(|p| p.sentence.clone()).collect::<Vec<_>>().join(" ")}</li>
                                }).collect_view()}
                            </ul>
                        })}
                        {(multiple_installs && installed_count > 0).then(|| view! {
                            <div class="field">
                                <label for="install-name">"Name of this installation"</label>
                                <input id="install-name" name="name" maxlength="80" placeholder="e.g. Sales team account" />
                                <FieldError error field="name" />
                            </div>
                        })}
                        {(versions.len() > 1).then(|| view! {
                            <div class="field">
                                <label for="install-version">"Version"</label>
                                <select id="install-version" name="version" data-test="install-version">
                                    {versions.iter().enumerate().map(|(i, v)| view! {
                                        <option value=v.clone() selected=i == 0>{if i == 0 { format!("{v} (newest)") } else { v.clone() }}</option>
                                    }).collect_view()}
                                </select>
                                <FieldError error field="version" />
                            </div>
                        })}
                        <div class="field field-inline">
                            <input id="allow" name="allow" type="checkbox" value="on" required data-test="allow" />
                            <label for="allow">{if asks_nothing { "I want to install it" } else { "I allow these permissions" }}</label>
                        </div>
                        <FieldError error field="allow" />
                        <p class="muted small">"It starts switched off: you configure it and switch it on next."</p>
                        <button type="submit" class="button" data-test="confirm-install">"Install"</button>
                        " "<a href=format!("/apps/{app}")>"Cancel"</a>
                    </ActionForm>
                }.into_any(),
            }}
        </article>
    }
}
