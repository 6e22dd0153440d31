//! Server-rendered pages, the health check and errors, through the real router.

mod common;

use common::TestApp;
use http::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_as_html_without_javascript() {
    let app = TestApp::new().await;
    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(
        login.body.starts_with("<!DOCTYPE html>"),
        "{}",
        &login.body[..80.min(login.body.len())]
    );
    assert!(
        login
            .body
            .contains(r#"<label for="login-email">Email</label>"#),
        "{}",
        login.body
    );
    assert!(
        login.body.contains("/pkg/junction.js"),
        "hydration script is linked"
    );
    let home = app.get("/", None).await;
    assert!(home.body.contains("Create an account"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_a_404_page() {
    let app = TestApp::new().await;
    let response = app.get("/no/such/page", None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(response.body.contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_when_the_database_does() {
    let app = TestApp::new().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(
        (response.status, response.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    app.db.close().await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_show_the_navigation() {
    let app = TestApp::new().await;
    let cookie = app
        .sign_up("nav@example.com", "correct horse battery")
        .await;
    let page = app.get("/settings", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Dashboard",
        "Settings",
        "nav@example.com",
        "Change password",
    ] {
        assert!(page.body.contains(text), "missing {text}");
    }
}
