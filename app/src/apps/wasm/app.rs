//! An uploaded app as the registry sees it: one [`App`] whose manifest is its newest
//! approved version's, with every approved version as a release, and whose handlers run the
//! component of each installation's own version.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::{Event, Failure, Limits, Outcome, Runtime};
use crate::apps::host::HostApi;
use crate::apps::manifest::{Manifest, Release, Scope};
use crate::apps::{App, Registrar};
use crate::hooks::HookKind;
use crate::hooks::runtime::{ActionHandler, FilterHandler, FilterOutcome};

/// The longest message an app's rejection may show; the rest is cut.
const MAX_MESSAGE: usize = 500;

/// One version of an uploaded app that installations may run.
#[derive(Debug, Clone)]
pub struct Version {
    pub manifest: Manifest,
    /// The SHA-256 of its component.
    pub component: String,
    /// Whether the catalog offers it (approved); a version withdrawn since still runs for
    /// the installations that have it.
    pub listed: bool,
}

/// Where an uploaded app's components come from, and where its failures go (the services
/// implement it over the database).
#[async_trait::async_trait]
pub trait Components: Send + Sync {
    /// The compiled component whose SHA-256 is `sha256`.
    async fn compiled(&self, sha256: &str) -> Result<Vec<u8>, String>;
    /// An event of the installation failed; after too many of the app's own failures in a
    /// row it is switched off ([`Failure::is_the_apps`]).
    async fn failed(&self, host: &HostApi, hook: &str, failure: &Failure);
    /// An event of the installation went through.
    async fn succeeded(&self, host: &HostApi);
}

/// What an uploaded app's versions share.
struct Shared {
    slug: String,
    versions: HashMap<String, Version>,
    runtime: Arc<Runtime>,
    components: Arc<dyn Components>,
}

pub struct WasmApp {
    manifest: Manifest,
    shared: Arc<Shared>,
}

impl WasmApp {
    /// The app of `versions`, or `None` when none is listed. The catalog shows the newest
    /// listed version's manifest, with each listed version as a release asking for its own
    /// permissions.
    pub fn new(versions: Vec<Version>, runtime: Arc<Runtime>, components: Arc<dyn Components>) -> Option<WasmApp> {
        let mut listed: Vec<&Version> = versions.iter().filter(|v| v.listed).collect();
        listed.sort_by_key(|v| semver::Version::parse(&v.manifest.version).ok());
        let newest = listed.last()?;
        let mut manifest = newest.manifest.clone();
        manifest.releases = listed
            .iter()
            .map(|v| Release {
                version: v.manifest.version.clone(),
                changes: v
                    .manifest
                    .releases
                    .iter()
                    .find(|r| r.version == v.manifest.version)
                    .map(|r| r.changes.clone())
                    .unwrap_or_else(|| format!("Version {}", v.manifest.version)),
                permissions: Some(v.manifest.permissions.clone()),
            })
            .collect();
        let shared = Shared {
            slug: manifest.slug.clone(),
            versions: versions.into_iter().map(|v| (v.manifest.version.clone(), v)).collect(),
            runtime,
            components,
        };
        Some(WasmApp { manifest, shared: Arc::new(shared) })
    }
}

impl App for WasmApp {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// A handler for every hook any version declares, at the priority the newest version
    /// declaring it gives; each installation runs only what its own version declares.
    fn register(&self, hooks: &mut Registrar<'_>) {
        let mut versions: Vec<&Version> = self.shared.versions.values().collect();
        versions.sort_by_key(|v| semver::Version::parse(&v.manifest.version).ok());
        let mut declared: Vec<(&str, i32)> = Vec::new();
        for version in versions.iter().rev() {
            for registration in &version.manifest.hooks {
                if !declared.iter().any(|(hook, _)| *hook == registration.hook) {
                    declared.push((&registration.hook, registration.priority));
                }
            }
        }
        for (hook, priority) in declared {
            if let Some(point) = crate::hooks::lookup(hook) {
                hooks.point(point, priority, Handler { hook: point.name, kind: point.kind, shared: self.shared.clone() });
            }
        }
    }
}

/// Runs one hook of an uploaded app: the component of the installation's version, in a
/// fresh instance, under the hook's limits.
struct Handler {
    hook: &'static str,
    kind: HookKind,
    shared: Arc<Shared>,
}

impl Handler {
    async fn run(&self, host: &HostApi, payload: &Value) -> Result<Option<Outcome>, String> {
        let shared = &self.shared;
        let Some(version) = shared.versions.get(host.version()) else {
            return Err(format!("version {} of {} is not available", host.version(), shared.slug));
        };
        if !version.manifest.hooks.iter().any(|h| h.hook == self.hook) {
            // This installation's version does not handle it.
            return Ok(None);
        }
        let prepared = match shared.runtime.prepared(&version.component) {
            Some(prepared) => prepared,
            None => {
                let compiled = shared.components.compiled(&version.component).await?;
                shared.runtime.prepare(&version.component, &compiled)?
            }
        };
        // The settings go with the event only where they may be read.
        let config = if host.granted(Scope::ConfigRead) {
            host.config().await.map(|c| Value::Object(c.clone()).to_string()).unwrap_or_else(|_| "{}".into())
        } else {
            "{}".to_owned()
        };
        let event = Event { hook: self.hook.to_owned(), payload_json: payload.to_string(), config_json: config };
        let limits = if self.kind == HookKind::Filter { Limits::FILTER } else { Limits::ACTION };
        let (answer, _) = shared.runtime.handle(&prepared, &shared.slug, Some(host.clone()), event, limits).await;
        match answer {
            Ok(outcome) => {
                shared.components.succeeded(host).await;
                Ok(Some(outcome))
            }
            Err(failure) => {
                shared.components.failed(host, self.hook, &failure).await;
                Err(format!("{} {failure}", shared.slug))
            }
        }
    }
}

#[async_trait::async_trait]
impl FilterHandler<HostApi> for Handler {
    async fn filter(&self, host: &HostApi, payload: Value) -> Result<FilterOutcome, String> {
        match self.run(host, &payload).await? {
            None | Some(Outcome::Accept(None)) => Ok(FilterOutcome::Continue(payload)),
            Some(Outcome::Accept(Some(changed))) => serde_json::from_str(&changed)
                .map(FilterOutcome::Continue)
                .map_err(|e| format!("{} returned a payload that is not JSON: {e}", self.shared.slug)),
            Some(Outcome::Reject(message)) => {
                let message: String = message.trim().chars().take(MAX_MESSAGE).collect();
                Ok(FilterOutcome::Reject(if message.is_empty() { "Refused.".to_owned() } else { message }))
            }
        }
    }
}

#[async_trait::async_trait]
impl ActionHandler<HostApi> for Handler {
    async fn act(&self, host: &HostApi, payload: Value) -> Result<(), String> {
        self.run(host, &payload).await.map(drop)
    }
}
