//! What a respondent's pages show, loaded by the server before it renders them.
//!
//! These are not server functions: a respondent's page carries its own data (see
//! `pages::public_form`), so the browser never asks for it again and the respondent's wasm
//! needs no server-function client.

use serde::{Deserialize, Serialize};

use crate::error::FieldErrors;
use crate::forms::FormDefinition;
use crate::forms::answers::RawAnswers;

#[cfg(feature = "ssr")]
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::services::{forms as service, submissions};
#[cfg(feature = "ssr")]
use crate::state::AppState;

/// The element of a respondent's form page whose text is the form's definition, as JSON,
/// for the form's behaviour in the browser (`components::form_behaviour`).
pub const FORM_DATA_ID: &str = "junction-form";

/// What a respondent's form page needs: the fields (never the routes or the owner), and
/// the answers and errors to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicFormData {
    pub id: String,
    pub definition: FormDefinition,
    pub initial: RawAnswers,
    pub errors: FieldErrors,
    /// A message about the whole submission (a limit reached, answers not saved).
    pub notice: Option<String>,
    /// Parameters of the link the form was opened with that go back with the answers
    /// (`utm_*`), as hidden inputs.
    pub carried: Vec<(String, String)>,
    /// The name of the honeypot input to add, when the owner's spam guard asks for one.
    pub honeypot: Option<String>,
}

/// The link parameters a public form carries into its submission: `utm_*`, at most 10,
/// each at most 200 characters.
pub fn carried_params(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    pairs
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with("utm_")
                && name.len() <= 32
                && name[4..].chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
        .map(|(name, value)| (name, value.chars().take(200).collect()))
        .take(10)
        .collect()
}

/// Answers that were posted and refused, given by the submit handler when it renders the
/// page again, so nothing typed is lost.
#[derive(Debug, Clone, Default)]
pub struct PostedAnswers {
    pub answers: RawAnswers,
    pub errors: FieldErrors,
    pub notice: Option<String>,
    /// The link parameters that came with them (`carried_params`).
    pub carried: Vec<(String, String)>,
}

/// The public form `id`, with `posted` answers when a submission was refused, otherwise
/// prefilled from the link's query string (`?identifier=value`).
#[cfg(feature = "ssr")]
pub async fn public_form(
    state: &AppState,
    id: &str,
    query: &str,
    posted: Option<PostedAnswers>,
) -> Result<PublicFormData, AppError> {
    let record = submissions::open_form(state, id).await?;
    let honeypot = crate::services::apps::honeypot(state, record.owner_id).await;
    let mut definition = record.definition;
    // Routing stays on the server.
    definition.routes.clear();
    definition.fallback = Default::default();
    for field in definition
        .fields
        .iter()
        .filter(|f| !f.deleted && f.field_type().is_none())
    {
        tracing::warn!(form = %id, kind = %field.kind, "skipping a field of unknown type");
    }
    // Respondents get only what they answer.
    definition
        .fields
        .retain(|f| !f.deleted && f.field_type().is_some());
    let (initial, errors, notice, carried) = match posted {
        Some(posted) => (posted.answers, posted.errors, posted.notice, posted.carried),
        None => {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query.trim_start_matches('?')).unwrap_or_default();
            (
                crate::forms::answers::collect(&definition, pairs.clone()),
                FieldErrors::new(),
                None,
                carried_params(pairs),
            )
        }
    };
    Ok(PublicFormData {
        id: record.id,
        definition,
        initial,
        errors,
        notice,
        carried,
        honeypot,
    })
}

/// The form's name and the message shown after a submission: the route's message when
/// `route` names a message route, else the fallback's.
#[cfg(feature = "ssr")]
pub async fn thank_you_message(
    state: &AppState,
    id: &str,
    route: Option<&str>,
) -> Result<(String, String), AppError> {
    // A closed form thanks nobody: its page says it is closed.
    let record = submissions::open_form(state, id).await?;
    // Only a message this form can decide: one of its own routes, or a route it reuses
    // from another of its owner's forms. Any other id shows the default thanks, so the page
    // cannot be made to show text the form never sends.
    let linked = service::linked_routes(&state.db, &record.definition, record.owner_id).await?;
    let def = crate::routing::expand(&record.definition, &linked);
    let action = route
        .and_then(|r| def.routes.iter().find(|x| x.id == r))
        .map(|r| r.action.clone())
        .unwrap_or_else(|| def.fallback.action.clone());
    let text = if action.kind == crate::forms::ActionKind::Message {
        action.value
    } else {
        crate::forms::Fallback::default().action.value
    };
    Ok((def.name.clone(), text))
}
