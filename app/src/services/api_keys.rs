//! API keys, created and checked: `jk_` and 64 random hex digits (256 bits from the OS's random source, taken
//! from v4 UUIDs with their fixed digits dropped). Keys carry enough entropy that a
//! fast hash (SHA-256) is the right storage: argon2's slowness protects guessable
//! passwords, and would only slow every API call here.

use sha2::{Digest, Sha256};

use crate::auth::ApiKeyInfo;
use crate::auth::SessionUser;
use crate::db::{Db, api_keys as db};
use crate::error::AppError;

pub const PREFIX: &str = "jk_";
const SHOWN: usize = 10;

pub fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn generate() -> String {
    let random: String = (0..3)
        .map(|_| uuid::Uuid::new_v4().simple().to_string())
        .collect::<String>()
        .chars()
        // Skip each UUID's fixed version and variant digits.
        .enumerate()
        .filter(|(i, _)| !matches!(i % 32, 12 | 16))
        .map(|(_, c)| c)
        .take(64)
        .collect();
    format!("{PREFIX}{random}")
}

/// Creates a key for `user_id`; the key itself is returned once and never stored.
pub async fn create(db_: &Db, user_id: i64, name: &str) -> Result<(String, ApiKeyInfo), AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field(
            "name",
            "Name the key, e.g. after the script that uses it.",
        ));
    }
    if name.chars().count() > 100 {
        return Err(AppError::field("name", "Use at most 100 characters."));
    }
    let key = generate();
    let info = db::insert(db_, user_id, name, &key[..SHOWN], &hash(&key)).await?;
    Ok((key, info))
}

/// The user a bearer key acts as; `None` for an unknown (or revoked) key.
pub async fn authenticate(db_: &Db, key: &str) -> Result<Option<SessionUser>, AppError> {
    if !key.starts_with(PREFIX) || key.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let Some((id, user)) = db::find_user(db_, &hash(key)).await? else {
        return Ok(None);
    };
    db::touch(db_, &id).await?;
    Ok(Some(user))
}

/// The user's keys, newest first (never the keys themselves).
pub use crate::db::api_keys::list;

/// Revokes one of the user's keys; another user's key is "not found".
pub async fn revoke(db_: &Db, user_id: i64, id: &str) -> Result<(), AppError> {
    if db::delete(db_, user_id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("That API key".into()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_long_random_and_hashed() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 67);
        assert!(a[3..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
