//! The host's side of the WIT world (`wit/junction.wit`): the generated bindings, and each
//! imported interface implemented over the installation's [`HostApi`], so every call an
//! app makes is checked against what its installer granted and audited when denied.
//!
//! Host calls run on the server's own runtime (`Handle::spawn`): the app runs on a thread
//! of its own (`mod.rs`), while the database pool and the HTTP client belong to the
//! server's runtime.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::runtime::Handle;
use wasmtime::ResourceLimiter;

use super::clock::Clock;
use crate::apps::host::{HostApi, HostError, HttpRequest};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "app",
    imports: { default: async },
    exports: { default: async },
});

pub use junction::app::types::HostError as WitError;
use junction::app::{config, forms, http, log, notifications, responses, types};

/// Lines one event may write to the server's log; the rest are dropped.
const MAX_LOG_LINES: u32 = 100;

/// Memory as one event may use it: what it was allowed, the most it reached, and whether it
/// asked for more than its limit (a guest out of memory traps like a panic; this tells
/// them apart).
pub struct Limiter {
    pub cap: usize,
    pub peak: usize,
    pub denied: bool,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.cap || maximum.is_some_and(|m| desired > m) {
            self.denied = true;
            return Ok(false);
        }
        self.peak = self.peak.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 10_000)
    }
}

/// What one event's instance holds: the installation's host API (none while an upload is
/// verified without an installation), its memory limiter and the server's runtime.
pub struct EventState {
    pub host: Option<HostApi>,
    /// The app's slug, for the log.
    pub app: String,
    pub limiter: Limiter,
    pub main: Handle,
    /// The event's time, as run against waited for a CPU; calls into Junction count as run.
    pub clock: Arc<Clock>,
    logged: u32,
}

impl EventState {
    /// For an event handed to the app threads at `started`.
    pub fn new(host: Option<HostApi>, app: &str, memory: usize, main: Handle, started: Instant) -> EventState {
        EventState {
            host,
            app: app.to_owned(),
            limiter: Limiter { cap: memory, peak: 0, denied: false },
            main,
            clock: Arc::new(Clock::start(started)),
            logged: 0,
        }
    }

    /// Runs a host call on the server's runtime, with this event's host API.
    async fn call<T, F>(&self, work: impl FnOnce(HostApi) -> F) -> Result<T, WitError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, HostError>> + Send + 'static,
    {
        let Some(host) = self.host.clone() else {
            // Verifying an upload: no installation, so no data to reach.
            return Err(WitError::Failed);
        };
        self.clock.call_began();
        let answer = self.main.spawn(work(host)).await;
        self.clock.call_ended();
        match answer {
            Ok(result) => result.map_err(wit_error),
            Err(_) => Err(WitError::Failed),
        }
    }

    fn log(&mut self, level: tracing::Level, message: &str) {
        self.logged += 1;
        if self.logged > MAX_LOG_LINES {
            return;
        }
        let line: String = message.chars().take(2_000).collect();
        if level == tracing::Level::WARN {
            tracing::warn!(app = %self.app, "{line}");
        } else {
            tracing::info!(app = %self.app, "{line}");
        }
    }
}

fn wit_error(error: HostError) -> WitError {
    match error {
        HostError::Denied(_) => WitError::PermissionDenied,
        HostError::NotFound(_) => WitError::NotFound,
        HostError::Invalid(_) => WitError::Invalid,
        HostError::Failed(_) => WitError::Failed,
    }
}

fn json(value: impl serde::Serialize) -> Result<String, HostError> {
    serde_json::to_string(&value).map_err(|e| HostError::Failed(e.to_string()))
}

impl types::Host for EventState {}

impl log::Host for EventState {
    async fn info(&mut self, message: String) {
        self.log(tracing::Level::INFO, &message);
    }

    async fn warn(&mut self, message: String) {
        self.log(tracing::Level::WARN, &message);
    }
}

impl forms::Host for EventState {
    async fn all(&mut self) -> Result<String, WitError> {
        self.call(|host| async move { json(host.forms().await?) }).await
    }
}

impl responses::Host for EventState {
    async fn newest(&mut self, form_id: String, limit: u32) -> Result<String, WitError> {
        self.call(move |host| async move { json(host.responses(&form_id, i64::from(limit)).await?) })
            .await
    }

    async fn count(&mut self, form_id: String) -> Result<u32, WitError> {
        self.call(move |host| async move {
            let count = host.response_count(&form_id).await?;
            Ok(u32::try_from(count).unwrap_or(u32::MAX))
        })
        .await
    }

    async fn annotate(&mut self, response_id: String, key: String, value_json: String) -> Result<(), WitError> {
        self.call(move |host| async move {
            let value: Value = serde_json::from_str(&value_json)
                .map_err(|e| HostError::Invalid(format!("the value is not JSON: {e}")))?;
            host.annotate(&response_id, &key, value).await
        })
        .await
    }
}

impl http::Host for EventState {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, WitError> {
        self.call(move |host| async move {
            let request = HttpRequest {
                method: request.method,
                url: request.url,
                headers: request.headers,
                body: request.body,
            };
            let reply = host.http(&request).await?;
            Ok(http::Response { status: reply.status, body: reply.body })
        })
        .await
    }
}

impl notifications::Host for EventState {
    async fn notify(&mut self, text: String) -> Result<(), WitError> {
        self.call(move |host| async move { host.notify(&text).await }).await
    }
}

impl config::Host for EventState {
    async fn get(&mut self) -> Result<String, WitError> {
        self.call(|host| async move { json(host.config().await?) }).await
    }
}
