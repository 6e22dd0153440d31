//! Forms through the real router: the owner's server functions, the public page, posting
//! answers (urlencoded and multipart), forged input, files, and other users.

mod common;

use axum::body::Body;
use common::{TestApp, multipart, owner_with_form};
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn intake() -> Value {
    json!({
        "name": "Sales intake", "description": "Tell us about you",
        "fields": [
            {"identifier": "email", "label": "Work email", "type": "email", "required": true},
            {"identifier": "phone", "label": "Phone", "type": "phone", "config": {"default_country": "US"}},
            {"identifier": "country", "label": "Country", "type": "select",
             "config": {"options": [{"value": "US", "label": "United States"}, {"value": "DE", "label": "Germany"}]}},
            {"identifier": "vat", "label": "VAT number", "type": "short_text", "required": true,
             "visible_if": {"==": [{"var": "country"}, "DE"]}},
            {"identifier": "topics", "label": "Topics", "type": "multiselect",
             "config": {"options": [{"value": "crm", "label": "CRM"}, {"value": "billing", "label": "Billing"}]}},
            {"identifier": "notes", "label": "Notes", "type": "short_text", "config": {"max_length": 20}},
            {"identifier": "brief", "label": "Brief", "type": "file", "config": {"allowed_types": [".pdf"], "max_size_mb": 1}},
            {"identifier": "source", "label": "", "type": "hidden"}
        ],
        "routes": [{"name": "Enterprise", "rule": {"==": [{"var": "country"}, "DE"]},
                    "action": {"type": "event_type", "value": "/team/sales/secret-route"}}]
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

async fn responses(app: &TestApp, cookie: &str, id: &str) -> Value {
    let page = app
        .call(
            "/api/forms/responses",
            &[("form_id", id), ("page", "1")],
            Some(cookie),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_validates_with_paths_and_keeps_ids() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let form = app
        .call("/api/forms/get", &[("id", &id)], Some(&cookie))
        .await
        .json();
    let fields = form["definition"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 8);
    assert!(
        fields
            .iter()
            .all(|f| f["id"].as_str().is_some_and(|id| !id.is_empty()))
    );

    let mut bad = intake();
    bad["fields"][2]["config"]["options"] =
        json!([{"value": "US", "label": "A"}, {"value": "US", "label": "B"}]);
    bad["fields"][0]["type"] = json!("slider");
    let refused = app
        .call(
            "/api/forms/save",
            &[("id", &id), ("definition", &bad.to_string())],
            Some(&cookie),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = &refused.json()["Validation"]["fields"];
    assert!(
        errors["fields[2].config.options"][0]
            .as_str()
            .unwrap()
            .contains("used twice"),
        "{errors}"
    );
    assert!(
        errors["fields[0].type"][0]
            .as_str()
            .unwrap()
            .contains("slider")
    );
    // Nothing already stored was lost.
    let again = app
        .call("/api/forms/get", &[("id", &id)], Some(&cookie))
        .await
        .json();
    assert_eq!(again["definition"]["fields"][0]["type"], "email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_are_private_to_their_owner() {
    let app = TestApp::new().await;
    let (_owner, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let other = app.sign_up("other@example.com", PASSWORD).await;
    for (path, form) in [
        ("/api/forms/get", vec![("id", id.as_str())]),
        ("/api/forms/delete", vec![("id", id.as_str())]),
        (
            "/api/forms/rename",
            vec![("id", id.as_str()), ("name", "mine now")],
        ),
        (
            "/api/forms/responses",
            vec![("form_id", id.as_str()), ("page", "1")],
        ),
        (
            "/api/forms/save",
            vec![("id", id.as_str()), ("definition", r#"{"name": "x"}"#)],
        ),
    ] {
        let response = app.call(path, &form, Some(&other)).await;
        assert_eq!(
            response.status,
            StatusCode::NOT_FOUND,
            "{path}: {}",
            response.body
        );
        let anonymous = app.call(path, &form, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let list = app.call("/api/forms/list", &[], Some(&other)).await.json();
    assert_eq!(list, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_manages_forms() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let copy = app
        .call("/api/forms/duplicate", &[("id", &id)], Some(&cookie))
        .await
        .json();
    assert_eq!(
        app.call(
            "/api/forms/rename",
            &[("id", &id), ("name", "Renamed")],
            Some(&cookie)
        )
        .await
        .status,
        StatusCode::OK
    );
    app.close_form(&cookie, &id).await;
    let list = app.call("/api/forms/list", &[], Some(&cookie)).await.json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Renamed") && names.contains(&"Sales intake (copy)"),
        "{names:?}"
    );
    let renamed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id.as_str())
        .unwrap();
    assert_eq!(renamed["enabled"], false);
    assert_eq!(
        app.call(
            "/api/forms/delete",
            &[("id", copy.as_str().unwrap())],
            Some(&cookie)
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("/api/forms/list", &[], Some(&cookie))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_page_renders_and_prefills_from_the_link() {
    let app = TestApp::new().await;
    let (_cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let page = app
        .get(
            &format!("/f/{id}?email=ada%40example.com&topics=crm&topics=billing&source=newsletter"),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"<label for="q-email">Work email"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="ada@example.com""#));
    assert!(
        page.body.contains(r#"value="newsletter""#),
        "hidden fields take their value from the link"
    );
    assert!(
        page.body.contains(r#"enctype="multipart/form-data""#),
        "a file field makes the form multipart"
    );
    assert!(
        !page.body.contains("secret-route"),
        "routing stays on the server"
    );
    assert_eq!(app.get("/f/nope", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_submission_is_stored_normalized() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let posted = post_form(
        &app,
        &id,
        "email=Ada%40Example.COM&phone=(415)+555-2671&country=US&vat=forged&topics=billing&topics=crm&source=ad&is_admin=1",
    )
    .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    assert_eq!(posted.location(), Some(format!("/f/{id}/thanks").as_str()));
    let thanks = app.get(&format!("/f/{id}/thanks"), None).await;
    assert!(thanks.body.contains("Thank you"), "{}", thanks.body);

    let page = responses(&app, &cookie, &id).await;
    assert_eq!(page["total"], 1);
    let answers: Vec<(String, Value)> = page["rows"][0]["answers"]
        .as_object()
        .unwrap()
        .values()
        .map(|a| {
            (
                a["identifier"].as_str().unwrap().to_owned(),
                a["value"].clone(),
            )
        })
        .collect();
    let get = |k: &str| answers.iter().find(|(i, _)| i == k).map(|(_, v)| v.clone());
    assert_eq!(get("email"), Some(json!("Ada@example.com")));
    assert_eq!(get("phone"), Some(json!("+14155552671")), "stored as E.164");
    let shown = page["rows"][0]["answers"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["identifier"] == "phone")
        .map(|a| a["shown"].clone());
    assert_eq!(
        shown,
        Some(json!("+1 415-555-2671")),
        "shown in the international format, by the phone type's display"
    );
    assert_eq!(get("topics"), Some(json!(["crm", "billing"])));
    assert_eq!(
        get("vat"),
        None,
        "a value for a hidden-by-condition field is dropped"
    );
    assert_eq!(get("source"), Some(json!("ad")));
    assert_eq!(answers.len(), 5, "unknown keys are not stored: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_keeps_everything_typed() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let posted = post_form(
        &app,
        &id,
        "email=not-an-email&phone=12&country=DE&notes=this+is+far+too+long+for+it",
    )
    .await;
    assert_eq!(posted.status, StatusCode::UNPROCESSABLE_ENTITY);
    for text in [
        "Enter an email address like name@example.com.",
        "Enter a phone number using digits",
        "This field is required.",
        "Use at most 20 characters",
        r#"value="not-an-email""#,
        r#"value="this is far too long for it""#,
    ] {
        assert!(posted.body.contains(text), "missing {text}");
    }
    assert_eq!(responses(&app, &cookie, &id).await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_forms_take_no_answers() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    app.close_form(&cookie, &id).await;
    let page = app.get(&format!("/f/{id}"), None).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("This form is closed"));
    let posted = post_form(&app, &id, "email=a%40b.co").await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    assert_eq!(responses(&app, &cookie, &id).await["total"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_field_types_in_stored_data_are_skipped() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let user = app::db::users::find_by_email(&app.db, "owner@example.com")
        .await
        .unwrap()
        .unwrap()
        .user;
    let mut record = app::db::forms::find_owned(&app.db, &id, user.id)
        .await
        .unwrap();
    record.definition.fields[5].kind = "hologram".into();
    app::db::forms::update(&app.db, &id, user.id, &record.definition)
        .await
        .unwrap();
    let page = app.get(&format!("/f/{id}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(r#"for="q-notes""#));
    assert!(
        !page.body.contains("hologram"),
        "unknown fields are not sent to respondents"
    );
    let posted = post_form(&app, &id, "email=a%40b.co&notes=ignored").await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert_eq!(responses(&app, &cookie, &id).await["total"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_checked_stored_and_served_only_to_the_owner() {
    let app = TestApp::new().await;
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &intake()).await;
    let send = |content_type: String, body: Vec<u8>| {
        Request::post(format!("/f/{id}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let (ct, body) = multipart(&[
        ("email", None, b"a@b.co"),
        (
            "brief",
            Some(("brief.exe", "application/x-msdownload")),
            b"MZ",
        ),
    ]);
    let refused = app.send(send(ct, body)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Upload one of these types: .pdf."));

    let (ct, body) = multipart(&[
        ("email", None, b"a@b.co"),
        (
            "brief",
            Some(("brief.pdf", "application/pdf")),
            b"%PDF-1.4 hello",
        ),
    ]);
    let stored = app.send(send(ct, body)).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.body);

    let page = responses(&app, &cookie, &id).await;
    let file = page["rows"][0]["answers"]
        .as_object()
        .unwrap()
        .values()
        .find(|a| a["identifier"] == "brief")
        .unwrap()["value"]
        .clone();
    assert_eq!(file["name"], "brief.pdf");
    let url = format!("/forms/{id}/files/{}", file["file_id"].as_str().unwrap());
    let download = app.get(&url, Some(&cookie)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.body, "%PDF-1.4 hello");
    assert!(
        download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let other = app.sign_up("other@example.com", PASSWORD).await;
    assert_eq!(
        app.get(&url, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&url, None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_who_ask_are_notified_of_responses() {
    let app = TestApp::new().await;
    let mut definition = intake();
    definition["settings"] = json!({"notify_owner": true});
    let (cookie, id) = owner_with_form(&app, "owner@example.com", &definition).await;
    post_form(&app, &id, "email=a%40b.co").await;
    post_form(&app, &id, "email=c%40d.co").await;
    let notices = app
        .call("/api/notifications/unread", &[], Some(&cookie))
        .await
        .json();
    assert_eq!(notices["responses"][0]["form_name"], "Sales intake");
    assert_eq!(notices["responses"][0]["count"], 2);
    assert_eq!(notices["apps"], json!([]));
    let other = app.sign_up("other@example.com", PASSWORD).await;
    assert_eq!(
        app.call("/api/notifications/unread", &[], Some(&other))
            .await
            .json()["responses"],
        json!([])
    );
    assert_eq!(
        app.call("/api/notifications/read", &[], Some(&cookie))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("/api/notifications/unread", &[], Some(&cookie))
            .await
            .json()["responses"],
        json!([])
    );
    assert_eq!(
        app.call("/api/notifications/unread", &[], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    // Without the setting, no notices.
    let (quiet_cookie, quiet_id) = owner_with_form(&app, "quiet@example.com", &intake()).await;
    post_form(&app, &quiet_id, "email=a%40b.co").await;
    assert_eq!(
        app.call("/api/notifications/unread", &[], Some(&quiet_cookie))
            .await
            .json()["responses"],
        json!([])
    );
}
