//! Accounts: who a user is, what they may type when signing up, and (on the server)
//! password hashing, login throttling and the account operations behind the pages.

use garde::Validate;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
mod rate_limit;

#[cfg(feature = "ssr")]
pub use rate_limit::{ApiLimiter, LoginLimiter};

/// A key as its owner sees it after creation: never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// The session key holding the signed-in user's id.
pub const SESSION_USER_ID_KEY: &str = "user_id";

/// Shortest password accepted at sign-up.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password accepted: hashing is deliberately costly, so unbounded input is a DoS.
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The signed-in user as pages see them. Never carries the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
}

impl SessionUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What a new account needs. Validated identically in the browser and on the server.
#[derive(Debug, Clone, Validate)]
pub struct NewAccount {
    #[garde(length(max = 254), custom(valid_email))]
    pub email: String,
    #[garde(length(chars, min = MIN_PASSWORD_LEN, max = MAX_PASSWORD_LEN))]
    pub password: String,
}

/// The same check as the form's email field, so there is one notion of a valid address
/// (and no regex engine in the browser bundle).
fn valid_email(email: &str, _: &()) -> garde::Result {
    match crate::fields::email::normalize_email(email) {
        Some(_) => Ok(()),
        None => Err(garde::Error::new(
            "Enter an email address like name@example.com.",
        )),
    }
}

impl NewAccount {
    pub fn new(email: &str, password: &str) -> Self {
        NewAccount {
            email: normalize_email(email),
            password: password.to_owned(),
        }
    }
}

/// Emails are compared case-insensitively and without surrounding spaces.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A redirect target taken from user input (`?next=`), reduced to a path on this site.
///
/// Anything that could leave the site (`//evil.example`, `https://…`, `\\host`) or smuggle
/// control characters into a header becomes `fallback`.
pub fn safe_next<'a>(next: Option<&'a str>, fallback: &'a str) -> &'a str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && path.len() <= 2048
                && path.chars().all(|c| c.is_ascii_graphic()) =>
        {
            path
        }
        _ => fallback,
    }
}

/// `/login?next=…` for a page that needs a signed-in user.
pub fn login_url(next: &str) -> String {
    let encoded = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    format!("/login?next={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }

    #[test]
    fn new_account_rejects_bad_email_and_short_password() {
        let err = NewAccount::new("not-an-email", "short")
            .validate()
            .unwrap_err();
        let fields: Vec<String> = err.iter().map(|(path, _)| path.to_string()).collect();
        assert_eq!(fields, ["email", "password"]);
        assert!(
            NewAccount::new("ada@example.com", "long enough")
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn password_length_counts_characters() {
        // Seven characters, more than eight bytes: still too short.
        assert!(NewAccount::new("a@b.co", "ééééééé").validate().is_err());
    }

    #[test]
    fn next_stays_on_site() {
        assert_eq!(
            safe_next(Some("/settings?tab=1"), "/dashboard"),
            "/settings?tab=1"
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/a b",
            "",
            "dashboard",
        ] {
            assert_eq!(safe_next(Some(bad), "/dashboard"), "/dashboard", "{bad}");
        }
        assert_eq!(safe_next(None, "/dashboard"), "/dashboard");
    }

    #[test]
    fn login_url_encodes_the_return_path() {
        assert_eq!(
            login_url("/settings?a=1"),
            "/login?next=%2Fsettings%3Fa%3D1"
        );
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::User, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
