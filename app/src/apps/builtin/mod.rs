//! The built-in apps, one file each with its manifest beside it as JSON. `all` is the
//! registry: adding an app is one line there.

use std::sync::Arc;

use super::App;
use super::manifest::{Manifest, ManifestError};

pub mod email;
pub mod lead_scoring;
pub mod rating_field;
pub mod spam_guard;
pub mod utm_attribution;
pub mod webhooks;

/// Every built-in app, or the first whose manifest cannot be read.
pub fn all() -> Result<Vec<Arc<dyn App>>, ManifestError> {
    Ok(vec![
        load(include_str!("spam_guard.json"), spam_guard::SpamGuard::new)?,
        load(include_str!("utm_attribution.json"), utm_attribution::UtmAttribution::new)?,
        load(include_str!("lead_scoring.json"), lead_scoring::LeadScoring::new)?,
        load(include_str!("webhooks.json"), webhooks::Webhooks::new)?,
        load(include_str!("email.json"), email::Email::new)?,
        load(include_str!("rating_field.json"), rating_field::RatingField::new)?,
    ])
}

fn load<A: App>(json: &str, make: fn(Manifest) -> A) -> Result<Arc<dyn App>, ManifestError> {
    let manifest = Manifest::from_json(json).map_err(|problem| ManifestError {
        // The slug, if the JSON is readable that far.
        app: serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v["slug"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "a built-in app".into()),
        problem: format!("its manifest cannot be read: {problem}"),
    })?;
    Ok(Arc::new(make(manifest)))
}

/// Every text among the answers (a multi-valued answer gives each of its texts).
pub(crate) fn answer_texts(answers: &serde_json::Map<String, serde_json::Value>) -> Vec<&str> {
    let mut texts = Vec::new();
    for value in answers.values() {
        match value {
            serde_json::Value::String(s) => texts.push(s.as_str()),
            serde_json::Value::Array(items) => {
                texts.extend(items.iter().filter_map(serde_json::Value::as_str))
            }
            _ => {}
        }
    }
    texts
}
