//! Account operations shared by the server functions and the command line.

use std::net::IpAddr;

use garde::Validate;

use super::{LoginLimiter, NewAccount, Role, SessionUser, password};
use crate::db::{Db, users};
use crate::error::AppError;

/// Creates an account after validating it.
pub async fn register(db: &Db, account: NewAccount, role: Role) -> Result<SessionUser, AppError> {
    account.validate()?;
    if users::find_by_email(db, &account.email).await?.is_some() {
        return Err(AppError::field(
            "email",
            "An account with this email already exists.",
        ));
    }
    let hash = password::hash(account.password).await?;
    users::insert(db, &account.email, &hash, role).await
}

/// Checks an email and password. Every failure reads the same, whether or not the account
/// exists, and each attempt is throttled per email and per client address.
pub async fn authenticate(
    db: &Db,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<SessionUser, AppError> {
    let email = super::normalize_email(email);
    if email.is_empty() || password.is_empty() {
        return Err(AppError::BadRequest(
            "Enter your email and password.".into(),
        ));
    }
    if password.len() > super::MAX_PASSWORD_LEN {
        return Err(wrong_credentials());
    }
    limiter.check(&email, ip)?;
    let record = users::find_by_email(db, &email).await?;
    let stored = match &record {
        Some(record) => record.password_hash.clone(),
        None => password::decoy_hash().to_owned(),
    };
    let matches = password::verify(password.to_owned(), stored).await?;
    match record {
        Some(record) if matches => Ok(record.user),
        _ => Err(wrong_credentials()),
    }
}

fn wrong_credentials() -> AppError {
    AppError::BadRequest("That email and password do not match an account.".into())
}

/// Replaces a user's password after checking the current one.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let record = users::find_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !password::verify(current.to_owned(), record.password_hash).await? {
        return Err(AppError::field(
            "current_password",
            "This is not your current password.",
        ));
    }
    NewAccount {
        email: record.user.email,
        password: new.to_owned(),
    }
    .validate()
    .map_err(|report| {
        let err = AppError::from(report);
        AppError::field("new_password", err.messages_for("password").join(" "))
    })?;
    let hash = password::hash(new.to_owned()).await?;
    users::set_password_hash(db, user_id, &hash).await
}

/// Creates an administrator, or promotes the existing account with that email after
/// checking its password.
pub async fn create_admin(db: &Db, email: &str, password: &str) -> Result<SessionUser, AppError> {
    let account = NewAccount::new(email, password);
    match users::find_by_email(db, &account.email).await? {
        Some(record) => {
            if !password::verify(password.to_owned(), record.password_hash).await? {
                return Err(AppError::Conflict(format!(
                    "{} already has an account with a different password",
                    account.email
                )));
            }
            users::set_role(db, record.user.id, Role::Admin).await?;
            Ok(SessionUser {
                role: Role::Admin,
                ..record.user
            })
        }
        None => register(db, account, Role::Admin).await,
    }
}
