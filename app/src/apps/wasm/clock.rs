//! An event's clock: how much of its time it had the CPU (or waited on Junction), as
//! against waiting for a CPU that the server's own work held.
//!
//! App threads take only the CPU that request handling leaves (`Pool` in `mod.rs`), so on
//! a server busy on every core an event may be ready and still not run. Its time limit
//! (`Limits::time`) is counted on [`Clock::ran`], not on the wall clock; the wall clock
//! bounds it only at `Limits::wall`, counted from the moment the event was handed to the
//! app threads. An event given up there without having used its running time ends as
//! `Failure::Starved`, which is not the app's doing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const NOT_CALLING: u64 = u64::MAX;

pub struct Clock {
    /// When the event was handed to the app threads.
    started: Instant,
    /// When it began to run on its app thread.
    began: Instant,
    /// The app thread's CPU time when the event began to run there.
    thread_cpu: Duration,
    /// Nanoseconds spent in calls into Junction that have answered.
    waited: AtomicU64,
    /// When the call into Junction under way began, in nanoseconds after `started`.
    calling: AtomicU64,
}

impl Clock {
    /// Started on the app thread that runs the event, for an event handed to the app
    /// threads at `started`; every reading is taken on that thread too.
    pub fn start(started: Instant) -> Clock {
        Clock {
            started,
            began: Instant::now(),
            thread_cpu: thread_cpu_time(),
            waited: AtomicU64::new(0),
            calling: AtomicU64::new(NOT_CALLING),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The time since the event began to run on its app thread: its instance and call,
    /// without the hand-off.
    pub fn since_began(&self) -> Duration {
        self.began.elapsed()
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

    /// Whether an event is to be interrupted: it ran for `time`, or it has lasted `wall`.
    pub fn is_past(&self, time: Duration, wall: Duration) -> bool {
        self.ran() >= time || self.elapsed() >= wall
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

#[cfg(test)]
mod tests {
    use crate::apps::contract::Limits;
    use crate::hooks::runtime::HANDLER_TIMEOUT;

    #[test]
    fn an_event_is_given_up_before_the_hook_runtime_drops_it() {
        for limits in [Limits::FILTER, Limits::ACTION] {
            assert!(limits.time < limits.wall, "{limits:?}");
            assert!(limits.wall < HANDLER_TIMEOUT, "{limits:?}");
        }
    }
}
