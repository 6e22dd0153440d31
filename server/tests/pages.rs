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

/// `/docs/hooks` is generated from the catalog: every hook point is listed under its kind,
/// and the footer of every page links to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_points_page_lists_the_whole_catalog() {
    let app = TestApp::new().await;
    let page = app.get("/docs/hooks", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let section = |kind: &str| {
        let start = page
            .body
            .find(&format!(r#"data-test="hooks-{kind}""#))
            .unwrap_or_else(|| panic!("no {kind} table"));
        let end = page.body[start..].find("</table>").unwrap() + start;
        page.body[start..end].to_owned()
    };
    let (filters, actions) = (section("filter"), section("action"));
    for point in app::hooks::CATALOG {
        let row = format!("<code>{}</code>", point.name);
        let (own, other) = match point.kind {
            app::hooks::HookKind::Filter => (&filters, &actions),
            app::hooks::HookKind::Action => (&actions, &filters),
        };
        assert!(own.contains(&row), "{} missing from its table", point.name);
        assert!(!other.contains(&row), "{} in the wrong table", point.name);
    }
    assert!(filters.contains("form.beforeSubmit") && actions.contains("form.submitted"));
    assert!(page.body.contains("data-test=\"account-hooks\""), "the page says who handles the account hooks");
    let home = app.get("/", None).await;
    assert!(home.body.contains(r#"href="/docs/hooks""#));
}
