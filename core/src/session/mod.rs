//! Sessions: one player's play of one hunt, event-sourced.
//!
//! A session's state is a fold of its events. [`Session::apply`] validates an event against the
//! hunt and the state first (anti-cheat: time never goes backwards, no teleports, no digging away
//! from where the player stands, nothing after the hunt ends, no unknown stage, item or claim, no
//! duplicate), and either refuses it with a [`Rejection`] having changed nothing, or accepts it:
//! the state is updated, rules run, outcomes come back, and the event extends the session's hash
//! chain. [`log::replay`] rebuilds the same state, outcomes and state hash from a log, and a log
//! that was edited, cut, extended or reordered fails its chain.
//!
//! Global caps stay pure: a capped rule returns an [`Outcome::Claim`]; the host counts the claim in
//! its shared store and appends an [`Event::ClaimResult`], which is what grants the effects. A
//! replay reads that event and never asks the store again.

pub mod event;
pub mod log;
pub mod scope;
pub mod script;

pub use event::{Authored, Event, Outcome, Rejection};

use crate::geom::Wind;
use crate::hash::sha256_hex;
use crate::hunt::{Hunt, Stage};
pub use crate::limits::{MAX_ACCURACY_ALLOWANCE, MAX_EVENTS};
use crate::position::Position;
use crate::rules::logic::{Logic, Thrown, Val};
use crate::rules::{Effect, Rule, Ruleset, MAX_CASCADE, MAX_NAME_LEN};
use scope::{EventFacts, HuntFacts, RuleScope};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// Version of the session format (events, state, chain) one player's new sessions are played in.
/// Changing what a session computes for the same events bumps it, with the golden session vectors;
/// sessions of every earlier format still open, replay and go on in their own (see [`Format`]).
pub const SESSION_VERSION: &str = Format::CURRENT.name();
/// Version of the session format a team's new sessions are played in.
pub const TEAM_SESSION_VERSION: &str = Format::TEAM.name();

/// A session format: what a session computes for its events. A log names its format in its
/// header, and a replayed session goes on in it, so that one log never mixes two.
///
/// 1. The first.
/// 2. A dig that misses the stage's site says so: [`Outcome::Missed`] (format 1 answered nothing).
/// 3. Teams: a team's hunt (one that names its `members`) is played by them together. Each
///    player's event names its member; each member has their own clock, position, digs, points
///    and items, and the time, speed and dig-reach checks are theirs; a stage one member finds is
///    found for the team; rules read `member.*` and `team.*` beside the team's `session.*`.
///    Format 3 changed nothing for one player, whose sessions still open in format 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Format(u8);

impl Format {
    pub const V1: Format = Format(1);
    pub const V2: Format = Format(2);
    pub const V3: Format = Format(3);
    /// The format one player's new sessions open in.
    pub const CURRENT: Format = Format::V2;
    /// The format a team's new sessions open in.
    pub const TEAM: Format = Format::V3;
    /// Every format this engine plays, oldest first.
    pub const ALL: [Format; 3] = [Format::V1, Format::V2, Format::V3];

    /// Its name in log headers: `xmarks-session/N`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1 => "xmarks-session/1",
            2 => "xmarks-session/2",
            _ => "xmarks-session/3",
        }
    }

    /// The format a name stands for, if this engine plays it.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The format a new session of `hunt` opens in: [`Format::TEAM`] for a team's hunt, else
    /// [`Format::CURRENT`].
    pub fn for_hunt(hunt: &Hunt) -> Format {
        if hunt.members.is_empty() {
            Format::CURRENT
        } else {
            Format::TEAM
        }
    }

    /// Whether sessions of `hunt` are played in this format: a team's hunt from format 3 on, one
    /// player's in the formats before it.
    pub fn fits(self, hunt: &Hunt) -> Result<(), String> {
        match (self >= Format::V3, hunt.members.is_empty()) {
            (true, true) => Err(format!("{} is a team's format and this hunt is one player's", self.name())),
            (false, false) => Err(format!("{} has no teams and this hunt is a team's", self.name())),
            _ => Ok(()),
        }
    }
}

/// Metres of position noise tolerated on every move (GPS jitter) beyond the template's speed. An
/// event's reported `accuracy` adds to it, up to [`MAX_ACCURACY_ALLOWANCE`].
pub const MOVE_JITTER: f64 = 5.0;
/// How far from where the player stands a dig may be, in metres; an event's reported `accuracy`
/// adds to it, up to [`MAX_ACCURACY_ALLOWANCE`].
pub const DIG_REACH: f64 = 5.0;
/// Points are kept within this magnitude.
const MAX_POINTS: f64 = 1e15;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Completed,
    Failed,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }
}

/// How often and when a rule last fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    pub count: u64,
    pub last_ms: u64,
}

/// Everything a session knows; its canonical JSON is what the state hash covers.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "StateJson")]
pub struct State {
    /// Events accepted so far.
    pub seq: u64,
    pub started_ms: u64,
    /// Time of the last event (the start, before any).
    pub t: u64,
    /// Where the player is (`x`, `y` or `lon`, `lat` in JSON, after `t`).
    pub pos: Position,
    /// Stages completed; the current stage is number `stage + 1`.
    pub stage: u32,
    /// Digs that missed the current stage.
    pub misses: u32,
    pub digs: u64,
    pub points: i64,
    pub items: BTreeMap<String, u64>,
    pub flags: BTreeMap<String, serde_json::Value>,
    pub status: Status,
    pub fired: BTreeMap<String, Fired>,
    /// Pending claims: claim id to rule id.
    pub claims: BTreeMap<String, String>,
    /// A team's members by id (format 3; none in one player's session, whose JSON has no such
    /// field). In a team's state `t` is the latest of any event, `pos` the last move's, and
    /// `digs`, `points` and `items` the team's.
    pub members: BTreeMap<String, Member>,
    /// Who found each completed stage, and when, in order (format 3).
    pub finds: Vec<Find>,
    /// Head of the hash chain (hex SHA-256).
    pub chain: String,
    /// Hash of the last accepted event, to refuse an exact duplicate.
    pub last_event: String,
}

/// One member of a team session: their own clock (the time of their last event), position, digs,
/// points and items. JSON: `t`, the position's fields, `digs`, `points`, `items`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "MemberJson")]
pub struct Member {
    pub t: u64,
    pub pos: Position,
    pub digs: u64,
    pub points: i64,
    pub items: BTreeMap<String, u64>,
}

impl Serialize for Member {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Member", 6)?;
        s.serialize_field("t", &self.t)?;
        self.pos.serialize_fields(&mut s)?;
        s.serialize_field("digs", &self.digs)?;
        s.serialize_field("points", &self.points)?;
        s.serialize_field("items", &self.items)?;
        s.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberJson {
    t: u64,
    x: Option<f64>,
    y: Option<f64>,
    lon: Option<f64>,
    lat: Option<f64>,
    digs: u64,
    points: i64,
    items: BTreeMap<String, u64>,
}

impl TryFrom<MemberJson> for Member {
    type Error = String;

    fn try_from(m: MemberJson) -> Result<Member, String> {
        let pos = Position::from_fields(m.x, m.y, m.lon, m.lat)?;
        Ok(Member { t: m.t, pos, digs: m.digs, points: m.points, items: m.items })
    }
}

/// A stage a team found: which, by whom (none when a host's event completed it) and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Find {
    pub stage: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub t: u64,
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("State", 17)?;
        s.serialize_field("seq", &self.seq)?;
        s.serialize_field("started_ms", &self.started_ms)?;
        s.serialize_field("t", &self.t)?;
        self.pos.serialize_fields(&mut s)?;
        s.serialize_field("stage", &self.stage)?;
        s.serialize_field("misses", &self.misses)?;
        s.serialize_field("digs", &self.digs)?;
        s.serialize_field("points", &self.points)?;
        s.serialize_field("items", &self.items)?;
        s.serialize_field("flags", &self.flags)?;
        s.serialize_field("status", &self.status)?;
        s.serialize_field("fired", &self.fired)?;
        s.serialize_field("claims", &self.claims)?;
        if !self.members.is_empty() {
            s.serialize_field("members", &self.members)?;
            s.serialize_field("finds", &self.finds)?;
        }
        s.serialize_field("chain", &self.chain)?;
        s.serialize_field("last_event", &self.last_event)?;
        s.end()
    }
}

/// A state as read: the position's fields of either kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateJson {
    seq: u64,
    started_ms: u64,
    t: u64,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    stage: u32,
    misses: u32,
    digs: u64,
    points: i64,
    items: BTreeMap<String, u64>,
    flags: BTreeMap<String, serde_json::Value>,
    status: Status,
    fired: BTreeMap<String, Fired>,
    claims: BTreeMap<String, String>,
    #[serde(default)]
    members: BTreeMap<String, Member>,
    #[serde(default)]
    finds: Vec<Find>,
    chain: String,
    last_event: String,
}

impl TryFrom<StateJson> for State {
    type Error = String;

    fn try_from(s: StateJson) -> Result<State, String> {
        Ok(State {
            seq: s.seq,
            started_ms: s.started_ms,
            t: s.t,
            pos: Position::from_fields(s.x, s.y, s.lon, s.lat)?,
            stage: s.stage,
            misses: s.misses,
            digs: s.digs,
            points: s.points,
            items: s.items,
            flags: s.flags,
            status: s.status,
            fired: s.fired,
            claims: s.claims,
            members: s.members,
            finds: s.finds,
            chain: s.chain,
            last_event: s.last_event,
        })
    }
}

/// A hunt ready to be played: the facts rules read of it, computed once (most of what opening a
/// session costs). Sessions opened on one share it, and cloning it is cheap, so a game that opens
/// many sessions on one hunt (a retry, a replay beside the live session) keeps one.
#[derive(Debug, Clone)]
pub struct PlayableHunt(Arc<HuntFacts>);

impl PlayableHunt {
    #[inline(never)] // one copy of the facts' building, not one per caller (wasm size)
    pub fn new(hunt: Hunt) -> PlayableHunt {
        PlayableHunt(Arc::new(HuntFacts::new(hunt)))
    }

    pub fn hunt(&self) -> &Hunt {
        &self.0.hunt
    }
}

impl From<Hunt> for PlayableHunt {
    fn from(hunt: Hunt) -> PlayableHunt {
        PlayableHunt::new(hunt)
    }
}

/// A session: the hunt, the ruleset and the state.
#[derive(Debug, Clone)]
pub struct Session {
    facts: Arc<HuntFacts>,
    rules: Arc<Ruleset>,
    state: State,
    format: Format,
}

/// The first link of a session's chain: it binds the log to its hunt, ruleset and start time.
pub fn chain_start(format: Format, hunt_fingerprint: &str, rules_digest: &str, started_ms: u64) -> String {
    let version = format.name();
    sha256_hex(format!("{version}\n{hunt_fingerprint}\n{rules_digest}\n{started_ms}").as_bytes())
}

/// The next link: `sha256(previous link + "\n" + event's canonical JSON)`.
pub fn chain_next(prev: &str, event_json: &str) -> String {
    let mut bytes = Vec::with_capacity(prev.len() + 1 + event_json.len());
    bytes.extend_from_slice(prev.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(event_json.as_bytes());
    sha256_hex(&bytes)
}

fn invalid(path: &str, reason: impl Into<String>) -> Rejection {
    Rejection::Invalid { path: path.into(), reason: reason.into() }
}

fn check_text(path: &str, text: &str) -> Result<(), Rejection> {
    if text.is_empty() || text.len() > event::MAX_EVENT_TEXT {
        return Err(invalid(path, format!("must be 1 to {} bytes", event::MAX_EVENT_TEXT)));
    }
    Ok(())
}

/// An internal event waiting in the cascade.
struct Pending {
    kind: &'static str,
    stage: Option<u32>,
    depth: u32,
}

impl Session {
    /// Opens a session on `hunt` under `rules` at `started_ms`, the player (or every member of a
    /// team) at the hunt's start, in the format for the hunt ([`Format::for_hunt`]).
    pub fn new(hunt: impl Into<PlayableHunt>, rules: Arc<Ruleset>, started_ms: u64) -> Session {
        let hunt = hunt.into();
        Session::open(Format::for_hunt(hunt.hunt()), hunt, rules, started_ms)
    }

    /// [`Session::new`] in an earlier format, to play on as a session begun in it was played. The
    /// format must fit the hunt ([`Format::fits`]): a team's hunt opened in a format before teams
    /// is played as one player's.
    pub fn new_in(format: Format, hunt: impl Into<PlayableHunt>, rules: Arc<Ruleset>, started_ms: u64) -> Session {
        Session::open(format, hunt.into(), rules, started_ms)
    }

    fn open(format: Format, PlayableHunt(facts): PlayableHunt, rules: Arc<Ruleset>, started_ms: u64) -> Session {
        let hunt = &facts.hunt;
        let chain = chain_start(format, &hunt.fingerprint, rules.digest(), started_ms);
        let member = Member { t: started_ms, pos: hunt.start, digs: 0, points: 0, items: BTreeMap::new() };
        let members = match format >= Format::V3 {
            true => hunt.members.iter().map(|id| (id.clone(), member.clone())).collect(),
            false => BTreeMap::new(),
        };
        let state = State {
            seq: 0,
            started_ms,
            t: started_ms,
            pos: hunt.start,
            stage: 0,
            misses: 0,
            digs: 0,
            points: 0,
            items: BTreeMap::new(),
            flags: BTreeMap::new(),
            status: Status::Active,
            fired: BTreeMap::new(),
            claims: BTreeMap::new(),
            members,
            finds: Vec::new(),
            chain,
            last_event: String::new(),
        };
        Session { facts, rules, state, format }
    }

    /// The format this session is played in.
    pub fn format(&self) -> Format {
        self.format
    }

    pub fn hunt(&self) -> &Hunt {
        &self.facts.hunt
    }

    /// The hunt being played, to open more sessions on without computing its facts again.
    pub fn playable(&self) -> PlayableHunt {
        PlayableHunt(self.facts.clone())
    }

    /// The stage being played, whose clue the player follows: `None` once the hunt is over
    /// (every stage found, or failed).
    pub fn current(&self) -> Option<&Stage> {
        let i = self.current_stage().filter(|_| self.state.status == Status::Active)?;
        self.facts.hunt.stages.get(i)
    }

    pub fn rules(&self) -> &Ruleset {
        &self.rules
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// SHA-256 of the state's canonical JSON.
    pub fn state_hash(&self) -> String {
        sha256_hex(&serde_json::to_vec(&self.state).expect("states serialise"))
    }

    /// The state as canonical JSON, to store and [`Session::restore`] later.
    pub fn snapshot(&self) -> String {
        serde_json::to_string(&self.state).expect("states serialise")
    }

    /// Rebuilds a session from a snapshot taken on the same hunt and ruleset. The snapshot's chain
    /// must descend from this hunt and ruleset, which is checked when the log goes on; here the
    /// state itself is checked for consistency with the hunt.
    pub fn restore(hunt: impl Into<PlayableHunt>, rules: Arc<Ruleset>, snapshot: &str) -> Result<Session, Rejection> {
        let hunt = hunt.into();
        Session::restore_on(Format::for_hunt(hunt.hunt()), hunt, rules, snapshot)
    }

    /// [`Session::restore`] of a session played in `format` (a snapshot does not say which).
    pub fn restore_in(
        format: Format,
        hunt: impl Into<PlayableHunt>,
        rules: Arc<Ruleset>,
        snapshot: &str,
    ) -> Result<Session, Rejection> {
        Session::restore_on(format, hunt.into(), rules, snapshot)
    }

    fn restore_on(
        format: Format,
        PlayableHunt(facts): PlayableHunt,
        rules: Arc<Ruleset>,
        snapshot: &str,
    ) -> Result<Session, Rejection> {
        let hunt = &facts.hunt;
        format.fits(hunt).map_err(|reason| invalid("snapshot", reason))?;
        let state: State = serde_json::from_str(snapshot).map_err(|e| invalid("snapshot", e.to_string()))?;
        let space = hunt.world.space();
        let roster_fits = state.members.len() == hunt.members.len()
            && hunt.members.iter().all(|id| state.members.get(id).is_some_and(|m| m.pos.check_in(space).is_ok()));
        if state.stage as usize > hunt.stages.len()
            || state.pos.check_in(space).is_err()
            || state.t < state.started_ms
            || !roster_fits
        {
            return Err(invalid("snapshot", "does not fit this hunt"));
        }
        Ok(Session { facts, rules, state, format })
    }

    fn current_stage(&self) -> Option<usize> {
        let i = self.state.stage as usize;
        (i < self.facts.hunt.stages.len()).then_some(i)
    }

    /// Who made an event: in a team's session, the member a player's event names (host events
    /// may name none); in one player's, nobody.
    fn member_of(&self, member: Option<&str>, event: &Event) -> Result<Option<&Member>, Rejection> {
        let members = &self.state.members;
        match member {
            None if members.is_empty() => Ok(None),
            None => match event {
                Event::Tick { .. } | Event::ClaimResult { .. } | Event::WindowClosed { .. } => Ok(None),
                _ => Err(invalid("member", "a team's players' events name the member who made them")),
            },
            Some(_) if members.is_empty() => Err(invalid("member", "this session is one player's: no member")),
            Some(name) => members.get(name).map(Some).ok_or_else(|| Rejection::UnknownMember { member: name.into() }),
        }
    }

    /// Checks an event made by `member` (see [`Session::member_of`]) against the hunt and the
    /// state without changing anything.
    fn validate(&self, member: Option<&str>, event: &Event, digest: &str) -> Result<(), Rejection> {
        let s = &self.state;
        let t = event.t();
        if t > crate::limits::MAX_SEED {
            return Err(invalid("t", format!("{t} is above 2^53 - 1")));
        }
        // A member's clock, position and items are theirs; a host's event follows the team's.
        let who = self.member_of(member, event)?;
        let (last_t, here, items) = match who {
            Some(m) => (m.t, m.pos, &m.items),
            None => (s.t, s.pos, &s.items),
        };
        // The host's answer to a pending claim may arrive after the hunt ended; nothing else may.
        if let Event::ClaimResult { claim, .. } = event {
            if !s.claims.contains_key(claim) {
                return Err(Rejection::UnknownClaim { claim: claim.clone() });
            }
        } else if s.status != Status::Active {
            return Err(Rejection::HuntOver);
        }
        if t < last_t {
            return Err(Rejection::TimeReversed { last: last_t, got: t });
        }
        if s.seq >= MAX_EVENTS {
            return Err(invalid("seq", format!("the session holds {MAX_EVENTS} events, its limit")));
        }
        if digest == s.last_event {
            return Err(Rejection::Duplicate);
        }
        match event {
            Event::Move { at, accuracy, .. } => {
                let allowance = self.check_position(*at, *accuracy)?;
                let seconds = (t - last_t) as f64 / 1000.0;
                let allowed = self.facts.hunt.max_speed * seconds + MOVE_JITTER + allowance;
                let distance = here.distance(*at);
                if distance > allowed {
                    return Err(Rejection::TooFast { distance, seconds, allowed });
                }
            }
            Event::Dig { at, accuracy, .. } => {
                let allowance = self.check_position(*at, *accuracy)?;
                let distance = here.distance(*at);
                let reach = DIG_REACH + allowance;
                if distance > reach {
                    return Err(Rejection::DigAway { distance, reach });
                }
                // Two members digging up one stage at one instant: the first in the log found it.
                if let Some(found) = s.finds.last().filter(|f| f.t == t && f.member.as_deref() != member) {
                    let stage = &self.facts.hunt.stages[found.stage as usize - 1];
                    if at.distance(stage.site.pos) <= stage.dig_radius {
                        let by = found.member.clone().unwrap_or_default();
                        return Err(Rejection::AlreadyFound { stage: found.stage, member: by });
                    }
                }
            }
            Event::Answer { stage, answer, .. } => {
                if *stage == 0 || *stage as usize > self.facts.hunt.stages.len() {
                    return Err(Rejection::UnknownStage { stage: *stage });
                }
                check_text("answer", answer)?;
            }
            Event::Use { item, .. } => {
                check_text("item", item)?;
                if items.get(item).is_none_or(|&n| n == 0) {
                    return Err(Rejection::UnknownItem { item: item.clone() });
                }
            }
            Event::Tick { .. } | Event::ClaimResult { .. } | Event::WindowClosed { .. } => {}
        }
        Ok(())
    }

    /// Checks an event's position (in the hunt's space, within range) and reported accuracy;
    /// returns the metres that accuracy adds to the event's allowance.
    fn check_position(&self, at: Position, accuracy: Option<f64>) -> Result<f64, Rejection> {
        let space = self.facts.hunt.world.space();
        if let Err(reason) = at.check_in(space) {
            let path = match at {
                Position::Plane(_) => "x",
                Position::Earth(_) => "lon",
            };
            let reason = match (at, at.space() == space) {
                (Position::Plane(_), true) => "position is not finite or lies beyond 1e9 m".into(),
                _ => reason,
            };
            return Err(invalid(path, reason));
        }
        match accuracy {
            None => Ok(0.0),
            Some(a) if a.is_finite() && a >= 0.0 => Ok(a.min(MAX_ACCURACY_ALLOWANCE)),
            Some(a) => Err(invalid("accuracy", format!("{a:?} is not a distance in metres (finite, 0 or more)"))),
        }
    }

    /// Applies an event: either every change and the outcomes, or a rejection and no change.
    pub fn apply(&mut self, event: &Event) -> Result<Vec<Outcome>, Rejection> {
        self.apply_canonical_by(None, event).map(|(out, _)| out)
    }

    /// [`Session::apply`], also returning the event's canonical JSON (what the chain covers).
    pub fn apply_canonical(&mut self, event: &Event) -> Result<(Vec<Outcome>, String), Rejection> {
        self.apply_canonical_by(None, event)
    }

    /// Applies an event made by a team's `member` (`None`: the host's, or one player's).
    pub fn apply_by(&mut self, member: Option<&str>, event: &Event) -> Result<Vec<Outcome>, Rejection> {
        self.apply_canonical_by(member, event).map(|(out, _)| out)
    }

    /// [`Session::apply_by`], also returning the event's canonical JSON, its member in it.
    pub fn apply_canonical_by(
        &mut self,
        member: Option<&str>,
        event: &Event,
    ) -> Result<(Vec<Outcome>, String), Rejection> {
        let json = event.canonical_json_by(member);
        let digest = sha256_hex(json.as_bytes());
        self.validate(member, event, &digest)?;
        let mut out = Vec::new();
        let t = event.t();
        {
            let s = &mut self.state;
            s.seq += 1;
            s.t = s.t.max(t);
            s.chain = chain_next(&s.chain, &json);
            s.last_event = digest;
            if let Some(m) = member.and_then(|m| s.members.get_mut(m)) {
                m.t = t;
                match event {
                    Event::Move { at, .. } => m.pos = *at,
                    Event::Dig { .. } => m.digs += 1,
                    _ => {}
                }
            }
        }
        let mut facts = EventFacts { kind: event.kind(), t, member: member.map(Arc::from), ..EventFacts::default() };
        match event {
            Event::Move { at, accuracy, .. } => {
                self.state.pos = *at;
                (facts.at, facts.accuracy) = (Some(*at), *accuracy);
            }
            Event::Dig { at, accuracy, .. } => {
                (facts.at, facts.accuracy) = (Some(*at), *accuracy);
                self.state.digs += 1;
                if let Some(i) = self.current_stage() {
                    let stage = &self.facts.hunt.stages[i];
                    let (distance, bearing) = at.distance_and_bearing(stage.site.pos);
                    let hit = distance <= stage.dig_radius;
                    facts.distance = Some(distance);
                    facts.hit = Some(hit);
                    facts.bearing = Some(wind_name(Wind::from_bearing(bearing)));
                    if !hit {
                        self.state.misses += 1;
                        if self.format >= Format::V2 {
                            out.push(Outcome::Missed { stage: stage.number, misses: self.state.misses });
                        }
                    }
                }
            }
            Event::Answer { stage, answer, .. } => {
                facts.stage = Some(*stage);
                facts.answer = Some(Arc::from(answer.as_str()));
            }
            Event::Use { item, .. } => facts.item = Some(Arc::from(item.as_str())),
            Event::Tick { .. } | Event::WindowClosed { .. } => {}
            Event::ClaimResult { claim, granted, .. } => {
                facts.claim = Some(Arc::from(claim.as_str()));
                facts.granted = Some(*granted);
            }
        }
        let mut queue = VecDeque::new();
        if self.time_is_up(t) {
            self.fail("time limit reached", &mut out, &mut queue);
        } else if let Event::WindowClosed { .. } = event {
            self.run_rules(&facts, &mut out, &mut queue, 0);
            self.fail("the event's window closed", &mut out, &mut queue);
        } else if let Event::ClaimResult { claim, granted, .. } = event {
            let rule_id = self.state.claims.remove(claim).expect("validated");
            let rules = Arc::clone(&self.rules);
            if let Some(rule) = rules.rules.iter().find(|r| r.id == rule_id) {
                if *granted {
                    self.effects(rule, &facts, &mut out, &mut queue, 0);
                }
            }
        } else {
            self.run_rules(&facts, &mut out, &mut queue, 0);
        }
        while let Some(p) = queue.pop_front() {
            if p.depth > MAX_CASCADE {
                continue;
            }
            let member = facts.member.clone();
            let internal = EventFacts { kind: p.kind, t, stage: p.stage, member, ..EventFacts::default() };
            self.run_rules(&internal, &mut out, &mut queue, p.depth);
        }
        Ok((out, json))
    }

    fn time_is_up(&self, t: u64) -> bool {
        self.facts.hunt.time_limit_s.is_some_and(|limit| t - self.state.started_ms > u64::from(limit) * 1000)
    }

    /// The stage `stage.*` describes for an event: the completed one for `stage_completed` and
    /// `answer`, else the current one (or the last, once all are done).
    fn stage_for(&self, e: &EventFacts) -> Option<usize> {
        let n = self.facts.hunt.stages.len();
        match e.stage {
            Some(number) if number >= 1 && number as usize <= n => Some(number as usize - 1),
            _ => self.current_stage().or(n.checked_sub(1)),
        }
    }

    fn run_rules(&mut self, e: &EventFacts, out: &mut Vec<Outcome>, queue: &mut VecDeque<Pending>, depth: u32) {
        let rules = Arc::clone(&self.rules);
        for rule in rules.listening(e.kind) {
            if let Some(f) = self.state.fired.get(&rule.id) {
                if rule.once || e.t < f.last_ms.saturating_add(rule.cooldown_ms) && rule.cooldown_ms > 0 {
                    continue;
                }
            }
            let fires = match &rule.when {
                None => true,
                Some(cond) => match self.test(cond, e) {
                    Ok(fires) => fires,
                    Err(thrown) => {
                        out.push(rule_error(rule, "when".into(), &thrown));
                        continue;
                    }
                },
            };
            if !fires {
                continue;
            }
            if let Some(cap) = &rule.cap {
                if self.state.claims.values().any(|r| r == &rule.id) {
                    continue;
                }
                let claim = format!("{}:{}", self.state.seq, rule.id);
                self.state.claims.insert(claim.clone(), rule.id.clone());
                out.push(Outcome::Claim { rule: rule.id.clone(), claim, cap: cap.key.clone(), limit: cap.limit });
                continue;
            }
            self.effects(rule, e, out, queue, depth);
        }
    }

    fn scope<'s>(&'s self, e: &'s EventFacts) -> RuleScope<'s> {
        RuleScope { facts: &self.facts, state: &self.state, event: e, stage: self.stage_for(e) }
    }

    /// A rule's condition.
    fn test(&self, logic: &Logic, e: &EventFacts) -> Result<bool, Thrown> {
        logic.truthy(&self.scope(e))
    }

    fn eval(&self, logic: &Logic, e: &EventFacts) -> Result<Val, Thrown> {
        logic.eval(&self.scope(e)).map(Cow::into_owned)
    }

    /// Applies a fired rule's effects in order, all or none: when one raises an error, the
    /// session is put back as it was before the rule and the error is the rule's only outcome.
    fn effects(
        &mut self,
        rule: &Rule,
        e: &EventFacts,
        out: &mut Vec<Outcome>,
        queue: &mut VecDeque<Pending>,
        depth: u32,
    ) {
        // Only rules whose effects can raise pay for the snapshot.
        let before = rule.effects_may_throw.then(|| (self.state.clone(), out.len(), queue.len()));
        if let Err((j, thrown)) = self.apply_effects(rule, e, out, queue, depth) {
            if let Some((state, outs, pending)) = before {
                self.state = state;
                out.truncate(outs);
                queue.truncate(pending);
            }
            out.push(rule_error(rule, format!("then[{j}]"), &thrown));
        }
    }

    fn apply_effects(
        &mut self,
        rule: &Rule,
        e: &EventFacts,
        out: &mut Vec<Outcome>,
        queue: &mut VecDeque<Pending>,
        depth: u32,
    ) -> Result<(), (usize, Thrown)> {
        let fired = self.state.fired.entry(rule.id.clone()).or_insert(Fired { count: 0, last_ms: e.t });
        fired.count += 1;
        fired.last_ms = e.t;
        let rid = || rule.id.clone();
        for (j, effect) in rule.then.iter().enumerate() {
            let eval = |session: &Self, logic: &Logic| session.eval(logic, e).map_err(|t| (j, t));
            match effect {
                Effect::CompleteStage => {
                    if self.state.status == Status::Active && self.current_stage().is_some() {
                        self.state.stage += 1;
                        self.state.misses = 0;
                        if !self.state.members.is_empty() {
                            let member = e.member.as_deref().map(str::to_owned);
                            self.state.finds.push(Find { stage: self.state.stage, member, t: e.t });
                        }
                        out.push(Outcome::StageCompleted { stage: self.state.stage });
                        queue.push_back(Pending {
                            kind: "stage_completed",
                            stage: Some(self.state.stage),
                            depth: depth + 1,
                        });
                    }
                }
                Effect::AddPoints(logic) => {
                    let v = eval(self, logic)?.to_number();
                    if v.is_finite() && v.trunc() != 0.0 {
                        let delta = v.trunc().clamp(-MAX_POINTS, MAX_POINTS) as i64;
                        let add = |points: i64| (points + delta).clamp(-MAX_POINTS as i64, MAX_POINTS as i64);
                        self.state.points = add(self.state.points);
                        if let Some(m) = actor(&mut self.state.members, e) {
                            m.points = add(m.points);
                        }
                        out.push(Outcome::Points { rule: rid(), delta, total: self.state.points });
                    }
                }
                Effect::GiveItem { item, count } | Effect::TakeItem { item, count } => {
                    let Some(name) = item_name(&eval(self, item)?) else { continue };
                    let n = eval(self, count)?.to_number();
                    if !(n.is_finite() && n >= 1.0) {
                        continue;
                    }
                    let n = n.min(1e9) as u64;
                    // A member's items are theirs and the team's; the host's are the team's.
                    if matches!(effect, Effect::GiveItem { .. }) {
                        *self.state.items.entry(name.clone()).or_insert(0) += n;
                        if let Some(m) = actor(&mut self.state.members, e) {
                            *m.items.entry(name.clone()).or_insert(0) += n;
                        }
                        out.push(Outcome::ItemGiven { rule: rid(), item: name, count: n });
                    } else {
                        let taken = match actor(&mut self.state.members, e) {
                            Some(m) => take(&mut m.items, &name, n),
                            None => n,
                        };
                        let taken = take(&mut self.state.items, &name, taken);
                        if taken > 0 {
                            out.push(Outcome::ItemTaken { rule: rid(), item: name, count: taken });
                        }
                    }
                }
                Effect::SetFlag { name, value } => {
                    let value = eval(self, value)?.to_json();
                    self.state.flags.insert(name.clone(), value.clone());
                    out.push(Outcome::FlagSet { rule: rid(), flag: name.clone(), value });
                }
                Effect::RevealHint(text) => {
                    let text = eval(self, text)?.to_js_string();
                    let stage = self.stage_for(e).map_or(0, |i| i as u32 + 1);
                    out.push(Outcome::Hint { rule: rid(), stage, text });
                }
                Effect::Message(text) => {
                    let text = eval(self, text)?.to_js_string();
                    out.push(Outcome::Message { rule: rid(), text });
                }
                Effect::CompleteHunt => {
                    if self.state.status == Status::Active {
                        self.state.status = Status::Completed;
                        out.push(Outcome::HuntCompleted);
                        queue.push_back(Pending { kind: "hunt_completed", stage: None, depth: depth + 1 });
                    }
                }
                Effect::FailHunt(reason) => {
                    let reason = eval(self, reason)?.to_js_string();
                    self.fail(&reason, out, queue);
                }
            }
        }
        Ok(())
    }

    fn fail(&mut self, reason: &str, out: &mut Vec<Outcome>, queue: &mut VecDeque<Pending>) {
        if self.state.status == Status::Active {
            self.state.status = Status::Failed;
            out.push(Outcome::HuntFailed { reason: reason.to_owned() });
            queue.push_back(Pending { kind: "hunt_failed", stage: None, depth: 1 });
        }
    }
}

/// The member an event's rules act for, in a team's session.
fn actor<'m>(members: &'m mut BTreeMap<String, Member>, e: &EventFacts) -> Option<&'m mut Member> {
    members.get_mut(e.member.as_deref()?)
}

/// Takes up to `n` of `item` from `items`; returns how many were taken.
fn take(items: &mut BTreeMap<String, u64>, item: &str, n: u64) -> u64 {
    let have = items.get(item).copied().unwrap_or(0);
    let taken = have.min(n);
    if taken > 0 {
        if have == taken {
            items.remove(item);
        } else {
            items.insert(item.to_owned(), have - taken);
        }
    }
    taken
}

/// An item an effect names: its value as text, unless null, empty or too long.
fn item_name(v: &Val) -> Option<String> {
    match v {
        Val::Null => None,
        v => Some(v.to_js_string()).filter(|s| !s.is_empty() && s.len() <= MAX_NAME_LEN),
    }
}

/// The outcome of a rule whose condition or effect raised an error no `try` caught.
fn rule_error(rule: &Rule, at: String, thrown: &Thrown) -> Outcome {
    let mut error = thrown.kind();
    if error.len() > event::MAX_EVENT_TEXT {
        let mut end = event::MAX_EVENT_TEXT;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
    }
    Outcome::RuleError { rule: rule.id.clone(), at, error }
}

/// The English name of a wind, for `event.bearing` (from the clue text table).
fn wind_name(w: Wind) -> &'static str {
    &crate::hunt::clue::ClueText::english().winds[w.index()]
}
