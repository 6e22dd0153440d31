//! Whether the server is answering requests, which apps' long events give way to.
//!
//! Every request is counted while it is handled ([`Load::handling`], a layer of the
//! router), except while it waits for an app's event: a submission waiting on its own
//! filter does not hold that filter back. Even on the idle scheduling policy, app threads
//! that take a core beside request threads slow the requests down (BENCHMARKS.md), so an
//! event that has had its first slice of running time waits while any request is being
//! handled (`run` in `mod.rs`).

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

tokio::task_local! {
    /// The request the current task handles: the count it is in, and how many app events
    /// the task is waiting for.
    static HANDLING: Handling;
}

struct Handling {
    load: Arc<Load>,
    waiting: Cell<u32>,
}

/// The requests a server is handling and not waiting on an app for.
#[derive(Debug, Default)]
pub struct Load {
    handling: AtomicIsize,
}

impl Load {
    /// Whether any request is being handled.
    pub fn busy(&self) -> bool {
        self.handling.load(Ordering::Relaxed) > 0
    }

    /// Counts `request` while it is handled (until it answers or is dropped).
    pub async fn handling<F: Future>(self: &Arc<Self>, request: F) -> F::Output {
        let _counted = Counted::new(self.clone());
        HANDLING.scope(Handling { load: self.clone(), waiting: Cell::new(0) }, request).await
    }
}

/// One request in the count, taken out when dropped.
struct Counted(Arc<Load>);

impl Counted {
    fn new(load: Arc<Load>) -> Counted {
        load.handling.fetch_add(1, Ordering::Relaxed);
        Counted(load)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.handling.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Held while the current task waits for an app's event: a request waiting on apps is
/// not counted as handled. Outside a request it does nothing.
pub struct Waiting(());

impl Waiting {
    pub fn start() -> Waiting {
        let _ = HANDLING.try_with(|handling| {
            let waiting = handling.waiting.get();
            if waiting == 0 {
                handling.load.handling.fetch_sub(1, Ordering::Relaxed);
            }
            handling.waiting.set(waiting + 1);
        });
        Waiting(())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let _ = HANDLING.try_with(|handling| {
            let waiting = handling.waiting.get().saturating_sub(1);
            handling.waiting.set(waiting);
            if waiting == 0 {
                handling.load.handling.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::{Load, Waiting};

    #[tokio::test]
    async fn a_request_counts_while_handled_and_not_while_it_waits_on_apps() {
        let load = Arc::new(Load::default());
        assert!(!load.busy());
        let (open, opened) = tokio::sync::oneshot::channel::<()>();
        let (close, closed) = tokio::sync::oneshot::channel::<()>();
        let request = tokio::spawn({
            let load = load.clone();
            async move {
                load.handling(async move {
                    {
                        // Two events at once (a filter, then an action) take it out once.
                        let first = Waiting::start();
                        let second = Waiting::start();
                        drop(first);
                        drop(second);
                    }
                    let _ = open.send(());
                    let _ = closed.await;
                })
                .await
            }
        });
        opened.await.unwrap();
        assert!(load.busy());
        // A wait outside any request (a delivery, a CLI upload) changes nothing.
        drop(Waiting::start());
        assert!(load.busy());
        close.send(()).unwrap();
        request.await.unwrap();
        assert!(!load.busy());
    }

    #[tokio::test]
    async fn a_request_waiting_on_an_app_is_not_counted() {
        let load = Arc::new(Load::default());
        let seen = load
            .handling(async {
                let _waiting = Waiting::start();
                load.busy()
            })
            .await;
        assert!(!seen);
        assert!(!load.busy());
    }

    #[tokio::test]
    async fn a_request_dropped_mid_wait_leaves_the_count() {
        let load = Arc::new(Load::default());
        let request = load.handling(async {
            let _waiting = Waiting::start();
            std::future::pending::<()>().await;
        });
        let mut request = Box::pin(request);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(request.as_mut().poll(&mut cx).is_pending());
        assert!(!load.busy());
        drop(request);
        assert!(!load.busy());
        assert_eq!(load.handling.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}
