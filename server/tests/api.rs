//! `/api/v1`: keys, every endpoint, other users' data, errors, rate limits and the OpenAPI
//! document, through the real router (on SQLite, and on PostgreSQL when
//! JUNCTION_TEST_DATABASE_URL names one).

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use common::{Client, TestApp, user_with_key};
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

fn routed_form() -> Value {
    json!({
        "name": "Intake",
        "fields": [
            {"identifier": "email", "label": "Email", "type": "email", "required": true},
            {"identifier": "size", "label": "Size", "type": "number"},
            {"identifier": "plan", "label": "Plan", "type": "radio",
             "config": {"options": [{"value": "team", "label": "Team"}, {"value": "solo", "label": "Solo"}]}}
        ],
        "routes": [
            {"name": "Big", "rule": {">=": [{"var": "size"}, 500]},
             "action": {"type": "external_url", "value": "https://example.com/big?e={email}"}},
            {"name": "Solo", "rule": {"==": [{"var": "plan"}, "solo"]},
             "action": {"type": "message", "value": "Solo plans start today."}}
        ],
        "fallback": {"action": {"type": "message", "value": "Thanks."}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_authenticate_show_once_and_revoke() {
    let app = TestApp::new().await;
    let (cookie, key) = user_with_key(&app, "keys@example.com").await;
    assert!(key.starts_with("jk_") && key.len() == 67, "{key}");

    let anonymous = Client {
        app: &app,
        key: None,
    };
    let missing = anonymous.get("/forms").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(
        missing.json()["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer")
    );
    let wrong = Client {
        app: &app,
        key: Some(format!("jk_{}", "0".repeat(64))),
    };
    assert_eq!(wrong.get("/forms").await.status, StatusCode::UNAUTHORIZED);
    let garbage = Client {
        app: &app,
        key: Some("nonsense".into()),
    };
    assert_eq!(garbage.get("/forms").await.status, StatusCode::UNAUTHORIZED);

    let client = Client {
        app: &app,
        key: Some(key.clone()),
    };
    let listed = client.get("/forms").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.json(), json!({"forms": []}));

    // Settings lists the key by name and prefix, never the key, and knows it was used.
    let keys = app
        .call("/api/api-keys/list", &[], Some(&cookie))
        .await
        .json();
    assert_eq!(keys[0]["name"], "script");
    assert_eq!(keys[0]["prefix"], &key[..10]);
    assert!(keys[0]["last_used_at"].is_i64());
    assert!(!keys.to_string().contains(&key));
    let blank = app
        .call(
            "/api/api-keys/create",
            &[("name", " "), ("password", "correct horse battery")],
            Some(&cookie),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Another user cannot revoke it; its owner can, and then it stops working.
    let (other, _) = user_with_key(&app, "other@example.com").await;
    let id = keys[0]["id"].as_str().unwrap();
    let theirs = app
        .call("/api/api-keys/revoke", &[("id", id)], Some(&other))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let revoked = app
        .call("/api/api-keys/revoke", &[("id", id)], Some(&cookie))
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(client.get("/forms").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_are_created_read_replaced_and_deleted() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "crud@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };

    let created = client
        .send(Method::POST, "/forms", Some(routed_form()))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let form = created.json();
    let id = form["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.headers[header::LOCATION],
        format!("/api/v1/forms/{id}")
    );
    assert_eq!(form["definition"]["name"], "Intake");
    assert!(
        form["definition"]["fields"][0]["id"].is_string(),
        "field ids are generated"
    );
    assert!(
        form["definition"]["routes"][0]["id"].is_string(),
        "route ids are generated"
    );

    let listed = client.get("/forms").await.json();
    assert_eq!(listed["forms"][0]["id"], id.as_str());
    let read = client.get(&format!("/forms/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["definition"], form["definition"]);

    let mut changed = form["definition"].clone();
    changed["name"] = json!("Intake v2");
    let replaced = client
        .send(Method::PUT, &format!("/forms/{id}"), Some(changed))
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(
        client.get(&format!("/forms/{id}")).await.json()["definition"]["name"],
        "Intake v2"
    );

    let deleted = client
        .send(Method::DELETE, &format!("/forms/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        client.get(&format!("/forms/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client
            .send(Method::DELETE, &format!("/forms/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_naming_the_problem() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "bad@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key.clone()),
    };

    // The builder's own validation, by path.
    let mut invalid = routed_form();
    invalid["fields"][2]["config"]["options"] = json!([]);
    invalid["routes"][0]["rule"] = json!({"nope": [1]});
    let refused = client.send(Method::POST, "/forms", Some(invalid)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let errors = &refused.json()["errors"];
    assert!(
        errors["fields[2].config.options"][0].is_string(),
        "{errors}"
    );
    assert!(
        errors["routes[0].rule"][0]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{errors}"
    );

    // Unknown fields are named.
    let mut extra = routed_form();
    extra["colour"] = json!("blue");
    let unknown = client.send(Method::POST, "/forms", Some(extra)).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{}",
        unknown.body
    );

    // Not JSON, and JSON not declared as such.
    let broken = app
        .send(
            Request::post("/api/v1/forms")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{\"name\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert!(broken.json()["error"].is_string());
    let undeclared = app
        .send(
            Request::post("/api/v1/forms")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::from(routed_form().to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(undeclared.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Deep nesting is refused, never a crash.
    let deep = format!(
        "{{\"answers\": {{\"email\": {}1{}}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let nested = app
        .send(
            Request::post("/api/v1/forms/whatever/responses")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(deep))
                .unwrap(),
        )
        .await;
    assert!(nested.status.is_client_error(), "{}", nested.status);

    // Too large, said in the same shape.
    let huge = app
        .send(
            Request::post("/api/v1/forms")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, 5 * 1024 * 1024)
                .body(Body::from(vec![b' '; 5 * 1024 * 1024]))
                .unwrap(),
        )
        .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        huge.json()["error"]
            .as_str()
            .unwrap()
            .contains("larger than 4 MB")
    );

    // Unknown query parameters and endpoints.
    let query = client.get("/forms/x/responses?colour=blue").await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST);
    assert!(
        query.json()["error"].as_str().unwrap().contains("colour"),
        "{}",
        query.body
    );
    let nowhere = client.get("/nowhere").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(
        nowhere.json()["error"],
        "This endpoint of /api/v1 was not found."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_users_forms_do_not_exist() {
    let app = TestApp::new().await;
    let (_, mine) = user_with_key(&app, "owner@example.com").await;
    let (_, theirs) = user_with_key(&app, "snoop@example.com").await;
    let owner = Client {
        app: &app,
        key: Some(mine),
    };
    let snoop = Client {
        app: &app,
        key: Some(theirs),
    };
    let id = owner
        .send(Method::POST, "/forms", Some(routed_form()))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (method, path, body) in [
        (Method::GET, format!("/forms/{id}"), None),
        (Method::PUT, format!("/forms/{id}"), Some(routed_form())),
        (Method::DELETE, format!("/forms/{id}"), None),
        (Method::GET, format!("/forms/{id}/responses"), None),
        (Method::GET, format!("/forms/{id}/responses.csv"), None),
    ] {
        let answer = snoop.send(method.clone(), &path, body).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            answer.body
        );
        assert_eq!(answer.json()["error"], "That form was not found.");
    }
    assert_eq!(snoop.get("/forms").await.json(), json!({"forms": []}));
    assert_eq!(
        owner.get(&format!("/forms/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_are_submitted_routed_listed_and_exported() {
    let app = TestApp::new().await;
    let (_, key) = user_with_key(&app, "resp@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let public = Client {
        app: &app,
        key: None,
    };
    let form = client
        .send(Method::POST, "/forms", Some(routed_form()))
        .await
        .json();
    let id = form["id"].as_str().unwrap().to_owned();
    let big_route = form["definition"]["routes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/forms/{id}/responses");

    let big = public
        .send(
            Method::POST,
            &path,
            Some(json!({"answers": {"email": "a+b@x.co", "size": "900"}})),
        )
        .await;
    assert_eq!(big.status, StatusCode::CREATED, "{}", big.body);
    let big = big.json();
    assert!(big["response_id"].is_string());
    assert_eq!(big["route"]["id"], big_route.as_str());
    assert_eq!(
        big["route"]["action"],
        json!({"type": "external_url", "value": "https://example.com/big?e=a%2Bb%40x.co"})
    );
    let solo = public
        .send(
            Method::POST,
            &path,
            Some(json!({"answers": {"email": "s@x.co", "plan": "solo"}})),
        )
        .await
        .json();
    assert_eq!(solo["route"]["name"], "Solo");
    let fallback = public
        .send(
            Method::POST,
            &path,
            Some(json!({"answers": {"email": "f@x.co", "size": 3}})),
        )
        .await
        .json();
    assert_eq!(
        fallback["route"],
        json!({"id": null, "name": "Fallback", "action": {"type": "message", "value": "Thanks."}})
    );

    // A dry run routes without storing.
    let dry = public
        .send(
            Method::POST,
            &format!("{path}?dry_run=1"),
            Some(json!({"answers": {"email": "d@x.co", "size": 501}})),
        )
        .await;
    assert_eq!(dry.status, StatusCode::OK);
    assert_eq!(dry.json()["response_id"], Value::Null);
    assert_eq!(dry.json()["route"]["id"], big_route.as_str());

    // Refused answers, by identifier; unknown identifiers are named.
    let refused = public
        .send(
            Method::POST,
            &path,
            Some(json!({"answers": {"email": "nope", "plan": "gold", "colour": "x"}})),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    let errors = &refused.json()["errors"];
    assert!(
        errors["email"][0].is_string()
            && errors["plan"][0].is_string()
            && errors["colour"][0].is_string(),
        "{errors}"
    );
    let missing = public
        .send(
            Method::POST,
            "/forms/nope/responses",
            Some(json!({"answers": {}})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    // Pages by cursor, newest first, filtered by route.
    let first = client.get(&format!("{path}?limit=2")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first = first.json();
    let emails = |page: &Value| -> Vec<String> {
        page["responses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["answers"]["email"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(emails(&first), ["f@x.co", "s@x.co"]);
    assert_eq!(first["responses"][0]["route"], "Fallback");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = client
        .get(&format!("{path}?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(emails(&second), ["a+b@x.co"]);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(second["responses"][0]["answers"]["size"], 900);
    let only_big = client
        .get(&format!("{path}?route={big_route}"))
        .await
        .json();
    assert_eq!(emails(&only_big), ["a+b@x.co"]);
    let only_fallback = client.get(&format!("{path}?route=fallback")).await.json();
    assert_eq!(emails(&only_fallback), ["f@x.co"]);
    let bad_day = client.get(&format!("{path}?from=yesterday")).await;
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_day.json()["errors"]["from"][0]
            .as_str()
            .unwrap()
            .contains("YYYY-MM-DD")
    );
    assert_eq!(
        client.get(&format!("{path}?limit=0")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let csv = client.get(&format!("{path}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(csv.body.lines().count(), 4, "{}", csv.body);

    // A disabled form takes no answers.
    let mut disabled = form["definition"].clone();
    disabled["settings"]["enabled"] = json!(false);
    client
        .send(Method::PUT, &format!("/forms/{id}"), Some(disabled))
        .await;
    let closed = public
        .send(
            Method::POST,
            &path,
            Some(json!({"answers": {"email": "late@x.co"}})),
        )
        .await;
    assert_eq!(closed.status, StatusCode::FORBIDDEN);
    assert_eq!(
        closed.json()["error"],
        "This form is not accepting responses."
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_and_keys_are_rate_limited_with_retry_after() {
    let app = TestApp::with_limits(app::auth::ApiLimiter::new(2, 3)).await;
    let (_, key) = user_with_key(&app, "limits@example.com").await;
    let client = Client {
        app: &app,
        key: Some(key),
    };
    let id = client
        .send(Method::POST, "/forms", Some(routed_form()))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = Client {
        app: &app,
        key: None,
    };
    let path = format!("/forms/{id}/responses");
    let body = || Some(json!({"answers": {"email": "a@b.co"}}));
    assert_eq!(
        public.send(Method::POST, &path, body()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        public.send(Method::POST, &path, body()).await.status,
        StatusCode::CREATED
    );
    let limited = public.send(Method::POST, &path, body()).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(
        limited.json()["error"]
            .as_str()
            .unwrap()
            .contains("Try again")
    );

    // The key made one call (the create); two more pass, then it waits.
    assert_eq!(client.get("/forms").await.status, StatusCode::OK);
    assert_eq!(client.get("/forms").await.status, StatusCode::OK);
    let slowed = client.get("/forms").await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(slowed.headers.contains_key(header::RETRY_AFTER));
}

/// Every `$ref` in `value` names a schema the document defines.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.insert(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_whole_and_matches_the_routes() {
    let app = TestApp::new().await;
    let public = Client {
        app: &app,
        key: None,
    };
    let served = public.get("/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    let doc = served.json();
    assert_eq!(doc, serde_json::to_value(server::rest::openapi()).unwrap());
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");

    let operations: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/forms"),
        ("POST", "/forms"),
        ("GET", "/forms/{id}"),
        ("PUT", "/forms/{id}"),
        ("DELETE", "/forms/{id}"),
        ("GET", "/forms/{id}/responses"),
        ("POST", "/forms/{id}/responses"),
        ("GET", "/forms/{id}/responses.csv"),
        ("GET", "/openapi.json"),
        ("GET", "/apps"),
        ("GET", "/apps/{slug}"),
        ("POST", "/apps"),
        ("GET", "/apps/{slug}/versions"),
        ("POST", "/apps/{slug}/versions/{version}/submit"),
        ("POST", "/apps/{slug}/versions/{version}/approve"),
        ("POST", "/apps/{slug}/versions/{version}/reject"),
        ("DELETE", "/apps/{slug}/versions/{version}"),
        ("GET", "/installations"),
        ("POST", "/installations"),
        ("GET", "/installations/{id}"),
        ("DELETE", "/installations/{id}"),
        ("PUT", "/installations/{id}/config"),
        ("POST", "/installations/{id}/activate"),
        ("POST", "/installations/{id}/deactivate"),
        ("POST", "/installations/{id}/update"),
        ("POST", "/installations/{id}/rollback"),
        ("GET", "/installations/{id}/audit"),
        ("GET", "/installations/{id}/deliveries"),
        ("POST", "/installations/{id}/deliveries/{delivery_id}/redeliver"),
        ("GET", "/webhooks"),
        ("POST", "/webhooks"),
        ("GET", "/webhooks/{id}"),
        ("PATCH", "/webhooks/{id}"),
        ("DELETE", "/webhooks/{id}"),
        ("POST", "/webhooks/{id}/rotate-secret"),
        ("POST", "/webhooks/{id}/test"),
        ("GET", "/webhooks/{id}/deliveries"),
        ("POST", "/webhooks/{id}/deliveries/{delivery_id}/redeliver"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(operations, expected);

    // Every operation answers (no "no such endpoint", no 405) and documents its answers.
    for (method, path) in &operations {
        let item = &doc["paths"][path][method.to_lowercase()];
        assert!(
            item["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}"
        );
        let answer = public
            .send(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &path.replace("{id}", "missing").replace("{slug}", "missing"),
                None,
            )
            .await;
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_ne!(
            answer.body, r#"{"error":"This endpoint of /api/v1 was not found."}"#,
            "{method} {path} is documented but not routed"
        );
        let status = answer.status.as_str().to_owned();
        assert!(
            item["responses"].get(&status).is_some(),
            "{method} {path} answered {status}, which it does not document"
        );
    }

    // Every reference resolves.
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is not defined"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
}
