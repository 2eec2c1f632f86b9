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

use super::{StoreError, Stored};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

enum Op {
    Create { id: String, header: String },
    Append { id: String, first_seq: u64, lines: Vec<String> },
    Cap { key: String, count: u64 },
}

impl Op {
    fn weight(&self) -> usize {
        match self {
            Op::Append { lines, .. } => lines.len(),
            _ => 1,
        }
    }
}

struct Job {
    op: Op,
    done: oneshot::Sender<Result<(), StoreError>>,
}

pub struct EmbeddedStore {
    jobs: mpsc::UnboundedSender<Job>,
    reader: Arc<Mutex<Connection>>,
    /// Counts of global caps; this process is their only writer, so memory is authoritative and
    /// the table follows.
    caps: Mutex<HashMap<String, u64>>,
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
    Ok(conn)
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, header TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    session TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL, PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS caps (key TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;
";

impl EmbeddedStore {
    /// Opens (or creates) `dir/sessions.db` and returns the store with every session's log, for
    /// the server to rebuild by replay.
    pub fn open(dir: &Path, commit_batch: usize) -> anyhow::Result<(EmbeddedStore, Vec<(String, String)>)> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("sessions.db");
        let writer = open(&path)?;
        writer.execute_batch(SCHEMA)?;
        let reader = open(&path)?;
        let logs = read_all(&reader)?;
        let caps = {
            let mut stmt = reader.prepare("SELECT key, count FROM caps")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect::<rusqlite::Result<HashMap<_, _>>>()?
        };
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new().name("xmarks-store".into()).spawn(move || write_loop(writer, rx, commit_batch))?;
        let store = EmbeddedStore { jobs: tx, reader: Arc::new(Mutex::new(reader)), caps: Mutex::new(caps) };
        Ok((store, logs))
    }

    async fn submit(&self, op: Op) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        self.jobs.send(Job { op, done }).map_err(|_| unavailable("the store's writer stopped"))?;
        wait.await.map_err(|_| unavailable("the store's writer stopped"))?
    }

    pub async fn create(&self, id: &str, header: String) -> Result<u64, StoreError> {
        self.submit(Op::Create { id: id.into(), header }).await.map(|()| 0)
    }

    pub async fn append(&self, id: &str, first_seq: u64, lines: Vec<String>) -> Result<u64, StoreError> {
        let last = first_seq + lines.len() as u64 - 1;
        self.submit(Op::Append { id: id.into(), first_seq, lines }).await.map(|()| last)
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let reader = Arc::clone(&self.reader);
        let id = id.to_owned();
        tokio::task::spawn_blocking(move || {
            let conn = reader.lock().expect("reader lock");
            read_one(&conn, &id).map_err(unavailable)
        })
        .await
        .map_err(unavailable)?
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

    pub fn cap_count(&self, key: &str) -> u64 {
        self.caps.lock().expect("caps lock").get(key).copied().unwrap_or(0)
    }
}

fn read_all(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut logs: Vec<(String, String)> = Vec::new();
    let mut index = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, header FROM sessions")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (id, header) = row?;
        index.insert(id.clone(), logs.len());
        logs.push((id, header));
    }
    let mut stmt = conn.prepare("SELECT session, line FROM events ORDER BY session, seq")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let line: String = row.get(1)?;
        if let Some(&i) = index.get(&id) {
            logs[i].1.push('\n');
            logs[i].1.push_str(&line);
        }
    }
    Ok(logs)
}

fn read_one(conn: &Connection, id: &str) -> rusqlite::Result<Option<Stored>> {
    let Some(mut log) =
        conn.query_row("SELECT header FROM sessions WHERE id = ?1", [id], |r| r.get::<_, String>(0)).optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached("SELECT line FROM events WHERE session = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id])?;
    let mut version = 0;
    while let Some(row) = rows.next()? {
        log.push('\n');
        log.push_str(row.get_ref(0)?.as_str()?);
        version += 1;
    }
    Ok(Some(Stored { log, version }))
}

fn write_loop(mut conn: Connection, mut jobs: mpsc::UnboundedReceiver<Job>, commit_batch: usize) {
    while let Some(first) = jobs.blocking_recv() {
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
        let result = write(&mut conn, &batch).map_err(unavailable);
        for job in batch {
            let _ = job.done.send(result.clone());
        }
    }
}

fn write(conn: &mut Connection, batch: &[Job]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut create = tx.prepare_cached("INSERT INTO sessions (id, header) VALUES (?1, ?2)")?;
        let mut append = tx.prepare_cached("INSERT INTO events (session, seq, line) VALUES (?1, ?2, ?3)")?;
        let mut cap = tx.prepare_cached(
            "INSERT INTO caps (key, count) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET count = max(count, ?2)",
        )?;
        for job in batch {
            match &job.op {
                Op::Create { id, header } => {
                    create.execute(params![id, header])?;
                }
                Op::Append { id, first_seq, lines } => {
                    for (i, line) in lines.iter().enumerate() {
                        append.execute(params![id, (*first_seq + i as u64) as i64, line])?;
                    }
                }
                Op::Cap { key, count } => {
                    cap.execute(params![key, *count as i64])?;
                }
            }
        }
    }
    tx.commit()
}
