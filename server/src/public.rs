//! The respondent's side over plain HTTP: posting a form (urlencoded or multipart with
//! files) and the owner's download of uploaded files.
//!
//! A refused submission renders the same page again with what was typed and the messages,
//! so it works without JavaScript and nothing is lost.

use std::path::PathBuf;

use app::api::forms::PostedAnswers;
use app::db::forms as db;
use app::error::AppError;
use app::fields::{FileAnswer, FileConfig};
use app::forms::answers::{CheckedAnswers, RawAnswers, UnknownKeys, check_answers};
use app::forms::{ActionKind, FormDefinition, FormRecord};
use app::routing::{self, Decision};
use app::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::prelude::provide_context;
use serde_json::Value;
use tower_sessions::Session;

/// Where a form's uploaded files live.
fn upload_dir(state: &AppState, form_id: &str) -> PathBuf {
    state.data_dir.join("uploads").join(form_id)
}

/// `POST /f/{id}`.
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let record = match db::find(&state.db, &id).await {
        Ok(Some(record)) if record.definition.settings.enabled => record,
        // Missing or disabled: the page explains (404/403).
        Ok(_) => return render_page(&state, &id, request, PostedAnswers::default()).await,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let headers = request.headers().clone();
    let raw = if is_multipart {
        match Multipart::from_request(request, &state).await {
            Ok(multipart) => read_multipart(&state, &record, multipart).await,
            Err(e) => Err(e.body_text()),
        }
    } else {
        match axum::body::to_bytes(request.into_body(), usize::MAX).await {
            Ok(bytes) => Ok((
                read_urlencoded(&record.definition, &bytes),
                app::error::FieldErrors::new(),
            )),
            Err(e) => Err(format!("The answers could not be read: {e}")),
        }
    };
    let (raw, upload_errors) = match raw {
        Ok(result) => result,
        Err(message) => {
            let status = if message.contains("limit") {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            return (status, message).into_response();
        }
    };
    match check_answers(&record.definition, &raw, UnknownKeys::Ignore) {
        Ok(checked) if upload_errors.is_empty() => {
            let decision =
                match app::forms::service::decide(&state.db, &record, &checked.values).await {
                    Ok(decision) => decision,
                    Err(e) => return internal(e),
                };
            match store_response(&state, &record, &checked, &decision).await {
                Ok(_) => Redirect::to(&destination(&record.id, &decision, None)).into_response(),
                Err(response) => response,
            }
        }
        result => {
            let mut errors = result.err().unwrap_or_default();
            errors.extend(upload_errors);
            let request = rebuild_get(&id, &headers);
            let mut response = render_page(
                &state,
                &id,
                request,
                PostedAnswers {
                    answers: raw,
                    errors,
                },
            )
            .await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
    }
}

/// Where the respondent is sent: the route's URL, or the thank-you page showing its message.
fn destination(form_id: &str, decision: &Decision, extra_query: Option<&str>) -> String {
    match decision.action.kind {
        ActionKind::Message => match &decision.route_id {
            Some(route) => format!(
                "/f/{form_id}/thanks?route={}",
                routing::encode_uri_component(route)
            ),
            None => format!("/f/{form_id}/thanks"),
        },
        ActionKind::ExternalUrl | ActionKind::EventType => match extra_query {
            Some(query) if !query.is_empty() => {
                let sep = if decision.action.value.contains('?') {
                    '&'
                } else {
                    '?'
                };
                format!("{}{sep}{query}", decision.action.value)
            }
            _ => decision.action.value.clone(),
        },
    }
}

/// `GET /router?form=<id>&<identifier>=<value>…`: Cal.com's headless router. Checks and
/// stores the answers like a submission, then redirects to the route's destination with the
/// query parameters and `junction_response_id` appended. `junction_dry_run=1` stores nothing.
pub async fn headless_router(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let Some(form_id) = param("form") else {
        return (StatusCode::BAD_REQUEST, "The query needs form=<form id>.").into_response();
    };
    let dry_run = param("junction_dry_run").is_some_and(|v| v == "1" || v == "true");
    let record = match db::find(&state.db, &form_id).await {
        Ok(Some(record)) if record.definition.settings.enabled => record,
        Ok(Some(_)) => {
            return (
                StatusCode::FORBIDDEN,
                "This form is not accepting responses.",
            )
                .into_response();
        }
        Ok(None) => return (StatusCode::NOT_FOUND, "There is no such form.").into_response(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let raw = collect(&record.definition, pairs.clone());
    let checked = match check_answers(&record.definition, &raw, UnknownKeys::Ignore) {
        Ok(checked) => checked,
        Err(errors) => {
            let text: Vec<String> = errors
                .iter()
                .map(|(k, m)| format!("{k}: {}", m.join(" ")))
                .collect();
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Some answers were refused.\n{}\n", text.join("\n")),
            )
                .into_response();
        }
    };
    let decision = match app::forms::service::decide(&state.db, &record, &checked.values).await {
        Ok(decision) => decision,
        Err(e) => return internal(e),
    };
    let mut forwarded: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "form" && k != "junction_dry_run")
        .collect();
    if !dry_run {
        match store_response(&state, &record, &checked, &decision).await {
            Ok(response_id) => forwarded.push(("junction_response_id".into(), response_id)),
            Err(response) => return response,
        }
    }
    let query = serde_urlencoded::to_string(&forwarded).unwrap_or_default();
    Redirect::to(&destination(&record.id, &decision, Some(&query))).into_response()
}

/// Stores checked answers (see `service::store`); the error is the response to send.
async fn store_response(
    state: &AppState,
    record: &FormRecord,
    checked: &CheckedAnswers,
    decision: &Decision,
) -> Result<String, Response> {
    app::forms::service::store(&state.db, record, checked, decision)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The form `form_id` if the session's user owns it: 401 without a user, 404 for anyone
/// else's (or a missing) form, so ids reveal nothing.
pub(crate) async fn owned_form(
    state: &AppState,
    session: &Session,
    form_id: &str,
) -> Result<FormRecord, Response> {
    let user_id: Option<i64> = session
        .get(app::auth::SESSION_USER_ID_KEY)
        .await
        .ok()
        .flatten();
    let Some(user_id) = user_id else {
        return Err((StatusCode::UNAUTHORIZED, "Please log in.").into_response());
    };
    db::find_owned(&state.db, form_id, user_id)
        .await
        .map_err(|_| (StatusCode::NOT_FOUND, "Not found.").into_response())
}

fn internal(e: impl std::fmt::Display) -> Response {
    let _ = AppError::internal(e);
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Answers from a urlencoded body: repeated names make a list for multi-selects.
fn read_urlencoded(def: &FormDefinition, body: &[u8]) -> RawAnswers {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    collect(def, pairs)
}

fn collect(def: &FormDefinition, pairs: Vec<(String, String)>) -> RawAnswers {
    let mut raw = RawAnswers::new();
    for field in def.live_fields() {
        let values: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| *k == field.identifier)
            .map(|(_, v)| v.clone())
            .collect();
        match (field.kind.as_str(), values.len()) {
            (_, 0) => {}
            ("multiselect", _) => {
                raw.insert(
                    field.identifier.clone(),
                    Value::Array(values.into_iter().map(Value::String).collect()),
                );
            }
            _ => {
                raw.insert(
                    field.identifier.clone(),
                    Value::String(values.into_iter().next().unwrap_or_default()),
                );
            }
        }
    }
    raw
}

/// Answers from a multipart body; files are checked against their field's settings and
/// stored. Errors about files are returned beside the answers, by identifier.
async fn read_multipart(
    state: &AppState,
    record: &FormRecord,
    mut multipart: Multipart,
) -> Result<(RawAnswers, app::error::FieldErrors), String> {
    let def = &record.definition;
    let mut pairs = Vec::new();
    let mut files = RawAnswers::new();
    let mut errors = app::error::FieldErrors::new();
    while let Some(mut part) = multipart.next_field().await.map_err(|e| e.body_text())? {
        let Some(name) = part.name().map(str::to_owned) else {
            continue;
        };
        let file_field = def
            .live_fields()
            .find(|f| f.identifier == name && f.kind == "file");
        let Some(field) = file_field else {
            let text = part.text().await.map_err(|e| e.body_text())?;
            pairs.push((name, text));
            continue;
        };
        let file_name = part.file_name().unwrap_or("").to_owned();
        let content_type = part
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let config: FileConfig = serde_json::from_value(field.config.clone()).unwrap_or_default();
        let mut bytes = Vec::new();
        let mut too_big = false;
        while let Some(chunk) = part.chunk().await.map_err(|e| e.body_text())? {
            if bytes.len() as u64 + chunk.len() as u64 > config.max_bytes() {
                too_big = true;
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if file_name.is_empty() && bytes.is_empty() {
            continue; // no file chosen
        }
        if too_big {
            errors.entry(name).or_default().push(format!(
                "The file is larger than {} MB.",
                config.max_size_mb
            ));
            continue;
        }
        if let Err(message) = config.accepts(&file_name, &content_type, bytes.len() as u64) {
            errors.entry(name).or_default().push(message);
            continue;
        }
        let safe_name: String = file_name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(200)
            .collect();
        let upload_id = db::insert_upload(
            &state.db,
            &record.id,
            &safe_name,
            &content_type,
            bytes.len() as i64,
        )
        .await
        .map_err(|e| e.to_string())?;
        let dir = upload_dir(state, &record.id);
        let stored = async {
            tokio::fs::create_dir_all(&dir).await?;
            tokio::fs::write(dir.join(&upload_id), &bytes).await
        }
        .await;
        if let Err(e) = stored {
            let _ = AppError::internal(format!("storing upload {upload_id}: {e}"));
            return Err("The file could not be stored. Please try again.".into());
        }
        let answer = FileAnswer {
            file_id: upload_id,
            name: safe_name,
            size: bytes.len() as u64,
            content_type,
        };
        files.insert(name, serde_json::to_value(answer).unwrap_or(Value::Null));
    }
    let mut raw = collect(def, pairs);
    raw.extend(files);
    Ok((raw, errors))
}

fn rebuild_get(id: &str, headers: &axum::http::HeaderMap) -> Request {
    let mut request = Request::get(format!("/f/{id}"))
        .body(Body::empty())
        .expect("a valid request");
    for name in [header::COOKIE, header::ACCEPT_LANGUAGE, header::USER_AGENT] {
        if let Some(value) = headers.get(&name) {
            request.headers_mut().insert(name, value.clone());
        }
    }
    request
        .headers_mut()
        .insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    request
}

/// Renders `/f/{id}` with `posted` in context.
async fn render_page(
    state: &AppState,
    _id: &str,
    request: Request,
    posted: PostedAnswers,
) -> Response {
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(context_state.clone());
            provide_context(posted.clone());
        },
        move || app::shell(options.clone()),
    );
    handler(request).await.into_response()
}

/// `GET /forms/{form_id}/files/{file_id}`: only the form's owner may download.
pub async fn download(
    State(state): State<AppState>,
    Path((form_id, file_id)): Path<(String, String)>,
    session: Session,
) -> Response {
    if let Err(response) = owned_form(&state, &session, &form_id).await {
        return response;
    }
    if !file_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    }
    let Ok(Some((name, _content_type))) = db::find_upload(&state.db, &form_id, &file_id).await
    else {
        return (StatusCode::NOT_FOUND, "Not found.").into_response();
    };
    match tokio::fs::read(upload_dir(&state, &form_id).join(&file_id)).await {
        Ok(bytes) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                name.replace(['"', '\r', '\n'], "_")
            );
            (
                [
                    // Always a download, never rendered on this origin.
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => internal(format!("reading upload {file_id}: {e}")),
    }
}
