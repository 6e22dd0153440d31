//! Accounts: register, authenticate, confirm and change a password, create an admin.
//! Shared by the server functions and the command line.

use std::net::IpAddr;

use garde::Validate;

use crate::auth::{self, LoginLimiter, NewAccount, Role, SessionUser, password};
use crate::db::{Db, users};
use crate::error::AppError;
use crate::hooks::{NewUserPayload, UserBeforeCreate, UserCreated, UserEvent, UserLoggedIn};
use crate::services::outbox;
use crate::state::AppState;

pub use crate::db::users::{find_by_email, find_by_id};

/// Creates an account after validating it.
///
/// A taken email is refused with a message that does not say it is taken, and the password
/// is hashed first either way, so neither the words nor the timing tell who has an account.
/// (The refusal itself still differs from a success: only a confirmation email could hide
/// that, and Junction sends none at sign-up yet.) It never checks the password against the
/// existing account, so sign-up is no way around the login limits.
///
/// Accounts are the site's business, so the site's account hooks are served by the
/// administrators' running apps: each may refuse the account (`user.beforeCreate`, its
/// message shown at the email), and `user.created` is written for each administrator in
/// the account's own transaction (their endpoints and apps). The command line's
/// `admin create` goes around them ([`create_admin`]).
pub async fn register(state: &AppState, account: NewAccount, role: Role) -> Result<SessionUser, AppError> {
    let hash = checked_hash(&state.db, &account).await?;
    let admins = users::admin_ids(&state.db).await?;
    before_create(state, &admins, &account.email).await?;
    let mut tx = state.db.pool().begin().await?;
    let user = inserted(&mut tx, &account, &hash, role).await?;
    let event = UserEvent { user_id: user.id, email: user.email.clone() };
    outbox::commit_for_each::<UserCreated>(state, tx, &admins, event).await?;
    Ok(user)
}

/// Validates `account` and hashes its password; a taken email is refused after hashing.
async fn checked_hash(db: &Db, account: &NewAccount) -> Result<String, AppError> {
    account.validate()?;
    let hash = password::hash(account.password.clone()).await?;
    if users::find_by_email(db, &account.email).await?.is_some() {
        return Err(sign_up_refused());
    }
    Ok(hash)
}

async fn inserted(
    conn: &mut sqlx::AnyConnection,
    account: &NewAccount,
    hash: &str,
    role: Role,
) -> Result<SessionUser, AppError> {
    match users::insert(conn, &account.email, hash, role).await {
        // Two sign-ups racing for one email: the loser reads like any other refusal.
        Err(AppError::Validation { .. }) => Err(sign_up_refused()),
        result => result,
    }
}

/// Each administrator's running apps' `user.beforeCreate` filters, oldest administrator
/// first; the first refusal ends it. A handler cannot change the address, only refuse it.
async fn before_create(state: &AppState, admins: &[i64], email: &str) -> Result<(), AppError> {
    let registry = state.apps.registry();
    let hooks = registry.hooks();
    for &admin in admins {
        let running = crate::services::apps::running(state, admin).await;
        if !hooks.any::<UserBeforeCreate>(&running.active) {
            continue;
        }
        let payload = NewUserPayload { email: email.to_owned() };
        if let Err(rejected) = hooks.filter::<UserBeforeCreate>(&running.active, payload).await {
            return Err(AppError::field("email", rejected.message));
        }
    }
    Ok(())
}

fn sign_up_refused() -> AppError {
    AppError::field(
        "email",
        "An account cannot be created with this email and password. If you have an account, log in instead.",
    )
}

/// Checks the signed-in user's password again before a sensitive step (a new API key).
pub async fn confirm_password(db: &Db, user_id: i64, password: &str) -> Result<(), AppError> {
    verified(
        db,
        user_id,
        password,
        "password",
        "This is not your password.",
    )
    .await
    .map(drop)
}

/// The user's record once `password` is theirs; otherwise a validation error on `field`.
async fn verified(
    db: &Db,
    user_id: i64,
    password: &str,
    field: &str,
    wrong: &str,
) -> Result<users::UserRecord, AppError> {
    let record = users::find_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if password.len() > auth::MAX_PASSWORD_LEN
        || !password::verify(password.to_owned(), record.password_hash.clone()).await?
    {
        return Err(AppError::field(field, wrong));
    }
    Ok(record)
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
    let email = auth::normalize_email(email);
    if email.is_empty() || password.is_empty() {
        return Err(AppError::BadRequest(
            "Enter your email and password.".into(),
        ));
    }
    if password.len() > auth::MAX_PASSWORD_LEN {
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

/// What a password change ended besides the old password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    pub sessions_ended: u64,
    pub keys_revoked: u64,
}

/// Replaces a user's password after checking the current one, then ends every other session
/// of the account (all of them when `keep_session` is `None`) and, when asked, revokes its
/// API keys.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
    revoke_api_keys: bool,
) -> Result<PasswordChanged, AppError> {
    let record = verified(
        db,
        user_id,
        current,
        "current_password",
        "This is not your current password.",
    )
    .await?;
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
    users::set_password_hash(db, user_id, &hash).await?;
    let sessions_ended = crate::db::sessions::delete_for_user(db, user_id, keep_session).await?;
    let keys_revoked = if revoke_api_keys {
        crate::db::api_keys::delete_all(db, user_id).await?
    } else {
        0
    };
    Ok(PasswordChanged {
        sessions_ended,
        keys_revoked,
    })
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
        None => {
            let hash = checked_hash(db, &account).await?;
            let mut conn = db.pool().acquire().await?;
            inserted(&mut conn, &account, &hash, Role::Admin).await
        }
    }
}

/// After a log-in (the session started): `user.loggedIn`, for the user's own endpoints and
/// apps. The event is not the respondent's business, so a failure to write it is logged
/// and the log-in stands.
pub async fn logged_in(state: &AppState, user: &SessionUser) {
    let payload = UserEvent { user_id: user.id, email: user.email.clone() };
    if let Err(e) = outbox::emit::<UserLoggedIn>(state, user.id, None, payload).await {
        tracing::error!(user = user.id, "user.loggedIn was not written: {e}");
    }
}
