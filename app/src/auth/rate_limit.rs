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
