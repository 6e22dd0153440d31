//! Saving a form: the document's own checks (`validate_definition`), then the checks that
//! need the database: a route that reuses another form's routes must name another form of
//! the same owner whose rules test only fields this form has. The builder and the API
//! both save through here. Server only.

use std::collections::HashSet;

use super::answers::CheckedAnswers;
use super::{FormDefinition, FormRecord, check_condition, validate_definition};
use crate::db::{Db, forms as db};
use crate::error::{AppError, FieldErrors};
use crate::routing::Decision;

/// Creates a form for `owner_id` from a whole definition.
pub async fn create(db_: &Db, owner_id: i64, def: FormDefinition) -> Result<FormRecord, AppError> {
    let def = validate_definition(def)?;
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
    if record.definition.settings.notify_owner {
        if let Err(e) =
            crate::db::notifications::insert(db_, record.owner_id, &record.id, &response_id).await
        {
            tracing::warn!(form = %record.id, "could not record the owner's notice: {e}");
        }
    }
    Ok(response_id)
}

pub async fn save(
    db_: &Db,
    id: &str,
    owner_id: i64,
    def: FormDefinition,
) -> Result<FormRecord, AppError> {
    let def = validate_definition(def)?;
    check_reused_routes(db_, id, owner_id, &def).await?;
    db::update(db_, id, owner_id, &def).await
}

async fn check_reused_routes(
    db_: &Db,
    id: &str,
    owner_id: i64,
    def: &FormDefinition,
) -> Result<(), AppError> {
    let identifiers: HashSet<&str> = def.fields.iter().map(|f| f.identifier.as_str()).collect();
    let mut errors = FieldErrors::new();
    for (i, route) in def.routes.iter().enumerate() {
        let Some(other_id) = &route.use_routes_of else {
            continue;
        };
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
        if let Some(message) = problem {
            errors.insert(format!("routes[{i}].use_routes_of"), vec![message]);
        }
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

/// Where checked answers send a respondent, with the routes this form reuses loaded from
/// their forms (only the owner's).
pub async fn decide(
    db_: &Db,
    record: &FormRecord,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> Result<Decision, AppError> {
    let def = &record.definition;
    if def.routes.iter().all(|r| r.use_routes_of.is_none()) {
        return Ok(crate::routing::decide(def, answers));
    }
    let linked = db::linked_routes(db_, def, record.owner_id).await?;
    Ok(crate::routing::decide(
        &crate::routing::expand(def, &linked),
        answers,
    ))
}
