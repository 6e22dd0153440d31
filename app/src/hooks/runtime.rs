//! Running the handlers apps register for hook points (server only).
//!
//! Handlers register with a priority: higher runs first, ties in registration order. A
//! handler runs once for each active installation of its app that the firing owner has
//! (the caller passes them, each with the context its handlers get: for apps, the host
//! API of that installation). The runtime is generic over that context, so it knows
//! nothing of apps. Payloads reach handlers as JSON, the form an app
//! compiled to WebAssembly will see too; the typed payload of the hook is checked again
//! after every filter handler.
//!
//! - **Filters** run one after another, each given the previous result. A handler that
//!   fails, times out or returns a payload of the wrong shape is logged with its app and the
//!   hook's name and skipped: the data passes on unchanged. A handler that rejects stops
//!   the pipeline, and its message reaches the user.
//! - **Actions** run concurrently after the work has committed, each with its own timeout,
//!   on a task of their own: a failing one affects neither the others nor the request.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinSet;

use super::{Action, Filter, Hook, HookKind, HookPoint};

/// How long one handler may take before it is skipped.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(5);

/// What a filter handler decided.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterOutcome {
    /// Go on with this payload (the one given, or a changed one).
    Continue(Value),
    /// Stop the work; the message is shown to the user as it is.
    Reject(String),
}

#[async_trait::async_trait]
pub trait FilterHandler<C>: Send + Sync {
    async fn filter(&self, ctx: &C, payload: Value) -> Result<FilterOutcome, String>;
}

#[async_trait::async_trait]
pub trait ActionHandler<C>: Send + Sync {
    async fn act(&self, ctx: &C, payload: Value) -> Result<(), String>;
}

enum Handler<C> {
    Filter(Arc<dyn FilterHandler<C>>),
    Action(Arc<dyn ActionHandler<C>>),
}

impl<C> Clone for Handler<C> {
    fn clone(&self) -> Self {
        match self {
            Handler::Filter(h) => Handler::Filter(h.clone()),
            Handler::Action(h) => Handler::Action(h.clone()),
        }
    }
}

struct Registration<C> {
    app: String,
    hook: &'static str,
    priority: i32,
    handler: Handler<C>,
}

impl<C> Clone for Registration<C> {
    fn clone(&self) -> Self {
        Registration {
            app: self.app.clone(),
            hook: self.hook,
            priority: self.priority,
            handler: self.handler.clone(),
        }
    }
}

/// One active installation the handlers run for: its app's slug and the context its
/// handlers are given.
#[derive(Debug, Clone)]
pub struct Active<C> {
    pub app: String,
    pub ctx: C,
}

/// A filter handler stopped the work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The slug of the app whose handler rejected.
    pub app: String,
    pub message: String,
}

/// How one action handler ended, for the caller that waits (tests, the delivery log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    pub app: String,
    pub result: Result<(), String>,
}

/// The registered handlers of every hook point, run with the context `C`.
pub struct Hooks<C> {
    /// In registration order; `handlers` sorts a hook's by priority, stably.
    registrations: Vec<Registration<C>>,
    timeout: Duration,
}

impl<C> Clone for Hooks<C> {
    fn clone(&self) -> Self {
        Hooks {
            registrations: self.registrations.clone(),
            timeout: self.timeout,
        }
    }
}

impl<C> Default for Hooks<C> {
    fn default() -> Self {
        Hooks::new(HANDLER_TIMEOUT)
    }
}

impl<C> Hooks<C> {
    pub fn new(timeout: Duration) -> Self {
        Hooks {
            registrations: Vec::new(),
            timeout,
        }
    }
}

impl<C: Clone + Send + Sync + 'static> Hooks<C> {
    /// Registers `app`'s handler for the filter `H`.
    pub fn on_filter<H: Filter>(
        &mut self,
        app: &str,
        priority: i32,
        handler: impl FilterHandler<C> + 'static,
    ) {
        self.register::<H>(app, priority, Handler::Filter(Arc::new(handler)));
    }

    /// Registers `app`'s handler for the action `H`.
    pub fn on_action<H: Action>(
        &mut self,
        app: &str,
        priority: i32,
        handler: impl ActionHandler<C> + 'static,
    ) {
        self.register::<H>(app, priority, Handler::Action(Arc::new(handler)));
    }

    /// Registers `app`'s filter handler for a hook point named at run time (an uploaded
    /// app's); `point` must be a filter.
    pub fn on_filter_point(
        &mut self,
        point: &'static HookPoint,
        app: &str,
        priority: i32,
        handler: impl FilterHandler<C> + 'static,
    ) {
        debug_assert_eq!(point.kind, HookKind::Filter);
        self.register_named(point.name, app, priority, Handler::Filter(Arc::new(handler)));
    }

    /// Registers `app`'s action handler for a hook point named at run time; `point` must
    /// be an action.
    pub fn on_action_point(
        &mut self,
        point: &'static HookPoint,
        app: &str,
        priority: i32,
        handler: impl ActionHandler<C> + 'static,
    ) {
        debug_assert_eq!(point.kind, HookKind::Action);
        self.register_named(point.name, app, priority, Handler::Action(Arc::new(handler)));
    }

    fn register<H: Hook>(&mut self, app: &str, priority: i32, handler: Handler<C>) {
        self.register_named(H::POINT.name, app, priority, handler);
    }

    fn register_named(&mut self, hook: &'static str, app: &str, priority: i32, handler: Handler<C>) {
        self.registrations.push(Registration {
            app: app.to_owned(),
            hook,
            priority,
            handler,
        });
    }

    /// The handlers of `hook` paired with the active installations of their app, highest
    /// priority first, ties in registration order (then in the order `active` lists them).
    fn handlers<'a>(
        &'a self,
        hook: &str,
        active: &'a [Active<C>],
    ) -> Vec<(&'a Registration<C>, &'a Active<C>)> {
        let mut found: Vec<&Registration<C>> = self
            .registrations
            .iter()
            .filter(|r| r.hook == hook)
            .collect();
        found.sort_by_key(|r| std::cmp::Reverse(r.priority));
        found
            .into_iter()
            .flat_map(|r| {
                active
                    .iter()
                    .filter(move |a| a.app == r.app)
                    .map(move |a| (r, a))
            })
            .collect()
    }

    /// Whether any handler of `H` would run for `active`, so a caller can skip building a
    /// payload no one reads.
    pub fn any<H: Hook>(&self, active: &[Active<C>]) -> bool {
        !self.handlers(H::POINT.name, active).is_empty()
    }

    /// Runs the filter pipeline of `H` over `payload` for the active apps `active`.
    pub async fn filter<H: Filter>(
        &self,
        active: &[Active<C>],
        payload: H::Payload,
    ) -> Result<H::Payload, Rejected> {
        let hook = H::POINT.name;
        let mut current = payload;
        for (registration, installation) in self.handlers(hook, active) {
            let Handler::Filter(handler) = &registration.handler else {
                continue;
            };
            let app = registration.app.as_str();
            let Ok(json) = serde_json::to_value(&current) else {
                tracing::error!(hook, "a payload could not be given to the handlers");
                return Ok(current);
            };
            let run = handler.filter(&installation.ctx, json);
            match tokio::time::timeout(self.timeout, run).await {
                Err(_) => tracing::warn!(app, hook, "filter handler timed out; skipped"),
                Ok(Err(e)) => tracing::warn!(app, hook, "filter handler failed; skipped: {e}"),
                Ok(Ok(FilterOutcome::Reject(message))) => {
                    tracing::info!(app, hook, "filter handler rejected: {message}");
                    return Err(Rejected {
                        app: app.to_owned(),
                        message,
                    });
                }
                Ok(Ok(FilterOutcome::Continue(next))) => match serde_json::from_value(next) {
                    Ok(next) => current = next,
                    Err(e) => tracing::warn!(
                        app,
                        hook,
                        "filter handler returned a payload of the wrong shape; skipped: {e}"
                    ),
                },
            }
        }
        Ok(current)
    }

    /// Starts the action handlers of `H` for the active apps `active`, concurrently, and
    /// returns at once. The task's result reports how each ended; callers that need not
    /// know drop it.
    pub fn actions<H: Action>(
        &self,
        active: &[Active<C>],
        payload: &H::Payload,
    ) -> tokio::task::JoinHandle<Vec<ActionReport>> {
        let hook = H::POINT.name;
        let json = serde_json::to_value(payload).unwrap_or(Value::Null);
        let mut set = JoinSet::new();
        for (registration, installation) in self.handlers(hook, active) {
            let Handler::Action(handler) = registration.handler.clone() else {
                continue;
            };
            let app = registration.app.clone();
            let ctx = installation.ctx.clone();
            let json = json.clone();
            let timeout = self.timeout;
            set.spawn(async move {
                let result = match tokio::time::timeout(timeout, handler.act(&ctx, json)).await {
                    Ok(result) => result,
                    Err(_) => Err(format!("timed out after {} ms", timeout.as_millis())),
                };
                if let Err(e) = &result {
                    tracing::warn!(app = %app, hook, "action handler failed: {e}");
                }
                ActionReport { app, result }
            });
        }
        tokio::spawn(async move {
            let mut reports = Vec::new();
            while let Some(joined) = set.join_next().await {
                match joined {
                    Ok(report) => reports.push(report),
                    // A handler that panicked: logged, the others go on.
                    Err(e) => tracing::error!(hook, "action handler panicked: {e}"),
                }
            }
            reports
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::hooks::{
        FormBeforeSubmit, FormSubmitted, RouteTaken, SubmitPayload, SubmittedPayload,
    };

    /// A filter handler given as a closure over the answers.
    struct Answering<F>(F);

    #[async_trait::async_trait]
    impl<F> FilterHandler<()> for Answering<F>
    where
        F: Fn(Value) -> Result<FilterOutcome, String> + Send + Sync,
    {
        async fn filter(&self, _: &(), payload: Value) -> Result<FilterOutcome, String> {
            (self.0)(payload)
        }
    }

    /// Appends its tag to the answer `trail`.
    fn tagging(tag: &'static str) -> Answering<impl Fn(Value) -> Result<FilterOutcome, String>> {
        Answering(move |mut payload: Value| {
            let trail = payload["answers"]["trail"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            payload["answers"]["trail"] = json!(format!("{trail}{tag}"));
            Ok(FilterOutcome::Continue(payload))
        })
    }

    struct Sleeping;

    #[async_trait::async_trait]
    impl FilterHandler<()> for Sleeping {
        async fn filter(&self, _: &(), payload: Value) -> Result<FilterOutcome, String> {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(FilterOutcome::Continue(payload))
        }
    }

    fn active(apps: &[&str]) -> Vec<Active<()>> {
        apps.iter()
            .map(|a| Active {
                app: a.to_string(),
                ctx: (),
            })
            .collect()
    }

    fn submission() -> SubmitPayload {
        SubmitPayload {
            form_id: "f".into(),
            answers: serde_json::Map::new(),
            kinds: Default::default(),
            params: serde_json::Map::new(),
            client_ip: None,
            data: serde_json::Map::new(),
        }
    }

    #[tokio::test]
    async fn filters_run_by_priority_then_registration_order() {
        let mut hooks = Hooks::<()>::new(Duration::from_millis(200));
        hooks.on_filter::<FormBeforeSubmit>("a", 0, tagging("a"));
        hooks.on_filter::<FormBeforeSubmit>("b", 10, tagging("b"));
        hooks.on_filter::<FormBeforeSubmit>("c", 0, tagging("c"));
        hooks.on_filter::<FormBeforeSubmit>("d", 10, tagging("d"));
        hooks.on_filter::<FormBeforeSubmit>("off", 99, tagging("x"));
        let out = hooks
            .filter::<FormBeforeSubmit>(&active(&["a", "b", "c", "d"]), submission())
            .await
            .unwrap();
        assert_eq!(out.answers["trail"], "bdac", "inactive apps never run");
    }

    #[tokio::test]
    async fn a_failing_slow_or_misshapen_filter_is_skipped_and_the_data_passes_on() {
        let mut hooks = Hooks::<()>::new(Duration::from_millis(50));
        hooks.on_filter::<FormBeforeSubmit>("first", 5, tagging("1"));
        hooks.on_filter::<FormBeforeSubmit>("broken", 4, Answering(|_| Err("boom".into())));
        hooks.on_filter::<FormBeforeSubmit>("slow", 3, Sleeping);
        hooks.on_filter::<FormBeforeSubmit>(
            "misshapen",
            2,
            Answering(|_| Ok(FilterOutcome::Continue(json!({"answers": 7})))),
        );
        hooks.on_filter::<FormBeforeSubmit>("last", 1, tagging("2"));
        let all = active(&["first", "broken", "slow", "misshapen", "last"]);
        let out = hooks
            .filter::<FormBeforeSubmit>(&all, submission())
            .await
            .unwrap();
        assert_eq!(out.answers["trail"], "12");
        assert_eq!(out.form_id, "f");
    }

    #[tokio::test]
    async fn a_rejection_stops_the_pipeline_with_its_message() {
        let ran_after = Arc::new(Mutex::new(false));
        let flag = ran_after.clone();
        let mut hooks = Hooks::<()>::new(Duration::from_millis(200));
        hooks.on_filter::<FormBeforeSubmit>(
            "guard",
            1,
            Answering(|_| {
                Ok(FilterOutcome::Reject(
                    "Submissions from this domain are not accepted".into(),
                ))
            }),
        );
        hooks.on_filter::<FormBeforeSubmit>(
            "later",
            0,
            Answering(move |p| {
                *flag.lock().unwrap() = true;
                Ok(FilterOutcome::Continue(p))
            }),
        );
        let err = hooks
            .filter::<FormBeforeSubmit>(&active(&["guard", "later"]), submission())
            .await
            .unwrap_err();
        assert_eq!(err.app, "guard");
        assert_eq!(err.message, "Submissions from this domain are not accepted");
        assert!(!*ran_after.lock().unwrap());
    }

    struct Recording {
        seen: Arc<Mutex<Vec<String>>>,
        outcome: &'static str,
    }

    #[async_trait::async_trait]
    impl ActionHandler<()> for Recording {
        async fn act(&self, _: &(), payload: Value) -> Result<(), String> {
            match self.outcome {
                "panic" => panic!("a handler panicked"),
                "slow" => tokio::time::sleep(Duration::from_secs(60)).await,
                "fail" => return Err("the receiver said no".into()),
                _ => {}
            }
            self.seen
                .lock()
                .unwrap()
                .push(payload["response_id"].as_str().unwrap_or("").to_owned());
            Ok(())
        }
    }

    #[tokio::test]
    async fn actions_run_isolated_and_report_each_outcome() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut hooks = Hooks::<()>::new(Duration::from_millis(50));
        for (app, outcome) in [
            ("ok1", "ok"),
            ("fails", "fail"),
            ("slow", "slow"),
            ("panics", "panic"),
            ("ok2", "ok"),
        ] {
            hooks.on_action::<FormSubmitted>(
                app,
                0,
                Recording {
                    seen: seen.clone(),
                    outcome,
                },
            );
        }
        let payload = SubmittedPayload {
            form_id: "f".into(),
            form_name: "F".into(),
            response_id: "r1".into(),
            answers: Default::default(),
            route: RouteTaken {
                id: None,
                name: "Fallback".into(),
            },
            data: Default::default(),
        };
        let all = active(&["ok1", "fails", "slow", "panics", "ok2"]);
        let mut reports = hooks
            .actions::<FormSubmitted>(&all, &payload)
            .await
            .unwrap();
        reports.sort_by(|a, b| a.app.cmp(&b.app));
        let outcomes: Vec<(&str, bool)> = reports
            .iter()
            .map(|r| (r.app.as_str(), r.result.is_ok()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("fails", false),
                ("ok1", true),
                ("ok2", true),
                ("slow", false)
            ],
            "the panicking handler is logged, the others report"
        );
        assert_eq!(*seen.lock().unwrap(), ["r1", "r1"]);
    }
}
