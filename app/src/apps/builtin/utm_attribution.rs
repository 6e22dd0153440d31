//! UTM attribution: a `form.beforeSubmit` filter that attaches the `utm_*` parameters of
//! the form's address to the response (as `utm_source`, `utm_medium`, …), and the
//! source/medium/campaign breakdown of a form's insights (`services::submissions::insights`).

use serde_json::Value;

use crate::apps::host::HostApi;
use crate::apps::manifest::Manifest;
use crate::apps::{App, Registrar};
use crate::hooks::runtime::{FilterHandler, FilterOutcome};
use crate::hooks::{FormBeforeSubmit, SubmitPayload};

pub const SLUG: &str = "utm-attribution";

/// The parameters kept always, and those kept when the setting asks (1.1.0).
pub const KEPT: [&str; 3] = ["utm_source", "utm_medium", "utm_campaign"];
/// The breakdowns the app adds to a form's insights: the key of each response's data, and
/// its title.
pub const BREAKDOWN: [(&str, &str); 3] = [
    ("utm_source", "Campaign source (utm_source)"),
    ("utm_medium", "Campaign medium (utm_medium)"),
    ("utm_campaign", "Campaign name (utm_campaign)"),
];
pub const OPTIONAL: [&str; 2] = ["utm_term", "utm_content"];
/// The longest value kept.
const MAX_LEN: usize = 200;

pub struct UtmAttribution {
    manifest: Manifest,
}

impl UtmAttribution {
    pub fn new(manifest: Manifest) -> UtmAttribution {
        UtmAttribution { manifest }
    }
}

impl App for UtmAttribution {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, hooks: &mut Registrar<'_>) {
        hooks.filter::<FormBeforeSubmit>(Attribute);
    }
}

struct Attribute;

#[async_trait::async_trait]
impl FilterHandler<HostApi> for Attribute {
    async fn filter(&self, host: &HostApi, payload: Value) -> Result<FilterOutcome, String> {
        let config = host.config().await.map_err(|e| e.to_string())?;
        let mut submission: SubmitPayload =
            serde_json::from_value(payload).map_err(|e| e.to_string())?;
        let extra = !host.version().starts_with("1.0.")
            && config
                .get("keep_term_and_content")
                .and_then(Value::as_bool)
                .unwrap_or(false);
        let names = KEPT.iter().chain(if extra { &OPTIONAL[..] } else { &[] });
        for name in names {
            let Some(value) = submission.params.get(*name).and_then(Value::as_str) else {
                continue;
            };
            let value: String = value.trim().chars().take(MAX_LEN).collect();
            if !value.is_empty() {
                submission.data.insert((*name).to_owned(), Value::String(value));
            }
        }
        Ok(FilterOutcome::Continue(
            serde_json::to_value(submission).map_err(|e| e.to_string())?,
        ))
    }
}
