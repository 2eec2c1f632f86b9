//! What players send (events), what a session answers (outcomes), and why it refuses (rejections).

use crate::error::Coded;
pub use crate::limits::{MAX_EVENT_BYTES, MAX_EVENT_TEXT};
use crate::position::Position;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// A player's event, or the host's resolution of a claim. `t` is milliseconds on the game's clock.
///
/// JSON: `{"type": "move", "t": 1000, "x": 1.5, "y": -2}` on planar worlds,
/// `{"type": "move", "t": 1000, "lon": -21.94, "lat": 64.15, "accuracy": 8}` on Earth worlds, and
/// so on; fields other than those of the type are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "FlatEvent")]
pub enum Event {
    /// The player is now `at`. `accuracy` is the device's reported accuracy in metres, if any:
    /// it widens the allowance for position noise, up to
    /// [`crate::limits::MAX_ACCURACY_ALLOWANCE`].
    Move { t: u64, at: Position, accuracy: Option<f64> },
    /// The player digs `at`, which must be where they stand.
    Dig { t: u64, at: Position, accuracy: Option<f64> },
    /// An answer to a stage's riddle.
    Answer { t: u64, stage: u32, answer: String },
    /// The player uses an item they hold.
    Use { t: u64, item: String },
    /// Time passes (time limits are checked on every event).
    Tick { t: u64 },
    /// The host's answer to a [`Outcome::Claim`], recorded so a replay never asks again.
    ClaimResult { t: u64, claim: String, granted: bool },
    /// The host's word that the live event's window the session plays in has closed: an active
    /// session fails there ([`Outcome::HuntFailed`]), and its result is frozen.
    WindowClosed { t: u64 },
}

/// Every field any event has. Events are read through this flat form because serde's tagged-enum
/// reading buffers each event first, which made log replay 30% slower.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Move,
    Dig,
    Answer,
    Use,
    Tick,
    ClaimResult,
    WindowClosed,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlatEvent {
    #[serde(rename = "type")]
    kind: Kind,
    t: u64,
    member: Option<String>,
    x: Option<f64>,
    y: Option<f64>,
    lon: Option<f64>,
    lat: Option<f64>,
    accuracy: Option<f64>,
    stage: Option<u32>,
    answer: Option<String>,
    item: Option<String>,
    claim: Option<String>,
    granted: Option<bool>,
}

impl TryFrom<FlatEvent> for Event {
    type Error = String;

    fn try_from(f: FlatEvent) -> Result<Event, String> {
        if f.member.is_some() {
            return Err("field `member` names a team's member: only a team session's events have it".into());
        }
        Authored::try_from(f).map(|a| a.event)
    }
}

impl TryFrom<FlatEvent> for Authored {
    type Error = String;

    fn try_from(f: FlatEvent) -> Result<Authored, String> {
        let t = f.t;
        let at = || Position::from_fields(f.x, f.y, f.lon, f.lat);
        let event = match f.kind {
            Kind::Move => Event::Move { t, at: at()?, accuracy: f.accuracy },
            Kind::Dig => Event::Dig { t, at: at()?, accuracy: f.accuracy },
            Kind::Answer => Event::Answer {
                t,
                stage: f.stage.ok_or("missing field `stage`")?,
                answer: f.answer.clone().ok_or("missing field `answer`")?,
            },
            Kind::Use => Event::Use { t, item: f.item.clone().ok_or("missing field `item`")? },
            Kind::Tick => Event::Tick { t },
            Kind::ClaimResult => Event::ClaimResult {
                t,
                claim: f.claim.clone().ok_or("missing field `claim`")?,
                granted: f.granted.ok_or("missing field `granted`")?,
            },
            Kind::WindowClosed => Event::WindowClosed { t },
        };
        // Fields that belong to another type are as wrong as unknown ones.
        let given = [
            ("x", f.x.is_some()),
            ("y", f.y.is_some()),
            ("lon", f.lon.is_some()),
            ("lat", f.lat.is_some()),
            ("accuracy", f.accuracy.is_some()),
            ("stage", f.stage.is_some()),
            ("answer", f.answer.is_some()),
            ("item", f.item.is_some()),
            ("claim", f.claim.is_some()),
            ("granted", f.granted.is_some()),
        ];
        let allowed: &[&str] = match &event {
            Event::Move { .. } | Event::Dig { .. } => &["x", "y", "lon", "lat", "accuracy"],
            Event::Answer { .. } => &["stage", "answer"],
            Event::Use { .. } => &["item"],
            Event::Tick { .. } | Event::WindowClosed { .. } => &[],
            Event::ClaimResult { .. } => &["claim", "granted"],
        };
        if let Some((name, _)) = given.iter().find(|(name, set)| *set && !allowed.contains(name)) {
            return Err(format!("field `{name}` does not belong to a {} event", event.kind()));
        }
        Ok(Authored { member: f.member, event })
    }
}

/// An event and the team member who made it: what a team session (format 3) plays. In JSON the
/// member is a field of the event, after `t`: `{"type": "dig", "t": 5000, "member": "ann", "x": 3,
/// "y": 4}`. Players' events (moves, digs, answers, uses) name their member; the host's (ticks,
/// claim results, window closes) may go without. One player's sessions read and write events
/// without the field, as they always have.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "FlatEvent")]
pub struct Authored {
    pub member: Option<String>,
    pub event: Event,
}

impl Authored {
    /// Parses one event, with its member if it names one, enforcing the size limit.
    pub fn from_json(text: &str) -> Result<Authored, Rejection> {
        read(text)
    }

    /// The canonical JSON the hash chain covers.
    pub fn canonical_json(&self) -> String {
        self.event.canonical_json_by(self.member.as_deref())
    }
}

/// An event as [`Event::from_json`] and [`Authored::from_json`] read it: at most
/// [`MAX_EVENT_BYTES`], every problem `malformed`.
fn read<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Rejection> {
    if text.len() > MAX_EVENT_BYTES {
        return Err(Rejection::Malformed { reason: format!("event is larger than {MAX_EVENT_BYTES} bytes") });
    }
    serde_json::from_str(text).map_err(|e| Rejection::Malformed { reason: e.to_string() })
}

/// An event and its member, borrowed, for writing their canonical JSON.
struct By<'a>(&'a Event, Option<&'a str>);

impl Serialize for By<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_by(self.1, serializer)
    }
}

impl Serialize for Authored {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.event.serialize_by(self.member.as_deref(), serializer)
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.serialize_by(None, serializer)
    }
}

impl Event {
    /// The event's JSON, naming `member` after `t` if given.
    fn serialize_by<S: Serializer>(&self, member: Option<&str>, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Event", 6)?;
        s.serialize_field("type", self.kind())?;
        s.serialize_field("t", &self.t())?;
        if let Some(m) = member {
            s.serialize_field("member", m)?;
        }
        match self {
            Event::Move { at, accuracy, .. } | Event::Dig { at, accuracy, .. } => {
                at.serialize_fields(&mut s)?;
                if let Some(a) = accuracy {
                    s.serialize_field("accuracy", a)?;
                }
            }
            Event::Answer { stage, answer, .. } => {
                s.serialize_field("stage", stage)?;
                s.serialize_field("answer", answer)?;
            }
            Event::Use { item, .. } => s.serialize_field("item", item)?,
            Event::Tick { .. } | Event::WindowClosed { .. } => {}
            Event::ClaimResult { claim, granted, .. } => {
                s.serialize_field("claim", claim)?;
                s.serialize_field("granted", granted)?;
            }
        }
        s.end()
    }
}

impl Event {
    /// A move to `at` with no reported accuracy.
    pub fn move_to(t: u64, at: impl Into<Position>) -> Event {
        Event::Move { t, at: at.into(), accuracy: None }
    }

    /// A dig at `at` with no reported accuracy.
    pub fn dig_at(t: u64, at: impl Into<Position>) -> Event {
        Event::Dig { t, at: at.into(), accuracy: None }
    }

    pub fn t(&self) -> u64 {
        match self {
            Event::Move { t, .. }
            | Event::Dig { t, .. }
            | Event::Answer { t, .. }
            | Event::Use { t, .. }
            | Event::Tick { t }
            | Event::ClaimResult { t, .. }
            | Event::WindowClosed { t } => *t,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Event::Move { .. } => "move",
            Event::Dig { .. } => "dig",
            Event::Answer { .. } => "answer",
            Event::Use { .. } => "use",
            Event::Tick { .. } => "tick",
            Event::ClaimResult { .. } => "claim_result",
            Event::WindowClosed { .. } => "window_closed",
        }
    }

    /// Parses one event, enforcing the size limit.
    pub fn from_json(text: &str) -> Result<Event, Rejection> {
        read(text)
    }

    /// The canonical JSON the hash chain covers.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("events serialise")
    }

    /// The canonical JSON of this event made by `member` (as [`Authored::canonical_json`]).
    pub fn canonical_json_by(&self, member: Option<&str>) -> String {
        serde_json::to_string(&By(self, member)).expect("events serialise")
    }
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    StageCompleted {
        stage: u32,
    },
    /// A dig that missed the site of stage `stage` (its number, from 1); `misses` counts this
    /// stage's misses so far. From session format 2.
    Missed {
        stage: u32,
        misses: u32,
    },
    Points {
        rule: String,
        delta: i64,
        total: i64,
    },
    ItemGiven {
        rule: String,
        item: String,
        count: u64,
    },
    ItemTaken {
        rule: String,
        item: String,
        count: u64,
    },
    FlagSet {
        rule: String,
        flag: String,
        value: serde_json::Value,
    },
    Hint {
        rule: String,
        stage: u32,
        text: String,
    },
    Message {
        rule: String,
        text: String,
    },
    HuntCompleted,
    HuntFailed {
        reason: String,
    },
    /// A rule's condition (`at` is `when`) or one of its effects (`then[2]`) raised an error that
    /// no `try` caught: the rule did nothing else. `error` is the error's `type` (`"NaN"`), at
    /// most 256 bytes.
    RuleError {
        rule: String,
        at: String,
        error: String,
    },
    /// A capped rule fired: the host must count `cap` in its shared store and append a
    /// `claim_result` event saying whether this claim was among the first `limit`.
    Claim {
        rule: String,
        claim: String,
        cap: String,
        limit: u64,
    },
}

/// Why an event was refused. A refused event changes nothing.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    #[error("malformed event: {reason}")]
    Malformed { reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
    #[error("time went backwards: {got} ms after {last} ms")]
    TimeReversed { last: u64, got: u64 },
    #[error("duplicate of the previous event")]
    Duplicate,
    #[error("moved {distance:.1} m in {seconds:.3} s, more than {allowed:.1} m at the template's speed")]
    TooFast { distance: f64, seconds: f64, allowed: f64 },
    #[error("dug {distance:.1} m from where the player stands (at most {reach} m)")]
    DigAway { distance: f64, reach: f64 },
    #[error("the hunt is over")]
    HuntOver,
    #[error("no stage {stage} in this hunt")]
    UnknownStage { stage: u32 },
    #[error("the player holds no {item:?}")]
    UnknownItem { item: String },
    #[error("no pending claim {claim:?}")]
    UnknownClaim { claim: String },
    #[error("{member:?} is not a member of this team")]
    UnknownMember { member: String },
    #[error("stage {stage} was found by {member:?} at this very instant")]
    AlreadyFound { stage: u32, member: String },
}

impl Coded for Rejection {
    fn code(&self) -> &'static str {
        match self {
            Rejection::Malformed { .. } => "malformed",
            Rejection::Invalid { .. } => "invalid",
            Rejection::TimeReversed { .. } => "time_reversed",
            Rejection::Duplicate => "duplicate",
            Rejection::TooFast { .. } => "too_fast",
            Rejection::DigAway { .. } => "dig_away",
            Rejection::HuntOver => "hunt_over",
            Rejection::UnknownStage { .. } => "unknown_stage",
            Rejection::UnknownItem { .. } => "unknown_item",
            Rejection::UnknownClaim { .. } => "unknown_claim",
            Rejection::UnknownMember { .. } => "unknown_member",
            Rejection::AlreadyFound { .. } => "already_found",
        }
    }

    fn path(&self) -> Option<String> {
        match self {
            Rejection::Invalid { path, .. } => Some(path.clone()),
            _ => None,
        }
    }
}
