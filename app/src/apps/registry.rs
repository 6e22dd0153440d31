//! The `App` trait built-in apps implement, and the registry the server builds from them
//! at start-up: manifests checked together, hook handlers registered with the priorities
//! their manifests declare, each handler guarded by the scopes of its hook.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::host::HostApi;
use super::manifest::{Manifest, ManifestError, Scope};
use crate::hooks::runtime::{ActionHandler, FilterHandler, FilterOutcome, Hooks};
use crate::hooks::{Action, Filter, Hook, HookKind, HookPoint};

/// A built-in app. Only `manifest` and `register` are required; every lifecycle callback
/// does nothing by default. A callback that fails stops the step it belongs to, and the
/// user sees its message.
#[async_trait::async_trait]
pub trait App: Send + Sync + 'static {
    fn manifest(&self) -> &Manifest;

    /// Registers the app's hook handlers; each must be declared in the manifest's `hooks`.
    fn register(&self, hooks: &mut Registrar<'_>) {
        let _ = hooks;
    }

    async fn on_install(&self, host: &HostApi) -> Result<(), String> {
        let _ = host;
        Ok(())
    }

    /// Given the new configuration (secrets opened) before it is kept: an error leaves the
    /// stored one as it was.
    async fn on_configure(&self, host: &HostApi, config: &Map<String, Value>) -> Result<(), String> {
        let _ = (host, config);
        Ok(())
    }

    async fn on_activate(&self, host: &HostApi) -> Result<(), String> {
        let _ = host;
        Ok(())
    }

    async fn on_deactivate(&self, host: &HostApi) -> Result<(), String> {
        let _ = host;
        Ok(())
    }

    /// After an update (or a rollback) from the version `from`.
    async fn on_update(&self, host: &HostApi, from: &str) -> Result<(), String> {
        let _ = (host, from);
        Ok(())
    }

    async fn on_uninstall(&self, host: &HostApi) -> Result<(), String> {
        let _ = host;
        Ok(())
    }

    /// Turns a configuration saved under the version `from` into one for `to` (an update
    /// runs it; a rollback restores the saved configuration instead).
    fn migrate_config(&self, from: &semver::Version, to: &semver::Version, config: Map<String, Value>) -> Map<String, Value> {
        let _ = (from, to);
        config
    }
}

/// The scope a handler of `hook` needs to be given its payload, and the scope it needs for
/// a change it makes to be kept.
pub fn hook_scopes(hook: &str) -> (Option<Scope>, Option<Scope>) {
    match hook {
        "form.beforeSubmit" | "routing.beforeRoute" => {
            (Some(Scope::ResponsesRead), Some(Scope::ResponsesWrite))
        }
        "form.beforeSave" => (Some(Scope::FormsRead), Some(Scope::FormsWrite)),
        "form.submitted" | "routing.fallbackHit" => (Some(Scope::ResponsesRead), None),
        "form.created" | "form.updated" | "form.deleted" => (Some(Scope::FormsRead), None),
        _ => (None, None),
    }
}

/// Runs an app's filter handler only for installations granted its hook's read scope, and
/// keeps a change only where the write scope was granted (else the data passes on as it
/// was, and the attempt is audited).
struct GuardedFilter<F> {
    hook: &'static str,
    inner: F,
}

#[async_trait::async_trait]
impl<F: FilterHandler<HostApi>> FilterHandler<HostApi> for GuardedFilter<F> {
    async fn filter(&self, host: &HostApi, payload: Value) -> Result<FilterOutcome, String> {
        let (reads, writes) = hook_scopes(self.hook);
        if let Some(scope) = reads {
            host.require(scope, &format!("handling {}", self.hook))
                .await
                .map_err(|e| e.to_string())?;
        }
        let before = payload.clone();
        match self.inner.filter(host, payload).await? {
            FilterOutcome::Continue(after) if after != before => match writes {
                Some(scope) => {
                    host.require(scope, &format!("changing the data of {}", self.hook))
                        .await
                        .map_err(|e| e.to_string())?;
                    Ok(FilterOutcome::Continue(after))
                }
                None => Ok(FilterOutcome::Continue(before)),
            },
            outcome => Ok(outcome),
        }
    }
}

struct GuardedAction<A> {
    hook: &'static str,
    inner: A,
}

#[async_trait::async_trait]
impl<A: ActionHandler<HostApi>> ActionHandler<HostApi> for GuardedAction<A> {
    async fn act(&self, host: &HostApi, payload: Value) -> Result<(), String> {
        if let Some(scope) = hook_scopes(self.hook).0 {
            host.require(scope, &format!("handling {}", self.hook))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.inner.act(host, payload).await
    }
}

/// What `App::register` is given: registers handlers under the app's slug, with the
/// priority its manifest declares for the hook.
pub struct Registrar<'a> {
    manifest: &'a Manifest,
    hooks: &'a mut Hooks<HostApi>,
    problems: Vec<String>,
}

impl Registrar<'_> {
    fn priority<H: Hook>(&mut self) -> Option<i32> {
        let declared = self
            .manifest
            .hooks
            .iter()
            .find(|r| r.hook == H::POINT.name)
            .map(|r| r.priority);
        if declared.is_none() {
            self.problems.push(format!(
                "it registers a handler for \"{}\", which its manifest does not declare",
                H::POINT.name
            ));
        }
        declared
    }

    pub fn filter<H: Filter>(&mut self, handler: impl FilterHandler<HostApi> + 'static) {
        if let Some(priority) = self.priority::<H>() {
            let guarded = GuardedFilter {
                hook: H::POINT.name,
                inner: handler,
            };
            self.hooks
                .on_filter::<H>(&self.manifest.slug, priority, guarded);
        }
    }

    /// Registers a handler for a hook point the app names at run time (an uploaded app's),
    /// as a filter or an action by the point's kind, with the priority its manifest
    /// declares, guarded like the others.
    pub fn point<T>(&mut self, point: &'static HookPoint, priority: i32, handler: T)
    where
        T: FilterHandler<HostApi> + ActionHandler<HostApi> + 'static,
    {
        match point.kind {
            HookKind::Filter => self.hooks.on_filter_point(
                point,
                &self.manifest.slug,
                priority,
                GuardedFilter { hook: point.name, inner: handler },
            ),
            HookKind::Action => self.hooks.on_action_point(
                point,
                &self.manifest.slug,
                priority,
                GuardedAction { hook: point.name, inner: handler },
            ),
        }
    }

    pub fn action<H: Action>(&mut self, handler: impl ActionHandler<HostApi> + 'static) {
        if let Some(priority) = self.priority::<H>() {
            let guarded = GuardedAction {
                hook: H::POINT.name,
                inner: handler,
            };
            self.hooks
                .on_action::<H>(&self.manifest.slug, priority, guarded);
        }
    }
}

/// The apps the server runs, checked, with their hook handlers registered.
#[derive(Clone)]
pub struct Registry {
    apps: Vec<Arc<dyn App>>,
    by_slug: HashMap<String, usize>,
    hooks: Hooks<HostApi>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.apps.iter().map(|a| &a.manifest().slug))
            .finish()
    }
}

impl Registry {
    /// Checks `apps`' manifests against the running Junction and each other, then
    /// registers their handlers. The error names the app and the problem.
    pub fn new(apps: Vec<Arc<dyn App>>) -> Result<Registry, ManifestError> {
        let manifests: Vec<Manifest> = apps.iter().map(|a| a.manifest().clone()).collect();
        let hooks_known: Vec<&str> = crate::hooks::CATALOG.iter().map(|p| p.name).collect();
        // Junction's own kinds; those apps contribute are compiled in too, but belong to
        // their app's manifest.
        let kinds: Vec<&str> = crate::fields::REGISTRY
            .iter()
            .filter(|t| t.app().is_none())
            .map(|t| t.meta().kind)
            .collect();
        super::check::check_catalog(
            &manifests,
            &super::check::Host {
                junction_version: env!("CARGO_PKG_VERSION"),
                hooks: &hooks_known,
                field_kinds: &kinds,
            },
        )?;
        for manifest in &manifests {
            for kind in &manifest.field_types {
                if !crate::fields::contributed().any(|(k, app)| k == kind && app == manifest.slug) {
                    return Err(ManifestError {
                        app: manifest.slug.clone(),
                        problem: format!("it adds the field type \"{kind}\", which is not compiled in for it"),
                    });
                }
            }
        }
        let mut hooks = Hooks::default();
        for app in &apps {
            let mut registrar = Registrar {
                manifest: app.manifest(),
                hooks: &mut hooks,
                problems: Vec::new(),
            };
            app.register(&mut registrar);
            if let Some(problem) = registrar.problems.into_iter().next() {
                return Err(ManifestError {
                    app: app.manifest().slug.clone(),
                    problem,
                });
            }
        }
        let by_slug = apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a.manifest().slug.clone(), i))
            .collect();
        Ok(Registry {
            apps,
            by_slug,
            hooks,
        })
    }

    /// The built-in apps.
    pub fn builtin() -> Result<Registry, ManifestError> {
        Registry::new(super::builtin::all()?)
    }

    /// This registry with `uploaded` apps beside its own. Each is checked among the apps
    /// already in it (so one may depend on another uploaded app) and its handlers are
    /// registered; one that no longer fits is left out, and named with its reason.
    pub fn with_uploaded(mut self, uploaded: Vec<Arc<dyn App>>) -> (Registry, Vec<ManifestError>) {
        let hooks_known: Vec<&str> = crate::hooks::CATALOG.iter().map(|p| p.name).collect();
        // Junction's own kinds; those apps contribute belong to their apps' manifests.
    let kinds: Vec<&str> = crate::fields::REGISTRY.iter().filter(|t| t.app().is_none()).map(|t| t.meta().kind).collect();
        let host = super::check::Host {
            junction_version: env!("CARGO_PKG_VERSION"),
            hooks: &hooks_known,
            field_kinds: &kinds,
        };
        let mut waiting = uploaded;
        let mut problems = Vec::new();
        // Until a pass adds nothing: an app whose dependency comes later fits on a later pass.
        loop {
            let mut left = Vec::new();
            problems.clear();
            let before = waiting.len();
            for app in waiting {
                let mut manifests: Vec<Manifest> = self.apps.iter().map(|a| a.manifest().clone()).collect();
                manifests.push(app.manifest().clone());
                if let Err(problem) = super::check::check_catalog(&manifests, &host) {
                    problems.push(problem);
                    left.push(app);
                    continue;
                }
                let mut registrar = Registrar { manifest: app.manifest(), hooks: &mut self.hooks, problems: Vec::new() };
                app.register(&mut registrar);
                self.by_slug.insert(app.manifest().slug.clone(), self.apps.len());
                self.apps.push(app);
            }
            if left.is_empty() || left.len() == before {
                break;
            }
            waiting = left;
        }
        (self, problems)
    }

    pub fn get(&self, slug: &str) -> Option<&Arc<dyn App>> {
        self.by_slug.get(slug).map(|&i| &self.apps[i])
    }

    pub fn manifest(&self, slug: &str) -> Option<&Manifest> {
        self.get(slug).map(|a| a.manifest())
    }

    pub fn apps(&self) -> impl Iterator<Item = &Arc<dyn App>> {
        self.apps.iter()
    }

    pub fn hooks(&self) -> &Hooks<HostApi> {
        &self.hooks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_apps_pass_their_checks() {
        let registry = Registry::builtin().expect("the built-in catalog is valid");
        let updatable = registry.apps().filter(|app| app.manifest().releases.len() >= 2).count();
        assert!(updatable >= 2, "built-in apps ship older releases, so updates and rollbacks are real");
        for app in registry.apps() {
            let m = app.manifest();
            let logo = format!("{}/../public{}", env!("CARGO_MANIFEST_DIR"), m.logo);
            assert!(std::path::Path::new(&logo).exists(), "{} has its logo at {logo}", m.slug);
        }
        assert!(registry.get("lead-scoring").is_some() && registry.get("nothing").is_none());
    }

    #[test]
    fn a_field_type_must_be_compiled_in_for_the_app_that_declares_it() {
        let builtin = super::super::builtin::all().unwrap();
        let rating = builtin.iter().find(|a| a.manifest().slug == "rating-field").unwrap();
        assert_eq!(rating.manifest().field_types, ["rating"]);
        // Another app claiming the rating type, and an app claiming a type nobody wrote.
        for (slug, kind, problem) in [
            ("thief", "rating", "it adds the field type \"rating\", which is not compiled in for it"),
            ("dreamer", "signature", "it adds the field type \"signature\", which is not compiled in for it"),
        ] {
            let mut manifest = builtin[0].manifest().clone();
            manifest.slug = slug.into();
            manifest.hooks.clear();
            manifest.field_types = vec![kind.into()];
            let err = Registry::new(vec![Arc::new(Undeclared(manifest))]).unwrap_err();
            assert_eq!((err.app.as_str(), err.problem.as_str()), (slug, problem));
        }
    }

    struct Undeclared(Manifest);

    impl App for Undeclared {
        fn manifest(&self) -> &Manifest {
            &self.0
        }

        fn register(&self, hooks: &mut Registrar<'_>) {
            hooks.action::<crate::hooks::FormSubmitted>(Nothing);
        }
    }

    struct Nothing;

    #[async_trait::async_trait]
    impl ActionHandler<HostApi> for Nothing {
        async fn act(&self, _: &HostApi, _: Value) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn a_handler_its_manifest_does_not_declare_stops_start_up() {
        let builtin = super::super::builtin::all().unwrap();
        let mut manifest = builtin[0].manifest().clone();
        manifest.slug = "sneaky".into();
        manifest.field_types.clear();
        let err = Registry::new(vec![Arc::new(Undeclared(manifest))]).unwrap_err();
        assert_eq!(err.app, "sneaky");
        assert!(err.problem.contains("\"form.submitted\", which its manifest does not declare"), "{}", err.problem);
    }
}
