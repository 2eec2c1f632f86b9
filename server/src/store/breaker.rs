//! A circuit breaker in front of the store: when the store fails, requests fail fast instead of
//! piling up behind it, and the server finds out by itself when it is back.
//!
//! - **Closed**: every operation goes through. `failures` failures in a row (errors or
//!   timeouts; a conflict is an answer, not a failure) open it, and so does the store's client
//!   saying it lost its connection.
//! - **Open**: every operation is refused at once, with how long to wait. When that time is up,
//!   the prober (one task, not a player's request) tries the store once: the breaker is
//!   **half-open** while it does. Success closes it, failure opens it again.
//!
//! The state machine takes the time as an argument, so that its tests need no clock.

use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

impl State {
    pub const ALL: [State; 3] = [State::Closed, State::Open, State::HalfOpen];

    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen,
}

impl Inner {
    fn state(&self) -> State {
        match self {
            Inner::Closed { .. } => State::Closed,
            Inner::Open { .. } => State::Open,
            Inner::HalfOpen => State::HalfOpen,
        }
    }
}

/// How long a refused caller should wait while a probe is under way.
const PROBING: Duration = Duration::from_secs(1);

pub struct Breaker {
    inner: Mutex<Inner>,
    /// Failures in a row that open the breaker.
    threshold: u32,
    /// How long it stays open before a probe.
    open_for: Duration,
    /// Wakes the prober: the breaker opened, or the store's client reconnected.
    pub(super) wake: Notify,
    /// Called with the new state on every transition (metrics, logs).
    on_change: OnChange,
}

/// Told the state left, the state entered, and why.
type OnChange = Box<dyn Fn(State, State, &str) + Send + Sync>;

impl Breaker {
    pub fn new(
        threshold: u32,
        open_for: Duration,
        on_change: impl Fn(State, State, &str) + Send + Sync + 'static,
    ) -> Breaker {
        Breaker {
            inner: Mutex::new(Inner::Closed { failures: 0 }),
            threshold: threshold.max(1),
            open_for,
            wake: Notify::new(),
            on_change: Box::new(on_change),
        }
    }

    pub fn state(&self) -> State {
        self.lock().state()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn become_(&self, inner: &mut Inner, next: Inner, why: &str) {
        let (from, to) = (inner.state(), next.state());
        *inner = next;
        if from != to {
            (self.on_change)(from, to, why);
            if to == State::Open {
                // The prober waits for this while the breaker is closed.
                self.wake.notify_one();
            }
        }
    }

    /// `Ok` if an operation may go to the store now, or how long to wait before trying again.
    pub fn admit(&self, now: Instant) -> Result<(), Duration> {
        match &*self.lock() {
            Inner::Closed { .. } => Ok(()),
            Inner::Open { until } => Err(until.saturating_duration_since(now).max(Duration::from_millis(1))),
            Inner::HalfOpen => Err(PROBING),
        }
    }

    /// The store answered.
    pub fn success(&self) {
        if let Inner::Closed { failures } = &mut *self.lock() {
            *failures = 0;
        }
    }

    /// The store failed or did not answer in time.
    pub fn failure(&self, now: Instant, why: &str) {
        let mut inner = self.lock();
        if let Inner::Closed { failures } = &mut *inner {
            *failures += 1;
            if *failures >= self.threshold {
                let next = Inner::Open { until: now + self.open_for };
                self.become_(&mut inner, next, why);
            }
        }
    }

    /// Opens at once: the store is known to be unreachable (its client lost the connection).
    pub fn trip(&self, now: Instant, why: &str) {
        let mut inner = self.lock();
        if let Inner::Closed { .. } = *inner {
            self.become_(&mut inner, Inner::Open { until: now + self.open_for }, why);
        }
    }

    /// The store may be back (its client reconnected): probe now rather than at the end of the
    /// open time.
    pub fn hint_back(&self, now: Instant) {
        if let Inner::Open { until } = &mut *self.lock() {
            *until = (*until).min(now);
        }
        self.wake.notify_one();
    }

    /// When the breaker is open and its time is up, turns it half-open and returns true: the
    /// caller probes the store and reports with [`Breaker::probed`]. Otherwise, how long until
    /// a probe may be due (`None` when closed).
    pub fn begin_probe(&self, now: Instant) -> Result<(), Option<Duration>> {
        let mut inner = self.lock();
        match *inner {
            Inner::Open { until } if until <= now => {
                self.become_(&mut inner, Inner::HalfOpen, "probing the store");
                Ok(())
            }
            Inner::Open { until } => Err(Some(until - now)),
            Inner::HalfOpen => Err(Some(PROBING)),
            Inner::Closed { .. } => Err(None),
        }
    }

    /// The probe's result: closes the breaker, or opens it for another round.
    pub fn probed(&self, now: Instant, result: Result<(), String>) {
        let mut inner = self.lock();
        if let Inner::HalfOpen = *inner {
            match result {
                Ok(()) => self.become_(&mut inner, Inner::Closed { failures: 0 }, "the store answered a probe"),
                Err(why) => self.become_(&mut inner, Inner::Open { until: now + self.open_for }, &why),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn breaker() -> (Breaker, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&log);
        let b = Breaker::new(3, Duration::from_secs(2), move |from, to, why| {
            seen.lock().unwrap().push(format!("{}->{}: {why}", from.name(), to.name()))
        });
        (b, log)
    }

    #[test]
    fn opens_after_failures_in_a_row_only() {
        let (b, log) = breaker();
        let t = Instant::now();
        b.failure(t, "e");
        b.failure(t, "e");
        b.success();
        b.failure(t, "e");
        b.failure(t, "e");
        assert_eq!(b.state(), State::Closed, "a success in between starts the count over");
        assert!(b.admit(t).is_ok());
        b.failure(t, "timed out");
        assert_eq!(b.state(), State::Open);
        assert_eq!(b.admit(t + Duration::from_millis(500)), Err(Duration::from_millis(1500)));
        assert_eq!(*log.lock().unwrap(), ["closed->open: timed out"]);
    }

    #[test]
    fn probes_once_the_open_time_is_up_and_closes_or_reopens() {
        let (b, log) = breaker();
        let t = Instant::now();
        b.trip(t, "disconnected");
        assert_eq!(b.begin_probe(t + Duration::from_secs(1)), Err(Some(Duration::from_secs(1))));
        assert_eq!(b.begin_probe(t + Duration::from_secs(2)), Ok(()));
        assert_eq!(b.state(), State::HalfOpen);
        assert_eq!(b.admit(t), Err(PROBING), "requests wait for the probe");
        assert_eq!(b.begin_probe(t + Duration::from_secs(2)), Err(Some(PROBING)), "one probe at a time");
        b.probed(t + Duration::from_secs(3), Err("still down".into()));
        assert_eq!(b.admit(t + Duration::from_secs(3)), Err(Duration::from_secs(2)));
        b.hint_back(t + Duration::from_secs(4));
        assert_eq!(b.begin_probe(t + Duration::from_secs(4)), Ok(()), "a reconnection brings the probe forward");
        b.probed(t + Duration::from_secs(4), Ok(()));
        assert_eq!(b.state(), State::Closed);
        assert!(b.admit(t).is_ok());
        assert_eq!(
            *log.lock().unwrap(),
            [
                "closed->open: disconnected",
                "open->half_open: probing the store",
                "half_open->open: still down",
                "open->half_open: probing the store",
                "half_open->closed: the store answered a probe"
            ]
        );
    }

    #[test]
    fn late_answers_do_not_move_an_open_breaker() {
        let (b, _) = breaker();
        let t = Instant::now();
        b.trip(t, "disconnected");
        b.success();
        b.failure(t, "e");
        b.probed(t, Ok(()));
        assert_eq!(b.state(), State::Open, "only the prober's own probe closes it");
    }
}
