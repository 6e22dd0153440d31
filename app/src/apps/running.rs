//! What the server keeps of the apps while it runs (server only): the registry, the key
//! secrets are sealed with, and each owner's running installations as last read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::Registry;
use super::host::HostApi;
use crate::hooks::runtime::Active;
use crate::secrets::Keyring;

/// How long one server trusts what it read of a user's running installations; a change
/// made on this server is seen at once, one made on another within this.
pub const FRESH: Duration = Duration::from_secs(1);

/// The most owners whose running installations are kept; past it the cache starts again.
const KEPT: usize = 10_000;

pub struct Apps {
    /// The compiled-in apps, which every rebuilt registry starts from.
    base: Registry,
    registry: RwLock<Arc<Registry>>,
    pub keyring: Keyring,
    running: Mutex<HashMap<i64, (Instant, Arc<Running>)>>,
    /// The WebAssembly runtime, started when an uploaded app is first run or verified.
    wasm: OnceLock<Arc<super::wasm::Runtime>>,
    /// The requests the server is handling (counted by a layer of its router), which
    /// uploaded apps' long events give way to.
    pub load: Arc<super::wasm::load::Load>,
    /// What the registry's uploaded apps were read from (`services::publishing`), so a
    /// change made on another server is picked up.
    pub uploaded_revision: Mutex<Option<String>>,
}

/// One owner's running installations: what their handlers are given, and each one's
/// configuration (secrets opened) for the host's own use.
#[derive(Default)]
pub struct Running {
    pub active: Vec<Active<HostApi>>,
    configs: Vec<(String, Map<String, Value>)>,
}

impl Running {
    pub fn add(&mut self, active: Active<HostApi>, config: Map<String, Value>) {
        self.configs.push((active.app.clone(), config));
        self.active.push(active);
    }

    /// The configuration of the first running installation of `slug`.
    pub fn config(&self, slug: &str) -> Option<&Map<String, Value>> {
        self.configs.iter().find(|(app, _)| app == slug).map(|(_, c)| c)
    }
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Apps({:?})", self.registry())
    }
}

impl Apps {
    pub fn new(registry: Registry, keyring: Keyring) -> Apps {
        Apps {
            base: registry.clone(),
            registry: RwLock::new(Arc::new(registry)),
            keyring,
            running: Mutex::new(HashMap::new()),
            wasm: OnceLock::new(),
            load: Arc::default(),
            uploaded_revision: Mutex::new(None),
        }
    }

    /// The compiled-in apps alone.
    pub fn base(&self) -> &Registry {
        &self.base
    }

    /// The apps this server runs, as last built.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts `registry` in place of the current one (uploaded apps changed), and forgets
    /// every owner's running apps, which name its apps.
    pub fn replace_registry(&self, registry: Registry) {
        *self.registry.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(registry);
        self.forget_all();
    }

    /// The WebAssembly runtime, started on first use on the current Tokio runtime.
    pub fn wasm(&self) -> Result<Arc<super::wasm::Runtime>, String> {
        if let Some(runtime) = self.wasm.get() {
            return Ok(runtime.clone());
        }
        let handle = tokio::runtime::Handle::try_current().map_err(|e| e.to_string())?;
        let runtime = Arc::new(super::wasm::Runtime::new(handle, self.load.clone())?);
        Ok(self.wasm.get_or_init(|| runtime).clone())
    }

    /// What was read of `owner`'s running installations, if it is fresh.
    pub fn cached(&self, owner: i64) -> Option<Arc<Running>> {
        let cache = self.running.lock().ok()?;
        let (at, found) = cache.get(&owner)?;
        (at.elapsed() < FRESH).then(|| found.clone())
    }

    pub fn remember(&self, owner: i64, running: Running) -> Arc<Running> {
        let running = Arc::new(running);
        if let Ok(mut cache) = self.running.lock() {
            if cache.len() >= KEPT {
                cache.clear();
            }
            cache.insert(owner, (Instant::now(), running.clone()));
        }
        running
    }

    /// Forgets `owner`'s running installations: one of them changed.
    pub fn forget(&self, owner: i64) {
        if let Ok(mut cache) = self.running.lock() {
            cache.remove(&owner);
        }
    }

    /// Forgets everyone's: an app changed for all (disabled, say).
    pub fn forget_all(&self) {
        if let Ok(mut cache) = self.running.lock() {
            cache.clear();
        }
    }
}
