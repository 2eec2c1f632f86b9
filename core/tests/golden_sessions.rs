//! Golden session vectors (`tests/golden/sessions.json`): a hunt's inputs, a ruleset, every event,
//! and the outcomes (or rejection) of each event with the final state hash and chain head. The Node
//! and browser tests read the same file. `tests/golden/sessions-v1.json` holds the vectors of session
//! format 1 as they were made, played in format 1: sessions begun in an earlier format go on in it.
//!
//! `tests/golden/team-sessions.json` holds team sessions (format 3): a `team` where the others have
//! a `player`, and events that name their member.
//!
//! `XMARKS_BLESS=1 cargo test --test golden_sessions` writes the events of new cases (from the
//! recipes below) and their outputs; it refuses to change an existing output unless
//! `SESSION_VERSION` changed. The files of earlier formats are never written.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use xmarks::rules::{Ruleset, DEFAULT_RULES};
use xmarks::session::script::{team_walkthrough, walkthrough};
use xmarks::session::{Authored, Event, Format, Session, SESSION_VERSION, TEAM_SESSION_VERSION};
use xmarks::Coded;
use xmarks::{generate, generate_team, Hunt, Player, Point, Position, Seeds, Team, Template};

#[derive(Serialize, Deserialize)]
struct Doc {
    session: String,
    about: String,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize)]
struct Case {
    name: String,
    world: Value,
    template: Value,
    seeds: Value,
    /// One player's cases have a player, team cases a team.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    player: Value,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    team: Value,
    /// `null` for the default ruleset.
    rules: Value,
    started_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events: Option<Vec<Value>>,
    /// Per event: `{"outcomes": [...]}` or `{"rejected": code}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    results: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chain: Option<String>,
}

mod common;
use common::root;

fn hunt(c: &Case) -> Hunt {
    let world = common::world(&c.world);
    let t = Template::from_json(&c.template.to_string()).unwrap();
    let seeds = serde_json::from_value::<Seeds>(c.seeds.clone()).unwrap();
    if !c.team.is_null() {
        let team: Team = serde_json::from_value(c.team.clone()).unwrap();
        return generate_team(&world, &t, &seeds, &team).unwrap();
    }
    let p: Player = serde_json::from_value(c.player.clone()).unwrap();
    generate(&world, &t, &seeds, &p).unwrap()
}

fn rules(c: &Case) -> Ruleset {
    match &c.rules {
        Value::Null => Ruleset::from_json(DEFAULT_RULES).unwrap(),
        spec => Ruleset::from_json(&spec.to_string()).unwrap(),
    }
}

/// How each case's events were made, used once by bless to write them into the file.
fn recipe(name: &str, h: &Hunt, start: u64) -> Vec<Event> {
    let walk = walkthrough(h, start);
    let site = |i: usize| h.stages[i].site.pos;
    match name {
        n if n.starts_with("walk") => walk,
        n if n.starts_with("hostile-interleaved") => {
            let mut out = Vec::new();
            for (i, e) in walk.into_iter().enumerate() {
                let t = e.t();
                if i % 7 == 3 {
                    out.push(Event::move_to(t - 500, h.start.towards(90.0, 1e5)));
                    out.push(Event::Tick { t: t - 2000 });
                    out.push(Event::Use { t: t - 500, item: "lantern".into() });
                }
                out.push(e.clone());
                if i % 11 == 5 {
                    out.push(e);
                }
            }
            out
        }
        n if n.starts_with("misses-then-hint") => {
            let p = site(0);
            // 36 m off, north-west of the site (30 m west and 20 m south on a plane).
            let off = match p {
                Position::Plane(q) => Position::Plane(Point::new(q.x + 30.0, q.y - 20.0)),
                Position::Earth(_) => p.towards(303.7, 36.06),
            };
            let arrive = start + 1000 * ((h.start.distance(p) / h.max_speed).ceil() as u64 + 20);
            let mut out = vec![Event::move_to(arrive, off)];
            out.extend((1..=4).map(|i| Event::dig_at(arrive + i * 1000, off)));
            out.push(Event::move_to(arrive + 10_000, p));
            out.push(Event::dig_at(arrive + 11_000, p));
            out
        }
        "time-limit" => {
            let mut out: Vec<Event> = walk.into_iter().take(10).collect();
            out.push(Event::Tick { t: start + 3_600_001 });
            out.push(Event::Tick { t: start + 3_600_002 });
            out
        }
        "cap-granted" | "cap-denied" => {
            let mut out = walk;
            let t = out.last().unwrap().t();
            let seq = out.len() as u64;
            out.push(Event::ClaimResult { t: t + 5000, claim: format!("{seq}:crown"), granted: name == "cap-granted" });
            out.push(Event::ClaimResult { t: t + 6000, claim: "1:crown".into(), granted: true });
            out
        }
        "riddles-and-items" => {
            let mut out: Vec<Event> = Vec::new();
            let mut t = start;
            for e in walk {
                t = e.t();
                out.push(e.clone());
                if let Event::Dig { .. } = e {
                    out.push(Event::Answer { t: t + 100, stage: 1, answer: "the black spot".into() });
                    out.push(Event::Answer { t: t + 200, stage: 1, answer: "The Black Spot".into() });
                    out.push(Event::Use { t: t + 300, item: "spyglass".into() });
                    out.push(Event::Use { t: t + 400, item: "spyglass".into() });
                }
            }
            out.push(Event::Tick { t: t + 1 });
            out
        }
        "abandoned" => walk.into_iter().take(25).collect(),
        n if n.starts_with("accuracy") => {
            // Every move reports 30 m of accuracy (the most that counts). Now and then a fix jumps
            // 25 m off the path, forgiven by its accuracy, or 100 m, refused whatever it reports.
            let mut out = Vec::new();
            for (i, e) in walk.into_iter().enumerate() {
                let Event::Move { t, at, .. } = e else {
                    out.push(e);
                    continue;
                };
                if i % 9 == 4 {
                    out.push(Event::Move { t: t - 600, at: at.towards(90.0, 100.0), accuracy: Some(500.0) });
                    out.push(Event::Move { t: t - 400, at: at.towards(90.0, 25.0), accuracy: Some(500.0) });
                }
                out.push(Event::Move { t, at, accuracy: Some(30.0) });
            }
            out
        }
        other => panic!("no recipe for golden session {other}"),
    }
}

/// How each team case's events were made.
fn team_recipe(name: &str, h: &Hunt, start: u64) -> Vec<Authored> {
    let walk = team_walkthrough(h, start);
    let by = |m: &str, event: Event| Authored { member: Some(m.into()), event };
    match name {
        "team-walk" | "team-rules-earth-reykjavik" => {
            let mut out = walk;
            if name == "team-rules-earth-reykjavik" {
                // Before the last dig, each member spends a badge of the stages found so far: their
                // own, or one another member holds.
                let last = out.pop().unwrap();
                let finders: Vec<String> = out
                    .iter()
                    .filter(|a| matches!(a.event, Event::Dig { .. }))
                    .map(|a| a.member.clone().unwrap())
                    .collect();
                for (i, m) in h.members.iter().enumerate() {
                    let item = format!("badge-{}", finders[i % finders.len()]);
                    out.push(by(m, Event::Use { t: last.event.t() - 900 + 100 * i as u64, item }));
                }
                out.push(last);
            }
            out
        }
        "team-hostile" => {
            let [a, b] = [h.members[0].as_str(), h.members[1].as_str()];
            let mut out = Vec::new();
            for (i, e) in walk.into_iter().enumerate() {
                let t = e.event.t();
                let digger = e.member.clone();
                let dig = e.event.clone();
                out.push(e);
                match (i % 13, &dig) {
                    (_, Event::Dig { .. }) => {
                        // The other member digs the same spot at the same instant, then a moment later.
                        let other = if digger.as_deref() == Some(a) { b } else { a };
                        out.push(by(other, dig.clone()));
                        if let Event::Dig { at, .. } = dig {
                            out.push(by(other, Event::dig_at(t + 1, at)));
                        }
                    }
                    (3, Event::Move { at, .. }) => {
                        out.push(by("mallory", Event::move_to(t, *at)));
                        out.push(Authored { member: None, event: Event::move_to(t, *at) });
                        out.push(by(b, Event::move_to(t, at.towards(90.0, 1e5))));
                    }
                    (7, Event::Move { at, .. }) => {
                        out.push(by(a, Event::move_to(t - 5000, *at)));
                        out.push(Authored { member: None, event: Event::Tick { t } });
                    }
                    _ => {}
                }
            }
            out
        }
        other => panic!("no recipe for golden team session {other}"),
    }
}

fn run(c: &Case, format: Format) -> (Vec<Value>, String, String) {
    let mut s = Session::new_in(format, hunt(c), Arc::new(rules(c)), c.started_ms);
    let mut results = Vec::new();
    for e in c.events.as_ref().unwrap() {
        let applied = Authored::from_json(&e.to_string()).and_then(|a| s.apply_by(a.member.as_deref(), &a.event));
        let r = match applied {
            Ok(outcomes) => json!({ "outcomes": outcomes }),
            Err(r) => json!({ "rejected": r.code() }),
        };
        results.push(r);
    }
    (results, s.state_hash(), s.state().chain.clone())
}

#[test]
fn golden_sessions_match() {
    check("golden/sessions.json", Format::CURRENT, SESSION_VERSION, |c, h| {
        recipe(&c.name, h, c.started_ms).iter().map(|e| serde_json::to_value(e).unwrap()).collect()
    });
}

#[test]
fn golden_team_sessions_match() {
    check("golden/team-sessions.json", Format::TEAM, TEAM_SESSION_VERSION, |c, h| {
        team_recipe(&c.name, h, c.started_ms).iter().map(|e| serde_json::to_value(e).unwrap()).collect()
    });
}

/// Compares (or blesses) one file of the current formats' vectors, played in `format`.
fn check(file: &str, format: Format, version: &str, recipe: impl Fn(&Case, &Hunt) -> Vec<Value>) {
    let path = root().join(file);
    let mut doc: Doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bless = common::blessing();
    let mut mismatches = Vec::new();
    let mut events = 0;
    for c in &mut doc.cases {
        if c.events.is_none() {
            assert!(bless, "{}: no events (run with XMARKS_BLESS=1 to write them from its recipe)", c.name);
            let h = hunt(c);
            c.events = Some(recipe(c, &h));
        }
        let (results, hash, chain) = run(c, format);
        events += results.len();
        if c.state_hash.is_some() {
            if c.results.as_ref() != Some(&results) {
                let at = c.results.as_ref().map_or(0, |r| r.iter().zip(&results).take_while(|(a, b)| a == b).count());
                mismatches.push(format!("{}: results differ from event {at}", c.name));
            }
            if c.state_hash.as_ref() != Some(&hash) || c.chain.as_ref() != Some(&chain) {
                mismatches.push(format!("{}: state hash or chain differs", c.name));
            }
        }
        if bless {
            (c.results, c.state_hash, c.chain) = (Some(results), Some(hash), Some(chain));
        }
    }
    if common::finish(&mut doc.session, version, &mismatches) {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    println!("compared {} golden sessions of {file} ({events} events)", doc.cases.len());
}

#[test]
fn golden_sessions_of_format_1_still_match_in_format_1() {
    let path = root().join("golden/sessions-v1.json");
    let doc: Doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc.session, Format::V1.name());
    let mut mismatches = Vec::new();
    for c in &doc.cases {
        let (results, hash, chain) = run(c, Format::V1);
        if c.results.as_ref() != Some(&results) {
            mismatches.push(format!("{}: results differ", c.name));
        }
        if c.state_hash.as_ref() != Some(&hash) || c.chain.as_ref() != Some(&chain) {
            mismatches.push(format!("{}: state hash or chain differs", c.name));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    println!("compared {} golden sessions of format 1", doc.cases.len());
}
