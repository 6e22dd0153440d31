//! The Email notifications app end to end: a submission becomes an e-mail that an SMTP
//! server written independently of lettre (aiosmtpd, `scripts/smtp-receiver.py`) receives
//! and logs; refusals for now are retried on the schedule and permanent ones end at once;
//! the password is stored sealed and never shown; hostile strings stay text, in the
//! message's headers and on the installation's page.

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use app::db::now;
use app::delivery::Delivery;
use app::services::outbox::deliver_due;
use axum::body::Body;
use common::{Client, TestApp, install_off, install_on, key_for, owner_with_form};
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

const SLUG: &str = "email-notifications";
const PASSWORD: &str = "s3cret-smtp-Pässword";

/// The receiver script, run with the machine's Python and its `aiosmtpd`.
struct Receiver {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
    /// Whether it asks clients to sign in (`--user`).
    auth: bool,
}

impl Receiver {
    fn start(args: &[&str]) -> Receiver {
        let dir = tempfile::tempdir().expect("temporary directory");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/smtp-receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg("--log")
            .arg(dir.path().join("log"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the receiver starts");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the receiver did not start (is aiosmtpd installed?): {line}"));
        Receiver { child, port, dir, auth: args.contains(&"--user") }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("log")
    }

    /// Every message the receiver accepted, in order.
    fn messages(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("the receiver logs JSON"))
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server whose deliveries may go to loopback, as `JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1`.
async fn app() -> TestApp {
    TestApp::build(app::auth::ApiLimiter::new(0, 0), false, |state| {
        state.delivery = Arc::new(Delivery::new(true).unwrap());
    })
    .await
}

fn form(name: &str) -> Value {
    json!({
        "name": name,
        "fields": [
            {"identifier": "email", "label": "Work email", "type": "email", "required": true},
            {"identifier": "size", "label": "Team size", "type": "number"},
            {"identifier": "note", "label": "Note", "type": "long_text"}
        ],
        "routes": [
            {"id": "big", "name": "Big team", "rule": {">=": [{"var": "size"}, 50]},
             "action": {"type": "message", "value": "We will call you."}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

struct Owner<'a> {
    api: Client<'a>,
    cookie: String,
    form: String,
    installation: String,
}

/// An owner with a form named `form_name` and the app installed,
/// configured with `settings` (the SMTP password included), then switched on.
async fn owner<'a>(app: &'a TestApp, email: &str, form_name: &str, settings: Value) -> Owner<'a> {
    let (cookie, form) = owner_with_form(app, email, &form(form_name)).await;
    let api = Client { app, key: Some(key_for(app, &cookie).await) };
    let installation = install_off(app, email, SLUG).await;
    let saved = api.send(Method::PUT, &format!("/installations/{installation}/config"), Some(settings)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let on = api.send(Method::POST, &format!("/installations/{installation}/activate"), None).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    Owner { api, cookie, form, installation }
}

fn settings(receiver: &Receiver) -> Value {
    json!({
        "to": "sales@example.com, ops@example.com",
        "from": "forms@example.com",
        "host": "127.0.0.1",
        "port": receiver.port,
        "security": "none",
        "username": if receiver.auth { "junction" } else { "" },
        "password": PASSWORD,
    })
}

async fn submit(app: &TestApp, form: &str, body: &str) {
    let response = app
        .send(
            Request::post(format!("/f/{form}"))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await;
    assert!(response.status == StatusCode::SEE_OTHER || response.status == StatusCode::OK, "{}: {}", response.status, response.body);
}

async fn emails(owner: &Owner<'_>) -> Vec<Value> {
    let page = owner.api.get(&format!("/installations/{}/deliveries", owner.installation)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.json()["deliveries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_submission_is_emailed_through_the_owners_smtp_server() {
    let app = app().await;
    let receiver = Receiver::start(&["--user", "junction", "--password", PASSWORD]);
    let owner = owner(&app, "mail@example.com", "Demo request", settings(&receiver)).await;
    submit(&app, &owner.form, "email=ada%40example.com&size=120&note=First+line%0D%0ASecond+line").await;
    assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 1);

    let messages = receiver.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    // Logged in with the password the owner saved, opened from its sealed form.
    assert_eq!(message["login"], "junction");
    assert_eq!(message["password"], PASSWORD);
    assert_eq!(message["mail_from"], "forms@example.com");
    assert_eq!(message["rcpt_tos"], json!(["sales@example.com", "ops@example.com"]));
    assert_eq!(message["subject"], "New response to Demo request");
    let text = message["text"].as_str().unwrap().replace("\r\n", "\n");
    for line in ["Your form \"Demo request\" has a new response.", "Work email: ada@example.com", "Team size: 120", "Note: First line\n    Second line", "Route: Big team"] {
        assert!(text.contains(line), "`{line}` is not in:\n{text}");
    }

    let logged = emails(&owner).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["state"], "delivered", "{}", logged[0]);
    assert_eq!(logged[0]["event"], "form.submitted");
    assert_eq!(logged[0]["last_status"], 250);
    assert_eq!(logged[0]["attempts"][0]["status"], 250);

    // The password is never shown again, and is not stored as typed.
    let shown = owner.api.get(&format!("/installations/{}", owner.installation)).await;
    assert!(!shown.body.contains(PASSWORD), "{}", shown.body);
    assert!(shown.json()["secrets_set"].as_array().unwrap().contains(&json!("password")), "{}", shown.body);
    let stored = app::db::apps::find_installation(&app.db, &owner.installation, shown_owner(&app, "mail@example.com").await)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.config.contains(PASSWORD), "{}", stored.config);
    let page = app.get(&format!("/apps/installed/{}", owner.installation), Some(&owner.cookie)).await;
    assert!(!page.body.contains(PASSWORD), "the installation page shows the password");

    // Sent again on request, and a test e-mail too.
    let id = logged[0]["id"].as_str().unwrap();
    let again = owner.api.send(Method::POST, &format!("/installations/{}/deliveries/{id}/redeliver", owner.installation), None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    let user = app::services::accounts::find_by_email(&app.db, "mail@example.com").await.unwrap().unwrap().user;
    app::services::email::send_test(&app.state, &user, &owner.installation).await.unwrap();
    assert_eq!(deliver_due(&app.state, now()).await.unwrap(), 2);
    let subjects: Vec<Value> = receiver.messages().iter().map(|m| m["subject"].clone()).collect();
    assert_eq!(subjects.len(), 3);
    assert!(subjects.contains(&json!("A test e-mail from Junction")), "{subjects:?}");
}

async fn shown_owner(app: &TestApp, email: &str) -> i64 {
    app::services::accounts::find_by_email(&app.db, email).await.unwrap().unwrap().user.id
}

#[tokio::test]
async fn the_owner_gets_it_when_no_addresses_are_listed() {
    let app = app().await;
    let receiver = Receiver::start(&[]);
    let mut settings = settings(&receiver);
    settings["to"] = json!("");
    let owner = owner(&app, "me@example.com", "Demo request", settings).await;
    submit(&app, &owner.form, "email=ada%40example.com&size=3").await;
    deliver_due(&app.state, now()).await.unwrap();
    let messages = receiver.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["me@example.com"]));
    assert_eq!(messages[0]["login"], Value::Null);
    assert!(messages[0]["text"].as_str().unwrap().contains("Route: Fallback"), "{}", messages[0]);
}

#[tokio::test]
async fn a_username_for_a_server_that_offers_no_sign_in_is_named_as_the_problem() {
    let app = app().await;
    let receiver = Receiver::start(&[]);
    let mut settings = settings(&receiver);
    settings["username"] = json!("junction");
    let owner = owner(&app, "nosignin@example.com", "Demo request", settings).await;
    submit(&app, &owner.form, "email=ada%40example.com").await;
    deliver_due(&app.state, now()).await.unwrap();
    let logged = emails(&owner).await;
    let error = logged[0]["last_error"].as_str().unwrap();
    assert!(error.contains("offers no sign-in") && error.contains("clear the username"), "{error}");
    assert!(receiver.messages().is_empty());
}

#[tokio::test]
async fn a_refusal_for_now_is_retried_and_a_permanent_one_ends_at_once() {
    let app = app().await;
    let busy = Receiver::start(&["--reject", "451"]);
    let owner = owner(&app, "busy@example.com", "Demo request", settings(&busy)).await;
    submit(&app, &owner.form, "email=ada%40example.com").await;
    let at = now();
    deliver_due(&app.state, at).await.unwrap();
    let logged = emails(&owner).await;
    assert_eq!(logged[0]["state"], "pending", "{}", logged[0]);
    assert_eq!(logged[0]["last_status"], 451, "{}", logged[0]);
    let next = logged[0]["next_attempt_at"].as_i64().unwrap();
    assert!((at + 5..=at + 6).contains(&next), "the first retry comes after 5 s: {next} - {at}");
    // Nothing is due before then.
    assert_eq!(deliver_due(&app.state, at + 4).await.unwrap(), 0);

    // The server now refuses for good: the e-mail fails at once with its reason.
    let refusing = Receiver::start(&["--reject", "550"]);
    let mut changed = settings(&refusing);
    changed.as_object_mut().unwrap().remove("password"); // kept as stored
    let saved = owner.api.send(Method::PUT, &format!("/installations/{}/config", owner.installation), Some(changed)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the running apps are cached a second
    deliver_due(&app.state, next).await.unwrap();
    let logged = emails(&owner).await;
    assert_eq!(logged[0]["state"], "failed", "{}", logged[0]);
    assert_eq!(logged[0]["last_status"], 550);
    assert!(logged[0]["last_error"].as_str().unwrap().contains("Refused by the test receiver"), "{}", logged[0]);
    assert_eq!(logged[0]["attempts"].as_array().unwrap().len(), 2);
    assert!(busy.messages().is_empty() && refusing.messages().is_empty());
}

#[tokio::test]
async fn a_wrong_password_is_refused_for_good_and_says_so() {
    let app = app().await;
    let receiver = Receiver::start(&["--user", "junction", "--password", "another one"]);
    let owner = owner(&app, "wrong@example.com", "Demo request", settings(&receiver)).await;
    submit(&app, &owner.form, "email=ada%40example.com").await;
    deliver_due(&app.state, now()).await.unwrap();
    let logged = emails(&owner).await;
    assert_eq!(logged[0]["state"], "failed", "{}", logged[0]);
    assert_eq!(logged[0]["last_status"], 535, "{}", logged[0]);
    let error = logged[0]["last_error"].as_str().unwrap();
    assert!(!error.contains(PASSWORD), "{error}");
    assert!(receiver.messages().is_empty());
}

#[tokio::test]
async fn settings_no_email_could_be_sent_with_are_refused_by_name() {
    let app = app().await;
    let receiver = Receiver::start(&[]);
    let owner = owner(&app, "settings@example.com", "Demo request", settings(&receiver)).await;
    let put = |body: Value| {
        let path = format!("/installations/{}/config", owner.installation);
        let api = &owner.api;
        async move { api.send(Method::PUT, &path, Some(body)).await }
    };
    let mut bad = settings(&receiver);
    bad["host"] = json!("smtp example.com");
    let refused = put(bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("smtp example.com"), "{}", refused.body);
    let mut bad = settings(&receiver);
    bad["to"] = json!("sales@example.com, not an address");
    let refused = put(bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("not an address"), "{}", refused.body);
    let mut bad = settings(&receiver);
    bad["port"] = json!(70000);
    let refused = put(bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    // What was stored is kept: a submission still reaches the receiver.
    submit(&app, &owner.form, "email=ada%40example.com").await;
    deliver_due(&app.state, now()).await.unwrap();
    assert_eq!(receiver.messages().len(), 1, "{:?}", emails(&owner).await);
}

/// Private SMTP servers are refused like private webhook receivers unless the operator
/// allows them; a switched-off app is sent nothing; another user's log is not found.
#[tokio::test]
async fn private_servers_switched_off_apps_and_other_users() {
    let app = TestApp::new().await; // private receivers not allowed
    let receiver = Receiver::start(&[]);
    let owner = owner(&app, "private@example.com", "Demo request", settings(&receiver)).await;
    submit(&app, &owner.form, "email=ada%40example.com").await;
    deliver_due(&app.state, now()).await.unwrap();
    let logged = emails(&owner).await;
    assert!(logged[0]["last_error"].as_str().unwrap().contains("loopback"), "{}", logged[0]);
    assert!(receiver.messages().is_empty());

    let off = owner.api.send(Method::POST, &format!("/installations/{}/deactivate", owner.installation), None).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    submit(&app, &owner.form, "email=ada%40example.com").await;
    assert_eq!(emails(&owner).await.len(), 1, "nothing is queued while the app is off");
    let again = owner
        .api
        .send(Method::POST, &format!("/installations/{}/deliveries/{}/redeliver", owner.installation, logged[0]["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    let (other_cookie, _) = owner_with_form(&app, "intruder@example.com", &form("Theirs")).await;
    let other = Client { app: &app, key: Some(key_for(&app, &other_cookie).await) };
    let path = format!("/installations/{}/deliveries", owner.installation);
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    let redeliver = format!("{path}/{}/redeliver", logged[0]["id"].as_str().unwrap());
    assert_eq!(other.send(Method::POST, &redeliver, None).await.status, StatusCode::NOT_FOUND);
    // Not a log of an app that sends e-mail: not found either.
    let webhooks = install_on(&app, "intruder@example.com", "webhooks").await;
    assert_eq!(other.get(&format!("/installations/{webhooks}/deliveries")).await.status, StatusCode::NOT_FOUND);
}

const SCRIPT: &str = "</title></textarea></pre><script>alert(1)</script>";

/// A form name with a line break cannot add headers or recipients; the form's name, an
/// answer and the settings an owner typed are text on the installation's page.
#[tokio::test]
async fn hostile_strings_stay_text_in_the_message_and_on_the_page() {
    let app = app().await;
    let receiver = Receiver::start(&[]);
    let name = format!("Leads\r\nBcc: victim@example.net\r\n{SCRIPT}");
    let settings = settings(&receiver);
    let owner = owner(&app, "hostile@example.com", "Demo request", settings).await;
    // Renamed through the API, which takes any text as a name.
    let mut renamed = form(&name);
    renamed["fields"][2]["label"] = json!(SCRIPT);
    let saved = owner.api.send(Method::PUT, &format!("/forms/{}", owner.form), Some(renamed)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    submit(&app, &owner.form, &format!("email=ada%40example.com&note={}", common::encode(SCRIPT))).await;
    deliver_due(&app.state, now()).await.unwrap();
    let messages = receiver.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["rcpt_tos"], json!(["sales@example.com", "ops@example.com"]));
    assert!(!messages[0]["headers"].as_array().unwrap().contains(&json!("Bcc")), "{}", messages[0]);
    assert!(messages[0]["subject"].as_str().unwrap().starts_with("New response to Leads"), "{}", messages[0]);

    let path = format!("/apps/installed/{}", owner.installation);
    let page = app.get(&path, Some(&owner.cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-test=\"email-log\""), "{}", page.body);
    let lower = page.body.to_ascii_lowercase();
    for needle in ["<script>alert", "</title><script", "</textarea><script", "</pre><script"] {
        assert!(!lower.contains(needle), "`{needle}` reached the HTML:\n{}", page.body);
    }
}
