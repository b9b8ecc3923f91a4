//! Runs on the server: at most `--runs` simulations at once, further requests waiting in a
//! queue of `--queue` places and refused beyond it (503 with `Retry-After`). Each simulation
//! runs on a blocking thread (replications on rayon's pool), never on the runtime's threads,
//! with a cancel flag the engine checks at its sample points ([`syncsim::engine::Inputs`]):
//! set when the page that asked goes away, when the run passes the time cap, or when the
//! server stops.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use syncsim::scenario::Scenario;
use syncsim::whatif::{self, Outcome};

/// Counts of what the server did, for `/api/status`.
#[derive(Debug, Default)]
pub struct Counters {
    /// Simulations started.
    pub started: AtomicU64,
    /// Simulations that finished.
    pub finished: AtomicU64,
    /// Simulations stopped because their page went away or the server stopped.
    pub cancelled: AtomicU64,
    /// Simulations stopped at the time cap.
    pub timed_out: AtomicU64,
    /// Requests refused because the queue was full.
    pub busy: AtomicU64,
}

/// Why a simulation gave no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Its page went away, or the server is stopping.
    Cancelled,
    /// It ran past the time cap.
    TimedOut,
    /// It panicked (a bug; the server keeps running).
    Failed,
}

/// The queue was full.
#[derive(Debug, Clone, Copy)]
pub struct Busy {
    /// Seconds after which a retry may find a place.
    pub retry_after: u64,
}

/// Admission, the cancel flags of running work, and counters.
#[derive(Debug)]
pub struct Jobs {
    slots: Arc<Semaphore>,
    capacity: usize,
    queue: usize,
    waiting: Arc<AtomicUsize>,
    running: Arc<AtomicUsize>,
    time_limit: Duration,
    flags: Mutex<Vec<Weak<AtomicBool>>>,
    stopping: AtomicBool,
    /// What happened so far.
    pub counters: Counters,
}

/// A request let in: it holds a slot, or a place in the queue until it gets one.
#[derive(Debug)]
pub struct Admitted {
    permit: Option<OwnedSemaphorePermit>,
    place: Option<Place>,
    slots: Arc<Semaphore>,
}

/// A place in the queue, given back when dropped.
#[derive(Debug)]
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admitted {
    /// Whether it waits in the queue.
    pub fn queued(&self) -> bool {
        self.permit.is_none()
    }

    /// Waits for a slot; the queue place is given back then.
    pub async fn slot(mut self) -> Slot {
        let permit = match self.permit.take() {
            Some(p) => p,
            None => self
                .slots
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed"),
        };
        drop(self.place.take());
        Slot { _permit: permit }
    }
}

/// A slot: while it is held, this request's simulations may run.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Jobs {
    /// `capacity` simulations at once, `queue` requests waiting, each run capped at
    /// `time_limit`.
    pub fn new(capacity: usize, queue: usize, time_limit: Duration) -> Self {
        Jobs {
            slots: Arc::new(Semaphore::new(capacity)),
            capacity,
            queue,
            waiting: Arc::default(),
            running: Arc::default(),
            time_limit,
            flags: Mutex::default(),
            stopping: AtomicBool::new(false),
            counters: Counters::default(),
        }
    }

    /// Simulations running now, requests waiting now, and the limits of each.
    pub fn load(&self) -> (usize, usize, usize, usize) {
        (
            self.running.load(Ordering::SeqCst),
            self.waiting.load(Ordering::SeqCst),
            self.capacity,
            self.queue,
        )
    }

    /// Lets a request in, with a slot now or a place in the queue; refuses it when the queue
    /// is full.
    pub fn admit(&self) -> Result<Admitted, Busy> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(Admitted {
                permit: Some(permit),
                place: None,
                slots: self.slots.clone(),
            });
        }
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let place = Place(self.waiting.clone());
        if before >= self.queue {
            drop(place);
            self.counters.busy.fetch_add(1, Ordering::Relaxed);
            // Roughly when a slot frees: the queue ahead, a second each, over the slots.
            let retry_after = (before / self.capacity.max(1)).clamp(1, 60) as u64;
            return Err(Busy { retry_after });
        }
        Ok(Admitted {
            permit: None,
            place: Some(place),
            slots: self.slots.clone(),
        })
    }

    /// A new cancel flag, set by [`Jobs::stop_all`]; already set if the server is stopping.
    pub fn flag(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(self.stopping.load(Ordering::SeqCst)));
        let mut flags = self.flags.lock().unwrap_or_else(|e| e.into_inner());
        flags.retain(|f| f.strong_count() > 0);
        flags.push(Arc::downgrade(&flag));
        flag
    }

    /// Stops everything running and everything that starts from now on.
    pub fn stop_all(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let flags = self.flags.lock().unwrap_or_else(|e| e.into_inner());
        for f in flags.iter().filter_map(Weak::upgrade) {
            f.store(true, Ordering::SeqCst);
        }
    }

    /// Runs `sc` (`replications` runs) on a blocking thread while the caller's slot is held.
    /// Every 200 ms, `alive(done)` is called with the runs finished so far; when it returns
    /// false (the page went away) or the time cap passes, the simulation is stopped.
    pub async fn simulate(
        &self,
        _slot: &Slot,
        sc: Scenario,
        replications: u64,
        cancel: &Arc<AtomicBool>,
        mut alive: impl FnMut(u64) -> bool,
    ) -> Result<Arc<Outcome>, Stopped> {
        let done = Arc::new(AtomicU64::new(0));
        let (flag, counted) = (cancel.clone(), done.clone());
        self.running.fetch_add(1, Ordering::SeqCst);
        self.counters.started.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let mut work = tokio::task::spawn_blocking(move || {
            let tick = || {
                counted.fetch_add(1, Ordering::Relaxed);
            };
            whatif::run(&sc, replications, &tick, &flag)
        });
        let mut every = tokio::time::interval(Duration::from_millis(200));
        let mut timed_out = false;
        let result = loop {
            tokio::select! {
                joined = &mut work => break joined,
                _ = every.tick() => {
                    if !alive(done.load(Ordering::Relaxed)) {
                        cancel.store(true, Ordering::SeqCst);
                    }
                    if started.elapsed() > self.time_limit && !cancel.load(Ordering::SeqCst) {
                        timed_out = true;
                        cancel.store(true, Ordering::SeqCst);
                    }
                }
            }
        };
        self.running.fetch_sub(1, Ordering::SeqCst);
        match result {
            Ok(Some(outcome)) => {
                self.counters.finished.fetch_add(1, Ordering::Relaxed);
                Ok(Arc::new(outcome))
            }
            Ok(None) if timed_out => {
                self.counters.timed_out.fetch_add(1, Ordering::Relaxed);
                Err(Stopped::TimedOut)
            }
            Ok(None) => {
                self.counters.cancelled.fetch_add(1, Ordering::Relaxed);
                Err(Stopped::Cancelled)
            }
            Err(_) => Err(Stopped::Failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_queue_is_bounded_and_places_come_back() {
        let jobs = Jobs::new(1, 2, Duration::from_secs(1));
        let first = jobs.admit().unwrap();
        assert!(!first.queued());
        let a = jobs.admit().unwrap();
        let b = jobs.admit().unwrap();
        assert!(a.queued() && b.queued());
        assert!(jobs.admit().is_err(), "a third waiting request is refused");
        assert_eq!(jobs.load().1, 2);
        drop(a);
        assert_eq!(jobs.load().1, 1, "a request that gives up frees its place");
        let c = jobs.admit().unwrap();
        let slot = first.slot().await;
        drop(slot);
        let _b = b.slot().await;
        assert_eq!(jobs.load().1, 1, "b left the queue with its slot");
        drop(c);
        assert_eq!(jobs.load().1, 0);
    }

    #[test]
    fn stopping_sets_every_flag_and_every_later_one() {
        let jobs = Jobs::new(1, 1, Duration::from_secs(1));
        let f = jobs.flag();
        jobs.stop_all();
        assert!(f.load(Ordering::SeqCst));
        assert!(jobs.flag().load(Ordering::SeqCst));
    }
}
