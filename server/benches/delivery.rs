//! Criterion benchmarks of delivery (issue 12), on the embedded SQLite database:
//!
//! - what a respondent's submission costs with five apps' `form.submitted` action handlers
//!   and one webhook endpoint, against the same form with none (the handlers run after the
//!   commit, the endpoint's row is one more insert in the response's transaction);
//! - how many deliveries per second one worker makes to a receiver on loopback.
//!
//! `cargo bench -p server --bench delivery`

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::apps::manifest::{Manifest, Scope};
use app::apps::{App, Registrar, Registry};
use app::auth::{NewAccount, Role, SessionUser};
use app::db::now;
use app::forms::answers::RawAnswers;
use app::forms::{FormDefinition, FormRecord};
use app::hooks::FormSubmitted;
use app::hooks::runtime::ActionHandler;
use app::services::submissions::{Channel, Submission, submit};
use app::state::AppState;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

/// An app with one `form.submitted` action that does a little work, as a real one would.
struct Counter(Manifest);

struct Count;

#[async_trait::async_trait]
impl ActionHandler<app::apps::host::HostApi> for Count {
    async fn act(&self, _host: &app::apps::host::HostApi, payload: Value) -> Result<(), String> {
        std::hint::black_box(payload.to_string().len());
        Ok(())
    }
}

impl App for Counter {
    fn manifest(&self) -> &Manifest {
        &self.0
    }

    fn register(&self, hooks: &mut Registrar<'_>) {
        hooks.action::<FormSubmitted>(Count);
    }
}

fn counter(n: usize) -> Arc<dyn App> {
    let manifest = json!({
        "slug": format!("bench-counter-{n}"), "name": format!("Counter {n}"),
        "summary": "Counts submissions.", "description": "Counts submissions, for the benchmark.",
        "version": "1.0.0", "releases": [{"version": "1.0.0", "changes": "First."}],
        "publisher": "Bench", "contact": "bench@example.com", "type": "analytics",
        "categories": ["analytics"], "logo": "/apps/webhooks.svg", "junction": ">=0.1, <2",
        "permissions": ["responses:read"], "settings": [],
        "hooks": [{"hook": "form.submitted", "priority": 100}]
    });
    Arc::new(Counter(Manifest::from_json(&manifest.to_string()).expect("the bench manifest reads")))
}

struct Setup {
    state: AppState,
    user: SessionUser,
    form: FormRecord,
    _dir: tempfile::TempDir,
}

async fn setup(receivers: bool, receiver_url: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = app::db::DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("bench.db").display())).unwrap();
    let db = server::open_database(&url).await.unwrap();
    let options = server::leptos_options("127.0.0.1:0".parse().unwrap());
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut state = server::app_state(db, options, data.clone(), app::auth::ApiLimiter::new(0, 0)).unwrap();
    let mut apps = app::apps::builtin::all().unwrap();
    apps.extend((0..5).map(counter));
    let keyring = app::secrets::Keyring::load(&data).unwrap();
    state.apps = Arc::new(app::apps::running::Apps::new(Registry::new(apps).unwrap(), keyring));
    state.delivery = Arc::new(app::delivery::Delivery::new(true).unwrap());
    app::services::apps::sync_catalog(&state).await.unwrap();
    let account = NewAccount { email: "bench@example.com".into(), password: "correct horse battery".into() };
    let user = app::services::accounts::register(&state, account, Role::User).await.unwrap();
    let definition = FormDefinition::from_json(
        &json!({
            "name": "Bench",
            "fields": [
                {"identifier": "email", "label": "Email", "type": "email", "required": true},
                {"identifier": "note", "label": "Note", "type": "short_text"}
            ],
            "fallback": {"action": {"type": "message", "value": "Thanks."}}
        })
        .to_string(),
    )
    .unwrap();
    let form = app::services::forms::create(&state, user.id, definition).await.unwrap();
    if receivers {
        for n in 0..5 {
            let slug = format!("bench-counter-{n}");
            let id = app::services::apps::install(&state, &user, &slug, &[Scope::ResponsesRead], None, None).await.unwrap();
            app::services::apps::set_active(&state, &user, &id, true).await.unwrap();
        }
        let input = app::services::webhooks::EndpointInput {
            url: receiver_url.to_owned(),
            events: vec!["form.submitted".into()],
            form_id: None,
        };
        app::services::webhooks::create(&state, &user, input).await.unwrap();
    }
    Setup { state, user, form, _dir: dir }
}

/// A receiver on loopback on a thread of its own, answering 204 at once.
fn receiver() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let router = axum::Router::new()
                .route("/hook", axum::routing::post(|| async { http::StatusCode::NO_CONTENT }));
            axum::serve(listener, router).await.unwrap();
        });
    });
    format!("http://{addr}/hook")
}

fn answers() -> RawAnswers {
    [("email".to_owned(), json!("ada@example.com")), ("note".to_owned(), json!("Please call"))]
        .into_iter()
        .collect()
}

fn submission(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = receiver();
    let mut group = c.benchmark_group("submit");
    for (name, receivers) in [("no receivers", false), ("5 actions + 1 webhook", true)] {
        let setup = rt.block_on(setup(receivers, &url));
        let raw = answers();
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(async {
                    let submission = Submission {
                        channel: Channel::Api,
                        raw: &raw,
                        files: &[],
                        problems: Default::default(),
                        dry_run: false,
                        params: Default::default(),
                        client_ip: None,
                    };
                    submit(&setup.state, &setup.form, submission).await.unwrap()
                })
            })
        });
        drop(setup.user);
    }
    group.finish();
}

fn worker(c: &mut Criterion) {
    const ROWS: u64 = app::services::outbox::BATCH as u64;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = receiver();
    let setup = rt.block_on(setup(true, &url));
    let endpoint = rt
        .block_on(app::services::webhooks::list(&setup.state, &setup.user))
        .unwrap()[0]
        .id
        .clone();
    let mut group = c.benchmark_group("worker");
    group.throughput(Throughput::Elements(ROWS));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("deliver a batch of 256", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                rt.block_on(async {
                    let at = now();
                    for n in 0..ROWS {
                        let delivery = app::db::outbox::NewDelivery {
                            event_id: app::services::outbox::event_id(),
                            user_id: setup.user.id,
                            channel: "webhook",
                            target: endpoint.clone(),
                            event: "form.submitted",
                            body: app::services::outbox::body("form.submitted", at, &json!({"n": n})),
                            created_at: at,
                        };
                        app::db::outbox::insert_delivery(setup.state.db.pool(), &delivery).await.unwrap();
                    }
                    let started = Instant::now();
                    let sent = app::services::outbox::deliver_due(&setup.state, at).await.unwrap();
                    spent += started.elapsed();
                    assert_eq!(sent as u64, ROWS);
                });
            }
            spent
        })
    });
    group.finish();
}

criterion_group!(benches, submission, worker);
criterion_main!(benches);
