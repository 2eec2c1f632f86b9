//! Where session logs and global caps live: the embedded store (SQLite, one process) or NATS
//! JetStream (any number of processes).
//!
//! A session's log is its header line followed by its event lines, exactly as
//! [`xmarks::session::log`] writes them; the store only appends and reads them back. Every append
//! returns once it is durable, and carries the version the caller last saw, so that a writer
//! holding a stale copy of a session (another process appended since) gets
//! [`StoreError::Conflict`] instead of forking the log.

pub mod embedded;
pub mod nats;

pub use embedded::EmbeddedStore;
pub use nats::NatsStore;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Someone else appended to this session since the version given.
    #[error("the session changed on another server")]
    Conflict,
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// A session's log as stored, and the version to append after.
#[derive(Debug, Clone)]
pub struct Stored {
    pub log: String,
    pub version: u64,
}

pub enum Store {
    Embedded(EmbeddedStore),
    Nats(Box<NatsStore>),
}

impl Store {
    /// Records a new session's header; fails if the id exists.
    pub async fn create(&self, id: &str, header: String) -> Result<u64, StoreError> {
        match self {
            Store::Embedded(s) => s.create(id, header).await,
            Store::Nats(s) => s.create(id, header).await,
        }
    }

    /// Appends event lines after `version`; returns the new version once they are durable.
    /// `first_seq` is the seq of the first line.
    pub async fn append(&self, id: &str, version: u64, first_seq: u64, lines: Vec<String>) -> Result<u64, StoreError> {
        match self {
            Store::Embedded(s) => s.append(id, first_seq, lines).await,
            Store::Nats(s) => s.append(id, version, lines).await,
        }
    }

    /// A session's whole log, or `None` if there is no such session.
    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        match self {
            Store::Embedded(s) => s.load(id).await,
            Store::Nats(s) => s.load(id).await,
        }
    }

    /// The current version of a session written by other processes too, to tell whether a
    /// cached copy is stale; `None` where this process is the only writer.
    pub async fn shared_version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        match self {
            Store::Embedded(_) => Ok(None),
            Store::Nats(s) => s.version(id).await,
        }
    }

    /// Counts one claim against the global cap `key`: granted if fewer than `limit` were.
    pub async fn claim(&self, key: &str, limit: u64) -> Result<bool, StoreError> {
        match self {
            Store::Embedded(s) => s.claim(key, limit).await,
            Store::Nats(s) => s.claim(key, limit).await,
        }
    }
}
