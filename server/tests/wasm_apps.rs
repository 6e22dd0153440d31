//! Apps uploaded at run time as WebAssembly components: upload, verification, approval,
//! installation and running on a public form; hostile components contained; versions.
//! The components are built here from `examples/apps/domain-filter` and
//! `server/tests/plugins/hostile` with the example's build script.

mod common;

use app::apps::contract::FAILURES_TO_SWITCH_OFF;
use axum::body::Body;
use common::{Client, TestApp, admin_with_key, component, multipart, owner_with_form, user_with_key};
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

const DOMAIN_FILTER: &str = "examples/apps/domain-filter";
const HOSTILE: &str = "server/tests/plugins/hostile";

fn manifest_of(dir: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir).join("manifest.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `POST /api/v1/apps` with the manifest, the component and, when given, a logo.
async fn upload(client: &Client<'_>, manifest: &Value, wasm: &[u8], logo: Option<&[u8]>) -> common::Response {
    let manifest = manifest.to_string();
    let mut parts: Vec<common::Part> = vec![
        ("manifest", None, manifest.as_bytes()),
        ("component", Some(("app.wasm", "application/wasm")), wasm),
    ];
    if let Some(logo) = logo {
        parts.push(("logo", Some(("logo.svg", "image/svg+xml")), logo));
    }
    let (content_type, body) = multipart(&parts);
    let request = Request::post("/api/v1/apps")
        .header(header::AUTHORIZATION, format!("Bearer {}", client.key.as_deref().unwrap()))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    client.app.send(request).await
}

async fn post_form(app: &TestApp, id: &str, pairs: &[(&str, &str)]) -> common::Response {
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", common::encode(k), common::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let request = Request::post(format!("/f/{id}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from(body))
        .unwrap();
    app.send(request).await
}

/// Sends a submission until `owner`'s installation of an uploaded app has run on it. App
/// threads take only the CPU the rest leaves, and this binary's other tests build
/// components beside it: an event the machine gave no time to is skipped (its activity log
/// says so, and it is not counted against the app), and the submission is sent again.
async fn until_run<F, Fut>(owner: &Client<'_>, installation: &str, send: F) -> common::Response
where
    F: Fn() -> Fut,
    Fut: Future<Output = common::Response>,
{
    let skipped = || async {
        let audit = owner.get(&format!("/installations/{installation}/audit")).await.json();
        audit["entries"].as_array().unwrap().iter().filter(|e| e["event"] == "skipped").count()
    };
    for _ in 0..20 {
        let before = skipped().await;
        let answered = send().await;
        if skipped().await == before {
            return answered;
        }
    }
    panic!("the app was not given the CPU in 20 tries");
}

fn contact_form() -> Value {
    json!({
        "name": "Contact",
        "settings": {"enabled": true},
        "fields": [
            {"identifier": "email", "label": "Email", "type": "email", "required": true},
            {"identifier": "note", "label": "Note", "type": "long_text"}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

/// Uploads, submits and approves `manifest` with `wasm` as `publisher`; returns the
/// version's view.
async fn publish(publisher: &Client<'_>, admin: &Client<'_>, manifest: &Value, wasm: &[u8]) -> Value {
    let uploaded = upload(publisher, manifest, wasm, None).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    assert_eq!(uploaded.json()["report"]["passed"], true, "{}", uploaded.body);
    let (slug, version) = (manifest["slug"].as_str().unwrap(), manifest["version"].as_str().unwrap());
    let submitted = publisher.send(Method::POST, &format!("/apps/{slug}/versions/{version}/submit"), None).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let approved = admin.send(Method::POST, &format!("/apps/{slug}/versions/{version}/approve"), None).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    approved.json()
}

/// Installs `slug` for `client` with every permission it asks for, configures it and
/// switches it on; returns the installation's id.
async fn install(client: &Client<'_>, slug: &str, config: Value) -> String {
    let detail = client.get(&format!("/apps/{slug}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    let grant: Vec<Value> = detail.json()["permissions"].as_array().unwrap().iter().map(|p| p["scope"].clone()).collect();
    let installed = client.send(Method::POST, "/installations", Some(json!({"app": slug, "grant": grant}))).await;
    assert_eq!(installed.status, StatusCode::CREATED, "{}", installed.body);
    let id = installed.json()["id"].as_str().unwrap().to_owned();
    let configured = client.send(Method::PUT, &format!("/installations/{id}/config"), Some(config)).await;
    assert_eq!(configured.status, StatusCode::OK, "{}", configured.body);
    let active = client.send(Method::POST, &format!("/installations/{id}/activate"), None).await;
    assert_eq!(active.status, StatusCode::OK, "{}", active.body);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_app_is_verified_approved_installed_and_refuses_a_blocked_domain() {
    let app = TestApp::new().await;
    let (_, publisher_key) = user_with_key(&app, "publisher@example.com").await;
    let publisher = Client { app: &app, key: Some(publisher_key) };
    let (admin_cookie, admin_key) = admin_with_key(&app, "admin@example.com").await;
    let admin = Client { app: &app, key: Some(admin_key) };
    let manifest = manifest_of(DOMAIN_FILTER);
    let wasm = component(DOMAIN_FILTER);
    let logo = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/apps/domain-filter/logo.svg")).unwrap();

    // Uploaded in draft, verified: the report names what it checked and measured.
    let uploaded = upload(&publisher, &manifest, &wasm, Some(&logo)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let version = uploaded.json();
    assert_eq!(version["state"], "draft");
    let report = &version["report"];
    assert_eq!(report["passed"], true, "{report}");
    let imports: Vec<&str> = report["imports"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
    assert!(imports.contains(&"junction:app/responses@1.0.0"), "{imports:?}");
    assert!(imports.iter().all(|i| i.starts_with("junction:app/")), "no WASI: {imports:?}");
    let run = &report["runs"][0];
    assert_eq!(run["hook"], "form.beforeSubmit");
    assert!(run["fuel"].as_i64().unwrap() > 0 && run["peak_memory"].as_i64().unwrap() > 0, "{run}");
    assert!(report["compatibility"]["findings"][0].as_str().unwrap().contains("junction:app 1.0.0"), "{report}");
    // The same slug again, or by someone else, is refused.
    assert_eq!(upload(&publisher, &manifest, &wasm, None).await.status, StatusCode::CONFLICT);
    let (_, other_key) = user_with_key(&app, "squatter@example.com").await;
    let squatter = Client { app: &app, key: Some(other_key) };
    let taken = upload(&squatter, &json!(manifest.clone()), &wasm, None).await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    // A broken manifest is named.
    let mut broken = manifest.clone();
    broken.as_object_mut().unwrap().remove("slug");
    let refused = upload(&publisher, &broken, &wasm, None).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("missing field `slug`"), "{}", refused.body);

    // Not in the catalog until approved; only an admin approves.
    assert!(!Client { app: &app, key: None }.get("/apps").await.body.contains("domain-filter"));
    let submitted = publisher.send(Method::POST, "/apps/domain-filter/versions/1.0.0/submit", None).await;
    assert_eq!(submitted.json()["state"], "submitted", "{}", submitted.body);
    let not_admin = publisher.send(Method::POST, "/apps/domain-filter/versions/1.0.0/approve", None).await;
    assert_eq!(not_admin.status, StatusCode::FORBIDDEN);
    let admin_page = app.get("/admin/apps", Some(&admin_cookie)).await.body;
    assert!(admin_page.contains("domain-filter") && admin_page.contains("submitted"), "the admin page lists it");
    let approved = admin.send(Method::POST, "/apps/domain-filter/versions/1.0.0/approve", None).await;
    assert_eq!(approved.json()["state"], "approved", "{}", approved.body);

    // In the catalog, with its logo and component served by their hashes.
    let owner_cookie = app.sign_up("owner@example.com", "correct horse battery").await;
    let owner = Client { app: &app, key: Some(common::key_for(&app, &owner_cookie).await) };
    let listed = owner.get("/apps").await.json();
    let card = listed["apps"].as_array().unwrap().iter().find(|a| a["slug"] == "domain-filter").expect("listed").clone();
    let logo_url = card["logo"].as_str().unwrap().to_owned();
    assert!(logo_url.starts_with("/artifacts/") && logo_url.ends_with(".svg"), "{logo_url}");
    let served = app.get(&logo_url, None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(served.body.as_bytes(), logo.as_slice());
    let wasm_url = version["component_url"].as_str().unwrap();
    let served = app.get(wasm_url, None).await;
    assert_eq!((served.status, served.headers[header::CONTENT_TYPE].to_str().unwrap()), (StatusCode::OK, "application/wasm"));
    assert_eq!(app.get(&format!("/artifacts/{}.wasm", "0".repeat(64)), None).await.status, StatusCode::NOT_FOUND);

    // Installed with consent, configured and switched on, it refuses a blocked domain on a
    // public form, the answers kept, and lets others through.
    let (form_cookie, form_id) = owner_with_form(&app, "former@example.com", &contact_form()).await;
    let _ = form_cookie;
    let former = Client { app: &app, key: Some(common::key_for(&app, &form_cookie).await) };
    let installed = install(&former, "domain-filter", json!({"blocked_domains": "blocked.example\nspam.example"})).await;
    let blocked = until_run(&former, &installed, || {
        post_form(&app, &form_id, &[("email", "someone@blocked.example"), ("note", "Call me")])
    })
    .await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", blocked.body);
    assert!(blocked.body.contains("Submissions from blocked.example are not accepted"), "{}", blocked.body);
    assert!(blocked.body.contains(r#"value="someone@blocked.example""#), "the answers are kept");
    assert!(blocked.body.contains("Call me"));
    let fine = post_form(&app, &form_id, &[("email", "someone@fine.example")]).await;
    assert_eq!(fine.status, StatusCode::SEE_OTHER, "{}", fine.body);
    // The API is refused alike.
    let respondent = Client { app: &app, key: None };
    let responses = format!("/forms/{form_id}/responses");
    let api = until_run(&former, &installed, || {
        respondent.send(Method::POST, &responses, Some(json!({"answers": {"email": "x@spam.example"}})))
    })
    .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(api.body.contains("Submissions from spam.example are not accepted"), "{}", api.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_components_are_contained_and_named() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "publisher@example.com").await;
    let publisher = Client { app: &app, key: Some(key) };
    let (_, admin_key) = admin_with_key(&app, "admin@example.com").await;
    let admin = Client { app: &app, key: Some(admin_key) };
    let wasm = component(HOSTILE);
    let manifest = manifest_of(HOSTILE);

    // An import its manifest does not allow is refused at upload: it cannot be submitted.
    let mut sneaky = manifest.clone();
    sneaky["permissions"] = json!(["responses:read", "config:read"]);
    let uploaded = upload(&publisher, &sneaky, &wasm, None).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let report = &uploaded.json()["report"];
    assert_eq!((report["passed"].clone(), report["security"]["passed"].clone()), (json!(false), json!(false)));
    let finding = report["security"]["findings"].to_string();
    assert!(finding.contains("imports junction:app/http@1.0.0, which needs http:outbound"), "{finding}");
    let submitted = publisher.send(Method::POST, "/apps/hostile/versions/1.0.0/submit", None).await;
    assert_eq!(submitted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(submitted.body.contains("did not pass its verification (security)"), "{} {}", submitted.body, uploaded.body);
    // Withdrawn, and published properly as 1.0.1.
    assert_eq!(publisher.send(Method::DELETE, "/apps/hostile/versions/1.0.0", None).await.status, StatusCode::NO_CONTENT);
    let mut honest = manifest.clone();
    honest["version"] = json!("1.0.1");
    honest["releases"] = json!([{"version": "1.0.1", "changes": "Honest about its imports."}]);
    let wasm_101 = component_with_manifest(HOSTILE, &honest);
    publish(&publisher, &admin, &honest, &wasm_101).await;

    let (owner_cookie, form_id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    let owner = Client { app: &app, key: Some(common::key_for(&app, &owner_cookie).await) };
    let id = install(&owner, "hostile", json!({"mode": "accept"})).await;
    let set_mode = |mode: &'static str| {
        let owner = &owner;
        let id = id.clone();
        async move {
            let saved = owner.send(Method::PUT, &format!("/installations/{id}/config"), Some(json!({"mode": mode}))).await;
            assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        }
    };
    let audit = || async { owner.get(&format!("/installations/{id}/audit")).await.json()["entries"].clone() };

    // Each misbehaviour ends only its own instance: the submission goes through without
    // it, and the app's activity log says what happened.
    for (mode, said) in [
        ("loop", "ran past its time limit of 100 ms"),
        ("grow", "asked for more than its 32 MiB of memory"),
        ("panic", "panicked"),
    ] {
        set_mode(mode).await;
        let started = std::time::Instant::now();
        let answered = until_run(&owner, &id, || post_form(&app, &form_id, &[("email", "a@example.com")])).await;
        assert_eq!(answered.status, StatusCode::SEE_OTHER, "{mode}: {}", answered.body);
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{mode} was cut short");
        let entries = audit().await;
        let last = &entries[0];
        assert_eq!(last["event"], "failed", "{mode}: {entries}");
        assert!(last["detail"].as_str().unwrap().contains(said), "{mode}: {last}");
    }

    // A call it was not granted is refused with a typed error, and audited.
    set_mode("annotate").await;
    let denied = until_run(&owner, &id, || post_form(&app, &form_id, &[("email", "a@example.com")])).await;
    assert_eq!(denied.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(denied.body.contains("The host said: permission-denied"), "{}", denied.body);
    let entries = audit().await;
    assert!(
        entries.as_array().unwrap().iter().any(|e| e["event"] == "denied" && e["detail"] == "annotating a response needs responses:write, which was not granted"),
        "{entries}"
    );

    // On a machine whose every core is busy with the server's (here: the test's) own work,
    // the app gets no CPU: its events reach their deadline waiting, are skipped and say
    // why, and do not count toward switching it off, however many there are.
    set_mode("loop").await;
    let busy = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let spinners: Vec<_> = (0..=cores)
        .map(|_| {
            let busy = busy.clone();
            std::thread::spawn(move || {
                while busy.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let starved = (0..=FAILURES_TO_SWITCH_OFF).map(|_| post_form(&app, &form_id, &[("email", "a@example.com")]));
    for answered in futures::future::join_all(starved).await {
        assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    }
    busy.store(false, std::sync::atomic::Ordering::Relaxed);
    spinners.into_iter().for_each(|spinner| spinner.join().unwrap());
    let view = owner.get(&format!("/installations/{id}")).await.json();
    assert_eq!(view["active"], true, "{view}");
    let entries = audit().await;
    for entry in entries.as_array().unwrap().iter().take(FAILURES_TO_SWITCH_OFF as usize + 1) {
        assert_eq!(entry["event"], "skipped", "{entries}");
        let detail = entry["detail"].as_str().unwrap();
        assert!(detail.contains("was given up after 1000 ms: the server was too busy to run it"), "{detail}");
    }

    // While the server handles another request (here one whose body is still arriving), an
    // event past its first slice waits: looping, it reaches its wall without the CPU it
    // would take from that request, is skipped and says why, and is not counted.
    let (mut sending, body) = futures::channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let slow = Request::post("/api/v1/forms")
        .header(header::AUTHORIZATION, format!("Bearer {}", owner.key.as_deref().unwrap()))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(body))
        .unwrap();
    let held = async {
        // The slow request is under way first (`join` polls it first).
        let answered = post_form(&app, &form_id, &[("email", "a@example.com")]).await;
        sending.try_send(Ok(contact_form().to_string().into_bytes())).unwrap();
        drop(sending);
        answered
    };
    let (slow, answered) = futures::future::join(app.send_streamed(slow), held).await;
    assert_eq!(slow.status, StatusCode::CREATED, "{}", slow.body);
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);
    let entries = audit().await;
    assert_eq!(entries[0]["event"], "skipped", "{entries}");
    assert!(entries[0]["detail"].as_str().unwrap().contains("the server was too busy to run it"), "{entries}");
    assert_eq!(owner.get(&format!("/installations/{id}")).await.json()["active"], true);

    // Ten failures in a row switch the installation off and tell its owner.
    set_mode("panic").await;
    for _ in 0..10 {
        let answered = until_run(&owner, &id, || post_form(&app, &form_id, &[("email", "a@example.com")])).await;
        assert_eq!(answered.status, StatusCode::SEE_OTHER);
    }
    let view = owner.get(&format!("/installations/{id}")).await.json();
    assert_eq!(view["active"], false, "{view}");
    assert!(audit().await[0]["detail"].as_str().unwrap().starts_with("Switched off after 10 failed events in a row"));
    let dashboard = app.get("/dashboard", Some(&owner_cookie)).await.body;
    assert!(dashboard.contains("Hostile was switched off") || dashboard.contains("hostile was switched off"), "{dashboard}");
}

/// The component of the app in `dir` built with `manifest` in place of its own (a new
/// version), from a copy of the project.
fn component_with_manifest(dir: &str, manifest: &Value) -> Vec<u8> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let copy = std::env::temp_dir().join(format!(
        "junction-app-{}-{}",
        manifest["slug"].as_str().unwrap(),
        manifest["version"].as_str().unwrap()
    ));
    let _ = std::fs::remove_dir_all(&copy);
    std::fs::create_dir_all(copy.join("src")).unwrap();
    // A package name of its own, so its component does not overwrite the original's in the
    // shared target directory.
    let package = format!("{}-{}", manifest["slug"].as_str().unwrap(), manifest["version"].as_str().unwrap().replace('.', "-"));
    for file in ["Cargo.toml", "Cargo.lock", "src/lib.rs"] {
        let from = root.join(dir).join(file);
        if from.exists() {
            let text = std::fs::read_to_string(&from).unwrap();
            let original = manifest["slug"].as_str().unwrap();
            let text = text.replace(&format!("name = \"{original}\""), &format!("name = \"{package}\""));
            // The copy sits elsewhere: the WIT path is made absolute.
            let text = text.replace("\"../../../../wit\"", &format!("{:?}", root.join("wit").display().to_string()))
                .replace("\"../../../wit\"", &format!("{:?}", root.join("wit").display().to_string()));
            std::fs::write(copy.join(file), text).unwrap();
        }
    }
    std::fs::write(copy.join("manifest.json"), manifest.to_string()).unwrap();
    let out = std::process::Command::new("bash")
        .arg(root.join("examples/apps/domain-filter/build.sh"))
        .arg(&copy)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let path = String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_owned();
    let bytes = std::fs::read(path).unwrap();
    let _ = std::fs::remove_dir_all(&copy);
    bytes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_are_uploaded_updated_rolled_back_and_updated_automatically() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "publisher@example.com").await;
    let publisher = Client { app: &app, key: Some(key) };
    let (_, admin_key) = admin_with_key(&app, "admin@example.com").await;
    let admin = Client { app: &app, key: Some(admin_key) };
    let first = manifest_of(DOMAIN_FILTER);
    publish(&publisher, &admin, &first, &component(DOMAIN_FILTER)).await;

    let (owner_cookie, form_id) = owner_with_form(&app, "owner@example.com", &contact_form()).await;
    let owner = Client { app: &app, key: Some(common::key_for(&app, &owner_cookie).await) };
    let by_hand = install(&owner, "domain-filter", json!({"blocked_domains": "blocked.example"})).await;
    let (_, second_key) = user_with_key(&app, "auto@example.com").await;
    let auto_owner = Client { app: &app, key: Some(second_key) };
    let automatic = install(&auto_owner, "domain-filter", json!({"blocked_domains": "x.example"})).await;
    let user = app::services::api_keys::authenticate(&app.db, auto_owner.key.as_deref().unwrap()).await.unwrap().unwrap();
    app::services::apps::set_auto_update(&app.state, &user, &automatic, true).await.unwrap();

    // 1.1.0: a new release, built from a copy of the project with its manifest bumped.
    let mut second = first.clone();
    second["version"] = json!("1.1.0");
    second["releases"] = json!([
        {"version": "1.0.0", "changes": "Blocked domains for e-mail answers."},
        {"version": "1.1.0", "changes": "The same, rebuilt."}
    ]);
    publish(&publisher, &admin, &second, &component_with_manifest(DOMAIN_FILTER, &second)).await;

    // Shown as an update; the automatic installation moved to it at once.
    let view = owner.get(&format!("/installations/{by_hand}")).await.json();
    assert_eq!((view["version"].clone(), view["newer"][0]["version"].clone()), (json!("1.0.0"), json!("1.1.0")), "{view}");
    assert_eq!(auto_owner.get(&format!("/installations/{automatic}")).await.json()["version"], "1.1.0");
    let updated = owner.send(Method::POST, &format!("/installations/{by_hand}/update"), None).await;
    assert_eq!(updated.json()["version"], "1.1.0", "{}", updated.body);
    let blocked = until_run(&owner, &by_hand, || post_form(&app, &form_id, &[("email", "a@blocked.example")])).await;
    assert_eq!(blocked.status, StatusCode::UNPROCESSABLE_ENTITY, "1.1.0 runs: {}", blocked.body);
    let back = owner.send(Method::POST, &format!("/installations/{by_hand}/rollback"), None).await;
    assert_eq!(back.json()["version"], "1.0.0", "{}", back.body);
    assert_eq!(back.json()["values"]["blocked_domains"], "blocked.example");

    // Withdrawing 1.0.0 takes it out of the catalog; the installation on it keeps running.
    assert_eq!(publisher.send(Method::DELETE, "/apps/domain-filter/versions/1.0.0", None).await.status, StatusCode::NO_CONTENT);
    let detail = owner.get("/apps/domain-filter").await.json();
    let released: Vec<&str> = detail["releases"].as_array().unwrap().iter().map(|r| r["version"].as_str().unwrap()).collect();
    assert_eq!(released, ["1.1.0"]);
    let still = until_run(&owner, &by_hand, || post_form(&app, &form_id, &[("email", "a@blocked.example")])).await;
    assert_eq!(still.status, StatusCode::UNPROCESSABLE_ENTITY, "1.0.0 still runs: {}", still.body);
    let versions = publisher.get("/apps/domain-filter/versions").await.json();
    let states: Vec<&str> = versions["versions"].as_array().unwrap().iter().map(|v| v["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["withdrawn", "approved"]);
}

/// `junction app new` writes a project that builds into an app which passes its
/// verification; the command line uploads it, submits it, and an operator rejects it with
/// a reason, then approves it once it is submitted again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_from_the_template_is_published_from_the_command_line() {
    use server::app_cli;
    let app = TestApp::new().await;
    let projects = tempfile::tempdir().unwrap();
    let dir = projects.path().join("word-guard");

    let said = app_cli::new_project("Word guard", Some(&dir)).expect("the project is written");
    assert!(said.contains("wrote the app word-guard"), "{said}");
    for file in ["Cargo.toml", "manifest.json", "src/lib.rs", "logo.svg", "build.sh", "wit/junction.wit"] {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    let again = app_cli::new_project("Word guard", Some(&dir)).unwrap_err();
    assert!(again.contains("exists already"), "{again}");
    let unnamed = app_cli::new_project("42", None).unwrap_err();
    assert!(unnamed.contains("start the name with a letter"), "{unnamed}");

    let wasm = component(dir.to_str().unwrap());
    let wasm_path = projects.path().join("word-guard.wasm");
    std::fs::write(&wasm_path, &wasm).unwrap();
    app.sign_up("author@example.com", "correct horse battery").await;
    let url = app.database_url();
    let manifest = dir.join("manifest.json");

    let unknown = app_cli::upload(url, &app.data_dir, "nobody@example.com", &manifest, &wasm_path).await.unwrap_err();
    assert!(unknown.contains("there is no account for nobody@example.com"), "{unknown}");
    let report = app_cli::upload(url, &app.data_dir, "author@example.com", &manifest, &wasm_path).await.expect("uploaded");
    assert!(report.starts_with("word-guard 0.1.0 is uploaded, in draft."), "{report}");
    assert!(report.contains("security: passed") && report.contains("performance: passed"), "{report}");
    assert!(report.contains("compatibility: passed") && report.contains("  form.beforeSubmit: "), "{report}");
    assert!(report.ends_with("submit it with `junction app submit --email author@example.com word-guard 0.1.0`."), "{report}");

    let submitted = app_cli::submit(url, &app.data_dir, "author@example.com", "word-guard", "0.1.0").await.expect("submitted");
    assert_eq!(submitted, "word-guard 0.1.0 is submitted for approval");
    let rejected = app_cli::decide(url, &app.data_dir, "word-guard", "0.1.0", Some("Say what it refuses in the summary."))
        .await
        .expect("rejected");
    assert_eq!(rejected, "word-guard 0.1.0 is rejected: Say what it refuses in the summary.");
    app::services::publishing::refresh_registry(&app.state, true).await.unwrap();
    assert!(app.state.apps.registry().manifest("word-guard").is_none(), "a rejected version is not in the catalog");
    let missing = app_cli::decide(url, &app.data_dir, "word-guard", "9.9.9", None).await.unwrap_err();
    assert!(missing.contains("9.9.9"), "{missing}");

    app_cli::submit(url, &app.data_dir, "author@example.com", "word-guard", "0.1.0").await.expect("submitted again");
    let approved = app_cli::decide(url, &app.data_dir, "word-guard", "0.1.0", None).await.expect("approved");
    assert_eq!(approved, "word-guard 0.1.0 is approved: it is in the catalog");
    app::services::publishing::refresh_registry(&app.state, true).await.unwrap();
    let registry = app.state.apps.registry();
    assert_eq!(registry.manifest("word-guard").expect("in the catalog").name, "Word guard");
}
