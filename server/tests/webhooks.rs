//! Webhook delivery through the real router and worker: signatures checked by the Standard
//! Webhooks specification's Python library (`scripts/webhook-receiver.py`), the retry
//! schedule on a fake clock, 410 Gone, SSRF refusals, the outbox's atomicity, tenancy,
//! recovery after `kill -9`, and two server processes sharing the work.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use app::db::now;
use app::delivery::Delivery;
use app::delivery::schedule::{DELAYS, JITTER};
use app::services::outbox::deliver_due;
use axum::body::Body;
use common::{Client, Response, TestApp, key_for, kill_9, owner_with_form, serve};
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

/// The receiver script, run with the machine's Python and its `standardwebhooks`.
struct Receiver {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Receiver {
    fn start() -> Receiver {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut receiver = Receiver { child: None, port: 0, dir };
        receiver.spawn(0);
        receiver
    }

    fn spawn(&mut self, port: u16) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/webhook-receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--secrets")
            .arg(self.dir.path().join("secrets"))
            .arg("--log")
            .arg(self.log())
            .arg("--port")
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the receiver starts");
        self.port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not start (is standardwebhooks installed?): {line}"));
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The secrets the receiver verifies with, from now on.
    fn trust(&self, secrets: &[&str]) {
        std::fs::write(self.dir.path().join("secrets"), secrets.join("\n")).unwrap();
    }

    /// Every request the receiver got, in order.
    fn entries(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("the receiver logs JSON"))
            .collect()
    }

    /// Waits until the receiver got at least `n` requests, or fails after `seconds`.
    async fn wait_for(&self, n: usize, seconds: u64) -> Vec<Value> {
        for _ in 0..seconds * 10 {
            let entries = self.entries();
            if entries.len() >= n {
                return entries;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver got {} of {n} requests in {seconds} s", self.entries().len());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A server whose deliveries may go to loopback, as `JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1`.
async fn app() -> TestApp {
    TestApp::build(app::auth::ApiLimiter::new(0, 0), false, |state| {
        state.delivery = Arc::new(Delivery::new(true).unwrap());
    })
    .await
}

fn form() -> Value {
    json!({
        "name": "Demo request",
        "fields": [
            {"identifier": "email", "label": "Work email", "type": "email", "required": true},
            {"identifier": "size", "label": "Team size", "type": "number"},
            {"identifier": "note", "label": "Note", "type": "short_text"}
        ],
        "routes": [
            {"id": "big", "name": "Big team", "rule": {">=": [{"var": "size"}, 50]},
             "action": {"type": "message", "value": "We will call you."}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

async fn submit(app: &TestApp, form: &str, body: &str) -> Response {
    let response = app
        .send(
            Request::post(format!("/f/{form}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await;
    assert!(response.status == StatusCode::SEE_OTHER || response.status == StatusCode::OK, "{}: {}", response.status, response.body);
    response
}

/// An owner with the demo form and an API key.
async fn owner<'a>(app: &'a TestApp, email: &str) -> (Client<'a>, String) {
    let (cookie, form) = owner_with_form(app, email, &form()).await;
    let key = key_for(app, &cookie).await;
    (Client { app, key: Some(key) }, form)
}

async fn add_endpoint(api: &Client<'_>, body: Value) -> Value {
    let created = api.send(Method::POST, "/webhooks", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.json()
}

async fn deliveries(api: &Client<'_>, endpoint: &str) -> Vec<Value> {
    let page = api.get(&format!("/webhooks/{endpoint}/deliveries")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.json()["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn deliveries_are_signed_as_the_standard_webhooks_library_expects() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "signed@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    let id = endpoint["id"].as_str().unwrap().to_owned();
    let secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() >= "whsec_".len() + 32, "{secret}");
    assert_eq!(endpoint["events"], json!(["form.submitted"]));
    receiver.trust(&[&secret]);

    // The secret is returned that once.
    let read = api.get(&format!("/webhooks/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.body.contains(&secret) && read.json().get("secret").is_none(), "{}", read.body);
    let listed = api.get("/webhooks").await;
    assert!(!listed.body.contains(&secret));

    submit(&app, &form, "email=ada%40example.com&size=80").await;
    assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 1);
    let entries = receiver.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let got = &entries[0];
    assert_eq!(got["verified"], true, "{got}");
    let body = &got["body"];
    assert_eq!(body["type"], "form.submitted");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");
    let data = &body["data"];
    assert_eq!(data["form_id"], form.as_str());
    assert_eq!(data["form_name"], "Demo request");
    assert_eq!(data["answers"]["email"], json!({"label": "Work email", "value": "ada@example.com"}));
    assert_eq!(data["answers"]["size"]["label"], "Team size");
    assert_eq!(data["route"]["id"], "big");
    assert_eq!(data["route"]["name"], "Big team");
    assert!(got["id"].as_str().unwrap().starts_with("msg_"));

    // The log has it, delivered at the first attempt, under the same event id.
    let log = deliveries(&api, &id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["event_id"], got["id"]);
    assert_eq!(log[0]["attempts"][0]["status"], 204);
    assert_eq!(data["response_id"], log[0]["body"]["data"]["response_id"]);

    // After a rotation both secrets sign for a day: receivers holding either verify.
    let rotated = api.send(Method::POST, &format!("/webhooks/{id}/rotate-secret"), None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.body);
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated.json()["old_secret_until"].as_i64().unwrap() > now() + 23 * 3600);
    for trusted in [&secret, &new_secret] {
        receiver.trust(&[trusted]);
        let test = api.send(Method::POST, &format!("/webhooks/{id}/test"), None).await;
        assert_eq!(test.status, StatusCode::ACCEPTED, "{}", test.body);
        assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 1);
        let last = receiver.entries().pop().unwrap();
        assert_eq!(last["verified"], true, "{last}");
        assert_eq!(last["body"]["type"], "webhook.test");
    }

    // A secret that is not the endpoint's does not verify (the check can fail), and the
    // receiver's 401 leaves the delivery pending a retry.
    receiver.trust(&["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);
    api.send(Method::POST, &format!("/webhooks/{id}/test"), None).await;
    deliver_due(&app.state, now()).await.unwrap();
    let last = receiver.entries().pop().unwrap();
    assert_eq!(last["verified"], false, "{last}");
    let log = deliveries(&api, &id).await;
    assert_eq!(log[0]["state"], "pending");
    assert_eq!(log[0]["last_status"], 401);
}

#[tokio::test]
async fn failures_are_retried_on_the_schedule_then_failed() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "retries@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/status/503"), "events": ["form.submitted"]})).await;
    let id = endpoint["id"].as_str().unwrap();
    submit(&app, &form, "email=ada%40example.com").await;

    // A clock of the test's own: each attempt happens when the last one said it was due.
    let mut clock = now();
    for (failure, delay) in DELAYS.into_iter().enumerate() {
        assert_eq!(deliver_due(&app.state, clock).await.unwrap(), 1, "attempt {}", failure + 1);
        let log = deliveries(&api, id).await;
        let delivery = &log[0];
        assert_eq!(delivery["state"], "pending", "{delivery}");
        assert_eq!(delivery["attempts"].as_array().unwrap().len(), failure + 1);
        assert_eq!(delivery["last_status"], 503);
        let next = delivery["next_attempt_at"].as_i64().unwrap();
        let most = delay + (delay as f64 * JITTER).ceil() as i64;
        assert!((clock + delay..=clock + most).contains(&next), "retry {failure}: {next} - {clock} not in {delay}..={most}");
        // Nothing is due a second before.
        assert_eq!(deliver_due(&app.state, next - 1).await.unwrap(), 0);
        clock = next;
    }
    assert_eq!(deliver_due(&app.state, clock).await.unwrap(), 1);
    let delivery = &deliveries(&api, id).await[0];
    assert_eq!(delivery["state"], "failed");
    assert_eq!(delivery["attempts"].as_array().unwrap().len(), DELAYS.len() + 1);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    assert_eq!(receiver.entries().len(), DELAYS.len() + 1);
    assert_eq!(deliver_due(&app.state, clock + 100 * 24 * 3600).await.unwrap(), 0);

    // The owner sends it again from the log: at once, with the same event id.
    let event_id = delivery["event_id"].clone();
    let again = api
        .send(Method::POST, &format!("/webhooks/{id}/deliveries/{}/redeliver", delivery["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 1);
    assert_eq!(receiver.entries().pop().unwrap()["id"], event_id);
}

#[tokio::test]
async fn retry_after_is_honoured_and_410_switches_the_endpoint_off() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "gone@example.com").await;
    let slow = add_endpoint(&api, json!({"url": receiver.url("/status/429?retry_after=120"), "events": ["form.submitted"]})).await;
    let gone = add_endpoint(&api, json!({"url": receiver.url("/status/410"), "events": ["form.submitted"]})).await;
    submit(&app, &form, "email=ada%40example.com").await;
    submit(&app, &form, "email=bob%40example.com").await;
    let at = now();
    assert_eq!(deliver_due(&app.state, at).await.unwrap(), 4);

    let asked = deliveries(&api, slow["id"].as_str().unwrap()).await;
    for delivery in &asked {
        assert_eq!(delivery["last_status"], 429);
        let next = delivery["next_attempt_at"].as_i64().unwrap();
        assert!((at + 120..=at + 121).contains(&next), "Retry-After 120 gave {}", next - at);
    }

    let gone_id = gone["id"].as_str().unwrap();
    let endpoint = api.get(&format!("/webhooks/{gone_id}")).await.json();
    assert!(endpoint["disabled_reason"].as_str().unwrap().contains("410 Gone"), "{endpoint}");
    for delivery in deliveries(&api, gone_id).await {
        assert_eq!(delivery["state"], "failed", "{delivery}");
    }
    // The owner hears of it in the app's activity log.
    let user = user_of(&app, "gone@example.com").await;
    let installations = app::db::apps::installations_of(&app.db, user).await.unwrap();
    let webhooks = installations.iter().find(|i| i.app == "webhooks").expect("the Webhooks app was installed");
    assert!(webhooks.active, "adding an endpoint switched the app on");
    let log = app::db::apps::audit_log(&app.db, &webhooks.id, user, 50).await.unwrap();
    assert!(log.iter().any(|(event, detail, _)| event == "endpoint switched off" && detail.contains("410")), "{log:?}");

    // A switched-off endpoint gets no new events, and cannot be sent a test.
    submit(&app, &form, "email=cy%40example.com").await;
    assert_eq!(deliveries(&api, gone_id).await.len(), 2);
    let test = api.send(Method::POST, &format!("/webhooks/{gone_id}/test"), None).await;
    assert_eq!(test.status, StatusCode::CONFLICT, "{}", test.body);
    // Switching it on again clears the reason.
    let on = api.send(Method::PATCH, &format!("/webhooks/{gone_id}"), Some(json!({"active": true}))).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    assert_eq!(on.json()["disabled_reason"], Value::Null);
}

async fn user_of(app: &TestApp, email: &str) -> i64 {
    app::db::users::find_by_email(&app.db, email)
        .await
        .unwrap()
        .expect("the user exists")
        .user
        .id
}

#[tokio::test]
async fn private_addresses_are_refused_unless_the_operator_allows_them() {
    // The default: JUNCTION_ALLOW_PRIVATE_WEBHOOKS is not set.
    let app = TestApp::build(app::auth::ApiLimiter::new(0, 0), false, |state| {
        state.delivery = Arc::new(Delivery::new(false).unwrap());
    })
    .await;
    let (api, _) = owner(&app, "ssrf@example.com").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let refused = api.send(Method::POST, "/webhooks", Some(json!({"url": url, "events": ["form.submitted"]}))).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {}", refused.body);
        let error = refused.json();
        assert!(error["errors"]["url"][0].as_str().is_some_and(|m| !m.is_empty()), "{url}: {error}");
    }
    let bad_event = api.send(Method::POST, "/webhooks", Some(json!({"url": "https://example.com/h", "events": ["form.exploded"]}))).await;
    assert_eq!(bad_event.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_event.body.contains("form.exploded"), "{}", bad_event.body);
    assert_eq!(api.get("/webhooks").await.json()["endpoints"], json!([]));
}

#[tokio::test]
async fn another_users_endpoints_and_deliveries_are_not_found() {
    let app = app().await;
    let receiver = Receiver::start();
    let (alice, form) = owner(&app, "alice@example.com").await;
    let (bob, _) = owner(&app, "bob@example.com").await;
    let endpoint = add_endpoint(&alice, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    let id = endpoint["id"].as_str().unwrap();
    submit(&app, &form, "email=ada%40example.com").await;
    let delivery = deliveries(&alice, id).await[0]["id"].as_str().unwrap().to_owned();

    let attempts = [
        (Method::GET, format!("/webhooks/{id}"), None),
        (Method::PATCH, format!("/webhooks/{id}"), Some(json!({"active": false}))),
        (Method::POST, format!("/webhooks/{id}/rotate-secret"), None),
        (Method::POST, format!("/webhooks/{id}/test"), None),
        (Method::GET, format!("/webhooks/{id}/deliveries"), None),
        (Method::POST, format!("/webhooks/{id}/deliveries/{delivery}/redeliver"), None),
        (Method::DELETE, format!("/webhooks/{id}"), None),
    ];
    for (method, path, body) in attempts {
        let answer = bob.send(method.clone(), &path, body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {}", answer.body);
    }
    assert_eq!(bob.get("/webhooks").await.json()["endpoints"], json!([]));
    // Bob cannot limit an endpoint to Alice's form either.
    let theirs = bob
        .send(Method::POST, "/webhooks", Some(json!({"url": receiver.url("/hook"), "events": ["form.submitted"], "form_id": form})))
        .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", theirs.body);
    // Alice's endpoint is untouched, and a delivery id from elsewhere is not hers.
    let still = alice.get(&format!("/webhooks/{id}")).await;
    assert_eq!(still.status, StatusCode::OK);
    assert_eq!(still.json()["active"], true);
    let unknown = alice.send(Method::POST, &format!("/webhooks/{id}/deliveries/nope/redeliver"), None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // Without a key: 401.
    let anonymous = Client { app: &app, key: None };
    assert_eq!(anonymous.get("/webhooks").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn endpoints_take_only_their_events_and_form() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "filters@example.com").await;
    let no_body = api.send(Method::POST, "/webhooks", None).await;
    assert!(no_body.status.is_client_error(), "{}", no_body.body);
    let mine = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"], "form_id": form})).await;
    let fallback = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["routing.fallbackHit"]})).await;
    // Size 80 takes a route: no fallback event. No size: the fallback.
    submit(&app, &form, "email=ada%40example.com&size=80").await;
    submit(&app, &form, "email=bob%40example.com").await;
    assert_eq!(deliveries(&api, mine["id"].as_str().unwrap()).await.len(), 2);
    let fell = deliveries(&api, fallback["id"].as_str().unwrap()).await;
    assert_eq!(fell.len(), 1);
    assert_eq!(fell[0]["event"], "routing.fallbackHit");
    // Switched off, an endpoint gets nothing new; deleted, its log goes with it.
    let off = api.send(Method::PATCH, &format!("/webhooks/{}", mine["id"].as_str().unwrap()), Some(json!({"active": false}))).await;
    assert_eq!(off.status, StatusCode::OK);
    submit(&app, &form, "email=cy%40example.com&size=90").await;
    assert_eq!(deliveries(&api, mine["id"].as_str().unwrap()).await.len(), 2);
    let deleted = api.send(Method::DELETE, &format!("/webhooks/{}", fallback["id"].as_str().unwrap()), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/webhooks/{}/deliveries", fallback["id"].as_str().unwrap())).await.status, StatusCode::NOT_FOUND);
}

/// A failure late in the submission's transaction (here the second outbox row, refused
/// by a trigger) leaves neither the response nor any event.
#[tokio::test]
async fn a_failed_transaction_emits_nothing() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "atomic@example.com").await;
    add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    let pool = app.db.pool();
    let postgres = app.database_url().as_str().starts_with("postgres");
    let setup: &[&str] = if postgres {
        &[
            "CREATE FUNCTION refuse_second() RETURNS trigger AS $$ BEGIN IF (SELECT COUNT(*) FROM outbox) >= 1 THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_second BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_second()",
        ]
    } else {
        &["CREATE TRIGGER refuse_second BEFORE INSERT ON outbox WHEN (SELECT COUNT(*) FROM outbox) >= 1 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"]
    };
    for sql in setup {
        sqlx::query(sqlx::AssertSqlSafe(*sql)).execute(pool).await.unwrap();
    }
    let db = app.db.clone();
    let count = |table: &'static str| {
        let db = db.clone();
        async move {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).fetch_one(db.pool()).await.unwrap()
        }
    };
    let failed = app
        .send(
            Request::post(format!("/f/{form}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("email=ada%40example.com"))
                .unwrap(),
        )
        .await;
    assert!(failed.status.is_server_error(), "{}: {}", failed.status, failed.body);
    assert_eq!(count("responses").await, 0, "the response was rolled back");
    assert_eq!(count("outbox").await, 0, "no event escaped the failed transaction");
    assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 0);
    assert!(receiver.entries().is_empty());

    let drop = if postgres { "DROP TRIGGER refuse_second ON outbox" } else { "DROP TRIGGER refuse_second" };
    sqlx::query(drop).execute(pool).await.unwrap();
    submit(&app, &form, "email=ada%40example.com").await;
    assert_eq!(count("responses").await, 1);
    assert_eq!(count("outbox").await, 2);
}

async fn states(app: &TestApp) -> HashMap<String, (String, i64)> {
    sqlx::query_as::<_, (String, String, i64)>("SELECT event_id, state, attempts FROM outbox")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(id, state, attempts)| (id, (state, attempts)))
        .collect()
}

#[tokio::test]
async fn an_event_survives_kill_9_and_arrives_once_the_server_is_back() {
    let app = app().await;
    let mut receiver = Receiver::start();
    let (api, form) = owner(&app, "crash@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    let port = receiver.port;
    receiver.stop(); // the receiver is down

    // Committed with no worker running: as if the server died right after the commit.
    submit(&app, &form, "email=ada%40example.com").await;
    let event = states(&app).await.into_keys().next().expect("the event is in the outbox");

    // A server tries, fails (connection refused), and is killed.
    let first = serve(&app).0;
    let mut tried = false;
    for _ in 0..300 {
        if states(&app).await[&event].1 >= 1 {
            tried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tried, "the first server attempted the delivery");
    kill_9(first);
    assert_eq!(states(&app).await[&event].0, "pending");

    // The receiver and a new server come up: the event arrives, with its id.
    receiver.spawn(port);
    let second = serve(&app).0;
    let entries = receiver.wait_for(1, 30).await;
    // The server records the attempt once the receiver has answered.
    let mut recorded = false;
    for _ in 0..100 {
        if states(&app).await[&event].0 == "delivered" {
            recorded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kill_9(second);
    assert!(entries.iter().all(|e| e["id"] == event.as_str() && e["verified"] == true), "{entries:?}");
    assert!(recorded, "the second server recorded the delivery");
}

/// Killed mid-send, a worker leaves its claimed rows locked: another worker takes them
/// once the lease ends (not before, so a slow send is not doubled), and delivers them with
/// the same event id, so a receiver that got the first try too can de-duplicate.
#[tokio::test]
async fn events_a_dead_worker_claimed_are_delivered_once_its_lease_ends() {
    use app::services::outbox::{BATCH, LEASE_SECONDS};
    let app = app().await;
    let receiver = Receiver::start();
    let (api, form) = owner(&app, "lease@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    submit(&app, &form, "email=ada%40example.com").await;
    let at = now();
    // What a worker does before it sends; then it dies, recording nothing.
    let claimed = app::db::outbox::claim(&app.db, at, at + LEASE_SECONDS, BATCH).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(deliver_due(&app.state, at).await.unwrap(), 0, "the lease holds the row");
    assert_eq!(deliver_due(&app.state, at + LEASE_SECONDS - 1).await.unwrap(), 0);
    assert_eq!(deliver_due(&app.state, at + LEASE_SECONDS).await.unwrap(), 1);
    let entries = receiver.wait_for(1, 5).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["id"], claimed[0].event_id.as_str());
    assert_eq!(entries[0]["verified"], true, "{}", entries[0]);
    assert_eq!(deliveries(&api, endpoint["id"].as_str().unwrap()).await[0]["state"], "delivered");
}

#[tokio::test]
async fn two_servers_deliver_each_of_500_events_exactly_once() {
    const EVENTS: usize = 500;
    let app = app().await;
    let receiver = Receiver::start();
    let (api, _) = owner(&app, "shared@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["form.submitted"]})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    let user = user_of(&app, "shared@example.com").await;
    let at = now();
    for n in 0..EVENTS {
        let event_id = app::services::outbox::event_id();
        let body = app::services::outbox::body("form.submitted", at, &json!({"n": n}));
        app::db::outbox::insert_delivery(
            app.db.pool(),
            &app::db::outbox::NewDelivery {
                event_id,
                user_id: user,
                channel: "webhook",
                target: endpoint["id"].as_str().unwrap().to_owned(),
                event: "form.submitted",
                body,
                created_at: at,
            },
        )
        .await
        .unwrap();
    }
    let (one, two) = (serve(&app).0, serve(&app).0);
    receiver.wait_for(EVENTS, 120).await;
    // Anything sent twice would arrive within the next moments.
    tokio::time::sleep(Duration::from_secs(2)).await;
    kill_9(one);
    kill_9(two);
    let entries = receiver.entries();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for entry in &entries {
        assert_eq!(entry["verified"], true, "{entry}");
        *seen.entry(entry["id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert_eq!(entries.len(), EVENTS, "{} requests for {EVENTS} events", entries.len());
    assert_eq!(seen.len(), EVENTS);
    let states = states(&app).await;
    assert!(states.values().all(|(state, attempts)| state == "delivered" && *attempts == 1), "{states:?}");
}

const SCRIPT: &str = "</title></textarea></pre><script>alert(1)</script>";

/// The form's name, a respondent's answer (in the delivery's body) and the URL an owner
/// typed are shown as text on the endpoints page and the delivery log.
#[tokio::test]
async fn hostile_strings_on_the_webhook_pages_are_text() {
    let app = app().await;
    let receiver = Receiver::start();
    let mut definition = form();
    definition["name"] = json!(SCRIPT);
    let (cookie, form) = owner_with_form(&app, "pages@example.com", &definition).await;
    let api = Client { app: &app, key: Some(key_for(&app, &cookie).await) };
    let url = format!("{}?q=\"><script>alert(1)</script>", receiver.url("/hook"));
    let endpoint = add_endpoint(&api, json!({"url": url, "events": ["form.submitted"], "form_id": form})).await;
    let id = endpoint["id"].as_str().unwrap();
    submit(&app, &form, &format!("email=ada%40example.com&note={}", common::encode(SCRIPT))).await;
    deliver_due(&app.state, now()).await.unwrap();
    for path in ["/webhooks".to_owned(), format!("/webhooks/{id}")] {
        let page = app.get(&path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let lower = page.body.to_ascii_lowercase();
        for needle in ["<script>alert", "</title><script", "</textarea><script", "</pre><script"] {
            assert!(!lower.contains(needle), "{path}: `{needle}` reached the HTML:\n{}", page.body);
        }
        assert!(!page.body.contains(endpoint["secret"].as_str().unwrap()), "{path} shows the secret");
    }
    let log = app.get(&format!("/webhooks/{id}"), Some(&cookie)).await;
    assert!(log.body.contains("form.submitted"), "{}", log.body);
    // Another user's log is not found.
    let other = app.sign_up("other-pages@example.com", "correct horse battery").await;
    let theirs = app.get(&format!("/webhooks/{id}"), Some(&other)).await;
    assert!(theirs.body.contains("data-test=\"error-page\""), "{}", theirs.body);
    assert!(!theirs.body.contains("form.submitted"));
}

/// Form and app lifecycle events reach the endpoints that take them, written in the
/// transaction of the change.
#[tokio::test]
async fn form_and_app_changes_are_sent_too() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, _) = owner(&app, "lifecycle@example.com").await;
    let events = ["form.created", "form.updated", "form.deleted", "app.deactivated", "app.activated"];
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": events})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    let created = api.send(Method::POST, "/forms", Some(form())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let form_id = created.json()["id"].as_str().unwrap().to_owned();
    let mut renamed = form();
    renamed["name"] = json!("Renamed");
    let saved = api.send(Method::PUT, &format!("/forms/{form_id}"), Some(renamed)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let deleted = api.send(Method::DELETE, &format!("/forms/{form_id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    // Switching the Webhooks app off sends its own deactivation (the last event while on).
    let user = user_of(&app, "lifecycle@example.com").await;
    let installation = app::db::apps::installations_of(&app.db, user).await.unwrap()[0].id.clone();
    let session = app::services::accounts::find_by_id(&app.db, user).await.unwrap().unwrap().user;
    app::services::apps::set_active(&app.state, &session, &installation, false).await.unwrap();
    let created_again = api.send(Method::POST, "/forms", Some(form())).await;
    assert_eq!(created_again.status, StatusCode::CREATED);
    app::services::apps::set_active(&app.state, &session, &installation, true).await.unwrap();

    deliver_due(&app.state, now()).await.unwrap();
    let got: Vec<(String, Value)> = receiver
        .entries()
        .into_iter()
        .map(|e| {
            assert_eq!(e["verified"], true, "{e}");
            (e["body"]["type"].as_str().unwrap().to_owned(), e["body"]["data"].clone())
        })
        .collect();
    let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    let mut sorted = types.clone();
    sorted.sort_unstable();
    // Nothing while the app was off: neither its deactivation nor the second form.
    assert_eq!(sorted, ["app.activated", "form.created", "form.deleted", "form.updated"], "{got:?}");
    let by_type: HashMap<&str, &Value> = got.iter().map(|(t, d)| (t.as_str(), d)).collect();
    assert_eq!(by_type["form.created"]["form_id"], form_id.as_str());
    assert_eq!(by_type["form.created"]["name"], "Demo request");
    assert_eq!(by_type["form.updated"]["name"], "Renamed");
    assert_eq!(by_type["form.deleted"]["form_id"], form_id.as_str());
    assert_eq!(by_type["app.activated"]["app"], "webhooks");
    assert_eq!(by_type["app.activated"]["installation_id"], installation.as_str());
}

#[tokio::test]
async fn a_log_in_is_sent_to_the_users_own_endpoints() {
    let app = app().await;
    let receiver = Receiver::start();
    let (api, _) = owner(&app, "login@example.com").await;
    let (_other, _) = owner(&app, "someone-else@example.com").await;
    let endpoint = add_endpoint(&api, json!({"url": receiver.url("/hook"), "events": ["user.loggedIn"]})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    app.log_in("someone-else@example.com", "correct horse battery").await;
    app.log_in("login@example.com", "correct horse battery").await;
    deliver_due(&app.state, now()).await.unwrap();
    let entries = receiver.entries();
    assert_eq!(entries.len(), 1, "only the endpoint's own user's log-in: {entries:?}");
    assert_eq!(entries[0]["body"]["type"], "user.loggedIn");
    assert_eq!(entries[0]["body"]["data"]["email"], "login@example.com");
    assert_eq!(entries[0]["verified"], true);
}

/// Accounts are the site's business: `user.created` goes to the administrators' endpoints,
/// written with the account, and to no one else's.
#[tokio::test]
async fn sign_ups_are_sent_to_the_administrators_endpoints() {
    let app = app().await;
    let receiver = Receiver::start();
    let (admin, _) = owner(&app, "admin@example.com").await;
    app::services::accounts::create_admin(&app.db, "admin@example.com", "correct horse battery")
        .await
        .expect("the account becomes an administrator");
    let (user, _) = owner(&app, "user@example.com").await;
    let endpoint = add_endpoint(&admin, json!({"url": receiver.url("/admin"), "events": ["user.created"]})).await;
    add_endpoint(&user, json!({"url": receiver.url("/user"), "events": ["user.created"]})).await;
    receiver.trust(&[endpoint["secret"].as_str().unwrap()]);
    app.sign_up("new@example.com", "correct horse battery").await;
    deliver_due(&app.state, now()).await.unwrap();
    let entries = receiver.entries();
    assert_eq!(entries.len(), 1, "only the administrator's endpoint: {entries:?}");
    assert_eq!(entries[0]["path"], "/admin", "{}", entries[0]);
    assert_eq!(entries[0]["body"]["type"], "user.created");
    assert_eq!(entries[0]["body"]["data"]["email"], "new@example.com");
    assert_eq!(entries[0]["verified"], true);
}
