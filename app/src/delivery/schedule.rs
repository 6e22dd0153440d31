//! When a failed delivery is tried again: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h
//! and 10 h (the Standard Webhooks and Svix schedule), each delay stretched by up to a
//! tenth at random so that receivers coming back up are not hit all at once. After the
//! last, the delivery is failed. A receiver's `Retry-After` is honoured, up to the longest
//! delay.

/// The delay before each retry, in seconds: `DELAYS[n]` follows the `n + 1`th failure.
pub const DELAYS: [i64; 6] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600];

/// How many attempts a delivery gets before it is failed.
pub const ATTEMPTS: u32 = DELAYS.len() as u32 + 1;

/// The largest share of a delay added at random.
pub const JITTER: f64 = 0.1;

/// When the next attempt is due after `failures` failed attempts, the last at `now`
/// (Unix seconds); `None` when there are no attempts left. `retry_after` is what the
/// receiver asked for, in seconds; `jitter` is a random number in `0.0..1.0`.
pub fn next_attempt(failures: u32, now: i64, retry_after: Option<i64>, jitter: f64) -> Option<i64> {
    let index = usize::try_from(failures.checked_sub(1)?).ok()?;
    let base = *DELAYS.get(index)?;
    let stretched = base + (base as f64 * JITTER * jitter.clamp(0.0, 1.0)).round() as i64;
    let asked = retry_after
        .filter(|s| *s > 0)
        .map(|s| s.min(DELAYS[DELAYS.len() - 1]))
        .unwrap_or(0);
    Some(now + stretched.max(asked))
}

/// A `Retry-After` header's value in seconds from `now`: delay-seconds or an HTTP date.
pub fn retry_after_seconds(value: &str, now: i64) -> Option<i64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        return Some(seconds.max(0));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format).ok()?.assume_utc();
    Some((at.unix_timestamp() - now).max(0))
}

/// A random number in `0.0..1.0` for the jitter, from the operating system.
pub fn random_jitter() -> f64 {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    f64::from(OsRng.next_u32()) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_runs_from_five_seconds_to_ten_hours_then_gives_up() {
        let at = 1_000_000;
        let delays: Vec<i64> = (1..ATTEMPTS)
            .map(|failures| next_attempt(failures, at, None, 0.0).unwrap() - at)
            .collect();
        assert_eq!(delays, vec![5, 300, 1800, 7200, 18000, 36000]);
        assert_eq!(next_attempt(ATTEMPTS, at, None, 0.0), None, "7 attempts in all");
        assert_eq!(next_attempt(0, at, None, 0.0), None, "nothing failed yet");
    }

    #[test]
    fn jitter_stretches_a_delay_by_at_most_a_tenth() {
        assert_eq!(next_attempt(3, 0, None, 0.999_999), Some(1980));
        assert_eq!(next_attempt(3, 0, None, 0.5), Some(1890));
        assert_eq!(next_attempt(1, 0, None, 5.0), Some(6), "clamped");
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_longest_delay() {
        assert_eq!(next_attempt(1, 100, Some(120), 0.0), Some(220));
        assert_eq!(next_attempt(2, 100, Some(10), 0.0), Some(400), "never sooner");
        assert_eq!(next_attempt(1, 0, Some(999_999), 0.0), Some(36000));
        assert_eq!(retry_after_seconds(" 30 ", 0), Some(30));
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        assert_eq!(
            retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_480 - 60),
            Some(60)
        );
        assert_eq!(retry_after_seconds("soon", 0), None);
    }

    #[test]
    fn random_jitter_stays_in_range() {
        for _ in 0..100 {
            let j = random_jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }
}
