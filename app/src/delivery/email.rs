//! Sending one e-mail over SMTP with lettre. The server's name is resolved here and every
//! address it gives is checked as a webhook's is (`outbound::forbidden`), unless the
//! operator allows private receivers; lettre then connects to the first address allowed,
//! while TLS still verifies the certificate for the name. Each SMTP command times out, and
//! so does the whole send.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::outbound::forbidden;

/// How long one SMTP command may take.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole send may take, connecting included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// The most recipients one message goes to.
pub const MAX_RECIPIENTS: usize = 20;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// A plain connection upgraded with STARTTLS, which the server must offer (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the operator's own network.
    None,
}

impl Security {
    /// The names the settings form offers, in order.
    pub const NAMES: [&'static str; 3] = ["starttls", "tls", "none"];

    pub fn parse(name: &str) -> Option<Security> {
        match name {
            "starttls" => Some(Security::StartTls),
            "tls" => Some(Security::Tls),
            "none" => Some(Security::None),
            _ => None,
        }
    }
}

/// Where and how to send.
#[derive(Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Log in when set (with `password`).
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        write!(f, "Smtp({}:{} {:?}, user {:?})", self.host, self.port, self.security, self.username)
    }
}

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// What became of a send: the server's reply code when it gave one, the error when it
/// failed, and whether trying again cannot help (a 5xx reply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub code: Option<u16>,
    pub error: Option<String>,
    pub permanent: bool,
    pub duration_ms: i64,
}

impl Sent {
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// A header line holds no line breaks or other control characters.
fn one_line(text: &str) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    line.trim().to_owned()
}

fn mailbox(address: &str, role: &str) -> Result<Mailbox, String> {
    address
        .trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("The {role} address \"{}\" cannot be used: {e}.", one_line(address)))
}

/// The message to send, or what is wrong with its addresses.
pub fn build(mail: &Mail) -> Result<Message, String> {
    if mail.to.is_empty() {
        return Err("There is no one to send it to.".into());
    }
    if mail.to.len() > MAX_RECIPIENTS {
        return Err(format!("At most {MAX_RECIPIENTS} recipients, not {}.", mail.to.len()));
    }
    let mut builder = Message::builder()
        .from(mailbox(&mail.from, "sender")?)
        .subject(one_line(&mail.subject))
        .header(ContentType::TEXT_PLAIN);
    for to in &mail.to {
        builder = builder.to(mailbox(to, "recipient")?);
    }
    builder.body(mail.text.clone()).map_err(|e| format!("The message cannot be built: {e}."))
}

/// The first address of `host` that may be reached.
async fn address(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, String> {
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("The SMTP server {host} cannot be found: {e}."))?
        .collect();
    if allow_private {
        return found.first().copied().ok_or_else(|| format!("The SMTP server {host} has no address."));
    }
    let mut refused = None;
    for addr in &found {
        match forbidden(addr.ip()) {
            None => return Ok(*addr),
            Some(why) => refused = Some(format!("The SMTP server {host} is at {why} ({}), which Junction does not connect to.", addr.ip())),
        }
    }
    Err(refused.unwrap_or_else(|| format!("The SMTP server {host} has no address.")))
}

/// Sends `mail` through `smtp`. Never panics; every failure is in the answer.
pub async fn send(smtp: &Smtp, mail: &Mail, allow_private: bool) -> Sent {
    let started = Instant::now();
    let outcome = tokio::time::timeout(SEND_TIMEOUT, attempt(smtp, mail, allow_private)).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match outcome {
        Ok(Ok(code)) => Sent { code: Some(code), error: None, permanent: false, duration_ms },
        Ok(Err((code, error, permanent))) => Sent { code, error: Some(error), permanent, duration_ms },
        Err(_) => Sent {
            code: None,
            error: Some(format!("The SMTP server did not finish within {} seconds.", SEND_TIMEOUT.as_secs())),
            permanent: false,
            duration_ms,
        },
    }
}

type Failure = (Option<u16>, String, bool);

async fn attempt(smtp: &Smtp, mail: &Mail, allow_private: bool) -> Result<u16, Failure> {
    // A message that cannot be built will not build next time either.
    let message = build(mail).map_err(|e| (None, e, true))?;
    let addr = address(&smtp.host, smtp.port, allow_private)
        .await
        .map_err(|e| (None, e, false))?;
    let tls = match smtp.security {
        Security::None => Tls::None,
        Security::StartTls | Security::Tls => {
            let parameters = TlsParameters::new(smtp.host.clone())
                .map_err(|e| (None, format!("TLS cannot be set up for {}: {e}.", smtp.host), true))?;
            if smtp.security == Security::Tls {
                Tls::Wrapper(parameters)
            } else {
                Tls::Required(parameters)
            }
        }
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .tls(tls)
        .timeout(Some(COMMAND_TIMEOUT));
    if let Some(username) = smtp.username.as_deref().filter(|u| !u.is_empty()) {
        let password = smtp.password.clone().unwrap_or_default();
        transport = transport.credentials(Credentials::new(username.to_owned(), password));
    }
    let transport = transport.build();
    match transport.send(message).await {
        Ok(reply) => Ok(u16::from(reply.code())),
        Err(e) => {
            let code = e.status().map(u16::from);
            let why = if e.is_timeout() {
                format!("The SMTP server {} did not answer in time.", smtp.host)
            } else if e.is_tls() {
                format!("The TLS connection to {} failed: {e}.", smtp.host)
            } else if e.to_string().contains("No compatible authentication mechanism") {
                // lettre has no error kind for this one; its message is all there is.
                format!(
                    "The SMTP server {} offers no sign-in Junction can use (PLAIN or LOGIN{}); \
                     clear the username if it needs none.",
                    smtp.host,
                    if smtp.security == Security::None { ", which many servers offer only over TLS" } else { "" }
                )
            } else {
                format!("{e}")
            };
            Err((code, why, e.is_permanent()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            from: "Junction <forms@example.com>".into(),
            to: vec!["owner@example.com".into()],
            subject: "New response".into(),
            text: "Hello".into(),
        }
    }

    #[test]
    fn a_subject_cannot_add_headers() {
        let mut sneaky = mail();
        sneaky.subject = "Hi\r\nBcc: victim@example.com".into();
        let message = String::from_utf8(build(&sneaky).unwrap().formatted()).unwrap();
        assert!(!message.contains("\r\nBcc:"), "{message}");
    }

    #[test]
    fn bad_addresses_are_named() {
        let mut bad = mail();
        bad.to = vec!["not an address".into()];
        let error = build(&bad).unwrap_err();
        assert!(error.contains("recipient address \"not an address\""), "{error}");
        bad.to = vec![];
        assert_eq!(build(&bad).unwrap_err(), "There is no one to send it to.");
    }

    #[tokio::test]
    async fn private_servers_are_refused_unless_allowed() {
        let refused = address("127.0.0.1", 25, false).await.unwrap_err();
        assert!(refused.contains("loopback"), "{refused}");
        assert_eq!(address("127.0.0.1", 25, true).await.unwrap().port(), 25);
    }
}
