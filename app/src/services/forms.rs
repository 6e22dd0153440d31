//! Forms: created, saved, changed in part, duplicated and deleted. A form is saved after
//! the document's own checks (`validate_definition`, run off the async workers) and the
//! checks that need the database: a route that reuses another form's routes must name
//! another form of the same owner whose rules test only fields this form has. The
//! builder, the forms list and the API all save through here.

use std::collections::{HashMap, HashSet};

use crate::db::{Db, forms as db};
use crate::error::{AppError, FieldErrors};
use crate::forms::{FormDefinition, FormRecord, check_condition, validate_definition};
use crate::hooks::{Action, FormBeforeSave, FormCreated, FormDeleted, FormEvent, FormSavePayload, FormUpdated};
use crate::services::outbox;
use crate::state::AppState;

pub use crate::db::forms::{find_owned, linked_routes, list, routes_of};

/// Creates a form for `owner_id` from a whole definition; fires `form.created`.
pub async fn create(state: &AppState, owner_id: i64, def: FormDefinition) -> Result<FormRecord, AppError> {
    let def = validate_off_workers(def).await?;
    let def = before_save(state, owner_id, None, def).await?;
    check_reused_routes(&state.db, "", owner_id, &def).await?;
    let mut tx = state.db.pool().begin().await?;
    let record = db::insert(&mut *tx, owner_id, &def).await?;
    committed::<FormCreated>(state, tx, owner_id, &record.id, &def.name).await?;
    Ok(record)
}

/// Replaces a form's whole definition; fires `form.updated`.
pub async fn save(
    state: &AppState,
    id: &str,
    owner_id: i64,
    def: FormDefinition,
) -> Result<FormRecord, AppError> {
    let def = validate_off_workers(def).await?;
    let def = before_save(state, owner_id, Some(id), def).await?;
    check_reused_routes(&state.db, id, owner_id, &def).await?;
    write(state, id, owner_id, None, &def)
        .await?
        .ok_or_else(|| AppError::NotFound("That form".into()))
}

/// Writes `def` if the form is still at `revision` (any for `None`), with its
/// `form.updated` event in the same transaction; `None` when nothing was written.
async fn write(
    state: &AppState,
    id: &str,
    owner_id: i64,
    revision: Option<i64>,
    def: &FormDefinition,
) -> Result<Option<FormRecord>, AppError> {
    let mut tx = state.db.pool().begin().await?;
    if !db::write_if_revision(&mut tx, id, owner_id, revision, def).await? {
        return Ok(None);
    }
    committed::<FormUpdated>(state, tx, owner_id, id, &def.name).await?;
    db::find_owned(&state.db, id, owner_id).await.map(Some)
}

/// Runs the owner's running apps' `form.beforeSave` filters on a checked definition. A
/// changed definition is checked again (an app cannot save what the builder could not); a
/// rejection refuses the save with the app's message, nothing written.
async fn before_save(
    state: &AppState,
    owner_id: i64,
    form_id: Option<&str>,
    def: FormDefinition,
) -> Result<FormDefinition, AppError> {
    let registry = state.apps.registry();
    check_app_fields(state, owner_id, form_id, &def).await?;
    let running = crate::services::apps::running(state, owner_id).await;
    let hooks = registry.hooks();
    if !hooks.any::<FormBeforeSave>(&running.active) {
        return Ok(def);
    }
    let payload = FormSavePayload { form_id: form_id.map(str::to_owned), definition: def.clone() };
    let out = hooks
        .filter::<FormBeforeSave>(&running.active, payload)
        .await
        .map_err(|rejected| AppError::Validation { message: rejected.message, fields: FieldErrors::new() })?;
    if out.definition == def {
        return Ok(def);
    }
    validate_off_workers(out.definition).await
}

/// Refuses a new question of a type an app contributes while that app does not run for the
/// owner (the builder does not offer it then). Questions the form already had are kept, so
/// switching an app off never costs a form its questions or their answers.
async fn check_app_fields(
    state: &AppState,
    owner_id: i64,
    form_id: Option<&str>,
    def: &FormDefinition,
) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let contributed = |f: &&crate::forms::Field| f.field_type().and_then(|t| t.app()).is_some();
    if !def.fields.iter().any(|f| !f.deleted && contributed(&f)) {
        return Ok(());
    }
    let awake = crate::services::apps::awake_kinds(state, owner_id).await;
    let asleep = |f: &crate::forms::Field| !f.deleted && contributed(&f) && !awake.contains(&f.kind.as_str());
    if !def.fields.iter().any(asleep) {
        return Ok(());
    }
    let kept: HashSet<(String, String)> = match form_id {
        Some(id) => db::find_owned(&state.db, id, owner_id)
            .await?
            .definition
            .fields
            .into_iter()
            .map(|f| (f.id, f.kind))
            .collect(),
        None => HashSet::new(),
    };
    let mut errors = FieldErrors::new();
    for (i, field) in def.fields.iter().enumerate().filter(|(_, f)| asleep(f)) {
        if kept.contains(&(field.id.clone(), field.kind.clone())) {
            continue;
        }
        let Some((t, slug)) = field.field_type().and_then(|t| Some((t, t.app()?))) else {
            continue;
        };
        let app = registry.manifest(slug).map_or(slug, |m| m.name.as_str());
        errors.insert(
            format!("fields[{i}].type"),
            vec![format!(
                "{} questions come with the {app} app, which is not switched on for you: switch it on in the App Store to add one.",
                t.meta().name
            )],
        );
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(AppError::Validation {
        message: "The form asks a question whose app is not switched on.".into(),
        fields: errors,
    })
}

/// Writes the form event `H` in `tx`, commits it, then runs what follows a commit.
async fn committed<H: Action<Payload = FormEvent>>(
    state: &AppState,
    tx: sqlx::Transaction<'static, sqlx::Any>,
    owner_id: i64,
    id: &str,
    name: &str,
) -> Result<(), AppError> {
    let event = FormEvent { form_id: id.to_owned(), name: name.to_owned() };
    outbox::commit_with::<H>(state, tx, owner_id, Some(id), event).await
}

/// `validate_definition`, which compiles every rule of a form that may be megabytes large,
/// on a blocking thread rather than an async worker.
async fn validate_off_workers(def: FormDefinition) -> Result<FormDefinition, AppError> {
    tokio::task::spawn_blocking(move || validate_definition(def))
        .await
        .map_err(AppError::internal)?
}

/// Renames a form.
pub async fn rename(state: &AppState, id: &str, owner_id: i64, name: &str) -> Result<FormRecord, AppError> {
    modify(state, id, owner_id, |def| def.name = name.to_owned()).await
}

/// Opens or closes a form to respondents.
pub async fn set_enabled(
    state: &AppState,
    id: &str,
    owner_id: i64,
    enabled: bool,
) -> Result<FormRecord, AppError> {
    modify(state, id, owner_id, |def| def.settings.enabled = enabled).await
}

/// A copy of one of the owner's forms, named "… (copy)", saved like a new form.
pub async fn duplicate(state: &AppState, id: &str, owner_id: i64) -> Result<FormRecord, AppError> {
    let mut def = db::find_owned(&state.db, id, owner_id).await?.definition;
    def.name = format!("{} (copy)", def.name).chars().take(200).collect();
    create(state, owner_id, def).await
}

/// Deletes a form with its responses and its uploaded files; fires `form.deleted`.
pub async fn delete(state: &AppState, id: &str, owner_id: i64) -> Result<(), AppError> {
    let name = db::find_owned(&state.db, id, owner_id).await?.definition.name;
    let mut tx = state.db.pool().begin().await?;
    db::delete(&mut *tx, id, owner_id).await?;
    committed::<FormDeleted>(state, tx, owner_id, id, &name).await?;
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
    state: &AppState,
    id: &str,
    owner_id: i64,
    change: impl Fn(&mut FormDefinition),
) -> Result<FormRecord, AppError> {
    for _ in 0..10 {
        let record = db::find_owned(&state.db, id, owner_id).await?;
        let mut def = record.definition.clone();
        change(&mut def);
        let def = validate_off_workers(def).await?;
        let def = before_save(state, owner_id, Some(id), def).await?;
        if let Some(saved) = write(state, id, owner_id, Some(record.revision), &def).await? {
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
