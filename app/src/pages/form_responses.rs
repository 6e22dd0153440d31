//! `/forms/{id}/responses`: the stored responses of one form, newest first.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::forms::{RESPONSES_PER_PAGE, ResponsesPage, list_responses};
use crate::components::auth::RequireUser;
use crate::components::errors::ErrorPage;
use crate::dates::iso_datetime;
use crate::fields::FileAnswer;
use crate::forms::answers::StoredAnswer;

#[component]
pub fn FormResponsesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(1)
    };
    let param = move |key: &str| query.read().get(key).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || (id(), page(), param("route"), param("from"), param("to")),
        |(id, page, route, from, to)| list_responses(id, page, route, from, to),
    );
    view! {
        <Title text="Responses" />
        <RequireUser let:_user>
            <Suspense fallback=|| view! { <p class="muted">"Loading responses…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <ResponsesTable page /> }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireUser>
    }
}

/// An answer as a table cell: a file as a link to it, anything else as its type displays it.
fn cell(form_id: &str, answer: &StoredAnswer) -> AnyView {
    if let Ok(file) = serde_json::from_value::<FileAnswer>(answer.value.clone()) {
        let href = format!("/forms/{form_id}/files/{}", file.file_id);
        return view! { <a href=href download=file.name.clone()>{file.name.clone()}</a> }
            .into_any();
    }
    let text = answer
        .shown
        .clone()
        .unwrap_or_else(|| crate::fields::display_stored(&answer.value));
    view! { <span>{text}</span> }.into_any()
}

#[component]
fn ResponsesTable(page: ResponsesPage) -> impl IntoView {
    let ResponsesPage {
        form,
        linked,
        rows,
        total,
        page,
    } = page;
    let query = use_query_map();
    let current = move |key: &str| query.read_untracked().get(key).unwrap_or_default();
    let route_names: Vec<(String, String)> = form
        .definition
        .routes
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                if r.name.is_empty() {
                    r.id.clone()
                } else {
                    r.name.clone()
                },
            )
        })
        .collect();
    let route_name = {
        let def = form.definition.clone();
        move |id: &Option<String>| def.route_label(id.as_deref(), &linked)
    };
    let selected_route = current("route");
    let enc = |key: &str| crate::routing::encode_uri_component(&current(key));
    let filter_query = format!(
        "route={}&from={}&to={}",
        enc("route"),
        enc("from"),
        enc("to")
    );
    let columns: Vec<(String, String, bool)> = form
        .definition
        .fields
        .iter()
        .map(|f| (f.id.clone(), f.label.clone(), f.deleted))
        .collect();
    let pages = ((total + RESPONSES_PER_PAGE - 1) / RESPONSES_PER_PAGE).max(1);
    let form_id = form.id.clone();
    view! {
        <section class="page" data-test="responses-page">
            <div class="page-head">
                <div>
                    <A href="/forms">"← All forms"</A>
                    <h1>{form.definition.name.clone()}" — responses"</h1>
                </div>
                <div class="editor-actions">
                    <A href=format!("/forms/{}/insights", form.id) attr:class="button button-secondary button-small" attr:data-test="insights-link">"Insights"</A>
                    <a href=format!("/forms/{}/responses.csv", form.id) class="button button-secondary button-small" download data-test="export-csv">"Export CSV"</a>
                    <A href=format!("/forms/{}/edit", form.id) attr:class="button button-secondary button-small">"Edit form"</A>
                </div>
            </div>
            <form method="get" class="inline-form filters" data-test="response-filters">
                <label for="filter-route">"Route"</label>
                <select id="filter-route" name="route">
                    <option value="" selected=selected_route.is_empty()>"All routes"</option>
                    <option value="fallback" selected=selected_route == "fallback">"Fallback"</option>
                    {route_names.iter().map(|(id, name)| view! {
                        <option value=id.clone() selected=selected_route == *id>{name.clone()}</option>
                    }).collect_view()}
                </select>
                <label for="filter-from">"From"</label>
                <input id="filter-from" name="from" type="date" value=current("from") />
                <label for="filter-to">"To"</label>
                <input id="filter-to" name="to" type="date" value=current("to") />
                <button type="submit" class="button button-secondary button-small">"Filter"</button>
            </form>
            <p class="muted" data-test="response-count">{format!("{total} responses")}</p>
            {if rows.is_empty() {
                view! { <p class="card muted">"No responses yet. Share the form's link to collect some."</p> }.into_any()
            } else {
                let with_data = rows.iter().any(|r| !r.data.is_empty());
                view! {
                    <div class="table-wrap">
                        <table class="responses">
                            <thead>
                                <tr>
                                    <th scope="col">"Submitted (UTC)"</th>
                                    <th scope="col">"Route"</th>
                                    {columns.iter().map(|(_, label, deleted)| view! {
                                        <th scope="col">{label.clone()}{deleted.then_some(view! { " " <span class="badge badge-off">"deleted"</span> })}</th>
                                    }).collect_view()}
                                    {with_data.then(|| view! { <th scope="col">"From apps"</th> })}
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|row| view! {
                                    <tr data-test="response-row">
                                        <td>{iso_datetime(row.created_at)}</td>
                                        <td data-test="response-route">{route_name(&row.route_id)}</td>
                                        {columns.iter().map(|(id, _, _)| view! {
                                            <td>{row.answers.get(id).map(|a| cell(&form_id, a))}</td>
                                        }).collect_view()}
                                        {with_data.then(|| view! { <td data-test="response-data">{data_text(&row.data)}</td> })}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {(pages > 1).then(|| view! {
                <nav class="pager" aria-label="Pages">
                    {(page > 1).then(|| view! { <A href=format!("?page={}&{filter_query}", page - 1)>"← Newer"</A> })}
                    <span class="muted">{format!("Page {page} of {pages}")}</span>
                    {(page < pages).then(|| view! { <A href=format!("?page={}&{}", page + 1, filter_query.clone())>"Older →"</A> })}
                </nav>
            })}
        </section>
    }
}

/// What apps attached to a response, as `key: value` pairs.
fn data_text(data: &serde_json::Map<String, serde_json::Value>) -> String {
    data.iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => format!("{key}: {text}"),
            other => format!("{key}: {other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
