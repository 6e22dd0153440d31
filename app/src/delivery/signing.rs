//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): each request carries
//! `webhook-id`, `webhook-timestamp` and `webhook-signature`, the last being
//! `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` for each secret that signs, space
//! separated. The signing is the specification's own Rust library's.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::OsRng;
use chacha20poly1305::aead::rand_core::RngCore;

/// The prefix of a webhook secret.
pub const PREFIX: &str = "whsec_";

/// A new endpoint secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", B64.encode(bytes))
}

/// The `webhook-signature` header for `body`, signed by each of `secrets`.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let webhook = standardwebhooks::Webhook::new(secret)
            .map_err(|e| format!("the endpoint's secret is unusable: {e}"))?;
        signatures.push(
            webhook
                .sign(id, timestamp, body.as_bytes())
                .map_err(|e| format!("the body cannot be signed: {e}"))?,
        );
    }
    Ok(signatures.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_32_random_bytes() {
        let secret = new_secret();
        let bytes = B64.decode(secret.strip_prefix(PREFIX).unwrap()).unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(new_secret(), secret);
    }

    #[test]
    fn a_signature_matches_the_specifications_example() {
        // The example in the Standard Webhooks specification's test suite.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        let signed = signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let two = signature(&[secret, &new_secret()], "msg_1", 1, body).unwrap();
        assert_eq!(two.split(' ').count(), 2);
        assert!(signature(&["whsec_not base64!"], "msg_1", 1, body).is_err());
    }
}
