//! Spam guard: a `form.beforeSubmit` filter refusing submissions from blocked e-mail
//! domains, with the honeypot filled, or past a per-address rate, and (from 1.2.0) telling
//! its owner so on their dashboard.

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
            tell_owner(host, config, reason).await;
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

/// How often the owner is told at most.
const NOTICE_EVERY: Duration = Duration::from_secs(600);

/// When each installation last told its owner.
static TOLD: LazyLock<Mutex<HashMap<String, Instant>>> = LazyLock::new(Default::default);

/// From 1.2.0, with the setting on: a notice to the owner, at most one per installation
/// every ten minutes. A notice that cannot be left does not change the verdict.
async fn tell_owner(host: &HostApi, config: &Map<String, Value>, reason: &str) {
    let since_1_2 = semver::Version::parse(host.version()).is_ok_and(|v| v >= semver::Version::new(1, 2, 0));
    let wanted = config.get("notify_refusals").and_then(Value::as_bool).unwrap_or(true);
    if !since_1_2 || !wanted || !due(host.installation_id()) {
        return;
    }
    let text = format!("Turned a submission away: {reason} More may follow within 10 minutes without another notice.");
    if let Err(e) = host.notify(&text).await {
        tracing::warn!(installation = host.installation_id(), "spam guard could not notify: {e}");
    }
}

/// Whether `installation` may tell its owner now (and counts it as told).
fn due(installation: &str) -> bool {
    let now = Instant::now();
    let Ok(mut told) = TOLD.lock() else {
        return false;
    };
    if told.len() > 10_000 {
        told.retain(|_, at| now - *at < NOTICE_EVERY);
    }
    match told.get(installation) {
        Some(at) if now - *at < NOTICE_EVERY => false,
        _ => {
            told.insert(installation.to_owned(), now);
            true
        }
    }
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
    fn the_owner_is_told_once_in_ten_minutes_per_installation() {
        let id = uuid::Uuid::new_v4().to_string();
        assert!(due(&id));
        assert!(!due(&id));
        assert!(due(&uuid::Uuid::new_v4().to_string()));
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
