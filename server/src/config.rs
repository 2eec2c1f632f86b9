//! Configuration: a TOML file (`--config`), with command-line flags taking precedence.
//!
//! Every field has a default, so `xmarks-server` with no file and no flag serves the built-in
//! templates on 127.0.0.1:8080 with the embedded store in `./xmarks-data`.

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A template the server offers by name, with the ruleset its sessions play under.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFiles {
    /// Path of the template's JSON.
    pub template: PathBuf,
    /// Path of a ruleset's JSON; the engine's default rules when absent.
    #[serde(default)]
    pub rules: Option<PathBuf>,
}

/// The world hunts are generated on: procedural from a seed, or imported from a CSV or GeoJSON
/// file (longitudes and latitudes make an Earth world, unless `projection` is `local`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    #[serde(default = "default_world_seed")]
    pub seed: u64,
    /// `id,x,y,kind,name,weight` (metres) or `id,lon,lat,kind,name,weight` (degrees) sites; when
    /// set, the world is imported instead of procedural.
    #[serde(default)]
    pub csv: Option<PathBuf>,
    /// GeoJSON `Point` features, instead of `csv`.
    #[serde(default)]
    pub geojson: Option<PathBuf>,
    /// For lon/lat data: `earth` (the default) or `local` (projected onto a plane).
    #[serde(default)]
    pub projection: Option<xmarks::world::import::Projection>,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig { seed: default_world_seed(), csv: None, geojson: None, projection: None }
    }
}

/// Scale-out on NATS JetStream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsConfig {
    /// One server, or several separated by commas (the client also learns a cluster's other
    /// servers from the one it reaches).
    pub url: String,
    /// User name, with `password_file`, when the NATS server asks for one (credentials may
    /// also be given in the URL: `nats://user:password@host`).
    pub user: Option<String>,
    /// File holding the password of `user`.
    pub password_file: Option<PathBuf>,
    /// File holding an authentication token, when the NATS server asks for one.
    pub token_file: Option<PathBuf>,
    /// How long to wait for NATS to answer at start-up, in ms.
    pub connect_timeout_ms: u64,
    /// Prefix of the stream's subjects and name, and of the caps bucket: servers sharing a prefix
    /// share sessions and caps.
    pub prefix: String,
    /// Number of subject partitions session logs are spread over (a stable hash of the session id).
    pub partitions: u32,
    /// Number of streams the partitions are grouped into (partition `p` in stream `p % streams`).
    pub streams: u32,
    /// JetStream replicas of the stream and the bucket (3 on a three-node cluster).
    pub replicas: usize,
}

impl Default for NatsConfig {
    fn default() -> Self {
        NatsConfig {
            url: String::new(),
            user: None,
            password_file: None,
            token_file: None,
            connect_timeout_ms: 5_000,
            prefix: "xmarks".into(),
            partitions: 16,
            streams: 1,
            replicas: 1,
        }
    }
}

/// A key the game's backend signs players' tokens with, named by the tokens' `kid`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerKey {
    pub kid: String,
    /// `HS256` (with `secret_file`) or `EdDSA` (with `public_key_file`).
    pub alg: String,
    /// HS256: the file holding the shared secret (at least 32 bytes).
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    /// EdDSA: the file holding the backend's Ed25519 public key (PEM).
    #[serde(default)]
    pub public_key_file: Option<PathBuf>,
}

/// How players' tokens are verified (see [`crate::players`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlayersConfig {
    /// The `aud` every token must carry.
    pub audience: String,
    /// The `iss` every token must carry, when set.
    pub issuer: Option<String>,
    /// Clock skew allowed when checking `exp` and `nbf`, in seconds.
    pub leeway_s: u64,
    /// Longer tokens are refused before they are parsed.
    pub max_token_bytes: usize,
    /// Keys by id; several at once while rotating.
    pub keys: Vec<PlayerKey>,
}

impl Default for PlayersConfig {
    fn default() -> Self {
        PlayersConfig { audience: "xmarks".into(), issuer: None, leeway_s: 30, max_token_bytes: 4096, keys: Vec::new() }
    }
}

/// When ended sessions' logs are compacted to their summaries.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Sessions that ended this many seconds ago are compacted; 0 never compacts.
    pub compact_after_s: u64,
    /// Where a compacted session's full log goes: a file per session in this directory; without
    /// it, the log is deleted.
    pub archive_dir: Option<PathBuf>,
}

/// How the server protects itself from a failing or slow store (either kind).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// A store operation not answered in this many ms fails (and counts against the breaker).
    pub timeout_ms: u64,
    /// Most store operations under way at once; beyond it requests are refused at once (`503`),
    /// so that a slow store makes a bounded queue, not an unbounded one.
    pub max_in_flight: usize,
    /// Failures in a row that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the breaker stays open before probing the store, in ms.
    pub breaker_open_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig { timeout_ms: 2_000, max_in_flight: 1_024, breaker_failures: 5, breaker_open_ms: 1_000 }
    }
}

/// Limits on what clients may send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest HTTP body, except logs sent to `/v1/verify`.
    pub max_body_bytes: usize,
    /// Largest log accepted by `/v1/verify`.
    pub max_log_bytes: usize,
    /// Largest WebSocket message.
    pub max_message_bytes: usize,
    /// Most events in one batch (HTTP body or WebSocket message).
    pub max_batch_events: usize,
    /// Requests or messages per second a session (HTTP) or a connection (WebSocket) may send...
    pub rate_per_s: u32,
    /// ...with bursts of this many.
    pub burst: u32,
    /// A WebSocket connection refused this many messages in a row for flooding is closed.
    pub flood_close_after: u32,
    /// How far ahead of the server's clock an event's `t` may be, in ms (events carry the game's
    /// clock, which starts at the server's clock when the session opens).
    pub max_ahead_ms: u64,
    /// Sessions one player may open per minute (in a burst, then spread over the minute).
    pub sessions_per_player_per_min: u32,
    /// Sessions one client address may open per minute.
    pub sessions_per_address_per_min: u32,
    /// Active sessions one player may hold on this server at once.
    pub open_sessions_per_player: u32,
    /// Active sessions this server holds at once, for all players.
    pub open_sessions: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_log_bytes: 64 * 1024 * 1024,
            max_message_bytes: 64 * 1024,
            max_batch_events: 256,
            rate_per_s: 20,
            burst: 40,
            flood_close_after: 200,
            max_ahead_ms: 2_000,
            sessions_per_player_per_min: 30,
            sessions_per_address_per_min: 300,
            open_sessions_per_player: 3,
            open_sessions: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    /// Directory of the embedded store (and of the generated secret, when none is given).
    pub data_dir: PathBuf,
    /// Scale-out: when set, session logs and caps live in NATS JetStream instead of `data_dir`.
    pub nats: Option<NatsConfig>,
    /// Timeouts, the bound on operations in flight and the circuit breaker, for either store.
    pub store: StoreConfig,
    /// How players' tokens are verified.
    pub players: PlayersConfig,
    /// Compaction of ended sessions.
    pub retention: RetentionConfig,
    /// Development only: a player is whoever a request says (no token). Loud in the log.
    pub insecure_dev_players: bool,
    /// File holding the secret that signs session tokens. Required with NATS (every server must
    /// hold the same one); in embedded mode one is generated in `data_dir` when absent.
    pub secret_file: Option<PathBuf>,
    /// File holding the admin API's secret (at least 32 bytes), which admin requests present as
    /// `Authorization: Bearer`. When absent, one is generated in `data_dir/admin-secret`.
    pub admin_secret_file: Option<PathBuf>,
    /// The game's seed: with the round and the player, it personalises every hunt.
    pub game_seed: u64,
    pub world: WorldConfig,
    /// Templates by name; the built-in `harbour` and `sprint` when empty.
    pub templates: BTreeMap<String, TemplateFiles>,
    pub limits: Limits,
    /// Most events committed to the embedded store in one transaction.
    pub commit_batch: usize,
    /// Sessions nobody asked for in this many seconds leave memory; they are rebuilt by replay
    /// when asked for again. 0 keeps them until the server stops.
    pub evict_idle_s: u64,
    pub log_format: LogFormat,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: ([127, 0, 0, 1], 8080).into(),
            data_dir: PathBuf::from("xmarks-data"),
            nats: None,
            store: StoreConfig::default(),
            players: PlayersConfig::default(),
            retention: RetentionConfig::default(),
            insecure_dev_players: false,
            secret_file: None,
            admin_secret_file: None,
            game_seed: 1,
            world: WorldConfig::default(),
            templates: BTreeMap::new(),
            limits: Limits::default(),
            commit_batch: 4096,
            evict_idle_s: 600,
            log_format: LogFormat::Text,
        }
    }
}

fn default_world_seed() -> u64 {
    7
}

/// Command-line flags; each overrides the file's value.
#[derive(Debug, Parser)]
#[command(name = "xmarks-server", version, about = "Reference game server for the xmarks treasure-hunt engine")]
pub struct Args {
    /// TOML configuration file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Directory of the embedded store.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// NATS URL: keep sessions and caps in JetStream instead of the embedded store.
    #[arg(long)]
    pub nats: Option<String>,
    /// Subject, stream and bucket prefix in NATS.
    #[arg(long)]
    pub nats_prefix: Option<String>,
    /// File holding the token-signing secret.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// File holding the admin API's secret.
    #[arg(long)]
    pub admin_secret_file: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Development only: trust the player a request names, with no token. Never in production.
    #[arg(long)]
    pub insecure_dev_players: bool,
}

impl Config {
    /// Reads a configuration file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{}", path.display()))
    }

    /// The file named by `--config` (or the defaults), then the flags.
    pub fn from_args(args: Args) -> Result<Config> {
        let mut config = match &args.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        if let Some(listen) = args.listen {
            config.listen = listen;
        }
        if let Some(dir) = args.data_dir {
            config.data_dir = dir;
        }
        if let Some(url) = args.nats {
            let mut nats = config.nats.take().unwrap_or_default();
            nats.url = url;
            config.nats = Some(nats);
        }
        if let Some(prefix) = args.nats_prefix {
            match &mut config.nats {
                Some(nats) => nats.prefix = prefix,
                None => bail!("--nats-prefix needs --nats"),
            }
        }
        if let Some(file) = args.secret_file {
            config.secret_file = Some(file);
        }
        if let Some(file) = args.admin_secret_file {
            config.admin_secret_file = Some(file);
        }
        if let Some(format) = args.log_format {
            config.log_format = format;
        }
        config.insecure_dev_players |= args.insecure_dev_players;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<()> {
        let l = &self.limits;
        if l.max_batch_events == 0 || l.rate_per_s == 0 || l.burst == 0 || self.commit_batch == 0 {
            bail!("limits.max_batch_events, limits.rate_per_s, limits.burst and commit_batch must be at least 1");
        }
        if l.sessions_per_player_per_min == 0
            || l.sessions_per_address_per_min == 0
            || l.open_sessions_per_player == 0
            || l.open_sessions == 0
        {
            bail!("limits.sessions_per_player_per_min, sessions_per_address_per_min, open_sessions_per_player and open_sessions must be at least 1");
        }
        let s = &self.store;
        if s.timeout_ms == 0 || s.max_in_flight == 0 || s.breaker_failures == 0 || s.breaker_open_ms == 0 {
            bail!("store.timeout_ms, store.max_in_flight, store.breaker_failures and store.breaker_open_ms must be at least 1");
        }
        if let Some(nats) = &self.nats {
            if nats.url.trim().is_empty() {
                bail!("nats.url is required with [nats]");
            }
            if nats.password_file.is_some() != nats.user.is_some() {
                bail!("nats.user and nats.password_file go together");
            }
            if nats.partitions == 0 || nats.streams == 0 || nats.streams > nats.partitions {
                bail!("nats.partitions and nats.streams must be at least 1, with no more streams than partitions");
            }
            if nats.prefix.is_empty() || !nats.prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                bail!("nats.prefix must be letters, digits, '_' or '-'");
            }
            if self.secret_file.is_none() {
                bail!("with NATS, every server must share one secret: set secret_file (or --secret-file)");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_the_defaults() {
        let example: Config = toml::from_str(include_str!("../xmarks-server.example.toml")).unwrap();
        let default = Config::default();
        assert_eq!(format!("{example:?}"), format!("{default:?}"));
    }

    #[test]
    fn unknown_fields_and_nats_without_a_secret_are_refused() {
        assert!(toml::from_str::<Config>("listen = \"127.0.0.1:1\"\nlimit = 3").is_err());
        let mut config: Config = toml::from_str("[nats]\nurl = \"nats://127.0.0.1:4222\"").unwrap();
        assert!(config.check().is_err());
        config.secret_file = Some("secret".into());
        assert!(config.check().is_ok());
        let mut no_url: Config = toml::from_str("secret_file = \"secret\"\n[nats]\nprefix = \"p\"").unwrap();
        assert!(no_url.check().unwrap_err().to_string().contains("nats.url"));
        no_url.nats.as_mut().unwrap().url = "nats://127.0.0.1:4222".into();
        assert!(no_url.check().is_ok());
    }
}
