//! Forms: created, saved, changed in part, duplicated and deleted. A form is saved after
//! the document's own checks (`validate_definition`, run off the async workers) and the
//! checks that need the database: a route that reuses another form's routes must name
//! another form of the same owner whose rules test only fields this form has. The
//! builder, the forms list and the API all save through here.

use std::collections::{HashMap, HashSet};

use crate::db::{Db, forms as db};
use crate::error::{AppError, FieldErrors};
use crate::forms::{FormDefinition, FormRecord, check_condition, validate_definition};
use crate::state::AppState;

pub use crate::db::forms::{find_owned, linked_routes, list, routes_of};

/// Creates a form for `owner_id` from a whole definition.
pub async fn create(db_: &Db, owner_id: i64, def: FormDefinition) -> Result<FormRecord, AppError> {
    let def = validate_off_workers(def).await?;
    check_reused_routes(db_, "", owner_id, &def).await?;
    db::insert(db_, owner_id, &def).await
}

/// Replaces a form's whole definition.
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

/// Renames a form.
pub async fn rename(db_: &Db, id: &str, owner_id: i64, name: &str) -> Result<FormRecord, AppError> {
    modify(db_, id, owner_id, |def| def.name = name.to_owned()).await
}

/// Opens or closes a form to respondents.
pub async fn set_enabled(
    db_: &Db,
    id: &str,
    owner_id: i64,
    enabled: bool,
) -> Result<FormRecord, AppError> {
    modify(db_, id, owner_id, |def| def.settings.enabled = enabled).await
}

/// A copy of one of the owner's forms, named "… (copy)", saved like a new form.
pub async fn duplicate(db_: &Db, id: &str, owner_id: i64) -> Result<FormRecord, AppError> {
    let mut def = db::find_owned(db_, id, owner_id).await?.definition;
    def.name = format!("{} (copy)", def.name).chars().take(200).collect();
    create(db_, owner_id, def).await
}

/// Deletes a form with its responses and its uploaded files.
pub async fn delete(state: &AppState, id: &str, owner_id: i64) -> Result<(), AppError> {
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
