//! Where session logs, global caps and live events' journals live: the embedded store (SQLite,
//! one process) or NATS JetStream (any number of processes).
//!
//! A session's log is its header line followed by its event lines, exactly as
//! [`xmarks::session::log`] writes them; the store only appends and reads them back. Every append
//! returns once it is durable, and carries the version the caller last saw, so that a writer
//! holding a stale copy of a session (another process appended since, or an append that timed
//! out went through after all) gets [`StoreError::Conflict`] instead of forking the log.
//!
//! Every operation goes through one guard ([`Store`]): a [`breaker::Breaker`] that refuses at
//! once while the store is failing, a bound on operations in flight, and a timeout. An operation
//! that times out may still take effect later; the caller only knows it was not acknowledged
//! (the engine then re-reads the session before writing again).

pub mod breaker;
pub mod embedded;
pub mod nats;

pub use embedded::EmbeddedStore;
pub use nats::NatsStore;

use crate::config::StoreConfig;
use crate::metrics::{ReasonLabels, StateLabels, StoreMetrics};
use breaker::{Breaker, State};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Someone else appended to this session since the version given.
    #[error("the session changed on another server")]
    Conflict,
    /// The store failed, or did not answer in time: the operation may or may not have happened.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Not tried: the store is failing (breaker open) or too busy. Try again after the duration.
    #[error("storage unavailable: {reason}")]
    Refused { reason: &'static str, retry_after: Duration },
}

impl StoreError {
    /// How long a client should wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            StoreError::Conflict => None,
            StoreError::Unavailable(_) => Some(Duration::from_secs(1)),
            StoreError::Refused { retry_after, .. } => Some(*retry_after),
        }
    }
}

/// A session's log as the store's other writers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// This process is the store's only writer: its copies are never stale.
    Alone,
    /// The log is at this version.
    At(u64),
    /// There is no log (any more: compacted or erased elsewhere).
    Missing,
}

/// Entries of a journal after some position, each with its position, and the journal's version.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pub entries: Vec<(u64, Arc<str>)>,
    pub version: u64,
}

/// A session's log as stored, and the version to append after.
#[derive(Debug, Clone)]
pub struct Stored {
    pub log: String,
    pub version: u64,
}

pub enum Backend {
    Embedded(Box<EmbeddedStore>),
    Nats(Box<NatsStore>),
}

impl Backend {
    /// One cheap operation that only succeeds when the store takes writes again.
    async fn probe(&self) -> Result<(), StoreError> {
        match self {
            Backend::Embedded(s) => s.probe().await,
            Backend::Nats(s) => s.probe().await,
        }
    }
}

pub struct Store {
    backend: Backend,
    breaker: Arc<Breaker>,
    in_flight: Semaphore,
    timeout: Duration,
    metrics: StoreMetrics,
}

/// The breaker, wired to the metrics and the log; built before the backend, whose client may
/// report losing its connection to it.
pub fn breaker(config: &StoreConfig, metrics: &StoreMetrics) -> Arc<Breaker> {
    let metrics = metrics.clone();
    for state in State::ALL {
        metrics
            .breaker_state
            .get_or_create(&StateLabels { state: state.name() })
            .set(i64::from(state == State::Closed));
    }
    Arc::new(Breaker::new(
        config.breaker_failures,
        Duration::from_millis(config.breaker_open_ms),
        move |from, to, why| {
            metrics.breaker_state.get_or_create(&StateLabels { state: from.name() }).set(0);
            metrics.breaker_state.get_or_create(&StateLabels { state: to.name() }).set(1);
            metrics.breaker_transitions.get_or_create(&StateLabels { state: to.name() }).inc();
            match to {
                State::Open => tracing::warn!(from = from.name(), why, "store breaker open: requests are refused"),
                State::Closed => tracing::info!(why, "store breaker closed: the store is back"),
                State::HalfOpen => tracing::debug!("store breaker half-open: probing"),
            }
        },
    ))
}

impl Store {
    /// Guards `backend` with `breaker` (from [`breaker`]) and starts the task that probes the
    /// store while the breaker is open. Needs a Tokio runtime.
    pub fn new(backend: Backend, breaker: Arc<Breaker>, config: &StoreConfig, metrics: StoreMetrics) -> Arc<Store> {
        let store = Arc::new(Store {
            backend,
            breaker,
            in_flight: Semaphore::new(config.max_in_flight),
            timeout: Duration::from_millis(config.timeout_ms),
            metrics,
        });
        tokio::spawn(prober(Arc::downgrade(&store)));
        store
    }

    /// `embedded` or `nats`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Embedded(_) => "embedded",
            Backend::Nats(_) => "nats",
        }
    }

    pub fn breaker_state(&self) -> State {
        self.breaker.state()
    }

    /// How long a client should wait before trying again, while the breaker is not closed.
    pub fn retry_after(&self) -> Option<Duration> {
        self.breaker.admit(Instant::now()).err()
    }

    /// Runs `op` against the store unless the breaker or the bound on operations in flight
    /// refuses it, within the timeout, and tells the breaker how it went.
    async fn guard<T>(&self, op: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        let refuse = |reason: &'static str, retry_after| {
            self.metrics.refused.get_or_create(&ReasonLabels { reason }).inc();
            let message = match reason {
                "open" => "the store is failing; requests are refused until it answers again",
                _ => "too many store operations under way",
            };
            Err(StoreError::Refused { reason: message, retry_after })
        };
        if let Err(wait) = self.breaker.admit(Instant::now()) {
            return refuse("open", wait);
        }
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return refuse("busy", Duration::from_secs(1));
        };
        self.metrics.in_flight.inc();
        let result = tokio::time::timeout(self.timeout, op).await;
        self.metrics.in_flight.dec();
        let fail = |reason: &'static str, message: String| {
            self.metrics.failures.get_or_create(&ReasonLabels { reason }).inc();
            self.breaker.failure(Instant::now(), &message);
            Err(StoreError::Unavailable(message))
        };
        match result {
            Err(_) => fail("timeout", format!("no answer from the store within {} ms", self.timeout.as_millis())),
            Ok(Err(StoreError::Unavailable(message))) => fail("error", message),
            Ok(answered) => {
                self.breaker.success();
                answered
            }
        }
    }

    /// Records a new session's header, and the session among its player's; fails if the id
    /// exists.
    pub async fn create(&self, id: &str, player: &str, header: String) -> Result<u64, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.create(id, player, header).await,
                Backend::Nats(s) => s.create(id, player, header).await,
            }
        })
        .await
    }

    /// Replaces a session's log by its summary, listed under `player_key` (a keyed hash of the
    /// player's id, never the id).
    pub async fn compact(&self, id: &str, player_key: &str, summary: String) -> Result<(), StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.compact(id, player_key, summary).await,
                Backend::Nats(s) => s.compact(id, summary).await,
            }
        })
        .await
    }

    /// The summary a compacted session left.
    pub async fn summary(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.summary(id).await,
                Backend::Nats(s) => s.summary(id).await,
            }
        })
        .await
    }

    /// Marks a player erased and forgets which sessions were theirs.
    pub async fn erase(&self, player: &str) -> Result<(), StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.erase(player).await,
                Backend::Nats(s) => s.erase(player).await,
            }
        })
        .await
    }

    pub async fn is_erased(&self, player: &str) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => Ok(s.is_erased(player)),
            Backend::Nats(s) => self.guard(s.is_erased(player)).await,
        }
    }

    /// A player's sessions, oldest first (some may have no log yet, or no longer).
    pub async fn sessions_of(&self, player: &str) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => Ok(s.sessions_of(player)),
            Backend::Nats(s) => self.guard(s.sessions_of(player)).await,
        }
    }

    /// Appends event lines after `version`; returns the new version once they are durable, or
    /// [`StoreError::Conflict`] if the session's version is no longer `version`.
    pub async fn append(&self, id: &str, version: u64, lines: Vec<String>) -> Result<u64, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.append(id, version, lines).await,
                Backend::Nats(s) => s.append(id, version, lines).await,
            }
        })
        .await
    }

    /// A session's whole log, or `None` if there is no such session.
    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.load(id).await,
                Backend::Nats(s) => s.load(id).await,
            }
        })
        .await
    }

    /// Where a session's log stands for the other processes writing to the store, to tell
    /// whether a cached copy is stale.
    pub async fn shared_version(&self, id: &str) -> Result<Shared, StoreError> {
        match &self.backend {
            Backend::Embedded(_) => Ok(Shared::Alone),
            Backend::Nats(s) => Ok(match self.guard(s.version(id)).await? {
                Some(version) => Shared::At(version),
                None => Shared::Missing,
            }),
        }
    }

    /// Appends `entries` to the journal `name` if its version is still `version` (from
    /// [`Store::journal_read`]); returns the new version, or [`StoreError::Conflict`] if someone
    /// appended since.
    pub async fn journal_append(&self, name: &str, version: u64, entries: Vec<String>) -> Result<u64, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.journal_append(name, version, entries).await,
                Backend::Nats(s) => s.journal_append(name, Some(version), entries).await,
            }
        })
        .await
    }

    /// Appends `entries` at the end of the journal `name`, whatever its version.
    pub async fn journal_push(&self, name: &str, entries: Vec<String>) -> Result<(), StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.journal_push(name, entries).await,
                Backend::Nats(s) => s.journal_append(name, None, entries).await.map(drop),
            }
        })
        .await
    }

    /// Appends chunks of entries, each once by its id: on JetStream a chunk put again under the
    /// same id within a day is dropped (its message id), so that servers racing to put the same
    /// chunks, or one putting them again after a crash, write each once. In the embedded store,
    /// all the chunks go in one transaction (all or none), and the caller leaves out the ones it
    /// holds already.
    pub async fn journal_put_once(&self, name: &str, chunks: Vec<(String, Vec<String>)>) -> Result<(), StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.journal_push(name, chunks.into_iter().flat_map(|(_, c)| c).collect()).await,
                Backend::Nats(s) => s.journal_put_once(name, chunks).await,
            }
        })
        .await
    }

    /// A journal's entries after the position `after`, each with its position, and its version
    /// (the last position, 0 when empty). Positions grow; entries appended together may share one.
    pub async fn journal_read(&self, name: &str, after: u64) -> Result<Journal, StoreError> {
        self.journal_read_some(name, after, usize::MAX).await
    }

    /// [`Store::journal_read`], stopping once it has `at_least` entries (whole appends).
    pub async fn journal_read_some(&self, name: &str, after: u64, at_least: usize) -> Result<Journal, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => Ok(s.journal_read(name, after, at_least)),
            Backend::Nats(s) => self.guard(s.journal_read(name, after, at_least)).await,
        }
    }

    /// The names of the journals starting with `prefix`, sorted.
    pub async fn journal_names(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        match &self.backend {
            Backend::Embedded(s) => Ok(s.journal_names(prefix)),
            Backend::Nats(s) => self.guard(s.journal_names(prefix)).await,
        }
    }

    /// Whether other processes write to this store too (JetStream): then what this one holds of
    /// shared journals must be read again before it decides anything from them.
    pub fn shared(&self) -> bool {
        matches!(self.backend, Backend::Nats(_))
    }

    /// Tells every server listening to `topic` (a session id) something nobody needs to keep: on
    /// JetStream, a message on the core NATS subject `<prefix>.push.<topic>` (this server hears it
    /// too); nothing on the embedded store, which has one server.
    pub async fn publish(&self, topic: &str, payload: Vec<u8>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Embedded(_) => Ok(()),
            Backend::Nats(s) => s.push(topic, payload).await,
        }
    }

    /// Listens to what [`Store::publish`] says on `topic`; `None` on the embedded store.
    pub async fn subscribe(&self, topic: &str) -> Result<Option<async_nats::Subscriber>, StoreError> {
        match &self.backend {
            Backend::Embedded(_) => Ok(None),
            Backend::Nats(s) => s.listen(topic).await.map(Some),
        }
    }

    /// Counts one claim against the global cap `key`: granted if fewer than `limit` were.
    pub async fn claim(&self, key: &str, limit: u64) -> Result<bool, StoreError> {
        self.guard(async {
            match &self.backend {
                Backend::Embedded(s) => s.claim(key, limit).await,
                Backend::Nats(s) => s.claim(key, limit).await,
            }
        })
        .await
    }
}

/// While the breaker is open, probes the store each time its open time is up (or at once when
/// the client reconnects), until a probe succeeds; while it is closed, sleeps until it opens.
/// Ends with the store.
async fn prober(store: std::sync::Weak<Store>) {
    loop {
        let Some(s) = store.upgrade() else { return };
        let wait = match s.breaker.begin_probe(Instant::now()) {
            Ok(()) => {
                let result = match tokio::time::timeout(s.timeout, s.backend.probe()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(format!("probe: {e}")),
                    Err(_) => Err(format!("probe: no answer within {} ms", s.timeout.as_millis())),
                };
                s.breaker.probed(Instant::now(), result);
                continue;
            }
            Err(wait) => wait,
        };
        let breaker = Arc::clone(&s.breaker);
        drop(s);
        match wait {
            Some(wait) => {
                let _ = tokio::time::timeout(wait, breaker.wake.notified()).await;
            }
            // Closed. Looked at again now and then, so that a dropped store lets this task end.
            None => {
                let _ = tokio::time::timeout(Duration::from_secs(60), breaker.wake.notified()).await;
            }
        }
    }
}
