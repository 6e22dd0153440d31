//! Spam guard: a `form.beforeSubmit` filter refusing submissions from blocked e-mail
//! domains, with the honeypot filled, or past a per-address rate.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::apps::host::{self, HostApi};
use crate::apps::manifest::Manifest;
use crate::apps::{App, Registrar};
use crate::hooks::runtime::{FilterHandler, FilterOutcome};
use crate::hooks::{FormBeforeSubmit, SubmitPayload};

/// The name of the hidden field the public form carries while the guard's honeypot is on.
pub const HONEYPOT: &str = "_hp_website";

pub const BLOCKED: &str = "Submissions from this domain are not accepted.";
pub const AUTOMATED: &str = "This submission looks automated and was not accepted.";
pub const TOO_FAST: &str =
    "Too many submissions from your address. Please wait a minute and try again.";

pub struct SpamGuard {
    manifest: Manifest,
}

impl SpamGuard {
    pub fn new(manifest: Manifest) -> SpamGuard {
        SpamGuard { manifest }
    }
}

impl App for SpamGuard {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, hooks: &mut Registrar<'_>) {
        hooks.filter::<FormBeforeSubmit>(Guard);
    }
}

/// Whether `domain` is `blocked` or one of its subdomains.
fn is_blocked(domain: &str, blocked: &[&str]) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    blocked.iter().any(|b| {
        let b = b.trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase();
        domain == b || domain.ends_with(&format!(".{b}"))
    })
}

/// When each (installation, address) submitted in the last minute.
type Recent = HashMap<(String, String), Vec<Instant>>;

static RECENT: LazyLock<Mutex<Recent>> = LazyLock::new(Default::default);

/// Counts one submission from `address`; whether it is over `limit` a minute.
fn over_rate(installation: &str, address: &str, limit: usize) -> bool {
    let now = Instant::now();
    let Ok(mut recent) = RECENT.lock() else {
        return false;
    };
    if recent.len() > 10_000 {
        recent.retain(|_, times| times.last().is_some_and(|t| now - *t < Duration::from_secs(60)));
    }
    let times = recent
        .entry((installation.to_owned(), address.to_owned()))
        .or_default();
    times.retain(|t| now - *t < Duration::from_secs(60));
    if times.len() >= limit {
        return true;
    }
    times.push(now);
    false
}

struct Guard;

#[async_trait::async_trait]
impl FilterHandler<HostApi> for Guard {
    async fn filter(&self, host: &HostApi, payload: Value) -> Result<FilterOutcome, String> {
        let config = host.config().await.map_err(|e| e.to_string())?;
        let submission: SubmitPayload =
            serde_json::from_value(payload.clone()).map_err(|e| e.to_string())?;
        if let Some(reason) = refusal(host, config, &submission) {
            return Ok(FilterOutcome::Reject(reason.into()));
        }
        Ok(FilterOutcome::Continue(payload))
    }
}

fn refusal(host: &HostApi, config: &Map<String, Value>, submission: &SubmitPayload) -> Option<&'static str> {
    let blocked = host::items(config, "blocked_domains");
    let blocked_address = super::answer_texts(&submission.answers)
        .into_iter()
        .filter_map(|text| text.trim().rsplit_once('@').map(|(_, d)| d))
        .any(|domain| is_blocked(domain, &blocked));
    if blocked_address {
        return Some(BLOCKED);
    }
    let honeypot_on = config.get("honeypot").and_then(Value::as_bool).unwrap_or(true);
    let filled = submission
        .params
        .get(HONEYPOT)
        .and_then(Value::as_str)
        .is_some_and(|v| !v.trim().is_empty());
    if honeypot_on && filled {
        return Some(AUTOMATED);
    }
    // The rate limit came with 1.1.0.
    let limited = !host.version().starts_with("1.0.");
    let limit = host::number(config, "max_per_minute").unwrap_or(5.0);
    if limited && limit >= 1.0
        && let Some(address) = &submission.client_ip
        && over_rate(host.installation_id(), address, limit as usize)
    {
        return Some(TOO_FAST);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_blocks_itself_and_its_subdomains_only() {
        let blocked = ["mailinator.com", "@spam.example"];
        assert!(is_blocked("mailinator.com", &blocked));
        assert!(is_blocked("EU.Mailinator.com", &blocked));
        assert!(is_blocked("spam.example", &blocked));
        assert!(!is_blocked("notmailinator.com", &blocked));
        assert!(!is_blocked("example.com", &blocked));
    }

    #[test]
    fn the_rate_is_per_installation_and_address() {
        let id = uuid::Uuid::new_v4().to_string();
        assert!(!over_rate(&id, "10.0.0.1", 2));
        assert!(!over_rate(&id, "10.0.0.1", 2));
        assert!(over_rate(&id, "10.0.0.1", 2));
        assert!(!over_rate(&id, "10.0.0.2", 2));
        assert!(!over_rate("another", "10.0.0.1", 2));
    }
}
