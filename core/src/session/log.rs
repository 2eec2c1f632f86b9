//! Session logs: JSON Lines a session can be rebuilt from, with the hash chain in every line.
//!
//! Line 1 is the header: `{"session": "xmarks-session/2", "hunt": {...}, "rules": {...},
//! "started_ms": N}` (the hunt with its fingerprint, the ruleset as written; a team's hunt names its
//! members, and its sessions are format 3). Every further line is `{"seq": n, "event": {...},
//! "chain": "<hex>"}`, where `chain` is the chain head after the event (in a team's log, the event
//! names its member).
//! Every line must be exactly its canonical JSON, so any changed byte is found: in an event by the
//! chain, in a chain by the recomputed chain, in the header by the hunt's fingerprint or the first
//! event's chain, and in spacing or escapes by the canonical form.

use super::{chain_start, Authored, Event, Format, Outcome, Session};
use crate::error::Coded;
use crate::hunt::Hunt;
use crate::progress::{Phase, Progress, PROGRESS_EVERY};
use crate::rules::{Ruleset, RulesetSpec};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub session: String,
    pub hunt: Hunt,
    pub rules: RulesetSpec,
    pub started_ms: u64,
}

/// An event line of a log, as read (the chain borrowed from the text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line<'a> {
    pub seq: u64,
    pub event: Authored,
    pub chain: &'a str,
}

/// Where and why a log does not replay. `line` is 1-based (line 1 is the header).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ReplayError {
    pub line: u64,
    pub reason: String,
}

impl Coded for ReplayError {
    fn code(&self) -> &'static str {
        "log_invalid"
    }

    fn path(&self) -> Option<String> {
        Some(format!("line {}", self.line))
    }
}

/// What a replay rebuilt.
#[derive(Debug, Clone)]
pub struct Replay {
    pub session: Session,
    /// Outcomes of each event, in order.
    pub outcomes: Vec<Vec<Outcome>>,
}

/// The header line of a new session's log.
pub fn header(session: &Session) -> String {
    let h = Header {
        session: session.format().name().into(),
        hunt: session.hunt().clone(),
        rules: session.rules().spec().clone(),
        started_ms: session.state().started_ms,
    };
    serde_json::to_string(&h).expect("headers serialise")
}

/// The log line for the event a session just accepted.
pub fn line(session: &Session, event: &Event) -> String {
    line_from_json(session, &event.canonical_json())
}

/// The log line for the event a team's member (or the host: `None`) just made.
pub fn line_by(session: &Session, member: Option<&str>, event: &Event) -> String {
    line_from_json(session, &event.canonical_json_by(member))
}

/// The same line from the event's canonical JSON, as [`Session::apply_canonical`] returns it.
pub fn line_from_json(session: &Session, event_json: &str) -> String {
    let s = session.state();
    format!(r#"{{"seq":{},"event":{event_json},"chain":"{}"}}"#, s.seq, s.chain)
}

/// Lines parsed per block; a block is parsed on every core while the fold stays sequential.
const BLOCK: usize = 65_536;

fn parse_line(text: &str) -> Result<Line<'_>, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

/// Parses a block of lines, in parallel where threads exist (not in wasm).
fn parse_block<'a>(lines: &[&'a str]) -> Vec<Result<Line<'a>, String>> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        if workers > 1 && lines.len() >= 4096 {
            let chunk = lines.len().div_ceil(workers);
            return std::thread::scope(|scope| {
                let parts: Vec<_> = lines
                    .chunks(chunk)
                    .map(|part| scope.spawn(move || part.iter().map(|l| parse_line(l)).collect::<Vec<_>>()))
                    .collect();
                parts.into_iter().flat_map(|p| p.join().expect("parsing does not panic")).collect()
            });
        }
    }
    lines.iter().map(|l| parse_line(l)).collect()
}

/// Rebuilds a session from its log, checking every line and every link of the chain.
pub fn replay(log: &str) -> Result<Replay, ReplayError> {
    replay_with_progress(log, &mut |_| {})
}

/// [`replay`], reporting the events replayed of the log's count to `progress` every
/// [`PROGRESS_EVERY`] events and at the end: for a page that shows a long replay.
pub fn replay_with_progress(log: &str, progress: &mut dyn FnMut(Progress)) -> Result<Replay, ReplayError> {
    let lines: Vec<&str> = log.split_terminator('\n').collect();
    let total = lines.len().saturating_sub(1) as u64;
    let mut report = |done| progress(Progress { phase: Phase::Replaying, done, total });
    let err = |line: u64, reason: String| ReplayError { line, reason };
    let first = *lines.first().ok_or_else(|| err(1, "the log is empty".into()))?;
    let h: Header = serde_json::from_str(first).map_err(|e| err(1, format!("header: {e}")))?;
    let Some(format) = Format::from_name(&h.session) else {
        let known = Format::ALL.map(Format::name);
        return Err(err(1, format!("session format {:?}, expected one of {known:?}", h.session)));
    };
    let hunt = Hunt::from_json(&serde_json::to_string(&h.hunt).expect("hunts serialise"))
        .map_err(|e| err(1, e.to_string()))?;
    format.fits(&hunt).map_err(|reason| err(1, reason))?;
    let rules = Ruleset::compile(&h.rules).map_err(|e| err(1, format!("rules: {e}")))?;
    let mut session = Session::new_in(format, hunt, Arc::new(rules), h.started_ms);
    if header(&session) != first {
        return Err(err(1, "header is not in canonical form (edited?)".into()));
    }
    debug_assert_eq!(
        session.state().chain,
        chain_start(format, &session.hunt().fingerprint, session.rules().digest(), h.started_ms)
    );
    let mut outcomes = Vec::new();
    for (b, block) in lines[1..].chunks(BLOCK).enumerate() {
        for (i, (parsed, text)) in parse_block(block).into_iter().zip(block).enumerate() {
            let n = (b * BLOCK + i) as u64 + 2;
            let l = parsed.map_err(|e| err(n, e))?;
            let expected = session.state().seq + 1;
            if l.seq != expected {
                return Err(err(
                    n,
                    format!("seq {} where {expected} was expected (dropped, inserted or reordered)", l.seq),
                ));
            }
            let Authored { member, event } = &l.event;
            let (out, json) = session
                .apply_canonical_by(member.as_deref(), event)
                .map_err(|r| err(n, format!("event refused: {r}")))?;
            if session.state().chain != l.chain {
                return Err(err(n, "chain does not match: the event or an earlier line was edited".into()));
            }
            if line_from_json(&session, &json) != *text {
                return Err(err(n, "line is not in canonical form (edited?)".into()));
            }
            outcomes.push(out);
            if (n - 1) % PROGRESS_EVERY == 0 {
                report(n - 1);
            }
        }
    }
    report(total);
    Ok(Replay { session, outcomes })
}
