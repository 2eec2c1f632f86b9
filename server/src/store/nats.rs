//! Scale-out store: session logs in NATS JetStream streams, global caps in a key-value bucket,
//! live events' journals in the stream `<PREFIX>_JOURNALS` (one subject each).
//!
//! Each session's log is one subject, `<prefix>.sessions.<partition>.<id>`, where the partition is
//! a stable hash of the id (the first four bytes of its SHA-256, modulo the partition count).
//! Partitions are grouped into `streams` streams, `<PREFIX>_SESSIONS_<k>` holding the partitions
//! `p` with `p % streams == k`, so that the stream leaders, and the load, can be spread over a
//! JetStream cluster. A message holds one or more
//! log lines. An append is published with `Nats-Expected-Last-Subject-Sequence` set to the
//! version the writer last saw: JetStream refuses it if any process appended in between, so a
//! log never forks, and the writer rebuilds the session by replay and tries again.
//!
//! A cap is a counter under the key `cap.<hex of its name>`, raised by compare-and-set on the
//! entry's revision, so that servers racing for the last place cannot both get it. Within one
//! server, claims on a cap queue behind each other, so the compare-and-set races only between
//! servers (a thousand tasks racing on one key made each grant cost a thousand round trips), and a
//! cap once seen full is answered without asking again: counters only grow.

use super::breaker::Breaker;
use super::{StoreError, Stored};
use crate::auth::Keys;
use crate::config::NatsConfig;
use anyhow::Context as _;
use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::{self, kv, message::PublishMessage, stream, ErrorCode};
use async_nats::{ConnectErrorKind, ConnectOptions, Event, ServerAddr};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct NatsStore {
    js: jetstream::Context,
    /// Live events' journals: one subject each, `<prefix>.journal.<hex of the name>`.
    journals: stream::Stream<()>,
    /// By index `partition % streams`.
    streams: Vec<stream::Stream<()>>,
    caps: kv::Store,
    /// Each player's sessions: the key `p.<player key>` holds their ids, one a line; `e.<player
    /// key>` marks an erased player.
    players: kv::Store,
    /// Compacted sessions' summaries, under `s.<session id>`.
    summaries: kv::Store,
    keys: Keys,
    prefix: String,
    partitions: u32,
    /// Per cap key: the queue this server's claims wait in, and the highest count seen.
    caps_seen: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<u64>>>>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// `url` (one or several, comma-separated) with any credentials in it blanked out, for logs and
/// errors.
pub fn redacted(url: &str) -> String {
    url.split(',')
        .map(|part| match (part.find("://"), part.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => format!("{}://***{}", &part[..scheme], &part[at..]),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Which partition a session's log is in.
pub fn partition(id: &str, partitions: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % partitions
}

/// The layout this server writes, kept under the key `format` in the caps bucket. Streams
/// written by a newer server are refused at start rather than misread.
pub const FORMAT: u64 = 3;

/// Streams this server needs, and the setting each part of them comes from.
fn stream_configs(config: &NatsConfig) -> Vec<stream::Config> {
    let mut streams: Vec<stream::Config> = (0..config.streams)
        .map(|k| stream::Config {
            name: format!("{}_SESSIONS_{k}", config.prefix.to_uppercase()),
            subjects: (k..config.partitions)
                .step_by(config.streams as usize)
                .map(|p| format!("{}.sessions.{p}.*", config.prefix))
                .collect(),
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            allow_direct: true,
            ..Default::default()
        })
        .collect();
    // Live events' journals. Chunks of grants carry a message id, and one put again within a day
    // is dropped: that is what makes a window's payment once-only when servers race or restart.
    streams.push(stream::Config {
        name: format!("{}_JOURNALS", config.prefix.to_uppercase()),
        subjects: vec![format!("{}.journal.*", config.prefix)],
        storage: stream::StorageType::File,
        num_replicas: config.replicas,
        allow_direct: true,
        duplicate_window: Duration::from_secs(24 * 3600),
        ..Default::default()
    });
    // The buckets (caps, and each player's sessions) are created as the streams behind them, with the key-value conventions
    // (`KV_<bucket>`, `$KV.<bucket>.>`, one value per key, direct gets), because async-nats'
    // `create_key_value` first reads account details in a form that nats-server 2.9 (the
    // Debian package) does not send. It is then opened as an ordinary bucket.
    for bucket in ["caps", "players", "summaries"].map(|b| format!("{}_{b}", config.prefix)) {
        streams.push(stream::Config {
            name: format!("KV_{bucket}"),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            ..Default::default()
        });
    }
    streams
}

/// Why an existing stream cannot be used as configured, naming the setting.
fn mismatch(found: &stream::Config, wanted: &stream::Config) -> Option<String> {
    let sorted = |s: &[String]| {
        let mut s = s.to_vec();
        s.sort();
        s
    };
    if sorted(&found.subjects) != sorted(&wanted.subjects) {
        return Some(format!(
            "stream {} exists with subjects {:?}, but nats.partitions and nats.streams give {:?}",
            wanted.name, found.subjects, wanted.subjects
        ));
    }
    if found.num_replicas != wanted.num_replicas {
        return Some(format!(
            "stream {} exists with {} replicas, but nats.replicas is {}",
            wanted.name, found.num_replicas, wanted.num_replicas
        ));
    }
    if found.storage != wanted.storage {
        return Some(format!("stream {} exists with {:?} storage, not file storage", wanted.name, found.storage));
    }
    None
}

impl NatsStore {
    fn push_subject(&self, topic: &str) -> String {
        format!("{}.push.{topic}", self.prefix)
    }

    pub async fn push(&self, topic: &str, payload: Vec<u8>) -> Result<(), StoreError> {
        self.js.client().publish(self.push_subject(topic), payload.into()).await.map_err(unavailable)
    }

    pub async fn listen(&self, topic: &str) -> Result<async_nats::Subscriber, StoreError> {
        self.js.client().subscribe(self.push_subject(topic)).await.map_err(unavailable)
    }

    /// Connects, creates the streams and the bucket if they do not exist yet, and checks those
    /// that do against the configuration. The client reconnects by itself for as long as the
    /// server runs, and tells `breaker` when it loses and regains its connection.
    pub async fn connect(config: &NatsConfig, breaker: Arc<Breaker>, keys: Keys) -> anyhow::Result<NatsStore> {
        let addrs = config
            .url
            .split(',')
            .map(|url| url.trim().parse::<ServerAddr>().with_context(|| format!("nats.url: {url:?} is not a NATS URL")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let timeout = Duration::from_millis(config.connect_timeout_ms);
        let mut options = ConnectOptions::new()
            .connection_timeout(timeout)
            .name("xmarks-server")
            .max_reconnects(None)
            // Back within a second of the store's return, not the default's several.
            .reconnect_delay_callback(|attempts| Duration::from_millis((attempts as u64 * 100).min(1_000)))
            .event_callback(move |event| {
                let breaker = Arc::clone(&breaker);
                async move {
                    match event {
                        Event::Disconnected => breaker.trip(Instant::now(), "lost the connection to NATS"),
                        Event::Connected => breaker.hint_back(Instant::now()),
                        _ => tracing::debug!(%event, "nats"),
                    }
                }
            });
        let read = |setting: &str, path: &std::path::Path| {
            std::fs::read_to_string(path)
                .map(|s| s.trim().to_owned())
                .with_context(|| format!("{setting}: reading {}", path.display()))
        };
        if let (Some(user), Some(path)) = (&config.user, &config.password_file) {
            options = options.user_and_password(user.clone(), read("nats.password_file", path)?);
        } else if let Some(addr) = addrs.iter().find(|a| a.has_user_pass()) {
            // async-nats does not read them from the URL itself.
            let (user, password) = (addr.username().unwrap_or_default(), addr.password().unwrap_or_default());
            options = options.user_and_password(user.to_owned(), password.to_owned());
        }
        if let Some(path) = &config.token_file {
            options = options.token(read("nats.token_file", path)?);
        }
        let client = match tokio::time::timeout(timeout * 2, options.connect(addrs)).await {
            Err(_) => anyhow::bail!("nats.url: no answer within {} ms (nats.connect_timeout_ms)", timeout.as_millis()),
            Ok(Err(e)) if e.kind() == ConnectErrorKind::AuthorizationViolation => anyhow::bail!(
                "NATS refused the credentials (nats.user and nats.password_file, nats.token_file, or the URL's): {e}"
            ),
            Ok(Err(e)) if e.kind() == ConnectErrorKind::TimedOut => {
                anyhow::bail!("nats.url: no answer within {} ms (nats.connect_timeout_ms): {e}", timeout.as_millis())
            }
            Ok(Err(e)) => anyhow::bail!("nats.url: {e}"),
            Ok(Ok(client)) => client,
        };
        let mut js = jetstream::new(client);
        js.set_timeout(Duration::from_secs(10));
        let mut streams = Vec::new();
        for wanted in stream_configs(config) {
            let name = wanted.name.clone();
            match js.get_stream(&name).await {
                Ok(existing) => {
                    if let Some(why) = mismatch(&existing.cached_info().config, &wanted) {
                        anyhow::bail!("{why}; use another nats.prefix, or move the data and delete the stream");
                    }
                }
                Err(e) if matches!(e.kind(), GetStreamErrorKind::JetStream(ref j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND) =>
                {
                    js.create_stream(wanted).await.with_context(|| {
                        format!("creating stream {name} (nats.prefix, nats.partitions, nats.streams, nats.replicas)")
                    })?;
                }
                Err(e) => return Err(e).with_context(|| format!("reading stream {name}: is JetStream enabled?")),
            }
            streams.push(js.get_stream_no_info(&name).await?);
        }
        streams.truncate(streams.len() - 3); // the buckets', used as buckets
        let journals = streams.pop().expect("the journals' stream");
        let caps = js.get_key_value(format!("{}_caps", config.prefix)).await?;
        let players = js.get_key_value(format!("{}_players", config.prefix)).await?;
        let summaries = js.get_key_value(format!("{}_summaries", config.prefix)).await?;
        check_format(&caps, &config.prefix).await?;
        Ok(NatsStore {
            js,
            journals,
            streams,
            caps,
            players,
            summaries,
            keys,
            prefix: config.prefix.clone(),
            partitions: config.partitions,
            caps_seen: std::sync::Mutex::default(),
        })
    }

    /// The breaker's probe: every sessions stream's leader takes a publish, which it refuses
    /// without storing anything (it expects a last sequence no subject has). This is what
    /// opening a session and appending need; claims on caps count as any operation does.
    pub async fn probe(&self) -> Result<(), StoreError> {
        for k in 0..self.streams.len() {
            // Partition k is in stream k; no session id is "probe".
            let subject = format!("{}.sessions.{k}.probe", self.prefix);
            let message = PublishMessage::build().payload("".into()).expected_last_subject_sequence(u64::MAX);
            let ack = self.js.send_publish(subject, message).await.map_err(unavailable)?;
            match ack.await {
                Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => {}
                Err(e) => return Err(unavailable(e)),
                Ok(_) => return Err(unavailable("a probe was stored")),
            }
        }
        Ok(())
    }

    fn subject(&self, id: &str) -> String {
        format!("{}.sessions.{}.{id}", self.prefix, partition(id, self.partitions))
    }

    fn stream(&self, id: &str) -> &stream::Stream<()> {
        &self.streams[(partition(id, self.partitions) as usize) % self.streams.len()]
    }

    async fn publish(&self, id: &str, after: u64, payload: String) -> Result<u64, StoreError> {
        let message = PublishMessage::build().payload(payload.into()).expected_last_subject_sequence(after);
        let ack = self.js.send_publish(self.subject(id), message).await.map_err(unavailable)?;
        match ack.await {
            Ok(ack) => Ok(ack.sequence),
            Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Lists the session under its player first, then writes its header: a crash in between
    /// leaves a listed session with no log, which readers skip, never a log nobody can find.
    pub async fn create(&self, id: &str, player: &str, header: String) -> Result<u64, StoreError> {
        let key = format!("p.{}", self.keys.player_key(player));
        loop {
            let done = match self.players.entry(&key).await.map_err(unavailable)? {
                None => match self.players.create(&key, format!("{id}\n").into()).await {
                    Ok(_) => true,
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => false,
                    Err(e) => return Err(unavailable(e)),
                },
                Some(entry) => {
                    let mut ids = entry.value.to_vec();
                    ids.extend_from_slice(format!("{id}\n").as_bytes());
                    match self.players.update(&key, ids.into(), entry.revision).await {
                        Ok(_) => true,
                        Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => false,
                        Err(e) => return Err(unavailable(e)),
                    }
                }
            };
            if done {
                break;
            }
        }
        self.publish(id, 0, header).await
    }

    pub async fn sessions_of(&self, player: &str) -> Result<Vec<String>, StoreError> {
        let ids = self.players.get(format!("p.{}", self.keys.player_key(player))).await.map_err(unavailable)?;
        let ids = ids.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
        Ok(ids.lines().map(str::to_owned).collect())
    }

    pub async fn append(&self, id: &str, version: u64, lines: Vec<String>) -> Result<u64, StoreError> {
        self.publish(id, version, lines.join("\n")).await
    }

    pub async fn version(&self, id: &str) -> Result<Option<u64>, StoreError> {
        match self.stream(id).direct_get_last_for_subject(self.subject(id)).await {
            Ok(message) => Ok(Some(message.sequence)),
            Err(e) if e.kind() == stream::DirectGetErrorKind::NotFound => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    pub async fn load(&self, id: &str) -> Result<Option<Stored>, StoreError> {
        let Some(last) = self.version(id).await? else { return Ok(None) };
        let subject = self.subject(id);
        let mut log = String::new();
        let mut next = 1;
        loop {
            let message =
                self.stream(id).direct_get_next_for_subject(&subject, Some(next)).await.map_err(unavailable)?;
            if !log.is_empty() {
                log.push('\n');
            }
            log.push_str(std::str::from_utf8(&message.payload).map_err(unavailable)?);
            if message.sequence >= last {
                return Ok(Some(Stored { log, version: message.sequence }));
            }
            next = message.sequence + 1;
        }
    }

    /// Replaces a session's log by `summary`: the summary is stored, then the log's messages are
    /// purged from its stream.
    pub async fn compact(&self, id: &str, summary: String) -> Result<(), StoreError> {
        self.summaries.put(format!("s.{id}"), summary.into()).await.map_err(unavailable)?;
        self.stream(id).purge().filter(self.subject(id)).await.map_err(unavailable)?;
        Ok(())
    }

    pub async fn summary(&self, id: &str) -> Result<Option<String>, StoreError> {
        let value = self.summaries.get(format!("s.{id}")).await.map_err(unavailable)?;
        Ok(value.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// Marks `player` erased and purges the list of their sessions (its history too).
    pub async fn erase(&self, player: &str) -> Result<(), StoreError> {
        let key = self.keys.player_key(player);
        self.players.put(format!("e.{key}"), "erased".into()).await.map_err(unavailable)?;
        self.players.purge(format!("p.{key}")).await.map_err(unavailable)?;
        Ok(())
    }

    pub async fn is_erased(&self, player: &str) -> Result<bool, StoreError> {
        let key = format!("e.{}", self.keys.player_key(player));
        Ok(self.players.get(key).await.map_err(unavailable)?.is_some())
    }

    fn journal_subject(&self, name: &str) -> String {
        format!("{}.journal.{}", self.prefix, hex::encode(name))
    }

    /// One message of the entries (lines); after the version given, or anywhere with `None`.
    pub async fn journal_append(
        &self,
        name: &str,
        after: Option<u64>,
        entries: Vec<String>,
    ) -> Result<u64, StoreError> {
        let mut message = PublishMessage::build().payload(entries.join("\n").into());
        if let Some(after) = after {
            message = message.expected_last_subject_sequence(after);
        }
        let ack = self.js.send_publish(self.journal_subject(name), message).await.map_err(unavailable)?;
        match ack.await {
            Ok(ack) => Ok(ack.sequence),
            Err(e) if e.kind() == jetstream::context::PublishErrorKind::WrongLastSequence => Err(StoreError::Conflict),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// One message per chunk, with the chunk's id as its message id.
    pub async fn journal_put_once(&self, name: &str, chunks: Vec<(String, Vec<String>)>) -> Result<(), StoreError> {
        let subject = self.journal_subject(name);
        let mut acks = Vec::with_capacity(chunks.len());
        for (id, entries) in chunks {
            let message = PublishMessage::build().payload(entries.join("\n").into()).message_id(id);
            acks.push(self.js.send_publish(subject.clone(), message).await.map_err(unavailable)?);
        }
        for ack in acks {
            ack.await.map_err(unavailable)?;
        }
        Ok(())
    }

    /// Messages after the sequence `after`, line by line, each line at its message's sequence.
    pub async fn journal_read(&self, name: &str, after: u64, at_least: usize) -> Result<super::Journal, StoreError> {
        let subject = self.journal_subject(name);
        let last = match self.journals.direct_get_last_for_subject(&subject).await {
            Ok(message) => message.sequence,
            Err(e) if e.kind() == stream::DirectGetErrorKind::NotFound => return Ok(super::Journal::default()),
            Err(e) => return Err(unavailable(e)),
        };
        let mut entries = Vec::new();
        let mut next = after + 1;
        while next <= last && entries.len() < at_least {
            let message = self.journals.direct_get_next_for_subject(&subject, Some(next)).await.map_err(unavailable)?;
            let text = std::str::from_utf8(&message.payload).map_err(unavailable)?;
            entries.extend(text.split('\n').map(|line| (message.sequence, Arc::from(line))));
            next = message.sequence + 1;
        }
        Ok(super::Journal { entries, version: last })
    }

    /// The journals with a name starting with `prefix`, sorted.
    pub async fn journal_names(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        use futures_util::TryStreamExt as _;
        let filter = format!("{}.journal.*", self.prefix);
        let subjects: Vec<(String, usize)> = self
            .journals
            .info_with_subjects(filter)
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        let mut names: Vec<String> = subjects
            .into_iter()
            .filter_map(|(subject, _)| subject.rsplit('.').next().and_then(|h| hex::decode(h).ok()))
            .filter_map(|bytes| String::from_utf8(bytes).ok())
            .filter(|name| name.starts_with(prefix))
            .collect();
        names.sort();
        Ok(names)
    }

    fn cap_key(key: &str) -> String {
        format!("cap.{}", hex::encode(key))
    }

    pub async fn claim(&self, key: &str, limit: u64) -> Result<bool, StoreError> {
        let key = Self::cap_key(key);
        let queue = Arc::clone(self.caps_seen.lock().expect("caps lock").entry(key.clone()).or_default());
        let mut seen = queue.lock().await;
        if *seen >= limit {
            return Ok(false);
        }
        let mut attempt = 0u32;
        loop {
            match self.caps.entry(&key).await.map_err(unavailable)? {
                None => match self.caps.create(&key, "1".into()).await {
                    Ok(_) => {
                        *seen = 1;
                        return Ok(limit >= 1);
                    }
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {}
                    Err(e) => return Err(unavailable(e)),
                },
                Some(entry) => {
                    let count = count_of(&entry.value)?;
                    *seen = count.max(*seen);
                    if count >= limit {
                        return Ok(false);
                    }
                    match self.caps.update(&key, (count + 1).to_string().into(), entry.revision).await {
                        Ok(_) => {
                            *seen = count + 1;
                            return Ok(true);
                        }
                        Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {}
                        Err(e) => return Err(unavailable(e)),
                    }
                }
            }
            // Another server won this round: back off for a random while that grows with the
            // attempts, so that racing servers spread out instead of colliding again.
            let ceiling_us = 500u64 << attempt.min(6);
            tokio::time::sleep(Duration::from_micros(jitter(ceiling_us))).await;
            attempt = attempt.saturating_add(1);
        }
    }
}

/// A random number of microseconds in `0..ceiling_us`.
fn jitter(ceiling_us: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_or(ceiling_us / 2, |()| u64::from_le_bytes(bytes) % ceiling_us)
}

/// Records this server's format in a new bucket, upgrades an older one, or refuses one written in a newer format.
async fn check_format(caps: &kv::Store, prefix: &str) -> anyhow::Result<()> {
    loop {
        let found = caps.get("format").await.context("reading the store's format")?;
        let Some(found) = found else {
            match caps.create("format", FORMAT.to_string().into()).await {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).context("recording the store's format"),
            }
        };
        let format: u64 = std::str::from_utf8(&found).ok().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
        if format < FORMAT {
            // Upgraded in place (formats 2 and 3 only add buckets and streams): older servers must
            // not write here now.
            caps.put("format", FORMAT.to_string().into()).await.context("recording the store's format")?;
            return Ok(());
        }
        if format > FORMAT {
            anyhow::bail!(
                "the streams under nats.prefix {prefix:?} are in store format {}, written by a newer \
                 xmarks-server; this one reads format {FORMAT}",
                String::from_utf8_lossy(&found)
            );
        }
        return Ok(());
    }
}

fn count_of(value: &[u8]) -> Result<u64, StoreError> {
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| unavailable("a cap counter is not a number"))
}

#[cfg(test)]
mod tests {
    use super::{partition, redacted};

    #[test]
    fn credentials_in_urls_stay_out_of_logs() {
        assert_eq!(redacted("nats://u:secret@a:4222, nats://b:4222"), "nats://***@a:4222, nats://b:4222");
        assert_eq!(redacted("nats://a:4222"), "nats://a:4222");
    }

    #[test]
    fn partitions_are_stable_and_spread() {
        // Pinned: a changed hash would move sessions away from their logs.
        assert_eq!(partition("00000000000000000000000000000000", 16), 10);
        assert_eq!(partition("0123456789abcdef0123456789abcdef", 16), 3);
        assert_eq!(partition("0123456789abcdef0123456789abcdef", 1024), 323);
        let mut seen = [0u32; 16];
        for i in 0..1600 {
            seen[partition(&format!("{i:032x}"), 16) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (50..150).contains(&n)), "{seen:?}");
    }
}
