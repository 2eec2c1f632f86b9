//! Live events: scheduled windows, leaderboards and the rewards outbox (SPEC, "Live events").
//!
//! Everything here is a projection of journals and session logs in the store, rebuilt the same
//! way at every start:
//!
//! - `admin`: the append-only audit log of admin actions (templates, rulesets and events put or
//!   retired, windows ended early). The catalogue of events is a replay of it; each definition is
//!   checked at the time it was made, so that a replay does not refuse a window now past.
//! - `window/<event>@<start_ms>`: who joined a window and which sessions they opened there, in
//!   order (first come: the player limit and the attempts are counted from it).
//! - `rewards`: the outbox, one grant per entry, its cursor the entry's position; `rewards-acks`:
//!   the keys the game's backend acknowledged.
//! - On JetStream, `results/<window>` too: each session's result as it ends, so that every
//!   server's board shows every server's players.
//!
//! On JetStream several servers write these journals: every append that decides something (an
//! admin action, a member, an acknowledgement) is made only if nobody appended since the writer
//! last read (else it reads again and decides again), each server reads what the others appended
//! every 250 ms, and every server closes ended windows itself: closing is idempotent (sessions
//! closed once, by whoever comes first; grants put once by their chunk's message id), so that all
//! of them freeze the same board, and a server killed while it pays leaves the others to finish.
//!
//! A window's leaderboard is its sessions' results ([`Finish::of`]); it is entered when a session
//! ends, and after a restart rebuilt by replaying the sessions. When a window ends (at its end, or
//! early by an admin), each of its active sessions gets a `window_closed` host event in its log,
//! the ranking freezes, and the payout table's grants go to the outbox in one append, each once:
//! grants have deterministic keys, and those already in the outbox are left out, so a close that
//! is interrupted and run again (or run twice) pays nothing twice.

use crate::engine::{ApiError, Created, Engine, PlayerRequest};
use crate::players::Identity;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Mutex as AsyncMutex;
use xmarks::live::{window_name, Cursor, EventSpec, Finish, Grant, Ranking, Window};
use xmarks::rules::Ruleset;
use xmarks::session::Event;
use xmarks::Template;

const ADMIN: &str = "admin";
const OUTBOX: &str = "rewards";
const ACKS: &str = "rewards-acks";
const WINDOW_PREFIX: &str = "window/";
/// On a shared store: `results/<window>`, each session's result when it ends, for every server's
/// board.
const RESULTS_PREFIX: &str = "results/";

/// Grants returned by one read of the outbox, at most.
pub const MAX_REWARDS_PAGE: usize = 1000;
/// Entries returned by one read of a leaderboard, at most.
pub const MAX_BOARD_PAGE: usize = 1000;

/// One admin action, as the audit log keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    PutTemplate { name: String, template: Value },
    PutRules { name: String, rules: Value },
    PutEvent { id: String, event: Value },
    Retire { kind: Kind, name: String },
    EndWindow { event: String, window: String },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::PutTemplate { .. } => "put_template",
            Action::PutRules { .. } => "put_rules",
            Action::PutEvent { .. } => "put_event",
            Action::Retire { .. } => "retire",
            Action::EndWindow { .. } => "end_window",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Template,
    Rules,
    Event,
}

/// An entry of the audit log: when, and what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Audited {
    pub at_ms: u64,
    #[serde(flatten)]
    pub action: Action,
}

/// An event as the catalogue holds it.
#[derive(Clone)]
pub struct Defined {
    pub spec: EventSpec,
    pub source: Value,
    /// Windows ended early, by name, with when.
    pub ended: BTreeMap<String, u64>,
    pub retired: Option<u64>,
}

impl Defined {
    /// A window as it runs: ended early, or retired, it closes then.
    fn effective(&self, name: &str, w: Window) -> Window {
        let end = self.ended.get(name).copied().into_iter().chain(self.retired).fold(w.end_ms, u64::min);
        Window { start_ms: w.start_ms, end_ms: end.max(w.start_ms) }
    }

    /// The window open at `now`, as it runs.
    fn current(&self, id: &str, now: u64) -> Option<Window> {
        let w = self.spec.schedule.current(now)?;
        let w = self.effective(&window_name(id, &w), w);
        w.contains(now).then_some(w)
    }

    fn next(&self, now: u64) -> Option<Window> {
        let w = self.spec.schedule.next(now)?;
        self.retired.is_none_or(|r| w.start_ms < r).then_some(w)
    }
}

/// Templates, rulesets and events, as the audit log has made them.
#[derive(Default, Clone)]
pub struct Catalogue {
    templates: BTreeMap<String, Arc<Template>>,
    rules: BTreeMap<String, Arc<Ruleset>>,
    events: BTreeMap<String, Defined>,
}

/// One entry of a window's journal: a player joined, or opened a session (an attempt).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Member {
    player: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
}

/// A window this server knows of: its members and its sessions' results.
struct WindowState {
    event: String,
    window: Window,
    /// Attempts per player (0: joined, no session yet).
    players: BTreeMap<String, u32>,
    sessions: Vec<String>,
    finishes: BTreeMap<String, Finish>,
    ranking: Option<Arc<Ranking>>,
    /// Its sessions were closed and its grants are in the outbox.
    paid: bool,
    signal: tokio::sync::watch::Sender<Signal>,
    /// How far its members' journal, and (on a shared store) its results' journal, were read.
    members_at: u64,
    finishes_at: u64,
}

/// What a window's WebSocket listeners are told: the board changed (`version`), it closed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Signal {
    pub version: u64,
    pub closed: bool,
}

impl WindowState {
    fn new(event: &str, window: Window) -> WindowState {
        WindowState {
            event: event.to_owned(),
            window,
            players: BTreeMap::new(),
            sessions: Vec::new(),
            finishes: BTreeMap::new(),
            ranking: None,
            paid: false,
            signal: tokio::sync::watch::Sender::new(Signal::default()),
            members_at: 0,
            finishes_at: 0,
        }
    }

    /// Takes in one entry of its members' journal.
    fn admit(&mut self, member: Member, name: &str, live: &Live) {
        let attempts = self.players.entry(member.player).or_default();
        if let Some(session) = member.session {
            *attempts += 1;
            live.session_window.lock().expect("session windows").insert(session.clone(), name.to_owned());
            self.sessions.push(session);
        }
    }

    fn ranking(&mut self, spec: &EventSpec) -> Arc<Ranking> {
        if self.ranking.is_none() {
            self.ranking = Some(Arc::new(spec.board.rank(self.finishes.values())));
        }
        Arc::clone(self.ranking.as_ref().expect("set above"))
    }
}

/// The live events' state held by an engine.
pub struct Live {
    catalogue: RwLock<Catalogue>,
    windows: Mutex<BTreeMap<String, WindowState>>,
    /// The window each event session plays in.
    session_window: Mutex<HashMap<String, String>>,
    /// Joins and closes of one window queue behind each other.
    window_locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    /// Admin actions queue behind each other (one writer of the audit log), and so do
    /// acknowledgements.
    admin: AsyncMutex<()>,
    acking: AsyncMutex<()>,
    /// Outbox keys, and acknowledged keys.
    outbox: Mutex<(HashSet<String>, HashSet<String>)>,
    /// How far the audit log, the outbox and the acknowledgements were read.
    read: Mutex<Read>,
    /// Woken when grants reach the outbox.
    pub rewards: tokio::sync::Notify,
    secret: [u8; 32],
}

#[derive(Default)]
struct Read {
    admin: u64,
    outbox: u64,
    acks: u64,
}

/// An event's limits on entering its windows.
struct Limits {
    max_players: u32,
    attempts: u32,
    join_required: bool,
}

impl Limits {
    /// Whether `player` may enter the window (`session`: with an attempt): `true` to record the
    /// entry, `false` when there is nothing to record (joined already), or why not.
    fn admit(
        &self,
        state: &WindowState,
        name: &str,
        event: &str,
        player: &str,
        session: Option<&str>,
    ) -> Result<bool, ApiError> {
        let players = state.players.len();
        match (state.players.get(player).copied(), session) {
            (None, _) if players >= self.max_players as usize => {
                Err(ApiError::new("window_full", format!("window {name} holds {players} players, its most")))
            }
            (None, Some(_)) if self.join_required => {
                Err(ApiError::new("not_joined", format!("join window {name} first (POST /v1/events/{event}/join)")))
            }
            (Some(_), None) => Ok(false),
            (Some(n), Some(_)) if n >= self.attempts => {
                Err(ApiError::new("no_attempts_left", format!("{n} attempts in window {name}, the most")))
            }
            _ => Ok(true),
        }
    }
}

/// One ended session's result, as a shared store's results journal holds it.
#[derive(Serialize, Deserialize)]
struct Posted {
    session: String,
    finish: Finish,
}

/// Grants go to the outbox in chunks of this many (on JetStream, one message each).
const GRANTS_PER_CHUNK: usize = 1000;
/// Appends that find another server wrote first are tried again this many times.
const CONFLICT_RETRIES: u32 = 50;

fn digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes).into()
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new("internal", e.to_string())
}

/// A window's view for clients.
#[derive(Debug, Serialize)]
pub struct WindowView {
    pub name: String,
    pub start_ms: u64,
    pub end_ms: u64,
    pub seconds_left: u64,
}

fn view(event: &str, w: Window, now: u64) -> WindowView {
    WindowView {
        name: window_name(event, &w),
        start_ms: w.start_ms,
        end_ms: w.end_ms,
        seconds_left: w.seconds_left(now),
    }
}

#[derive(Debug, Serialize)]
pub struct EventView {
    pub id: String,
    pub template: String,
    pub mode: xmarks::live::Mode,
    pub max_players: u32,
    pub attempts: u32,
    pub join_required: bool,
    pub current: Option<WindowView>,
    pub next: Option<WindowView>,
    /// Windows that had players, oldest first: their leaderboards stay readable.
    pub windows: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_ms: Option<u64>,
}

/// A read of a leaderboard.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardQuery {
    /// A window's name, or `all` (every window of the event); default: the current or last one.
    pub window: Option<String>,
    pub top: Option<usize>,
    pub player: Option<String>,
    pub around: Option<usize>,
    pub after: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize)]
pub struct BoardView {
    pub window: String,
    /// The window has closed: its ranks are final.
    pub frozen: bool,
    pub players: usize,
    pub entries: Vec<xmarks::live::Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RewardsPage {
    pub grants: Vec<Box<RawValue>>,
    /// Where the next read starts (`after=`).
    pub cursor: u64,
}

fn encode_cursor(c: &Cursor) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).expect("cursors serialise"))
}

fn decode_cursor(text: &str) -> Result<Cursor, ApiError> {
    use base64::Engine as _;
    let bad = || ApiError::at("malformed", "not a cursor this server gave", "after");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// Names of events, templates and rulesets: 1 to 64 of `a-z 0-9 _ -`.
fn check_name(name: &str, path: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::at("malformed", "names are 1 to 64 of a-z, 0-9, _ and -", path))
    }
}

impl Live {
    /// `secret`: what admin requests must present (`Authorization: Bearer`).
    pub fn new(secret: &[u8]) -> Live {
        Live {
            catalogue: RwLock::default(),
            windows: Mutex::default(),
            session_window: Mutex::default(),
            window_locks: Mutex::default(),
            admin: AsyncMutex::new(()),
            acking: AsyncMutex::new(()),
            outbox: Mutex::default(),
            read: Mutex::default(),
            rewards: tokio::sync::Notify::new(),
            secret: digest(secret),
        }
    }

    /// Whether `token` is the admin secret (compared by digest, in constant time).
    pub fn is_admin(&self, token: Option<&str>) -> Result<(), ApiError> {
        let Some(token) = token else {
            return Err(ApiError::new(
                "unauthorized",
                "the admin API needs the admin secret (Authorization: Bearer ...)",
            ));
        };
        let given = digest(token.as_bytes());
        if given.iter().zip(&self.secret).fold(0u8, |acc, (a, b)| acc | (a ^ b)) != 0 {
            return Err(ApiError::new("forbidden", "this is not the admin secret (player tokens never work here)"));
        }
        Ok(())
    }

    fn lock_for(&self, window: &str) -> Arc<AsyncMutex<()>> {
        Arc::clone(self.window_locks.lock().expect("window locks").entry(window.to_owned()).or_default())
    }

    /// The window a session plays in, with when it closes, if it is an event session.
    pub fn window_of(&self, session: &str) -> Option<(String, u64)> {
        let name = self.session_window.lock().expect("session windows").get(session).cloned()?;
        let end = self.windows.lock().expect("windows").get(&name).map(|w| w.window.end_ms)?;
        Some((name, end))
    }
}

impl Catalogue {
    /// Applies one audited action, checked as of `at_ms`. `games`: the templates the server was
    /// configured with, which events may name too.
    fn apply(&mut self, entry: &Audited, engine: &Engine) -> Result<(), ApiError> {
        let at = entry.at_ms;
        match &entry.action {
            Action::PutTemplate { name, template } => {
                check_name(name, "name")?;
                let template = Template::from_json(&template.to_string()).map_err(|e| ApiError {
                    path: Some(format!("template.{}", xmarks::Coded::path(&e).unwrap_or_default())),
                    ..ApiError::from_coded(&e)
                })?;
                self.templates.insert(name.clone(), Arc::new(template));
            }
            Action::PutRules { name, rules } => {
                check_name(name, "name")?;
                let rules = Ruleset::from_json(&rules.to_string()).map_err(|e| ApiError::from_coded(&e))?;
                self.rules.insert(name.clone(), Arc::new(rules));
            }
            Action::PutEvent { id, event } => {
                check_name(id, "id")?;
                let spec = EventSpec::from_json(&event.to_string(), at).map_err(|e| ApiError::from_coded(&e))?;
                if self.template(&spec.template, engine).is_none() {
                    let known: Vec<&str> =
                        self.templates.keys().map(String::as_str).chain(engine.template_names()).collect();
                    return Err(ApiError::at(
                        "unknown_template",
                        format!("no template {:?}; known: {known:?}", spec.template),
                        "template",
                    ));
                }
                if let Some(rules) = &spec.rules {
                    if !self.rules.contains_key(rules) {
                        return Err(ApiError::at("unknown_rules", format!("no ruleset {rules:?}"), "rules"));
                    }
                }
                if let Some(start) = spec.start {
                    start
                        .check_in(engine.world().space())
                        .map_err(|why| ApiError::at("event_invalid", why, "start"))?;
                }
                let ended = match self.events.get(id) {
                    Some(old) if old.retired.is_none() => {
                        if let Some(w) = old.current(id, at) {
                            return Err(ApiError::at(
                                "window_open",
                                format!(
                                    "window {} is open: end it first (POST .../end), or wait until it closes",
                                    window_name(id, &w)
                                ),
                                "id",
                            ));
                        }
                        old.ended.clone()
                    }
                    _ => BTreeMap::new(),
                };
                self.events.insert(id.clone(), Defined { spec, source: event.clone(), ended, retired: None });
            }
            Action::Retire { kind, name } => {
                let in_use = |what: &str| {
                    self.events.iter().find(|(_, e)| {
                        e.retired.is_none()
                            && match kind {
                                Kind::Template => e.spec.template == what,
                                Kind::Rules => e.spec.rules.as_deref() == Some(what),
                                Kind::Event => false,
                            }
                    })
                };
                if let Some((event, _)) = in_use(name) {
                    return Err(ApiError::at(
                        "in_use",
                        format!("event {event:?} uses it: retire the event first"),
                        "name",
                    ));
                }
                let missing = || ApiError::at("not_found", format!("no {kind:?} {name:?}").to_lowercase(), "name");
                match kind {
                    Kind::Template => self.templates.remove(name).map(|_| ()).ok_or_else(missing)?,
                    Kind::Rules => self.rules.remove(name).map(|_| ()).ok_or_else(missing)?,
                    Kind::Event => match self.events.get_mut(name) {
                        Some(e) if e.retired.is_none() => e.retired = Some(at),
                        _ => return Err(missing()),
                    },
                }
            }
            Action::EndWindow { event, window } => {
                let defined = self.events.get_mut(event).filter(|e| e.retired.is_none());
                let Some(defined) = defined else {
                    return Err(ApiError::at("not_found", format!("no event {event:?}"), "event"));
                };
                match defined.current(event, at) {
                    Some(w) if window_name(event, &w) == *window => {
                        defined.ended.insert(window.clone(), at);
                    }
                    _ => return Err(ApiError::at("window_closed", format!("window {window:?} is not open"), "window")),
                }
            }
        }
        Ok(())
    }

    fn template(&self, name: &str, engine: &Engine) -> Option<Arc<Template>> {
        self.templates.get(name).cloned().or_else(|| engine.game(name).map(|g| Arc::new(g.template.clone())))
    }

    /// The rules an event's sessions play under: its named ruleset, else its template's.
    fn rules_for(&self, spec: &EventSpec, engine: &Engine) -> Arc<Ruleset> {
        match &spec.rules {
            Some(name) => self.rules.get(name).cloned(),
            None => engine.game(&spec.template).map(|g| Arc::clone(&g.rules)),
        }
        .unwrap_or_else(|| Arc::new(Ruleset::default_rules()))
    }
}

impl Engine {
    /// Rebuilds the live events' state from the store: the catalogue from the audit log, each
    /// window's members from its journal and its leaderboard by replaying its sessions, the
    /// outbox's keys.
    pub async fn restore_live(&self) -> Result<(), ApiError> {
        self.sync().await?;
        // Each window's results, by replaying its sessions.
        let windows: Vec<(String, Vec<String>)> = {
            let windows = self.live.windows.lock().expect("windows");
            windows.iter().map(|(name, w)| (name.clone(), w.sessions.clone())).collect()
        };
        for (name, sessions) in windows {
            let results = self.results_of(sessions).await?;
            if let Some(w) = self.live.windows.lock().expect("windows").get_mut(&name) {
                w.finishes = results.into_iter().collect();
                w.ranking = None;
            }
        }
        // Windows that ended (while this server was down, or while it was closing them) close
        // now: closed sessions and grants already in the outbox are left as they are.
        self.close_due().await;
        Ok(())
    }

    /// The results of those of `sessions` that have ended, from their logs (many at once).
    async fn results_of(&self, sessions: Vec<String>) -> Result<Vec<(String, Finish)>, ApiError> {
        use futures_util::stream::{self, StreamExt as _};
        let results: Vec<Result<Option<(String, Finish)>, ApiError>> = stream::iter(sessions)
            .map(|id| async move { Ok(self.finish_of(&id).await?.map(|finish| (id, finish))) })
            .buffer_unordered(256)
            .collect()
            .await;
        results.into_iter().filter_map(Result::transpose).collect()
    }

    /// Reads what was appended to the journals since they were last read: admin actions, window
    /// members, results (on a shared store), grants and acknowledgements. At start, everything;
    /// on JetStream, every 250 ms, to see what the other servers did.
    pub async fn sync(&self) -> Result<(), ApiError> {
        self.sync_admin().await?;
        for name in self.store().journal_names(WINDOW_PREFIX).await? {
            self.sync_window(&name[WINDOW_PREFIX.len()..]).await?;
        }
        let after = self.live.read.lock().expect("read lock").outbox;
        let grants = self.store().journal_read(OUTBOX, after).await?;
        let after = self.live.read.lock().expect("read lock").acks;
        let acks = self.store().journal_read(ACKS, after).await?;
        let mut outbox = self.live.outbox.lock().expect("outbox lock");
        let mut read = self.live.read.lock().expect("read lock");
        if grants.version > read.outbox {
            for (_, text) in &grants.entries {
                let grant: Grant = serde_json::from_str(text).map_err(internal)?;
                outbox.0.insert(grant.key);
            }
            read.outbox = grants.version;
        }
        if acks.version > read.acks {
            outbox.1.extend(acks.entries.iter().map(|(_, k)| k.to_string()));
            read.acks = acks.version;
        }
        self.metrics.grants_pending.set(outbox.0.len().saturating_sub(outbox.1.len()) as i64);
        let woken = !grants.entries.is_empty();
        drop((outbox, read));
        if woken {
            self.live.rewards.notify_waiters();
        }
        Ok(())
    }

    /// Applies the audit log's entries not applied yet.
    async fn sync_admin(&self) -> Result<(), ApiError> {
        let after = self.live.read.lock().expect("read lock").admin;
        let journal = self.store().journal_read(ADMIN, after).await?;
        let mut catalogue = self.live.catalogue.write().expect("catalogue lock");
        let mut read = self.live.read.lock().expect("read lock");
        if journal.version <= read.admin {
            return Ok(());
        }
        for (position, text) in &journal.entries {
            let entry: Audited =
                serde_json::from_str(text).map_err(|e| internal(format!("admin log entry {position}: {e}")))?;
            if let Err(e) = catalogue.apply(&entry, self) {
                tracing::warn!(entry = position, "an admin log entry no longer applies: {}", e.message);
            }
        }
        read.admin = journal.version;
        Ok(())
    }

    /// Reads a window's members (and, on a shared store, its results) appended since last read.
    async fn sync_window(&self, name: &str) -> Result<(), ApiError> {
        let Some((event, start)) = name.rsplit_once('@') else { return Ok(()) };
        let Ok(start_ms) = start.parse::<u64>() else { return Ok(()) };
        let (members_at, finishes_at, paid) = {
            let catalogue = self.live.catalogue.read().expect("catalogue lock");
            let mut windows = self.live.windows.lock().expect("windows");
            if !windows.contains_key(name) {
                let Some(defined) = catalogue.events.get(event) else { return Ok(()) };
                let w = defined.spec.schedule.current(start_ms).filter(|w| w.start_ms == start_ms);
                let Some(w) = w else { return Ok(()) };
                windows.insert(name.to_owned(), WindowState::new(event, defined.effective(name, w)));
            }
            let state = &windows[name];
            (state.members_at, state.finishes_at, state.paid)
        };
        if paid {
            return Ok(());
        }
        let members = self.store().journal_read(&format!("{WINDOW_PREFIX}{name}"), members_at).await?;
        let results = if self.store().shared() {
            self.store().journal_read(&format!("{RESULTS_PREFIX}{name}"), finishes_at).await?
        } else {
            Default::default()
        };
        let mut windows = self.live.windows.lock().expect("windows");
        let state = windows.get_mut(name).expect("inserted above");
        if members.version > state.members_at {
            for (_, text) in &members.entries {
                state.admit(serde_json::from_str(text).map_err(internal)?, name, &self.live);
            }
            state.members_at = members.version;
        }
        if results.version > state.finishes_at {
            for (_, text) in &results.entries {
                let result: Posted = serde_json::from_str(text).map_err(internal)?;
                state.finishes.insert(result.session, result.finish);
            }
            state.finishes_at = results.version;
            state.ranking = None;
            state.signal.send_modify(|s| s.version += 1);
        }
        Ok(())
    }

    /// One admin action: checked against the catalogue as it stands, recorded in the audit log,
    /// then applied. Nothing is recorded if it does not apply. On a shared store, the audit log
    /// is read up to its end first, and an action another server recorded first is checked again.
    pub async fn admin(&self, action: Action) -> Result<Audited, ApiError> {
        let _one = self.live.admin.lock().await;
        let entry = Audited { at_ms: crate::engine::now_ms(), action };
        let text = serde_json::to_string(&entry).expect("admin entries serialise");
        let mut attempt = 0;
        loop {
            self.sync_admin().await?;
            // Tried on a copy first: only what applies is recorded.
            let mut trial = self.live.catalogue.read().expect("catalogue lock").clone();
            trial.apply(&entry, self)?;
            let version = self.live.read.lock().expect("read lock").admin;
            match self.store().journal_append(ADMIN, version, vec![text.clone()]).await {
                Ok(_) => break,
                Err(crate::store::StoreError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
        self.sync_admin().await?;
        tracing::info!(action = entry.action.name(), "admin action");
        if matches!(entry.action, Action::EndWindow { .. } | Action::Retire { kind: Kind::Event, .. }) {
            self.close_due().await;
        }
        Ok(entry)
    }

    /// The audit log after the position `after`.
    pub async fn audit(&self, after: u64) -> Result<Vec<Box<RawValue>>, ApiError> {
        let journal = self.store().journal_read(ADMIN, after).await?;
        journal.entries.iter().map(|(_, e)| RawValue::from_string(e.to_string()).map_err(internal)).collect()
    }

    /// Every event (retired ones too) with its windows.
    pub fn events(&self) -> Vec<EventView> {
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        catalogue.events.keys().filter_map(|id| self.event_view_in(&catalogue, id)).collect()
    }

    pub fn event(&self, id: &str) -> Result<EventView, ApiError> {
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        self.event_view_in(&catalogue, id).ok_or_else(|| ApiError::new("not_found", format!("no event {id:?}")))
    }

    fn event_view_in(&self, catalogue: &Catalogue, id: &str) -> Option<EventView> {
        let d = catalogue.events.get(id)?;
        let now = crate::engine::now_ms();
        let windows = self.live.windows.lock().expect("windows");
        Some(EventView {
            id: id.to_owned(),
            template: d.spec.template.clone(),
            mode: d.spec.mode,
            max_players: d.spec.max_players,
            attempts: d.spec.attempts,
            join_required: d.spec.join_required,
            current: d.current(id, now).filter(|_| d.retired.is_none()).map(|w| view(id, w, now)),
            next: d.next(now).map(|w| view(id, w, now)),
            windows: windows.iter().filter(|(_, w)| w.event == id).map(|(name, _)| name.clone()).collect(),
            retired_ms: d.retired,
        })
    }

    /// Joins `player` to the open window of `event`, and with `session`, opens an attempt there.
    async fn enter(&self, event: &str, player: &str, session: Option<&str>) -> Result<(String, Window), ApiError> {
        let now = crate::engine::now_ms();
        let (w, max_players, attempts, join_required) = {
            let catalogue = self.live.catalogue.read().expect("catalogue lock");
            let d = catalogue.events.get(event).filter(|d| d.retired.is_none());
            let d = d.ok_or_else(|| ApiError::new("not_found", format!("no event {event:?}")))?;
            let w = d.current(event, now).ok_or_else(|| {
                let next = d.next(now).map_or("no window is scheduled".into(), |n| {
                    format!("the next opens in {} s", n.start_ms.saturating_sub(now).div_ceil(1000))
                });
                ApiError::new("window_closed", format!("event {event:?} has no open window; {next}"))
            })?;
            (w, d.spec.max_players, d.spec.attempts, d.spec.join_required)
        };
        let name = window_name(event, &w);
        let limits = Limits { max_players, attempts, join_required };
        let member = Member { player: player.to_owned(), session: session.map(str::to_owned) };
        let journal = format!("{WINDOW_PREFIX}{name}");
        let text = serde_json::to_string(&member).expect("members serialise");
        if self.store().shared() {
            // Other servers add members too: read the journal to its end, decide, and append
            // only if nobody appended since (else read again and decide again).
            let lock = self.live.lock_for(&name);
            let _one = lock.lock().await;
            let mut attempt = 0;
            loop {
                self.sync_window(&name).await?;
                let version = {
                    let mut windows = self.live.windows.lock().expect("windows");
                    let state = windows.entry(name.clone()).or_insert_with(|| WindowState::new(event, w));
                    if !limits.admit(state, &name, event, player, session)? {
                        return Ok((name, w));
                    }
                    state.members_at
                };
                match self.store().journal_append(&journal, version, vec![text.clone()]).await {
                    Ok(version) => {
                        let mut windows = self.live.windows.lock().expect("windows");
                        let state = windows.get_mut(&name).expect("entered above");
                        state.admit(member, &name, &self.live);
                        state.members_at = version;
                        self.count_players(event, state);
                        return Ok((name, w));
                    }
                    Err(crate::store::StoreError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        // This server is the journal's only writer: the place is taken in memory first, so that
        // joins are not serialised behind each other's writes and share the store's group
        // commits, and given back if the write fails.
        let new_player = {
            let mut windows = self.live.windows.lock().expect("windows");
            let state = windows.entry(name.clone()).or_insert_with(|| WindowState::new(event, w));
            if !limits.admit(state, &name, event, player, session)? {
                return Ok((name, w));
            }
            let new_player = !state.players.contains_key(player);
            state.admit(member, &name, &self.live);
            self.count_players(event, state);
            new_player
        };
        if let Err(e) = self.store().journal_push(&journal, vec![text]).await {
            let mut windows = self.live.windows.lock().expect("windows");
            if let Some(state) = windows.get_mut(&name) {
                if new_player {
                    state.players.remove(player);
                } else if let Some(n) = state.players.get_mut(player) {
                    *n -= 1;
                }
                if let Some(id) = session {
                    state.sessions.retain(|s| s != id);
                    self.live.session_window.lock().expect("session windows").remove(id);
                }
            }
            return Err(e.into());
        }
        Ok((name, w))
    }

    fn count_players(&self, event: &str, state: &WindowState) {
        self.metrics
            .window_players
            .get_or_create(&crate::metrics::EventIdLabels { event: event.to_owned() })
            .set(state.players.len() as i64);
    }

    /// Joins the player to the event's open window (idempotent).
    pub async fn join(&self, event: &str, player: &str) -> Result<WindowView, ApiError> {
        crate::players::check_id(player).map_err(|why| ApiError::at("malformed", why, "player.id"))?;
        let (_, w) = self.enter(event, player, None).await?;
        Ok(view(event, w, crate::engine::now_ms()))
    }

    /// Opens an attempt in the event's open window: the window's hunt for the player, under the
    /// event's rules.
    pub async fn play_event(
        &self,
        event: &str,
        request: &PlayerRequest,
        identity: Option<&Identity>,
    ) -> Result<(Created, WindowView), ApiError> {
        let player = self.player_for(request, identity).await?;
        let now = crate::engine::now_ms();
        let (spec, template, rules) = self.event_parts(event)?;
        let id = crate::auth::new_session_id();
        let (_, w) = self.enter(event, &player.id, Some(&id)).await?;
        let hunt = spec
            .hunt(self.world(), &template, self.game_seed(), event, &w, &player)
            .map_err(|e| ApiError::from_coded(&e))?;
        let created = self.open_session(id, hunt, rules, now).await?;
        Ok((created, view(event, w, now)))
    }

    /// An event's template (for a team made for it: how many members it may have).
    pub(crate) fn event_template(&self, event: &str) -> Result<Template, ApiError> {
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        if catalogue.events.get(event).is_none_or(|d| d.retired.is_some()) {
            return Err(ApiError::at("not_found", format!("no event {event:?}"), "event"));
        }
        drop(catalogue);
        Ok((*self.event_parts(event)?.1).clone())
    }

    /// An event's definition, template and rules, as the catalogue has them now.
    fn event_parts(&self, event: &str) -> Result<(EventSpec, Arc<Template>, Arc<Ruleset>), ApiError> {
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        let d = catalogue.events.get(event).ok_or_else(|| ApiError::new("not_found", format!("no event {event:?}")))?;
        let template =
            catalogue.template(&d.spec.template, self).ok_or_else(|| internal("the event's template is gone"))?;
        Ok((d.spec.clone(), template, catalogue.rules_for(&d.spec, self)))
    }

    /// A team's attempt at an event: it enters the open window under the team's id (one entry on
    /// the board, the attempt's session `session`), and gets its hunt there.
    pub(crate) async fn event_team_hunt(
        &self,
        event: &str,
        team: &xmarks::Team,
        session: &str,
    ) -> Result<(xmarks::Hunt, Arc<Ruleset>), ApiError> {
        let (spec, template, rules) = self.event_parts(event)?;
        // The hunt first: a team the template does not take enters no window.
        let check = xmarks::live::Window { start_ms: 0, end_ms: 0 };
        spec.team_hunt(self.world(), &template, self.game_seed(), event, &check, team)
            .map_err(|e| ApiError::from_coded(&e))?;
        // Starting is the team's joining, where the event asks players to join first.
        self.enter(event, &team.id, None).await?;
        let (_, w) = self.enter(event, &team.id, Some(session)).await?;
        let hunt = spec
            .team_hunt(self.world(), &template, self.game_seed(), event, &w, team)
            .map_err(|e| ApiError::from_coded(&e))?;
        Ok((hunt, rules))
    }

    /// For a WebSocket of an event session: its window (as it runs), its player, and the signal
    /// of its board's changes.
    pub async fn listen(&self, session: &str) -> Option<(WindowView, String, tokio::sync::watch::Receiver<Signal>)> {
        let name = self.live.session_window.lock().expect("session windows").get(session).cloned()?;
        let player = self.session_player(session).await.ok()?;
        let windows = self.live.windows.lock().expect("windows");
        let state = windows.get(&name)?;
        let view = view(&state.event, state.window, crate::engine::now_ms());
        Some((view, player, state.signal.subscribe()))
    }

    /// A player's entry on a window's board, if they are on it.
    pub fn entry(&self, window: &str, player: &str) -> Option<xmarks::live::Entry> {
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        let mut windows = self.live.windows.lock().expect("windows");
        let state = windows.get_mut(window)?;
        let spec = &catalogue.events.get(&state.event)?.spec;
        state.ranking(spec).entry(player).cloned()
    }

    /// A session ended: its result goes on its window's leaderboard (on a shared store, into the
    /// window's results journal too, for the other servers' boards).
    pub async fn session_ended(&self, id: &str, finish: Finish) {
        let Some(name) = self.live.session_window.lock().expect("session windows").get(id).cloned() else { return };
        if self.store().shared() {
            let result = serde_json::to_string(&Posted { session: id.to_owned(), finish: finish.clone() });
            let journal = format!("{RESULTS_PREFIX}{name}");
            if let Err(e) = self.store().journal_push(&journal, vec![result.expect("results serialise")]).await {
                // The board is still right once the window closes: closing reads every session.
                tracing::warn!(window = %name, "a result for the other servers' boards: {e}");
            }
        }
        let mut windows = self.live.windows.lock().expect("windows");
        if let Some(state) = windows.get_mut(&name) {
            state.finishes.insert(id.to_owned(), finish);
            state.ranking = None;
            state.signal.send_modify(|s| s.version += 1);
            self.metrics.board_writes.inc();
        }
    }

    /// Closes every window that has ended and is not paid yet: its active sessions get
    /// `window_closed`, its ranking freezes, its grants go to the outbox. Returns how many.
    pub async fn close_due(&self) -> usize {
        let now = crate::engine::now_ms();
        let due: Vec<(String, u64)> = {
            let catalogue = self.live.catalogue.read().expect("catalogue lock");
            let mut windows = self.live.windows.lock().expect("windows");
            windows
                .iter_mut()
                .filter(|(_, s)| !s.paid)
                .filter_map(|(name, s)| {
                    let d = catalogue.events.get(&s.event)?;
                    s.window = d.effective(name, s.window);
                    (s.window.end_ms <= now).then(|| (name.clone(), s.window.end_ms))
                })
                .collect()
        };
        let mut closed = 0;
        for (name, end) in due {
            match self.close_window(&name, end).await {
                Ok(()) => closed += 1,
                Err(e) => tracing::warn!(window = %name, "closing: {}", e.message),
            }
        }
        closed
    }

    async fn close_window(&self, name: &str, end: u64) -> Result<(), ApiError> {
        let lock = self.live.lock_for(name);
        let _one = lock.lock().await;
        let sessions = match self.live.windows.lock().expect("windows").get(name) {
            Some(s) if !s.paid => s.sessions.clone(),
            _ => return Ok(()),
        };
        // Many at once, so that the store's group commit covers many closes per write.
        use futures_util::stream::{self, StreamExt as _};
        // Each closed session enters its result on the board as it ends (see `submit`).
        let closed: Vec<(String, Result<(), ApiError>)> = stream::iter(sessions.clone())
            .map(|id| async move {
                let result = self.close_session(&id, end).await;
                (id, result)
            })
            .buffer_unordered(256)
            .collect()
            .await;
        for (_, result) in closed {
            match result {
                Ok(()) => {}
                // A session the store never took (its attempt was recorded first): not on the board.
                Err(e) if e.code == "not_found" => {}
                Err(e) => return Err(e),
            }
        }
        // The frozen board is every session's result as its log gives it, whoever played it:
        // every server closing the window freezes the same one.
        let results = self.results_of(sessions).await?;
        let (ranking, table, event) = {
            let catalogue = self.live.catalogue.read().expect("catalogue lock");
            let mut windows = self.live.windows.lock().expect("windows");
            let state = windows.get_mut(name).expect("known above");
            state.finishes = results.into_iter().collect();
            state.ranking = None;
            let d = catalogue.events.get(&state.event).ok_or_else(|| internal("the window's event is gone"))?;
            (state.ranking(&d.spec), d.spec.payouts.clone(), state.event.clone())
        };
        if let Some(table) = table {
            self.pay(name, table.grants(name, &ranking)).await?;
        }
        if let Some(state) = self.live.windows.lock().expect("windows").get_mut(name) {
            state.paid = true;
            state.signal.send_modify(|s| s.closed = true);
        }
        tracing::info!(window = %name, event = %event, players = ranking.entries.len(), "window closed");
        Ok(())
    }

    /// Puts a window's grants into the outbox, in chunks of [`GRANTS_PER_CHUNK`] in rank order,
    /// each chunk once: chunks whose grants the outbox holds are left out, and on JetStream a
    /// chunk put again (by a racing server, or after a crash) is dropped by its message id,
    /// `<window>#<chunk>`. In the embedded store all of them go in one transaction.
    async fn pay(&self, window: &str, grants: Vec<Grant>) -> Result<(), ApiError> {
        let chunks: Vec<(String, Vec<String>)> = {
            let outbox = self.live.outbox.lock().expect("outbox lock");
            grants
                .chunks(GRANTS_PER_CHUNK)
                .enumerate()
                .filter(|(_, chunk)| !chunk.iter().all(|g| outbox.0.contains(&g.key)))
                .map(|(i, chunk)| {
                    let lines = chunk.iter().map(|g| serde_json::to_string(g).expect("grants serialise")).collect();
                    (format!("{window}#{i}"), lines)
                })
                .collect()
        };
        if chunks.is_empty() {
            return Ok(());
        }
        self.store().journal_put_once(OUTBOX, chunks).await?;
        if !self.store().shared() {
            let mut outbox = self.live.outbox.lock().expect("outbox lock");
            outbox.0.extend(grants.into_iter().map(|g| g.key));
            self.metrics.grants_pending.set(outbox.0.len().saturating_sub(outbox.1.len()) as i64);
            drop(outbox);
            self.live.rewards.notify_waiters();
        }
        // On JetStream the outbox is read back (with whatever other servers put) by `sync`.
        Ok(())
    }

    /// Grants after the position `after` in the outbox: at least `limit` if there are that many
    /// (on JetStream, whole chunks), at most `limit` + 999.
    pub async fn rewards(&self, after: u64, limit: usize) -> Result<RewardsPage, ApiError> {
        let limit = limit.clamp(1, MAX_REWARDS_PAGE);
        let journal = self.store().journal_read_some(OUTBOX, after, limit).await?;
        let mut grants = Vec::new();
        let mut cursor = after;
        for (position, text) in &journal.entries {
            if grants.len() >= limit && *position != cursor {
                break;
            }
            grants.push(RawValue::from_string(text.to_string()).map_err(internal)?);
            cursor = *position;
        }
        Ok(RewardsPage { grants, cursor })
    }

    /// The backend has applied these grants: each key once (`already_acknowledged` the second
    /// time, and for an unknown key `not_found`; nothing is recorded unless every key is new).
    pub async fn acknowledge(&self, keys: Vec<String>) -> Result<usize, ApiError> {
        let _one = self.live.acking.lock().await;
        let mut attempt = 0;
        loop {
            if self.store().shared() {
                self.sync().await?;
            }
            {
                let outbox = self.live.outbox.lock().expect("outbox lock");
                let mut seen = HashSet::new();
                for (i, key) in keys.iter().enumerate() {
                    if !outbox.0.contains(key) {
                        return Err(ApiError::at(
                            "not_found",
                            format!("no grant {key:?} in the outbox"),
                            format!("keys[{i}]"),
                        ));
                    }
                    if outbox.1.contains(key) || !seen.insert(key) {
                        return Err(ApiError::at(
                            "already_acknowledged",
                            format!("grant {key:?} was acknowledged already"),
                            format!("keys[{i}]"),
                        ));
                    }
                }
            }
            let version = self.live.read.lock().expect("read lock").acks;
            match self.store().journal_append(ACKS, version, keys.clone()).await {
                Ok(version) => {
                    let mut outbox = self.live.outbox.lock().expect("outbox lock");
                    let mut read = self.live.read.lock().expect("read lock");
                    // Nobody appended between what was read and this: it is read up to here.
                    read.acks = version;
                    outbox.1.extend(keys.iter().cloned());
                    self.metrics.grants_pending.set(outbox.0.len().saturating_sub(outbox.1.len()) as i64);
                    self.metrics.grants_delivered.inc_by(keys.len() as u64);
                    return Ok(keys.len());
                }
                Err(crate::store::StoreError::Conflict) if attempt < CONFLICT_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A leaderboard read: a window's (or `all` the event's windows), top N, around a player, or
    /// a page after a cursor.
    pub fn leaderboard(&self, event: &str, q: &BoardQuery) -> Result<BoardView, ApiError> {
        self.metrics.board_reads.inc();
        let catalogue = self.live.catalogue.read().expect("catalogue lock");
        let d = catalogue.events.get(event).ok_or_else(|| ApiError::new("not_found", format!("no event {event:?}")))?;
        let mut windows = self.live.windows.lock().expect("windows");
        let now = crate::engine::now_ms();
        let (name, ranking, frozen) = match q.window.as_deref() {
            Some("all") => {
                let finishes: Vec<&Finish> =
                    windows.values().filter(|s| s.event == event).flat_map(|s| s.finishes.values()).collect();
                let open = windows.values().any(|s| s.event == event && !s.paid);
                ("all".to_owned(), Arc::new(d.spec.board.rank(finishes)), !open)
            }
            Some(name) => {
                let state = windows.get_mut(name).filter(|s| s.event == event);
                let state = state
                    .ok_or_else(|| ApiError::at("not_found", format!("no window {name:?} with players"), "window"))?;
                (name.to_owned(), state.ranking(&d.spec), state.paid)
            }
            None => {
                let latest = windows
                    .iter_mut()
                    .filter(|(_, s)| s.event == event && s.window.start_ms <= now)
                    .max_by_key(|(_, s)| s.window.start_ms);
                let (name, state) =
                    latest.ok_or_else(|| ApiError::new("not_found", "no window of this event has had players yet"))?;
                (name.clone(), state.ranking(&d.spec), state.paid)
            }
        };
        drop(windows);
        let limit = q.limit.or(q.top).unwrap_or(100).clamp(1, MAX_BOARD_PAGE);
        let (entries, next) = match (&q.player, &q.after) {
            (Some(player), _) => {
                let k = q.around.unwrap_or(0).min(MAX_BOARD_PAGE / 2);
                let around = ranking.around(player, k);
                if around.is_empty() {
                    return Err(ApiError::at("not_found", format!("{player:?} is not on this board"), "player"));
                }
                (around.to_vec(), None)
            }
            (None, Some(after)) => {
                let cursor = decode_cursor(after)?;
                let (page, next) = ranking.page(Some(&cursor), limit);
                (page.to_vec(), next.map(|c| encode_cursor(&c)))
            }
            (None, None) => {
                let (page, next) = ranking.page(None, limit);
                (page.to_vec(), next.map(|c| encode_cursor(&c)))
            }
        };
        Ok(BoardView { window: name, frozen, players: ranking.entries.len(), entries, next })
    }
}

/// A request to join or play an event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    pub player: PlayerRequest,
}

/// Whether an event may be sent by a client: the host's own events may not.
pub fn host_only(event: &Event) -> bool {
    matches!(event, Event::ClaimResult { .. } | Event::WindowClosed { .. })
}
