//! The App Store through the real router (on SQLite, and on PostgreSQL when
//! JUNCTION_TEST_DATABASE_URL names one): the lifecycle over `/api/v1`, the permissions the
//! host API enforces, and the built-in apps' effects on a public form.

mod common;

use app::apps::host::{HostError, HttpRequest};
use app::apps::manifest::Scope;
use axum::body::Body;
use common::{Client, TestApp, key_for, owner_with_form, user_with_key};
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

const ALL_SCOPES: [&str; 3] = ["responses:read", "responses:write", "config:read"];
/// What the newest spam guard asks for.
const GUARD_SCOPES: [&str; 3] = ["responses:read", "config:read", "notifications:send"];

fn contact_form() -> Value {
    json!({
        "name": "Contact",
        "fields": [
            {"identifier": "email", "label": "Email", "type": "email", "required": true},
            {"identifier": "budget", "label": "Budget", "type": "radio",
             "config": {"options": [{"value": "large", "label": "Large"}, {"value": "small", "label": "Small"}]}}
        ],
        "routes": [
            {"name": "Scored", "rule": {"==": [{"var": "budget"}, "large"]},
             "action": {"type": "external_url", "value": "https://crm.example/leads?score={score}&e={email}"}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

/// Posts `pairs` to the public form as a browser would.
async fn post_form(app: &TestApp, id: &str, pairs: &[(&str, &str)]) -> common::Response {
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", common::encode(k), common::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    app.send(
        Request::post(format!("/f/{id}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn install(client: &Client<'_>, body: Value) -> common::Response {
    client.send(Method::POST, "/installations", Some(body)).await
}

fn id_of(response: &common::Response) -> String {
    response.json()["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_goes_through_its_whole_lifecycle_over_the_api() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "owner@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };

    let catalog = client.get("/apps").await;
    assert_eq!(catalog.status, StatusCode::OK, "{}", catalog.body);
    let catalog_json = catalog.json();
    let slugs: Vec<&str> = catalog_json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    for slug in ["spam-guard", "utm-attribution", "lead-scoring"] {
        assert!(slugs.contains(&slug), "{slug} is listed");
    }
    let lead = &catalog_json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "lead-scoring")
        .unwrap()
        .clone();
    for key in ["name", "version", "type", "categories", "summary", "description", "permissions", "rating", "installs"] {
        assert!(lead.get(key).is_some(), "the catalog gives {key}");
    }
    let detail = client.get("/apps/lead-scoring").await.json();
    assert_eq!(detail["dependencies"][0]["slug"], "utm-attribution");
    assert_eq!(detail["permissions"][0]["scope"], "responses:read");
    assert!(detail["permissions"][0]["sentence"].as_str().unwrap().contains("answers"));
    assert_eq!(client.get("/apps/no-such-app").await.status, StatusCode::NOT_FOUND);

    // Consent is every permission of the app and of the dependency installed with it.
    let short = install(&client, json!({"app": "lead-scoring", "grant": ["responses:read"]})).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", short.body);
    assert!(short.body.contains("config:read, responses:write"), "{}", short.body);
    let bad_version = install(&client, json!({"app": "spam-guard", "grant": ALL_SCOPES, "version": "9.9.9"})).await;
    assert_eq!(bad_version.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_version.body.contains("no version 9.9.9; it has 1.0.0, 1.1.0, 1.2.0"), "{}", bad_version.body);

    let lead = install(&client, json!({"app": "lead-scoring", "grant": ALL_SCOPES})).await;
    assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
    let lead_id = id_of(&lead);
    assert_eq!(lead.json()["active"], false, "an installation starts switched off");
    let all = client.get("/installations").await.json();
    let mut apps: Vec<&str> = all["installations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["app"].as_str().unwrap())
        .collect();
    apps.sort_unstable();
    assert_eq!(apps, ["lead-scoring", "utm-attribution"], "the dependency came with it");
    let again = install(&client, json!({"app": "lead-scoring", "grant": ALL_SCOPES})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already installed"), "{}", again.body);

    // Required settings first, checked by key; then the app's own check of its rules.
    let path = |what: &str| format!("/installations/{lead_id}{what}");
    let early = client.send(Method::POST, &path("/activate"), None).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.body.contains("Points per answer"), "{}", early.body);
    let unknown = client
        .send(Method::PUT, &path("/config"), Some(json!({"points": "x"})))
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body.contains("no setting \\\"points\\\""), "{}", unknown.body);
    let unreadable = client
        .send(Method::PUT, &path("/config"), Some(json!({"answer_points": "budget large 30"})))
        .await;
    assert_eq!(unreadable.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unreadable.body.contains("Lead scoring did not accept these settings: Line 1"), "{}", unreadable.body);
    let configured = client
        .send(
            Method::PUT,
            &path("/config"),
            Some(json!({"answer_points": "budget = large: 30", "source_points": "newsletter: 10", "max_score": "35"})),
        )
        .await;
    assert_eq!(configured.status, StatusCode::OK, "{}", configured.body);
    assert_eq!(configured.json()["values"]["max_score"], 35);
    let active = client.send(Method::POST, &path("/activate"), None).await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    let all = client.get("/installations").await.json();
    assert!(
        all["installations"].as_array().unwrap().iter().all(|i| i["active"] == true),
        "activating switched its dependency on too"
    );

    // Update and rollback, with the settings and permissions of each version. 1.0.0 asks
    // for two permissions and is granted just those; 1.2.0 asks for a third.
    let guard = install(&client, json!({"app": "spam-guard", "grant": ALL_SCOPES, "version": "1.0.0"})).await;
    assert_eq!(guard.status, StatusCode::CREATED, "{}", guard.body);
    let guard_id = id_of(&guard);
    let scopes = |view: &Value| -> Vec<String> {
        view["scopes"].as_array().unwrap().iter().map(|p| p["scope"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(scopes(&guard.json()), ["responses:read", "config:read"]);
    assert_eq!(guard.json()["newer"][0]["version"], "1.2.0");
    assert_eq!(guard.json()["update_asks"][0]["scope"], "notifications:send");
    let listed = client.get("/apps").await.json();
    let card = listed["apps"].as_array().unwrap().iter().find(|a| a["slug"] == "spam-guard").unwrap().clone();
    assert_eq!((card["installed"].clone(), card["update_available"].clone()), (json!(true), json!(true)));
    let gpath = |what: &str| format!("/installations/{guard_id}{what}");
    client
        .send(Method::PUT, &gpath("/config"), Some(json!({"blocked_domains": "spam.example", "max_per_minute": 2})))
        .await;
    // Without consent to the new permission the update is refused, naming it.
    let refused = client.send(Method::POST, &gpath("/update"), None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Version 1.2.0 asks for permissions this installation was not granted: notifications:send"), "{}", refused.body);
    assert!(refused.json()["errors"]["grant"][0].as_str().is_some(), "named at grant");
    assert_eq!(client.get(&gpath("")).await.json()["version"], "1.0.0", "nothing changed");
    let unknown = client.send(Method::POST, &gpath("/update"), Some(json!({"grant": ["everything"]}))).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", unknown.body);
    let updated = client.send(Method::POST, &gpath("/update"), Some(json!({"grant": ["notifications:send"]}))).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.json()["version"], "1.2.0");
    assert_eq!(updated.json()["rollback_to"], "1.0.0");
    assert_eq!(scopes(&updated.json()), ["responses:read", "config:read", "notifications:send"]);
    assert_eq!(updated.json()["update_asks"], json!([]));
    assert_eq!(updated.json()["values"]["notify_refusals"], true, "a new setting starts at its default");
    assert_eq!(client.send(Method::POST, &gpath("/update"), None).await.status, StatusCode::CONFLICT);
    let log = client.get(&gpath("/audit")).await.json();
    assert!(
        log["entries"].as_array().unwrap().iter().any(|e| e["detail"] == "From 1.0.0 to 1.2.0, granted notifications:send"),
        "{log}"
    );
    client
        .send(Method::PUT, &gpath("/config"), Some(json!({"blocked_domains": "changed.example"})))
        .await;
    let back = client.send(Method::POST, &gpath("/rollback"), None).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(back.json()["version"], "1.0.0");
    assert_eq!(back.json()["values"]["blocked_domains"], "spam.example", "the old settings came back");
    assert_eq!(scopes(&back.json()), ["responses:read", "config:read"], "and the old permissions");
    assert_eq!(client.send(Method::POST, &gpath("/rollback"), None).await.status, StatusCode::CONFLICT);

    // Updating automatically stops at a version that asks for more, and says why.
    let user = app::services::api_keys::authenticate(&app.db, client.key.as_deref().unwrap()).await.unwrap().unwrap();
    let waiting = app::services::apps::set_auto_update(&app.state, &user, &guard_id, true).await.unwrap();
    assert_eq!((waiting.version.as_str(), waiting.auto_update), ("1.0.0", true));
    let log = client.get(&gpath("/audit")).await.json();
    assert_eq!(log["entries"][0]["event"], "update waiting", "{log}");
    assert!(log["entries"][0]["detail"].as_str().unwrap().contains("notifications:send"), "{log}");

    // Another user reaches none of it.
    let (_, other_key) = user_with_key(&app, "other@example.com").await;
    let other = Client {
        app: &app,
        key: Some(other_key),
    };
    for (method, what) in [
        (Method::GET, ""),
        (Method::PUT, "/config"),
        (Method::POST, "/activate"),
        (Method::POST, "/update"),
        (Method::GET, "/audit"),
        (Method::DELETE, ""),
    ] {
        let body = (method == Method::PUT).then(|| json!({}));
        let answer = other.send(method.clone(), &path(what), body).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {what}: {}", answer.body);
    }

    // Uninstalling is refused while an installed app needs it.
    let utm_id = all["installations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["app"] == "utm-attribution")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let needed = client.send(Method::DELETE, &format!("/installations/{utm_id}"), None).await;
    assert_eq!(needed.status, StatusCode::CONFLICT);
    assert!(needed.body.contains("Lead scoring"), "{}", needed.body);
    assert_eq!(client.send(Method::DELETE, &path(""), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        client.send(Method::DELETE, &format!("/installations/{utm_id}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(client.get(&path("")).await.status, StatusCode::NOT_FOUND);
    let log = client.get(&path("/audit")).await;
    assert_eq!(log.status, StatusCode::OK, "the log outlives the installation");
    let log = log.json();
    let events: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["uninstalled", "activated", "configured", "configuration refused", "installed"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_reaches_only_what_it_was_granted_and_only_its_owner() {
    let app = TestApp::new().await;
    let (owner_cookie, key) = user_with_key(&app, "owner@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let (_, form_id) = owner_with_form(&app, "form-owner@example.com", &contact_form()).await;
    let (victim_cookie, victim_form) = owner_with_form(&app, "victim@example.com", &contact_form()).await;
    let stored = post_form(&app, &victim_form, &[("email", "v@example.com"), ("budget", "small")]).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    let _ = form_id;

    let guard = install(&client, json!({"app": "spam-guard", "grant": GUARD_SCOPES})).await;
    let guard_id = id_of(&guard);
    let user = app::services::api_keys::authenticate(&app.db, client.key.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let state_db = &app.db;

    // The installer's grant is what counts: take responses:read away, as an installer
    // who granted less would have.
    sqlx::query("UPDATE installations SET scopes = $1 WHERE id = $2")
        .bind(r#"["config:read"]"#)
        .bind(&guard_id)
        .execute(state_db.pool())
        .await
        .unwrap();
    let host = app.host_api(&user, &guard_id).await;
    assert_eq!(
        host.responses(&victim_form, 10).await,
        Err(HostError::Denied(Scope::ResponsesRead)),
        "denied before any data is touched"
    );
    assert_eq!(host.forms().await, Err(HostError::Denied(Scope::FormsRead)));
    assert_eq!(host.notify("Hello").await, Err(HostError::Denied(Scope::NotificationsSend)));
    let request = HttpRequest { method: "GET".into(), url: "https://example.com/".into(), headers: vec![], body: None };
    assert_eq!(host.http(&request).await, Err(HostError::Denied(Scope::HttpOutbound)));
    assert!(host.config().await.is_ok(), "what was granted still works");
    let log = client.get(&format!("/installations/{guard_id}/audit")).await.json();
    let denied: Vec<String> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "denied")
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        denied,
        [
            "sending an HTTP request needs http:outbound, which was not granted",
            "sending a notification needs notifications:send, which was not granted",
            "reading forms needs forms:read, which was not granted",
            "reading responses needs responses:read, which was not granted"
        ]
    );
    let dashboard = app.get("/dashboard", Some(&owner_cookie)).await.body;
    assert!(!dashboard.contains(r#"data-test="app-notice""#), "a denied notice is not left");

    // Granted everything, an installation still reaches only its owner's data.
    sqlx::query("UPDATE installations SET scopes = $1 WHERE id = $2")
        .bind(r#"["responses:read", "responses:write", "forms:read", "config:read", "notifications:send", "http:outbound"]"#)
        .bind(&guard_id)
        .execute(state_db.pool())
        .await
        .unwrap();
    let host = app.host_api(&user, &guard_id).await;
    assert!(matches!(host.responses(&victim_form, 10).await, Err(HostError::NotFound(_))));
    let victim_response: String = sqlx::query_scalar("SELECT id FROM responses WHERE form_id = $1")
        .bind(&victim_form)
        .fetch_one(state_db.pool())
        .await
        .unwrap();
    assert!(matches!(
        host.annotate(&victim_response, "x", json!(1)).await,
        Err(HostError::NotFound(_))
    ));
    assert_eq!(host.forms().await.unwrap(), vec![], "the installer has no forms");
    let data: String = sqlx::query_scalar("SELECT data FROM responses WHERE id = $1")
        .bind(&victim_response)
        .fetch_one(state_db.pool())
        .await
        .unwrap();
    assert_eq!(data, "{}", "nothing of the other user's was changed");

    // A notice goes to the installation's owner alone, as text.
    host.notify(&format!("Check this {HOSTILE}")).await.unwrap();
    let dashboard = app.get("/dashboard", Some(&owner_cookie)).await.body;
    assert_eq!(dashboard.matches(r#"data-test="app-notice""#).count(), 1, "{dashboard}");
    assert!(dashboard.contains("Spam guard"), "under the app's name");
    assert!(!dashboard.contains("<script>alert") && dashboard.contains("&lt;script&gt;alert"), "{dashboard}");
    assert!(!app.get("/dashboard", Some(&victim_cookie)).await.body.contains(r#"data-test="app-notice""#));
    assert!(matches!(host.notify(" ").await, Err(HostError::Invalid(_))), "an empty notice is refused");
    // Outbound requests follow the webhook rules: no inward addresses.
    let inward = HttpRequest { method: "GET".into(), url: "http://127.0.0.1:9/".into(), headers: vec![], body: None };
    match host.http(&inward).await {
        Err(HostError::Failed(why)) => assert!(why.contains("loopback"), "{why}"),
        other => panic!("an inward request was not refused: {other:?}"),
    }
    let verb = HttpRequest { method: "TRACE".into(), ..request };
    assert!(matches!(host.http(&verb).await, Err(HostError::Invalid(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spam_guard_refuses_with_its_reason_and_the_answers_kept() {
    let app = TestApp::new().await;
    let (cookie, form_id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    let key = key_for(&app, &cookie).await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let page = app.get(&format!("/f/{form_id}"), None).await;
    assert!(!page.body.contains("_hp_website"), "no honeypot while the guard is not running");

    let guard = install(&client, json!({"app": "spam-guard", "grant": GUARD_SCOPES})).await;
    let guard_id = id_of(&guard);
    client
        .send(
            Method::PUT,
            &format!("/installations/{guard_id}/config"),
            Some(json!({"blocked_domains": "mailinator.com\nspam.example", "max_per_minute": 3})),
        )
        .await;
    // Installed but not active: nothing changes yet.
    let before = post_form(&app, &form_id, &[("email", "bot@mailinator.com")]).await;
    assert_eq!(before.status, StatusCode::SEE_OTHER, "{}", before.body);
    client
        .send(Method::POST, &format!("/installations/{guard_id}/activate"), None)
        .await;

    let page = app.get(&format!("/f/{form_id}"), None).await;
    assert!(page.body.contains(r#"name="_hp_website""#), "the honeypot is on the page");
    let blocked = post_form(&app, &form_id, &[("email", "bot@eu.mailinator.com"), ("budget", "small")]).await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blocked.body);
    assert!(blocked.body.contains("Submissions from this domain are not accepted."));
    assert!(blocked.body.contains(r#"value="bot@eu.mailinator.com""#), "the answer is kept");
    let filled = post_form(&app, &form_id, &[("email", "a@example.com"), ("_hp_website", "http://x")]).await;
    assert_eq!(filled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(filled.body.contains("looks automated"), "{}", filled.body);
    // The API is refused alike, with the reason.
    let api = Client { app: &app, key: None }
        .send(Method::POST, &format!("/forms/{form_id}/responses"), Some(json!({"answers": {"email": "x@spam.example"}})))
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(api.body.contains("Submissions from this domain are not accepted."), "{}", api.body);
    // Three a minute from one address (the test client's), then refused.
    let ok = post_form(&app, &form_id, &[("email", "a@example.com")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let mut last = ok;
    for _ in 0..3 {
        last = post_form(&app, &form_id, &[("email", "a@example.com")]).await;
    }
    assert_eq!(last.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(last.body.contains("Too many submissions from your address"), "{}", last.body);

    // Its owner was told, once for the burst of refusals (at most once in ten minutes).
    let dashboard = app.get("/dashboard", Some(&cookie)).await.body;
    assert_eq!(dashboard.matches(r#"data-test="app-notice""#).count(), 1, "{dashboard}");
    assert!(dashboard.contains("Turned a submission away: Submissions from this domain are not accepted."), "{dashboard}");
    let read = app.call("/api/notifications/read", &[], Some(&cookie)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(!app.get("/dashboard", Some(&cookie)).await.body.contains(r#"data-test="app-notice""#), "read");

    // Deactivated, the guard stops and keeps its settings.
    client
        .send(Method::POST, &format!("/installations/{guard_id}/deactivate"), None)
        .await;
    let after = post_form(&app, &form_id, &[("email", "bot@mailinator.com")]).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "{}", after.body);
    let view = client.get(&format!("/installations/{guard_id}")).await.json();
    assert_eq!(view["values"]["blocked_domains"], "mailinator.com\nspam.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_and_scores_are_stored_and_reach_route_addresses() {
    let app = TestApp::new().await;
    let (cookie, form_id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    let key = key_for(&app, &cookie).await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let page = app
        .get(&format!("/f/{form_id}?utm_source=newsletter&utm_medium=email&other=x"), None)
        .await;
    assert!(page.body.contains(r#"name="utm_source" value="newsletter""#), "the link's campaign is carried");
    assert!(!page.body.contains(r#"name="other""#));

    let lead = install(&client, json!({"app": "lead-scoring", "grant": ALL_SCOPES})).await;
    let lead_id = id_of(&lead);
    client
        .send(
            Method::PUT,
            &format!("/installations/{lead_id}/config"),
            Some(json!({"answer_points": "budget = large: 30", "source_points": "newsletter: 10"})),
        )
        .await;
    let active = client
        .send(Method::POST, &format!("/installations/{lead_id}/activate"), None)
        .await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);

    let sent = post_form(
        &app,
        &form_id,
        &[("email", "lead@example.com"), ("budget", "large"), ("utm_source", "newsletter"), ("utm_medium", "email")],
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(
        sent.location(),
        Some("https://crm.example/leads?score=40&e=lead%40example.com"),
        "{{score}} in the route's address"
    );
    let data: String = sqlx::query_scalar("SELECT data FROM responses WHERE form_id = $1 ORDER BY id DESC")
        .bind(&form_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let data: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data, json!({"utm_source": "newsletter", "utm_medium": "email", "score": 40}));
    // The app reads the response back by identifier, with what the apps attached.
    let user = app::services::api_keys::authenticate(&app.db, client.key.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let read = app.host_api(&user, &lead_id).await.responses(&form_id, 10).await.unwrap();
    assert_eq!(read[0].answers["email"], "lead@example.com");
    assert_eq!(read[0].data["score"], 40);
    let table = app.get(&format!("/forms/{form_id}/responses"), Some(&cookie)).await;
    assert!(table.body.contains("score: 40, utm_medium: email, utm_source: newsletter"), "the owner sees it beside the answers");
}

const HOSTILE: &str = r#"</textarea><script>alert("review")</script><img src=x onerror=alert(1)>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_pages_render_on_the_server_and_escape_what_users_wrote() {
    let app = TestApp::new().await;
    // Anyone may browse; the search lives in the URL.
    let catalog = app.get("/apps", None).await;
    assert_eq!(catalog.status, StatusCode::OK);
    for name in ["Spam guard", "UTM attribution", "Lead scoring"] {
        assert!(catalog.body.contains(name), "{name} is in the grid");
    }
    assert!(catalog.body.contains(r#"href="/apps""#), "the top navigation links the store");
    let searched = app.get("/apps?q=campaign&sort=name", None).await;
    assert!(searched.body.contains("UTM attribution"));
    assert!(!searched.body.contains(r#"data-test="app-spam-guard""#), "filtered on the server");
    let hostile = app
        .get("/apps?q=%22%3E%3Csvg%20onload%3Dalert(1)%3E%3C%2Ftitle%3E%3Cscript%3E", None)
        .await;
    assert_eq!(hostile.status, StatusCode::OK);
    assert!(!hostile.body.contains("<svg onload") && !hostile.body.contains("</title><script>"), "{}", hostile.body);
    assert!(hostile.body.contains(r#"value="&quot;&gt;&lt;svg"#) || hostile.body.contains(r#"value="&quot;>&lt;svg"#), "the search box keeps the words, escaped");
    let typed = app.get("/apps?type=crm", None).await;
    assert!(typed.body.contains(r#"data-test="app-lead-scoring""#));
    assert!(!typed.body.contains(r#"data-test="app-utm-attribution""#));
    let missing = app.get("/apps/no-such-app", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("App not found"));
    let detail = app.get("/apps/lead-scoring", None).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert!(detail.body.contains("Read the answers people send to your forms."));
    assert!(detail.body.contains(r#"href="/apps/utm-attribution""#), "its dependency is linked");
    assert!(detail.body.contains("Log in to install"));

    // A user who installed it reviews it; the text is hostile.
    let (cookie, key) = user_with_key(&app, "reviewer@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let consent = app.get("/apps/lead-scoring/install", Some(&cookie)).await;
    assert!(consent.body.contains("It needs these apps, which are installed with it"), "{}", consent.body);
    let refused = app
        .call("/api/apps/install", &[("slug", "lead-scoring")], Some(&cookie))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "consent is required");
    let installed = app
        .call("/api/apps/install", &[("slug", "lead-scoring"), ("allow", "on")], Some(&cookie))
        .await;
    assert_eq!(installed.status, StatusCode::OK, "{}", installed.body);
    let installation_id = installed.json().as_str().unwrap().to_owned();
    let page = app.get(&format!("/apps/installed/{installation_id}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Points per answer (required)"), "the settings form is generated");
    assert!(page.body.contains("Installed version 1.1.0"), "the activity log is shown");
    // Hostile text in a setting is escaped in its textarea.
    client
        .send(Method::PUT, &format!("/installations/{installation_id}/config"), Some(json!({"answer_points": format!("budget = large: 30\n# {HOSTILE}")})))
        .await;
    let page = app.get(&format!("/apps/installed/{installation_id}"), Some(&cookie)).await;
    assert!(!page.body.contains(HOSTILE) && !page.body.contains("<script>alert"), "{}", page.body);

    let reviewed = app
        .call("/api/apps/review", &[("slug", "lead-scoring"), ("stars", "4"), ("body", HOSTILE)], Some(&cookie))
        .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.body);
    for (path, who) in [("/apps/lead-scoring", Some(cookie.as_str())), ("/apps/lead-scoring", None), ("/apps", None)] {
        let body = app.get(path, who).await.body;
        assert!(!body.contains("<script>alert"), "{path} escapes the review");
        assert!(!body.contains("<img src=x"), "{path}");
    }
    let detail = app.get("/apps/lead-scoring", None).await.body;
    assert!(detail.contains("&lt;/textarea&gt;&lt;script&gt;"), "shown as text");
    assert!(detail.contains("★ 4.0 (1 review)"));
    let catalog = app.get("/apps", Some(&cookie)).await.body;
    assert!(catalog.contains(r#"data-test="installed-badge""#));

    // Admins only.
    let admin_page = app.get("/admin/apps", Some(&cookie)).await;
    assert_eq!(admin_page.status, StatusCode::FORBIDDEN);
    let admin_call = app.call("/api/admin/apps/disable", &[("slug", "lead-scoring"), ("reason", "x")], Some(&cookie)).await;
    assert_eq!(admin_call.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_disables_an_app_for_everyone_and_its_owners_see_why() {
    let app = TestApp::new().await;
    let (cookie, form_id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    let installed = app
        .call("/api/apps/install", &[("slug", "spam-guard"), ("allow", "on")], Some(&cookie))
        .await;
    let id = installed.json().as_str().unwrap().to_owned();
    let on = app.call("/api/apps/step", &[("id", &id), ("step", "activate")], Some(&cookie)).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    let page = app.get(&format!("/f/{form_id}"), None).await;
    assert!(page.body.contains("_hp_website"), "the guard runs");

    app::services::accounts::create_admin(&app.db, "root@example.com", "correct horse battery")
        .await
        .unwrap();
    let admin = app.log_in("root@example.com", "correct horse battery").await;
    let listed = app.get("/admin/apps", Some(&admin)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.body.contains(r#"data-test="admin-app-spam-guard""#));
    let disabled = app
        .call("/api/admin/apps/disable", &[("slug", "spam-guard"), ("reason", "It refuses everyone <b>today</b>")], Some(&admin))
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);

    let page = app.get(&format!("/f/{form_id}"), None).await;
    assert!(!page.body.contains("_hp_website"), "its installations stopped running");
    let mine = app.get(&format!("/apps/installed/{id}"), Some(&cookie)).await;
    assert!(mine.body.contains("It refuses everyone &lt;b&gt;today&lt;/b&gt;"), "the owner sees why");
    let again = app.call("/api/apps/step", &[("id", &id), ("step", "deactivate")], Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::OK);
    let refused = app.call("/api/apps/step", &[("id", &id), ("step", "activate")], Some(&cookie)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("is disabled"), "{}", refused.body);

    // An abusive review is hidden by an admin: gone for others, marked for its author.
    let reviewed = app
        .call("/api/apps/review", &[("slug", "spam-guard"), ("stars", "1"), ("body", "Abusive words")], Some(&cookie))
        .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.body);
    let author: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("owner@example.com")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    // The admin has the button on the app's page; its author and visitors do not.
    let admin_page = app.get("/apps/spam-guard", Some(&admin)).await.body;
    assert!(admin_page.contains(r#"data-test="hide-review""#) && admin_page.contains("Hide from everyone"), "{admin_page}");
    assert!(!app.get("/apps/spam-guard", Some(&cookie)).await.body.contains(r#"data-test="hide-review""#));
    assert!(!app.get("/apps/spam-guard", None).await.body.contains(r#"data-test="hide-review""#));
    let not_admin = app
        .call("/api/apps/review/hide", &[("slug", "spam-guard"), ("author", &author.to_string()), ("hidden", "true")], Some(&cookie))
        .await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    let hidden = app
        .call("/api/apps/review/hide", &[("slug", "spam-guard"), ("author", &author.to_string()), ("hidden", "true")], Some(&admin))
        .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.body);
    assert!(!app.get("/apps/spam-guard", None).await.body.contains("Abusive words"));
    assert!(!app.get("/apps", None).await.body.contains("1 review"), "hidden reviews do not count");
    let own = app.get("/apps/spam-guard", Some(&cookie)).await.body;
    assert!(own.contains("Abusive words") && own.contains("Hidden by an administrator"));
    assert!(app.get("/apps/spam-guard", Some(&admin)).await.body.contains("Show it again"));

    let enabled = app.call("/api/admin/apps/disable", &[("slug", "spam-guard")], Some(&admin)).await;
    assert_eq!(enabled.status, StatusCode::OK);
    let on = app.call("/api/apps/step", &[("id", &id), ("step", "activate")], Some(&cookie)).await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_key_reseals_every_secret_while_the_server_runs() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "owner@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let guard = install(&client, json!({"app": "spam-guard", "grant": GUARD_SCOPES})).await;
    let id = id_of(&guard);
    let keyring = &app.state.apps.keyring;
    let old_key = keyring.current_id();
    let sealed = keyring.seal("smtp-password-123").unwrap();
    assert!(!sealed.contains("smtp-password-123"));
    let config = json!({"blocked_domains": "x.example", "token": sealed}).to_string();
    sqlx::query("UPDATE installations SET config = $1 WHERE id = $2")
        .bind(&config)
        .bind(&id)
        .execute(app.db.pool())
        .await
        .unwrap();

    let said = server::rotate_secrets(app.database_url(), &app.data_dir).await.unwrap();
    assert!(said.starts_with("re-sealed 1 secrets under the new key"), "{said}");
    let stored: String = sqlx::query_scalar("SELECT config FROM installations WHERE id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    let resealed = stored["token"].as_str().unwrap();
    assert!(!resealed.contains(&format!(":{old_key}:")), "sealed under the new key");
    assert_eq!(stored["blocked_domains"], "x.example", "plain settings are untouched");
    // The running server meets the new key, reads the key file again, and opens it.
    assert_eq!(keyring.open(resealed).unwrap(), "smtp-password-123");
    assert_ne!(keyring.current_id(), old_key);
    let file = std::fs::read_to_string(app.data_dir.join(app::secrets::KEY_FILE)).unwrap();
    assert_eq!(file.lines().count(), 2, "the old key stays for what is not re-sealed yet");
    // Nothing sealed is shown: the installation lists no secret values.
    let shown = client.get(&format!("/installations/{id}")).await;
    assert!(!shown.body.contains("sealed:") && !shown.body.contains("smtp-password-123"), "{}", shown.body);
}

/// A test app with a `form.beforeSave` filter (refuses one word in a name, fills an empty
/// description, and empties the name of a form called "break", which the check after it
/// refuses) and an `app.beforeInstall` filter that refuses Lead scoring.
struct Gatekeeper(app::apps::manifest::Manifest);

struct ReviewSave;

#[async_trait::async_trait]
impl app::hooks::runtime::FilterHandler<app::apps::host::HostApi> for ReviewSave {
    async fn filter(&self, _host: &app::apps::host::HostApi, payload: Value) -> Result<app::hooks::runtime::FilterOutcome, String> {
        use app::hooks::runtime::FilterOutcome;
        let mut save: app::hooks::FormSavePayload = serde_json::from_value(payload).map_err(|e| e.to_string())?;
        if save.definition.name.contains("forbidden") {
            return Ok(FilterOutcome::Reject("That name is not allowed here.".into()));
        }
        if save.definition.name == "break" {
            save.definition.name = String::new();
        }
        if save.definition.description.is_empty() {
            save.definition.description = "Reviewed by the gatekeeper.".into();
        }
        Ok(FilterOutcome::Continue(serde_json::to_value(save).unwrap()))
    }
}

struct RefuseInstall;

#[async_trait::async_trait]
impl app::hooks::runtime::FilterHandler<app::apps::host::HostApi> for RefuseInstall {
    async fn filter(&self, _host: &app::apps::host::HostApi, payload: Value) -> Result<app::hooks::runtime::FilterOutcome, String> {
        use app::hooks::runtime::FilterOutcome;
        let install: app::hooks::InstallPayload = serde_json::from_value(payload.clone()).map_err(|e| e.to_string())?;
        if install.app == "lead-scoring" {
            return Ok(FilterOutcome::Reject("Lead scoring is not allowed next to the gatekeeper.".into()));
        }
        Ok(FilterOutcome::Continue(payload))
    }
}

impl app::apps::App for Gatekeeper {
    fn manifest(&self) -> &app::apps::manifest::Manifest {
        &self.0
    }

    fn register(&self, hooks: &mut app::apps::Registrar<'_>) {
        hooks.filter::<app::hooks::FormBeforeSave>(ReviewSave);
        hooks.filter::<app::hooks::AppBeforeInstall>(RefuseInstall);
    }
}

#[tokio::test]
async fn apps_may_change_or_refuse_a_form_save_and_refuse_an_install() {
    let manifest = common::test_manifest(
        "gatekeeper",
        &["forms:read", "forms:write"],
        &[("form.beforeSave", 100), ("app.beforeInstall", 100)],
    );
    let app = TestApp::with_apps(vec![std::sync::Arc::new(Gatekeeper(manifest))]).await;
    let (cookie, id) = owner_with_form(&app, "gate@example.com", &contact_form()).await;
    common::install_on(&app, "gate@example.com", "gatekeeper").await;
    let api = Client { app: &app, key: Some(key_for(&app, &cookie).await) };

    let mut renamed = contact_form();
    renamed["name"] = json!("Renamed");
    let saved = api.send(Method::PUT, &format!("/forms/{id}"), Some(renamed)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(saved.json()["definition"]["description"], "Reviewed by the gatekeeper.", "{}", saved.body);

    for (name, says) in [("A forbidden name", "That name is not allowed here."), ("break", "Give the form a name.")] {
        let mut refused = contact_form();
        refused["name"] = json!(name);
        let answer = api.send(Method::PUT, &format!("/forms/{id}"), Some(refused)).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", answer.body);
        assert!(answer.body.contains(says), "{name}: {}", answer.body);
    }
    let stored = api.get(&format!("/forms/{id}")).await.json();
    assert_eq!(stored["definition"]["name"], "Renamed", "nothing was written: {stored}");
    // A rename through the forms list goes through the same filter.
    let rename = app.call("/api/forms/rename", &[("id", &id), ("name", "Still forbidden")], Some(&cookie)).await;
    assert_eq!(rename.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", rename.body);

    let refused = app
        .call("/api/apps/install", &[("slug", "lead-scoring"), ("allow", "on"), ("version", "")], Some(&cookie))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Lead scoring is not allowed next to the gatekeeper."), "{}", refused.body);
    let other = app
        .call("/api/apps/install", &[("slug", "utm-attribution"), ("allow", "on"), ("version", "")], Some(&cookie))
        .await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
}

/// A test app whose `user.beforeCreate` filter refuses one domain.
struct SignupGuard(app::apps::manifest::Manifest);

struct RefuseDomain;

#[async_trait::async_trait]
impl app::hooks::runtime::FilterHandler<app::apps::host::HostApi> for RefuseDomain {
    async fn filter(&self, _host: &app::apps::host::HostApi, payload: Value) -> Result<app::hooks::runtime::FilterOutcome, String> {
        use app::hooks::runtime::FilterOutcome;
        let new: app::hooks::NewUserPayload = serde_json::from_value(payload.clone()).map_err(|e| e.to_string())?;
        if new.email.ends_with("@blocked.example") {
            return Ok(FilterOutcome::Reject("Accounts from blocked.example are not accepted.".into()));
        }
        Ok(FilterOutcome::Continue(payload))
    }
}

impl app::apps::App for SignupGuard {
    fn manifest(&self) -> &app::apps::manifest::Manifest {
        &self.0
    }

    fn register(&self, hooks: &mut app::apps::Registrar<'_>) {
        hooks.filter::<app::hooks::UserBeforeCreate>(RefuseDomain);
    }
}

/// Sign-ups are refused by an administrator's app, never by a user's.
#[tokio::test]
async fn an_administrators_app_may_refuse_a_sign_up_and_a_users_may_not() {
    let manifest = common::test_manifest("signup-guard", &[], &[("user.beforeCreate", 100)]);
    let app = TestApp::with_apps(vec![std::sync::Arc::new(SignupGuard(manifest))]).await;
    let sign_up = |email: &'static str| {
        let app = &app;
        async move { app.call("/api/auth/signup", &[("email", email), ("password", "correct horse battery")], None).await }
    };
    app.sign_up("user@example.com", "correct horse battery").await;
    common::install_on(&app, "user@example.com", "signup-guard").await;
    assert_eq!(sign_up("first@blocked.example").await.status, StatusCode::OK, "a user's app decides nothing for the site");

    app.sign_up("admin@example.com", "correct horse battery").await;
    app::services::accounts::create_admin(&app.db, "admin@example.com", "correct horse battery").await.unwrap();
    common::install_on(&app, "admin@example.com", "signup-guard").await;
    let refused = sign_up("second@blocked.example").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Accounts from blocked.example are not accepted."), "{}", refused.body);
    assert!(refused.body.contains("email"), "the refusal is shown at the email: {}", refused.body);
    assert!(app::services::accounts::find_by_email(&app.db, "second@blocked.example").await.unwrap().is_none());
    assert_eq!(sign_up("welcome@example.com").await.status, StatusCode::OK);
}

fn rated_form(fields: Value) -> Value {
    json!({"name": "Feedback", "fields": fields, "fallback": {"action": {"type": "message", "value": "Thanks."}}})
}

fn nps() -> Value {
    json!({"id": "f_nps", "identifier": "nps", "label": "How likely are you to recommend us?", "type": "rating",
           "required": true, "config": {"scale": "10"}})
}

async fn save(app: &TestApp, cookie: &str, id: &str, definition: &Value) -> common::Response {
    let definition = definition.to_string();
    app.call("/api/forms/save", &[("id", id), ("definition", &definition)], Some(cookie)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rating_field_is_offered_and_asked_only_while_its_app_runs() {
    let app = TestApp::new().await;
    let email = json!({"id": "f_email", "identifier": "email", "label": "Email", "type": "email"});
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &rated_form(json!([email]))).await;
    async fn kinds(app: &TestApp, cookie: &str) -> Value {
        app.call("/api/forms/app-field-types", &[], Some(cookie)).await.json()
    }
    assert_eq!(kinds(&app, &cookie).await, json!([{"kind": "rating", "app": "rating-field", "app_name": "Rating field", "awake": false}]));

    // Without the app, a rating question is refused by name; nothing is written.
    let refused = save(&app, &cookie, &id, &rated_form(json!([email, nps()]))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(
        refused.body.contains("Rating questions come with the Rating field app, which is not switched on for you"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("fields[1].type"), "{}", refused.body);

    let installation = common::install_on(&app, "owner@example.com", "rating-field").await;
    assert_eq!(kinds(&app, &cookie).await[0]["awake"], true);
    let saved = save(&app, &cookie, &id, &rated_form(json!([email, nps()]))).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let page = app.get(&format!("/f/{id}"), None).await;
    assert!(page.body.contains(r#"name="nps" value="10""#), "ten points are offered");
    let wrong = post_form(&app, &id, &[("email", "a@b.co"), ("nps", "11")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("Pick a rating from 1 to 10."), "{}", wrong.body);
    assert!(wrong.body.contains(r#"value="a@b.co""#), "what was typed is kept");
    let sent = post_form(&app, &id, &[("email", "a@b.co"), ("nps", "9")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let answers: String = sqlx::query_scalar("SELECT answers FROM responses WHERE form_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let answers: Value = serde_json::from_str(&answers).unwrap();
    assert_eq!(answers["f_nps"]["value"], 9, "stored as a number: {answers}");
    let insights = app.call("/api/forms/insights", &[("form_id", &id), ("days", "7")], Some(&cookie)).await.json();
    let chart = &insights["insights"]["fields"][0];
    assert_eq!(chart["identifier"], "nps");
    assert_eq!(chart["bars"].as_array().unwrap().len(), 10);
    assert_eq!(chart["bars"][8], json!({"label": "9", "count": 1}));

    // Switched off: respondents skip the question, the form keeps it, its owner is told.
    let owner = app::services::accounts::find_by_email(&app.db, "owner@example.com").await.unwrap().unwrap().user;
    app::services::apps::set_active(&app.state, &owner, &installation, false).await.unwrap();
    let page = app.get(&format!("/f/{id}"), None).await;
    assert!(!page.body.contains(r#"name="nps""#), "the question is not asked");
    let sent = post_form(&app, &id, &[("email", "c@d.co")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "the required rating is not asked: {}", sent.body);
    let kept = save(&app, &cookie, &id, &rated_form(json!([email, nps()]))).await;
    assert_eq!(kept.status, StatusCode::OK, "a question the form had is kept: {}", kept.body);
    let second = json!({"identifier": "stars", "label": "Stars", "type": "rating"});
    let added = save(&app, &cookie, &id, &rated_form(json!([email, nps(), second]))).await;
    assert_eq!(added.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", added.body);
    assert!(added.body.contains("fields[2].type") && !added.body.contains("fields[1].type"), "{}", added.body);
    let editor = app.get(&format!("/forms/{id}/edit"), Some(&cookie)).await;
    assert!(editor.body.contains(r#"data-test="asleep-fields""#), "the owner is told");
    assert!(editor.body.contains(r#"href="/apps/rating-field""#));
    assert!(!editor.body.contains(r#"data-test="add-rating""#), "the palette lacks the type");
    let form = app.call("/api/forms/get", &[("id", &id)], Some(&cookie)).await.json();
    assert_eq!(form["definition"]["fields"][1]["identifier"], "nps", "the form keeps the question");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insights_break_responses_down_by_campaign_while_utm_attribution_runs() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    async fn insights(app: &TestApp, cookie: &str, id: &str) -> Value {
        app.call("/api/forms/insights", &[("form_id", id), ("days", "7")], Some(cookie)).await.json()
    }
    assert_eq!(insights(&app, &cookie, &id).await["insights"]["attribution"], json!([]));
    common::install_on(&app, "owner@example.com", "utm-attribution").await;
    let hostile = r#"<script>alert("utm")</script>"#;
    for source in ["newsletter", "newsletter", hostile] {
        let sent = post_form(&app, &id, &[("email", "a@b.co"), ("utm_source", source), ("utm_campaign", "spring")]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    }
    post_form(&app, &id, &[("email", "a@b.co")]).await;
    let data = insights(&app, &cookie, &id).await;
    let attribution = data["insights"]["attribution"].as_array().unwrap().clone();
    let titles: Vec<&str> = attribution.iter().map(|d| d["label"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Campaign source (utm_source)", "Campaign medium (utm_medium)", "Campaign name (utm_campaign)"]
    );
    assert_eq!(
        attribution[0]["bars"],
        json!([{"label": "newsletter", "count": 2}, {"label": hostile, "count": 1}, {"label": "Not recorded", "count": 1}])
    );
    assert_eq!(attribution[2]["answered"], 3);
    let page = app.get(&format!("/forms/{id}/insights?days=7"), Some(&cookie)).await;
    assert!(page.body.contains(r#"data-test="insight-data-utm_source""#), "{}", page.body);
    assert!(!page.body.contains(hostile), "a respondent's campaign is escaped");
    assert!(page.body.contains("&lt;script&gt;alert("), "and shown");
}
