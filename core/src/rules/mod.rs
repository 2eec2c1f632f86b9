//! Game rules: rulesets of JsonLogic conditions and effects, compiled once.
//!
//! A ruleset is JSON: `{"id": "...", "rules": [rule, ...]}`. Each rule has an `id`, the event types
//! it listens `on`, an optional condition `when` (JsonLogic; absent means always), effects `then`,
//! a `priority` (default 0), and optional limits: `once` (fires at most once per session),
//! `cooldown_ms` (quiet time after firing) and `cap` (a global cap shared by all players, resolved
//! by the host: see [`crate::session`]).
//!
//! Evaluation order, fixed: for each event, the rules listening to its type run by priority, highest
//! first, then by id; each rule's effects apply in order. Internal events raised by effects
//! (`stage_completed`, `hunt_completed`, `hunt_failed`) are queued and processed after the current
//! event, breadth-first, at most [`MAX_CASCADE`] levels deep.

pub mod logic;

use crate::error::Coded;
pub use crate::limits::{MAX_CASCADE, MAX_RULES, MAX_RULESET_BYTES, MAX_RULE_NAME_LEN as MAX_NAME_LEN};
use logic::{Logic, LogicError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Event types rules can listen to: what players send, and what the session raises itself.
pub const EVENT_TYPES: [&str; 10] = [
    "move",
    "dig",
    "answer",
    "use",
    "tick",
    "claim_result",
    "window_closed",
    "stage_completed",
    "hunt_completed",
    "hunt_failed",
];

/// The ruleset a template without rules gets (`core/data/rules.default.json`).
pub const DEFAULT_RULES: &str = include_str!("../../data/rules.default.json");

/// A ruleset as written: the serde form designers edit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesetSpec {
    pub id: String,
    pub rules: Vec<RuleSpec>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub on: Vec<String>,
    #[serde(default)]
    pub when: Option<Value>,
    pub then: Vec<Value>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub once: bool,
    #[serde(default)]
    pub cooldown_ms: u64,
    #[serde(default)]
    pub cap: Option<Cap>,
}

/// A global cap: only the first `limit` claims of `key`, across all players, are granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cap {
    pub key: String,
    pub limit: u64,
}

/// What a rule does when it fires. Arguments are JsonLogic, evaluated when the effect applies.
#[derive(Debug, Clone)]
pub enum Effect {
    CompleteStage,
    AddPoints(Logic),
    GiveItem { item: Logic, count: Logic },
    TakeItem { item: Logic, count: Logic },
    SetFlag { name: String, value: Logic },
    RevealHint(Logic),
    Message(Logic),
    CompleteHunt,
    FailHunt(Logic),
}

impl Effect {
    /// Whether evaluating the effect's arguments can raise an error.
    pub fn may_throw(&self) -> bool {
        match self {
            Effect::CompleteStage | Effect::CompleteHunt => false,
            Effect::AddPoints(l) | Effect::RevealHint(l) | Effect::Message(l) | Effect::FailHunt(l) => l.may_throw(),
            Effect::GiveItem { item, count } | Effect::TakeItem { item, count } => {
                item.may_throw() || count.may_throw()
            }
            Effect::SetFlag { value, .. } => value.may_throw(),
        }
    }
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub on: Vec<String>,
    pub when: Option<Logic>,
    pub then: Vec<Effect>,
    pub priority: i32,
    pub once: bool,
    pub cooldown_ms: u64,
    pub cap: Option<Cap>,
    /// Whether an effect's argument can raise an error: the session then snapshots itself
    /// before applying the effects, so that they apply all or none.
    pub effects_may_throw: bool,
}

/// A compiled ruleset, with its rules in evaluation order per event type.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub id: String,
    pub rules: Vec<Rule>,
    /// Indexes into `rules`, per entry of [`EVENT_TYPES`], in evaluation order.
    by_event: Vec<Vec<u16>>,
    /// SHA-256 of the ruleset's canonical JSON: sessions bind to it.
    digest: String,
    /// The ruleset as written, for session logs.
    spec: RulesetSpec,
}

/// Something about a rule worth knowing that does not stop the ruleset from compiling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// `rules[2]`.
    pub path: String,
    /// The rule's id.
    pub rule: String,
    pub reason: String,
}

/// Every problem found in a ruleset, each with its path (`rules[3].when.foo: unknown operator`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RulesError(pub Vec<LogicError>);

impl Coded for RulesError {
    fn code(&self) -> &'static str {
        "rules_invalid"
    }

    /// The first problem's path; every problem is in `.0`.
    fn path(&self) -> Option<String> {
        self.0.first().map(|p| p.path.clone())
    }
}

fn problem(path: impl Into<String>, reason: impl Into<String>) -> LogicError {
    LogicError { path: path.into(), reason: reason.into() }
}

fn check_name(path: &str, name: &str, problems: &mut Vec<LogicError>) {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        problems.push(problem(path, format!("must be 1 to {MAX_NAME_LEN} bytes")));
    }
}

fn compile_at(path: &str, v: &Value, problems: &mut Vec<LogicError>) -> Logic {
    Logic::compile(v).unwrap_or_else(|e| {
        let sub = if e.path == "$" { String::new() } else { format!(".{}", e.path) };
        problems.push(problem(format!("{path}{sub}"), e.reason));
        Logic::compile(&Value::Null).expect("null compiles")
    })
}

/// `{"give_item": ITEM}` or `{"give_item": {"item": ITEM, "count": N}}`.
fn item_and_count(path: &str, v: &Value, problems: &mut Vec<LogicError>) -> (Logic, Logic) {
    match v {
        Value::Object(o) if o.contains_key("item") => {
            for k in o.keys().filter(|k| *k != "item" && *k != "count") {
                problems.push(problem(format!("{path}.{k}"), "unknown field (expected item, count)"));
            }
            let count = o.get("count").cloned().unwrap_or(Value::from(1));
            (
                compile_at(&format!("{path}.item"), &o["item"], problems),
                compile_at(&format!("{path}.count"), &count, problems),
            )
        }
        item => (compile_at(path, item, problems), Logic::compile(&Value::from(1)).expect("1 compiles")),
    }
}

fn effect(path: &str, v: &Value, problems: &mut Vec<LogicError>) -> Option<Effect> {
    let Some((name, arg)) = v.as_object().filter(|o| o.len() == 1).and_then(|o| o.iter().next()) else {
        problems.push(problem(path, "an effect is an object with one key, such as {\"add_points\": 10}"));
        return None;
    };
    let at = format!("{path}.{name}");
    Some(match name.as_str() {
        "complete_stage" => Effect::CompleteStage,
        "complete_hunt" => Effect::CompleteHunt,
        "add_points" => Effect::AddPoints(compile_at(&at, arg, problems)),
        "give_item" | "take_item" => {
            let (item, count) = item_and_count(&at, arg, problems);
            if name == "give_item" {
                Effect::GiveItem { item, count }
            } else {
                Effect::TakeItem { item, count }
            }
        }
        "set_flag" => {
            let Some(flag) = arg.get("name").and_then(Value::as_str) else {
                problems.push(problem(format!("{at}.name"), "set_flag needs a name"));
                return None;
            };
            check_name(&format!("{at}.name"), flag, problems);
            let value = arg.get("value").cloned().unwrap_or(Value::Bool(true));
            Effect::SetFlag { name: flag.to_owned(), value: compile_at(&format!("{at}.value"), &value, problems) }
        }
        "reveal_hint" => Effect::RevealHint(compile_at(&at, arg, problems)),
        "message" => Effect::Message(compile_at(&at, arg, problems)),
        "fail_hunt" => Effect::FailHunt(compile_at(&at, arg, problems)),
        other => {
            problems.push(problem(at.clone(), format!("unknown effect \"{other}\"")));
            return None;
        }
    })
}

impl Ruleset {
    /// Parses, validates and compiles a ruleset, reporting every problem found.
    pub fn from_json(text: &str) -> Result<Ruleset, RulesError> {
        if text.len() > MAX_RULESET_BYTES {
            return Err(RulesError(vec![problem("$", format!("ruleset is larger than {MAX_RULESET_BYTES} bytes"))]));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let spec: RulesetSpec = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." || path == "?" { "$".to_owned() } else { path };
            RulesError(vec![problem(path, e.into_inner().to_string())])
        })?;
        Ruleset::compile(&spec)
    }

    /// The default ruleset.
    pub fn default_rules() -> Ruleset {
        Ruleset::from_json(DEFAULT_RULES).expect("the shipped default ruleset is valid")
    }

    /// Validates and compiles a parsed ruleset.
    pub fn compile(spec: &RulesetSpec) -> Result<Ruleset, RulesError> {
        let mut problems = Vec::new();
        check_name("id", &spec.id, &mut problems);
        if spec.rules.len() > MAX_RULES {
            problems.push(problem("rules", format!("has {} rules, more than {MAX_RULES}", spec.rules.len())));
        }
        let mut rules = Vec::new();
        for (i, r) in spec.rules.iter().enumerate() {
            let at = format!("rules[{i}]");
            check_name(&format!("{at}.id"), &r.id, &mut problems);
            if spec.rules[..i].iter().any(|o| o.id == r.id) {
                problems.push(problem(format!("{at}.id"), format!("duplicate rule id \"{}\"", r.id)));
            }
            if r.on.is_empty() {
                problems.push(problem(format!("{at}.on"), "lists no event types"));
            }
            for (j, ev) in r.on.iter().enumerate() {
                if !EVENT_TYPES.contains(&ev.as_str()) {
                    problems.push(problem(
                        format!("{at}.on[{j}]"),
                        format!("unknown event type \"{ev}\"; known: {}", EVENT_TYPES.join(", ")),
                    ));
                }
            }
            let when = r.when.as_ref().map(|w| compile_at(&format!("{at}.when"), w, &mut problems));
            let then: Vec<Effect> = r
                .then
                .iter()
                .enumerate()
                .filter_map(|(j, e)| effect(&format!("{at}.then[{j}]"), e, &mut problems))
                .collect();
            if let Some(cap) = &r.cap {
                check_name(&format!("{at}.cap.key"), &cap.key, &mut problems);
                if cap.limit == 0 {
                    problems.push(problem(format!("{at}.cap.limit"), "must be at least 1"));
                }
            }
            let effects_may_throw = then.iter().any(Effect::may_throw);
            rules.push(Rule {
                effects_may_throw,
                id: r.id.clone(),
                on: r.on.clone(),
                when,
                then,
                priority: r.priority,
                once: r.once,
                cooldown_ms: r.cooldown_ms,
                cap: r.cap.clone(),
            });
        }
        if !problems.is_empty() {
            return Err(RulesError(problems));
        }
        let by_event = EVENT_TYPES
            .iter()
            .map(|ev| {
                let mut idx: Vec<u16> =
                    (0..rules.len() as u16).filter(|&i| rules[i as usize].on.iter().any(|o| o == ev)).collect();
                idx.sort_by(|&a, &b| {
                    let (a, b) = (&rules[a as usize], &rules[b as usize]);
                    b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id))
                });
                idx
            })
            .collect();
        let digest = crate::hash::sha256_hex(&serde_json::to_vec(spec).expect("rulesets serialise"));
        Ok(Ruleset { id: spec.id.clone(), rules, by_event, digest, spec: spec.clone() })
    }

    /// What an author should know that is not a problem: each rule whose condition or effects
    /// can raise an error no `try` catches, in the ruleset's order. Such a rule's error becomes
    /// an `Outcome::RuleError` when it happens.
    pub fn notes(&self) -> Vec<Note> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                let parts = match (rule.when.as_ref().is_some_and(Logic::may_throw), rule.effects_may_throw) {
                    (true, true) => "its condition and its effects",
                    (true, false) => "its condition",
                    (false, true) => "its effects",
                    (false, false) => return None,
                };
                Some(Note {
                    path: format!("rules[{i}]"),
                    rule: rule.id.clone(),
                    reason: format!(
                        "{parts} can raise an error (NaN from arithmetic or an ordering, or a throw); wrap them in try to choose a fallback"
                    ),
                })
            })
            .collect()
    }

    /// Rules listening to an event type, in evaluation order.
    pub fn listening(&self, event_type: &str) -> impl Iterator<Item = &Rule> {
        let i = EVENT_TYPES.iter().position(|e| *e == event_type);
        i.map(|i| self.by_event[i].as_slice()).unwrap_or(&[]).iter().map(|&r| &self.rules[r as usize])
    }

    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The ruleset as written.
    pub fn spec(&self) -> &RulesetSpec {
        &self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ruleset_is_valid() {
        let r = Ruleset::default_rules();
        assert!(r.listening("dig").count() >= 2);
    }

    #[test]
    fn every_problem_is_reported_with_its_rule_and_path() {
        let text = r#"{"id":"x","rules":[
            {"id":"a","on":["dig"],"when":{"foo":[1]},"then":[{"add_points":1}]},
            {"id":"a","on":["digg"],"then":[{"explode":true},{"give_item":{"item":"k","colour":1}}]},
            {"id":"c","on":["tick"],"when":{"==":[1]},"then":[{"set_flag":{"value":1}}],"cap":{"key":"crown","limit":0}}]}"#;
        let err = Ruleset::from_json(text).unwrap_err().to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "rules[0].when.foo: unknown operator \"foo\"",
                "rules[1].id: duplicate rule id \"a\"",
                "rules[1].on[0]: unknown event type \"digg\"; known: move, dig, answer, use, tick, claim_result, window_closed, stage_completed, hunt_completed, hunt_failed",
                "rules[1].then[0].explode: unknown effect \"explode\"",
                "rules[1].then[1].give_item.colour: unknown field (expected item, count)",
                "rules[2].when.==: \"==\" takes 2 arguments, got 1",
                "rules[2].then[0].set_flag.name: set_flag needs a name",
                "rules[2].cap.limit: must be at least 1",
            ]
        );
        let err = Ruleset::from_json(r#"{"id":"x","rules":[{"id":"a","on":["dig"],"then":[],"prio":1}]}"#).unwrap_err();
        assert!(err.to_string().starts_with("rules[0].prio: unknown field"), "{err}");
    }

    #[test]
    fn rules_run_by_priority_then_id() {
        let r = Ruleset::from_json(
            r#"{"id":"x","rules":[{"id":"b","on":["dig"],"then":[]},{"id":"a","on":["dig"],"then":[]},{"id":"z","on":["dig"],"then":[],"priority":5}]}"#,
        )
        .unwrap();
        assert_eq!(r.listening("dig").map(|r| r.id.as_str()).collect::<Vec<_>>(), ["z", "a", "b"]);
    }
}
