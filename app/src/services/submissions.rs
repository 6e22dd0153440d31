//! Responses: one `submit` for the respondent's page, the JSON API and the headless
//! router. A form is opened (it exists and accepts responses), the answers are checked by
//! the field types and the form's rules, routed, and stored with their files and the
//! owner's notice. Each caller only reads its transport (a posted page, JSON, a query
//! string) and answers in its own way; what is decided is decided here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};

use crate::db::{Db, forms as db};
use crate::forms::answers::WHOLE_FORM;
use crate::hooks::{
    FallbackPayload, FormBeforeSubmit, FormSubmitted, LabelledAnswer, RoutePayload, RouteTaken,
    RoutingBeforeRoute, RoutingFallbackHit, SubmitPayload, SubmittedPayload,
};
use crate::services::group_commit::{NewResponse, ResponseWriter};
use crate::services::outbox;
use crate::services::apps;
use crate::error::{AppError, FieldErrors};
use crate::fields::FileAnswer;
use crate::forms::FormRecord;
use crate::forms::answers::{CheckedAnswers, RawAnswers, UnknownKeys, check_answers_with};
use crate::forms::compiled::{CompiledForm, SUBMISSION_BUDGET};
use crate::routing::Decision;
use crate::rules::Budget;
use crate::state::AppState;

pub use crate::db::forms::{
    ResponseFilter, count_filtered, find_upload, list_responses, responses_page,
};

/// The one answer to answers sent to a form that is closed.
pub const CLOSED: &str = "This form is not accepting responses.";

/// The form `id` as respondents meet it, if it takes responses: `NotFound` when there is
/// none, `Closed` when its owner closed it. Every way of answering a form asks this first.
/// A question of a type whose app does not run for the owner is left out, as if deleted:
/// it stays in the form, with its answers, and is asked again once the app runs.
pub async fn open_form(state: &AppState, id: &str) -> Result<FormRecord, AppError> {
    let mut record = db::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("That form".into()))?;
    if !record.definition.settings.enabled {
        return Err(AppError::Closed(CLOSED.into()));
    }
    let awake = apps::awake_kinds(state, record.owner_id).await;
    for field in &mut record.definition.fields {
        if field.field_type().is_some_and(|t| t.app().is_some()) && !awake.contains(&field.kind.as_str()) {
            field.deleted = true;
        }
    }
    Ok(record)
}

/// Everything the public page of a form shows a visitor who is not signed in and brings no
/// prefill depends on: the form's revision (each save, opening or closing bumps it),
/// whether the owner's spam guard adds its honeypot, and which of the field types apps
/// contribute the owner's apps make available. Equal keys, equal pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageKey {
    pub revision: i64,
    pub honeypot: bool,
    /// Bit `i` for the `i`th of `fields::contributed` while its app runs.
    pub awake: u32,
}

/// The page key of form `id`; `None` when there is no such form.
pub async fn page_key(state: &AppState, id: &str) -> Result<Option<PageKey>, AppError> {
    let Some((owner, revision)) = db::owner_and_revision(&state.db, id).await? else {
        return Ok(None);
    };
    let honeypot = apps::honeypot(state, owner).await.is_some();
    let running = apps::awake_kinds(state, owner).await;
    let awake = crate::fields::contributed()
        .enumerate()
        .filter(|(_, (kind, _))| running.contains(kind))
        .fold(0, |bits, (i, _)| bits | 1 << i);
    Ok(Some(PageKey { revision, honeypot, awake }))
}

/// Where answers came from, which decides the two things that differ between callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public page: it may carry files, and keys that are not fields are ignored (a
    /// browser posts its own, such as the submit button).
    Page,
    /// `/api/v1`: a key that is not a field is an error, and a file answer must name a file
    /// already uploaded to the form (the API cannot upload).
    Api,
    /// The headless router: a query string, where unknown keys are forwarded, not answers.
    Router,
}

/// A file received with a page's answers, held in the incoming folder until the response
/// is stored.
#[derive(Debug)]
pub struct ReceivedFile {
    /// The identifier of the file field it answers.
    pub field: String,
    pub path: PathBuf,
    pub answer: FileAnswer,
}

/// One submission, as the caller read it.
pub struct Submission<'a> {
    pub channel: Channel,
    pub raw: &'a RawAnswers,
    /// Files that came with the answers (the page's multipart post).
    pub files: &'a [ReceivedFile],
    /// Problems found while reading the request (a file too large for its field), reported
    /// with the answers' own.
    pub problems: FieldErrors,
    /// Route the answers without storing anything.
    pub dry_run: bool,
    /// What came with the answers that is not an answer (`extras`), for apps.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The respondent's address, when known.
    pub client_ip: Option<std::net::IpAddr>,
}

/// The posted pairs that are not fields of `def`, as text, for apps' hooks (a link's
/// `utm_*`, a honeypot). At most 32, each cut to 1,000 characters.
pub fn extras(
    def: &crate::forms::FormDefinition,
    pairs: &[(String, String)],
) -> serde_json::Map<String, serde_json::Value> {
    let fields: std::collections::HashSet<&str> =
        def.fields.iter().map(|f| f.identifier.as_str()).collect();
    pairs
        .iter()
        .filter(|(name, _)| !fields.contains(name.as_str()) && name.len() <= 64)
        .take(32)
        .map(|(name, value)| {
            let value: String = value.chars().take(1_000).collect();
            (name.clone(), serde_json::Value::String(value))
        })
        .collect()
}

/// What a stored (or dry-run) submission led to.
#[derive(Debug)]
pub struct Submitted {
    /// `None` on a dry run.
    pub response_id: Option<String>,
    pub decision: Decision,
}

/// Checks, routes and (unless it is a dry run) stores one submission to the open form
/// `record`. Refused answers are a `Validation` error keyed by identifier (the whole
/// submission under `WHOLE_FORM`); a failure to store is `Internal`, and then nothing of
/// the submission is kept, its files included. The files are the caller's to remove
/// when the submission is refused.
pub async fn submit(
    state: &AppState,
    record: &FormRecord,
    submission: Submission<'_>,
) -> Result<Submitted, AppError> {
    let Submission {
        channel,
        raw,
        files,
        mut problems,
        dry_run,
        params,
        client_ip,
    } = submission;
    if let Err(message) = check_quota(state, record, files).await {
        for file in files {
            problems
                .entry(file.field.clone())
                .or_default()
                .push(message.clone());
        }
    }
    let unknown = match channel {
        Channel::Api => UnknownKeys::Reject,
        Channel::Page | Channel::Router => UnknownKeys::Ignore,
    };
    let mut budget = Budget::new(SUBMISSION_BUDGET);
    let mut checked = match check(record, raw, unknown, &mut budget).await {
        Ok(checked) if problems.is_empty() => checked,
        result => {
            for (field, messages) in result.err().unwrap_or_default() {
                problems.entry(field).or_insert(messages);
            }
            return Err(refused(problems));
        }
    };
    if channel == Channel::Api {
        check_uploads(&state.db, record, &checked).await?;
    }
    let running = apps::running(state, record.owner_id).await;
    let data = before_submit(state, record, &running, &mut checked, params, client_ip).await?;
    // Routes' addresses may use what apps attached ({score}); answers win a clash.
    let mut vars = checked.values.clone();
    for (key, value) in &data {
        vars.entry(key.clone()).or_insert_with(|| value.clone());
    }
    let decision = decide(&state.db, record, &vars, &mut budget).await?;
    let decision = before_route(state, record, &running, &vars, decision).await?;
    if dry_run {
        return Ok(Submitted {
            response_id: None,
            decision,
        });
    }
    keep_files(state, record, &checked, files).await?;
    match store(state, record, &checked, &decision, &data).await {
        Ok(response_id) => Ok(Submitted {
            response_id: Some(response_id),
            decision,
        }),
        Err(e) => {
            forget_files(state, record, files).await;
            Err(e)
        }
    }
}

/// Runs the `form.beforeSubmit` filters of the owner's running apps. A rejection refuses
/// the submission with the app's message (the respondent keeps their answers); a change to
/// an answer is kept for the answers the form already had, in both the values routes see
/// and what is stored. Returns what the apps attached.
async fn before_submit(
    state: &AppState,
    record: &FormRecord,
    running: &crate::apps::running::Running,
    checked: &mut CheckedAnswers,
    params: serde_json::Map<String, serde_json::Value>,
    client_ip: Option<std::net::IpAddr>,
) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    let registry = state.apps.registry();
    let hooks = registry.hooks();
    if !hooks.any::<FormBeforeSubmit>(&running.active) {
        return Ok(serde_json::Map::new());
    }
    let payload = SubmitPayload {
        form_id: record.id.clone(),
        answers: checked.values.clone(),
        kinds: checked.stored.values().map(|a| (a.identifier.clone(), a.kind.clone())).collect(),
        params,
        client_ip: client_ip.map(|ip| ip.to_string()),
        data: serde_json::Map::new(),
    };
    let out = hooks
        .filter::<FormBeforeSubmit>(&running.active, payload)
        .await
        .map_err(|rejected| refused_by_app(rejected.message))?;
    for (identifier, value) in out.answers {
        if let Some(old) = checked.values.get_mut(&identifier)
            && *old != value
        {
            *old = value.clone();
            if let Some(stored) = checked.stored.values_mut().find(|s| s.identifier == identifier) {
                stored.value = value;
            }
        }
    }
    Ok(out.data)
}

/// Runs the `routing.beforeRoute` filters of the owner's running apps on the route the
/// rules chose. An app may choose another of the form's own routes by id, or the fallback
/// (null); a route the form does not have is logged and the rules' choice stands. A
/// rejection refuses the submission with the app's message, the answers kept.
async fn before_route(
    state: &AppState,
    record: &FormRecord,
    running: &crate::apps::running::Running,
    vars: &serde_json::Map<String, serde_json::Value>,
    decision: Decision,
) -> Result<Decision, AppError> {
    let registry = state.apps.registry();
    let hooks = registry.hooks();
    if !hooks.any::<RoutingBeforeRoute>(&running.active) {
        return Ok(decision);
    }
    let payload = RoutePayload {
        form_id: record.id.clone(),
        answers: vars.clone(),
        route_id: decision.route_id.clone(),
    };
    let chosen = hooks
        .filter::<RoutingBeforeRoute>(&running.active, payload)
        .await
        .map_err(|rejected| refused_by_app(rejected.message))?
        .route_id;
    if chosen == decision.route_id {
        return Ok(decision);
    }
    match compiled(record).await.decision_for(chosen.as_deref(), vars) {
        Some(other) => Ok(other),
        None => {
            tracing::warn!(form = %record.id, route = ?chosen, "an app chose a route the form does not have; the rules' choice stands");
            Ok(decision)
        }
    }
}

/// An app's filter refused the submission: its message for the whole form, the answers kept.
fn refused_by_app(message: String) -> AppError {
    AppError::Validation {
        fields: FieldErrors::from([(WHOLE_FORM.to_owned(), vec![message.clone()])]),
        message,
    }
}

fn refused(fields: FieldErrors) -> AppError {
    AppError::Validation {
        message: "Some answers were refused.".into(),
        fields,
    }
}

/// Charts of the owner's form over the last `days` days, with the campaigns UTM
/// attribution recorded (while it runs for the owner, or when responses of the period carry
/// them). Responses are read in batches, so a large form never sits in memory.
pub async fn insights(
    state: &AppState,
    form: &FormRecord,
    days: i64,
) -> Result<crate::forms::insights::Insights, AppError> {
    use crate::apps::builtin::utm_attribution::{BREAKDOWN, SLUG};
    const BATCH: i64 = 1_000;
    let db_ = &state.db;
    let today = crate::db::now().div_euclid(86_400);
    let mut tally = crate::forms::insights::Tally::new(&form.definition, today, days);
    let attributing = apps::running_config(state, form.owner_id, SLUG).await.is_some();
    for (key, label) in BREAKDOWN {
        tally.break_down(key, label, attributing);
    }
    let period = ResponseFilter {
        from: Some(tally.since()),
        ..Default::default()
    };
    let mut before: Option<String> = None;
    loop {
        let batch = db::responses_page(db_, &form.id, &period, before.as_deref(), BATCH).await?;
        batch.iter().for_each(|r| tally.add(r));
        match batch.last() {
            Some(last) if batch.len() as i64 == BATCH => before = Some(last.id.clone()),
            _ => break,
        }
    }
    let linked = db::linked_routes(db_, &form.definition, form.owner_id).await?;
    Ok(tally.finish(&form.definition, &linked))
}

/// Refuses files that would take the form past its storage quota.
async fn check_quota(
    state: &AppState,
    record: &FormRecord,
    files: &[ReceivedFile],
) -> Result<(), String> {
    if files.is_empty() {
        return Ok(());
    }
    let incoming: u64 = files.iter().map(|f| f.answer.size).sum();
    let used = db::upload_usage(&state.db, &record.id)
        .await
        .map_err(|_| "The file could not be stored. Please try again.".to_owned())?;
    if used.max(0) as u64 + incoming > state.upload_quota_bytes {
        return Err(format!(
            "This form has no room for more files (it may hold {} MB in all). Please tell the form's owner.",
            state.upload_quota_bytes / (1024 * 1024)
        ));
    }
    Ok(())
}

/// Moves the received files into the form's folder and records them; on any failure,
/// undoes what it did.
async fn keep_files(
    state: &AppState,
    record: &FormRecord,
    checked: &CheckedAnswers,
    files: &[ReceivedFile],
) -> Result<(), AppError> {
    let dir = state.upload_dir(&record.id);
    for (i, file) in files.iter().enumerate() {
        // A file whose field was hidden by its condition is not part of the answers.
        let kept = checked.values.contains_key(&file.field);
        let result = async {
            if !kept {
                let _ = tokio::fs::remove_file(&file.path).await;
                return Ok(());
            }
            tokio::fs::create_dir_all(&dir)
                .await
                .map_err(AppError::internal)?;
            tokio::fs::rename(&file.path, dir.join(&file.answer.file_id))
                .await
                .map_err(AppError::internal)?;
            db::insert_upload(
                &state.db,
                &file.answer.file_id,
                &record.id,
                &file.answer.name,
                &file.answer.content_type,
                file.answer.size as i64,
            )
            .await
        }
        .await;
        if let Err(e) = result {
            forget_files(state, record, &files[..=i]).await;
            for rest in &files[i + 1..] {
                let _ = tokio::fs::remove_file(&rest.path).await;
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Removes a submission's files wherever they are, and their records.
async fn forget_files(state: &AppState, record: &FormRecord, files: &[ReceivedFile]) {
    let dir = state.upload_dir(&record.id);
    for file in files {
        let _ = tokio::fs::remove_file(&file.path).await;
        let _ = tokio::fs::remove_file(dir.join(&file.answer.file_id)).await;
        let _ = db::delete_upload(&state.db, &record.id, &file.answer.file_id).await;
    }
}

/// Stores checked answers with the route they took, and in the same transaction the
/// `form.submitted` (and, for the fallback, `routing.fallbackHit`) events for the owner's
/// receivers and the owner's notice when the form asks for one; the transaction is shared
/// with other submissions (`group_commit`). Then runs the apps' action handlers. Returns
/// the new response's id.
async fn store(
    state: &AppState,
    record: &FormRecord,
    checked: &CheckedAnswers,
    decision: &Decision,
    data: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, AppError> {
    let response_id = db::sortable_id();
    let submitted = SubmittedPayload {
        form_id: record.id.clone(),
        form_name: record.definition.name.clone(),
        response_id: response_id.clone(),
        answers: checked
            .stored
            .values()
            .map(|a| {
                let answer = LabelledAnswer { label: a.label.clone(), value: a.value.clone() };
                (a.identifier.clone(), answer)
            })
            .collect(),
        route: RouteTaken { id: decision.route_id.clone(), name: decision.route_name.clone() },
        data: data.clone(),
    };
    let response = NewResponse {
        id: response_id.clone(),
        form_id: record.id.clone(),
        owner_id: record.owner_id,
        answers: serde_json::to_string(&checked.stored).map_err(AppError::internal)?,
        route_id: decision.route_id.clone(),
        data: serde_json::Value::Object(data.clone()).to_string(),
        notify_owner: record.definition.settings.notify_owner,
        submitted,
        fallback: decision.route_id.is_none().then(|| FallbackPayload {
            form_id: record.id.clone(),
            response_id: response_id.clone(),
        }),
    };
    let committed = ResponseWriter::of(state)?.store(response).await?;
    tracing::info!(form = %record.id, response = %response_id, route = ?decision.route_id, "response stored");
    let owner = record.owner_id;
    let NewResponse { submitted, fallback, .. } = committed.response;
    outbox::fired::<FormSubmitted>(state, owner, committed.submitted_rows, submitted).await;
    if let Some(payload) = fallback {
        outbox::fired::<RoutingFallbackHit>(state, owner, committed.fallback_rows, payload).await;
    }
    Ok(response_id)
}

/// Refuses file answers that name no file uploaded to this form: the API cannot upload, so
/// a file answer there must point at an existing upload, never at a made-up id.
async fn check_uploads(
    db_: &Db,
    record: &FormRecord,
    checked: &CheckedAnswers,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    for field in record.definition.live_fields().filter(|f| f.takes_file()) {
        let Some(answer) = checked.values.get(&field.identifier) else {
            continue;
        };
        let file_id = answer.get("file_id").and_then(|v| v.as_str()).unwrap_or("");
        if db::find_upload(db_, &record.id, file_id).await?.is_none() {
            errors.insert(
                field.identifier.clone(),
                vec![format!(
                    "No file with id \"{file_id}\" was uploaded to this form."
                )],
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(refused(errors))
    }
}

type CompiledCache = Mutex<HashMap<(String, i64), Arc<CompiledForm>>>;

/// Compiled rules by form id and revision; past `KEPT` forms the cache starts again (old
/// revisions are never asked for).
static COMPILED: LazyLock<CompiledCache> = LazyLock::new(Default::default);
const KEPT: usize = 256;

fn cached(id: &str, revision: i64) -> Option<Arc<CompiledForm>> {
    COMPILED
        .lock()
        .ok()
        .and_then(|c| c.get(&(id.to_owned(), revision)).cloned())
}

/// The compiled rules of a form, compiled once per revision and kept for the next
/// submissions. Compiling a large form takes a while, so it runs off the async workers.
pub async fn compiled(record: &FormRecord) -> Arc<CompiledForm> {
    if let Some(hit) = cached(&record.id, record.revision) {
        return hit;
    }
    let def = record.definition.clone();
    let form = match tokio::task::spawn_blocking(move || CompiledForm::new(&def)).await {
        Ok(form) => Arc::new(form),
        Err(_) => Arc::new(CompiledForm::new(&record.definition)),
    };
    if let Ok(mut cache) = COMPILED.lock() {
        if cache.len() >= KEPT {
            cache.clear();
        }
        cache.insert((record.id.clone(), record.revision), form.clone());
    }
    form
}

/// Checks answers with the form's compiled rules, taking the work from `budget`.
pub async fn check(
    record: &FormRecord,
    raw: &RawAnswers,
    unknown: UnknownKeys,
    budget: &mut Budget,
) -> Result<CheckedAnswers, FieldErrors> {
    let form = compiled(record).await;
    check_answers_with(&record.definition, &form, raw, unknown, budget)
}

/// Where checked answers send a respondent. Routes that reuse another form's routes read
/// that form (only the owner's) as it is now, compiled once per revision like this one.
pub async fn decide(
    db_: &Db,
    record: &FormRecord,
    answers: &serde_json::Map<String, serde_json::Value>,
    budget: &mut Budget,
) -> Result<Decision, AppError> {
    let own = compiled(record).await;
    let mut linked = HashMap::new();
    let reused = record.definition.reused_forms();
    if !reused.is_empty() {
        // Only the revisions are read; a reused form is loaded and compiled only when that
        // revision is not in the cache yet.
        for (id, revision) in db::revisions(db_, &reused, record.owner_id).await? {
            let form = match cached(&id, revision) {
                Some(hit) => hit,
                None => match db::find(db_, &id).await? {
                    Some(other) if other.owner_id == record.owner_id => compiled(&other).await,
                    _ => continue,
                },
            };
            linked.insert(id, form);
        }
    }
    Ok(own.decide(answers, &linked, budget))
}
