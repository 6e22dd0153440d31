//! The App Store's operations: the catalog (one listing over the compiled-in registry and
//! the `apps` table, where uploaded apps will join), and each user's installations
//! through their lifecycle — install with dependencies and consent, configure (secrets
//! sealed), activate, deactivate, update, roll back, uninstall — each step audited.
//! Reviews and the admin's approval and disabling are here too, and the host API's
//! backend, scoped to one owner by `HostApi`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::apps::config::{self, SecretChange};
use crate::apps::host::{Backend, FormInfo, HostApi, HttpReply, HttpRequest, Installation, ResponseInfo};
use crate::apps::manifest::{Manifest, Scope, SettingKind};
use crate::apps::view::{
    AdminApp, AppCard, AppDetail, Approval, AuditEntry, ConsentView, DependencyView,
    InstallationSummary, InstallationView, Permission, ReviewView,
};
use crate::apps::{App, Registry};
use crate::auth::SessionUser;
use crate::db::apps::{self as db, InstallationRow, Listing};
use crate::db::{Db, now};
use crate::error::{AppError, FieldErrors};
use crate::apps::running::Running;
use crate::hooks::runtime::Active;
use crate::hooks::{
    Action, AppActivated, AppBeforeInstall, AppConfigured, AppDeactivated, AppEvent, AppInstalled,
    AppUninstalled, AppUpdated, InstallPayload,
};
use crate::services::outbox;
use crate::secrets::Keyring;
use crate::state::AppState;

/// The host API's data, over the database, and its outbound HTTP through the server's
/// guarded client.
struct DbBackend {
    db: Db,
    outbound: crate::delivery::outbound::Outbound,
}

#[async_trait::async_trait]
impl Backend for DbBackend {
    async fn forms(&self, owner_id: i64) -> Result<Vec<FormInfo>, String> {
        let forms = crate::db::forms::list(&self.db, owner_id)
            .await
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        for summary in forms {
            let Ok(record) = crate::db::forms::find_owned(&self.db, &summary.id, owner_id).await
            else {
                continue;
            };
            out.push(FormInfo {
                id: record.id,
                name: record.definition.name.clone(),
                fields: record
                    .definition
                    .fields
                    .iter()
                    .map(|f| (f.identifier.clone(), f.label.clone(), f.kind.clone()))
                    .collect(),
            });
        }
        Ok(out)
    }

    async fn responses(
        &self,
        owner_id: i64,
        form_id: &str,
        limit: i64,
    ) -> Result<Option<Vec<ResponseInfo>>, String> {
        let db_ = &self.db;
        match crate::db::forms::find_owned(db_, form_id, owner_id).await {
            Ok(_) => {}
            Err(AppError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        }
        let filter = crate::db::forms::ResponseFilter::default();
        let records = crate::db::forms::responses_page(db_, form_id, &filter, None, limit)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Some(
            records
                .into_iter()
                .map(|record| ResponseInfo {
                    // By identifier, as apps (and routes) name answers.
                    answers: record
                        .answers
                        .into_values()
                        .map(|a| (a.identifier, a.value))
                        .collect(),
                    id: record.id,
                    form_id: form_id.to_owned(),
                    data: record.data,
                    created_at: record.created_at,
                })
                .collect(),
        ))
    }

    async fn response_count(&self, owner_id: i64, form_id: &str) -> Result<Option<i64>, String> {
        match crate::db::forms::find_owned(&self.db, form_id, owner_id).await {
            Ok(_) => {}
            Err(AppError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        }
        let all = crate::db::forms::ResponseFilter::default();
        crate::db::forms::count_filtered(&self.db, form_id, &all).await.map(Some).map_err(|e| e.to_string())
    }

    async fn annotate(
        &self,
        owner_id: i64,
        response_id: &str,
        key: &str,
        value: Value,
    ) -> Result<bool, String> {
        for _ in 0..5 {
            let Some(old) = db::response_data(&self.db, response_id, owner_id)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(false);
            };
            let mut data: Map<String, Value> = serde_json::from_str(&old).unwrap_or_default();
            data.insert(key.to_owned(), value.clone());
            let new = Value::Object(data).to_string();
            if db::swap_response_data(&self.db, response_id, &old, &new)
                .await
                .map_err(|e| e.to_string())?
            {
                return Ok(true);
            }
        }
        Err("the response kept changing; try again".into())
    }

    async fn notify(&self, installation: &Installation, text: &str) -> Result<(), String> {
        crate::services::notices::from_app(&self.db, installation.owner_id, &installation.id, &installation.app, text)
            .await
            .map_err(|e| e.to_string())
    }

    async fn http(&self, request: &HttpRequest) -> Result<HttpReply, String> {
        let answer = self
            .outbound
            .send(&request.method, &request.url, &request.headers, request.body.clone())
            .await
            .map_err(|(error, _)| error)?;
        Ok(HttpReply { status: answer.status, body: String::from_utf8_lossy(&answer.body).into_owned() })
    }

    async fn audit(&self, installation: &Installation, event: &str, detail: &str) {
        if let Err(e) = db::audit(
            self.db.pool(),
            installation.owner_id,
            &installation.id,
            &installation.app,
            event,
            detail,
        )
        .await
        {
            tracing::warn!(installation = %installation.id, "could not write the audit log: {e}");
        }
    }
}

fn scopes_of(row: &InstallationRow) -> Vec<Scope> {
    serde_json::from_str(&row.scopes).unwrap_or_default()
}

fn stored_config(row: &InstallationRow) -> Map<String, Value> {
    serde_json::from_str(&row.config).unwrap_or_default()
}

/// The host API of one stored installation, its secrets opened.
fn host_for(state: &AppState, row: &InstallationRow) -> HostApi {
    let config = host_config(state, row);
    HostApi::new(
        Installation {
            id: row.id.clone(),
            app: row.app.clone(),
            version: row.version.clone(),
            owner_id: row.user_id,
            scopes: scopes_of(row),
            config,
        },
        Arc::new(DbBackend {
            db: state.db.clone(),
            outbound: state.delivery.outbound.clone(),
        }),
    )
}

/// An installation's configuration with its secrets opened; one that cannot be opened is
/// null (and logged without its value).
fn host_config(state: &AppState, row: &InstallationRow) -> Map<String, Value> {
    let mut config = stored_config(row);
    for (key, value) in config.iter_mut() {
        if let Value::String(text) = value
            && Keyring::is_sealed(text)
        {
            match state.apps.keyring.open(text) {
                Ok(plain) => *value = Value::String(plain),
                Err(e) => {
                    tracing::warn!(installation = %row.id, setting = %key, "a secret could not be opened: {e}");
                    *value = Value::Null;
                }
            }
        }
    }
    config
}

/// The installations of `owner_id` whose handlers run: active, of an approved app that no
/// admin disabled, and known to this server.
pub async fn running(state: &AppState, owner_id: i64) -> Arc<Running> {
    let registry = state.apps.registry();
    if let Some(found) = state.apps.cached(owner_id) {
        return found;
    }
    let rows = match db::running_of(&state.db, owner_id).await {
        Ok(rows) => rows,
        Err(e) => {
            // Apps are extras: a failed read runs none rather than failing the request.
            tracing::warn!(owner = owner_id, "could not read the running apps: {e}");
            return Arc::new(Running::default());
        }
    };
    let mut found = Running::default();
    for row in rows.iter().filter(|row| registry.get(&row.app).is_some()) {
        let host = host_for(state, row);
        found.add(
            Active {
                app: row.app.clone(),
                ctx: host,
            },
            host_config(state, row),
        );
    }
    state.apps.remember(owner_id, found)
}

/// Whether `owner_id` runs the app `slug`, and with what configuration (for the host's
/// own use, such as rendering the honeypot; apps read theirs through `HostApi::config`).
pub async fn running_config(state: &AppState, owner_id: i64, slug: &str) -> Option<Map<String, Value>> {
    let running = running(state, owner_id).await;
    running.config(slug).cloned()
}

/// The field kinds apps contribute that `owner_id` may use now: those whose app runs for
/// them. The builder offers only these, a save may add only these, and respondents are
/// asked only these (`submissions::open_form`).
pub async fn awake_kinds(state: &AppState, owner_id: i64) -> Vec<&'static str> {
    let running = running(state, owner_id).await;
    crate::fields::contributed()
        .filter(|(_, app)| running.config(app).is_some())
        .map(|(kind, _)| kind)
        .collect()
}

/// The honeypot input a public form of `owner_id` carries: while their spam guard runs
/// with its honeypot on.
pub async fn honeypot(state: &AppState, owner_id: i64) -> Option<String> {
    let config = running_config(state, owner_id, "spam-guard").await?;
    let on = config.get("honeypot").and_then(Value::as_bool).unwrap_or(true);
    on.then(|| crate::apps::builtin::spam_guard::HONEYPOT.to_owned())
}

/// Writes every built-in app into the `apps` table (approved, unless an admin decided
/// otherwise), reads the uploaded apps, then applies new versions to installations that
/// update automatically.
pub async fn sync_catalog(state: &AppState) -> Result<(), AppError> {
    // An uploaded app in the registry is listed already: this adds nothing for it.
    for app in state.apps.registry().apps() {
        db::ensure_listed(&state.db, &app.manifest().slug, "builtin", Approval::Approved.name()).await?;
    }
    crate::services::publishing::refresh_registry(state, true).await?;
    apply_automatic_updates(state, None).await
}

/// Moves every installation (of `app`, or of any) that updates automatically to its app's
/// newest version, where that version asks for nothing more than was granted.
pub async fn apply_automatic_updates(state: &AppState, app: Option<&str>) -> Result<(), AppError> {
    let registry = state.apps.registry();
    for row in db::all_installations(&state.db).await? {
        if app.is_some_and(|slug| slug != row.app) {
            continue;
        }
        let Some(found) = registry.get(&row.app) else {
            continue;
        };
        if row.auto_update
            && newer(found.manifest(), &row.version)
            && let Err(e) = update_automatically(state, found, row.clone()).await
        {
            tracing::warn!(installation = %row.id, "automatic update failed: {e}");
        }
    }
    Ok(())
}

fn newer(manifest: &Manifest, installed: &str) -> bool {
    match (
        semver::Version::parse(&manifest.version),
        semver::Version::parse(installed),
    ) {
        (Ok(latest), Ok(installed)) => latest > installed,
        _ => false,
    }
}

struct Stats {
    installs: HashMap<String, i64>,
    ratings: HashMap<String, (i64, i64)>,
}

async fn stats(db_: &Db) -> Result<Stats, AppError> {
    Ok(Stats {
        installs: db::install_counts(db_).await?.into_iter().collect(),
        ratings: db::ratings(db_)
            .await?
            .into_iter()
            .map(|(app, total, n)| (app, (total, n)))
            .collect(),
    })
}

fn card(
    manifest: &Manifest,
    listing: &Listing,
    stats: &Stats,
    mine: &[InstallationRow],
) -> AppCard {
    let (total, reviews) = stats.ratings.get(&manifest.slug).copied().unwrap_or((0, 0));
    let own: Vec<&InstallationRow> = mine.iter().filter(|r| r.app == manifest.slug).collect();
    AppCard {
        slug: manifest.slug.clone(),
        name: manifest.name.clone(),
        summary: manifest.summary.clone(),
        description: manifest.description.clone(),
        permissions: manifest.permissions.iter().copied().map(Permission::from).collect(),
        app_type: manifest.app_type,
        categories: manifest.categories.clone(),
        logo: manifest.logo.clone(),
        version: manifest.version.clone(),
        rating: (reviews > 0).then(|| (total as f64 / reviews as f64 * 10.0).round() / 10.0),
        reviews,
        installs: stats.installs.get(&manifest.slug).copied().unwrap_or(0),
        listed_at: listing.created_at,
        installed: !own.is_empty(),
        update_available: own.iter().any(|r| newer(manifest, &r.version)),
    }
}

/// The apps the catalog lists, with what it knows of each: built-in apps from the
/// registry, with the approval state, counts and ratings from the database. Only approved
/// apps; `user` marks their installations.
pub async fn catalog(state: &AppState, user: Option<&SessionUser>) -> Result<Vec<AppCard>, AppError> {
    let registry = state.apps.registry();
    let listings = db::listings(&state.db).await?;
    let stats = stats(&state.db).await?;
    let mine = match user {
        Some(user) => db::installations_of(&state.db, user.id).await?,
        None => Vec::new(),
    };
    Ok(listings
        .iter()
        .filter(|l| l.state == Approval::Approved.name())
        .filter_map(|l| Some(card(registry.manifest(&l.slug)?, l, &stats, &mine)))
        .collect())
}

fn not_found() -> AppError {
    AppError::NotFound("That app".into())
}

fn listing_of(listings: &[Listing], slug: &str) -> Option<Listing> {
    listings.iter().find(|l| l.slug == slug).cloned()
}

fn author_name(email: &str) -> String {
    let first: String = email.chars().take(1).collect();
    format!("{first}…")
}

/// An app's page.
pub async fn detail(
    state: &AppState,
    slug: &str,
    user: Option<&SessionUser>,
) -> Result<AppDetail, AppError> {
    let registry = state.apps.registry();
    let listings = db::listings(&state.db).await?;
    let listing = listing_of(&listings, slug).ok_or_else(not_found)?;
    let is_admin = user.is_some_and(SessionUser::is_admin);
    if listing.state != Approval::Approved.name() && !is_admin {
        return Err(not_found());
    }
    let manifest = registry.manifest(slug).ok_or_else(not_found)?;
    let stats = stats(&state.db).await?;
    let mine = match user {
        Some(user) => db::installations_of(&state.db, user.id).await?,
        None => Vec::new(),
    };
    let reviews = db::reviews(&state.db, slug)
        .await?
        .into_iter()
        .filter(|r| !r.4 || is_admin || user.is_some_and(|u| u.id == r.0))
        .map(|(user_id, email, stars, body, hidden, created_at, updated_at)| ReviewView {
            author: author_name(&email),
            stars,
            body,
            created_at,
            updated_at,
            hidden,
            mine: user.is_some_and(|u| u.id == user_id),
            user_id: is_admin.then_some(user_id),
        })
        .collect();
    let mut releases = manifest.releases.clone();
    releases.reverse();
    let installations: Vec<InstallationSummary> = mine
        .iter()
        .filter(|r| r.app == slug)
        .map(|r| InstallationSummary {
            id: r.id.clone(),
            name: r.name.clone(),
            version: r.version.clone(),
            active: r.active,
        })
        .collect();
    Ok(AppDetail {
        card: card(manifest, &listing, &stats, &mine),
        description: manifest.description.clone(),
        publisher: manifest.publisher.clone(),
        contact: manifest.contact.clone(),
        screenshots: manifest.screenshots.clone(),
        releases,
        dependencies: dependency_views(state, manifest, &mine),
        permissions: manifest.permissions.iter().copied().map(Permission::from).collect(),
        multiple_installs: manifest.multiple_installs,
        can_review: !installations.is_empty(),
        installations,
        reviews,
        disabled_reason: listing.disabled_reason,
    })
}

fn dependency_views(state: &AppState, manifest: &Manifest, mine: &[InstallationRow]) -> Vec<DependencyView> {
    let registry = state.apps.registry();
    manifest
        .dependencies
        .iter()
        .map(|d| {
            let wanted = semver::VersionReq::parse(&d.version).ok();
            DependencyView {
                slug: d.app.clone(),
                name: registry
                    .manifest(&d.app)
                    .map(|m| m.name.clone())
                    .unwrap_or_else(|| d.app.clone()),
                version: d.version.clone(),
                installed: mine.iter().any(|r| {
                    r.app == d.app
                        && wanted.as_ref().is_some_and(|w| {
                            semver::Version::parse(&r.version).is_ok_and(|v| w.matches(&v))
                        })
                }),
            }
        })
        .collect()
}

/// What installing `slug` would install and ask for, or why it cannot.
struct Plan<'a> {
    /// The app and the dependencies to install with it, dependencies first.
    install: Vec<&'a Arc<dyn App>>,
    refusal: Option<String>,
}

fn plan<'a>(
    registry: &'a Registry,
    listings: &[Listing],
    slug: &str,
    mine: &[InstallationRow],
) -> Result<Plan<'a>, AppError> {
    let app = registry.get(slug).ok_or_else(not_found)?;
    let manifest = app.manifest();
    let mut refusal = None;
    let listing = listing_of(listings, slug).ok_or_else(not_found)?;
    if listing.state != Approval::Approved.name() {
        return Err(not_found());
    }
    if let Some(reason) = &listing.disabled_reason {
        refusal = Some(format!("{} is disabled: {reason}", manifest.name));
    }
    let installed = mine.iter().filter(|r| r.app == slug).count();
    if installed > 0 && !manifest.multiple_installs && refusal.is_none() {
        refusal = Some(format!(
            "{} is already installed. It can be installed only once; open it to change its settings.",
            manifest.name
        ));
    }
    let mut install = Vec::new();
    for dependency in &manifest.dependencies {
        let wanted = semver::VersionReq::parse(&dependency.version).map_err(AppError::internal)?;
        let Some(other) = registry.get(&dependency.app) else {
            refusal.get_or_insert(format!(
                "{} needs \"{}\", which is not available.",
                manifest.name, dependency.app
            ));
            continue;
        };
        let have: Vec<&InstallationRow> = mine.iter().filter(|r| r.app == dependency.app).collect();
        let fits = |v: &str| semver::Version::parse(v).is_ok_and(|v| wanted.matches(&v));
        if have.iter().any(|r| fits(&r.version)) {
            continue;
        }
        if let Some(r) = have.first() {
            refusal.get_or_insert(format!(
                "{} needs {} {}, and you have version {} installed. Update {} first.",
                manifest.name,
                other.manifest().name,
                dependency.version,
                r.version,
                other.manifest().name
            ));
            continue;
        }
        let listed = listing_of(listings, &dependency.app);
        if !fits(&other.manifest().version)
            || listed.as_ref().is_none_or(|l| l.state != Approval::Approved.name() || l.disabled_reason.is_some())
        {
            refusal.get_or_insert(format!(
                "{} needs {} {}, which is not available in that version.",
                manifest.name,
                other.manifest().name,
                dependency.version
            ));
            continue;
        }
        install.push(other);
    }
    install.push(app);
    Ok(Plan { install, refusal })
}

/// What installing `slug` asks the user to agree to.
pub async fn consent(state: &AppState, user: &SessionUser, slug: &str) -> Result<ConsentView, AppError> {
    let registry = state.apps.registry();
    let listings = db::listings(&state.db).await?;
    let mine = db::installations_of(&state.db, user.id).await?;
    let plan = plan(&registry, &listings, slug, &mine)?;
    let manifest = registry.manifest(slug).ok_or_else(not_found)?;
    let deps = dependency_views(state, manifest, &mine);
    Ok(ConsentView {
        app: slug.to_owned(),
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        versions: manifest.releases.iter().rev().map(|r| r.version.clone()).collect(),
        permissions: manifest.permissions.iter().copied().map(Permission::from).collect(),
        also_installs: plan
            .install
            .iter()
            .filter(|a| a.manifest().slug != slug)
            .map(|a| {
                let m = a.manifest();
                let view = deps
                    .iter()
                    .find(|d| d.slug == m.slug)
                    .cloned()
                    .unwrap_or(DependencyView {
                        slug: m.slug.clone(),
                        name: m.name.clone(),
                        version: m.version.clone(),
                        installed: false,
                    });
                (view, m.permissions.iter().copied().map(Permission::from).collect())
            })
            .collect(),
        refusal: plan.refusal,
        multiple_installs: manifest.multiple_installs,
        installed_count: mine.iter().filter(|r| r.app == slug).count() as i64,
    })
}

/// Installs `slug` for `user` with the dependencies it lacks, all granted `grant`, which
/// must hold every permission they request. `version` picks one of its releases (the
/// newest by default). Returns the new installation's id. Nothing is kept when any step
/// fails.
pub async fn install(
    state: &AppState,
    user: &SessionUser,
    slug: &str,
    grant: &[Scope],
    name: Option<&str>,
    version: Option<&str>,
) -> Result<String, AppError> {
    let registry = state.apps.registry();
    if let Some(version) = version
        && let Some(manifest) = registry.manifest(slug)
        && !manifest.releases.iter().any(|r| r.version == version)
    {
        let released: Vec<&str> = manifest.releases.iter().map(|r| r.version.as_str()).collect();
        return Err(AppError::field(
            "version",
            format!("{} has no version {version}; it has {}.", manifest.name, released.join(", ")),
        ));
    }
    let listings = db::listings(&state.db).await?;
    let mine = db::installations_of(&state.db, user.id).await?;
    let plan = plan(&registry, &listings, slug, &mine)?;
    if let Some(refusal) = plan.refusal {
        return Err(if refusal.contains("already installed") {
            AppError::Conflict(refusal)
        } else {
            AppError::Validation {
                message: refusal.clone(),
                fields: BTreeMap::from([("app".to_owned(), vec![refusal])]),
            }
        });
    }
    before_install(state, user, &plan).await?;
    // The app in the version asked for; its dependencies in their newest.
    let asks = |m: &Manifest| -> Vec<Scope> {
        match version {
            Some(v) if m.slug == slug => m.permissions_of(v).to_vec(),
            _ => m.permissions.clone(),
        }
    };
    let mut missing: Vec<&str> = plan
        .install
        .iter()
        .flat_map(|a| asks(a.manifest()))
        .filter(|s| !grant.contains(s))
        .map(|s| s.name())
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        let message = format!(
            "Installing needs these permissions, which were not granted: {}.",
            missing.join(", ")
        );
        return Err(AppError::Validation {
            message: message.clone(),
            fields: BTreeMap::from([("grant".to_owned(), vec![message])]),
        });
    }
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name
        && name.chars().count() > 80
    {
        return Err(AppError::field("name", "At most 80 characters."));
    }
    let at = now();
    let mut rows = Vec::new();
    for app in &plan.install {
        let m = app.manifest();
        let count = mine.iter().filter(|r| r.app == m.slug).count();
        let default_name = if count == 0 {
            m.name.clone()
        } else {
            format!("{} {}", m.name, count + 1)
        };
        rows.push(InstallationRow {
            id: crate::forms::new_id(),
            user_id: user.id,
            app: m.slug.clone(),
            name: if m.slug == slug {
                name.map(str::to_owned).unwrap_or(default_name)
            } else {
                default_name
            },
            version: match version {
                Some(v) if m.slug == slug => v.to_owned(),
                _ => m.version.clone(),
            },
            scopes: serde_json::to_string(&asks(m)).map_err(AppError::internal)?,
            config: Value::Object(config::defaults(&m.settings)).to_string(),
            active: false,
            auto_update: false,
            previous: None,
            created_at: at,
        });
    }
    let mut tx = state.db.pool().begin().await?;
    for row in &rows {
        db::insert_installation(&mut *tx, row).await?;
        let scopes: Vec<&str> = scopes_of(row).iter().map(|s| s.name()).collect();
        let detail = format!(
            "Installed version {} with the permissions {}",
            row.version,
            if scopes.is_empty() { "(none)".to_owned() } else { scopes.join(", ") }
        );
        db::audit(&mut *tx, user.id, &row.id, &row.app, "installed", &detail).await?;
    }
    tx.commit().await?;
    for (app, row) in plan.install.iter().zip(&rows) {
        let host = host_for(state, row);
        if let Err(e) = app.on_install(&host).await {
            let mut tx = state.db.pool().begin().await?;
            for row in &rows {
                db::delete_installation(&mut tx, &row.id, user.id).await?;
            }
            tx.commit().await?;
            return Err(AppError::BadRequest(format!(
                "{} could not be installed: {e}",
                app.manifest().name
            )));
        }
    }
    state.apps.forget(user.id);
    // After the installation's own transaction (and `on_install`): `app.installed`.
    for row in &rows {
        outbox::emit::<AppInstalled>(state, row.user_id, None, app_event(row)).await?;
    }
    Ok(rows.last().map(|r| r.id.clone()).unwrap_or_default())
}

async fn owned(state: &AppState, user: &SessionUser, id: &str) -> Result<(InstallationRow, Arc<dyn App>), AppError> {
    let registry = state.apps.registry();
    let row = db::find_installation(&state.db, id, user.id)
        .await?
        .ok_or_else(|| AppError::NotFound("That installation".into()))?;
    let app = registry
        .get(&row.app)
        .cloned()
        .ok_or_else(|| AppError::NotFound("That app".into()))?;
    Ok((row, app))
}

fn secrets_set(manifest: &Manifest, config: &Map<String, Value>) -> Vec<String> {
    manifest
        .settings
        .iter()
        .filter(|s| s.kind == SettingKind::Secret)
        .filter(|s| config.get(&s.key).is_some_and(|v| v.as_str().is_some_and(|t| !t.is_empty())))
        .map(|s| s.key.clone())
        .collect()
}

/// The host API an installation's code is given (for the host's own checks and tests).
pub async fn host_api(state: &AppState, user: &SessionUser, id: &str) -> Result<HostApi, AppError> {
    let (row, _) = owned(state, user, id).await?;
    Ok(host_for(state, &row))
}

/// An installation's page; another user's installation is not found.
pub async fn installation(state: &AppState, user: &SessionUser, id: &str) -> Result<InstallationView, AppError> {
    let (row, app) = owned(state, user, id).await?;
    let listings = db::listings(&state.db).await?;
    Ok(view_of(&row, app.manifest(), listing_of(&listings, &row.app)))
}

fn view_of(row: &InstallationRow, manifest: &Manifest, listing: Option<Listing>) -> InstallationView {
    let config = stored_config(row);
    let values = config
        .iter()
        .filter(|(k, _)| {
            manifest
                .settings
                .iter()
                .any(|s| &s.key == *k && s.kind != SettingKind::Secret)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let installed = semver::Version::parse(&row.version).ok();
    let mut newer: Vec<_> = manifest
        .releases
        .iter()
        .filter(|r| {
            semver::Version::parse(&r.version)
                .ok()
                .zip(installed.clone())
                .is_some_and(|(v, i)| v > i)
        })
        .cloned()
        .collect();
    newer.reverse();
    let update_asks = if newer.is_empty() {
        Vec::new()
    } else {
        manifest.asks_beyond(&manifest.version, &scopes_of(row)).into_iter().map(Permission::from).collect()
    };
    InstallationView {
        id: row.id.clone(),
        app: row.app.clone(),
        app_name: manifest.name.clone(),
        logo: manifest.logo.clone(),
        name: row.name.clone(),
        version: row.version.clone(),
        latest_version: manifest.version.clone(),
        active: row.active,
        auto_update: row.auto_update,
        scopes: scopes_of(row).into_iter().map(Permission::from).collect(),
        settings: manifest.settings.clone(),
        values,
        secrets_set: secrets_set(manifest, &config),
        rollback_to: row
            .previous
            .as_deref()
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
            .and_then(|p| p["version"].as_str().map(str::to_owned)),
        newer,
        update_asks,
        disabled_reason: listing.and_then(|l| l.disabled_reason),
        created_at: row.created_at,
    }
}

/// The user's installations, for the "Installed" tab and the API.
pub async fn installations(state: &AppState, user: &SessionUser) -> Result<Vec<InstallationView>, AppError> {
    let registry = state.apps.registry();
    let listings = db::listings(&state.db).await?;
    Ok(db::installations_of(&state.db, user.id)
        .await?
        .iter()
        .filter_map(|row| {
            let manifest = registry.manifest(&row.app)?;
            Some(view_of(row, manifest, listing_of(&listings, &row.app)))
        })
        .collect())
}

async fn audit(state: &AppState, row: &InstallationRow, event: &str, detail: &str) -> Result<(), AppError> {
    db::audit(state.db.pool(), row.user_id, &row.id, &row.app, event, detail).await
}

fn app_event(row: &InstallationRow) -> AppEvent {
    AppEvent { app: row.app.clone(), installation_id: row.id.clone(), version: row.version.clone() }
}

/// How a lifecycle step leaves its installation.
enum Write {
    /// `row` is written back as it now is.
    Update,
    /// The installation is removed.
    Delete,
}

/// Writes a lifecycle step's change to `row`, its audit entry and its action `H` in one
/// transaction (so the installation, its log and the owner's webhooks agree whatever
/// fails or crashes), then wakes the delivery worker and runs the apps' action handlers,
/// on the owner's apps as they are after this step.
async fn audited<H: Action<Payload = AppEvent>>(
    state: &AppState,
    row: &InstallationRow,
    write: Write,
    event: &str,
    detail: &str,
) -> Result<(), AppError> {
    let mut tx = state.db.pool().begin().await?;
    match write {
        Write::Update => db::update_installation(&mut *tx, row).await?,
        Write::Delete => db::delete_installation(&mut tx, &row.id, row.user_id).await?,
    }
    db::audit(&mut *tx, row.user_id, &row.id, &row.app, event, detail).await?;
    state.apps.forget(row.user_id);
    outbox::commit_with::<H>(state, tx, row.user_id, None, app_event(row)).await
}

/// Runs the owner's running apps' `app.beforeInstall` filters for each app about to be
/// installed; one may refuse, with a message the user sees. Nothing else of the payload
/// can be changed.
async fn before_install(state: &AppState, user: &SessionUser, plan: &Plan<'_>) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let running = running(state, user.id).await;
    let hooks = registry.hooks();
    if !hooks.any::<AppBeforeInstall>(&running.active) {
        return Ok(());
    }
    for app in &plan.install {
        let payload = InstallPayload { app: app.manifest().slug.clone(), user_id: user.id };
        if let Err(rejected) = hooks.filter::<AppBeforeInstall>(&running.active, payload).await {
            return Err(AppError::Validation {
                message: rejected.message.clone(),
                fields: BTreeMap::from([("app".to_owned(), vec![rejected.message])]),
            });
        }
    }
    Ok(())
}


/// Saves new settings: checked against the schema (the same check the browser runs),
/// secrets sealed, then given to the app's `on_configure`; if it refuses, nothing changes
/// and the user sees why.
pub async fn configure(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    sent: &Map<String, Value>,
) -> Result<InstallationView, AppError> {
    let (mut row, app) = owned(state, user, id).await?;
    let manifest = app.manifest();
    let stored = stored_config(&row);
    let checked = config::check(&manifest.settings, sent, &secrets_set(manifest, &stored)).map_err(
        |fields: FieldErrors| AppError::Validation {
            message: "Some settings need another look.".into(),
            fields,
        },
    )?;
    let mut new_config = checked.values.clone();
    let mut opened = checked.values.clone();
    for (key, change) in &checked.secrets {
        match change {
            SecretChange::Keep => {
                if let Some(Value::String(sealed)) = stored.get(key) {
                    new_config.insert(key.clone(), Value::String(sealed.clone()));
                    if let Ok(plain) = state.apps.keyring.open(sealed) {
                        opened.insert(key.clone(), Value::String(plain));
                    }
                }
            }
            SecretChange::Clear => {}
            SecretChange::Replace(plain) => {
                let sealed = state.apps.keyring.seal(plain).map_err(AppError::internal)?;
                new_config.insert(key.clone(), Value::String(sealed));
                opened.insert(key.clone(), Value::String(plain.clone()));
            }
        }
    }
    let host = host_for(state, &row);
    if let Err(e) = app.on_configure(&host, &opened).await {
        audit(state, &row, "configuration refused", &e).await?;
        return Err(AppError::Validation {
            message: format!("{} did not accept these settings: {e}", manifest.name),
            fields: BTreeMap::new(),
        });
    }
    // Which settings changed, never their values.
    let mut changed: Vec<&str> = manifest
        .settings
        .iter()
        .filter(|s| stored.get(&s.key) != new_config.get(&s.key))
        .map(|s| s.key.as_str())
        .collect();
    changed.sort_unstable();
    row.config = Value::Object(new_config).to_string();
    let detail = if changed.is_empty() {
        "Saved the settings unchanged".to_owned()
    } else {
        format!("Changed {}", changed.join(", "))
    };
    audited::<AppConfigured>(state, &row, Write::Update, "configured", &detail).await?;
    installation(state, user, id).await
}

/// Switches an installation on (with the dependencies it needs) or off. Only active
/// installations run; switching off keeps the settings.
pub async fn set_active(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    active: bool,
) -> Result<InstallationView, AppError> {
    let registry = state.apps.registry();
    let (row, app) = owned(state, user, id).await?;
    let manifest = app.manifest();
    if row.active == active {
        return installation(state, user, id).await;
    }
    if active {
        let listings = db::listings(&state.db).await?;
        if let Some(reason) = listing_of(&listings, &row.app).and_then(|l| l.disabled_reason) {
            return Err(AppError::Conflict(format!("{} is disabled: {reason}", manifest.name)));
        }
        let stored = stored_config(&row);
        let mut as_sent = stored.clone();
        for key in secrets_set(manifest, &stored) {
            as_sent.remove(&key);
        }
        if let Err(fields) = config::check(&manifest.settings, &as_sent, &secrets_set(manifest, &stored)) {
            let names: Vec<String> = fields
                .keys()
                .map(|k| {
                    manifest
                        .settings
                        .iter()
                        .find(|s| &s.key == k)
                        .map(|s| s.label.clone())
                        .unwrap_or_else(|| k.clone())
                })
                .collect();
            return Err(AppError::Validation {
                message: format!("Fill in these settings first: {}.", names.join(", ")),
                fields,
            });
        }
        // Dependencies run too.
        let mine = db::installations_of(&state.db, user.id).await?;
        for dependency in &manifest.dependencies {
            if let Some(dep) = mine.iter().find(|r| r.app == dependency.app)
                && !dep.active
            {
                Box::pin(set_active(state, user, &dep.id.clone(), true)).await?;
            }
        }
    } else {
        // Nothing that needs it may keep running without it.
        let mine = db::installations_of(&state.db, user.id).await?;
        let others_of_app = mine.iter().filter(|r| r.app == row.app && r.id != row.id && r.active).count();
        let needing: Vec<String> = mine
            .iter()
            .filter(|r| r.active && r.id != row.id)
            .filter_map(|r| registry.manifest(&r.app))
            .filter(|m| m.dependencies.iter().any(|d| d.app == row.app))
            .map(|m| m.name.clone())
            .collect();
        if others_of_app == 0 && !needing.is_empty() {
            return Err(AppError::Conflict(format!(
                "{} needs {} while it runs; switch it off first.",
                needing.join(", "),
                manifest.name
            )));
        }
    }
    let host = host_for(state, &row);
    let result = if active {
        app.on_activate(&host).await
    } else {
        app.on_deactivate(&host).await
    };
    if let Err(e) = result {
        return Err(AppError::BadRequest(format!(
            "{} could not be switched {}: {e}",
            manifest.name,
            if active { "on" } else { "off" }
        )));
    }
    let mut row = row;
    row.active = active;
    if active {
        audited::<AppActivated>(state, &row, Write::Update, "activated", "Switched on").await?;
    } else {
        audited::<AppDeactivated>(state, &row, Write::Update, "deactivated", "Switched off; the settings are kept").await?;
    }
    installation(state, user, id).await
}

/// Turns automatic updates on or off.
pub async fn set_auto_update(state: &AppState, user: &SessionUser, id: &str, on: bool) -> Result<InstallationView, AppError> {
    let (mut row, app) = owned(state, user, id).await?;
    if row.auto_update != on {
        row.auto_update = on;
        db::update_installation(state.db.pool(), &row).await?;
        audit(state, &row, "auto-update", if on { "Automatic updates on" } else { "Automatic updates off" }).await?;
        if on && newer(app.manifest(), &row.version) {
            update_automatically(state, &app, row).await?;
        }
    }
    installation(state, user, id).await
}

/// Moves an installation to the newest version, keeping the previous version, settings and
/// permissions for a rollback and running the app's configuration migration. Permissions
/// the new version asks for beyond those granted must be in `grant`, the user's consent.
pub async fn update(
    state: &AppState,
    user: &SessionUser,
    id: &str,
    grant: &[Scope],
) -> Result<InstallationView, AppError> {
    let (row, app) = owned(state, user, id).await?;
    let manifest = app.manifest();
    if !newer(manifest, &row.version) {
        return Err(AppError::Conflict(format!(
            "{} is already at its newest version, {}.",
            manifest.name, row.version
        )));
    }
    let missing: Vec<&str> = manifest
        .asks_beyond(&manifest.version, &scopes_of(&row))
        .into_iter()
        .filter(|s| !grant.contains(s))
        .map(Scope::name)
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "Version {} asks for permissions this installation was not granted: {}. Allow them to update.",
            manifest.version,
            missing.join(", ")
        );
        return Err(AppError::Validation {
            message: message.clone(),
            fields: BTreeMap::from([("grant".to_owned(), vec![message])]),
        });
    }
    update_row(state, &app, row, "updated").await?;
    installation(state, user, id).await
}

/// An update on the owner's behalf ("update automatically"): only while the new version
/// asks for nothing more than was granted; otherwise it waits for the owner's consent,
/// and the activity log says so.
async fn update_automatically(state: &AppState, app: &Arc<dyn App>, row: InstallationRow) -> Result<(), AppError> {
    let manifest = app.manifest();
    let asks = manifest.asks_beyond(&manifest.version, &scopes_of(&row));
    if asks.is_empty() {
        return update_row(state, app, row, "updated automatically").await;
    }
    let names: Vec<&str> = asks.iter().map(|s| s.name()).collect();
    audit(
        state,
        &row,
        "update waiting",
        &format!(
            "Version {} asks for more permissions ({}), so it waits for you to update by hand",
            manifest.version,
            names.join(", ")
        ),
    )
    .await
}

async fn update_row(state: &AppState, app: &Arc<dyn App>, mut row: InstallationRow, event: &str) -> Result<(), AppError> {
    let manifest = app.manifest();
    let from = row.version.clone();
    let (Ok(from_v), Ok(to_v)) = (
        semver::Version::parse(&from),
        semver::Version::parse(&manifest.version),
    ) else {
        return Err(AppError::internal("an installed version is not semver"));
    };
    let granted = scopes_of(&row);
    let previous = serde_json::json!({"version": from, "config": stored_config(&row), "scopes": granted});
    let migrated = app.migrate_config(&from_v, &to_v, stored_config(&row));
    // New settings start at their defaults.
    let mut config = config::defaults(&manifest.settings);
    config.extend(migrated);
    let added: Vec<&str> = manifest.asks_beyond(&manifest.version, &granted).into_iter().map(Scope::name).collect();
    row.previous = Some(previous.to_string());
    row.version = manifest.version.clone();
    row.config = Value::Object(config).to_string();
    row.scopes = serde_json::to_string(manifest.permissions_of(&manifest.version)).map_err(AppError::internal)?;
    let mut detail = format!("From {from} to {}", row.version);
    if !added.is_empty() {
        detail.push_str(&format!(", granted {}", added.join(", ")));
    }
    audited::<AppUpdated>(state, &row, Write::Update, event, &detail).await?;
    let host = host_for(state, &row);
    if let Err(e) = app.on_update(&host, &from).await {
        tracing::warn!(installation = %row.id, "on_update failed: {e}");
    }
    Ok(())
}

/// Restores the version and configuration saved by the last update.
pub async fn rollback(state: &AppState, user: &SessionUser, id: &str) -> Result<InstallationView, AppError> {
    let (mut row, app) = owned(state, user, id).await?;
    let Some(previous) = row.previous.as_deref().and_then(|p| serde_json::from_str::<Value>(p).ok())
    else {
        return Err(AppError::Conflict("There is no earlier version to return to.".into()));
    };
    let from = row.version.clone();
    let (Some(version), Some(config)) = (previous["version"].as_str(), previous["config"].as_object())
    else {
        return Err(AppError::internal("a saved version is malformed"));
    };
    row.version = version.to_owned();
    row.config = Value::Object(config.clone()).to_string();
    // The permissions granted then (snapshots from before they were kept keep today's).
    if let Some(scopes) = previous.get("scopes").filter(|s| s.is_array()) {
        row.scopes = scopes.to_string();
    }
    row.previous = None;
    // Rolled back on purpose: no automatic update undoes it.
    row.auto_update = false;
    audited::<AppUpdated>(state, &row, Write::Update, "rolled back", &format!("From {from} to {version}, with its settings")).await?;
    let host = host_for(state, &row);
    if let Err(e) = app.on_update(&host, &from).await {
        tracing::warn!(installation = %row.id, "on_update failed: {e}");
    }
    installation(state, user, id).await
}

/// Removes an installation with its settings and secrets, unless another installed app
/// needs it.
pub async fn uninstall(state: &AppState, user: &SessionUser, id: &str) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let (row, app) = owned(state, user, id).await?;
    let mine = db::installations_of(&state.db, user.id).await?;
    let others_of_app = mine.iter().filter(|r| r.app == row.app && r.id != row.id).count();
    let dependants: Vec<String> = mine
        .iter()
        .filter(|r| r.id != row.id)
        .filter_map(|r| registry.manifest(&r.app))
        .filter(|m| m.dependencies.iter().any(|d| d.app == row.app))
        .map(|m| m.name.clone())
        .collect();
    if others_of_app == 0 && !dependants.is_empty() {
        return Err(AppError::Conflict(format!(
            "{} cannot be uninstalled while these apps need it: {}. Uninstall them first.",
            app.manifest().name,
            dependants.join(", ")
        )));
    }
    let host = host_for(state, &row);
    let note = match app.on_uninstall(&host).await {
        Ok(()) => "Removed with its settings and secrets".to_owned(),
        Err(e) => format!("Removed with its settings and secrets (the app reported: {e})"),
    };
    audited::<AppUninstalled>(state, &row, Write::Delete, "uninstalled", &note).await?;
    Ok(())
}

/// An installation's audit log, newest first.
pub async fn audit_log(state: &AppState, user: &SessionUser, id: &str) -> Result<Vec<AuditEntry>, AppError> {
    // Readable after an uninstall too: the log is the user's, by installation id.
    let entries: Vec<AuditEntry> = db::audit_log(&state.db, id, user.id, 200)
        .await?
        .into_iter()
        .map(|(event, detail, at)| AuditEntry { event, detail, at })
        .collect();
    if entries.is_empty() && db::find_installation(&state.db, id, user.id).await?.is_none() {
        return Err(AppError::NotFound("That installation".into()));
    }
    Ok(entries)
}

/// The longest review text.
pub const MAX_REVIEW: usize = 5_000;

/// Writes (or replaces) the user's review of an app they installed.
pub async fn review(state: &AppState, user: &SessionUser, slug: &str, stars: i64, body: &str) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let mine = db::installations_of(&state.db, user.id).await?;
    if registry.manifest(slug).is_none() {
        return Err(not_found());
    }
    if !mine.iter().any(|r| r.app == slug) {
        return Err(AppError::Conflict("Install the app before reviewing it.".into()));
    }
    let mut errors = FieldErrors::new();
    if !(1..=5).contains(&stars) {
        errors.insert("stars".into(), vec!["Give 1 to 5 stars.".into()]);
    }
    let body = body.trim();
    if body.is_empty() {
        errors.insert("body".into(), vec!["Say something about the app.".into()]);
    } else if body.chars().count() > MAX_REVIEW {
        errors.insert("body".into(), vec![format!("At most {MAX_REVIEW} characters.")]);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation {
            message: "The review needs another look.".into(),
            fields: errors,
        });
    }
    db::put_review(&state.db, slug, user.id, stars, body).await
}

pub async fn delete_review(state: &AppState, user: &SessionUser, slug: &str) -> Result<(), AppError> {
    if db::delete_review(&state.db, slug, user.id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("Your review".into()))
    }
}

fn require_admin(user: &SessionUser) -> Result<(), AppError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Hides (or shows again) a review; admins only.
pub async fn hide_review(state: &AppState, admin: &SessionUser, slug: &str, author: i64, hidden: bool) -> Result<(), AppError> {
    require_admin(admin)?;
    if db::set_review_hidden(&state.db, slug, author, hidden).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("That review".into()))
    }
}

/// Every app with its state and installs; admins only.
pub async fn admin_apps(state: &AppState, admin: &SessionUser) -> Result<Vec<AdminApp>, AppError> {
    let registry = state.apps.registry();
    require_admin(admin)?;
    let stats = stats(&state.db).await?;
    Ok(db::listings(&state.db)
        .await?
        .into_iter()
        .filter_map(|l| {
            let manifest = registry.manifest(&l.slug)?;
            Some(AdminApp {
                slug: l.slug.clone(),
                name: manifest.name.clone(),
                version: manifest.version.clone(),
                source: l.source.clone(),
                state: Approval::parse(&l.state).unwrap_or(Approval::Draft),
                reason: l.reason.clone(),
                disabled_reason: l.disabled_reason.clone(),
                installs: stats.installs.get(&l.slug).copied().unwrap_or(0),
            })
        })
        .collect())
}

/// Moves an app through draft → submitted → approved or rejected (with a reason).
pub async fn set_approval(
    state: &AppState,
    admin: &SessionUser,
    slug: &str,
    to: Approval,
    reason: &str,
) -> Result<(), AppError> {
    require_admin(admin)?;
    let listings = db::listings(&state.db).await?;
    let listing = listing_of(&listings, slug).ok_or_else(not_found)?;
    let from = Approval::parse(&listing.state).unwrap_or(Approval::Draft);
    let allowed = matches!(
        (from, to),
        (Approval::Draft, Approval::Submitted)
            | (Approval::Submitted, Approval::Approved)
            | (Approval::Submitted, Approval::Rejected)
            | (Approval::Rejected, Approval::Submitted)
    );
    if !allowed {
        return Err(AppError::Conflict(format!(
            "An app that is {} cannot become {}.",
            from.name(),
            to.name()
        )));
    }
    let reason = reason.trim();
    if to == Approval::Rejected && reason.is_empty() {
        return Err(AppError::field("reason", "Say why the app is rejected."));
    }
    db::set_state(&state.db, slug, to.name(), reason).await?;
    state.apps.forget_all();
    Ok(())
}

/// Disables an app for everyone (its installations stop running, and their owners see
/// the reason), or enables it again with `None`.
pub async fn set_disabled(state: &AppState, admin: &SessionUser, slug: &str, reason: Option<&str>) -> Result<(), AppError> {
    require_admin(admin)?;
    let reason = reason.map(str::trim);
    if reason == Some("") {
        return Err(AppError::field("reason", "Say why the app is disabled."));
    }
    if !db::set_disabled(&state.db, slug, reason).await? {
        return Err(not_found());
    }
    state.apps.forget_all();
    Ok(())
}

/// Re-seals every stored secret under the newest key; returns how many were re-sealed.
/// Safe while servers run: each configuration is swapped only if unchanged meanwhile.
pub async fn reseal_secrets(db_: &Db, keyring: &Keyring) -> Result<usize, AppError> {
    let current = keyring.current_id();
    let mut count = 0;
    for row in db::all_installations(db_).await? {
        let mut config = stored_config(&row);
        let mut changed = false;
        for value in config.values_mut() {
            if let Value::String(text) = value
                && Keyring::is_sealed(text)
                && !text.contains(&format!(":{current}:"))
            {
                let plain = keyring.open(text).map_err(AppError::internal)?;
                *value = Value::String(keyring.seal(&plain).map_err(AppError::internal)?);
                changed = true;
                count += 1;
            }
        }
        if changed {
            db::reseal_config(db_, &row.id, &row.config, &Value::Object(config).to_string()).await?;
        }
    }
    Ok(count)
}
