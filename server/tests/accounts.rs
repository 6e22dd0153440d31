//! Accounts and sessions through the real router: sign-up, log-in, log-out, guards, limits.

mod common;

use common::TestApp;
use http::StatusCode;

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_starts_a_session_with_a_safe_cookie() {
    let app = TestApp::new().await;
    let response = app
        .call(
            "/api/auth/signup",
            &[("email", "  Ada@Example.com "), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let set_cookie = response.set_cookie().expect("session cookie");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");

    let cookie = response.session_cookie().unwrap();
    let me = app.call("/api/auth/me", &[], Some(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["email"], "ada@example.com");
    assert_eq!(me.json()["role"], "user");
    assert!(
        !me.body.contains("argon2"),
        "the hash never leaves the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_stored_as_argon2id() {
    let app = TestApp::new().await;
    app.sign_up("hash@example.com", PASSWORD).await;
    let record = app::db::users::find_by_email(&app.db, "hash@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(record.password_hash.starts_with("$argon2id$"));
    assert!(!record.password_hash.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_errors_name_the_field() {
    let app = TestApp::new().await;
    app.sign_up("taken@example.com", PASSWORD).await;

    let duplicate = app
        .call(
            "/api/auth/signup",
            &[("email", "TAKEN@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &duplicate.json()["Validation"]["fields"];
    // The refusal does not say the email is taken (tests/security.rs has the rest).
    assert_eq!(
        fields["email"][0],
        "An account cannot be created with this email and password. If you have an account, log in instead."
    );

    let short = app
        .call(
            "/api/auth/signup",
            &[("email", "new@example.com"), ("password", "short")],
            None,
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.json()["Validation"]["fields"]["password"][0].is_string(),
        "{}",
        short.body
    );

    let bad_email = app
        .call(
            "/api/auth/signup",
            &[("email", "nope"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_email.json()["Validation"]["fields"]["email"][0].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_checks_the_password_and_cycles_the_session() {
    let app = TestApp::new().await;
    let signup_cookie = app.sign_up("bob@example.com", PASSWORD).await;

    let wrong = app
        .call(
            "/api/auth/login",
            &[("email", "bob@example.com"), ("password", "not it at all")],
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json()["BadRequest"],
        "That email and password do not match an account."
    );

    let unknown = app
        .call(
            "/api/auth/login",
            &[("email", "who@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(
        unknown.body, wrong.body,
        "unknown accounts read like wrong passwords"
    );

    let ok = app
        .call(
            "/api/auth/login",
            &[("email", "BOB@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let cookie = ok.session_cookie().unwrap();
    assert_ne!(cookie, signup_cookie);
    assert_eq!(
        app.call("/api/auth/me", &[], Some(&cookie)).await.json()["email"],
        "bob@example.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_out_ends_the_session() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("carol@example.com", PASSWORD).await;
    let out = app.call("/api/auth/logout", &[], Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::OK);
    let me = app.call("/api/auth/me", &[], Some(&cookie)).await;
    assert_eq!(me.json(), serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_are_refused_with_401() {
    let app = TestApp::new().await;
    let response = app
        .call(
            "/api/account/password",
            &[("current_password", "x"), ("new_password", "y")],
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.json(), serde_json::json!("Unauthorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_need_a_user_redirect_to_login() {
    let app = TestApp::new().await;
    for (path, next) in [("/dashboard", "%2Fdashboard"), ("/settings", "%2Fsettings")] {
        let response = app.get(path, None).await;
        assert_eq!(
            response.status,
            StatusCode::FOUND,
            "{path}: {}",
            response.body
        );
        assert_eq!(
            response.location(),
            Some(format!("/login?next={next}").as_str())
        );
    }
    let cookie = app.sign_up("dana@example.com", PASSWORD).await;
    let dashboard = app.get("/dashboard", Some(&cookie)).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(
        dashboard.body.contains("dana@example.com"),
        "{}",
        dashboard.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_password_requires_the_current_one() {
    let app = TestApp::new().await;
    let cookie = app.sign_up("erin@example.com", PASSWORD).await;
    let wrong = app
        .call(
            "/api/account/password",
            &[
                ("current_password", "wrong one"),
                ("new_password", "a brand new one"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.json()["Validation"]["fields"]["current_password"].is_array());

    let short = app
        .call(
            "/api/account/password",
            &[("current_password", PASSWORD), ("new_password", "tiny")],
            Some(&cookie),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short.json()["Validation"]["fields"]["new_password"].is_array(),
        "{}",
        short.body
    );

    let ok = app
        .call(
            "/api/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new one"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let login = app
        .call(
            "/api/auth/login",
            &[
                ("email", "erin@example.com"),
                ("password", "a brand new one"),
            ],
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_is_rate_limited_per_email() {
    let app = TestApp::new().await;
    app.sign_up("frank@example.com", PASSWORD).await;
    let mut last = None;
    for _ in 0..6 {
        last = Some(
            app.call(
                "/api/auth/login",
                &[("email", "frank@example.com"), ("password", "guess!!!")],
                None,
            )
            .await,
        );
    }
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS, "{}", last.body);
    assert!(last.headers.contains_key(http::header::RETRY_AFTER));
    assert!(last.body.contains("RateLimited"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_server_fn_input_is_a_clear_400() {
    let app = TestApp::new().await;
    let response = app
        .call("/api/auth/login", &[("email", "x@y.z")], None)
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.body
    );
    assert!(response.body.contains("password"), "{}", response.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_are_created_from_the_command_line_code() {
    let app = TestApp::new().await;
    let admin = app::services::accounts::create_admin(&app.db, "Root@Example.com", PASSWORD)
        .await
        .unwrap();
    assert!(admin.is_admin());
    // Running it again with the same password is idempotent …
    assert!(
        app::services::accounts::create_admin(&app.db, "root@example.com", PASSWORD)
            .await
            .is_ok()
    );
    // … and never takes over an account whose password differs.
    app.sign_up("user@example.com", PASSWORD).await;
    let err =
        app::services::accounts::create_admin(&app.db, "user@example.com", "another password")
            .await
            .unwrap_err();
    assert!(err.to_string().contains("different password"), "{err}");
}
