//! The embedded store: SQLite in WAL mode (rusqlite, bundled library).
//!
//! Why SQLite rather than redb: its WAL with `synchronous=FULL` is the most widely exercised
//! durable append path there is, operators can open the file with the `sqlite3` shell to inspect
//! or export logs, and one table per concern stays readable for the next engineer.
//!
//! One writer thread owns the write connection. Callers queue their writes and wait; the thread
//! takes everything queued (up to `commit_batch` lines), writes it in one transaction and commits,
//! which fsyncs once for the whole batch (group commit), then answers every caller. A failed
//! transaction fails every write in it and changes nothing.
//!
//! Event lines are appended to one table in commit order (its rowid), so that a commit writes a
//! few pages however many sessions it covers; an index by session would dirty a page per event
//! and made the WAL the bottleneck at 10,000 events a second. Where each session's lines are is
//! kept in memory instead (8 bytes a line), rebuilt by the scan the server does at start anyway.

use super::{StoreError, Stored};
use crate::auth::Keys;
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

enum Op {
    Create {
        id: String,
        header: String,
    },
    /// Lines after the session's first `version` lines; refused with a conflict otherwise.
    Append {
        id: String,
        version: u64,
        lines: Vec<String>,
    },
    Cap {
        key: String,
        count: u64,
    },
    /// A write that proves the database takes writes again (the circuit breaker's probe).
    Probe,
    /// Replaces a session's log by its summary.
    Compact {
        id: String,
        player: String,
        summary: String,
    },
    /// Marks a player (by key) as erased.
    Erase {
        player: String,
    },
    /// Entries after the journal's first `version` (refused with a conflict otherwise), or at
    /// its end whatever its length (`None`).
    Journal {
        name: String,
        version: Option<u64>,
        entries: Vec<String>,
    },
}

impl Op {
    fn weight(&self) -> usize {
        match self {
            Op::Append { lines, .. } => lines.len(),
            Op::Journal { entries, .. } => entries.len(),
            _ => 1,
        }
    }
}

struct Job {
    op: Op,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// Where a session's rows are.
#[derive(Default)]
struct Rows {
    /// The session's rowid in `sessions`.
    n: i64,
    /// Rowids of its lines in `events`, in order.
    lines: Vec<i64>,
}

type Index = Arc<Mutex<HashMap<String, Rows>>>;

/// Every journal's entries, in order: read at start, then extended by each commit.
type Journals = Arc<Mutex<HashMap<String, Vec<Arc<str>>>>>;

/// Sessions' ids and logs.
pub type Logs = Vec<(String, String)>;

pub struct EmbeddedStore {
    /// Bounded: a writer that stalls fills it, and further writes are refused at once.
    jobs: mpsc::Sender<Job>,
    reader: Arc<Mutex<Connection>>,
    index: Index,
    /// Counts of global caps; this process is their only writer, so memory is authoritative and
    /// the table follows.
    caps: Mutex<HashMap<String, u64>>,
    /// Each player's sessions by player key, oldest first: read from the headers and summaries
    /// at start, then kept.
    by_player: Mutex<HashMap<String, Vec<String>>>,
    erased: Mutex<std::collections::HashSet<String>>,
    journals: Journals,
    keys: Keys,
}

/// The player a session's header names (`hunt.player`).
fn player_of(header: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Header {
        hunt: Hunt,
    }
    #[derive(serde::Deserialize)]
    struct Hunt {
        player: String,
    }
    serde_json::from_str::<Header>(header).ok().map(|h| h.hunt.player)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk (the WAL fsynced) before it returns.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Pages read through a memory map and a 64 MiB cache, not a pread per page.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    conn.pragma_update(None, "cache_size", -65536)?;
    Ok(conn)
}

/// The layout this server writes, kept in SQLite's `user_version`. A database written by a newer
/// server is refused at start rather than misread.
pub const FORMAT: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS probe (n INTEGER PRIMARY KEY, at INTEGER NOT NULL);
-- Format 2: sessions compacted to their summaries, and erased players, both by player key.
CREATE TABLE IF NOT EXISTS summaries (id TEXT PRIMARY KEY, player TEXT NOT NULL, summary TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS erased (player TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, header TEXT NOT NULL);
-- Appended in commit order; no index (see the module's documentation).
CREATE TABLE IF NOT EXISTS events (session INTEGER NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS caps (key TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
-- Format 3: journals (live events' admin log, window members, the rewards outbox).
CREATE TABLE IF NOT EXISTS journals (name TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (name, seq)) WITHOUT ROWID;
";

impl EmbeddedStore {
    /// Opens (or creates) `dir/sessions.db` and returns the store with every session's log, for
    /// the server to rebuild by replay.
    /// `queue` bounds the writes waiting for the writer thread.
    /// `keys` turn player ids into the keys they are stored under.
    pub fn open(dir: &Path, commit_batch: usize, queue: usize, keys: Keys) -> anyhow::Result<(EmbeddedStore, Logs)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("sessions.db");
        let writer = open(&path)?;
        let format: i64 = writer.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if format > FORMAT {
            anyhow::bail!(
                "{} is in store format {format}, written by a newer xmarks-server; this one reads format {FORMAT} \
                 (data_dir: upgrade the server, or point data_dir elsewhere)",
                path.display()
            );
        }
        // Databases from before the format was recorded are format 1; each later format only
        // adds tables.
        writer.execute_batch(SCHEMA)?;
        // Deleted rows are overwritten, not left in free pages: erasure means gone from the file.
        writer.pragma_update(None, "secure_delete", true)?;
        writer.pragma_update(None, "user_version", FORMAT)?;
        // Checkpoints (copying the WAL into the database file and fsyncing it) run on their own
        // thread: done by the writer when the WAL fills, they stalled every commit behind them.
        // The writer only finishes them now and then (see `write_loop`), so that the WAL starts
        // over instead of growing for as long as writes go on; the file is cut back to 64 MiB.
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.pragma_update(None, "journal_size_limit", 64i64 << 20)?;
        let checkpointer = open(&path)?;
        std::thread::Builder::new().name("xmarks-checkpoint".into()).spawn(move || loop {
            std::thread::sleep(Duration::from_millis(500));
            if let Err(e) = checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!("checkpoint: {e}");
            }
        })?;
        let reader = open(&path)?;
        let (logs, index) = read_all(&reader)?;
        let index = Arc::new(Mutex::new(index));
        let caps = {
            let mut stmt = reader.prepare("SELECT key, count FROM caps")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect::<rusqlite::Result<HashMap<_, _>>>()?
        };
        let mut by_player: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut stmt = reader.prepare("SELECT id, player FROM summaries")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                let (id, player) = row?;
                by_player.entry(player).or_default().push(id);
            }
        }
        for (id, log) in &logs {
            if let Some(player) = player_of(log.lines().next().unwrap_or_default()) {
                by_player.entry(keys.player_key(&player)).or_default().push(id.clone());
            }
        }
        let erased = {
            let mut stmt = reader.prepare("SELECT player FROM erased")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<std::collections::HashSet<_>>>()?
        };
        let mut journals: HashMap<String, Vec<Arc<str>>> = HashMap::new();
        {
            let mut stmt = reader.prepare("SELECT name, entry FROM journals ORDER BY name, seq")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                let (name, entry) = row?;
                journals.entry(name).or_default().push(entry.into());
            }
        }
        let journals = Arc::new(Mutex::new(journals));
        let (tx, rx) = mpsc::channel(queue.max(1));
        let (writer_index, writer_journals) = (Arc::clone(&index), Arc::clone(&journals));
        std::thread::Builder::new()
            .name("xmarks-store".into())
            .spawn(move || write_loop(writer, rx, commit_batch, writer_index, writer_journals))?;
        let store = EmbeddedStore {
            jobs: tx,
            reader: Arc::new(Mutex::new(reader)),
            index,
            caps: Mutex::new(caps),
            by_player: Mutex::new(by_player),
            erased: Mutex::new(erased),
            journals,
            keys,
        };
        Ok((store, logs))
    }

    async fn submit(&self, op: Op) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.jobs.try_send(Job { op, done }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => unavailable("the store's writer is behind: too many writes queued"),
            mpsc::error::TrySendError::Closed(_) => unavailable("the store's writer stopped"),
        })?;
        wait.await.map_err(|_| unavailable("the store's writer stopped"))?
    }

    pub async fn create(&self, id: &str, player: &str, header: String) -> Result<u64, StoreError> {
        self.submit(Op::Create { id: id.into(), header }).await?;
        let key = self.keys.player_key(player);
        self.by_player.lock().expect("players lock").entry(key).or_default().push(id.to_owned());
        Ok(0)
    }

    pub fn sessions_of(&self, player: &str) -> Vec<String> {
        let key = self.keys.player_key(player);
        self.by_player.lock().expect("players lock").get(&key).cloned().unwrap_or_default()
    }

    /// Replaces a session's log by `summary`, listed under `player_key`.
    pub async fn compact(&self, id: &str, player_key: &str, summary: String) -> Result<(), StoreError> {
        self.submit(Op::Compact { id: id.into(), player: player_key.into(), summary }).await
    }

    pub async fn summary(&self, id: &str) -> Result<Option<String>, StoreError> {
        let (reader, id) = (Arc::clone(&self.reader), id.to_owned());
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().expect("reader lock");
            let mut stmt = conn.prepare_cached("SELECT summary FROM summaries WHERE id = ?1")?;
            let mut rows = stmt.query([id])?;
            rows.next()?.map(|row| row.get::<_, String>(0)).transpose()
        })
        .await
        .map_err(unavailable)?
        .map_err(unavailable)
    }

    /// Marks `player` erased and forgets which sessions were theirs; their logs must have been
    /// compacted already.
    pub async fn erase(&self, player: &str) -> Result<(), StoreError> {
        let key = self.keys.player_key(player);
        self.submit(Op::Erase { player: key.clone() }).await?;
        self.by_player.lock().expect("players lock").remove(&key);
        self.erased.lock().expect("erased lock").insert(key);
        Ok(())
    }

    pub fn is_erased(&self, player: &str) -> bool {
        self.erased.lock().expect("erased lock").contains(&self.keys.player_key(player))
    }

    /// Appends after the session's first `version` lines (its seq); the new version is its seq
    /// after them.
    pub async fn append(&self, id: &str, version: u64, lines: Vec<String>) -> Result<u64, StoreError> {
        let last = version + lines.len() as u64;
        self.submit(Op::Append { id: id.into(), version, lines }).await.map(|()| last)
    }

    pub async fn probe(&self) -> Result<(), StoreError> {
        self.submit(Op::Probe).await
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let Some((n, lines)) = self.index.lock().expect("index lock").get(id).map(|r| (r.n, r.lines.clone())) else {
            return Ok(None);
        };
        let reader = Arc::clone(&self.reader);
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().expect("reader lock");
            read_one(&conn, n, &lines).map_err(unavailable)
        })
        .await
        .map_err(unavailable)?
    }

    /// Appends `entries` after the journal's first `version` entries; returns its new length.
    pub async fn journal_append(&self, name: &str, version: u64, entries: Vec<String>) -> Result<u64, StoreError> {
        let last = version + entries.len() as u64;
        self.submit(Op::Journal { name: name.into(), version: Some(version), entries }).await.map(|()| last)
    }

    /// Appends `entries` at the journal's end, for a caller that orders its writes itself.
    pub async fn journal_push(&self, name: &str, entries: Vec<String>) -> Result<(), StoreError> {
        self.submit(Op::Journal { name: name.into(), version: None, entries }).await
    }

    /// A journal's entries after its first `after` (an entry's position is its number, from 1),
    /// and its length.
    pub fn journal_read(&self, name: &str, after: u64, at_least: usize) -> super::Journal {
        let journals = self.journals.lock().expect("journals lock");
        let all = journals.get(name).map_or(&[][..], Vec::as_slice);
        let entries = all
            .iter()
            .enumerate()
            .skip(after as usize)
            .take(at_least)
            .map(|(i, e)| (i as u64 + 1, Arc::clone(e)))
            .collect();
        super::Journal { entries, version: all.len() as u64 }
    }

    /// The names of the journals starting with `prefix`, sorted.
    pub fn journal_names(&self, prefix: &str) -> Vec<String> {
        let journals = self.journals.lock().expect("journals lock");
        let mut names: Vec<String> = journals.keys().filter(|n| n.starts_with(prefix)).cloned().collect();
        names.sort();
        names
    }

    pub async fn claim(&self, key: &str, limit: u64) -> Result<bool, StoreError> {
        let count = {
            let mut caps = self.caps.lock().expect("caps lock");
            let count = caps.entry(key.to_owned()).or_insert(0);
            if *count >= limit {
                return Ok(false);
            }
            *count += 1;
            *count
        };
        // Durable before the claim is granted: a crash can lose a grant, never give one twice.
        if let Err(e) = self.submit(Op::Cap { key: key.into(), count }).await {
            *self.caps.lock().expect("caps lock").get_mut(key).expect("counted above") -= 1;
            return Err(e);
        }
        Ok(true)
    }
}

/// Every session's log, and where its rows are.
fn read_all(conn: &Connection) -> rusqlite::Result<(Logs, HashMap<String, Rows>)> {
    let mut logs: Logs = Vec::new();
    let mut index = HashMap::new();
    let mut by_n = HashMap::new();
    let mut stmt = conn.prepare("SELECT n, id, header FROM sessions ORDER BY n")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))? {
        let (n, id, header) = row?;
        by_n.insert(n, logs.len());
        index.insert(id.clone(), Rows { n, lines: Vec::new() });
        logs.push((id, header));
    }
    let mut stmt = conn.prepare("SELECT rowid, session, line FROM events ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let Some(&i) = by_n.get(&row.get::<_, i64>(1)?) else { continue };
        let (id, log) = &mut logs[i];
        log.push('\n');
        log.push_str(row.get_ref(2)?.as_str()?);
        index.get_mut(id).expect("indexed above").lines.push(rowid);
    }
    Ok((logs, index))
}

fn read_one(conn: &Connection, n: i64, lines: &[i64]) -> rusqlite::Result<Option<Stored>> {
    let mut log: String = conn.query_row("SELECT header FROM sessions WHERE n = ?1", [n], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached("SELECT line FROM events WHERE rowid = ?1")?;
    for &rowid in lines {
        log.push('\n');
        log.push_str(&stmt.query_row([rowid], |r| r.get::<_, String>(0))?);
    }
    Ok(Some(Stored { log, version: lines.len() as u64 }))
}

/// Commits start at least this far apart, so that under load each fsync covers more events.
const COMMIT_INTERVAL: Duration = Duration::from_millis(2);

/// How often the writer finishes a checkpoint itself. The checkpoint thread copies most of the WAL
/// while commits go on, but under steady writes it never catches up with the last commit, and the
/// WAL can only start over once it has. With nothing else writing, the writer's checkpoint copies
/// just the frames since the last one, a few milliseconds.
const FINISH_CHECKPOINT: Duration = Duration::from_secs(1);

fn write_loop(
    mut conn: Connection,
    mut jobs: mpsc::Receiver<Job>,
    commit_batch: usize,
    index: Index,
    journals: Journals,
) {
    let mut last = Instant::now();
    let mut checkpointed = Instant::now();
    while let Some(first) = jobs.blocking_recv() {
        if checkpointed.elapsed() >= FINISH_CHECKPOINT {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                tracing::warn!("checkpoint: {e}");
            }
            checkpointed = Instant::now();
        }
        if let Some(wait) = COMMIT_INTERVAL.checked_sub(last.elapsed()) {
            std::thread::sleep(wait);
        }
        last = Instant::now();
        let mut weight = first.op.weight();
        let mut batch = vec![first];
        while weight < commit_batch {
            match jobs.try_recv() {
                Ok(job) => {
                    weight += job.op.weight();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let verdicts = check(&batch, &index, &journals);
        let erasing = batch.iter().any(|job| matches!(job.op, Op::Erase { .. } | Op::Compact { .. }));
        let result = match write(&mut conn, &batch, &verdicts, &index, &journals) {
            Ok(written) => {
                // Only what was committed becomes readable.
                let mut index = index.lock().expect("index lock");
                for (id, row) in written {
                    match row {
                        Row::Session(n) => {
                            index.insert(id, Rows { n, lines: Vec::new() });
                        }
                        Row::Line(rowid) => index.get_mut(&id).expect("created before").lines.push(rowid),
                        Row::Removed => {
                            index.remove(&id);
                        }
                    }
                }
                let mut journals = journals.lock().expect("journals lock");
                for (job, _) in batch.iter().zip(&verdicts).filter(|(_, verdict)| verdict.is_ok()) {
                    if let Op::Journal { name, entries, .. } = &job.op {
                        journals.entry(name.clone()).or_default().extend(entries.iter().map(|e| Arc::from(e.as_str())));
                    }
                }
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        };
        if erasing && result.is_ok() {
            // The WAL still holds the pages as they were before the deletion: start it over.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!("checkpoint after a deletion: {e}");
            }
        }
        for (job, verdict) in batch.into_iter().zip(verdicts) {
            let _ = job.done.send(result.clone().and(verdict));
        }
    }
}

enum Row {
    Session(i64),
    Line(i64),
    Removed,
}

/// Which jobs of a batch may be written: an append must come after exactly the lines the session
/// has (committed, or earlier in the batch), or it is a conflict and is left out. A writer gets
/// one after an append of its timed out and was written after all.
fn check(batch: &[Job], index: &Index, journals: &Journals) -> Vec<Result<(), StoreError>> {
    let index = index.lock().expect("index lock");
    let journals = journals.lock().expect("journals lock");
    let mut lengths: HashMap<&str, u64> = HashMap::new();
    let mut journal_lengths: HashMap<&str, u64> = HashMap::new();
    batch
        .iter()
        .map(|job| match &job.op {
            Op::Create { id, .. } => {
                lengths.insert(id, 0);
                Ok(())
            }
            Op::Append { id, version, lines } => {
                let length = lengths
                    .entry(id)
                    .or_insert_with(|| index.get(id.as_str()).map_or(u64::MAX, |rows| rows.lines.len() as u64));
                if *length != *version {
                    return Err(StoreError::Conflict);
                }
                *length += lines.len() as u64;
                Ok(())
            }
            Op::Journal { name, version, entries } => {
                let length = journal_lengths
                    .entry(name)
                    .or_insert_with(|| journals.get(name.as_str()).map_or(0, |e| e.len() as u64));
                if version.is_some_and(|v| v != *length) {
                    return Err(StoreError::Conflict);
                }
                *length += entries.len() as u64;
                Ok(())
            }
            Op::Cap { .. } | Op::Probe | Op::Compact { .. } | Op::Erase { .. } => Ok(()),
        })
        .collect()
}

/// Writes a batch's jobs that passed [`check`] in one transaction; returns the rows it added, for
/// the index.
fn write(
    conn: &mut Connection,
    batch: &[Job],
    verdicts: &[Result<(), StoreError>],
    index: &Index,
    journals: &Journals,
) -> rusqlite::Result<Vec<(String, Row)>> {
    let mut written = Vec::new();
    let mut lengths: HashMap<String, u64> = HashMap::new();
    let mut created = HashMap::new();
    let tx = conn.transaction()?;
    {
        let mut create = tx.prepare_cached("INSERT INTO sessions (id, header) VALUES (?1, ?2)")?;
        let mut append = tx.prepare_cached("INSERT INTO events (session, seq, line) VALUES (?1, ?2, ?3)")?;
        let mut cap = tx.prepare_cached(
            "INSERT INTO caps (key, count) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET count = max(count, ?2)",
        )?;
        let mut probe = tx.prepare_cached("INSERT OR REPLACE INTO probe (n, at) VALUES (1, ?1)")?;
        let mut summarise =
            tx.prepare_cached("INSERT OR REPLACE INTO summaries (id, player, summary) VALUES (?1, ?2, ?3)")?;
        let mut drop_line = tx.prepare_cached("DELETE FROM events WHERE rowid = ?1")?;
        let mut drop_session = tx.prepare_cached("DELETE FROM sessions WHERE n = ?1")?;
        let mut erase = tx.prepare_cached("INSERT OR IGNORE INTO erased (player) VALUES (?1)")?;
        let mut journal = tx.prepare_cached("INSERT INTO journals (name, seq, entry) VALUES (?1, ?2, ?3)")?;
        for (job, _) in batch.iter().zip(verdicts).filter(|(_, verdict)| verdict.is_ok()) {
            match &job.op {
                Op::Create { id, header } => {
                    create.execute(params![id, header])?;
                    let n = tx.last_insert_rowid();
                    created.insert(id.clone(), n);
                    written.push((id.clone(), Row::Session(n)));
                }
                Op::Append { id, version, lines } => {
                    let n = match created.get(id) {
                        Some(&n) => n,
                        None => match index.lock().expect("index lock").get(id) {
                            Some(rows) => rows.n,
                            None => return Err(rusqlite::Error::QueryReturnedNoRows),
                        },
                    };
                    for (i, line) in lines.iter().enumerate() {
                        append.execute(params![n, (*version + 1 + i as u64) as i64, line])?;
                        written.push((id.clone(), Row::Line(tx.last_insert_rowid())));
                    }
                }
                Op::Cap { key, count } => {
                    cap.execute(params![key, *count as i64])?;
                }
                Op::Compact { id, player, summary } => {
                    summarise.execute(params![id, player, summary])?;
                    let rows = index.lock().expect("index lock").get(id).map(|r| (r.n, r.lines.clone()));
                    if let Some((n, lines)) = rows {
                        for rowid in lines {
                            drop_line.execute([rowid])?;
                        }
                        drop_session.execute([n])?;
                    }
                    written.push((id.clone(), Row::Removed));
                }
                Op::Erase { player } => {
                    erase.execute([player])?;
                }
                Op::Journal { name, entries, .. } => {
                    // After what is committed and what this batch wrote before.
                    let length = *lengths.entry(name.clone()).or_insert_with(|| {
                        journals.lock().expect("journals lock").get(name).map_or(0, |e| e.len() as u64)
                    });
                    for (i, entry) in entries.iter().enumerate() {
                        journal.execute(params![name, (length + 1 + i as u64) as i64, entry])?;
                    }
                    lengths.insert(name.clone(), length + entries.len() as u64);
                }
                Op::Probe => {
                    let at =
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
                    probe.execute([at as i64])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(written)
}
