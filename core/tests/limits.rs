//! Every limit of `xmarks::limits`, tested at its value (accepted) and just past it (refused with
//! its code and path).

use std::sync::Arc;
use xmarks::index::SiteIndexBuilder;
use xmarks::limits::*;
use xmarks::rules::logic::Logic;
use xmarks::rules::Ruleset;
use xmarks::session::{Event, Session};
use xmarks::world::import::within_site_limit;
use xmarks::{
    generate, import_csv, Bounds, Coded, HuntError, ImportOptions, Player, Point, ProceduralWorld, Seeds, Template,
    World, WorldConfig,
};

fn world() -> World {
    World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap())
}

fn player() -> Player {
    Player::new("ann", Point::new(0.0, 0.0))
}

fn template(json: &str) -> Result<Template, (String, Option<String>)> {
    Template::from_json(json).map_err(|e| (e.code().into(), e.path()))
}

fn refused(code: &str, path: &str) -> (String, Option<String>) {
    (code.into(), Some(path.into()))
}

/// JSON text padded with spaces to exactly `len` bytes.
fn padded(json: &str, len: usize) -> String {
    format!("{json}{}", " ".repeat(len - json.len()))
}

#[test]
fn stages_search_radius_names_and_template_size() {
    assert!(template(&format!(r#"{{"id": "t", "stages": {MAX_STAGES}}}"#)).is_ok());
    assert_eq!(
        template(&format!(r#"{{"id": "t", "stages": {}}}"#, MAX_STAGES + 1)).unwrap_err(),
        refused("template_invalid", "stages")
    );
    assert!(template(&format!(r#"{{"id": "t", "stages": 3, "search_radius": {MAX_SEARCH_RADIUS}}}"#)).is_ok());
    let past = MAX_SEARCH_RADIUS.next_up();
    assert_eq!(
        template(&format!(r#"{{"id": "t", "stages": 3, "search_radius": {past}}}"#)).unwrap_err(),
        refused("template_invalid", "search_radius")
    );
    let id = |n: usize| format!(r#"{{"id": "{}", "stages": 3}}"#, "i".repeat(n));
    assert!(template(&id(MAX_NAME_LEN)).is_ok());
    assert_eq!(template(&id(MAX_NAME_LEN + 1)).unwrap_err(), refused("template_invalid", "id"));
    let team = |n: u32| template(&format!(r#"{{"id": "t", "stages": 3, "max_team": {n}}}"#));
    assert!(team(MAX_TEAM).is_ok());
    assert_eq!(team(MAX_TEAM + 1).unwrap_err(), refused("template_invalid", "max_team"));
    let small = r#"{"id": "t", "stages": 3}"#;
    assert!(template(&padded(small, MAX_TEMPLATE_BYTES)).is_ok());
    assert_eq!(template(&padded(small, MAX_TEMPLATE_BYTES + 1)).unwrap_err(), refused("template_invalid", "$"));
}

/// The error of generating a hunt for a player, or `None` when the player is accepted (the hunt may
/// still fail for other reasons, never with `input_invalid`).
fn player_error(w: &World, p: &Player, seeds: Seeds) -> Option<(String, Option<String>)> {
    let t = Template::from_json(r#"{"id": "t", "stages": 2}"#).unwrap();
    match generate(w, &t, &seeds, p) {
        Err(e @ HuntError::Input { .. }) => Some((e.code().into(), e.path())),
        _ => None,
    }
}

#[test]
fn player_level_id_found_seeds_and_coordinates() {
    let w = world();
    let seeds = Seeds { game: 1, round: 1 };
    let with = |f: &dyn Fn(&mut Player)| {
        let mut p = player();
        f(&mut p);
        player_error(&w, &p, seeds)
    };
    assert_eq!(with(&|p| p.level = MAX_LEVEL), None);
    assert_eq!(with(&|p| p.level = MAX_LEVEL + 1), Some(refused("input_invalid", "player.level")));
    assert_eq!(with(&|p| p.id = "p".repeat(MAX_NAME_LEN)), None);
    assert_eq!(with(&|p| p.id = "p".repeat(MAX_NAME_LEN + 1)), Some(refused("input_invalid", "player.id")));
    let found = |n: usize| (0..n).map(|i| format!("s{i}")).collect::<Vec<_>>();
    assert_eq!(with(&|p| p.found = found(MAX_FOUND)), None);
    assert_eq!(with(&|p| p.found = found(MAX_FOUND + 1)), Some(refused("input_invalid", "player.found")));
    assert_eq!(with(&|p| p.start = Point::new(MAX_COORD, 0.0).into()), None);
    assert_eq!(
        with(&|p| p.start = Point::new(MAX_COORD.next_up(), 0.0).into()),
        Some(refused("input_invalid", "player.start"))
    );
    assert_eq!(player_error(&w, &player(), Seeds { game: MAX_SEED, round: 1 }), None);
    assert_eq!(
        player_error(&w, &player(), Seeds { game: MAX_SEED + 1, round: 1 }),
        Some(refused("input_invalid", "seeds.game"))
    );
    assert!(ProceduralWorld::new(MAX_SEED, WorldConfig::default()).is_ok());
    assert_eq!(ProceduralWorld::new(MAX_SEED + 1, WorldConfig::default()).unwrap_err().code(), "world_config");
}

#[test]
fn tiles_per_query_and_raster_cells() {
    let w = ProceduralWorld::new(7, WorldConfig::default()).unwrap();
    let side = w.config().tile_size();
    let span =
        |tiles: f64| Bounds { min: Point::new(0.0, 0.0), max: Point::new(tiles * side - 1.0, 100.0 * side - 1.0) };
    assert_eq!(w.tiles_covering(span(100.0)).unwrap().len() as u64, MAX_TILES_PER_QUERY);
    assert_eq!(w.tiles_covering(span(101.0)).unwrap_err().code(), "world_query");

    // The size check comes first, so an imported world (which has no terrain) tells them apart cheaply.
    let imported = World::Imported(SiteIndexBuilder::new().build());
    let b = Bounds::around(Point::new(0.0, 0.0), 10.0);
    let at = imported.biome_raster(b, 2048, (MAX_RASTER_CELLS / 2048) as u32).unwrap_err();
    assert_eq!(at.to_string(), "an imported world has no terrain");
    let past = imported.biome_raster(b, 2049, (MAX_RASTER_CELLS / 2048) as u32).unwrap_err();
    assert!(past.to_string().starts_with("a raster is 1 to"), "{past}");
}

#[test]
fn imported_site_text_coordinates_and_count() {
    let csv = |id: &str, x: f64| format!("id,x,y,kind,name\n{id},{x},0,well,Well\n");
    let import = |text: String| {
        import_csv(text.as_bytes(), ImportOptions::default())
            .map(drop)
            .map_err(|e| (xmarks::Coded::code(&e).to_owned(), xmarks::Coded::path(&e)))
    };
    assert!(import(csv(&"a".repeat(MAX_TEXT_LEN), 0.0)).is_ok());
    assert_eq!(import(csv(&"a".repeat(MAX_TEXT_LEN + 1), 0.0)).unwrap_err(), refused("import_malformed", "line 2"));
    assert!(import(csv("a", MAX_COORD)).is_ok());
    assert_eq!(import(csv("a", MAX_COORD.next_up())).unwrap_err(), refused("import_malformed", "line 2"));
    // Twenty million sites do not fit a test; the one check both importers call does.
    assert!(within_site_limit(MAX_IMPORT_SITES).is_ok());
    assert_eq!(within_site_limit(MAX_IMPORT_SITES + 1).unwrap_err().code(), "import_too_large");
}

fn rules(json: &str) -> Result<Ruleset, (String, Option<String>)> {
    Ruleset::from_json(json).map_err(|e| (e.code().into(), e.path()))
}

fn ruleset_of(n: usize, id_len: usize) -> String {
    let rules: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id": "{}{i}", "on": ["dig"], "then": [{{"add_points": 1}}]}}"#,
                "r".repeat(id_len - i.to_string().len())
            )
        })
        .collect();
    format!(r#"{{"id": "r", "rules": [{}]}}"#, rules.join(","))
}

#[test]
fn rules_per_ruleset_ruleset_size_and_names() {
    assert!(rules(&ruleset_of(MAX_RULES, 8)).is_ok());
    assert_eq!(rules(&ruleset_of(MAX_RULES + 1, 8)).unwrap_err(), refused("rules_invalid", "rules"));
    assert!(rules(&ruleset_of(1, MAX_RULE_NAME_LEN)).is_ok());
    assert_eq!(rules(&ruleset_of(1, MAX_RULE_NAME_LEN + 1)).unwrap_err(), refused("rules_invalid", "rules[0].id"));
    let small = ruleset_of(1, 4);
    assert!(rules(&padded(&small, MAX_RULESET_BYTES)).is_ok());
    assert_eq!(rules(&padded(&small, MAX_RULESET_BYTES + 1)).unwrap_err(), refused("rules_invalid", "$"));
}

#[test]
fn jsonlogic_depth_and_nodes() {
    // Depth counts JSON nesting: arrays and objects (so `{"!": [...]}` is two levels).
    let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(Logic::from_json(&nested(MAX_DEPTH)).is_ok());
    assert_eq!(Logic::from_json(&nested(MAX_DEPTH + 1)).unwrap_err().code(), "logic_invalid");
    // One operator and its arguments: `{"+": [1, 1, ...]}` has 1 + n nodes.
    let sum = |nodes: usize| format!(r#"{{"+": [{}]}}"#, vec!["1"; nodes - 1].join(","));
    assert!(Logic::from_json(&sum(MAX_NODES)).is_ok());
    let past = Logic::from_json(&sum(MAX_NODES + 1)).unwrap_err();
    assert!(past.reason.contains("nodes"), "{past}");
}

fn session() -> Session {
    let w = world();
    let t = Template::from_json(r#"{"id": "t", "stages": 3}"#).unwrap();
    let hunt = generate(&w, &t, &Seeds { game: 1, round: 1 }, &player()).unwrap();
    Session::new(hunt, Arc::new(Ruleset::default_rules()), 0)
}

#[test]
fn event_size_event_text_and_events_per_session() {
    let tick = r#"{"type": "tick", "t": 1000}"#;
    assert!(Event::from_json(&padded(tick, MAX_EVENT_BYTES)).is_ok());
    assert_eq!(Event::from_json(&padded(tick, MAX_EVENT_BYTES + 1)).unwrap_err().code(), "malformed");

    let mut s = session();
    let item = |n: usize| Event::Use { t: 1000, item: "i".repeat(n) };
    assert_eq!(s.apply(&item(MAX_EVENT_TEXT)).unwrap_err().code(), "unknown_item"); // long enough, not held
    let past = s.apply(&item(MAX_EVENT_TEXT + 1)).unwrap_err();
    assert_eq!((past.code(), past.path()), ("invalid", Some("item".into())));

    // Sixteen million events do not fit a test; a restored session one short of the limit does.
    let s = session();
    let mut state: serde_json::Value = serde_json::from_str(&s.snapshot()).unwrap();
    state["seq"] = (MAX_EVENTS - 1).into();
    let mut near = Session::restore(s.hunt().clone(), Arc::new(Ruleset::default_rules()), &state.to_string()).unwrap();
    assert!(near.apply(&Event::Tick { t: 1000 }).is_ok());
    let full = near.apply(&Event::Tick { t: 2000 }).unwrap_err();
    assert_eq!((full.code(), full.path()), ("invalid", Some("seq".into())));
}

#[test]
fn internal_events_cascade_at_most_max_cascade_levels() {
    // Every completed stage completes the next: one dig starts a chain that stops after the cascade limit.
    let w = world();
    let t = Template::from_json(
        r#"{"id": "t", "stages": 12, "search_radius": 5000, "leg": {"min": 50, "max": 400}, "spacing": 50}"#,
    )
    .unwrap();
    let hunt = generate(&w, &t, &Seeds { game: 1, round: 1 }, &player()).unwrap();
    let chain = r#"{"id": "chain", "rules": [
        {"id": "dig", "on": ["dig"], "then": [{"complete_stage": true}]},
        {"id": "next", "on": ["stage_completed"], "then": [{"complete_stage": true}]}]}"#;
    let mut s = Session::new(hunt, Arc::new(Ruleset::from_json(chain).unwrap()), 0);
    let out = s.apply(&Event::dig_at(1000, Point::new(0.0, 0.0))).unwrap();
    let completed = out.iter().filter(|o| matches!(o, xmarks::session::Outcome::StageCompleted { .. })).count();
    assert_eq!(completed as u32, 1 + MAX_CASCADE, "the dig's stage and one per cascade level");
    assert_eq!(s.state().stage, 1 + MAX_CASCADE);
}

#[test]
fn payout_table_rows() {
    let table = |n: usize| {
        let rows: Vec<String> = (1..=n).map(|r| format!(r#"{{"rank": {r}, "reward": {r}}}"#)).collect();
        xmarks::live::PayoutTable::from_json(&format!(r#"{{"rows": [{}]}}"#, rows.join(",")))
            .map(|t| t.rows.len())
            .map_err(|e| (xmarks::Coded::code(&e).to_owned(), xmarks::Coded::path(&e)))
    };
    assert_eq!(table(MAX_PAYOUT_ROWS), Ok(MAX_PAYOUT_ROWS));
    assert_eq!(table(MAX_PAYOUT_ROWS + 1), Err(refused("payout_invalid", "rows")));
}

#[test]
fn window_length() {
    let dec_1 = 1_796_083_200_000; // 2026-12-01T00:00:00Z
    let schedule = |s: u64| {
        xmarks::live::Schedule::from_json(&format!(r#"{{"cron": "0 0 1 1 *", "duration_s": {s}}}"#), dec_1)
            .map(|_| ())
            .map_err(|e| (xmarks::Coded::code(&e).to_owned(), xmarks::Coded::path(&e)))
    };
    assert_eq!(schedule(MAX_WINDOW_S), Ok(()));
    assert_eq!(schedule(MAX_WINDOW_S + 1), Err(refused("schedule_invalid", "duration_s")));
}

#[test]
fn players_and_attempts_per_window() {
    let dec_1 = 1_796_083_200_000; // 2026-12-01T00:00:00Z
    let event = |field: &str, n: u64| {
        let text =
            format!(r#"{{"template": "t", "schedule": {{"cron": "0 0 1 1 *", "duration_s": 60}}, "{field}": {n}}}"#);
        xmarks::live::EventSpec::from_json(&text, dec_1)
            .map(|e| (e.max_players, e.attempts))
            .map_err(|e| (xmarks::Coded::code(&e).to_owned(), xmarks::Coded::path(&e)))
    };
    assert_eq!(event("max_players", MAX_WINDOW_PLAYERS), Ok((MAX_WINDOW_PLAYERS as u32, 1)));
    assert_eq!(event("max_players", MAX_WINDOW_PLAYERS + 1), Err(refused("event_invalid", "max_players")));
    assert_eq!(event("attempts", MAX_ATTEMPTS), Ok((MAX_WINDOW_PLAYERS as u32, MAX_ATTEMPTS as u32)));
    assert_eq!(event("attempts", MAX_ATTEMPTS + 1), Err(refused("event_invalid", "attempts")));
}
