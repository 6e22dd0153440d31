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
    by_email: DefaultKeyedRateLimiter<String>,
    by_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter").finish_non_exhaustive()
    }
}

impl Default for LoginLimiter {
    /// 5 attempts a minute per email, 30 per IP.
    fn default() -> Self {
        LoginLimiter::new(NonZeroU32::new(5).unwrap(), NonZeroU32::new(30).unwrap())
    }
}

impl LoginLimiter {
    pub fn new(per_email_per_minute: NonZeroU32, per_ip_per_minute: NonZeroU32) -> Self {
        LoginLimiter {
            by_email: RateLimiter::keyed(Quota::per_minute(per_email_per_minute)),
            by_ip: RateLimiter::keyed(Quota::per_minute(per_ip_per_minute)),
        }
    }

    /// Takes one attempt from both buckets, or says how long to wait.
    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), AppError> {
        let now = DefaultClock::default().now();
        let wait = |not_until: governor::NotUntil<_>| AppError::RateLimited {
            retry_after_secs: not_until.wait_time_from(now).as_secs().max(1),
        };
        if let Some(ip) = ip {
            self.by_ip.check_key(&ip).map_err(wait)?;
        }
        self.by_email.check_key(&email.to_owned()).map_err(wait)
    }

    /// Forgets buckets that are full again, so memory stays bounded.
    pub fn prune(&self) {
        self.by_email.retain_recent();
        self.by_ip.retain_recent();
    }
}

/// The public API's limits: submissions per minute per client IP
/// (`JUNCTION_SUBMIT_RATE_LIMIT`, default 120) and calls per minute per API key's user
/// (`JUNCTION_API_RATE_LIMIT`, default 600). `0` turns a limit off.
pub struct ApiLimiter {
    submit_by_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    by_user: Option<DefaultKeyedRateLimiter<i64>>,
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

impl ApiLimiter {
    pub fn new(submit_per_ip_per_minute: u32, per_user_per_minute: u32) -> Self {
        ApiLimiter {
            submit_by_ip: keyed(submit_per_ip_per_minute),
            by_user: keyed(per_user_per_minute),
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
        Ok(ApiLimiter::new(
            read("JUNCTION_SUBMIT_RATE_LIMIT", 120)?,
            read("JUNCTION_API_RATE_LIMIT", 600)?,
        ))
    }

    pub fn check_submit(&self, ip: IpAddr) -> Result<(), AppError> {
        match &self.submit_by_ip {
            Some(limiter) => limiter.check_key(&ip).map_err(wait_error),
            None => Ok(()),
        }
    }

    pub fn check_user(&self, user_id: i64) -> Result<(), AppError> {
        match &self.by_user {
            Some(limiter) => limiter.check_key(&user_id).map_err(wait_error),
            None => Ok(()),
        }
    }

    pub fn prune(&self) {
        if let Some(l) = &self.submit_by_ip {
            l.retain_recent();
        }
        if let Some(l) = &self.by_user {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_bucket_runs_out_and_names_a_wait() {
        let limiter = LoginLimiter::new(NonZeroU32::new(2).unwrap(), NonZeroU32::new(100).unwrap());
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
    fn ip_bucket_spans_emails() {
        let limiter = LoginLimiter::new(NonZeroU32::new(100).unwrap(), NonZeroU32::new(2).unwrap());
        let ip = Some("10.0.0.1".parse().unwrap());
        assert!(limiter.check("a@b.co", ip).is_ok());
        assert!(limiter.check("b@b.co", ip).is_ok());
        assert!(limiter.check("c@b.co", ip).is_err());
        assert!(
            limiter
                .check("c@b.co", Some("10.0.0.2".parse().unwrap()))
                .is_ok()
        );
    }
}
