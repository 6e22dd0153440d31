//! An event's clock: how much of its time it had the CPU (or waited on Junction), as
//! against waiting for a CPU that the server's own work held or resting; and the app
//! threads' pace, which tells them when to rest.
//!
//! App threads take only the CPU that request handling leaves (`Pool` in `mod.rs`), and
//! no more than their share of a core ([`Pace`]), so an event may be ready and still not
//! run. Its time limit
//! (`Limits::time`) is counted on [`Clock::ran`], not on the wall clock; the wall clock
//! bounds it only at `Limits::wall`, counted from the moment the event was handed to the
//! app threads. An event given up there without having used its running time ends as
//! `Failure::Starved`, which is not the app's doing.

use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

const NOT_CALLING: u64 = u64::MAX;

pub struct Clock {
    /// When the event was handed to the app threads.
    started: Instant,
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

    /// The time the event has not spent waiting for a CPU or resting. It is always either
    /// in a call into Junction, resting, or ready on its thread, so it waited whenever its
    /// thread ran nothing (neither it nor another event) while it was not in such a call.
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

/// What the app threads may still run before their share of a core is used up: they earn
/// `share` of every wall-clock second (at most `burst` ahead) and spend their CPU time.
#[derive(Debug, Clone, Copy)]
struct Budget {
    at: Instant,
    /// Nanoseconds they may still run; below zero, they ran ahead of their share.
    credit: i128,
}

impl Budget {
    fn new(at: Instant, share: Share) -> Budget {
        Budget { at, credit: share.burst.as_nanos() as i128 }
    }

    /// The budget once the threads have `spent` more CPU time by `at`, and how long they
    /// are to rest to be back within their share.
    fn after(self, at: Instant, spent: Duration, share: Share) -> (Budget, Duration) {
        let earned = at.saturating_duration_since(self.at).as_nanos() as i128 * share.percent / 100;
        let credit = (self.credit + earned - spent.as_nanos() as i128).min(share.burst.as_nanos() as i128);
        let rest = if credit < 0 { Duration::from_nanos((-credit * 100 / share.percent) as u64) } else { Duration::ZERO };
        (Budget { at: at.max(self.at), credit }, rest)
    }
}

/// How much of one core the app threads together may use over time.
#[derive(Debug, Clone, Copy)]
pub struct Share {
    pub percent: i128,
    /// How far ahead of their share they may run, so that short events never rest.
    pub burst: Duration,
}

/// The app threads' pace: unhurried while the server is quiet, and within their share of
/// a core while its runtime is busy (even on the idle policy, every cycle apps take then
/// slows requests down).
#[derive(Debug)]
pub struct Pace {
    share: Share,
    /// The server's runtime, whose workers' busy time tells whether it is busy.
    main: Handle,
    state: Mutex<PaceState>,
}

#[derive(Debug, Default)]
struct PaceState {
    /// While the server is busy.
    budget: Option<Budget>,
    /// When the server's load was last read, and its workers' busy time then.
    read: Option<(Instant, Duration)>,
    busy: bool,
}

thread_local! {
    /// The calling thread's CPU time when it last spent from its pace.
    static SPENT_UP_TO: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

/// The server counts as busy while its runtime's workers are busy this much of the time.
const BUSY_PERCENT: u128 = 25;
/// The shortest time over which the server's load is read.
const LOAD_WINDOW: Duration = Duration::from_millis(10);

impl Pace {
    pub fn new(share: Share, main: Handle) -> Pace {
        Pace { share, main, state: Mutex::default() }
    }

    /// How long the calling app thread is to rest before it runs more: zero while the
    /// server is quiet or the app threads are within their share. Read on an app thread
    /// between slices of an event (each tick); the thread runs nothing but apps, so all its
    /// CPU time is theirs.
    pub fn rest(&self) -> Duration {
        let cpu = thread_cpu_time();
        let spent = cpu.saturating_sub(SPENT_UP_TO.replace(cpu));
        let metrics = self.main.metrics();
        let workers = metrics.num_workers();
        let worked: Duration = (0..workers).map(|n| metrics.worker_total_busy_duration(n)).sum();
        let at = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match state.read {
            Some((then, _)) if at.saturating_duration_since(then) < LOAD_WINDOW => {}
            Some((then, before)) => {
                state.busy = is_busy(worked.saturating_sub(before), at.saturating_duration_since(then), workers);
                state.read = Some((at, worked));
            }
            None => state.read = Some((at, worked)),
        }
        if !state.busy {
            state.budget = None;
            return Duration::ZERO;
        }
        let (next, rest) = state.budget.unwrap_or_else(|| Budget::new(at, self.share)).after(at, spent, self.share);
        state.budget = Some(next);
        rest
    }
}

/// Whether workers that were busy for `worked` of `workers × over` are busy.
fn is_busy(worked: Duration, over: Duration, workers: usize) -> bool {
    worked.as_nanos() * 100 >= over.as_nanos() * workers as u128 * BUSY_PERCENT
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
    use std::time::{Duration, Instant};

    use super::{Budget, Share, is_busy};
    use crate::apps::contract::Limits;
    use crate::hooks::runtime::HANDLER_TIMEOUT;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn app_threads_rest_once_they_run_ahead_of_their_share() {
        let share = Share { percent: 25, burst: MS * 20 };
        let start = Instant::now();
        let fresh = Budget::new(start, share);
        // Within the burst: no rest.
        let (budget, rest) = fresh.after(start + MS * 10, MS * 10, share);
        assert_eq!(rest, Duration::ZERO);
        // Busy for 40 ms of 40: 10 ms earned and 20 of burst against 40 spent, 10 ms
        // short, which a quarter share earns back in 40 ms.
        let (budget, rest) = budget.after(start + MS * 40, MS * 30, share);
        assert_eq!(rest, MS * 40);
        // Resting as told leaves them even, and running within their share keeps them so.
        let (budget, rest) = budget.after(start + MS * 80, Duration::ZERO, share);
        assert_eq!(rest, Duration::ZERO);
        let (_, rest) = budget.after(start + MS * 120, MS * 10, share);
        assert_eq!(rest, Duration::ZERO);
        // Credit never grows past the burst, however long they idle.
        let (idle, _) = fresh.after(start + Duration::from_secs(60), Duration::ZERO, share);
        let (_, rest) = idle.after(start + Duration::from_secs(60), MS * 30, share);
        assert_eq!(rest, MS * 40);
    }

    #[test]
    fn the_server_is_busy_while_a_quarter_of_its_workers_time_is() {
        assert!(!is_busy(MS * 4, MS * 10, 2));
        assert!(is_busy(MS * 5, MS * 10, 2));
        assert!(is_busy(MS * 20, MS * 10, 2));
        assert!(!is_busy(Duration::ZERO, MS * 10, 1));
    }

    #[test]
    fn a_filter_alone_has_its_running_time_before_its_wall_on_a_busy_server() {
        use crate::apps::wasm::{SHARE, TICK};
        let limits = Limits::FILTER;
        let lasts = (limits.time - SHARE.burst) * 100 / SHARE.percent as u32 + TICK;
        assert!(lasts < limits.wall, "{limits:?} needs {lasts:?} at {SHARE:?}");
    }

    #[test]
    fn an_event_is_given_up_before_the_hook_runtime_drops_it() {
        for limits in [Limits::FILTER, Limits::ACTION] {
            assert!(limits.time < limits.wall, "{limits:?}");
            assert!(limits.wall < HANDLER_TIMEOUT, "{limits:?}");
        }
    }
}
