//! Email notifications: an e-mail per submission through the owner's SMTP server. Like
//! Webhooks it has no in-process handlers: `form.submitted` is written to the outbox for
//! each running installation in the transaction of the submission (`services/outbox.rs`),
//! and the delivery worker turns it into a message here ([`compose`], through the host
//! API, so the installation's grant is checked on every send) and sends it with
//! `delivery::email`.

use serde_json::{Map, Value};

use crate::apps::host::{self, HostApi};
use crate::apps::manifest::{Manifest, Scope};
use crate::apps::{App, Registrar};
use crate::delivery::email::{MAX_RECIPIENTS, Mail, Security, Smtp};
use crate::hooks::{FormSubmitted, Hook, SubmittedPayload};

pub use crate::apps::email::SLUG;

/// The events an installation is sent.
pub fn takes(event: &str) -> bool {
    event == FormSubmitted::POINT.name
}

/// The event type of a test e-mail.
pub const TEST_EVENT: &str = "email.test";

pub struct Email {
    manifest: Manifest,
}

impl Email {
    pub fn new(manifest: Manifest) -> Email {
        Email { manifest }
    }
}

#[async_trait::async_trait]
impl App for Email {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn register(&self, _hooks: &mut Registrar<'_>) {}

    /// Refuses settings no e-mail could be sent with, naming the one that is wrong.
    async fn on_configure(&self, _host: &HostApi, config: &Map<String, Value>) -> Result<(), String> {
        smtp(config)?;
        let probe = Mail {
            from: host::text(config, "from").to_owned(),
            to: recipients(config, "owner@example.com"),
            subject: String::new(),
            text: String::new(),
        };
        crate::delivery::email::build(&probe).map(drop)
    }
}

fn smtp(config: &Map<String, Value>) -> Result<Smtp, String> {
    let name = host::text(config, "host").trim();
    // An IPv6 address is given in brackets, so a colon outside them is a port or a typo.
    let bracketed = name.starts_with('[') && name.ends_with(']');
    let odd = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '@');
    if name.is_empty() || name.contains(odd) || (!bracketed && name.contains(':')) {
        return Err(format!("\"{name}\" is not an SMTP server's name; give one such as smtp.example.com."));
    }
    let port = match config.get("port") {
        None | Some(Value::Null) => 587,
        Some(value) => value
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("The port must be a whole number from 1 to 65535, not {value}."))?,
    };
    let security_name = match host::text(config, "security") {
        "" => "starttls",
        name => name,
    };
    let security = Security::parse(security_name)
        .ok_or_else(|| format!("Encryption must be one of {}.", Security::NAMES.join(", ")))?;
    let username = Some(host::text(config, "username").trim().to_owned()).filter(|u| !u.is_empty());
    let password = config.get("password").and_then(Value::as_str).map(str::to_owned);
    Ok(Smtp { host: name.trim_matches(['[', ']']).to_owned(), port, security, username, password })
}

fn recipients(config: &Map<String, Value>, owner_email: &str) -> Vec<String> {
    let listed: Vec<String> = host::items(config, "to").into_iter().map(str::to_owned).collect();
    if listed.is_empty() {
        vec![owner_email.to_owned()]
    } else {
        listed
    }
}

/// How an answer reads in the message.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(no answer)".into(),
        Value::Bool(true) => "Yes".into(),
        Value::Bool(false) => "No".into(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn submitted_text(event: &SubmittedPayload) -> String {
    let mut text = format!("Your form \"{}\" has a new response.\n\n", event.form_name);
    for answer in event.answers.values() {
        let value = shown(&answer.value);
        // Later lines of a long answer are indented under its label.
        let value = value.replace('\n', "\n    ");
        text.push_str(&format!("{}: {value}\n", answer.label));
    }
    text.push_str(&format!("\nRoute: {}\nResponse id: {}\n", event.route.name, event.response_id));
    text.push_str("\nSent by Junction's Email notifications app. Change where it goes in the app's settings.\n");
    text
}

/// The SMTP server and the message for the outbox event `body` (`{"type", "timestamp",
/// "data"}`), sent to the configured addresses or else to `owner_email`. Refused when the
/// installation may not send notifications or read its settings.
pub async fn compose(host: &HostApi, owner_email: &str, body: &str) -> Result<(Smtp, Mail), String> {
    host.require(Scope::NotificationsSend, "sending an e-mail").await.map_err(|e| e.to_string())?;
    let config = host.config().await.map_err(|e| e.to_string())?;
    let smtp = smtp(config)?;
    let event: Value = serde_json::from_str(body).map_err(|e| format!("The event cannot be read: {e}."))?;
    let (subject, text) = match event["type"].as_str() {
        Some(TEST_EVENT) => (
            "A test e-mail from Junction".to_owned(),
            "If you can read this, your Email notifications settings work: each new response to your forms will arrive like this.\n".to_owned(),
        ),
        Some(name) if takes(name) => {
            let submitted: SubmittedPayload = serde_json::from_value(event["data"].clone())
                .map_err(|e| format!("The event cannot be read: {e}."))?;
            (format!("New response to {}", submitted.form_name), submitted_text(&submitted))
        }
        other => return Err(format!("This app does not send {} events.", other.unwrap_or("unnamed"))),
    };
    let mut to = recipients(config, owner_email);
    to.truncate(MAX_RECIPIENTS + 1); // more is refused when the message is built
    let mail = Mail { from: host::text(config, "from").to_owned(), to, subject, text };
    Ok((smtp, mail))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn settings_are_read_with_their_defaults() {
        let smtp = smtp(&config(json!({"host": "smtp.example.com"}))).unwrap();
        assert_eq!((smtp.port, smtp.security), (587, Security::StartTls));
        assert_eq!(smtp.username, None);
        let error = smtp_error(json!({"host": "smtp.example.com", "port": 70000}));
        assert!(error.contains("65535"), "{error}");
        let error = smtp_error(json!({"host": "smtp example"}));
        assert!(error.contains("\"smtp example\""), "{error}");
        let error = smtp_error(json!({"host": "a.example", "security": "ssl"}));
        assert!(error.contains("starttls, tls, none"), "{error}");
    }

    fn smtp_error(value: Value) -> String {
        smtp(&config(value)).unwrap_err()
    }

    #[test]
    fn the_owner_is_the_recipient_unless_addresses_are_listed() {
        assert_eq!(recipients(&config(json!({})), "me@example.com"), ["me@example.com"]);
        let listed = config(json!({"to": "a@example.com,\n b@example.com"}));
        assert_eq!(recipients(&listed, "me@example.com"), ["a@example.com", "b@example.com"]);
    }

    #[test]
    fn answers_read_as_text() {
        assert_eq!(shown(&json!(["a", "b"])), "a, b");
        assert_eq!(shown(&json!(true)), "Yes");
        assert_eq!(shown(&json!(12.5)), "12.5");
        assert_eq!(shown(&Value::Null), "(no answer)");
    }
}
