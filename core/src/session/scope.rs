//! What rule conditions see: `event.*`, `stage.*`, `session.*`, `hunt.*` and `player.*`, and in a
//! team's session `member.*` (the member who made the event) and `team.*`, looked up directly in
//! the session's state (nothing is copied into JSON per event).

use super::State;
use crate::hunt::Hunt;
use crate::position::Position;
use crate::rules::logic::{Scope, Val};
use serde_json::json;
use std::borrow::Cow;
use std::sync::Arc;

/// The hunt's facts as rule values, built once per session.
#[derive(Debug)]
pub struct HuntFacts {
    pub hunt: Hunt,
    /// Per stage: `number`, `site` (`id`, `x`, `y` or `lon`, `lat`, `kind`, `name`), `dig_radius`,
    /// `reward` (`points`, `item`), `treasure`.
    pub stages: Vec<Val>,
    /// `stages` (count), `template`, `difficulty`, `length`, `time_limit_s`, `max_speed`,
    /// `treasure` (`item`, `points`), `fingerprint`, `start`.
    pub hunt_val: Val,
    /// `id`, `level` (a team's id and level in a team's hunt).
    pub player: Val,
    /// A team's hunt: `id`, `size`, `members` (their ids, in the team's order).
    pub team: Option<Val>,
}

impl HuntFacts {
    pub fn new(hunt: Hunt) -> HuntFacts {
        let stages = hunt
            .stages
            .iter()
            .map(|s| {
                let mut site = serde_json::Map::new();
                site.insert("id".into(), json!(s.site.id));
                if let serde_json::Value::Object(at) = json!(s.site.pos) {
                    site.extend(at);
                }
                site.insert("kind".into(), json!(s.site.kind));
                site.insert("name".into(), json!(s.site.name));
                Val::from_json(&json!({
                    "number": s.number,
                    "site": site,
                    "dig_radius": s.dig_radius,
                    "reward": s.reward,
                    "treasure": s.treasure,
                }))
            })
            .collect();
        let treasure = hunt.stages.last().and_then(|s| s.treasure.clone());
        let hunt_val = Val::from_json(&json!({
            "stages": hunt.stages.len(),
            "template": hunt.template,
            "difficulty": hunt.difficulty,
            "length": hunt.length,
            "time_limit_s": hunt.time_limit_s,
            "max_speed": hunt.max_speed,
            "treasure": treasure,
            "fingerprint": hunt.fingerprint,
            "start": hunt.start,
        }));
        let player = Val::from_json(&json!({"id": hunt.player, "level": hunt.level}));
        let team = (!hunt.members.is_empty())
            .then(|| Val::from_json(&json!({"id": hunt.player, "size": hunt.members.len(), "members": hunt.members})));
        HuntFacts { hunt, stages, hunt_val, player, team }
    }
}

/// The event being processed, as rules see it.
#[derive(Debug, Clone, Default)]
pub struct EventFacts {
    pub kind: &'static str,
    pub t: u64,
    /// The team member who made the event (and the internal events it raised), if any.
    pub member: Option<Arc<str>>,
    /// Where a move or dig is, and the accuracy its device reported.
    pub at: Option<Position>,
    pub accuracy: Option<f64>,
    /// For digs: metres to the current stage's site, whether that is within its dig radius, and the
    /// 16-wind direction from the dig to the site.
    pub distance: Option<f64>,
    pub hit: Option<bool>,
    pub bearing: Option<&'static str>,
    pub stage: Option<u32>,
    pub item: Option<Arc<str>>,
    pub answer: Option<Arc<str>>,
    pub claim: Option<Arc<str>>,
    pub granted: Option<bool>,
}

/// A rule's view of one moment of a session.
pub struct RuleScope<'a> {
    pub facts: &'a HuntFacts,
    pub state: &'a State,
    pub event: &'a EventFacts,
    /// The stage `stage.*` describes (0-based), if any.
    pub stage: Option<usize>,
}

fn num(v: f64) -> Option<Val> {
    Some(Val::Num(v))
}

/// One coordinate of a position by its JSON name: `x` and `y` of planar positions, `lon` and `lat`
/// of Earth ones.
fn coordinate(p: Position, key: &str) -> Option<f64> {
    match (p, key) {
        (Position::Plane(p), "x") => Some(p.x),
        (Position::Plane(p), "y") => Some(p.y),
        (Position::Earth(p), "lon") => Some(p.lon),
        (Position::Earth(p), "lat") => Some(p.lat),
        _ => None,
    }
}

impl RuleScope<'_> {
    fn event(&self, key: &str) -> Option<Val> {
        let e = self.event;
        match key {
            "type" => Some(Val::str(e.kind)),
            "t" => num(e.t as f64),
            "x" | "y" | "lon" | "lat" => e.at.and_then(|p| coordinate(p, key)).map(Val::Num),
            "accuracy" => e.accuracy.map(Val::Num),
            "distance" => e.distance.map(Val::Num),
            "hit" => e.hit.map(Val::Bool),
            "bearing" => e.bearing.map(Val::str),
            "stage" => e.stage.map(|s| Val::Num(f64::from(s))),
            "item" => e.item.clone().map(Val::Str),
            "answer" => e.answer.clone().map(Val::Str),
            "claim" => e.claim.clone().map(Val::Str),
            "granted" => e.granted.map(Val::Bool),
            "member" => e.member.clone().map(Val::Str),
            _ => None,
        }
    }

    /// `member.*`: `id`, `t`, `x`, `y` or `lon`, `lat`, `digs`, `points`, `items`.
    fn member(&self, path: &[Arc<str>]) -> Option<Val> {
        let id = self.event.member.as_ref()?;
        let m = self.state.members.get(&**id)?;
        let Some(key) = path.first() else {
            let mut map = std::collections::BTreeMap::new();
            for key in ["id", "t", "x", "y", "lon", "lat", "digs", "points", "items"] {
                if let Some(v) = self.member(&[Arc::from(key)]) {
                    map.insert(Arc::from(key), v);
                }
            }
            return Some(Val::Obj(Arc::new(map)));
        };
        let v = match &**key {
            "id" => Val::Str(id.clone()),
            "t" => Val::Num(m.t as f64),
            key @ ("x" | "y" | "lon" | "lat") => Val::Num(coordinate(m.pos, key)?),
            "digs" => Val::Num(m.digs as f64),
            "points" => Val::Num(m.points as f64),
            "items" => {
                return match path.get(1) {
                    Some(item) => m.items.get(&**item).map(|&n| Val::Num(n as f64)),
                    None => Some(Val::from_json(&serde_json::to_value(&m.items).ok()?)),
                };
            }
            _ => return None,
        };
        (path.len() == 1).then_some(v)
    }

    fn session(&self, path: &[Arc<str>]) -> Option<Val> {
        let s = self.state;
        let elapsed = s.t.saturating_sub(s.started_ms) as f64;
        let v = match &*path[0] {
            "points" => Val::Num(s.points as f64),
            "stage" => Val::Num(f64::from(s.stage + 1)),
            "completed" => Val::Num(f64::from(s.stage)),
            "misses" => Val::Num(f64::from(s.misses)),
            "digs" => Val::Num(s.digs as f64),
            "elapsed_ms" => Val::Num(elapsed),
            "elapsed_s" => Val::Num(elapsed / 1000.0),
            "t" => Val::Num(s.t as f64),
            key @ ("x" | "y" | "lon" | "lat") => Val::Num(coordinate(s.pos, key)?),
            "status" => Val::str(s.status.name()),
            "items" => {
                return match path.get(1) {
                    Some(item) => s.items.get(&**item).map(|&n| Val::Num(n as f64)),
                    None => Some(Val::from_json(&serde_json::to_value(&s.items).ok()?)),
                };
            }
            "flags" => {
                let flags = Val::from_json(&serde_json::to_value(&s.flags).ok()?);
                return flags.lookup(&path[1..]).map(Cow::into_owned);
            }
            _ => return None,
        };
        if path.len() == 1 {
            Some(v)
        } else {
            None
        }
    }

    fn whole_part(&self, root: &str) -> Option<Val> {
        let keys: &[&str] = match root {
            "event" => &[
                "type", "t", "x", "y", "lon", "lat", "accuracy", "distance", "hit", "bearing", "stage", "item",
                "answer", "claim", "granted", "member",
            ],
            "session" => &[
                "points",
                "stage",
                "completed",
                "misses",
                "digs",
                "elapsed_ms",
                "elapsed_s",
                "t",
                "x",
                "y",
                "lon",
                "lat",
                "status",
                "items",
                "flags",
            ],
            _ => return None,
        };
        let map = keys
            .iter()
            .filter_map(|k| {
                let v = if root == "event" { self.event(k) } else { self.session(&[Arc::from(*k)]) };
                v.map(|v| (Arc::from(*k), v))
            })
            .collect();
        Some(Val::Obj(Arc::new(map)))
    }
}

impl Scope for RuleScope<'_> {
    fn lookup(&self, path: &[Arc<str>]) -> Option<Cow<'_, Val>> {
        let (root, rest) = path.split_first()?;
        let computed = match &**root {
            "event" => match rest {
                [] => self.whole_part("event"),
                [key] => self.event(key),
                _ => None,
            },
            "session" if rest.is_empty() => self.whole_part("session"),
            "session" => self.session(rest),
            "stage" => {
                let i = self.stage?;
                if rest == [Arc::from("misses")] {
                    return Some(Cow::Owned(Val::Num(f64::from(self.state.misses))));
                }
                return self.facts.stages[i].lookup(rest);
            }
            "hunt" => return self.facts.hunt_val.lookup(rest),
            "player" => return self.facts.player.lookup(rest),
            "member" => self.member(rest),
            "team" => return self.facts.team.as_ref()?.lookup(rest),
            _ => None,
        };
        computed.map(Cow::Owned)
    }

    fn whole(&self) -> Cow<'_, Val> {
        let mut map = std::collections::BTreeMap::new();
        for root in ["event", "session", "stage", "hunt", "player", "member", "team"] {
            if let Some(v) = self.lookup(&[Arc::from(root)]) {
                map.insert(Arc::from(root), v.into_owned());
            }
        }
        Cow::Owned(Val::Obj(Arc::new(map)))
    }
}
