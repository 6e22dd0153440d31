//! The HTTP client deliveries go through. Requests time out, read at most
//! `MAX_RESPONSE_BYTES` of an answer, follow no redirects, use no proxy, and, unless the
//! operator allows it (`JUNCTION_ALLOW_PRIVATE_WEBHOOKS=1`), never reach a private,
//! loopback, link-local or otherwise special address: the URL's host is checked when an
//! endpoint is saved, and every address a name resolves to is checked again when a
//! request is made, so a name that points inward later is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How long one request may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a receiver's answer is read (kept for the delivery log).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How much of an answer the delivery log keeps.
pub const KEPT_RESPONSE_CHARS: usize = 500;

/// Why an address may not be reached, or `None` when it may.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("a loopback address")
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                Some("a private address")
            } else if v4.is_link_local() {
                Some("a link-local address")
            } else if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || a == 0 || a >= 240 {
                Some("not a public address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("a loopback address")
            } else if (first & 0xfe00) == 0xfc00 {
                Some("a private address")
            } else if (first & 0xffc0) == 0xfe80 {
                Some("a link-local address")
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some("not a public address")
            } else {
                None
            }
        }
    }
}

/// Checks a receiver's URL as typed: http or https, a host, no credentials, and (unless
/// `allow_private`) no address literal that is not public. The message names the problem.
pub fn check_url(raw: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter the URL to send events to.".into());
    }
    if raw.len() > 2000 {
        return Err("The URL is longer than 2,000 characters.".into());
    }
    let url = reqwest::Url::parse(raw).map_err(|e| format!("\"{raw}\" is not a URL: {e}."))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("The URL must start with https:// (not {}:).", url.scheme()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("The URL may not carry a user name or password; the signature proves who is sending.".into());
    }
    let Some(host) = url.host_str() else {
        return Err("The URL has no host.".into());
    };
    if !allow_private {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if let Some(why) = forbidden(ip) {
                return Err(format!("{ip} is {why}; events can only be sent to public addresses."));
            }
        } else {
            let name = bare.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(format!("{name} is this server; events can only be sent to public addresses."));
            }
        }
    }
    Ok(url)
}

/// Resolves names with the system resolver and drops every address `forbidden` refuses;
/// a name left with none fails with the reason.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("{host} could not be resolved: {e}"))?
                .collect();
            let mut refused = None;
            let public: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match forbidden(addr.ip()) {
                    Some(why) => {
                        refused = Some(format!("{host} resolves to {}, {why}", addr.ip()));
                        false
                    }
                    None => true,
                })
                .collect();
            if public.is_empty() {
                let why = refused.unwrap_or_else(|| format!("{host} has no address"));
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    pub duration_ms: i64,
    /// Why it failed (a network error, or the status and the start of the answer).
    pub error: Option<String>,
    /// The receiver's `Retry-After`, as sent.
    pub retry_after: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// The client, built once per server.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound").field("allow_private", &self.allow_private).finish()
    }
}

impl Outbound {
    pub fn new(allow_private: bool) -> Result<Outbound, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Junction-Webhooks/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(32);
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder
            .build()
            .map_err(|e| format!("the HTTP client cannot be built: {e}"))?;
        Ok(Outbound { client, allow_private })
    }

    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// POSTs `body` (JSON) to `url` with `headers`.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: String) -> Attempt {
        let mut all: Vec<(String, String)> = vec![("content-type".into(), "application/json".into())];
        all.extend(headers.iter().map(|(name, value)| ((*name).to_owned(), value.clone())));
        let answer = match self.send("POST", url, &all, Some(body)).await {
            Ok(answer) => answer,
            Err((error, duration_ms)) => {
                return Attempt { status: None, duration_ms, error: Some(error), retry_after: None };
            }
        };
        let status = answer.status;
        let error = (!(200..300).contains(&status)).then(|| {
            let text: String = String::from_utf8_lossy(&answer.body)
                .chars()
                .take(KEPT_RESPONSE_CHARS)
                .collect();
            let text = text.trim();
            if text.is_empty() {
                format!("answered {status}")
            } else {
                format!("answered {status}: {text}")
            }
        });
        Attempt { status: Some(status), duration_ms: answer.duration_ms, error, retry_after: answer.retry_after }
    }

    /// Sends one request: the URL checked as typed, the receiver's addresses after DNS, no
    /// redirect followed, the answer read up to 64 KB. The error says why, with the time
    /// taken.
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<String>,
    ) -> Result<Answer, (String, i64)> {
        let started = Instant::now();
        let elapsed = |started: Instant| started.elapsed().as_millis() as i64;
        let url = check_url(url, self.allow_private).map_err(|e| (e, 0))?;
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| (format!("{method:?} is not an HTTP method"), 0))?;
        let mut request = self.client.request(method, url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut response = request.send().await.map_err(|e| (describe(&e), elapsed(started)))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Read at most MAX_RESPONSE_BYTES of the answer; the rest is never read.
        let mut body = Vec::new();
        while body.len() < MAX_RESPONSE_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body.truncate(MAX_RESPONSE_BYTES);
        Ok(Answer { status, retry_after, body, duration_ms: elapsed(started) })
    }
}

/// What a receiver answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// Its `Retry-After`, as sent.
    pub retry_after: Option<String>,
    /// The start of its body, at most 64 KB.
    pub body: Vec<u8>,
    pub duration_ms: i64,
}

/// A request error in one line, with its cause (a refused address says which).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(cause) = source {
        last = Some(cause.to_string());
        source = cause.source();
    }
    if let Some(cause) = last {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inward_addresses_are_refused() {
        for (ip, why) in [
            ("127.0.0.1", "a loopback address"),
            ("10.1.2.3", "a private address"),
            ("172.16.0.1", "a private address"),
            ("192.168.1.1", "a private address"),
            ("100.64.0.1", "a private address"),
            ("169.254.169.254", "a link-local address"),
            ("0.0.0.0", "not a public address"),
            ("::1", "a loopback address"),
            ("fd00::1", "a private address"),
            ("fe80::1", "a link-local address"),
            ("::ffff:127.0.0.1", "a loopback address"),
        ] {
            assert_eq!(forbidden(ip.parse().unwrap()), Some(why), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert_eq!(forbidden(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_as_typed() {
        assert!(check_url("https://hooks.example.com/in", false).is_ok());
        let err = |url: &str| check_url(url, false).unwrap_err();
        assert!(err("").contains("Enter the URL"));
        assert!(err("ftp://example.com").contains("https://"));
        assert!(err("not a url").contains("is not a URL"));
        assert!(err("https://user:pw@example.com").contains("user name or password"));
        assert!(err("http://127.0.0.1:8080/x").contains("127.0.0.1 is a loopback address"));
        assert!(err("http://[::1]/x").contains("::1 is a loopback address"));
        assert!(err("http://169.254.169.254/latest").contains("link-local"));
        assert!(err("http://localhost:3000").contains("localhost is this server"));
        assert!(err("http://2130706433/").contains("127.0.0.1 is a loopback"), "normalised");
        assert!(check_url("http://127.0.0.1:8080/x", true).is_ok(), "allowed by the operator");
    }

    #[tokio::test]
    async fn a_name_that_resolves_inward_is_refused_after_dns() {
        let resolved = PublicOnly.resolve("localhost".parse().unwrap()).await;
        let message = resolved.err().expect("refused").to_string();
        assert!(message.contains("127.0.0.1, a loopback address") || message.contains("::1, a loopback"), "{message}");
    }
}
