//! An event's clock: how much of its time it had the CPU (or waited on Junction), as
//! against waiting for a CPU that the server's own work held.
//!
//! App threads take only the CPU that request handling leaves (`Pool` in `mod.rs`), so on
//! a server busy on every core an event may be ready and still not run. Its time limit is
//! counted on [`Clock::ran`], not on the wall clock, and waiting for a CPU is allowed up to
//! [`PATIENCE`] times the limit; an event given up then ends as `Failure::Starved`, which is
//! not the app's doing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many times its time limit an event may last, in all, before it is given up however
/// little of it the event had the CPU.
pub const PATIENCE: u32 = 10;

const NOT_CALLING: u64 = u64::MAX;

pub struct Clock {
    started: Instant,
    /// The app thread's CPU time when the event began.
    thread_cpu: Duration,
    /// Nanoseconds spent in calls into Junction that have answered.
    waited: AtomicU64,
    /// When the call into Junction under way began, in nanoseconds after `started`.
    calling: AtomicU64,
}

impl Clock {
    /// Started on the app thread that runs the event; every reading is taken there too.
    pub fn start() -> Clock {
        Clock {
            started: Instant::now(),
            thread_cpu: thread_cpu_time(),
            waited: AtomicU64::new(0),
            calling: AtomicU64::new(NOT_CALLING),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn call_began(&self) {
        self.calling.store(nanos(self.started.elapsed()), Ordering::Relaxed);
    }

    pub fn call_ended(&self) {
        let began = self.calling.swap(NOT_CALLING, Ordering::Relaxed);
        if began != NOT_CALLING {
            let took = nanos(self.started.elapsed()).saturating_sub(began);
            self.waited.fetch_add(took, Ordering::Relaxed);
        }
    }

    /// The time the event has not spent waiting for a CPU. It is always either in a call
    /// into Junction or ready on its thread, so it waited for a CPU whenever its thread ran
    /// nothing (neither it nor another event) while it was not in such a call.
    pub fn ran(&self) -> Duration {
        let elapsed = self.started.elapsed();
        let calling = match self.calling.load(Ordering::Relaxed) {
            NOT_CALLING => 0,
            began => nanos(elapsed).saturating_sub(began),
        };
        let waited = Duration::from_nanos(self.waited.load(Ordering::Relaxed).saturating_add(calling));
        (thread_cpu_time().saturating_sub(self.thread_cpu) + waited).min(elapsed)
    }

    /// Whether an event under `limit` is to be interrupted: it ran for its limit, or it has
    /// lasted `PATIENCE` times its limit.
    pub fn is_past(&self, limit: Duration) -> bool {
        self.ran() >= limit || self.elapsed() >= limit * PATIENCE
    }
}

fn nanos(time: Duration) -> u64 {
    u64::try_from(time.as_nanos()).unwrap_or(u64::MAX - 1)
}

/// The CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // Safety: clock_gettime writes only the timespec it is given.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
