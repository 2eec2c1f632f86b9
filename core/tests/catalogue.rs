//! The bad-input catalogue (`tests/bad-input/catalogue.json`): every hostile input at every entry
//! point gets its error code, and its path where the catalogue gives one. The npm package runs the
//! same file (`wasm/tests/catalogue.test.mjs`).

use serde_json::value::RawValue;
use serde_json::Value;
use std::sync::Arc;
use xmarks::rules::logic::Logic;
use xmarks::rules::Ruleset;
use xmarks::session::{log, Authored, Session};
use xmarks::{
    generate, generate_team, import_csv, import_geojson, Coded, Hunt, HuntError, ImportOptions, LonLat, Player, Point,
    Position, ProceduralWorld, Seeds, Team, TeamMember, Template, World, WorldConfig,
};

mod common;

/// The input of a case: text, `{"hex": ...}` bytes, or a generated `{prefix, repeat, times, ...}`.
fn input(v: &Value) -> Vec<u8> {
    if let Some(text) = v.as_str() {
        return text.as_bytes().to_vec();
    }
    if let Some(hex) = v.get("hex").and_then(Value::as_str) {
        return (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    }
    let s = |k: &str| v[k].as_str().unwrap_or("");
    let times = v["times"].as_u64().unwrap() as usize;
    format!("{}{}{}{}{}", s("prefix"), s("repeat").repeat(times), s("middle"), s("close").repeat(times), s("tail"))
        .into_bytes()
}

/// Code and path of an error.
fn coded(e: &impl Coded) -> (String, Option<String>) {
    (e.code().to_owned(), e.path())
}

fn invalid_input(path: &str) -> (String, Option<String>) {
    ("input_invalid".into(), Some(path.into()))
}

struct Fixture {
    world: World,
    template: Template,
    hunt: Hunt,
    earth: World,
    earth_hunt: Hunt,
    team_template: Template,
    team_hunt: Hunt,
}

/// Where the Earth cases play from: Tokyo.
fn tokyo() -> Player {
    Player::new("ann", LonLat::new(139.767, 35.681))
}

/// Applies events to a fresh session on `hunt`; each but the last must be accepted.
fn play(hunt: &Hunt, text: &str) -> Result<(), (String, Option<String>)> {
    let events: Vec<&RawValue> = serde_json::from_str(text).expect("an events case is a JSON array");
    let mut session = Session::new(hunt.clone(), Arc::new(Ruleset::default_rules()), 0);
    for (i, raw) in events.iter().enumerate() {
        let before = session.state_hash();
        let r = Authored::from_json(raw.get()).and_then(|a| session.apply_by(a.member.as_deref(), &a.event));
        if let Err(e) = r {
            assert_eq!(session.state_hash(), before, "a refused event changed nothing");
            assert_eq!(i, events.len() - 1, "only the last event of a case is refused: {e}");
            return Err(coded(&e));
        }
    }
    Ok(())
}

/// Runs one entry point on an input; `Ok` when it was accepted.
fn run(f: &Fixture, entry: &str, bytes: &[u8]) -> Result<(), (String, Option<String>)> {
    let text = std::str::from_utf8(bytes);
    let text = || text.expect("text entry points get UTF-8");
    let seeds = Seeds { game: 1, round: 1 };
    match entry {
        "template" => Template::from_json(text()).map(drop).map_err(|e| coded(&HuntError::from(e))),
        "player" => {
            let player: Player = serde_json::from_str(text()).map_err(|_| invalid_input("player"))?;
            generate(&f.world, &f.template, &seeds, &player).map(drop).map_err(|e| coded(&e))
        }
        "seeds" => {
            let seeds: Seeds = serde_json::from_str(text()).map_err(|_| invalid_input("seeds"))?;
            let player = Player::new("ann", Point::new(0.0, 0.0));
            generate(&f.world, &f.template, &seeds, &player).map(drop).map_err(|e| coded(&e))
        }
        "ruleset" => Ruleset::from_json(text()).map(drop).map_err(|e| coded(&e)),
        "logic" => Logic::from_json(text()).map(drop).map_err(|e| coded(&e)),
        "events" => play(&f.hunt, text()),
        "team" => {
            let team: Team = serde_json::from_str(text()).map_err(|_| invalid_input("team"))?;
            generate_team(&f.world, &f.team_template, &seeds, &team).map(drop).map_err(|e| coded(&e))
        }
        "team_events" => play(&f.team_hunt, text()),
        "earth_events" => play(&f.earth_hunt, text()),
        "earth_player" => {
            let player: Player = serde_json::from_str(text()).map_err(|_| invalid_input("player"))?;
            generate(&f.earth, &f.template, &seeds, &player).map(drop).map_err(|e| coded(&e))
        }
        "earth_template" => {
            let template = Template::from_json(text()).map_err(|e| coded(&HuntError::from(e)))?;
            generate(&f.earth, &template, &seeds, &tokyo()).map(drop).map_err(|e| coded(&e))
        }
        "log" => log::replay(text()).map(drop).map_err(|e| coded(&e)),
        "csv" => import_csv(bytes, ImportOptions::default()).map(drop).map_err(|e| coded(&e)),
        "geojson" => import_geojson(text(), ImportOptions::default()).map(drop).map_err(|e| coded(&e)),
        "hunt" => Hunt::from_json(text()).map(drop).map_err(|e| coded(&e)),
        // 2026-12-01T00:00:00Z.
        "schedule" => xmarks::live::Schedule::from_json(text(), 1_796_083_200_000).map(drop).map_err(|e| coded(&e)),
        "payout" => xmarks::live::PayoutTable::from_json(text()).map(drop).map_err(|e| coded(&e)),
        "event" => xmarks::live::EventSpec::from_json(text(), 1_796_083_200_000).map(drop).map_err(|e| coded(&e)),
        other => panic!("no entry point {other}"),
    }
}

#[test]
fn every_hostile_input_gets_its_error_code_and_path() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(common::root().join("bad-input/catalogue.json")).unwrap())
            .unwrap();
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let template = Template::from_json(r#"{"id": "t", "stages": 3}"#).unwrap();
    let player = Player::new("ann", Point::new(0.0, 0.0));
    let hunt = generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).unwrap();
    let earth = common::world(&serde_json::json!({"csv": "worlds/earth.csv"}));
    let earth_hunt = generate(&earth, &template, &Seeds { game: 1, round: 1 }, &tokyo()).unwrap();
    let team_template = Template::from_json(r#"{"id": "t", "stages": 3, "max_team": 4}"#).unwrap();
    let pair = Team {
        id: "red".into(),
        start: Position::Plane(Point::new(0.0, 0.0)),
        members: vec![TeamMember::new("ann"), TeamMember::new("bob")],
    };
    let team_hunt = generate_team(&world, &team_template, &Seeds { game: 1, round: 1 }, &pair).unwrap();
    let f = Fixture { world, template, hunt, earth, earth_hunt, team_template, team_hunt };
    let cases = doc["cases"].as_array().unwrap();
    let mut failures = Vec::new();
    for c in cases {
        if c["server"] == true || c["native"] == false {
            continue; // the reference server's tests run the first; Rust's types refuse the second
        }
        let (entry, name) = (c["entry"].as_str().unwrap(), c["name"].as_str().unwrap());
        let want_code = c["code"].as_str().unwrap();
        let want_path = c.get("path").and_then(Value::as_str);
        match run(&f, entry, &input(&c["input"])) {
            Ok(()) => failures.push(format!("{entry} / {name}: accepted, expected {want_code}")),
            Err((code, path)) => {
                if code != want_code || (want_path.is_some() && path.as_deref() != want_path) {
                    failures.push(format!(
                        "{entry} / {name}: got {code} at {path:?}, expected {want_code} at {want_path:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    println!("bad-input catalogue: {} cases, each refused with its code", cases.len());
}
