//! Domain filter, a Junction app built as a WebAssembly component (see `wit/` at the
//! repository's root): a `form.beforeSubmit` filter that refuses a submission when one of
//! its e-mail answers uses a domain listed in the setting `blocked_domains`, and logs how
//! many responses the form has (which needs `responses:read`).

wit_bindgen::generate!({ path: "../../../wit", world: "app" });

use junction::app::{log, responses};
use serde_json::Value;

struct DomainFilter;

impl Guest for DomainFilter {
    fn handle(event: Event) -> Result<Outcome, String> {
        if event.hook != "form.beforeSubmit" {
            return Ok(Outcome::Accept(None));
        }
        let payload: Value = serde_json::from_str(&event.payload_json).map_err(|e| format!("the payload: {e}"))?;
        let config: Value = serde_json::from_str(&event.config_json).map_err(|e| format!("the settings: {e}"))?;
        let blocked = domains(&config["blocked_domains"]);
        let kinds = payload["kinds"].as_object().cloned().unwrap_or_default();
        for (identifier, kind) in &kinds {
            if kind != "email" {
                continue;
            }
            let Some(address) = payload["answers"][identifier.as_str()].as_str() else { continue };
            let Some((_, domain)) = address.trim().rsplit_once('@') else { continue };
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            if blocked.iter().any(|b| *b == domain) {
                return Ok(Outcome::Reject(format!("Submissions from {domain} are not accepted")));
            }
        }
        if let Some(form) = payload["form_id"].as_str() {
            match responses::count(form) {
                Ok(count) => log::info(&format!("form {form} has {count} responses")),
                Err(error) => log::warn(&format!("could not count the responses of {form}: {error:?}")),
            }
        }
        Ok(Outcome::Accept(None))
    }

    fn manifest() -> String {
        include_str!("../manifest.json").to_owned()
    }
}

/// The blocked domains: a list, or text with one per line or comma-separated.
fn domains(setting: &Value) -> Vec<String> {
    let text = match setting {
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"),
        Value::String(text) => text.clone(),
        _ => String::new(),
    };
    text.split([',', '\n'])
        .map(|d| d.trim().trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect()
}

export!(DomainFilter);
