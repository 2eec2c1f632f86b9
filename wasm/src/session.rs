//! Sessions: a player's events applied under a ruleset, with the log that replays them.

use crate::convert::{coded, error, given, read_doc, reporter, to_js, with, JsResult, OptReplayProgress};
use crate::hunt::{read_hunt, HuntHandle};
use crate::rules::Rules;
use crate::world::integer;
use wasm_bindgen::prelude::*;
use xmarks::limits::MAX_SEED;
use xmarks::session::{log, Authored, Format, PlayableHunt};

/// One player's game of one hunt. Holds wasm memory: call `free()` when the game ends.
#[wasm_bindgen]
pub struct Session {
    inner: xmarks::session::Session,
    /// Canonical JSON of the last accepted event, for its log line.
    last_event: Option<String>,
}

#[wasm_bindgen]
impl Session {
    /// Opens a session on `hunt` (its fingerprint is checked) under `rules` at `startedMs`, in
    /// the current session format (a team's hunt: the team format, `"xmarks-session/3"`) unless
    /// `format` names an earlier one (`"xmarks-session/1"`), to play on as a session begun in it
    /// was played.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
        rules: &Rules,
        #[wasm_bindgen(js_name = startedMs)] started_ms: f64,
        format: Option<String>,
    ) -> JsResult<Session> {
        Session::opened(|| read_hunt(&hunt), rules, started_ms, format)
    }

    /// `new Session` on a `Hunt` of the package's: its hunt is taken as it is.
    #[wasm_bindgen(js_name = __open, skip_typescript)]
    pub fn open(hunt: &HuntHandle, rules: &Rules, started_ms: f64, format: Option<String>) -> JsResult<Session> {
        Session::opened(|| Ok(hunt.playable()), rules, started_ms, format)
    }

    /// `Session.restore` on a `Hunt` of the package's.
    #[wasm_bindgen(js_name = __restore, skip_typescript)]
    pub fn restore_on(hunt: &HuntHandle, rules: &Rules, snapshot: &str, format: Option<String>) -> JsResult<Session> {
        Session::restored(hunt.playable(), rules, snapshot, format)
    }

    /// Rebuilds a session from a `snapshot()` taken on the same hunt and rules, in the session's
    /// `format` (the current one unless given: a snapshot does not say).
    pub fn restore(
        #[wasm_bindgen(unchecked_param_type = "HuntData | string")] hunt: JsValue,
        rules: &Rules,
        snapshot: &str,
        format: Option<String>,
    ) -> JsResult<Session> {
        Session::restored(read_hunt(&hunt)?, rules, snapshot, format)
    }

    /// The session format it is played in, as log headers name it (`"xmarks-session/2"`).
    #[wasm_bindgen(getter)]
    pub fn format(&self) -> String {
        self.inner.format().name().to_owned()
    }

    /// Applies one event and returns what it did (in a team's session, the event names its
    /// `member`). A refused event throws an `Error` whose `code` says why (`too_fast`,
    /// `dig_away`, `unknown_member`, ...) and changes nothing.
    #[wasm_bindgen(unchecked_return_type = "Outcome[]")]
    pub fn apply(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "GameEvent | string")] event: JsValue,
    ) -> JsResult<JsValue> {
        let a = read_doc(&event, "event", |text| Authored::from_json(text).map_err(|e| coded(&e)))?;
        let (outcomes, json) = self.inner.apply_canonical_by(a.member.as_deref(), &a.event).map_err(|e| coded(&e))?;
        self.last_event = Some(json);
        if outcomes.is_empty() {
            return Ok(js_sys::Array::new().into()); // most events: no JSON round trip
        }
        to_js(&outcomes)
    }

    /// The session's state.
    #[wasm_bindgen(unchecked_return_type = "State")]
    pub fn state(&self) -> JsResult<JsValue> {
        to_js(self.inner.state())
    }

    /// SHA-256 of the state's canonical JSON: equal on every target after the same events.
    #[wasm_bindgen(js_name = stateHash)]
    pub fn state_hash(&self) -> String {
        self.inner.state_hash()
    }

    /// The state as canonical JSON, for `Session.restore`.
    pub fn snapshot(&self) -> String {
        self.inner.snapshot()
    }

    /// The hunt being played.
    // The package's module wraps the handle in a `Hunt`.
    #[wasm_bindgen(unchecked_return_type = "Hunt")]
    pub fn hunt(&self) -> HuntHandle {
        HuntHandle::playing(self.inner.playable())
    }

    /// The stage being played, whose clue the player follows (`state().stage` is its index);
    /// `null` once the hunt is over.
    #[wasm_bindgen(js_name = currentStage, unchecked_return_type = "Stage | null")]
    pub fn current_stage(&self) -> JsResult<JsValue> {
        to_js(&self.inner.current())
    }

    /// The first line of this session's log (JSON Lines): the hunt, the rules and the start time.
    #[wasm_bindgen(js_name = logHeader)]
    pub fn log_header(&self) -> String {
        log::header(&self.inner)
    }

    /// The log line of the last accepted event (append it to the log after each `apply`);
    /// `undefined` before the first.
    #[wasm_bindgen(js_name = logLine)]
    pub fn log_line(&self) -> Option<String> {
        self.last_event.as_deref().map(|json| log::line_from_json(&self.inner, json))
    }
}

impl Session {
    /// A session in `format` on the hunt `hunt()` gives, its arguments checked in the order they come.
    fn opened<H: Into<PlayableHunt>>(
        hunt: impl FnOnce() -> JsResult<H>,
        rules: &Rules,
        started_ms: f64,
        format: Option<String>,
    ) -> JsResult<Session> {
        let started_ms = integer(started_ms, "startedMs", MAX_SEED)?;
        let format = format_of(format)?;
        let hunt: PlayableHunt = hunt()?.into();
        let format = fitting(format, &hunt)?;
        let inner = xmarks::session::Session::new_in(format, hunt, rules.0.clone(), started_ms);
        Ok(Session { inner, last_event: None })
    }

    fn restored(
        hunt: impl Into<PlayableHunt>,
        rules: &Rules,
        snapshot: &str,
        format: Option<String>,
    ) -> JsResult<Session> {
        let hunt: PlayableHunt = hunt.into();
        let format = fitting(format_of(format)?, &hunt)?;
        let inner =
            xmarks::session::Session::restore_in(format, hunt, rules.0.clone(), snapshot).map_err(|e| coded(&e))?;
        Ok(Session { inner, last_event: None })
    }
}

/// Rebuilds a session from its log, checking every line and every link of the hash chain.
/// `onProgress`, when given, is called every 8,192 events and at the end.
#[wasm_bindgen(unchecked_return_type = "Replay")]
pub fn replay(
    log: &str,
    #[wasm_bindgen(js_name = onProgress)] on_progress: Option<OptReplayProgress>,
) -> JsResult<JsValue> {
    let replayed =
        log::replay_with_progress(log, &mut reporter(given(on_progress).dyn_ref())).map_err(|e| coded(&e))?;
    let outcomes = to_js(&replayed.outcomes)?;
    let session = Session { inner: replayed.session, last_event: None };
    let out = with(js_sys::Object::new().into(), "session", &session.into());
    Ok(with(out, "outcomes", &outcomes))
}

/// The format a session of `hunt` is played in: the one given, if it fits the hunt, else the
/// hunt's ([`Format::for_hunt`]).
fn fitting(format: Option<Format>, hunt: &PlayableHunt) -> JsResult<Format> {
    let Some(format) = format else { return Ok(Format::for_hunt(hunt.hunt())) };
    format.fits(hunt.hunt()).map_err(|reason| error("input_invalid", &format!("format: {reason}"), Some("format")))?;
    Ok(format)
}

/// The session format `name` stands for, if given.
fn format_of(name: Option<String>) -> JsResult<Option<Format>> {
    match name {
        None => Ok(None),
        Some(name) => Format::from_name(&name).map(Some).ok_or_else(|| {
            let known = Format::ALL.map(Format::name).join(", ");
            error(
                "input_invalid",
                &format!("format: {name:?} is not a session format this engine plays ({known})"),
                Some("format"),
            )
        }),
    }
}
