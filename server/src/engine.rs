//! The authoritative game: the world, the templates offered by name, and live sessions.
//!
//! Every session is a core [`Session`] behind its own lock, so a session's events are applied one
//! batch at a time, in order, while different sessions proceed in parallel. A batch is applied to
//! a copy of the session; the copy replaces the session only once its log lines are durable, so a
//! failed write changes nothing. Global caps are resolved here: a capped rule's
//! [`Outcome::Claim`] is counted in the store and answered with a `claim_result` event, which is
//! logged like any other.

use crate::auth::{new_session_id, Keys};
use crate::config::{Limits, RetentionConfig};
use crate::metrics::Metrics;
use crate::players::{Identity, Players};
use crate::store::{Shared, Store, StoreError, Stored};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex as AsyncMutex;
use xmarks::rules::Ruleset;
use xmarks::session::{log, Event, Outcome, Rejection, Session, Status};
use xmarks::{generate, Coded, Player, Position, Seeds, Template, World};

/// A template offered by name, and the rules its sessions play under.
pub struct Game {
    pub template: Template,
    pub rules: Arc<Ruleset>,
}

/// An error answered to a client: a stable code, a message, and where in the input, if anywhere.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Seconds to wait before trying again (also sent as `Retry-After`), when it is worth it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into(), path: None, retry_after_s: None }
    }

    pub fn at(code: &'static str, message: impl Into<String>, path: impl Into<String>) -> ApiError {
        ApiError { path: Some(path.into()), ..ApiError::new(code, message) }
    }

    pub fn retry_after(self, wait: std::time::Duration) -> ApiError {
        // Whole seconds, rounded up: `Retry-After: 0` would invite an immediate retry.
        let seconds = wait.as_millis().div_ceil(1000).max(1) as u64;
        ApiError { retry_after_s: Some(seconds), ..self }
    }

    pub fn from_coded<E: Coded + std::fmt::Display>(e: &E) -> ApiError {
        ApiError { path: e.path(), ..ApiError::new(e.code(), e.to_string()) }
    }

    fn not_found() -> ApiError {
        ApiError::new("not_found", "no such session")
    }

    fn compacted() -> ApiError {
        ApiError::new("compacted", "this session's log was compacted: see its summary (/summary)")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let error = ApiError::new("unavailable", e.to_string());
        match e.retry_after() {
            Some(wait) => error.retry_after(wait),
            None => error,
        }
    }
}

/// Why one event of a batch was refused; the others are unaffected.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl From<&Rejection> for Refusal {
    fn from(r: &Rejection) -> Refusal {
        Refusal { code: r.code(), reason: r.to_string(), path: r.path() }
    }
}

/// What became of one event.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum EventResult {
    Accepted {
        /// The session's seq after this event (and the host's events it caused).
        seq: u64,
        outcomes: Vec<Outcome>,
        /// Events the server appended because of this one (`claim_result`s), in log order: a
        /// client mirroring the session applies them after its own event.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        host_events: Vec<Event>,
        /// Stages this event found, with their sites: the hunt the player was given shows no
        /// site of a stage not yet found.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        revealed: Vec<Revealed>,
    },
    Rejected {
        rejected: Refusal,
    },
}

/// A stage found, and its site: what the player's view of the hunt committed to.
#[derive(Debug, Clone, Serialize)]
pub struct Revealed {
    pub number: u32,
    pub site: xmarks::Site,
}

/// The answer to a batch of events, once every accepted one is durable.
#[derive(Debug, Serialize)]
pub struct Submitted {
    pub results: Vec<EventResult>,
    pub seq: u64,
    pub state_hash: String,
    pub status: &'static str,
    /// Once the session has ended: the salt of its hunt's commitments, to check them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    pub template: String,
    pub player: PlayerRequest,
    #[serde(default = "first_round")]
    pub round: u64,
}

/// The player as a request describes them: where they stand. Who they are and what they have
/// earned come from their token; only with `--insecure-dev-players` from here.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlayerRequest {
    #[serde(default)]
    pub id: Option<String>,
    /// `{"x", "y"}` on a planar world, `{"lon", "lat"}` on an Earth world.
    pub start: Position,
    #[serde(default)]
    pub level: Option<u32>,
    #[serde(default)]
    pub found: Option<Vec<String>>,
    #[serde(default)]
    pub interests: Option<BTreeMap<String, f64>>,
}

fn first_round() -> u64 {
    1
}

#[derive(Debug, Serialize)]
pub struct Created {
    pub session: String,
    pub token: String,
    pub started_ms: u64,
    pub state_hash: String,
    pub hunt: Box<RawValue>,
}

#[derive(Debug, Serialize)]
pub struct View {
    pub session: String,
    pub seq: u64,
    pub status: &'static str,
    pub state_hash: String,
    pub fingerprint: String,
    pub state: xmarks::session::State,
    /// Once the session has ended: the salt of its hunt's commitments, to check them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
}

/// What a replayed log rebuilt, or where it broke.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
}

/// What a player has done, as their sessions' logs say: a projection rebuilt by replay, the same
/// on every server that reads the same store.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Profile {
    pub player: String,
    pub sessions: u64,
    pub active: u64,
    pub completed: u64,
    pub failed: u64,
    pub points: i64,
    pub items: BTreeMap<String, u64>,
    /// Ids of every site they found, sorted: never in one of their hunts again.
    pub sites_found: Vec<String>,
}

/// One session's part of its player's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Contribution {
    pub status: Status,
    pub points: i64,
    pub items: BTreeMap<String, u64>,
    pub sites_found: Vec<String>,
}

impl Contribution {
    fn of(session: &Session) -> Contribution {
        let state = session.state();
        let found = session.hunt().stages.iter().take(state.stage as usize);
        Contribution {
            status: state.status,
            points: state.points,
            items: state.items.clone(),
            sites_found: found.map(|stage| stage.site.id.clone()).collect(),
        }
    }
}

/// What is kept of a session once its log is compacted or its player erased: its outcome and
/// final state hash, its player by key only (a keyed hash of the id).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub session: String,
    pub player_key: String,
    pub seq: u64,
    pub state_hash: String,
    pub fingerprint: String,
    /// Status, points, items and sites found: its part of its player's profile.
    #[serde(flatten)]
    pub outcome: Contribution,
    /// The time of its last event (ms).
    pub ended_ms: u64,
    /// The file its full log was archived to, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
}

impl Profile {
    fn add(&mut self, part: &Contribution) {
        self.sessions += 1;
        match part.status {
            Status::Active => self.active += 1,
            Status::Completed => self.completed += 1,
            Status::Failed => self.failed += 1,
        }
        self.points += part.points;
        for (item, n) in &part.items {
            *self.items.entry(item.clone()).or_default() += n;
        }
        self.sites_found.extend(part.sites_found.iter().cloned());
    }
}

struct Live {
    session: Session,
    /// The store's version of the log this copy reflects.
    version: u64,
    /// A write of this session failed without an answer (it may have been stored after all):
    /// the copy is re-read from the store before it is used again.
    stale: bool,
}

/// Active sessions held, by player and in all (the limits on opening sessions read them).
#[derive(Default)]
struct Open {
    by_player: HashMap<String, u32>,
    total: u64,
}

/// A session held in memory, and when it was last asked for.
struct Slot {
    live: AsyncMutex<Live>,
    /// Milliseconds since the engine started.
    touched: AtomicU64,
}

/// A team member's accepted event, as their teammates' connections are told it.
#[derive(Serialize)]
struct TeammatePush<'a> {
    push: &'static str,
    member: &'a str,
    seq: u64,
    event: &'a Event,
    outcomes: &'a [Outcome],
    revealed: &'a [Revealed],
    /// The team's, after the event.
    points: i64,
    stage: u32,
    status: &'static str,
}

/// What a team's members did, for their teammates: (member, push).
type Feed = tokio::sync::broadcast::Sender<(Arc<str>, axum::extract::ws::Utf8Bytes)>;

/// Appends that find another server wrote first are retried this many times.
const CONFLICT_RETRIES: u32 = 5;

pub struct Engine {
    world: World,
    games: BTreeMap<String, Game>,
    game_seed: u64,
    store: Arc<Store>,
    keys: Keys,
    sessions: Mutex<HashMap<String, Arc<Slot>>>,
    open: Mutex<Open>,
    /// Profile parts of sessions that have ended: they never change again.
    ended: Mutex<HashMap<String, Arc<Contribution>>>,
    /// Ended sessions this server knows of and has not compacted yet, with when they ended; kept
    /// only when retention is on.
    to_compact: Mutex<HashMap<String, u64>>,
    retention: RetentionConfig,
    /// Players being erased here: no new session for them meanwhile.
    erasing: Mutex<std::collections::HashSet<String>>,
    players: Players,
    epoch: Instant,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Live events: their catalogue, windows, leaderboards and outbox.
    pub live: crate::live::Live,
    /// Per team session with a member connected: what its members' accepted events did, for
    /// their teammates' connections.
    feeds: Arc<Mutex<HashMap<String, Feed>>>,
    /// One start at a time per team on this server.
    pub(crate) team_locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn active(session: &Session) -> bool {
    session.state().status == Status::Active
}

/// What an engine is made of; see [`crate::build`].
pub struct Parts {
    pub world: World,
    pub games: BTreeMap<String, Game>,
    pub game_seed: u64,
    pub store: Arc<Store>,
    /// Signs and checks session tokens.
    pub keys: Keys,
    /// Tells who a player is.
    pub players: Players,
    pub limits: Limits,
    pub retention: RetentionConfig,
    pub metrics: Metrics,
    /// What the admin API's requests must present.
    pub admin_secret: Vec<u8>,
}

impl Engine {
    pub fn new(parts: Parts) -> Engine {
        let Parts { world, games, game_seed, store, keys, players, limits, retention, metrics, admin_secret } = parts;
        Engine {
            world,
            games,
            game_seed,
            store,
            keys,
            sessions: Mutex::new(HashMap::new()),
            open: Mutex::new(Open::default()),
            ended: Mutex::new(HashMap::new()),
            to_compact: Mutex::new(HashMap::new()),
            retention,
            erasing: Mutex::new(Default::default()),
            players,
            epoch: Instant::now(),
            metrics,
            limits,
            live: crate::live::Live::new(&admin_secret),
            feeds: Arc::default(),
            team_locks: Mutex::new(HashMap::new()),
        }
    }

    pub fn game(&self, name: &str) -> Option<&Game> {
        self.games.get(name)
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn game_seed(&self) -> u64 {
        self.game_seed
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn template_names(&self) -> Vec<&str> {
        self.games.keys().map(String::as_str).collect()
    }

    /// Sessions held in memory.
    pub fn session_count(&self) -> usize {
        self.sessions.lock().expect("sessions lock").len()
    }

    /// Rebuilds sessions from their logs by replay (the embedded store at start).
    pub fn restore(&self, logs: Vec<(String, String)>) -> anyhow::Result<()> {
        for (id, text) in logs {
            let replay = log::replay(&text).map_err(|e| anyhow::anyhow!("session {id}: {e}"))?;
            let version = replay.session.state().seq;
            self.hold(id, Live { session: replay.session, version, stale: false }, false);
        }
        Ok(())
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Holds a session in memory (unless another request just did) and returns its slot.
    /// `reserved`: its place among the open sessions was taken by [`Engine::reserve`].
    fn hold(&self, id: String, live: Live, reserved: bool) -> Arc<Slot> {
        let mut sessions = self.sessions.lock().expect("sessions lock");
        let slot = sessions.entry(id.clone()).or_insert_with(|| {
            if active(&live.session) && !reserved {
                self.opened(&live.session.hunt().player);
            }
            if !active(&live.session) {
                self.ended_at(id, live.session.state().t);
            }
            Arc::new(Slot { live: AsyncMutex::new(live), touched: AtomicU64::new(self.now()) })
        });
        Arc::clone(slot)
    }

    /// A session ended at `t`: a candidate for compaction, if sessions are ever compacted.
    fn ended_at(&self, id: String, t: u64) {
        if self.retention.compact_after_s > 0 {
            self.to_compact.lock().expect("compact lock").insert(id, t);
        }
    }

    fn opened(&self, player: &str) {
        let mut open = self.open.lock().expect("open lock");
        *open.by_player.entry(player.to_owned()).or_default() += 1;
        open.total += 1;
        self.metrics.sessions_open.inc();
    }

    /// An active session left memory or ended.
    fn closed(&self, player: &str) {
        let mut open = self.open.lock().expect("open lock");
        if let Some(count) = open.by_player.get_mut(player) {
            *count -= 1;
            if *count == 0 {
                open.by_player.remove(player);
            }
            open.total -= 1;
            self.metrics.sessions_open.dec();
        }
    }

    /// Takes a place for a new session of `player`, or says which cap refuses it.
    fn reserve(&self, player: &str) -> Result<(), ApiError> {
        {
            let open = self.open.lock().expect("open lock");
            if open.total >= self.limits.open_sessions {
                return Err(ApiError::new(
                    "server_full",
                    format!("this server holds {} active sessions, its most; try again later", open.total),
                )
                .retry_after(std::time::Duration::from_secs(30)));
            }
            let mine = open.by_player.get(player).copied().unwrap_or(0);
            if mine >= self.limits.open_sessions_per_player {
                return Err(ApiError::new(
                    "too_many_open",
                    format!("{mine} sessions of this player are still active here, the most; finish one first"),
                ));
            }
        }
        self.opened(player);
        Ok(())
    }

    /// Lets go of sessions nobody asked for in `idle`; they are rebuilt by replay when asked for
    /// again. A session some request is using is kept.
    pub fn evict_idle(&self, idle: std::time::Duration) -> usize {
        let cutoff = self.now().saturating_sub(idle.as_millis() as u64);
        let mut sessions = self.sessions.lock().expect("sessions lock");
        let before = sessions.len();
        sessions.retain(|_, slot| {
            // Requests take their reference under this lock, so a count of one means no user.
            if Arc::strong_count(slot) > 1 || slot.touched.load(Ordering::Relaxed) > cutoff {
                return true;
            }
            match slot.live.try_lock() {
                Ok(live) => {
                    if active(&live.session) {
                        self.closed(&live.session.hunt().player);
                    }
                    false
                }
                Err(_) => true,
            }
        });
        before - sessions.len()
    }

    /// Checks a session's token: the session's own (`None`), or a team member's for a team's
    /// session (`Some(member)`: that member sends the events).
    pub fn authorize(&self, id: &str, token: Option<&str>) -> Result<Option<String>, ApiError> {
        match token {
            Some(token) if self.keys.verify(id, token) => Ok(None),
            Some(token) if let Some(member) = self.keys.verify_member(id, token) => Ok(Some(member)),
            Some(_) => Err(ApiError::new("unauthorized", "the token does not grant this session")),
            None => Err(ApiError::new("unauthorized", "a session token is required (Authorization: Bearer ...)")),
        }
    }

    /// Who is asking, from their token (`Authorization: Bearer`), or nobody in particular with
    /// `--insecure-dev-players`.
    pub async fn identify(&self, token: Option<&str>) -> Result<Option<Identity>, ApiError> {
        match (&self.players, token) {
            (Players::Insecure, _) => Ok(None),
            (Players::Tokens(verifier), Some(token)) => {
                let identity = verifier.verify(token)?;
                self.refuse_erased(&identity.id).await?;
                Ok(Some(identity))
            }
            (Players::Tokens(_), None) => Err(ApiError::new(
                "token_missing",
                "a player token from the game's backend is required (Authorization: Bearer ...)",
            )),
        }
    }

    pub fn players_insecure(&self) -> bool {
        self.players.insecure()
    }

    /// The player a request is for: from their token, the request giving only where they stand;
    /// or, with no token (`--insecure-dev-players`), all from the request.
    /// The sites they found come from the server's profile of them (and, with no token, from the
    /// request too).
    pub(crate) async fn player_for(
        &self,
        request: &PlayerRequest,
        identity: Option<&Identity>,
    ) -> Result<Player, ApiError> {
        let start = request.start;
        let Some(identity) = identity else {
            let id = request
                .id
                .clone()
                .ok_or_else(|| ApiError::at("malformed", "the player's id is missing", "player.id"))?;
            crate::players::check_id(&id).map_err(|why| ApiError::at("malformed", why, "player.id"))?;
            self.refuse_erased(&id).await?;
            let level = request.level.unwrap_or(1);
            let mut found = self.profile(&id).await?.sites_found;
            found.extend(request.found.iter().flatten().cloned());
            let interests = request.interests.clone().unwrap_or_default();
            return Ok(Player::new(id, start).with_level(level).with_found(found).with_interests(interests));
        };
        let vouched = |field: &str| {
            ApiError::at(
                "identity_in_body",
                format!("the player's {field} comes from their token, not from the request"),
                format!("player.{field}"),
            )
        };
        match request {
            PlayerRequest { id: Some(id), .. } if *id != identity.id => return Err(vouched("id")),
            PlayerRequest { level: Some(_), .. } => return Err(vouched("level")),
            PlayerRequest { found: Some(_), .. } => return Err(vouched("found")),
            PlayerRequest { interests: Some(_), .. } => return Err(vouched("interests")),
            _ => {}
        }
        let found = self.profile(&identity.id).await?.sites_found;
        Ok(Player::new(identity.id.clone(), start)
            .with_level(identity.level.unwrap_or(1))
            .with_found(found)
            .with_interests(identity.interests.clone().unwrap_or_default()))
    }

    /// A player's profile, from their sessions: ended ones from memory once read, active ones
    /// as they stand now.
    pub async fn profile(&self, player: &str) -> Result<Profile, ApiError> {
        let mut profile = Profile { player: player.to_owned(), ..Profile::default() };
        for id in self.store.sessions_of(player).await? {
            if let Some(part) = self.contribution(&id).await? {
                profile.add(&part);
            }
        }
        profile.sites_found.sort();
        profile.sites_found.dedup();
        Ok(profile)
    }

    async fn contribution(&self, id: &str) -> Result<Option<Arc<Contribution>>, ApiError> {
        if let Some(part) = self.ended.lock().expect("ended lock").get(id) {
            return Ok(Some(Arc::clone(part)));
        }
        let held = self.sessions.lock().expect("sessions lock").get(id).cloned();
        let part = match held {
            Some(slot) => {
                let mut live = slot.live.lock().await;
                match self.refresh(id, &mut live).await {
                    Ok(()) => Contribution::of(&live.session),
                    Err(e) if e.code == "compacted" => match self.summary(id).await? {
                        Some(summary) => summary.outcome,
                        None => return Ok(None),
                    },
                    Err(e) if e.code == "not_found" => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
            // Replayed without being held: reading a profile does not fill memory.
            None => match self.store.load(id).await? {
                Some(stored) => Contribution::of(&rebuild(&stored)?.session),
                None => match self.summary(id).await? {
                    Some(summary) => summary.outcome,
                    None => return Ok(None),
                },
            },
        };
        let part = Arc::new(part);
        if part.status != Status::Active {
            self.ended.lock().expect("ended lock").insert(id.to_owned(), Arc::clone(&part));
        }
        Ok(Some(part))
    }

    fn hunt_for(&self, request: &CreateRequest, player: &Player) -> Result<(xmarks::Hunt, &Game), ApiError> {
        let game = self.games.get(&request.template).ok_or_else(|| {
            ApiError::at(
                "unknown_template",
                format!("no template {:?}; this server offers {:?}", request.template, self.template_names()),
                "template",
            )
        })?;
        let seeds = Seeds { game: self.game_seed, round: request.round };
        let hunt = generate(&self.world, &game.template, &seeds, player).map_err(|e| ApiError::from_coded(&e))?;
        Ok((hunt, game))
    }

    /// The view of a hunt for a player, without a session (its salt is never revealed).
    pub async fn hunt(&self, request: &CreateRequest, identity: Option<&Identity>) -> Result<String, ApiError> {
        let player = self.player_for(&request.player, identity).await?;
        let (hunt, _) = self.hunt_for(request, &player)?;
        Ok(hunt.player_view(&self.keys.salt(&hunt.fingerprint), 0).canonical_json())
    }

    /// The salt of a session's hunt view, once the session has ended.
    fn revealed_salt(&self, id: &str, session: &Session) -> Option<String> {
        (!active(session)).then(|| self.keys.salt(id))
    }

    /// Whether a session's log (whose header holds the whole hunt) may be read with its own
    /// token: once it has ended, or always in development mode.
    pub async fn log_readable(&self, id: &str) -> Result<bool, ApiError> {
        if self.players.insecure() {
            return Ok(true);
        }
        let slot = self.live(id).await?;
        let live = slot.live.lock().await;
        Ok(!active(&live.session))
    }

    /// Generates the player's hunt and opens a session on it, durable before it is answered.
    pub async fn create(&self, request: CreateRequest, identity: Option<&Identity>) -> Result<Created, ApiError> {
        let player = self.player_for(&request.player, identity).await?;
        let (hunt, game) = self.hunt_for(&request, &player)?;
        let created = self.open_session(new_session_id(), hunt, Arc::clone(&game.rules), now_ms()).await?;
        tracing::info!(session = %created.session, template = %request.template, player = %self.keys.player_key(&player.id), "session opened");
        Ok(created)
    }

    /// Opens session `id` on `hunt`, durable before it is answered.
    pub(crate) async fn open_session(
        &self,
        id: String,
        hunt: xmarks::Hunt,
        rules: Arc<Ruleset>,
        started_ms: u64,
    ) -> Result<Created, ApiError> {
        let player = hunt.player.clone();
        self.reserve(&player)?;
        let session = Session::new(hunt, rules, started_ms);
        let version = match self.store.create(&id, &player, log::header(&session)).await {
            Ok(version) => version,
            Err(e) => {
                self.closed(&player);
                return Err(e.into());
            }
        };
        let created = Created {
            token: self.keys.token(&id),
            started_ms,
            state_hash: session.state_hash(),
            hunt: RawValue::from_string(session.hunt().player_view(&self.keys.salt(&id), 0).canonical_json())
                .expect("canonical JSON"),
            session: id.clone(),
        };
        self.hold(id, Live { session, version, stale: false }, true);
        Ok(created)
    }

    /// A session's hunt as its players see it: the stages found so far show their sites.
    pub(crate) async fn hunt_view(&self, id: &str) -> Result<Box<RawValue>, ApiError> {
        let slot = self.live(id).await?;
        let mut live = slot.live.lock().await;
        self.refresh(id, &mut live).await?;
        let s = &live.session;
        let view = s.hunt().player_view(&self.keys.salt(id), s.state().stage).canonical_json();
        Ok(RawValue::from_string(view).expect("canonical JSON"))
    }

    /// The player a session is for.
    pub(crate) async fn session_player(&self, id: &str) -> Result<String, ApiError> {
        let slot = self.live(id).await?;
        let live = slot.live.lock().await;
        Ok(live.session.hunt().player.clone())
    }

    /// An event session's result, once it has ended.
    pub(crate) async fn finish_of(&self, id: &str) -> Result<Option<xmarks::live::Finish>, ApiError> {
        let slot = match self.live(id).await {
            Ok(slot) => slot,
            Err(e) if e.code == "not_found" => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut live = slot.live.lock().await;
        // Another server may have ended it since.
        self.refresh(id, &mut live).await?;
        Ok(xmarks::live::Finish::of(&live.session))
    }

    /// Ends an event session when its window closes (at `end`, or at its last event if later),
    /// with a `window_closed` host event in its log; one that has ended already is left as it is.
    pub(crate) async fn close_session(&self, id: &str, end: u64) -> Result<(), ApiError> {
        let t = {
            let slot = self.live(id).await?;
            let mut live = slot.live.lock().await;
            self.refresh(id, &mut live).await?;
            if !active(&live.session) {
                return Ok(());
            }
            end.max(live.session.state().t)
        };
        self.submit_as(id, None, vec![Ok(Event::WindowClosed { t })], true).await.map(drop)
    }

    /// The live session `id`, rebuilt from the store by replay if this server does not hold it.
    async fn live(&self, id: &str) -> Result<Arc<Slot>, ApiError> {
        if let Some(slot) = self.sessions.lock().expect("sessions lock").get(id) {
            slot.touched.store(self.now(), Ordering::Relaxed);
            return Ok(Arc::clone(slot));
        }
        let Some(stored) = self.store.load(id).await? else { return Err(self.missing(id).await) };
        Ok(self.hold(id.to_owned(), rebuild(&stored)?, false))
    }

    /// Whether the session exists (rebuilding it here if needed).
    pub async fn exists(&self, id: &str) -> Result<(), ApiError> {
        self.live(id).await.map(|_| ())
    }

    /// Reloads a session that other servers may have written since this one last did.
    async fn refresh(&self, id: &str, live: &mut Live) -> Result<(), ApiError> {
        if live.stale {
            return self.reload(id, live).await;
        }
        match self.store.shared_version(id).await? {
            Shared::At(version) if version != live.version => self.reload(id, live).await,
            Shared::Missing => Err(self.gone(id, live).await),
            _ => Ok(()),
        }
    }

    async fn reload(&self, id: &str, live: &mut Live) -> Result<(), ApiError> {
        let was_active = active(&live.session);
        let Some(stored) = self.store.load(id).await? else { return Err(self.gone(id, live).await) };
        *live = rebuild(&stored)?;
        self.count_transition(id, was_active, &live.session);
        Ok(())
    }

    /// A session held here whose log another server compacted (or erased): it leaves memory,
    /// and the answer says what became of it.
    async fn gone(&self, id: &str, live: &Live) -> ApiError {
        if self.sessions.lock().expect("sessions lock").remove(id).is_some() && active(&live.session) {
            self.closed(&live.session.hunt().player);
        }
        self.missing(id).await
    }

    /// Why a session has no log: it was compacted (a summary is left), or there is no such session.
    async fn missing(&self, id: &str) -> ApiError {
        match self.summary(id).await {
            Ok(Some(_)) => ApiError::compacted(),
            Ok(None) => ApiError::not_found(),
            Err(e) => e,
        }
    }

    fn count_transition(&self, id: &str, was_active: bool, now: &Session) {
        if was_active && !active(now) {
            self.closed(&now.hunt().player);
            self.ended_at(id.to_owned(), now.state().t);
        }
    }

    pub async fn view(&self, id: &str) -> Result<View, ApiError> {
        let slot = self.live(id).await?;
        let mut live = slot.live.lock().await;
        self.refresh(id, &mut live).await?;
        let s = &live.session;
        Ok(View {
            session: id.to_owned(),
            seq: s.state().seq,
            status: s.state().status.name(),
            state_hash: s.state_hash(),
            fingerprint: s.hunt().fingerprint.clone(),
            state: s.state().clone(),
            salt: self.revealed_salt(id, s),
        })
    }

    /// The session's log as stored (JSON Lines).
    pub async fn log(&self, id: &str) -> Result<String, ApiError> {
        match self.store.load(id).await? {
            Some(stored) => Ok(stored.log),
            None => Err(self.missing(id).await),
        }
    }

    /// What is kept of a compacted session.
    pub async fn summary(&self, id: &str) -> Result<Option<Summary>, ApiError> {
        let Some(text) = self.store.summary(id).await? else { return Ok(None) };
        let summary = serde_json::from_str(&text)
            .map_err(|e| ApiError::new("internal", format!("a stored summary does not read: {e}")))?;
        Ok(Some(summary))
    }

    async fn refuse_erased(&self, player: &str) -> Result<(), ApiError> {
        if self.erasing.lock().expect("erasing lock").contains(player) || self.store.is_erased(player).await? {
            return Err(ApiError::new("token_player_erased", "this player was erased"));
        }
        Ok(())
    }

    /// Replaces a session's log by its summary. Retiring an ended session archives its log to
    /// a file first (fsynced) when given a directory; erasing one (whatever its state) keeps no
    /// log and no archive, and its summary names no player.
    async fn compact(&self, id: &str, how: Compaction<'_>) -> Result<bool, ApiError> {
        let erase = matches!(how, Compaction::Erase);
        let Some(stored) = self.store.load(id).await? else {
            // Compacted already: erasing it still removes its archive and its player's key.
            if let (Some(mut summary), true) = (self.summary(id).await?, erase) {
                if let Some(file) = summary.archive.take() {
                    remove_archive(&file)?;
                }
                summary.player_key = ERASED.into();
                let text = serde_json::to_string(&summary).expect("summaries serialise");
                self.store.compact(id, ERASED, text).await?;
            }
            return Ok(false);
        };
        let session = rebuild(&stored)?.session;
        if active(&session) && !erase {
            return Ok(false);
        }
        let state = session.state();
        let player = session.hunt().player.clone();
        let archived = match how {
            Compaction::Retire { archive: Some(dir) } => Some(write_archive(dir, id, stored.log).await?),
            _ => None,
        };
        let player_key = if erase { ERASED.to_owned() } else { self.keys.player_key(&player) };
        let summary = Summary {
            session: id.to_owned(),
            player_key: player_key.clone(),
            seq: state.seq,
            state_hash: session.state_hash(),
            fingerprint: session.hunt().fingerprint.clone(),
            outcome: Contribution::of(&session),
            ended_ms: state.t,
            archive: archived,
        };
        let text = serde_json::to_string(&summary).expect("summaries serialise");
        self.store.compact(id, &player_key, text).await?;
        if let Some(slot) = self.sessions.lock().expect("sessions lock").remove(id) {
            if let Ok(live) = slot.live.try_lock() {
                if active(&live.session) {
                    self.closed(&player);
                }
            }
        }
        self.ended.lock().expect("ended lock").insert(id.to_owned(), Arc::new(summary.outcome));
        self.metrics.compacted.inc();
        Ok(true)
    }

    /// Compacts the ended sessions this server knows of that ended more than
    /// `retention.compact_after_s` ago; returns how many.
    pub async fn compact_ended(&self) -> usize {
        let archive = self.retention.archive_dir.as_deref();
        let cutoff = now_ms().saturating_sub(self.retention.compact_after_s * 1000);
        let due: Vec<String> = {
            let to_compact = self.to_compact.lock().expect("compact lock");
            to_compact.iter().filter(|(_, &ended)| ended <= cutoff).map(|(id, _)| id.clone()).collect()
        };
        // Many at once, so that the store's group commit covers many compactions per write.
        use futures_util::stream::{self, StreamExt as _};
        let results: Vec<(String, Result<bool, ApiError>)> = stream::iter(due)
            .map(|id| async move {
                let result = self.compact(&id, Compaction::Retire { archive }).await;
                (id, result)
            })
            .buffer_unordered(32)
            .collect()
            .await;
        let mut compacted = 0;
        for (id, result) in results {
            match result {
                Ok(done) => {
                    compacted += usize::from(done);
                    self.to_compact.lock().expect("compact lock").remove(&id);
                }
                Err(e) => tracing::warn!(session = %id, "compaction: {}", e.message),
            }
        }
        compacted
    }

    /// Erases a player: every session of theirs is replaced by its summary (which names them only
    /// by a keyed hash), archives of their logs are deleted, the list of their sessions is
    /// forgotten and their tokens are refused from then on. Other players' logs never hold their
    /// data, so they verify as before; leaderboards keep the summaries' points.
    pub async fn erase_player(&self, player: &str) -> Result<usize, ApiError> {
        self.erasing.lock().expect("erasing lock").insert(player.to_owned());
        let result = async {
            let ids = self.store.sessions_of(player).await?;
            for id in &ids {
                self.compact(id, Compaction::Erase).await?;
                self.to_compact.lock().expect("compact lock").remove(id);
            }
            self.store.erase(player).await?;
            tracing::info!(sessions = ids.len(), "a player was erased");
            Ok::<_, ApiError>(ids.len())
        }
        .await;
        self.erasing.lock().expect("erasing lock").remove(player);
        result
    }

    /// Applies a batch of events in order, made by `member` in a team's session. Each is
    /// accepted or refused on its own; the accepted ones are durable before this returns. On a
    /// storage error nothing changed. The team's other members' connections hear of the
    /// accepted ones ([`Engine::team_feed`]).
    pub async fn submit(
        &self,
        id: &str,
        member: Option<&str>,
        events: Vec<Result<Event, Refusal>>,
    ) -> Result<Submitted, ApiError> {
        self.submit_as(id, member, events, false).await
    }

    /// [`Engine::submit`]; `host`: the server's own events (which clients may not send).
    async fn submit_as(
        &self,
        id: &str,
        member: Option<&str>,
        events: Vec<Result<Event, Refusal>>,
        host: bool,
    ) -> Result<Submitted, ApiError> {
        let started = Instant::now();
        // An event session takes no event after its window's end.
        let closes = if host { None } else { self.live.window_of(id) };
        let slot = self.live(id).await?;
        let mut live = slot.live.lock().await;
        if live.stale {
            self.reload(id, &mut live).await?;
        }
        // Claims decided in an attempt that lost a race stay decided: a cap counts each claim once.
        let mut claims = BTreeMap::new();
        let mut attempt = 0;
        let (next, results, version) = loop {
            let mut next = live.session.clone();
            let mut lines = Vec::new();
            let mut results = Vec::with_capacity(events.len());
            for event in &events {
                results.push(match event {
                    Err(refusal) => EventResult::Rejected { rejected: refusal.clone() },
                    Ok(event) => match &closes {
                        Some((window, end)) if event.t() > *end || now_ms() > *end => EventResult::Rejected {
                            rejected: Refusal {
                                code: "window_closed",
                                reason: format!("window {window} closed at {end} ms"),
                                path: Some("t".into()),
                            },
                        },
                        _ => self.play(&mut next, member, event, &mut lines, &mut claims, host).await?,
                    },
                });
            }
            let outcome = if lines.is_empty() {
                // Nothing to write; but a refusal must not come from a stale copy.
                match self.store.shared_version(id).await? {
                    Shared::At(version) if version != live.version => Err(StoreError::Conflict),
                    Shared::Missing => return Err(self.gone(id, &live).await),
                    _ => Ok(live.version),
                }
            } else {
                self.store.append(id, live.version, lines).await
            };
            match outcome {
                Ok(version) => break (next, results, version),
                Err(StoreError::Conflict) if attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    self.metrics.conflicts.inc();
                    self.reload(id, &mut live).await?;
                }
                Err(e) => {
                    if let StoreError::Unavailable(_) = e {
                        live.stale = true;
                    }
                    return Err(e.into());
                }
            }
        };
        for result in &results {
            self.metrics.event(match result {
                EventResult::Accepted { .. } => None,
                EventResult::Rejected { rejected } => Some(rejected.code),
            });
        }
        let ended = active(&live.session) && !active(&next);
        self.count_transition(id, active(&live.session), &next);
        live.session = next;
        live.version = version;
        if let (true, Some(finish)) = (ended, xmarks::live::Finish::of(&live.session)) {
            self.session_ended(id, finish).await;
        }
        let s = &live.session;
        if let Some(member) = member.filter(|_| !s.hunt().members.is_empty()) {
            self.tell_team(id, member, &events, &results, s).await;
        }
        let submitted = Submitted {
            results,
            seq: s.state().seq,
            state_hash: s.state_hash(),
            status: s.state().status.name(),
            salt: self.revealed_salt(id, s),
        };
        self.metrics.event_seconds.observe(started.elapsed().as_secs_f64());
        Ok(submitted)
    }

    /// Applies one client event to `next`, resolving the claims it raises.
    async fn play(
        &self,
        next: &mut Session,
        member: Option<&str>,
        event: &Event,
        lines: &mut Vec<String>,
        claims: &mut BTreeMap<String, bool>,
        host: bool,
    ) -> Result<EventResult, ApiError> {
        let refuse = |code, path: &str, reason: String| {
            Ok(EventResult::Rejected { rejected: Refusal { code, reason, path: Some(path.into()) } })
        };
        if !host && crate::live::host_only(event) {
            return refuse("host_only", "type", format!("{} events are the server's to send", event.kind()));
        }
        let ahead = event.t().saturating_sub(now_ms());
        if ahead > self.limits.max_ahead_ms {
            return refuse("ahead_of_clock", "t", format!("{ahead} ms ahead of the server's clock"));
        }
        let found_before = next.state().stage;
        let (first, json) = match next.apply_canonical_by(member, event) {
            Ok(applied) => applied,
            Err(r) => return Ok(EventResult::Rejected { rejected: Refusal::from(&r) }),
        };
        lines.push(log::line_from_json(next, &json));
        let mut outcomes = Vec::new();
        let mut host_events = Vec::new();
        let mut pending: VecDeque<Outcome> = first.into();
        while let Some(outcome) = pending.pop_front() {
            if let Outcome::Claim { claim, cap, limit, .. } = &outcome {
                let granted = match claims.get(claim) {
                    Some(&granted) => granted,
                    None => {
                        let granted = self.store.claim(cap, *limit).await?;
                        self.metrics.claims.get_or_create(&crate::metrics::ClaimLabels { granted }).inc();
                        claims.insert(claim.clone(), granted);
                        granted
                    }
                };
                let answer = Event::ClaimResult { t: event.t(), claim: claim.clone(), granted };
                // In a team's session the claim's effects go to the member who raised it.
                let (more, json) = next
                    .apply_canonical_by(member, &answer)
                    .map_err(|r| ApiError::new("internal", format!("the session refused its claim's result: {r}")))?;
                lines.push(log::line_from_json(next, &json));
                host_events.push(answer);
                pending.extend(more);
            }
            outcomes.push(outcome);
        }
        let found = next
            .hunt()
            .stages
            .iter()
            .skip(found_before as usize)
            .take(next.state().stage.saturating_sub(found_before) as usize);
        let revealed = found.map(|stage| Revealed { number: stage.number, site: stage.site.clone() }).collect();
        Ok(EventResult::Accepted { seq: next.state().seq, outcomes, host_events, revealed })
    }

    /// What a team's session says to its members' connections: each of `member`'s accepted
    /// events, as `{"push": "teammate", "member", "seq", "event", "outcomes", "revealed",
    /// "points", "stage", "status"}` (the team's points, stages completed and status after it).
    /// On JetStream the pushes go through NATS, so that members connected to other servers hear
    /// them too (see [`relay`]); on the embedded store, straight to this server's connections.
    async fn tell_team(
        &self,
        id: &str,
        member: &str,
        events: &[Result<Event, Refusal>],
        results: &[EventResult],
        s: &Session,
    ) {
        let pushes = events.iter().zip(results).filter_map(|(event, result)| {
            let (Ok(event), EventResult::Accepted { seq, outcomes, revealed, .. }) = (event, result) else {
                return None;
            };
            let push = TeammatePush {
                push: "teammate",
                member,
                seq: *seq,
                event,
                outcomes,
                revealed,
                points: s.state().points,
                stage: s.state().stage,
                status: s.state().status.name(),
            };
            Some(serde_json::to_string(&push).expect("pushes serialise"))
        });
        if self.store.shared() {
            for text in pushes {
                if let Err(e) = self.store.publish(id, format!("{member}\n{text}").into_bytes()).await {
                    tracing::warn!(session = %id, "a teammate push: {e}");
                    return;
                }
            }
            return;
        }
        let mut feeds = self.feeds.lock().expect("feeds lock");
        let Some(feed) = feeds.get(id) else { return };
        let who: Arc<str> = Arc::from(member);
        for text in pushes {
            if feed.send((Arc::clone(&who), text.into())).is_err() {
                // Nobody listens any more.
                feeds.remove(id);
                return;
            }
        }
    }

    /// Listens to what a team session's members do (see [`Engine::tell_team`]): each push with
    /// the member whose event it tells.
    /// On JetStream, this server listens to the session's pushes before this returns.
    pub async fn team_feed(
        &self,
        id: &str,
    ) -> tokio::sync::broadcast::Receiver<(Arc<str>, axum::extract::ws::Utf8Bytes)> {
        let (feed, listener) = {
            let mut feeds = self.feeds.lock().expect("feeds lock");
            if let Some(feed) = feeds.get(id) {
                return feed.subscribe();
            }
            let (feed, listener) = tokio::sync::broadcast::channel(1024);
            feeds.insert(id.to_owned(), feed.clone());
            (feed, listener)
        };
        match self.store.subscribe(id).await {
            Ok(Some(pushes)) => {
                tokio::spawn(relay(pushes, Arc::clone(&self.feeds), id.to_owned(), feed));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(session = %id, "listening to a team's pushes: {e}"),
        }
        listener
    }

    /// Replays a client's log: whether it is intact, and the state it rebuilds.
    pub async fn verify(text: String) -> Verified {
        let invalid = |error| Verified {
            valid: false,
            seq: None,
            status: None,
            state_hash: None,
            fingerprint: None,
            error: Some(error),
        };
        match tokio::task::spawn_blocking(move || log::replay(&text)).await {
            Ok(Ok(replay)) => {
                let s = &replay.session;
                Verified {
                    valid: true,
                    seq: Some(s.state().seq),
                    status: Some(s.state().status.name()),
                    state_hash: Some(s.state_hash()),
                    fingerprint: Some(s.hunt().fingerprint.clone()),
                    error: None,
                }
            }
            Ok(Err(e)) => invalid(ApiError::from_coded(&e)),
            Err(e) => invalid(ApiError::new("internal", e.to_string())),
        }
    }
}

/// Passes what a team session's members do, as the servers publish it (`Store::publish`), to
/// this server's connections of its members, until none is left (checked at each push, and every
/// 10 s between pushes).
async fn relay(mut pushes: async_nats::Subscriber, feeds: Arc<Mutex<HashMap<String, Feed>>>, id: String, feed: Feed) {
    use futures_util::StreamExt as _;
    loop {
        let message = tokio::select! {
            message = pushes.next() => message,
            () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
                if feed.receiver_count() == 0 {
                    break;
                }
                continue;
            }
        };
        let Some(message) = message else { break };
        let Some((member, push)) = std::str::from_utf8(&message.payload).ok().and_then(|t| t.split_once('\n')) else {
            continue;
        };
        if feed.send((Arc::from(member), push.to_owned().into())).is_err() {
            break;
        }
    }
    let mut feeds = feeds.lock().expect("feeds lock");
    if feeds.get(&id).is_some_and(|f| f.same_channel(&feed)) {
        feeds.remove(&id);
    }
}

/// How a session is compacted.
enum Compaction<'a> {
    /// It ended long enough ago; its log goes to a file in `archive`, or nowhere.
    Retire { archive: Option<&'a std::path::Path> },
    /// Its player was erased.
    Erase,
}

/// The player key of erased players' summaries: no player's key (those are 32 hex digits).
const ERASED: &str = "erased";

async fn write_archive(dir: &std::path::Path, id: &str, log: String) -> Result<String, ApiError> {
    let path = dir.join(format!("{id}.jsonl"));
    let name = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        std::fs::create_dir_all(path.parent().expect("a file in a directory"))?;
        let mut file = std::fs::File::create(&path)?;
        file.write_all(log.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()
    })
    .await
    .map_err(|e| ApiError::new("internal", e.to_string()))?
    .map_err(|e| ApiError::new("unavailable", format!("archiving {name}: {e}")))?;
    Ok(name)
}

fn remove_archive(file: &str) -> Result<(), ApiError> {
    match std::fs::remove_file(file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(ApiError::new("unavailable", format!("removing the archive {file}: {e}")))
        }
        _ => Ok(()),
    }
}

fn rebuild(stored: &Stored) -> Result<Live, ApiError> {
    let replay = log::replay(&stored.log)
        .map_err(|e| ApiError::new("internal", format!("a stored log does not replay: {e}")))?;
    Ok(Live { session: replay.session, version: stored.version, stale: false })
}
