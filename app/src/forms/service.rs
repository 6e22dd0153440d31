//! Saving a form: the document's own checks (`validate_definition`), then the checks that
//! need the database: a route that reuses another form's routes must name another form of
//! the same owner whose rules test only fields this form has. The builder and the API
//! both save through here. Server only.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use super::answers::{CheckedAnswers, RawAnswers, UnknownKeys, check_answers_with};
use super::compiled::CompiledForm;
use super::{FormDefinition, FormRecord, check_condition, validate_definition};
use crate::db::{Db, forms as db};
use crate::error::{AppError, FieldErrors};
use crate::routing::Decision;
use crate::rules::Budget;

/// Creates a form for `owner_id` from a whole definition.
pub async fn create(db_: &Db, owner_id: i64, def: FormDefinition) -> Result<FormRecord, AppError> {
    let def = validate_off_workers(def).await?;
    check_reused_routes(db_, "", owner_id, &def).await?;
    db::insert(db_, owner_id, &def).await
}

/// Stores checked answers with the route they took and leaves the owner a notice when the
/// form asks for one (a failed notice is logged, never the respondent's problem: their
/// answers are stored). Returns the new response's id.
pub async fn store(
    db_: &Db,
    record: &FormRecord,
    checked: &CheckedAnswers,
    decision: &Decision,
) -> Result<String, AppError> {
    let answers = serde_json::to_string(&checked.stored).map_err(AppError::internal)?;
    let response_id =
        db::insert_response(db_, &record.id, &answers, decision.route_id.as_deref()).await?;
    tracing::info!(form = %record.id, response = %response_id, route = ?decision.route_id, "response stored");
    if record.definition.settings.notify_owner
        && let Err(e) =
            crate::db::notifications::insert(db_, record.owner_id, &record.id, &response_id).await
    {
        tracing::warn!(form = %record.id, "could not record the owner's notice: {e}");
    }
    Ok(response_id)
}

pub async fn save(
    db_: &Db,
    id: &str,
    owner_id: i64,
    def: FormDefinition,
) -> Result<FormRecord, AppError> {
    let def = validate_off_workers(def).await?;
    check_reused_routes(db_, id, owner_id, &def).await?;
    db::update(db_, id, owner_id, &def).await
}

/// `validate_definition`, which compiles every rule of a form that may be megabytes large,
/// on a blocking thread rather than an async worker.
async fn validate_off_workers(def: FormDefinition) -> Result<FormDefinition, AppError> {
    tokio::task::spawn_blocking(move || validate_definition(def))
        .await
        .map_err(AppError::internal)?
}

/// Refuses file answers that name no file uploaded to this form: the API cannot upload, so
/// a file answer there must point at an existing upload, never at a made-up id.
pub async fn check_uploads(
    db_: &Db,
    record: &FormRecord,
    checked: &CheckedAnswers,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    for field in record.definition.live_fields().filter(|f| f.kind == "file") {
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
        Err(AppError::Validation {
            message: "Some answers were refused.".into(),
            fields: errors,
        })
    }
}

/// Deletes a form with its responses and its uploaded files.
pub async fn delete(
    state: &crate::state::AppState,
    id: &str,
    owner_id: i64,
) -> Result<(), AppError> {
    db::delete(&state.db, id, owner_id).await?;
    let dir = state.upload_dir(id);
    match tokio::fs::remove_dir_all(&dir).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        // The form is gone either way; the files are logged for the operator to remove.
        Err(e) => {
            tracing::error!(form = %id, dir = %dir.display(), "could not remove uploaded files: {e}");
            Ok(())
        }
    }
}

/// Changes part of a saved form (its name, whether it is enabled) without undoing a save
/// that happens meanwhile: the change is applied to the newest revision and written only if
/// that revision is still the newest, else read and applied again.
pub async fn modify(
    db_: &Db,
    id: &str,
    owner_id: i64,
    change: impl Fn(&mut FormDefinition),
) -> Result<FormRecord, AppError> {
    for _ in 0..10 {
        let record = db::find_owned(db_, id, owner_id).await?;
        let mut def = record.definition.clone();
        change(&mut def);
        let def = validate_off_workers(def).await?;
        if let Some(saved) =
            db::update_if_revision(db_, id, owner_id, Some(record.revision), &def).await?
        {
            return Ok(saved);
        }
    }
    Err(AppError::Conflict(
        "The form is being changed elsewhere right now; try again.".into(),
    ))
}

async fn check_reused_routes(
    db_: &Db,
    id: &str,
    owner_id: i64,
    def: &FormDefinition,
) -> Result<(), AppError> {
    let identifiers: HashSet<&str> = def.fields.iter().map(|f| f.identifier.as_str()).collect();
    let mut errors = FieldErrors::new();
    // Each reused form is checked once, however many routes reuse it.
    let mut verdicts: HashMap<&str, Option<String>> = HashMap::new();
    for (i, route) in def.routes.iter().enumerate() {
        let Some(other_id) = &route.use_routes_of else {
            continue;
        };
        if let Some(verdict) = verdicts.get(other_id.as_str()) {
            if let Some(message) = verdict {
                errors.insert(format!("routes[{i}].use_routes_of"), vec![message.clone()]);
            }
            continue;
        }
        let problem = if other_id == id {
            Some("A form cannot reuse its own routes.".to_owned())
        } else {
            match db::find(db_, other_id).await? {
                Some(other) if other.owner_id == owner_id => other
                    .definition
                    .routes
                    .iter()
                    .filter(|r| r.use_routes_of.is_none())
                    .find_map(|r| {
                        check_condition(&r.rule, &identifiers, "a field of this form")
                            .err()
                            .map(|e| {
                                format!(
                                    "Route \"{}\" of \"{}\": {e}",
                                    r.name, other.definition.name
                                )
                            })
                    }),
                _ => Some("None of your forms has this id.".to_owned()),
            }
        };
        if let Some(message) = &problem {
            errors.insert(format!("routes[{i}].use_routes_of"), vec![message.clone()]);
        }
        verdicts.insert(other_id, problem);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation {
            message: "A route reuses routes that do not fit this form.".into(),
            fields: errors,
        })
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
