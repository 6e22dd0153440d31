//! Server functions for the App Store pages: the catalog and an app's page (open to all),
//! installing with consent, an installation's settings and lifecycle, reviews, and the
//! admin's list. Each calls `services/apps.rs`, which authorizes it.

use crate::apps::view::{
    AdminApp, AppCard, AuditEntry, ConsentView, InstallationView, VersionView,
};
use crate::apps::webhooks::{DeliveryPage, DeliveryView};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::context::{current_user, redirect_plain_form_post, require_user, state};
#[cfg(feature = "ssr")]
use crate::apps::manifest::Scope;
#[cfg(feature = "ssr")]
use crate::services::apps as service;

/// The catalog, and whether someone is signed in (to mark what they installed).
#[server(endpoint = "apps/catalog")]
pub async fn app_catalog() -> Result<(Vec<AppCard>, bool), AppError> {
    let user = current_user().await?;
    let cards = service::catalog(&state()?, user.as_ref()).await?;
    Ok((cards, user.is_some()))
}

/// An app's page, and whether someone is signed in.
#[server(endpoint = "apps/detail")]
pub async fn app_page(slug: String) -> Result<(crate::apps::view::AppDetail, bool), AppError> {
    let user = current_user().await?;
    let detail = service::detail(&state()?, &slug, user.as_ref()).await?;
    Ok((detail, user.is_some()))
}

/// What installing `slug` asks the user to allow.
#[server(endpoint = "apps/consent")]
pub async fn app_consent(slug: String) -> Result<ConsentView, AppError> {
    let user = require_user().await?;
    service::consent(&state()?, &user, &slug).await
}

/// Installs `slug` with the dependencies it lacks once the user allowed every permission
/// listed (`allow` is the consent box). Returns the new installation's id.
#[server(endpoint = "apps/install")]
pub async fn install_app(
    slug: String,
    allow: Option<String>,
    name: Option<String>,
    version: Option<String>,
) -> Result<String, AppError> {
    let user = require_user().await?;
    if allow.as_deref() != Some("on") {
        return Err(AppError::field(
            "allow",
            "Allow the permissions listed above to install the app.",
        ));
    }
    let state = state()?;
    let consent = service::consent(&state, &user, &slug).await?;
    let mut grant: Vec<Scope> = Vec::new();
    let scopes = consent
        .permissions
        .iter()
        .chain(consent.also_installs.iter().flat_map(|(_, p)| p.iter()));
    for permission in scopes {
        if let Some(scope) = Scope::from_name(&permission.scope)
            && !grant.contains(&scope)
        {
            grant.push(scope);
        }
    }
    let version = version.filter(|v| !v.is_empty());
    let id = service::install(&state, &user, &slug, &grant, name.as_deref(), version.as_deref()).await?;
    redirect_plain_form_post(&format!("/apps/installed/{id}"));
    Ok(id)
}

#[server(endpoint = "apps/installation")]
pub async fn load_installation(id: String) -> Result<(InstallationView, Vec<AuditEntry>), AppError> {
    let user = require_user().await?;
    let state = state()?;
    let view = service::installation(&state, &user, &id).await?;
    let log = service::audit_log(&state, &user, &id).await?;
    Ok((view, log))
}

/// Saves an installation's settings, sent as a JSON object (secrets: a value replaces,
/// null clears, left out keeps).
#[server(endpoint = "apps/configure")]
pub async fn configure_installation(id: String, config: String) -> Result<InstallationView, AppError> {
    let user = require_user().await?;
    let config: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&config)
        .map_err(|e| AppError::BadRequest(format!("The settings are not a JSON object: {e}")))?;
    service::configure(&state()?, &user, &id, &config).await
}

/// One lifecycle step: `activate`, `deactivate`, `rollback`, `auto-update-on` or
/// `auto-update-off`.
#[server(endpoint = "apps/step")]
pub async fn installation_step(id: String, step: String) -> Result<InstallationView, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let view = match step.as_str() {
        "activate" => service::set_active(&state, &user, &id, true).await?,
        "deactivate" => service::set_active(&state, &user, &id, false).await?,
        "rollback" => service::rollback(&state, &user, &id).await?,
        "auto-update-on" => service::set_auto_update(&state, &user, &id, true).await?,
        "auto-update-off" => service::set_auto_update(&state, &user, &id, false).await?,
        other => return Err(AppError::BadRequest(format!("There is no step \"{other}\"."))),
    };
    redirect_plain_form_post(&format!("/apps/installed/{id}"));
    Ok(view)
}

/// Updates to the newest version. When it asks for permissions beyond those granted, the
/// page lists them in `grant` (comma-separated) beside a consent box (`allow`); only what
/// was listed and allowed is granted.
#[server(endpoint = "apps/update")]
pub async fn update_installation(
    id: String,
    grant: Option<String>,
    allow: Option<String>,
) -> Result<InstallationView, AppError> {
    let user = require_user().await?;
    let grant: Vec<Scope> = match allow.as_deref() {
        Some("on") => grant.unwrap_or_default().split(',').filter_map(Scope::from_name).collect(),
        _ => Vec::new(),
    };
    let view = service::update(&state()?, &user, &id, &grant).await?;
    redirect_plain_form_post(&format!("/apps/installed/{id}"));
    Ok(view)
}

#[server(endpoint = "apps/uninstall")]
pub async fn uninstall_installation(id: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::uninstall(&state()?, &user, &id).await?;
    redirect_plain_form_post("/apps?tab=installed");
    Ok(())
}

#[server(endpoint = "apps/review")]
pub async fn save_review(slug: String, stars: i64, body: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::review(&state()?, &user, &slug, stars, &body).await?;
    redirect_plain_form_post(&format!("/apps/{slug}"));
    Ok(())
}

#[server(endpoint = "apps/review/delete")]
pub async fn delete_review(slug: String) -> Result<(), AppError> {
    let user = require_user().await?;
    service::delete_review(&state()?, &user, &slug).await?;
    redirect_plain_form_post(&format!("/apps/{slug}"));
    Ok(())
}

/// Hides a review from everyone but its author (or shows it again); admins only.
#[server(endpoint = "apps/review/hide")]
pub async fn hide_review(slug: String, author: i64, hidden: bool) -> Result<(), AppError> {
    let user = require_user().await?;
    service::hide_review(&state()?, &user, &slug, author, hidden).await
}

#[server(endpoint = "admin/apps")]
pub async fn list_admin_apps() -> Result<Vec<AdminApp>, AppError> {
    let user = require_user().await?;
    service::admin_apps(&state()?, &user).await
}

/// Disables an app for everyone with a reason, or enables it again (no reason).
#[server(endpoint = "admin/apps/disable")]
pub async fn admin_disable_app(slug: String, reason: Option<String>) -> Result<(), AppError> {
    let user = require_user().await?;
    let reason = reason.filter(|r| !r.trim().is_empty());
    service::set_disabled(&state()?, &user, &slug, reason.as_deref()).await?;
    redirect_plain_form_post("/admin/apps");
    Ok(())
}

/// A page of an Email notifications installation's e-mails, newest first, older than
/// `before`.
#[server(endpoint = "apps/emails")]
pub async fn installation_emails(id: String, before: Option<String>) -> Result<DeliveryPage, AppError> {
    let user = require_user().await?;
    let before = before.filter(|b| !b.is_empty());
    crate::services::email::deliveries(&state()?, &user, &id, before.as_deref(), None).await
}

/// Sends one of an installation's e-mails again (`delivery`), or a test e-mail when
/// `delivery` is empty.
#[server(endpoint = "apps/email-send")]
pub async fn send_email_again(id: String, delivery: String) -> Result<DeliveryView, AppError> {
    let user = require_user().await?;
    let state = state()?;
    if delivery.is_empty() {
        crate::services::email::send_test(&state, &user, &id).await
    } else {
        crate::services::email::redeliver(&state, &user, &id, &delivery).await
    }
}

/// The versions the signed-in user published, with their states and reports.
#[server(endpoint = "apps/published")]
pub async fn my_app_versions() -> Result<Vec<VersionView>, AppError> {
    let user = require_user().await?;
    let state = state()?;
    let mut all = crate::services::publishing::versions(&state, &user, None).await?;
    if user.is_admin() {
        // An admin's own apps only, here; every upload is on the admin page.
        let mine = crate::services::publishing::versions_published_by(&state, user.id).await?;
        all.retain(|v| mine.contains(&v.app));
    }
    Ok(all)
}

/// The publisher submits a verified version (`step` = `submit`) or withdraws one
/// (`withdraw`).
#[server(endpoint = "apps/published/step")]
pub async fn app_version_step(slug: String, version: String, step: String) -> Result<(), AppError> {
    let user = require_user().await?;
    let state = state()?;
    match step.as_str() {
        "submit" => crate::services::publishing::submit(&state, &user, &slug, &version).await.map(drop)?,
        "withdraw" => crate::services::publishing::withdraw(&state, &user, &slug, &version).await?,
        other => return Err(AppError::BadRequest(format!("There is no step \"{other}\"."))),
    }
    redirect_plain_form_post("/apps/publish");
    Ok(())
}

/// Every uploaded version, for the admin page.
#[server(endpoint = "admin/apps/versions")]
pub async fn admin_app_versions() -> Result<Vec<VersionView>, AppError> {
    let user = require_user().await?;
    if !user.is_admin() {
        return Err(AppError::Forbidden);
    }
    crate::services::publishing::versions(&state()?, &user, None).await
}

/// An admin approves (`decision` = `approve`) or rejects a submitted version, with a reason.
#[server(endpoint = "admin/apps/decide")]
pub async fn decide_app_version(
    slug: String,
    version: String,
    decision: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    let user = require_user().await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        other => return Err(AppError::BadRequest(format!("There is no decision \"{other}\"."))),
    };
    crate::services::publishing::decide(&state()?, &user, &slug, &version, approve, reason.as_deref().unwrap_or(""))
        .await?;
    redirect_plain_form_post("/admin/apps");
    Ok(())
}
