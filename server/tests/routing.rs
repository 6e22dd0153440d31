//! Routing on submission and the headless router, through the real router.

mod common;

use axum::body::Body;
use common::TestApp;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

fn routed_form() -> Value {
    json!({
        "name": "Routed",
        "fields": [
            {"identifier": "email", "label": "Email", "type": "email", "required": true},
            {"identifier": "size", "label": "Size", "type": "number"},
            {"identifier": "plan", "label": "Plan", "type": "radio",
             "config": {"options": [{"value": "team", "label": "Team"}, {"value": "solo", "label": "Solo"}]}}
        ],
        "routes": [
            {"id": "enterprise", "name": "Enterprise", "rule": {">=": [{"var": "size"}, 500]},
             "action": {"type": "event_type", "value": "/team/sales/enterprise?email={email}"}},
            {"id": "team", "name": "Team", "rule": {"==": [{"var": "plan"}, "team"]},
             "action": {"type": "external_url", "value": "https://example.com/team/{plan}"}},
            {"id": "solo", "name": "Solo", "rule": {"==": [{"var": "plan"}, "solo"]},
             "action": {"type": "message", "value": "Solo plans start today.\nNo call needed."}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks, we will be in touch."}}
    })
}

async fn setup(app: &TestApp) -> (String, String) {
    let cookie = app
        .sign_up("router@example.com", "correct horse battery")
        .await;
    let id = app
        .call("/api/forms/create", &[("name", "x")], Some(&cookie))
        .await
        .json()
        .as_str()
        .unwrap()
        .to_owned();
    let saved = app
        .call(
            "/api/forms/save",
            &[("id", &id), ("definition", &routed_form().to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    (cookie, id)
}

async fn submit(app: &TestApp, id: &str, body: &str) -> common::Response {
    app.send(
        Request::post(format!("/f/{id}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap(),
    )
    .await
}

async fn routes_taken(app: &TestApp, cookie: &str, id: &str) -> Vec<Value> {
    let page = app
        .call(
            "/api/forms/responses",
            &[("form_id", id), ("page", "1")],
            Some(cookie),
        )
        .await
        .json();
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route_id"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_follow_the_first_matching_route() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;

    let enterprise = submit(
        &app,
        &id,
        "email=Ada.L%2Btag%40Example.com&size=900&plan=team",
    )
    .await;
    assert_eq!(enterprise.status, StatusCode::SEE_OTHER);
    assert_eq!(
        enterprise.location(),
        Some("/team/sales/enterprise?email=Ada.L%2Btag%40example.com")
    );

    let team = submit(&app, &id, "email=a%40b.co&size=5&plan=team").await;
    assert_eq!(team.location(), Some("https://example.com/team/team"));

    let solo = submit(&app, &id, "email=a%40b.co&plan=solo").await;
    assert_eq!(
        solo.location(),
        Some(format!("/f/{id}/thanks?route=solo").as_str())
    );
    let page = app.get(solo.location().unwrap(), None).await;
    assert!(
        page.body
            .contains("Solo plans start today.\nNo call needed."),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<br"), "messages are text, never HTML");

    let fallback = submit(&app, &id, "email=a%40b.co").await;
    assert_eq!(
        fallback.location(),
        Some(format!("/f/{id}/thanks").as_str())
    );
    assert!(
        app.get(&format!("/f/{id}/thanks"), None)
            .await
            .body
            .contains("Thanks, we will be in touch.")
    );

    assert_eq!(
        routes_taken(&app, &cookie, &id).await,
        [
            Value::Null,
            json!("solo"),
            json!("team"),
            json!("enterprise")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_router_stores_forwards_and_can_dry_run() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;

    let dry = app
        .get(
            &format!("/router?form={id}&email=a%40b.co&size=700&junction_dry_run=1&utm=x"),
            None,
        )
        .await;
    assert_eq!(dry.status, StatusCode::SEE_OTHER);
    assert_eq!(
        dry.location(),
        Some("/team/sales/enterprise?email=a%40b.co&email=a%40b.co&size=700&utm=x")
    );
    assert!(
        routes_taken(&app, &cookie, &id).await.is_empty(),
        "a dry run stores nothing"
    );

    let real = app
        .get(&format!("/router?form={id}&email=a%40b.co&plan=team"), None)
        .await;
    let location = real.location().unwrap().to_owned();
    assert!(
        location.starts_with(
            "https://example.com/team/team?email=a%40b.co&plan=team&junction_response_id="
        ),
        "{location}"
    );
    assert_eq!(routes_taken(&app, &cookie, &id).await, [json!("team")]);

    let refused = app
        .get(&format!("/router?form={id}&email=nope"), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.json()["errors"]["email"][0].is_string(),
        "{}",
        refused.body
    );
    assert_eq!(
        app.get("/router?email=x", None).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/router?form=missing", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_export_as_csv_for_the_owner_only() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;
    submit(&app, &id, "email=a%40b.co&plan=solo").await;
    submit(&app, &id, "email=c%40d.co&size=900&plan=team").await;
    let csv = app
        .get(&format!("/forms/{id}/responses.csv"), Some(&cookie))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "Submitted at (UTC),Route,Email,Size,Plan");
    assert!(
        lines[1].ends_with(",Enterprise,c@d.co,900,team"),
        "{}",
        lines[1]
    );
    assert!(lines[2].ends_with(",Solo,a@b.co,,solo"), "{}", lines[2]);
    assert_eq!(lines.len(), 3);
    let other = app
        .sign_up("other@example.com", "correct horse battery")
        .await;
    assert_eq!(
        app.get(&format!("/forms/{id}/responses.csv"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/forms/{id}/responses.csv"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_filter_by_route_and_day() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;
    submit(&app, &id, "email=a%40b.co&plan=solo").await;
    submit(&app, &id, "email=c%40d.co&plan=team").await;
    submit(&app, &id, "email=e%40f.co").await;
    let list = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let cookie = cookie.clone();
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call("/api/forms/responses", &pairs, Some(&cookie))
                .await
        }
    };
    let base = || vec![("form_id", id.clone()), ("page", "1".to_owned())];
    let solo = list([base(), vec![("route", "solo".to_owned())]].concat())
        .await
        .json();
    assert_eq!(
        (solo["total"].as_i64(), solo["rows"][0]["route_id"].as_str()),
        (Some(1), Some("solo"))
    );
    let fallback = list([base(), vec![("route", "fallback".to_owned())]].concat())
        .await
        .json();
    assert_eq!(
        (
            fallback["total"].as_i64(),
            fallback["rows"][0]["route_id"].is_null()
        ),
        (Some(1), true)
    );
    let today = app::dates::iso_date(app::db::now());
    let day = list([base(), vec![("from", today.clone()), ("to", today)]].concat())
        .await
        .json();
    assert_eq!(day["total"], 3);
    let past = list([base(), vec![("to", "2000-01-01".to_owned())]].concat())
        .await
        .json();
    assert_eq!(past["total"], 0);
    let bad = list([base(), vec![("from", "yesterday".to_owned())]].concat()).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insights_count_days_routes_and_answers_for_the_owner_only() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;
    submit(&app, &id, "email=a%40b.co&plan=solo").await;
    submit(&app, &id, "email=c%40d.co&plan=team").await;
    submit(&app, &id, "email=e%40f.co&plan=team&size=900").await;
    submit(&app, &id, "email=g%40h.co").await;
    let insights = app
        .call(
            "/api/forms/insights",
            &[("form_id", &id), ("days", "7")],
            Some(&cookie),
        )
        .await;
    assert_eq!(insights.status, StatusCode::OK, "{}", insights.body);
    let data = insights.json();
    assert_eq!(data["days"], 7);
    let insights = &data["insights"];
    assert_eq!(insights["total"], 4);
    let days = insights["per_day"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    assert_eq!(days[6]["label"], app::dates::iso_date(app::db::now()));
    assert_eq!(days[6]["count"], 4);
    let bars = |v: &Value| -> Vec<(String, i64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["label"].as_str().unwrap().to_owned(),
                    b["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let owned = |xs: &[(&str, i64)]| {
        xs.iter()
            .map(|(l, n)| (l.to_string(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        bars(&insights["per_route"]),
        owned(&[("Enterprise", 1), ("Team", 1), ("Solo", 1), ("Fallback", 1)])
    );
    assert_eq!(insights["fields"][0]["label"], "Plan");
    assert_eq!(
        bars(&insights["fields"][0]["bars"]),
        owned(&[("Team", 2), ("Solo", 1)])
    );
    // The page draws the charts on the server.
    let page = app
        .get(&format!("/forms/{id}/insights?days=7"), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Hits per route"), "{}", page.body);
    assert!(page.body.contains("<svg"));
    // Nobody else sees them.
    let other = app
        .sign_up("nosy@example.com", "correct horse battery")
        .await;
    let refused = app
        .call(
            "/api/forms/insights",
            &[("form_id", &id), ("days", "7")],
            Some(&other),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_router_form_reuses_another_forms_routes() {
    let app = TestApp::new().await;
    let (cookie, shared) = setup(&app).await;
    let create = |name: &'static str| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.call("/api/forms/create", &[("name", name)], Some(&cookie))
                .await
                .json()
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let router = create("Router").await;
    let save = |id: String, def: Value| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            app.call(
                "/api/forms/save",
                &[("id", &id), ("definition", &def.to_string())],
                Some(&cookie),
            )
            .await
        }
    };
    let definition = |reuse: &str| {
        json!({
            "name": "Router",
            "fields": [
                {"identifier": "email", "label": "Email", "type": "email", "required": true},
                {"identifier": "size", "label": "Size", "type": "number"},
                {"identifier": "plan", "label": "Plan", "type": "radio",
                 "config": {"options": [{"value": "team", "label": "Team"}, {"value": "solo", "label": "Solo"}]}}
            ],
            "routes": [
                {"id": "vip", "name": "VIP", "rule": {"==": [{"var": "email"}, "boss@x.co"]},
                 "action": {"type": "message", "value": "Hello boss"}},
                {"id": "shared", "name": "Shared", "use_routes_of": reuse}
            ],
            "fallback": {"action": {"type": "message", "value": "Router fallback"}}
        })
    };
    let saved = save(router.clone(), definition(&shared)).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    // Decisions walk the other form's routes in place of the router route.
    let to = submit(&app, &router, "email=a%40b.co&size=900").await;
    assert_eq!(to.location(), Some("/team/sales/enterprise?email=a%40b.co"));
    let solo = submit(&app, &router, "email=s%40b.co&plan=solo").await;
    let location = solo.location().unwrap().to_owned();
    assert_eq!(location, format!("/f/{router}/thanks?route=shared%2Fsolo"));
    let thanks = app.get(&location, None).await;
    assert!(
        thanks.body.contains("Solo plans start today."),
        "{}",
        thanks.body
    );
    let boss = submit(&app, &router, "email=boss%40x.co&size=900").await;
    assert_eq!(
        boss.location(),
        Some(format!("/f/{router}/thanks?route=vip").as_str())
    );
    let none = submit(&app, &router, "email=n%40b.co").await;
    assert_eq!(
        none.location(),
        Some(format!("/f/{router}/thanks").as_str())
    );
    assert_eq!(
        routes_taken(&app, &cookie, &router).await,
        [
            json!(null),
            json!("vip"),
            json!("shared/solo"),
            json!("shared/enterprise")
        ]
    );
    // Tables and exports name both routes; the router route filters its reused ones.
    let csv = app
        .get(&format!("/forms/{router}/responses.csv"), Some(&cookie))
        .await;
    assert!(csv.body.contains(",Shared → Solo,s@b.co"), "{}", csv.body);
    let filtered = app
        .call(
            "/api/forms/responses",
            &[("form_id", &router), ("page", "1"), ("route", "shared")],
            Some(&cookie),
        )
        .await
        .json();
    assert_eq!(filtered["total"], 2);

    // What cannot be reused is refused at save time, naming the route.
    let refused = |body: &str| {
        serde_json::from_str::<Value>(body).unwrap()["Validation"]["fields"]["routes[1].use_routes_of"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned()
    };
    let own = save(router.clone(), definition(&router)).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert_eq!(
        refused(&own.body),
        "A form cannot reuse its own routes.",
        "{}",
        own.body
    );
    let other_user = app
        .sign_up("stranger@example.com", "correct horse battery")
        .await;
    let theirs = app
        .call(
            "/api/forms/create",
            &[("name", "theirs")],
            Some(&other_user),
        )
        .await
        .json()
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = save(router.clone(), definition(&theirs)).await;
    assert_eq!(refused(&foreign.body), "None of your forms has this id.");
    let mut narrow = definition(&shared);
    narrow["fields"].as_array_mut().unwrap().truncate(1);
    let misfit = save(router.clone(), narrow).await;
    assert!(
        refused(&misfit.body).contains("\"size\""),
        "{}",
        misfit.body
    );
}

/// The page, the JSON API and the headless router answer through one `submit`: a closed
/// form is refused alike by all three (403), stores nothing, and its page explains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_form_is_refused_alike_by_the_page_the_api_and_the_router() {
    let app = TestApp::new().await;
    let (cookie, id) = setup(&app).await;
    app.close_form(&cookie, &id).await;

    let page = submit(&app, &id, "email=a%40b.co&plan=team").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("This form is closed"), "{}", page.body);

    let api = app
        .send(
            Request::post(format!("/api/v1/forms/{id}/responses"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"answers": {"email": "a@b.co", "plan": "team"}}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["error"], "This form is not accepting responses.");

    let router = app
        .get(&format!("/router?form={id}&email=a%40b.co&plan=team"), None)
        .await;
    assert_eq!(router.status, StatusCode::FORBIDDEN);
    assert_eq!(
        router.json()["error"],
        "This form is not accepting responses."
    );

    assert!(routes_taken(&app, &cookie, &id).await.is_empty());
}

/// A test app whose `routing.beforeRoute` filter sends VIPs to the team route, names a
/// route the form lacks for others, and refuses one domain.
struct Concierge(app::apps::manifest::Manifest);

struct Choose;

#[async_trait::async_trait]
impl app::hooks::runtime::FilterHandler<app::apps::host::HostApi> for Choose {
    async fn filter(
        &self,
        _host: &app::apps::host::HostApi,
        payload: Value,
    ) -> Result<app::hooks::runtime::FilterOutcome, String> {
        use app::hooks::runtime::FilterOutcome;
        let mut route: app::hooks::RoutePayload = serde_json::from_value(payload).map_err(|e| e.to_string())?;
        let email = route.answers["email"].as_str().unwrap_or_default().to_owned();
        if email.ends_with("@blocked.example") {
            return Ok(FilterOutcome::Reject("Not from that domain, thank you.".into()));
        }
        route.route_id = if email.ends_with("@vip.example") {
            Some("team".into())
        } else if email.ends_with("@lost.example") {
            Some("no-such-route".into())
        } else if email.ends_with("@fallback.example") {
            None
        } else {
            route.route_id
        };
        Ok(FilterOutcome::Continue(serde_json::to_value(route).unwrap()))
    }
}

impl app::apps::App for Concierge {
    fn manifest(&self) -> &app::apps::manifest::Manifest {
        &self.0
    }

    fn register(&self, hooks: &mut app::apps::Registrar<'_>) {
        hooks.filter::<app::hooks::RoutingBeforeRoute>(Choose);
    }
}

#[tokio::test]
async fn an_apps_before_route_filter_may_choose_another_route_or_refuse() {
    let manifest = common::test_manifest("concierge", &["responses:read", "responses:write"], &[("routing.beforeRoute", 100)]);
    let app = TestApp::with_apps(vec![std::sync::Arc::new(Concierge(manifest))]).await;
    let (cookie, id) = setup(&app).await;
    common::install_on(&app, "router@example.com", "concierge").await;

    // The rules say solo; the app says team (an external URL with the answer in it).
    let vip = submit(&app, &id, "email=a%40vip.example&plan=solo").await;
    assert_eq!(vip.status, StatusCode::SEE_OTHER, "{}", vip.body);
    assert_eq!(vip.location(), Some("https://example.com/team/solo"));
    // A route the form lacks: the rules' choice (solo's message) stands.
    let lost = submit(&app, &id, "email=a%40lost.example&plan=solo").await;
    assert_eq!(lost.status, StatusCode::SEE_OTHER, "{}", lost.body);
    // The fallback, chosen by the app over the rules' team route.
    let fell = submit(&app, &id, "email=a%40fallback.example&plan=team").await;
    assert_eq!(fell.status, StatusCode::SEE_OTHER, "{}", fell.body);
    // Refused, with the answers kept in the form shown again.
    let refused = submit(&app, &id, "email=a%40blocked.example&plan=team").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Not from that domain, thank you."), "{}", refused.body);
    assert!(refused.body.contains("a@blocked.example"), "{}", refused.body);

    let taken = routes_taken(&app, &cookie, &id).await;
    let routes: Vec<Value> = taken.iter().rev().cloned().collect();
    assert_eq!(routes, [json!("team"), json!("solo"), Value::Null], "{taken:?}");
}
