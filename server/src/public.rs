//! The respondent's side over plain HTTP: posting a form (urlencoded or multipart with
//! files) and the owner's download of uploaded files.
//!
//! A refused submission renders the same page again with what was typed and the messages,
//! so it works without JavaScript and nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;

use app::api::public::{PostedAnswers, public_form, thank_you_message};
use app::error::AppError;
use app::fields::FileAnswer;
use app::pages::public_form::{RespondentPage, respondent_document};
use app::forms::answers::{RawAnswers, WHOLE_FORM, collect};
use app::forms::{ActionKind, FormDefinition, FormRecord, is_local_path};
use app::routing::{self, Decision};
use app::services::forms as form_service;
use app::services::submissions::{self, Channel, ReceivedFile, Submission};
use app::state::AppState;

use crate::rest::ClientIp;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use tower_sessions::Session;

/// Largest urlencoded body of answers: many times the text of even a long form.
pub const MAX_URLENCODED_BYTES: usize = 1024 * 1024;
/// Room in a multipart body for its text answers and part headers, beside its files.
const MULTIPART_TEXT_BYTES: u64 = 1024 * 1024;

/// The most a submission of `def` may send: its file fields' sizes plus room for the text
/// when it has files, else [`MAX_URLENCODED_BYTES`].
pub fn submission_limit(def: &FormDefinition) -> u64 {
    let files: u64 = def
        .live_fields()
        .filter_map(|f| Some(f.field_type()?.max_upload_bytes(&f.config)))
        .sum();
    if files == 0 {
        MAX_URLENCODED_BYTES as u64
    } else {
        (files + MULTIPART_TEXT_BYTES).min(MAX_SUBMISSION_BYTES)
    }
}

/// The ceiling over all of a submission's files, however many file fields a form has.
const MAX_SUBMISSION_BYTES: u64 =
    4 * app::fields::file::MAX_MB as u64 * 1024 * 1024 + MULTIPART_TEXT_BYTES;

/// What a posted form carried: the answers, files received so far (in the incoming
/// folder), problems with single files, and a problem with the submission as a whole.
#[derive(Default)]
struct Posted {
    raw: RawAnswers,
    /// Pairs that are not fields (a link's `utm_*`, a honeypot), for apps.
    params: serde_json::Map<String, Value>,
    files: Vec<ReceivedFile>,
    errors: app::error::FieldErrors,
    notice: Option<String>,
    /// Set when reading already refused the submission (`notice` says why): 413 past the
    /// limit, 400 for a body that is not multipart, 503 when a file could not be written.
    refused: Option<StatusCode>,
}

impl Posted {
    /// Reading stops here: the submission is refused with `status` and `message`.
    fn refuse(&mut self, status: StatusCode, message: String) {
        self.refused = Some(status);
        self.notice = Some(message);
    }

    /// Removes the received files: the submission is not stored.
    async fn discard(self) -> (RawAnswers, app::error::FieldErrors, Option<String>) {
        let (mut raw, mut errors) = (self.raw, self.errors);
        for file in &self.files {
            let _ = tokio::fs::remove_file(&file.path).await;
            raw.remove(&file.field);
            errors.entry(file.field.clone()).or_default().push(
                "Choose the file again: files are not kept while answers need another look.".into(),
            );
        }
        (raw, errors, self.notice)
    }
}

/// `POST /f/{id}`: a respondent's answers, urlencoded or multipart with files.
///
/// The body is read once, within the form's own limit; files go to the incoming folder as
/// they arrive. Nothing is kept unless every check passes and the response is stored: a
/// refused or failed submission removes its files and renders the form again with what was
/// typed and a message.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let record = match submissions::open_form(&state, &id).await {
        Ok(record) => record,
        // Missing or closed: the page explains (404/403).
        Err(AppError::NotFound(_) | AppError::Closed(_)) => {
            return render_page(&state, "", &id, None).await;
        }
        Err(e) => return e.into_response(),
    };
    let posted = read_posted(&state, &record, request).await;
    let refuse = |status: StatusCode, posted: Posted| {
        let state = state.clone();
        let id = id.clone();
        async move {
            let carried = app::api::public::carried_params(
                posted
                    .params
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))),
            );
            let (answers, errors, notice) = posted.discard().await;
            let posted = PostedAnswers { answers, errors, notice, carried };
            let mut response = render_page(&state, "", &id, Some(posted)).await;
            *response.status_mut() = status;
            response
        }
    };
    if let Some(status) = posted.refused {
        return refuse(status, posted).await;
    }
    if let Some(ip) = ip
        && let Err(AppError::RateLimited { retry_after_secs }) = state.api_limiter.check_submit(ip)
    {
        let mut posted = posted;
        posted.notice = Some(format!(
            "Too many answers were sent from your network just now. Wait {retry_after_secs} seconds and send again; your answers are still here."
        ));
        let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, posted).await;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after_secs.into());
        return response;
    }
    let mut posted = posted;
    let submission = Submission {
        channel: Channel::Page,
        raw: &posted.raw,
        files: &posted.files,
        problems: std::mem::take(&mut posted.errors),
        dry_run: false,
        params: posted.params.clone(),
        client_ip: ip,
    };
    match submissions::submit(&state, &record, submission).await {
        Ok(done) => Redirect::to(&destination(&record.id, &done.decision, None)).into_response(),
        Err(AppError::Validation { mut fields, .. }) => {
            if let Some(messages) = fields.remove(WHOLE_FORM) {
                posted.notice = Some(messages.join(" "));
            }
            posted.errors = fields;
            refuse(StatusCode::UNPROCESSABLE_ENTITY, posted).await
        }
        Err(e) => {
            let _ = AppError::internal(format!("storing a response to {}: {e}", record.id));
            posted.notice = Some(
                "Your answers could not be saved just now. Nothing was lost: please send them again."
                    .into(),
            );
            refuse(StatusCode::SERVICE_UNAVAILABLE, posted).await
        }
    }
}

/// Reads the body within the form's limit. Over the limit, what was read so far is kept
/// and `notice` says why the rest was not.
async fn read_posted(state: &AppState, record: &FormRecord, request: Request) -> Posted {
    let limit = submission_limit(&record.definition);
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let too_large = || {
        format!(
            "The answers were larger than this form accepts ({} MB in all), so the rest was not received. Check the files and send again.",
            limit.div_ceil(1024 * 1024)
        )
    };
    let (parts, body) = request.into_parts();
    // Past the limit the body simply ends: what came before it is parsed as usual (a
    // multipart parser reads ahead, so an error would lose the text answers it already has),
    // and `cut` tells that the rest was not received.
    let cut = Arc::new(AtomicBool::new(false));
    let body = Body::from_stream(cut_at(body, limit, cut.clone()));
    if is_multipart {
        let request = Request::from_parts(parts, body);
        let mut posted = Posted::default();
        match Multipart::from_request(request, state).await {
            Ok(multipart) => read_multipart(state, record, multipart, &mut posted).await,
            Err(e) => posted.refuse(
                StatusCode::BAD_REQUEST,
                format!("The answers could not be read: {}", e.body_text()),
            ),
        }
        if cut.load(Ordering::Relaxed) {
            posted.refuse(StatusCode::PAYLOAD_TOO_LARGE, too_large());
        }
        return posted;
    }
    let mut bytes = Vec::new();
    let mut stream = body.into_data_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        bytes.extend_from_slice(&chunk);
    }
    let mut posted = Posted::default();
    if cut.load(Ordering::Relaxed) {
        posted.refuse(StatusCode::PAYLOAD_TOO_LARGE, too_large());
        // Keep the whole pairs that arrived; the last one may be cut.
        let whole = bytes.iter().rposition(|b| *b == b'&').unwrap_or(0);
        bytes.truncate(whole);
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    posted.params = submissions::extras(&record.definition, &pairs);
    posted.raw = collect(&record.definition, pairs);
    posted
}

/// The body's bytes up to `limit`; past it the stream ends and `cut` is set.
fn cut_at(
    body: Body,
    limit: u64,
    cut: Arc<AtomicBool>,
) -> impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Send + 'static {
    // `None` once the limit is reached: the stream ends after the prefix that fits.
    body.into_data_stream()
        .scan(Some(limit), move |left, chunk| {
            let item = match (left.as_mut(), chunk) {
                (None, _) => None,
                (Some(room), Ok(chunk)) if chunk.len() as u64 <= *room => {
                    *room -= chunk.len() as u64;
                    Some(Ok(chunk))
                }
                (Some(room), Ok(chunk)) => {
                    let prefix = chunk.slice(..*room as usize);
                    *left = None;
                    cut.store(true, Ordering::Relaxed);
                    Some(Ok(prefix))
                }
                (Some(_), Err(e)) => Some(Err(e)),
            };
            std::future::ready(item)
        })
}

/// Where the respondent is sent: the route's URL, or the thank-you page showing its message.
/// A booking path that came out of substitution as anything but a path on this site (which
/// saving already refuses) goes to the thank-you page instead.
fn destination(form_id: &str, decision: &Decision, extra_query: Option<&str>) -> String {
    let thanks = || match &decision.route_id {
        Some(route) => format!(
            "/f/{form_id}/thanks?route={}",
            routing::encode_uri_component(route)
        ),
        None => format!("/f/{form_id}/thanks"),
    };
    match decision.action.kind {
        ActionKind::Message => thanks(),
        ActionKind::EventType if !is_local_path(&decision.action.value) => {
            tracing::warn!(form = %form_id, "a booking path led off the site; sent to thanks");
            format!("/f/{form_id}/thanks")
        }
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
/// Every call, dry run or not, counts against the caller's address
/// (`JUNCTION_ROUTER_RATE_LIMIT` a minute), so link previews and `<img>` tags pointed at it
/// cannot fill the database.
pub async fn headless_router(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    RawQuery(query): RawQuery,
) -> Result<Redirect, AppError> {
    if let Some(ip) = ip {
        state.api_limiter.check_router(ip)?;
    }
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap_or_default();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let form_id = param("form")
        .ok_or_else(|| AppError::BadRequest("The query needs form=<form id>.".into()))?;
    let dry_run = param("junction_dry_run").is_some_and(|v| v == "1" || v == "true");
    let mut forwarded: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "form" && k != "junction_dry_run")
        .cloned()
        .collect();
    let record = submissions::open_form(&state, &form_id).await?;
    let params = submissions::extras(&record.definition, &forwarded);
    let raw = collect(&record.definition, pairs);
    let submission = Submission {
        channel: Channel::Router,
        raw: &raw,
        files: &[],
        problems: Default::default(),
        dry_run,
        params,
        client_ip: ip,
    };
    let done = submissions::submit(&state, &record, submission).await?;
    if let Some(response_id) = done.response_id {
        forwarded.push(("junction_response_id".into(), response_id));
    }
    let query = serde_urlencoded::to_string(&forwarded).unwrap_or_default();
    Ok(Redirect::to(&destination(
        &record.id,
        &done.decision,
        Some(&query),
    )))
}

/// The form `form_id` if the session's user owns it: 401 without a user, 404 for anyone
/// else's (or a missing) form, so ids reveal nothing.
pub(crate) async fn owned_form(
    state: &AppState,
    session: &Session,
    form_id: &str,
) -> Result<FormRecord, AppError> {
    let user_id: Option<i64> = session
        .get(app::auth::SESSION_USER_ID_KEY)
        .await
        .map_err(AppError::internal)?;
    let user_id = user_id.ok_or(AppError::Unauthorized)?;
    form_service::find_owned(&state.db, form_id, user_id).await
}

/// Answers from a multipart body. Text parts are collected; each file goes to the incoming
/// folder as it arrives, checked against its field's settings (a file over its field's size
/// is drained, not kept). When reading stops early (the body was cut or malformed, or a file
/// could not be written), the text answers that arrived before are still collected.
async fn read_multipart(
    state: &AppState,
    record: &FormRecord,
    mut multipart: Multipart,
    posted: &mut Posted,
) {
    let def = &record.definition;
    let mut pairs = Vec::new();
    let incoming = state.incoming_dir();
    let cut_short = |e: axum::extract::multipart::MultipartError, posted: &mut Posted| {
        posted.refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "The answers could not be read completely: {}",
                e.body_text()
            ),
        );
    };
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                cut_short(e, posted);
                break;
            }
        };
        let Some(name) = part.name().map(str::to_owned) else {
            continue;
        };
        let file_field = def
            .live_fields()
            .find(|f| f.identifier == name && f.takes_file());
        let Some(field) = file_field else {
            match part.text().await {
                Ok(text) => pairs.push((name, text)),
                Err(e) => {
                    cut_short(e, posted);
                    break;
                }
            }
            continue;
        };
        let file_name = part.file_name().unwrap_or("").to_owned();
        let content_type = part
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let Some(file_type) = field.field_type() else {
            continue;
        };
        let max_bytes = file_type.max_upload_bytes(&field.config);
        let upload_id = app::forms::new_id();
        let path = incoming.join(&upload_id);
        let mut size: u64 = 0;
        let mut file = None;
        let mut failed = None;
        let mut unwritable = false;
        loop {
            let chunk = match part.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            };
            size += chunk.len() as u64;
            if size > max_bytes {
                continue; // drained, never kept
            }
            if let Err(e) = append(&mut file, &incoming, &path, &chunk).await {
                let _ = AppError::internal(format!("receiving an upload: {e}"));
                unwritable = true;
                break;
            }
        }
        drop(file);
        if unwritable {
            let _ = tokio::fs::remove_file(&path).await;
            posted.refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "The file could not be received just now. Please send the form again.".into(),
            );
            break;
        }
        if let Some(e) = failed {
            let _ = tokio::fs::remove_file(&path).await;
            cut_short(e, posted);
            break;
        }
        if file_name.is_empty() && size == 0 {
            continue; // no file chosen
        }
        let safe_name: String = file_name
            .chars()
            .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
            .take(200)
            .collect();
        if let Err(message) =
            file_type.accepts_upload(&safe_name, &content_type, size, &field.config)
        {
            let _ = tokio::fs::remove_file(&path).await;
            posted.errors.entry(name).or_default().push(message);
            continue;
        }
        let answer = FileAnswer {
            file_id: upload_id,
            name: safe_name,
            size,
            content_type,
        };
        posted.raw.insert(
            name.clone(),
            serde_json::to_value(&answer).unwrap_or(Value::Null),
        );
        posted.files.push(ReceivedFile {
            field: name,
            path,
            answer,
        });
    }
    posted.params = submissions::extras(def, &pairs);
    posted.raw.extend(collect(def, pairs));
}

/// Appends `chunk` to the incoming file at `path`, creating it (and `dir`) on the first one.
async fn append(
    file: &mut Option<tokio::fs::File>,
    dir: &std::path::Path,
    path: &std::path::Path,
    chunk: &[u8],
) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    if file.is_none() {
        tokio::fs::create_dir_all(dir).await?;
        *file = Some(tokio::fs::File::create(path).await?);
    }
    match file {
        Some(file) => file.write_all(chunk).await,
        None => Ok(()),
    }
}

/// `GET /f/{id}`: the form, prefilled from the link's query string.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    render_page(&state, query.as_deref().unwrap_or_default(), &id, None).await
}

/// `GET /f/{id}/thanks?route=…`: the message of the route taken (plain HTML, no wasm).
pub async fn thanks(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let route = pairs.into_iter().find(|(name, _)| name == "route").map(|(_, value)| value);
    let page = match thank_you_message(&state, &id, route.as_deref()).await {
        Ok((name, text)) => RespondentPage::Thanks { name, text },
        Err(error) => RespondentPage::Unavailable(error),
    };
    render_respondent(&state, page).await
}

/// Renders the form `id`: with `posted` answers and their messages after a refused
/// submission, else prefilled from the link's `query`.
async fn render_page(state: &AppState, query: &str, id: &str, posted: Option<PostedAnswers>) -> Response {
    let page = match public_form(state, id, query, posted).await {
        Ok(form) => RespondentPage::Form(Box::new(form)),
        Err(error) => RespondentPage::Unavailable(error),
    };
    render_respondent(state, page).await
}

/// A respondent's page as a response, with the status and the policy it calls for.
async fn render_respondent(state: &AppState, page: RespondentPage) -> Response {
    let status = StatusCode::from_u16(page.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let nonce = leptos::nonce::Nonce::new().to_string();
    let html = respondent_document(state.leptos_options.clone(), page, &nonce);
    let mut response = (status, axum::response::Html(html)).into_response();
    if let Ok(policy) = HeaderValue::from_str(&app::csp::page_policy(&nonce, true)) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// `GET /forms/{form_id}/files/{file_id}`: only the form's owner may download.
pub async fn download(
    State(state): State<AppState>,
    Path((form_id, file_id)): Path<(String, String)>,
    session: Session,
) -> Result<Response, AppError> {
    owned_form(&state, &session, &form_id).await?;
    let not_found = || AppError::NotFound("That file".into());
    if !file_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(not_found());
    }
    let (name, _content_type) = submissions::find_upload(&state.db, &form_id, &file_id)
        .await?
        .ok_or_else(not_found)?;
    match tokio::fs::read(state.upload_dir(&form_id).join(&file_id)).await {
        Ok(bytes) => {
            let disposition = format!(
                "attachment; filename=\"{}\"",
                name.replace(['"', '\r', '\n'], "_")
            );
            Ok((
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
                .into_response())
        }
        Err(e) => Err(AppError::internal(format!("reading upload {file_id}: {e}"))),
    }
}
