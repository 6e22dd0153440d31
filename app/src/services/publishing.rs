//! Publishing apps at run time: an upload (a WebAssembly component with its manifest, and a
//! logo and screenshots) adds an app or a version in draft with its verification report
//! (`apps::wasm::verify`); its publisher submits a verified version, an admin approves or
//! rejects it, and an approved version joins the catalog beside the built-in apps, through
//! the same registry, lifecycle, permissions and reviews. A version withdrawn later leaves
//! the catalog but runs on for the installations that have it.
//!
//! Every server rebuilds its registry's uploaded apps when the approved versions change
//! (`refresh_registry`, checked each second by `junction serve`), so an approval on one
//! server reaches the others.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use sha2::Digest as _;

use crate::apps::host::HostApi;
use crate::apps::manifest::Manifest;
use crate::apps::view::{Approval, Permission, VerificationReport, VersionView};
use crate::apps::wasm::app::{Components, Version, WasmApp};
use crate::apps::wasm::{Failure, verify};
use crate::apps::App;
use crate::auth::SessionUser;
use crate::db::publishing::{self as db, VersionRow};
use crate::db::{Db, now};
use crate::error::AppError;
use crate::state::AppState;

/// The largest component accepted (a whole upload is at most 4 MB).
pub const MAX_COMPONENT_BYTES: usize = 3 * 1024 * 1024;
/// The largest logo or screenshot accepted.
pub const MAX_ASSET_BYTES: usize = 256 * 1024;
pub const MAX_SCREENSHOTS: usize = 5;
pub use crate::apps::contract::FAILURES_TO_SWITCH_OFF;
/// The logo of an uploaded app that brings none (in `public/`).
const DEFAULT_LOGO: &str = "/apps/uploaded.svg";

/// An image that comes with an upload.
#[derive(Debug, Clone)]
pub struct Image {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What an upload brings.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The manifest, as JSON.
    pub manifest: String,
    pub component: Vec<u8>,
    pub logo: Option<Image>,
    pub screenshots: Vec<Image>,
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn field(name: &str, message: impl Into<String>) -> AppError {
    AppError::field(name, message)
}

/// Keeps an image under its hash and returns its URL.
async fn keep_image(db_: &Db, image: &Image, name: &str) -> Result<String, AppError> {
    let extension = match image.content_type.as_str() {
        "image/svg+xml" => "svg",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        other => return Err(field(name, format!("A {name} is an SVG, PNG, JPEG or WebP image, not {other}."))),
    };
    if image.bytes.is_empty() || image.bytes.len() > MAX_ASSET_BYTES {
        return Err(field(name, format!("A {name} has 1 byte to {} KB.", MAX_ASSET_BYTES >> 10)));
    }
    let sha = sha256_hex(&image.bytes);
    db::put_asset(db_, &sha, &image.content_type, &B64.encode(&image.bytes)).await?;
    Ok(format!("/artifacts/{sha}.{extension}"))
}

/// Adds an app (or a version of one the publisher already published) in draft, verified.
/// Refused: a manifest that does not read, a slug another app has, a version uploaded
/// already, a component or image too large. A version that fails its verification is
/// kept in draft with its report, so the publisher can read why.
pub async fn upload(state: &AppState, publisher: &SessionUser, upload: Upload) -> Result<VersionView, AppError> {
    let mut manifest = Manifest::from_json(&upload.manifest).map_err(|e| field("manifest", format!("The manifest does not read: {e}")))?;
    if upload.component.is_empty() {
        return Err(field("component", "Send the app's component (a .wasm file)."));
    }
    if upload.component.len() > MAX_COMPONENT_BYTES {
        return Err(field("component", format!("A component is at most {} MB.", MAX_COMPONENT_BYTES >> 20)));
    }
    if upload.screenshots.len() > MAX_SCREENSHOTS {
        return Err(field("screenshots", format!("At most {MAX_SCREENSHOTS} screenshots.")));
    }
    let slug = manifest.slug.clone();
    match db::publisher(&state.db, &slug).await? {
        None => {}
        Some((source, _)) if source != "uploaded" => {
            return Err(AppError::Conflict(format!("\"{slug}\" is the slug of a built-in app; choose another.")));
        }
        Some((_, owner)) if owner != Some(publisher.id) => {
            return Err(AppError::Conflict(format!("\"{slug}\" belongs to another publisher's app; choose another slug.")));
        }
        Some(_) => {}
    }
    if db::version(&state.db, &slug, &manifest.version).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "Version {} of {slug} was uploaded already; give the new one a higher version.",
            manifest.version
        )));
    }
    manifest.logo = match &upload.logo {
        Some(logo) => keep_image(&state.db, logo, "logo").await?,
        None => DEFAULT_LOGO.to_owned(),
    };
    let mut screenshots = Vec::new();
    for image in &upload.screenshots {
        screenshots.push(keep_image(&state.db, image, "screenshot").await?);
    }
    manifest.screenshots = screenshots;

    let runtime = state.apps.wasm().map_err(AppError::internal)?;
    let sha = sha256_hex(&upload.component);
    let registry = state.apps.registry();
    let others: Vec<Manifest> = registry.apps().map(|a| a.manifest().clone()).filter(|m| m.slug != slug).collect();
    let verified = verify::verify(&runtime, &sha, &upload.component, &manifest, &others).await;
    let Some(compiled) = verified.compiled else {
        // Not a component at all: nothing worth keeping.
        return Err(field("component", verified.report.security.findings.join(" ")));
    };
    db::ensure_uploaded(&state.db, &slug, publisher.id).await?;
    db::put_component(&state.db, &sha, &B64.encode(&upload.component), &B64.encode(&compiled)).await?;
    let row = VersionRow {
        app: slug.clone(),
        version: manifest.version.clone(),
        manifest: serde_json::to_string(&manifest).map_err(AppError::internal)?,
        component: sha,
        report: serde_json::to_string(&verified.report).map_err(AppError::internal)?,
        state: Approval::Draft.name().to_owned(),
        reason: String::new(),
        created_at: now(),
        decided_at: None,
    };
    db::insert_version(&state.db, &row).await?;
    tracing::info!(app = %slug, version = %row.version, passed = verified.report.passed, "app version uploaded");
    view(&row)
}

fn view(row: &VersionRow) -> Result<VersionView, AppError> {
    let manifest = Manifest::from_json(&row.manifest).map_err(AppError::internal)?;
    Ok(VersionView {
        app: row.app.clone(),
        name: manifest.name.clone(),
        version: row.version.clone(),
        state: Approval::parse(&row.state).unwrap_or(Approval::Draft),
        reason: row.reason.clone(),
        report: serde_json::from_str::<VerificationReport>(&row.report).unwrap_or_default(),
        component_url: format!("/artifacts/{}.wasm", row.component),
        component: row.component.clone(),
        permissions: manifest.permissions.iter().copied().map(Permission::from).collect(),
        created_at: row.created_at,
        decided_at: row.decided_at,
    })
}

async fn own_version(state: &AppState, user: &SessionUser, slug: &str, version: &str) -> Result<VersionRow, AppError> {
    let not_found = || AppError::NotFound(format!("Version {version} of {slug}"));
    match db::publisher(&state.db, slug).await? {
        Some((source, owner)) if source == "uploaded" && (owner == Some(user.id) || user.is_admin()) => {}
        _ => return Err(not_found()),
    }
    db::version(&state.db, slug, version).await?.ok_or_else(not_found)
}

/// The versions the user published (an admin: every uploaded version), newest last.
pub async fn versions(state: &AppState, user: &SessionUser, slug: Option<&str>) -> Result<Vec<VersionView>, AppError> {
    let mut out = Vec::new();
    for row in db::versions(&state.db, slug).await? {
        let mine = matches!(db::publisher(&state.db, &row.app).await?, Some((_, Some(owner))) if owner == user.id);
        if mine || user.is_admin() {
            out.push(view(&row)?);
        }
    }
    Ok(out)
}

/// The slugs of the apps `user_id` published.
pub async fn versions_published_by(state: &AppState, user_id: i64) -> Result<Vec<String>, AppError> {
    let mut slugs = Vec::new();
    for row in db::versions(&state.db, None).await? {
        if !slugs.contains(&row.app)
            && matches!(db::publisher(&state.db, &row.app).await?, Some((_, Some(owner))) if owner == user_id)
        {
            slugs.push(row.app);
        }
    }
    Ok(slugs)
}

/// The publisher submits a verified draft (or a rejected version, again) for approval.
pub async fn submit(state: &AppState, user: &SessionUser, slug: &str, version: &str) -> Result<VersionView, AppError> {
    let row = own_version(state, user, slug, version).await?;
    let report: VerificationReport = serde_json::from_str(&row.report).unwrap_or_default();
    if !report.passed {
        let failed: Vec<&str> = [
            (!report.security.passed).then_some("security"),
            (!report.compatibility.passed).then_some("compatibility"),
            (!report.performance.passed).then_some("performance"),
        ]
        .into_iter()
        .flatten()
        .collect();
        return Err(AppError::Validation {
            message: format!(
                "Version {version} did not pass its verification ({}), so it cannot be submitted. Upload a version that does.",
                failed.join(", ")
            ),
            fields: BTreeMap::new(),
        });
    }
    let from = [Approval::Draft.name(), Approval::Rejected.name()];
    if !db::set_version_state(&state.db, slug, version, &from, Approval::Submitted.name(), "", false).await? {
        return Err(AppError::Conflict(format!("Version {version} of {slug} is {}, not a draft.", row.state)));
    }
    refreshed_view(state, slug, version).await
}

async fn refreshed_view(state: &AppState, slug: &str, version: &str) -> Result<VersionView, AppError> {
    let row = db::version(&state.db, slug, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Version {version} of {slug}")))?;
    view(&row)
}

/// An admin approves a submitted version (it joins the catalog, and installations that
/// update automatically move to it) or rejects it with a reason.
pub async fn decide(
    state: &AppState,
    admin: &SessionUser,
    slug: &str,
    version: &str,
    approve: bool,
    reason: &str,
) -> Result<VersionView, AppError> {
    if !admin.is_admin() {
        return Err(AppError::Forbidden);
    }
    decide_as_operator(state, slug, version, approve, reason).await
}

/// [`decide`] for the server's operator (`junction app approve` and `reject`).
pub async fn decide_as_operator(
    state: &AppState,
    slug: &str,
    version: &str,
    approve: bool,
    reason: &str,
) -> Result<VersionView, AppError> {
    let row = db::version(&state.db, slug, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Version {version} of {slug}")))?;
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(field("reason", "Say why the version is rejected."));
    }
    let to = if approve { Approval::Approved } else { Approval::Rejected };
    if !db::set_version_state(&state.db, slug, version, &[Approval::Submitted.name()], to.name(), reason, true).await? {
        return Err(AppError::Conflict(format!(
            "Version {version} of {slug} is {}; only a submitted version can be {}.",
            row.state,
            to.name()
        )));
    }
    tracing::info!(app = %slug, %version, state = to.name(), "app version decided");
    settle(state, slug).await?;
    refreshed_view(state, slug, version).await
}

/// Takes an approved version out of the catalog (its publisher or an admin): nobody can
/// install or update to it any more, and the installations that have it keep running it.
/// A draft or rejected version is simply dropped.
pub async fn withdraw(state: &AppState, user: &SessionUser, slug: &str, version: &str) -> Result<(), AppError> {
    let row = own_version(state, user, slug, version).await?;
    let from = [Approval::Approved.name(), Approval::Submitted.name(), Approval::Draft.name(), Approval::Rejected.name()];
    db::set_version_state(&state.db, slug, version, &from, Approval::Withdrawn.name(), "", true).await?;
    tracing::info!(app = %slug, version = %row.version, "app version withdrawn");
    settle(state, slug).await
}

/// After an approval or a withdrawal: the app's listing state, this server's registry,
/// and the automatic updates it makes possible.
async fn settle(state: &AppState, slug: &str) -> Result<(), AppError> {
    let approved = db::versions(&state.db, Some(slug))
        .await?
        .iter()
        .any(|v| v.state == Approval::Approved.name());
    let listing = if approved { Approval::Approved } else { Approval::Draft };
    crate::db::apps::set_state(&state.db, slug, listing.name(), "").await?;
    refresh_registry(state, true).await?;
    crate::services::apps::apply_automatic_updates(state, Some(slug)).await
}

/// Rebuilds the registry's uploaded apps from the database when the approved versions
/// changed since it was last built (or always, with `force`). A version that no longer
/// fits the catalog is left out and logged.
pub async fn refresh_registry(state: &AppState, force: bool) -> Result<(), AppError> {
    let revision = db::catalog_revision(&state.db).await?;
    {
        let built = state.apps.uploaded_revision.lock().unwrap_or_else(|e| e.into_inner());
        if !force && built.as_deref() == Some(revision.as_str()) {
            return Ok(());
        }
    }
    let rows = db::versions(&state.db, None).await?;
    let runnable: Vec<&VersionRow> = rows
        .iter()
        .filter(|r| r.state == Approval::Approved.name() || r.state == Approval::Withdrawn.name())
        .collect();
    let registry = state.apps.base().clone();
    let registry = if runnable.is_empty() {
        registry
    } else {
        let runtime = state.apps.wasm().map_err(AppError::internal)?;
        let components: Arc<dyn Components> =
            Arc::new(DbComponents { db: state.db.clone(), runtime: runtime.clone(), failing: Mutex::default() });
        let mut by_app: BTreeMap<&str, Vec<Version>> = BTreeMap::new();
        for row in runnable {
            let Ok(manifest) = Manifest::from_json(&row.manifest) else { continue };
            by_app.entry(&row.app).or_default().push(Version {
                manifest,
                component: row.component.clone(),
                listed: row.state == Approval::Approved.name(),
            });
        }
        let uploaded: Vec<Arc<dyn App>> = by_app
            .into_values()
            .filter_map(|versions| WasmApp::new(versions, runtime.clone(), components.clone()))
            .map(|app| Arc::new(app) as Arc<dyn App>)
            .collect();
        let (registry, left_out) = registry.with_uploaded(uploaded);
        for problem in left_out {
            tracing::warn!("an uploaded app is left out of the catalog: {problem}");
        }
        registry
    };
    state.apps.replace_registry(registry);
    *state.apps.uploaded_revision.lock().unwrap_or_else(|e| e.into_inner()) = Some(revision);
    Ok(())
}

/// A served artifact: a component (`.wasm`) or an image, by its SHA-256.
pub async fn artifact(state: &AppState, sha256: &str, extension: &str) -> Result<(String, Vec<u8>), AppError> {
    let not_found = || AppError::NotFound("That file".into());
    let (content_type, base64) = if extension == "wasm" {
        let (wasm, _) = db::component(&state.db, sha256).await?.ok_or_else(not_found)?;
        ("application/wasm".to_owned(), wasm)
    } else {
        db::asset(&state.db, sha256).await?.ok_or_else(not_found)?
    };
    let bytes = B64.decode(base64).map_err(AppError::internal)?;
    Ok((content_type, bytes))
}

/// Components from the database, compiled again when this server's engine cannot load what
/// was kept; failures counted per installation.
struct DbComponents {
    db: Db,
    runtime: Arc<crate::apps::wasm::Runtime>,
    /// The installations with a run of failures this server counted: only their next
    /// success writes to the database.
    failing: Mutex<HashSet<String>>,
}

#[async_trait::async_trait]
impl Components for DbComponents {
    async fn compiled(&self, sha256: &str) -> Result<Vec<u8>, String> {
        let (wasm, compiled) = db::component(&self.db, sha256)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the component {sha256} is missing"))?;
        let compiled = B64.decode(compiled).map_err(|e| e.to_string())?;
        if self.runtime.loads(&compiled) {
            return Ok(compiled);
        }
        let wasm = B64.decode(wasm).map_err(|e| e.to_string())?;
        let compiled = self.runtime.compile(&wasm)?;
        if let Err(e) = db::set_compiled(&self.db, sha256, &B64.encode(&compiled)).await {
            tracing::warn!("a recompiled component could not be kept: {e}");
        }
        Ok(compiled)
    }

    async fn failed(&self, host: &HostApi, hook: &str, failure: &Failure) {
        let installation = host.installation_id();
        if !failure.is_the_apps() {
            // Neither ends a run of the app's failures nor adds to it.
            host.audit("skipped", &format!("{hook}: the app {failure}; its work was skipped (not counted as its failure)")).await;
            return;
        }
        self.failing.lock().unwrap_or_else(|e| e.into_inner()).insert(installation.to_owned());
        host.audit("failed", &format!("{hook}: the app {failure}; its work was skipped")).await;
        let run = match db::count_failure(&self.db, installation).await {
            Ok(run) => run,
            Err(e) => {
                tracing::warn!(%installation, "a failure could not be counted: {e}");
                return;
            }
        };
        if run < FAILURES_TO_SWITCH_OFF {
            return;
        }
        if let Err(e) = db::switch_off(&self.db, installation).await {
            tracing::warn!(%installation, "a failing installation could not be switched off: {e}");
            return;
        }
        let why = format!("Switched off after {run} failed events in a row; the last one: the app {failure}");
        host.audit("deactivated", &why).await;
        let notice = format!("{} was switched off: its last {run} events failed. Check its settings, then switch it on again.", host.app());
        if let Err(e) = crate::services::notices::from_app(&self.db, host.owner_id(), installation, host.app(), &notice).await {
            tracing::warn!(%installation, "the owner could not be told: {e}");
        }
    }

    async fn succeeded(&self, host: &HostApi) {
        if !self.failing.lock().unwrap_or_else(|e| e.into_inner()).remove(host.installation_id()) {
            return;
        }
        if let Err(e) = db::clear_failures(&self.db, host.installation_id()).await {
            tracing::warn!(installation = host.installation_id(), "a run of failures could not be ended: {e}");
        }
    }
}
