//! An acknowledged response is on disk: submissions arrive in a burst on both ways in (the
//! JSON API and the respondent's page), the server is killed with SIGKILL in the middle of
//! it, and after a restart every response it acknowledged is there.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TestApp, kill_9, owner_with_form, serve};
use serde_json::{Value, json};

const SENDERS: i64 = 16;

async fn wait_until_up(client: &reqwest::Client, port: u16) {
    for _ in 0..400 {
        if let Ok(answer) = client.get(format!("http://127.0.0.1:{port}/healthz")).send().await
            && answer.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("junction serve did not answer within 20 s");
}

/// Sends submissions one after another, each with its own number, until the server stops
/// answering; returns the numbers it acknowledged (201 from the API, the thank-you
/// redirect from the page).
async fn send(client: reqwest::Client, port: u16, form: String, sender: i64, acknowledged: Arc<Mutex<Vec<i64>>>) {
    for i in 0..100_000 {
        let n = i * SENDERS + sender;
        let request = if sender % 2 == 0 {
            client
                .post(format!("http://127.0.0.1:{port}/api/v1/forms/{form}/responses"))
                .header("content-type", "application/json")
                .body(json!({"answers": {"n": n}}).to_string())
        } else {
            client
                .post(format!("http://127.0.0.1:{port}/f/{form}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("n={n}"))
        };
        let Ok(answer) = request.send().await else { return };
        match answer.status().as_u16() {
            201 | 303 => acknowledged.lock().unwrap().push(n),
            status => panic!("submission {n} was answered {status}: {:?}", answer.text().await),
        }
    }
}

async fn stored_numbers(app: &TestApp, form: &str) -> HashSet<i64> {
    sqlx::query_scalar::<_, String>("SELECT answers FROM responses WHERE form_id = $1")
        .bind(form)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .iter()
        .map(|answers| {
            let answers: Value = serde_json::from_str(answers).unwrap();
            answers["f_n"]["value"].as_f64().unwrap_or_else(|| panic!("{answers}")) as i64
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_response_survives_sigkill_in_a_burst() {
    let app = TestApp::new().await;
    let definition = json!({
        "name": "Burst",
        "fields": [{"id": "f_n", "identifier": "n", "label": "Number", "type": "number", "required": true}],
        "routes": [{"name": "Even", "rule": {"==": [{"%": [{"var": "n"}, 2]}, 0]},
                    "action": {"type": "message", "value": "Even"}}],
        "fallback": {"action": {"type": "message", "value": "Odd"}}
    });
    let (_, form) = owner_with_form(&app, "burst@example.com", &definition).await;
    let (server, port) = serve(&app);
    // The page's acknowledgement is its 303 to the thank-you page, not that page.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    wait_until_up(&client, port).await;

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut senders = tokio::task::JoinSet::new();
    for sender in 0..SENDERS {
        senders.spawn(send(client.clone(), port, form.clone(), sender, acknowledged.clone()));
    }
    while acknowledged.lock().unwrap().len() < 300 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill_9(server);
    while let Some(sender) = senders.join_next().await {
        sender.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (again, port) = serve(&app);
    wait_until_up(&client, port).await;
    let stored = stored_numbers(&app, &form).await;
    let lost: Vec<_> = acknowledged.iter().filter(|n| !stored.contains(n)).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?} (of {})", acknowledged.len());
    assert!(stored.len() >= acknowledged.len());
    // Both ways in were part of the burst, and the restarted server takes responses.
    assert!(acknowledged.iter().any(|n| n % 2 == 0) && acknowledged.iter().any(|n| n % 2 == 1));
    let after = client
        .post(format!("http://127.0.0.1:{port}/api/v1/forms/{form}/responses"))
        .header("content-type", "application/json")
        .body(json!({"answers": {"n": -1}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 201);
    kill_9(again);
}

fn new_response(form: &str, owner: i64, n: i64) -> app::services::group_commit::NewResponse {
    let id = app::db::forms::sortable_id();
    app::services::group_commit::NewResponse {
        id: id.clone(),
        form_id: form.to_owned(),
        owner_id: owner,
        answers: json!({"f_n": {"identifier": "n", "label": "Number", "type": "number", "value": n}}).to_string(),
        route_id: None,
        data: "{}".into(),
        notify_owner: true,
        submitted: app::hooks::SubmittedPayload {
            form_id: form.to_owned(),
            form_name: "Burst".into(),
            response_id: id.clone(),
            answers: Default::default(),
            route: app::hooks::RouteTaken { id: None, name: "Fallback".into() },
            data: Default::default(),
        },
        fallback: Some(app::hooks::FallbackPayload { form_id: form.to_owned(), response_id: id }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_response_the_database_refuses_costs_the_rest_of_its_batch_nothing() {
    let app = TestApp::new().await;
    let definition = json!({"name": "Burst", "fields": [{"id": "f_n", "identifier": "n", "label": "Number", "type": "number"}]});
    let (_, form) = owner_with_form(&app, "burst@example.com", &definition).await;
    let owner = app::services::accounts::find_by_email(&app.db, "burst@example.com").await.unwrap().unwrap().user.id;
    let writer = app::services::group_commit::ResponseWriter::of(&app.state).unwrap();
    // Queued together, so the writer takes them as one batch; number 7 names no form.
    let results = futures::future::join_all((0..20).map(|n| {
        let form = if n == 7 { "no-such-form".to_owned() } else { form.clone() };
        writer.store(new_response(&form, owner, n))
    }))
    .await;
    for (n, result) in results.iter().enumerate() {
        assert_eq!(result.is_ok(), n != 7, "response {n}: {:?}", result.as_ref().err());
    }
    let stored = stored_numbers(&app, &form).await;
    assert_eq!(stored, (0..20).filter(|&n| n != 7).collect::<HashSet<_>>());
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1")
        .bind(owner)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(notices, 19, "each stored response left its notice, in its own transaction");
}
