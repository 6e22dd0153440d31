//! Login throttling per email and per client IP (token buckets from `governor`).
//!
//! Limits are per server process; with several instances behind a balancer each keeps
//! its own buckets, which still bounds guessing to a small multiple.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

pub struct LoginLimiter {
    /// One email from one address: what a guesser gets.
    by_email_and_ip: DefaultKeyedRateLimiter<(String, Option<IpAddr>)>,
    /// One address, any email (sign-ups too).
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// One email from anywhere: a ceiling high enough that nobody can lock its owner out
    /// from a few addresses, low enough to stop a guesser with many.
    by_email: DefaultKeyedRateLimiter<String>,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter").finish_non_exhaustive()
    }
}

impl Default for LoginLimiter {
    /// 5 attempts a minute per email from one address, 30 per address, 100 per email.
    fn default() -> Self {
        LoginLimiter::new(
            NonZeroU32::new(5).unwrap(),
            NonZeroU32::new(30).unwrap(),
            NonZeroU32::new(100).unwrap(),
        )
    }
}

impl LoginLimiter {
    pub fn new(
        per_email_and_ip_per_minute: NonZeroU32,
        per_ip_per_minute: NonZeroU32,
        per_email_per_minute: NonZeroU32,
    ) -> Self {
        LoginLimiter {
            by_email_and_ip: RateLimiter::keyed(Quota::per_minute(per_email_and_ip_per_minute)),
            by_ip: RateLimiter::keyed(Quota::per_minute(per_ip_per_minute)),
            by_email: RateLimiter::keyed(Quota::per_minute(per_email_per_minute)),
        }
    }

    /// Takes one login attempt from each bucket, or says how long to wait.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        if let Some(ip) = ip {
            self.by_ip.check_key(&ip).map_err(wait_error)?;
        }
        self.by_email_and_ip
            .check_key(&(email.to_owned(), ip))
            .map_err(wait_error)?;
        self.by_email
            .check_key(&email.to_owned())
            .map_err(wait_error)
    }

    /// Takes one sign-up attempt from the address's bucket, shared with logins.
    pub fn check_sign_up(&self, ip: Option<IpAddr>) -> Result<(), AppError> {
        match ip {
            Some(ip) => self.by_ip.check_key(&ip).map_err(wait_error),
            None => Ok(()),
        }
    }

    /// Forgets buckets that are full again, so memory stays bounded.
    pub fn prune(&self) {
        self.by_email_and_ip.retain_recent();
        self.by_ip.retain_recent();
        self.by_email.retain_recent();
    }
}

/// The limits of anonymous and API work: submissions per minute per client IP, on the API
/// and the public form alike (`JUNCTION_SUBMIT_RATE_LIMIT`, default 120), calls per minute
/// per API key's user (`JUNCTION_API_RATE_LIMIT`, default 600) and headless-router calls per
/// minute per client IP (`JUNCTION_ROUTER_RATE_LIMIT`, default 60). `0` turns a limit off.
pub struct ApiLimiter {
    submit_by_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_user: Option<DefaultKeyedRateLimiter<i64>>,
    router_by_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl std::fmt::Debug for ApiLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiLimiter").finish_non_exhaustive()
    }
}

fn keyed<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

fn wait_error(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
    AppError::RateLimited {
        retry_after_secs: not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1),
    }
}

/// Takes one request from `key`'s bucket of a limit that may be off (`None`).
fn take<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), AppError> {
    match limiter {
        Some(limiter) => limiter.check_key(key).map_err(wait_error),
        None => Ok(()),
    }
}

impl ApiLimiter {
    pub fn new(submit_per_ip_per_minute: u32, per_user_per_minute: u32) -> Self {
        ApiLimiter::with_router(submit_per_ip_per_minute, per_user_per_minute, 0)
    }

    pub fn with_router(
        submit_per_ip_per_minute: u32,
        per_user_per_minute: u32,
        router_per_ip_per_minute: u32,
    ) -> Self {
        ApiLimiter {
            submit_by_ip: keyed(submit_per_ip_per_minute),
            by_user: keyed(per_user_per_minute),
            router_by_ip: keyed(router_per_ip_per_minute),
        }
    }

    /// Reads the limits from the environment; a value that is not a number is an error
    /// naming the variable.
    pub fn from_env() -> Result<Self, String> {
        let read = |name: &str, default: u32| {
            match std::env::var(name) {
            Err(_) => Ok(default),
            Ok(v) => v.trim().parse::<u32>().map_err(|_| {
                format!("{name} must be a whole number of requests per minute (0 turns it off), not {v:?}")
            }),
        }
        };
        Ok(ApiLimiter::with_router(
            read("JUNCTION_SUBMIT_RATE_LIMIT", 120)?,
            read("JUNCTION_API_RATE_LIMIT", 600)?,
            read("JUNCTION_ROUTER_RATE_LIMIT", 60)?,
        ))
    }

    pub fn check_submit(&self, ip: IpAddr) -> Result<(), AppError> {
        take(&self.submit_by_ip, &ip)
    }

    pub fn check_router(&self, ip: IpAddr) -> Result<(), AppError> {
        take(&self.router_by_ip, &ip)
    }

    pub fn check_user(&self, user_id: i64) -> Result<(), AppError> {
        take(&self.by_user, &user_id)
    }

    pub fn prune(&self) {
        if let Some(l) = &self.submit_by_ip {
            l.retain_recent();
        }
        if let Some(l) = &self.by_user {
            l.retain_recent();
        }
        if let Some(l) = &self.router_by_ip {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(email_and_ip: u32, ip: u32, email: u32) -> LoginLimiter {
        let n = |v| NonZeroU32::new(v).unwrap();
        LoginLimiter::new(n(email_and_ip), n(ip), n(email))
    }

    #[test]
    fn email_bucket_runs_out_and_names_a_wait() {
        let limiter = limiter(2, 100, 100);
        let ip = Some("127.0.0.1".parse().unwrap());
        assert!(limiter.check("a@b.co", ip).is_ok());
        assert!(limiter.check("a@b.co", ip).is_ok());
        match limiter.check("a@b.co", ip) {
            Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        // Another account from the same address is not affected.
        assert!(limiter.check("c@d.co", ip).is_ok());
    }

    #[test]
    fn api_limits_count_per_ip_and_per_user_and_zero_is_off() {
        let limiter = ApiLimiter::new(2, 1);
        let ip = "10.0.0.1".parse().unwrap();
        assert!(limiter.check_submit(ip).is_ok());
        assert!(limiter.check_submit(ip).is_ok());
        assert!(matches!(
            limiter.check_submit(ip),
            Err(AppError::RateLimited { .. })
        ));
        assert!(limiter.check_submit("10.0.0.2".parse().unwrap()).is_ok());
        assert!(limiter.check_user(7).is_ok());
        assert!(limiter.check_user(7).is_err());
        let off = ApiLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(off.check_submit(ip).is_ok() && off.check_user(7).is_ok());
        }
    }

    #[test]
    fn ip_bucket_spans_emails_and_sign_ups() {
        let limiter = limiter(100, 3, 100);
        let ip = Some("10.0.0.1".parse().unwrap());
        assert!(limiter.check("a@b.co", ip).is_ok());
        assert!(limiter.check("b@b.co", ip).is_ok());
        assert!(limiter.check_sign_up(ip).is_ok());
        assert!(limiter.check("c@b.co", ip).is_err());
        assert!(limiter.check_sign_up(ip).is_err());
        assert!(
            limiter
                .check("c@b.co", Some("10.0.0.2".parse().unwrap()))
                .is_ok()
        );
    }

    #[test]
    fn another_address_cannot_lock_the_owner_out() {
        let limiter = limiter(2, 100, 10);
        let attacker = Some("10.0.0.66".parse().unwrap());
        let owner = Some("10.0.0.1".parse().unwrap());
        for _ in 0..2 {
            assert!(limiter.check("owner@b.co", attacker).is_ok());
        }
        assert!(limiter.check("owner@b.co", attacker).is_err());
        assert!(
            limiter.check("owner@b.co", owner).is_ok(),
            "the owner's own address still gets in"
        );
        // Many addresses together still meet the per-email ceiling.
        for i in 0..20u8 {
            let _ = limiter.check("owner@b.co", Some(std::net::IpAddr::from([10, 1, 0, i])));
        }
        assert!(
            limiter
                .check("owner@b.co", Some("10.9.9.9".parse().unwrap()))
                .is_err()
        );
    }
}
