//! Scale-out store: session logs in NATS JetStream streams, global caps in a key-value bucket.
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
//! entry's revision, so that servers racing for the last place cannot both get it.

use super::{StoreError, Stored};
use crate::config::NatsConfig;
use async_nats::jetstream::{self, kv, message::PublishMessage, stream};
use sha2::{Digest, Sha256};
use std::time::Duration;

pub struct NatsStore {
    js: jetstream::Context,
    /// By index `partition % streams`.
    streams: Vec<stream::Stream<()>>,
    caps: kv::Store,
    prefix: String,
    partitions: u32,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Which partition a session's log is in.
pub fn partition(id: &str, partitions: u32) -> u32 {
    let digest = Sha256::digest(id.as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % partitions
}

impl NatsStore {
    /// Connects, and creates the stream and the bucket if they do not exist yet.
    pub async fn connect(config: &NatsConfig) -> anyhow::Result<NatsStore> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .name("xmarks-server")
            .connect(config.url.as_str())
            .await?;
        let mut js = jetstream::new(client);
        js.set_timeout(Duration::from_secs(10));
        let mut streams = Vec::new();
        for k in 0..config.streams {
            let name = format!("{}_SESSIONS_{k}", config.prefix.to_uppercase());
            let subjects = (k..config.partitions)
                .step_by(config.streams as usize)
                .map(|p| format!("{}.sessions.{p}.*", config.prefix))
                .collect();
            js.get_or_create_stream(stream::Config {
                name: name.clone(),
                subjects,
                storage: stream::StorageType::File,
                num_replicas: config.replicas,
                allow_direct: true,
                ..Default::default()
            })
            .await?;
            streams.push(js.get_stream_no_info(&name).await?);
        }
        // The bucket is created as the stream behind it, with the key-value conventions
        // (`KV_<bucket>`, `$KV.<bucket>.>`, one value per key, direct gets), because async-nats'
        // `create_key_value` first reads account details in a form that nats-server 2.9 (the
        // Debian package) does not send. It is then opened as an ordinary bucket.
        let bucket = format!("{}_caps", config.prefix);
        js.get_or_create_stream(stream::Config {
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
        })
        .await?;
        let caps = js.get_key_value(&bucket).await?;
        Ok(NatsStore { js, streams, caps, prefix: config.prefix.clone(), partitions: config.partitions })
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

    pub async fn create(&self, id: &str, header: String) -> Result<u64, StoreError> {
        self.publish(id, 0, header).await
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

    fn cap_key(key: &str) -> String {
        format!("cap.{}", hex::encode(key))
    }

    pub async fn claim(&self, key: &str, limit: u64) -> Result<bool, StoreError> {
        let key = Self::cap_key(key);
        loop {
            match self.caps.entry(&key).await.map_err(unavailable)? {
                None => match self.caps.create(&key, "1".into()).await {
                    Ok(_) => return Ok(limit >= 1),
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(unavailable(e)),
                },
                Some(entry) => {
                    let count = count_of(&entry.value)?;
                    if count >= limit {
                        return Ok(false);
                    }
                    match self.caps.update(&key, (count + 1).to_string().into(), entry.revision).await {
                        Ok(_) => return Ok(true),
                        Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                        Err(e) => return Err(unavailable(e)),
                    }
                }
            }
        }
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
    use super::partition;

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
