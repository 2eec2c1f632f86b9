//! Golden session vectors (`tests/golden/sessions.json`): a hunt's inputs, a ruleset, every event,
//! and the outcomes (or rejection) of each event with the final state hash and chain head. The Node
//! and browser tests read the same file. `tests/golden/sessions-v1.json` holds the vectors of session
//! format 1 as they were made, played in format 1: sessions begun in an earlier format go on in it.
//!
//! `XMARKS_BLESS=1 cargo test --test golden_sessions` writes the events of new cases (from the
//! recipes below) and their outputs; it refuses to change an existing output unless
//! `SESSION_VERSION` changed. The files of earlier formats are never written.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use xmarks::rules::{Ruleset, DEFAULT_RULES};
use xmarks::session::script::walkthrough;
use xmarks::session::{Event, Format, Session, SESSION_VERSION};
use xmarks::Coded;
use xmarks::{generate, Hunt, Player, Point, Position, Seeds, Template};

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
    player: Value,
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
    let p: Player = serde_json::from_value(c.player.clone()).unwrap();
    generate(&world, &t, &serde_json::from_value::<Seeds>(c.seeds.clone()).unwrap(), &p).unwrap()
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

fn run(c: &Case, format: Format) -> (Vec<Value>, String, String) {
    let mut s = Session::new_in(format, hunt(c), Arc::new(rules(c)), c.started_ms);
    let mut results = Vec::new();
    for e in c.events.as_ref().unwrap() {
        let r = match Event::from_json(&e.to_string()).and_then(|e| s.apply(&e)) {
            Ok(outcomes) => json!({ "outcomes": outcomes }),
            Err(r) => json!({ "rejected": r.code() }),
        };
        results.push(r);
    }
    (results, s.state_hash(), s.state().chain.clone())
}

#[test]
fn golden_sessions_match() {
    let path = root().join("golden/sessions.json");
    let mut doc: Doc = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let bless = common::blessing();
    let mut mismatches = Vec::new();
    let mut events = 0;
    for c in &mut doc.cases {
        if c.events.is_none() {
            assert!(bless, "{}: no events (run with XMARKS_BLESS=1 to write them from its recipe)", c.name);
            let h = hunt(c);
            c.events =
                Some(recipe(&c.name, &h, c.started_ms).iter().map(|e| serde_json::to_value(e).unwrap()).collect());
        }
        let (results, hash, chain) = run(c, Format::CURRENT);
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
    if common::finish(&mut doc.session, SESSION_VERSION, &mismatches) {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    println!("compared {} golden sessions ({events} events)", doc.cases.len());
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
