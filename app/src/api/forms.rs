//! Server functions for forms: the owner's list and builder, responses, and the public page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::forms::{FormRecord, FormSummary, ResponseRecord};
#[cfg(feature = "ssr")]
use crate::forms::FormDefinition;

#[cfg(feature = "ssr")]
use super::context::{require_user, state};
#[cfg(feature = "ssr")]
use crate::services::{forms as service, submissions};

/// Responses shown per page in the owner's table.
pub const RESPONSES_PER_PAGE: i64 = 25;

#[server(endpoint = "forms/list")]
pub async fn list_forms() -> Result<Vec<FormSummary>, AppError> {
    let user = require_user().await?;
    service::list(&state()?.db, user.id).await
}

#[server(endpoint = "forms/create")]
pub async fn create_form(name: String) -> Result<String, AppError> {
    let user = require_user().await?;
    let record = service::create(&state()?, user.id, FormDefinition::new(&name)).await?;
    Ok(record.id)
}

#[server(endpoint = "forms/get")]
pub async fn get_form(id: String) -> Result<FormRecord, AppError> {
    let user = require_user().await?;
    service::find_owned(&state()?.db, &id, user.id).await
}

/// A field type an app contributes, and whether the signed-in user's apps make it
/// available now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppFieldType {
    pub kind: String,
    /// The slug of the app it comes with, and the app's name.
    pub app: String,
    pub app_name: String,
    pub awake: bool,
}

/// The field types apps contribute, for the builder: it offers only the awake ones and says
/// which questions respondents are not asked while their app is off.
#[server(endpoint = "forms/app-field-types")]
pub async fn app_field_types() -> Result<Vec<AppFieldType>, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let registry = state.apps.registry();
    let awake = crate::services::apps::awake_kinds(&state, user.id).await;
    Ok(crate::fields::contributed()
        .map(|(kind, app)| AppFieldType {
            kind: kind.to_owned(),
            app: app.to_owned(),
            app_name: registry.manifest(app).map_or(app, |m| m.name.as_str()).to_owned(),
            awake: awake.contains(&kind),
        })
        .collect())
}

/// Saves a whole definition (JSON), validated by the same code as an import or the API.
#[server(endpoint = "forms/save")]
pub async fn save_form(id: String, definition: String) -> Result<FormRecord, AppError> {
    let user = require_user().await?;
    let def = FormDefinition::from_json(&definition)?;
    service::save(&state()?, &id, user.id, def).await
}

/// The routes of the given forms (comma-separated ids) that belong to the signed-in user,
/// for the builder's test panel and its list of forms to reuse routes from.
#[server(endpoint = "forms/linked-routes")]
pub async fn linked_routes(ids: String) -> Result<crate::forms::LinkedRoutes, AppError> {
    let user = require_user().await?;
    let db_ = &state()?.db;
    let ids: Vec<&str> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(100)
        .collect();
    service::routes_of(db_, ids, user.id).await
}

#[server(endpoint = "forms/rename")]
pub async fn rename_form(id: String, name: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::rename(&state()?, &id, user.id, &name)
        .await
        .map(drop)
}

#[server(endpoint = "forms/enable")]
pub async fn set_form_enabled(id: String, enabled: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    service::set_enabled(&state()?, &id, user.id, enabled)
        .await
        .map(drop)
}

#[server(endpoint = "forms/duplicate")]
pub async fn duplicate_form(id: String) -> Result<String, AppError> {
    let user = require_user().await?;
    Ok(service::duplicate(&state()?, &id, user.id).await?.id)
}

#[server(endpoint = "forms/delete")]
pub async fn delete_form(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::delete(&state()?, &id, user.id).await
}

/// One page of a form's responses, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponsesPage {
    pub form: FormRecord,
    /// The routes of the forms this one reuses, to name reused routes.
    pub linked: crate::forms::LinkedRoutes,
    pub rows: Vec<ResponseRecord>,
    /// Responses matching the filter.
    pub total: i64,
    pub page: i64,
}

/// One page of responses, optionally only one route's (`"fallback"` for the fallback) and
/// only between two days (inclusive).
#[server(endpoint = "forms/responses")]
pub async fn list_responses(
    form_id: String,
    page: i64,
    route: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<ResponsesPage, AppError> {
    let user = require_user().await?;
    let db_ = &state()?.db;
    let form = service::find_owned(db_, &form_id, user.id).await?;
    let page = page.max(1);
    let offset = (page - 1)
        .checked_mul(RESPONSES_PER_PAGE)
        .ok_or_else(|| AppError::field("page", format!("There is no page {page}.")))?;
    let filter = submissions::ResponseFilter::parse(route, from, to)?;
    let mut rows =
        submissions::list_responses(db_, &form_id, &filter, RESPONSES_PER_PAGE, offset).await?;
    // Each value also as its type displays it (a phone number in the field's chosen
    // format); a file is linked by the table instead.
    for field in &form.definition.fields {
        if field.field_type().is_none() || field.takes_file() {
            continue;
        }
        for answer in rows.iter_mut().filter_map(|r| r.answers.get_mut(&field.id)) {
            answer.shown = Some(field.display(&answer.value));
        }
    }
    let total = submissions::count_filtered(db_, &form_id, &filter).await?;
    let linked = service::linked_routes(db_, &form.definition, user.id).await?;
    Ok(ResponsesPage {
        form,
        linked,
        rows,
        total,
        page,
    })
}

/// The periods the insights page offers, in days.
pub const INSIGHT_PERIODS: [i64; 4] = [7, 30, 90, 365];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightsData {
    pub form_id: String,
    pub name: String,
    pub days: i64,
    pub insights: crate::forms::insights::Insights,
}

/// Charts of one form's responses over the last `days` days (7, 30, 90 or 365; another
/// number means 30). Responses are read in batches, so a large form never sits in memory.
#[server(endpoint = "forms/insights")]
pub async fn form_insights(form_id: String, days: i64) -> Result<InsightsData, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let form = service::find_owned(&state.db, &form_id, user.id).await?;
    let days = if INSIGHT_PERIODS.contains(&days) {
        days
    } else {
        30
    };
    let insights = submissions::insights(&state, &form, days).await?;
    Ok(InsightsData {
        form_id: form.id,
        name: form.definition.name,
        days,
        insights,
    })
}

