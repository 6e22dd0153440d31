//! Apps uploaded at run time as WebAssembly components (server only), run by wasmtime with
//! the component model and no WASI: the contract is the WIT world in `wit/junction.wit`,
//! whose imports `bindings.rs` implements over the installation's host API.
//!
//! Each event gets a fresh instance of the component, from a pre-instantiated template
//! (`AppPre`, compiled once per component), with its own limits: fuel (an instruction
//! budget), a wall-clock deadline through epoch interruption, and a memory cap. An instance
//! that traps, runs out of time or fuel, or asks for too much memory ends with a
//! [`Failure`] naming which; nothing else is affected.
//!
//! Apps run on threads of their own under the idle scheduling policy (`Pool`): they get only
//! the CPU that request handling leaves, and a request thread that wakes takes the core from
//! them at once. Even so, an app on a core beside the requests slows them (BENCHMARKS.md),
//! so an event that has run for its first [`SLICE`] waits while the server is handling any
//! request (`load.rs`). Their calls into Junction run on the server's runtime. An event's
//! time limit counts the time it had a CPU (`clock.rs`), and an event that waited too long
//! ends as [`Failure::Starved`], the server's doing rather than the app's, which does not
//! count toward switching the app off.

pub mod app;
mod bindings;
mod clock;
pub mod load;
pub mod verify;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::sync::{Semaphore, mpsc, oneshot};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap, UpdateDeadline};

pub use bindings::{Event, Outcome};
use bindings::{App as AppWorld, AppPre, EventState};
use clock::Clock;
use load::{Load, Waiting};

use super::host::HostApi;

pub use crate::apps::contract::{Limits, SLICE, WIT_PACKAGE, WIT_VERSION};

/// How often the epoch advances while an event runs: how often a running event is looked
/// at, to give its thread back, to be held, or to be interrupted past its limits.
const TICK: Duration = Duration::from_millis(1);
/// Ticks the epoch thread goes on for once no event runs wasm, before it sleeps until one
/// does: events in quick succession do not each have to wake it.
const LINGER: u32 = 20;
/// How often a held event looks whether the server is still handling requests.
const HELD_LOOK: Duration = Duration::from_millis(5);
/// How often, at most, an event's time is looked at while it is not running wasm (epochs
/// tick only then).
const WATCH: Duration = Duration::from_millis(10);
/// How far past its limits a call into Junction, or a hold, may keep an event.
const SLACK: Duration = Duration::from_millis(50);
/// Events running at once on all app threads; more wait for a place.
const CONCURRENT_EVENTS: usize = 32;
/// Threads apps run on.
const THREADS: usize = 2;

/// Why an event's instance ended without an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    OutOfFuel(u64),
    /// It ran (or waited on its calls into Junction) for longer than its time limit.
    TimedOut(Duration),
    /// It was given up after this long, mostly spent waiting for a CPU the server's own work
    /// held: not the app's doing.
    Starved(Duration),
    OutOfMemory(usize),
    /// A panic, or another `unreachable` the guest reached.
    Panicked,
    Trapped(String),
    /// `handle` returned an error.
    Refused(String),
    /// The instance could not be made, or the host failed.
    Host(String),
}

impl Failure {
    /// Whether the app itself is to blame, so that the failure counts toward switching it
    /// off.
    pub fn is_the_apps(&self) -> bool {
        !matches!(self, Failure::Starved(_) | Failure::Host(_))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::OutOfFuel(fuel) => write!(f, "ran out of fuel (its budget is {fuel} instructions)"),
            Failure::TimedOut(time) => write!(f, "ran past its time limit of {} ms", time.as_millis()),
            Failure::Starved(time) => {
                write!(f, "was given up after {} ms: the server was too busy to run it", time.as_millis())
            }
            Failure::OutOfMemory(cap) => write!(f, "asked for more than its {} MiB of memory", cap >> 20),
            Failure::Panicked => write!(f, "panicked"),
            Failure::Trapped(trap) => write!(f, "trapped: {trap}"),
            Failure::Refused(message) => write!(f, "returned an error: {message}"),
            Failure::Host(message) => write!(f, "could not run: {message}"),
        }
    }
}

/// What one event used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measured {
    /// Fuel used (a lower bound when the event ran out of time).
    pub fuel: u64,
    /// From the moment the event began on its app thread (its instance made) to its end;
    /// for an event given up before it began, from the hand-off.
    pub micros: u64,
    /// The most linear memory the instance had, in bytes.
    pub peak_memory: usize,
}

/// A component ready to be instantiated, once per event.
#[derive(Clone)]
pub struct Prepared {
    pre: AppPre<EventState>,
}

/// The engine, the linker with every host interface, the prepared components by their
/// SHA-256, and the threads apps run on.
pub struct Runtime {
    engine: Engine,
    linker: Linker<EventState>,
    prepared: Mutex<HashMap<String, Prepared>>,
    pool: Pool,
    main: Handle,
    turns: Turns,
}

/// What tells an event when to give way: the requests the server is handling, and the
/// epoch thread, which ticks only while some event is running wasm.
#[derive(Clone)]
struct Turns {
    load: Arc<Load>,
    epoch: Arc<Epoch>,
}

/// The epoch thread, and what it and the events tell each other.
struct Epoch {
    counts: Arc<Counts>,
    thread: Thread,
}

#[derive(Default)]
struct Counts {
    /// Events running wasm (not held).
    running: AtomicIsize,
    /// Whether the epoch thread sleeps until an event wakes it.
    parked: AtomicBool,
}

impl Epoch {
    fn up(&self) {
        // Sequentially consistent with the thread's own two steps, so that either it sees
        // the event or the event sees it parked.
        self.counts.running.fetch_add(1, Ordering::SeqCst);
        if self.counts.parked.load(Ordering::SeqCst) {
            self.thread.unpark();
        }
    }

    fn down(&self) {
        self.counts.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An event counted as running wasm while it lasts.
struct Running(Arc<Epoch>);

impl Running {
    fn new(epoch: Arc<Epoch>) -> Running {
        epoch.up();
        Running(epoch)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.down();
    }
}

/// A running event counted out while it is held.
struct Held(Arc<Epoch>);

impl Held {
    fn new(epoch: Arc<Epoch>) -> Held {
        epoch.down();
        Held(epoch)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.up();
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("wasm::Runtime")
    }
}

impl Runtime {
    /// Made once per server, on its runtime (`main` runs the apps' calls into Junction);
    /// `load` counts the requests it is handling.
    pub fn new(main: Handle, load: Arc<Load>) -> Result<Runtime, String> {
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(CONCURRENT_EVENTS as u32 * 2)
            // A component from wit-bindgen is three core instances and two tables.
            .total_core_instances(CONCURRENT_EVENTS as u32 * 8)
            .total_memories(CONCURRENT_EVENTS as u32 * 2)
            .total_tables(CONCURRENT_EVENTS as u32 * 8)
            .total_stacks(CONCURRENT_EVENTS as u32 * 2)
            .max_memories_per_component(2)
            .max_tables_per_component(4)
            .max_memory_size(Limits::ACTION.memory.max(Limits::FILTER.memory))
            // A slot is reset by zeroing what an event touched of its first pages rather
            // than by returning them to the kernel, so the next event does not fault them
            // in again (a Rust guest starts with about 1.1 MiB).
            .linear_memory_keep_resident(2 << 20)
            .table_keep_resident(64 << 10)
            .async_stack_keep_resident(64 << 10);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .max_wasm_stack(512 << 10)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| format!("the WebAssembly engine cannot start: {e}"))?;
        let weak = engine.weak();
        let counts = Arc::new(Counts::default());
        let ticking = counts.clone();
        let thread = std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                let mut idle = 0;
                while let Some(engine) = weak.upgrade() {
                    drop(engine);
                    idle = if ticking.running.load(Ordering::SeqCst) > 0 { 0 } else { idle + 1 };
                    if idle > LINGER {
                        ticking.parked.store(true, Ordering::SeqCst);
                        if ticking.running.load(Ordering::SeqCst) <= 0 {
                            // Until an event starts; now and then, to see the engine gone.
                            std::thread::park_timeout(Duration::from_secs(1));
                        }
                        ticking.parked.store(false, Ordering::SeqCst);
                        idle = LINGER;
                        continue;
                    }
                    std::thread::sleep(TICK);
                    if let Some(engine) = weak.upgrade() {
                        engine.increment_epoch();
                    }
                }
            })
            .map_err(|e| format!("the epoch thread cannot start: {e}"))?
            .thread()
            .clone();
        let turns = Turns { load, epoch: Arc::new(Epoch { counts, thread }) };
        let mut linker = Linker::<EventState>::new(&engine);
        AppWorld::add_to_linker::<EventState, HasSelf<EventState>>(&mut linker, |state| state)
            .map_err(|e| format!("the host interfaces cannot be linked: {e}"))?;
        Ok(Runtime { engine, linker, prepared: Mutex::default(), pool: Pool::start()?, main, turns })
    }

    /// Validates and compiles `wasm`, returning the compiled artifact to keep (it loads in
    /// microseconds). Refuses what is not a component of this world's shape.
    pub fn compile(&self, wasm: &[u8]) -> Result<Vec<u8>, String> {
        self.engine
            .precompile_component(wasm)
            .map_err(|e| format!("it is not a valid WebAssembly component: {e:#}"))
    }

    /// Whether `compiled` was made by this engine, as configured (else compile again).
    pub fn loads(&self, compiled: &[u8]) -> bool {
        // Safety: only artifacts this server's `compile` wrote are ever loaded.
        unsafe { Component::deserialize(&self.engine, compiled) }.is_ok()
    }

    /// The interfaces `compiled` imports, as named (`junction:app/log@1.0.0`).
    pub fn imports(&self, compiled: &[u8]) -> Result<Vec<String>, String> {
        let component = self.load(compiled)?;
        let ty = component.component_type();
        Ok(ty
            .imports(&self.engine)
            .map(|(name, item)| match item.ty {
                ComponentItem::ComponentInstance(_) => name.to_owned(),
                _ => format!("{name} (not an interface)"),
            })
            .collect())
    }

    fn load(&self, compiled: &[u8]) -> Result<Component, String> {
        // Safety: only artifacts this server's `compile` wrote are ever loaded.
        unsafe { Component::deserialize(&self.engine, compiled) }.map_err(|e| format!("{e:#}"))
    }

    /// The component `sha256` ready to run, from `compiled` the first time.
    pub fn prepare(&self, sha256: &str, compiled: &[u8]) -> Result<Prepared, String> {
        if let Some(found) = self.prepared.lock().map_err(|e| e.to_string())?.get(sha256) {
            return Ok(found.clone());
        }
        let component = self.load(compiled)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("it cannot be linked: {e:#}"))?;
        let prepared = Prepared { pre: AppPre::new(pre).map_err(|e| format!("it does not export the app world: {e:#}"))? };
        self.prepared.lock().map_err(|e| e.to_string())?.insert(sha256.to_owned(), prepared.clone());
        Ok(prepared)
    }

    /// The prepared component `sha256`, if this server has it already.
    pub fn prepared(&self, sha256: &str) -> Option<Prepared> {
        self.prepared.lock().ok()?.get(sha256).cloned()
    }

    /// Runs `handle(event)` in a fresh instance under `limits`, on the apps' threads.
    pub async fn handle(
        &self,
        app: &Prepared,
        slug: &str,
        host: Option<HostApi>,
        event: Event,
        limits: Limits,
    ) -> (Result<Outcome, Failure>, Measured) {
        let (pre, slug, main, turns) = (app.pre.clone(), slug.to_owned(), self.main.clone(), self.turns.clone());
        self.on_app_thread(limits, move |started| async move {
            let state = EventState::new(host, &slug, limits.memory, main, started);
            run(&pre, turns, state, limits, async |app, store| {
                app.call_handle(store, &event).await.map(|answer| answer.map_err(Failure::Refused))
            })
            .await
        })
        .await
    }

    /// The component's own manifest (its `manifest` export), under the filter limits.
    pub async fn manifest(&self, app: &Prepared, slug: &str) -> Result<String, Failure> {
        let (pre, slug, main, turns) = (app.pre.clone(), slug.to_owned(), self.main.clone(), self.turns.clone());
        let limits = Limits::FILTER;
        self.on_app_thread(limits, move |started| async move {
            let state = EventState::new(None, &slug, limits.memory, main, started);
            run(&pre, turns, state, limits, async |app, store| app.call_manifest(store).await.map(Ok)).await
        })
        .await
        .0
    }

    /// Hands `work` to an app thread and waits for it, no longer than `limits.wall`: an
    /// event the app threads could not even begin in that time (the server's own work held
    /// every CPU) is given up as starved. `work` is given the moment of the hand-off. A
    /// request waiting here is not counted as one the server is handling.
    async fn on_app_thread<T, F>(&self, limits: Limits, work: impl FnOnce(Instant) -> F) -> (Result<T, Failure>, Measured)
    where
        T: Send + 'static,
        F: Future<Output = (Result<T, Failure>, Measured)> + Send + 'static,
    {
        let _waiting = Waiting::start();
        let started = Instant::now();
        // A little past the wall, so that an event that began gives its own answer.
        match tokio::time::timeout(limits.wall + SLACK * 2, self.pool.run(work(started))).await {
            Ok(Some(answer)) => answer,
            Ok(None) => (Err(Failure::Host("the app threads are gone".into())), Measured::default()),
            Err(_) => {
                let measured = Measured { micros: started.elapsed().as_micros() as u64, ..Measured::default() };
                (Err(Failure::Starved(limits.wall)), measured)
            }
        }
    }
}

/// One call in a fresh instance: the store with its fuel, deadline and memory limiter,
/// the instance, the call, and what it used; a failure says which limit ended it.
async fn run<T>(
    pre: &AppPre<EventState>,
    turns: Turns,
    state: EventState,
    limits: Limits,
    call: impl AsyncFnOnce(&AppWorld, &mut Store<EventState>) -> wasmtime::Result<Result<T, Failure>>,
) -> (Result<T, Failure>, Measured) {
    let clock = state.clock.clone();
    let mut store = Store::new(pre.engine(), state);
    store.limiter(|state| &mut state.limiter);
    if let Err(e) = store.set_fuel(limits.fuel) {
        return (Err(Failure::Host(e.to_string())), Measured::default());
    }
    // Each tick gives the thread back, or holds the event past its slice while the server
    // handles requests; past its time the instance is interrupted.
    let _running = Running::new(turns.epoch.clone());
    let ticking = clock.clone();
    store.epoch_deadline_callback(move |_| {
        Ok(if ticking.is_past(limits.time, limits.wall) {
            UpdateDeadline::Interrupt
        } else if ticking.ran() >= SLICE && turns.load.busy() {
            UpdateDeadline::YieldCustom(1, Box::pin(held(turns.clone(), ticking.clone(), limits.wall)))
        } else {
            UpdateDeadline::Yield(1)
        })
    });
    store.set_epoch_deadline(1);
    let outcome = async {
        let app = pre.instantiate_async(&mut store).await?;
        call(&app, &mut store).await
    };
    // Epochs tick only while wasm runs: a slow call into Junction, or an event held to its
    // wall, is ended here.
    let watch = async {
        loop {
            let left = (limits.time + SLACK)
                .saturating_sub(clock.ran())
                .min((limits.wall + SLACK).saturating_sub(clock.elapsed()));
            if left.is_zero() {
                break;
            }
            // Running time may pass at twice the wall clock's pace (the thread runs another
            // event while this one waits on a call), never faster.
            tokio::time::sleep((left / 2).max(WATCH)).await;
        }
    };
    let outcome = tokio::select! {
        outcome = outcome => outcome,
        () = watch => Err(Trap::Interrupt.into()),
    };
    let (took, ran) = (clock.since_began(), clock.ran());
    let limiter = &store.data().limiter;
    let measured = Measured {
        fuel: limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0)),
        micros: took.as_micros() as u64,
        peak_memory: limiter.peak,
    };
    let result = match outcome {
        Ok(answer) => answer,
        Err(error) => Err(match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => Failure::OutOfFuel(limits.fuel),
            Some(Trap::Interrupt) if ran < limits.time => Failure::Starved(limits.wall),
            Some(Trap::Interrupt) => Failure::TimedOut(limits.time),
            Some(Trap::UnreachableCodeReached) if limiter.denied => Failure::OutOfMemory(limits.memory),
            Some(Trap::UnreachableCodeReached) => Failure::Panicked,
            Some(trap) => Failure::Trapped(trap.to_string()),
            None if limiter.denied => Failure::OutOfMemory(limits.memory),
            None => Failure::Host(format!("{error:#}")),
        }),
    };
    (result, measured)
}

/// An event held while the server handles requests, not counted as running wasm. Held to
/// its wall, it waits on until `run` gives it up, taking no more CPU.
async fn held(turns: Turns, clock: Arc<Clock>, wall: Duration) {
    let _held = Held::new(turns.epoch.clone());
    while turns.load.busy() {
        if clock.elapsed() >= wall {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(HELD_LOOK).await;
    }
}

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The threads apps run on: each with a runtime of its own under the idle scheduling policy,
/// so a busy app takes only the CPU requests leave.
struct Pool {
    workers: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
    places: Arc<Semaphore>,
}

impl Pool {
    fn start() -> Result<Pool, String> {
        let mut workers = Vec::new();
        for n in 0..THREADS {
            let (sender, mut jobs) = mpsc::unbounded_channel::<Job>();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|e| format!("an app thread's runtime cannot start: {e}"))?;
            std::thread::Builder::new()
                .name(format!("wasm-app-{n}"))
                .spawn(move || {
                    lower_priority();
                    runtime.block_on(async move {
                        while let Some(job) = jobs.recv().await {
                            tokio::spawn(job);
                        }
                    });
                })
                .map_err(|e| format!("an app thread cannot start: {e}"))?;
            workers.push(sender);
        }
        Ok(Pool { workers, next: AtomicUsize::new(0), places: Arc::new(Semaphore::new(CONCURRENT_EVENTS)) })
    }

    /// Runs `work` on an app thread once a place is free; `None` if the threads are gone.
    async fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> Option<T> {
        let place = self.places.clone().acquire_owned().await.ok()?;
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::pin(async move {
            // Its caller may have given up while the job waited for the thread.
            if !answer.is_closed() {
                let _ = answer.send(work.await);
            }
            drop(place);
        });
        let worker = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        self.workers[worker].send(job).ok()?;
        answered.await.ok()
    }
}

/// The calling thread takes only CPU time no other thread wants: `SCHED_IDLE`, which a
/// waking thread of the server's preempts at once (a niced thread may keep the core for the
/// rest of its slice, which showed in the public pages' p99; BENCHMARKS.md). Nice 19 where
/// the policy is refused.
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // Safety: both calls change only the calling thread's scheduling.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0 {
        return;
    }
    let tid = unsafe { libc::gettid() };
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) } != 0 {
        tracing::warn!("could not lower the priority of an app thread");
    }
}
