//! The hostile-input and abuse cases of SECURITY.md, through the real router: raw-text
//! sinks, the page policy and headers, cross-site requests, sessions and keys, bounded
//! anonymous work, uploads, and the thank-you page.

mod common;
#[path = "../benches/worst_case.rs"]
mod worst_case;

use axum::body::Body;
use common::{TestApp, encode, multipart, owner_with_form};
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const SCRIPT: &str = "</title></textarea><script>alert(1)</script>";

/// Fails when a hostile value reached the HTML unescaped.
fn assert_no_raw_script(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in ["<script>alert", "</title><script", "</textarea><script"] {
        assert!(
            !lower.contains(needle),
            "{what}: `{needle}` reached the HTML:\n{html}"
        );
    }
}

fn hostile_form() -> Value {
    json!({
        "name": SCRIPT,
        "description": SCRIPT,
        "fields": [
            {"identifier": "about", "label": SCRIPT, "type": "long_text",
             "config": {"placeholder": SCRIPT, "help_text": SCRIPT}},
            {"identifier": "email", "label": "Email", "type": "email", "required": true}
        ],
        "routes": [{"name": SCRIPT, "rule": {"==": [{"var": "email"}, "a@b.co"]},
                    "action": {"type": "message", "value": SCRIPT}}]
    })
}

async fn post_form(app: &TestApp, id: &str, body: &str) -> common::Response {
    let request = Request::post(format!("/f/{id}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.send(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_never_reaches_a_title_or_textarea_raw() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &hostile_form()).await;

    // The public page, prefilled with a hostile long text.
    let page = app
        .get(&format!("/f/{id}?about={}", encode(SCRIPT)), None)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_no_raw_script(&page.body, "public page");
    assert!(
        page.body
            .contains("<title>&lt;/title&gt;&lt;/textarea&gt;&lt;script&gt;"),
        "the title shows the name as text: {}",
        page.body
    );
    assert!(
        page.body
            .contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"),
        "the prefill is the textarea's escaped text"
    );

    // A refused post renders the typed text again.
    let refused = post_form(
        &app,
        &id,
        &format!("about={}&email=not-an-email", encode(SCRIPT)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_no_raw_script(&refused.body, "refused post");

    // The thank-you page with the route's hostile message and the form's name.
    let sent = post_form(&app, &id, "email=a%40b.co").await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let thanks = app.get(sent.location().unwrap(), None).await;
    assert_eq!(thanks.status, StatusCode::OK);
    assert_no_raw_script(&thanks.body, "thank-you page");
    assert!(
        thanks.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        thanks.body
    );

    // The owner's pages that show the name, labels and answers.
    for path in [
        "/forms".to_owned(),
        format!("/forms/{id}/edit"),
        format!("/forms/{id}/responses"),
        format!("/forms/{id}/insights"),
        "/dashboard".to_owned(),
    ] {
        let page = app.get(&path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert_no_raw_script(&page.body, &path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_policy_and_everything_the_safety_headers() {
    let app = TestApp::build(app::auth::ApiLimiter::new(0, 0), true, |_| {}).await;
    let page = app.get("/login", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{csp}");
    for directive in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'self'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(directive), "{directive} missing: {csp}");
    }
    // Every inline script of the page carries the policy's nonce.
    let tags: Vec<&str> = page
        .body
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(""))
        .collect();
    assert!(!tags.is_empty());
    for tag in tags {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "a script without the nonce: <script{tag}>"
        );
    }
    // A new nonce for every response.
    let again = app.get("/login", None).await;
    assert_ne!(
        again.headers[header::CONTENT_SECURITY_POLICY],
        page.headers[header::CONTENT_SECURITY_POLICY]
    );
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::REFERRER_POLICY], "same-origin");
    assert!(
        page.headers[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );

    // Non-page answers allow nothing at all.
    let json = app.get("/api/v1/openapi.json", None).await;
    assert!(
        json.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );

    // The public form may be framed (embedding); pages behind sign-in may not.
    let (_, id) = owner_with_form(&app, "csp@example.com", &hostile_form()).await;
    let public = app.get(&format!("/f/{id}"), None).await;
    let csp = public.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    // Kept for every anonymous visitor alike, it allows its scripts by their hashes; a
    // prefilled one is rendered for its visitor, with a nonce.
    assert!(
        csp.contains("'sha256-") && !csp.contains("'nonce-") && !csp.contains("frame-ancestors"),
        "{csp}"
    );
    let prefilled = app.get(&format!("/f/{id}?x=1"), None).await;
    let csp = prefilled.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("'nonce-") && !csp.contains("frame-ancestors"), "{csp}");

    // Without --secure-cookies there is no HSTS.
    let plain = TestApp::new().await;
    let page = plain.get("/login", None).await;
    assert!(!page.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
}

/// A server function called the way a page on `origin` would.
async fn call_from(
    app: &TestApp,
    origin: Option<&str>,
    referer: Option<&str>,
    path: &str,
    body: &str,
    cookie: Option<&str>,
) -> common::Response {
    let mut request = Request::post(path)
        .header(header::HOST, "junction.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    if let Some(referer) = referer {
        request = request.header(header::REFERER, referer);
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.send(request.body(Body::from(body.to_owned())).unwrap())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_posts_are_refused_on_every_kind_of_endpoint() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "victim@example.com", &hostile_form()).await;
    let evil = Some("http://evil.example");
    let submit = format!("/f/{id}");
    let cases: [(&str, String, Option<&str>); 6] = [
        // Login CSRF: signing the victim in to the attacker's account.
        (
            "/api/auth/login",
            format!("email=victim%40example.com&password={}", encode(PASSWORD)),
            None,
        ),
        (
            "/api/auth/signup",
            "email=new%40example.com&password=long+enough+password".into(),
            None,
        ),
        ("/api/auth/logout", String::new(), Some(&cookie)),
        ("/api/forms/create", "name=Planted".into(), Some(&cookie)),
        (
            "/api/api-keys/create",
            format!("name=stolen&password={}", encode(PASSWORD)),
            Some(&cookie),
        ),
        // A respondent's submission.
        (&submit, "email=a%40b.co".into(), None),
    ];
    for (path, body, cookie) in &cases {
        let refused = call_from(&app, evil, None, path, body, *cookie).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            refused.body
        );
        assert!(refused.body.contains("another site"), "{}", refused.body);
        let by_referer = call_from(
            &app,
            None,
            Some("http://evil.example/page"),
            path,
            body,
            *cookie,
        )
        .await;
        assert_eq!(
            by_referer.status,
            StatusCode::FORBIDDEN,
            "{path} by Referer"
        );
    }
    // Nothing was created by the refused calls.
    let forms = app.call("/api/forms/list", &[], Some(&cookie)).await;
    assert_eq!(forms.json().as_array().unwrap().len(), 1, "{}", forms.body);

    // The same calls from the site's own pages go through.
    let ok = call_from(
        &app,
        Some("http://junction.test"),
        None,
        "/api/forms/create",
        "name=Mine",
        Some(&cookie),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let ok = call_from(
        &app,
        None,
        Some("http://junction.test/forms"),
        "/api/forms/create",
        "name=Mine",
        Some(&cookie),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);

    // The API authenticates by key only: a cookie from another site gets nothing.
    let api = Request::post("/api/v1/forms")
        .header(header::ORIGIN, "http://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"x"}"#))
        .unwrap();
    assert_eq!(app.send(api).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_other_sessions_and_can_revoke_keys() {
    let app = TestApp::new().await;
    let here = app.sign_up("sessions@example.com", PASSWORD).await;
    let elsewhere = app.log_in("sessions@example.com", PASSWORD).await;
    // A key needs the password again.
    let no_password = app
        .call(
            "/api/api-keys/create",
            &[("name", "CRM"), ("password", "wrong password!")],
            Some(&here),
        )
        .await;
    assert_eq!(
        no_password.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_password.body
    );
    assert!(no_password.body.contains("not your password"));
    let key = app
        .call(
            "/api/api-keys/create",
            &[("name", "CRM"), ("password", PASSWORD)],
            Some(&here),
        )
        .await;
    assert_eq!(key.status, StatusCode::OK, "{}", key.body);
    let key = key.json().as_str().unwrap().to_owned();

    let changed = app
        .call(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
                ("revoke_api_keys", "on"),
            ],
            Some(&here),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json(), json!([1, 1]), "one other session, one key");
    let me = |cookie: String| {
        let app = &app;
        async move { app.call("/api/auth/me", &[], Some(&cookie)).await.json() }
    };
    assert_eq!(
        me(here.clone()).await["email"],
        "sessions@example.com",
        "this session stays"
    );
    assert!(me(elsewhere).await.is_null(), "the other session ended");
    let api = Request::get("/api/v1/forms")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.send(api).await.status,
        StatusCode::UNAUTHORIZED,
        "the key was revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_does_not_tell_who_has_an_account_and_is_limited_per_address() {
    let app = TestApp::new().await;
    app.sign_up("taken@example.com", PASSWORD).await;
    let taken = app
        .call(
            "/api/auth/signup",
            &[
                ("email", "taken@example.com"),
                ("password", "another password"),
            ],
            None,
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!taken.body.contains("already exists"), "{}", taken.body);
    assert!(
        taken
            .body
            .contains("cannot be created with this email and password"),
        "{}",
        taken.body
    );
    // 30 account attempts a minute per address (logins and sign-ups together).
    let mut limited = None;
    for i in 0..40 {
        let response = app
            .call(
                "/api/auth/signup",
                &[
                    ("email", &format!("n{i}@example.com")),
                    ("password", "short"),
                ],
                None,
            )
            .await;
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
    }
    assert!(limited.is_some(), "sign-up is rate-limited per address");
}

/// Fails unless `response` is the form rendered again with `status`, saying `says`, with
/// the short-text answer `kept` still in its input.
fn assert_form_again(response: &common::Response, status: StatusCode, says: &str, kept: &str) {
    let main = &response.body[response.body.find("<main").unwrap_or(0)..];
    assert_eq!(response.status, status, "{main}");
    assert!(
        response.body.contains(says),
        "does not say {says:?}: {main}"
    );
    assert!(
        response.body.contains(&format!("value=\"{kept}\"")),
        "{kept:?} was not kept: {main}"
    );
}

fn upload_form(max_mb: u32) -> Value {
    json!({
        "name": "Uploads",
        "fields": [
            {"identifier": "name", "label": "Name", "type": "short_text", "required": true},
            {"identifier": "cv", "label": "CV", "type": "file", "config": {"max_size_mb": max_mb}}
        ]
    })
}

/// A multipart post of a name and a file, sent in 16 KB chunks as a network would.
fn upload(id: &str, name: &str, file: &[u8]) -> Request<Body> {
    let (ct, body) = multipart(&[
        ("name", None, name.as_bytes()),
        ("cv", Some(("cv.pdf", "application/pdf")), file),
    ]);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(16 * 1024).map(|c| Ok(c.to_vec())).collect();
    Request::post(format!("/f/{id}"))
        .header(header::CONTENT_TYPE, ct)
        .header(header::ACCEPT, "text/html")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap()
}

/// The uploaded files (received or kept) under the data directory `dir`.
fn files_in(dir: &std::path::Path) -> usize {
    walk(&dir.join("uploads"))
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_limit_the_respondent_keeps_what_was_typed() {
    let app = TestApp::new().await;
    let (_, id) = owner_with_form(&app, "limits@example.com", &upload_form(1)).await;

    // A file over its field's size, inside the form's whole limit (the field's size plus
    // 1 MB for the text).
    let big = vec![b'x'; 1024 * 1024 + 512 * 1024];
    let response = app.send_built(|| upload(&id, "Ada Lovelace", &big)).await;
    assert_form_again(
        &response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "larger than 1 MB",
        "Ada Lovelace",
    );

    // A body past the form's whole limit (and axum's 2 MB default): the answers that came
    // first are kept.
    let huge = vec![b'x'; 3 * 1024 * 1024];
    let response = app.send_built(|| upload(&id, "Grace Hopper", &huge)).await;
    assert_form_again(
        &response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than this form accepts",
        "Grace Hopper",
    );
    assert_eq!(files_in(&app.data_dir), 0, "nothing was kept");

    // A urlencoded body past its own small limit.
    let (_, text_id) = owner_with_form(&app, "text@example.com", &json!({
        "name": "Text", "fields": [{"identifier": "name", "label": "Name", "type": "short_text"},
                                   {"identifier": "notes", "label": "Notes", "type": "long_text"}]})).await;
    let body = format!(
        "name=Ada&notes={}",
        "x".repeat(server::MAX_URLENCODED_BYTES)
    );
    let response = post_form(&app, &text_id, &body).await;
    assert_form_again(
        &response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than this form accepts",
        "Ada",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_cannot_be_written_keeps_the_typed_answers() {
    let app = TestApp::new().await;
    let (_, id) = owner_with_form(&app, "unwritable@example.com", &upload_form(1)).await;
    // A plain file where the incoming folder should be: no upload can be written.
    std::fs::create_dir_all(app.data_dir.join("uploads")).unwrap();
    std::fs::write(
        app.data_dir.join("uploads").join(".incoming"),
        b"in the way",
    )
    .unwrap();
    let response = app.send_built(|| upload(&id, "Ada Lovelace", b"%PDF-1.4 cv"))
        .await;
    assert_form_again(
        &response,
        StatusCode::SERVICE_UNAVAILABLE,
        "could not be received",
        "Ada Lovelace",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_posts_are_rate_limited_per_address_with_answers_kept() {
    let app = TestApp::with_limits(app::auth::ApiLimiter::new(2, 0)).await;
    let (_, id) = owner_with_form(&app, "rate@example.com", &upload_form(1)).await;
    for _ in 0..2 {
        let ok = post_form(&app, &id, "name=Ada").await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    }
    let limited = post_form(&app, &id, "name=Ada+Again").await;
    assert_form_again(
        &limited,
        StatusCode::TOO_MANY_REQUESTS,
        "Too many answers",
        "Ada Again",
    );
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_router_is_rate_limited_per_address() {
    let app = TestApp::with_limits(app::auth::ApiLimiter::with_router(0, 0, 3)).await;
    let (cookie, id) = owner_with_form(&app, "router@example.com", &upload_form(1)).await;
    for _ in 0..3 {
        let ok = app.get(&format!("/router?form={id}&name=Ada"), None).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    }
    let limited = app
        .get(
            &format!("/router?form={id}&name=Ada&junction_dry_run=1"),
            None,
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key(header::RETRY_AFTER));
    let page = app
        .call(
            "/api/forms/responses",
            &[("form_id", &id), ("page", "1")],
            Some(&cookie),
        )
        .await;
    assert_eq!(page.json()["total"], 3, "the refused call stored nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_kept_only_with_their_response_and_go_with_their_form() {
    let app = TestApp::build(app::auth::ApiLimiter::new(0, 0), false, |state| {
        state.upload_quota_bytes = 1500;
    })
    .await;
    let (cookie, id) = owner_with_form(&app, "files@example.com", &upload_form(1)).await;

    // Refused (the name is required): the file is not kept.
    let refused = app.send_built(|| upload(&id, "", b"%PDF-1.4 first")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("Choose the file again"),
        "{}",
        refused.body
    );
    assert_eq!(files_in(&app.data_dir), 0);

    // Stored: one file.
    let stored = app.send_built(|| upload(&id, "Ada", &[b'x'; 1000])).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);
    assert_eq!(files_in(&app.data_dir), 1);

    // Over the form's quota (1,500 bytes): refused with a clear message.
    let over = app.send_built(|| upload(&id, "Eve", &[b'x'; 1000])).await;
    assert_form_again(
        &over,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no room for more files",
        "Eve",
    );
    assert_eq!(files_in(&app.data_dir), 1);

    // The API cannot name a file that was never uploaded.
    let made_up = Request::post(format!("/api/v1/forms/{id}/responses"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"answers": {"name": "Mallory", "cv": {"file_id": "abc123", "name": "x.pdf", "size": 10, "content_type": "application/pdf"}}})
                .to_string(),
        ))
        .unwrap();
    let response = app.send(made_up).await;
    assert_eq!(
        response.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("No file with id"),
        "{}",
        response.body
    );

    // A storage failure during a submission: the form again, typed text kept, no file left.
    sqlx::query("ALTER TABLE responses RENAME TO responses_away")
        .execute(app.db.pool())
        .await
        .unwrap();
    let failed = app.send_built(|| upload(&id, "Grace", &[b'y'; 100])).await;
    assert_form_again(
        &failed,
        StatusCode::SERVICE_UNAVAILABLE,
        "could not be saved",
        "Grace",
    );
    assert_eq!(
        files_in(&app.data_dir),
        1,
        "the failed submission left no file"
    );
    sqlx::query("ALTER TABLE responses_away RENAME TO responses")
        .execute(app.db.pool())
        .await
        .unwrap();

    // Deleting the form deletes its files.
    let deleted = app
        .call("/api/forms/delete", &[("id", &id)], Some(&cookie))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(files_in(&app.data_dir), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_thank_you_page_shows_only_this_forms_messages_while_it_is_open() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "thanks@example.com", &hostile_form()).await;
    let (_, other) = owner_with_form(&app, "other@example.com", &json!({
        "name": "Other", "fields": [{"identifier": "x", "label": "X", "type": "short_text"}],
        "routes": [{"id": "planted", "name": "P", "rule": {}, "action": {"type": "message", "value": "Send your password to evil.example"}}]
    })).await;
    let _ = other;
    let planted = app
        .get(&format!("/f/{id}/thanks?route=planted"), None)
        .await;
    assert_eq!(planted.status, StatusCode::OK);
    assert!(
        !planted.body.contains("evil.example"),
        "another form's message is never shown"
    );
    assert!(planted.body.contains("Thank you!"));

    app.close_form(&cookie, &id).await;
    let page = app.get(&format!("/f/{id}/thanks"), None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("This form is closed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_or_closing_never_undoes_a_concurrent_save() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "race@example.com", &upload_form(1)).await;
    let record = app::db::forms::find(&app.db, &id).await.unwrap().unwrap();
    // A save lands between the rename's read and its write.
    let mut saved = record.definition.clone();
    saved.description = "saved meanwhile".into();
    app::db::forms::update(&app.db, &id, record.owner_id, &saved)
        .await
        .unwrap();
    let mut stale = record.definition.clone();
    stale.name = "Renamed".into();
    let lost = app::db::forms::update_if_revision(
        &app.db,
        &id,
        record.owner_id,
        Some(record.revision),
        &stale,
    )
    .await
    .unwrap();
    assert!(lost.is_none(), "a write on a stale revision is refused");
    // The rename and the switch, through the server functions, keep the save.
    let renamed = app
        .call(
            "/api/forms/rename",
            &[("id", &id), ("name", "Renamed")],
            Some(&cookie),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    app.close_form(&cookie, &id).await;
    let now = app::db::forms::find(&app.db, &id).await.unwrap().unwrap();
    assert_eq!(now.definition.name, "Renamed");
    assert!(!now.definition.settings.enabled);
    assert_eq!(now.definition.description, "saved meanwhile");
    assert_eq!(now.revision, record.revision + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_page_number_is_refused_not_overflowed() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "pages@example.com", &upload_form(1)).await;
    let page = app
        .call(
            "/api/forms/responses",
            &[("form_id", &id), ("page", &i64::MAX.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("There is no page"), "{}", page.body);
    let html = app
        .get(
            &format!("/forms/{id}/responses?page=99999999999999999999"),
            Some(&cookie),
        )
        .await;
    assert_eq!(html.status, StatusCode::OK, "{}", html.body);
}

/// The largest form the limits allow, each route reusing a form of 100 routes with rules of
/// the largest size that still fits the request, and 200 display conditions: a dry run is
/// decided within the submission's budget (the fallback, after every rule ran or the budget
/// ran out), and the answer is correct. Its time is measured by `cargo bench --bench
/// routing` (worst_form_dry_run), not here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worst_form_the_limits_allow_is_decided_within_its_budget() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("worst@example.com", PASSWORD).await;
    let (target, reusing) = worst_case::definitions();
    let create = |def: Value| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let created = app
                .call("/api/forms/create", &[("name", "Draft")], Some(&cookie))
                .await;
            let id = created.json().as_str().unwrap().to_owned();
            let saved = app
                .call(
                    "/api/forms/save",
                    &[("id", &id), ("definition", &def.to_string())],
                    Some(&cookie),
                )
                .await;
            assert_eq!(
                saved.status,
                StatusCode::OK,
                "{}",
                &saved.body[..saved.body.len().min(2000)]
            );
            id
        }
    };
    let target_id = create(target).await;
    let id = create(reusing(&target_id)).await;
    let answers = worst_case::answers();
    let request = Request::post(format!("/api/v1/forms/{id}/responses?dry_run=1"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"answers": answers}).to_string()))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(
        response.json()["route"]["id"],
        Value::Null,
        "nothing matches: the fallback"
    );
}

/// Serves `app` on a free loopback port with 1 s limits until `stop` fires; returns the
/// address and the serving task.
async fn serve_for_test(
    app: &TestApp,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    let limits = server::ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(1),
        shutdown_grace: std::time::Duration::from_secs(1),
    };
    let task = tokio::spawn(async move {
        server::serve_connections(listener, router, &limits, async {
            let _ = stop.await;
        })
        .await;
    });
    (addr, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_slow_to_send_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let (_stop, stop_rx) = tokio::sync::oneshot::channel();
    let (addr, _task) = serve_for_test(&app, stop_rx).await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // The headers never end; the server hangs up after its 1 s header timeout.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut buf),
    )
    .await;
    assert!(read.is_ok(), "the connection was still open after 10 s");
    // A client that sends its headers in time is served on a new connection.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_cuts_requests_still_running_after_the_grace_period() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::new().await;
    let (_, id) = owner_with_form(&app, "shutdown@example.com", &upload_form(1)).await;
    let (stop, stop_rx) = tokio::sync::oneshot::channel();
    let (addr, task) = serve_for_test(&app, stop_rx).await;
    // A submission whose body never finishes arriving keeps its request in flight.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("POST /f/{id} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname=Ada").as_bytes(),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.send(()).unwrap();
    // The server stops after its 1 s grace period although the request never completed.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
    assert!(
        stopped.is_ok(),
        "the server was still waiting for the request after 10 s"
    );
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_from_before_the_user_column_are_ended_by_a_password_change_too() {
    let app = TestApp::new().await;
    let here = app.sign_up("old-session@example.com", PASSWORD).await;
    let old = app.log_in("old-session@example.com", PASSWORD).await;
    // As a session stored before the column existed, then the migration's backfill.
    sqlx::query("UPDATE sessions SET user_id = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let migration = match app.db.kind() {
        app::db::DbKind::Postgres => {
            include_str!("../../migrations/postgres/20261201000005_security.sql")
        }
        _ => include_str!("../../migrations/sqlite/20261201000005_security.sql"),
    };
    let backfill = migration
        .lines()
        .find(|l| l.starts_with("UPDATE sessions"))
        .expect("the migration backfills sessions");
    sqlx::query(sqlx::AssertSqlSafe(backfill.to_owned()))
        .execute(app.db.pool())
        .await
        .unwrap();
    let changed = app
        .call(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
            Some(&here),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(changed.json(), json!([1, 0]));
    let me = app.call("/api/auth/me", &[], Some(&old)).await;
    assert!(me.json().is_null(), "the old session ended");
}
