//! Earth worlds end to end, on `tests/worlds/earth.csv` (clusters across the antimeridian, beyond
//! 60 degrees north and south, on the equator and in a dense Tokyo): hunts keep every constraint
//! along geodesics, do not depend on how the index was built, and point their clues right;
//! sessions walk, dig and replay in longitudes and latitudes.

mod common;

use common::check;
use proptest::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use xmarks::geo::{geodesic, EarthIndex, LonLat};
use xmarks::hunt::clue::{bearing_and_band, Band, Pointer};
use xmarks::hunt::template::Leg;
use xmarks::rules::logic::Logic;
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line, replay};
use xmarks::session::script::walkthrough;
use xmarks::session::{Event, Outcome, Session, Status, MAX_ACCURACY_ALLOWANCE, MOVE_JITTER};
use xmarks::{
    generate, Coded, Hunt, HuntError, Player, Point, Position, ProceduralWorld, Seeds, Site, Template, World,
    WorldConfig,
};

/// The cluster centres of `earth.csv`: where players start.
const CENTRES: [(&str, f64, f64); 6] = [
    ("taveuni", 180.0, -16.80),
    ("reykjavik", -21.94, 64.146),
    ("longyearbyen", 15.63, 78.223),
    ("mcmurdo", 166.668, -77.846),
    ("pontianak", 109.322, 0.0),
    ("tokyo", 139.767, 35.681),
];

const KINDS: [&str; 10] =
    ["shrine", "fountain", "statue", "museum", "viewpoint", "well", "tree", "bench", "bridge", "lighthouse"];

fn sites() -> &'static Vec<Site> {
    static SITES: OnceLock<Vec<Site>> = OnceLock::new();
    SITES.get_or_init(|| {
        let World::Earth(idx) = common::world(&json!({"csv": "worlds/earth.csv"})) else { panic!("an Earth world") };
        idx.iter().map(|s| s.to_site()).collect()
    })
}

fn earth() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| common::world(&json!({"csv": "worlds/earth.csv"})))
}

fn template() -> impl Strategy<Value = Template> {
    (1u32..7, 1u8..=5, 200.0..1500.0f64, 300.0..2500.0f64, 0.0..300.0f64, 2000.0..5000.0f64, 0usize..3).prop_map(
        |(stages, difficulty, leg_min, leg_span, spacing, search_radius, kinds)| Template {
            id: "t".into(),
            stages,
            difficulty,
            search_radius,
            leg: Leg { min: leg_min, max: leg_min + leg_span },
            spacing: spacing.min(leg_min + leg_span),
            kinds: KINDS[..kinds * 3].iter().map(|k| (*k).to_owned()).collect(),
            ..Template::default()
        },
    )
}

/// A start within 1.5 km of a cluster's centre.
fn start() -> impl Strategy<Value = LonLat> {
    (0usize..CENTRES.len(), 0.0..360.0f64, 0.0..1500.0f64).prop_map(|(c, bearing, distance)| {
        let (_, lon, lat) = CENTRES[c];
        geodesic::destination(LonLat::new(lon, lat), bearing, distance)
    })
}

/// Every clue points where it says, measured as the generator must: the bearing's wind and the
/// distance band from the landmark or the previous stage, along the geodesic; landmarks are sites
/// of the world, off the route, within the difficulty's ring.
fn check_clues(h: &Hunt) {
    let mut prev = h.start;
    for st in &h.stages {
        match &st.clue.pointer {
            Pointer::Coordinates { at } => assert_eq!(*at, st.site.pos),
            Pointer::Previous { bearing, paces, .. } => {
                assert_eq!((*bearing, *paces), bearing_and_band(prev, st.site.pos, h.difficulty));
            }
            Pointer::Landmark { landmark, bearing, paces } => {
                assert_eq!((*bearing, *paces), bearing_and_band(landmark.pos, st.site.pos, h.difficulty));
                let d = landmark.pos.distance(st.site.pos);
                assert!((30.0..=1200.0).contains(&d), "landmark {} is {d} m from stage {}", landmark.id, st.number);
                assert!(sites().iter().any(|s| s.id == landmark.id && s.pos == landmark.pos));
                assert!(h.stages.iter().all(|s| s.site.id != landmark.id), "a landmark on the route");
            }
        }
        prev = st.site.pos;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn earth_hunts_keep_every_constraint_along_geodesics(t in template(), start in start(), level in 1u32..40) {
        let p = Player::new("ann", start).with_level(level);
        if let Ok(h) = generate(earth(), &t, &Seeds { game: 3, round: 4 }, &p) {
            check(&h, &t, &p, earth());
            check_clues(&h);
            let length: f64 = std::iter::once(h.start)
                .chain(h.stages.iter().map(|s| s.site.pos))
                .collect::<Vec<_>>()
                .windows(2)
                .map(|w| w[0].distance(w[1]))
                .sum();
            prop_assert_eq!(h.length, libm::round(length) as u32);
        }
    }

    #[test]
    fn earth_hunts_do_not_depend_on_the_order_sites_were_indexed(
        t in template(), start in start(), shuffle in any::<u64>(),
    ) {
        let mut shuffled = sites().clone();
        for i in (1..shuffled.len()).rev() {
            let j = xmarks::hash::below(xmarks::hash::mix2(shuffle, i as u64), i as u32 + 1) as usize;
            shuffled.swap(i, j);
        }
        let other = World::Earth(EarthIndex::from_sites(&shuffled).unwrap());
        prop_assert_eq!(other.reference(), earth().reference());
        let p = Player::new("bob", start);
        let seeds = Seeds { game: 1, round: 1 };
        let (a, b) = (generate(earth(), &t, &seeds, &p), generate(&other, &t, &seeds, &p));
        prop_assert_eq!(a.map(|h| h.canonical_json()), b.map(|h| h.canonical_json()));
    }
}

fn tokyo_hunt(template: &str, player: Player) -> Hunt {
    generate(earth(), &Template::from_json(template).unwrap(), &Seeds { game: 1, round: 1 }, &player).unwrap()
}

fn tokyo() -> LonLat {
    LonLat::new(139.767, 35.681)
}

#[test]
fn hunts_are_made_in_every_awkward_place() {
    let t = Template::from_json(r#"{"id": "t", "stages": 5, "leg": {"min": 300, "max": 1500}, "search_radius": 3500}"#)
        .unwrap();
    for (name, lon, lat) in CENTRES {
        let h = generate(earth(), &t, &Seeds { game: 7, round: 7 }, &Player::new("ann", LonLat::new(lon, lat)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        check(&h, &t, &Player::new("ann", LonLat::new(lon, lat)), earth());
        check_clues(&h);
        assert!(h.stages.iter().all(|s| s.site.id.starts_with(name)), "{name}");
    }
    // Taveuni's hunt crosses the antimeridian: stages on both sides of it.
    let h =
        generate(earth(), &t, &Seeds { game: 7, round: 7 }, &Player::new("ann", LonLat::new(180.0, -16.8))).unwrap();
    let east = h.stages.iter().filter(|s| s.site.pos.as_lonlat().unwrap().lon < 0.0).count();
    assert!(east > 0 && east < h.stages.len(), "{east} of {} stages east of the antimeridian", h.stages.len());
}

#[test]
fn coordinates_clues_give_latitude_and_longitude() {
    let h = tokyo_hunt(r#"{"id": "easy", "stages": 3, "difficulty": 1}"#, Player::new("ann", tokyo()));
    for st in &h.stages {
        let Pointer::Coordinates { at: Position::Earth(p) } = st.clue.pointer else { panic!("{:?}", st.clue) };
        assert_eq!(Position::Earth(p), st.site.pos);
        let lat = xmarks::hunt::clue::degrees_minutes(p.lat, "N", "S");
        let lon = xmarks::hunt::clue::degrees_minutes(p.lon, "E", "W");
        assert!(st.clue.text.starts_with(&format!("Dig at {lat} {lon}.")), "{}", st.clue.text);
        assert!(lat.starts_with("35°") && lon.starts_with("139°"), "{lat} {lon}");
    }
    // 35°40.86′N is 35 + 40.86 / 60 degrees: the text says where the site is to a few metres.
    let text = &h.stages[0].clue.text;
    let minutes = |s: &str| -> f64 {
        let (deg, rest) = s.split_once('°').unwrap();
        deg.parse::<f64>().unwrap() + rest.trim_end_matches(['′', 'N', 'E', '.']).parse::<f64>().unwrap() / 60.0
    };
    let words: Vec<&str> = text.split(' ').collect();
    let said = LonLat::new(minutes(words[3]), minutes(words[2]));
    assert!(said.distance(h.stages[0].site.pos.as_lonlat().unwrap()) < 2.0, "{text}");
}

#[test]
fn a_start_in_the_ocean_says_how_far_the_nearest_site_is() {
    let t = Template::from_json(r#"{"id": "t", "stages": 3}"#).unwrap();
    let sea = LonLat::new(-150.0, 0.0);
    let err = generate(earth(), &t, &Seeds { game: 1, round: 1 }, &Player::new("ann", sea)).unwrap_err();
    assert_eq!(err.code(), "not_enough_sites");
    let nearest = sites()
        .iter()
        .map(|s| (sea.distance(s.pos.as_lonlat().unwrap()), s))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)))
        .unwrap();
    let want = format!("the nearest is {:.1} km from the start ({})", nearest.0 / 1000.0, nearest.1.name);
    assert!(err.to_string().ends_with(&want), "{err} / {want}");
    // Kinds the template allows narrow the nearest; found sites are not offered again.
    let wells = Template::from_json(r#"{"id": "t", "stages": 3, "kinds": ["well"]}"#).unwrap();
    let HuntError::NotEnoughSites { nearest: Some(text), .. } =
        generate(earth(), &wells, &Seeds { game: 1, round: 1 }, &Player::new("ann", sea)).unwrap_err()
    else {
        panic!()
    };
    assert!(text.contains("Well"), "{text}");
}

#[test]
fn a_search_radius_with_too_few_sites_is_a_clear_error() {
    let t = Template::from_json(
        r#"{"id": "t", "stages": 40, "search_radius": 300, "spacing": 10, "leg": {"min": 0, "max": 600}}"#,
    )
    .unwrap();
    let err = generate(earth(), &t, &Seeds { game: 1, round: 1 }, &Player::new("ann", LonLat::new(-21.94, 64.146)))
        .unwrap_err();
    let HuntError::NotEnoughSites { available, needed: 40, nearest: Some(_), .. } = &err else { panic!("{err}") };
    let around =
        sites().iter().filter(|s| LonLat::new(-21.94, 64.146).distance(s.pos.as_lonlat().unwrap()) <= 300.0).count()
            as u64;
    assert_eq!(*available, around);
}

#[test]
fn positions_of_the_other_kind_are_refused_with_their_path() {
    let t = Template::from_json(r#"{"id": "t", "stages": 3}"#).unwrap();
    let seeds = Seeds { game: 1, round: 1 };
    let planar = generate(earth(), &t, &seeds, &Player::new("ann", Point::new(0.0, 0.0))).unwrap_err();
    assert_eq!((planar.code(), planar.path().as_deref()), ("input_invalid", Some("player.start")));
    assert!(planar.to_string().contains("lon and lat"), "{planar}");
    let procedural = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let earthly = generate(&procedural, &t, &seeds, &Player::new("ann", tokyo())).unwrap_err();
    assert_eq!((earthly.code(), earthly.path().as_deref()), ("input_invalid", Some("player.start")));
    for (lon, lat) in [(181.0, 0.0), (0.0, -90.5), (f64::NAN, 0.0), (0.0, f64::INFINITY)] {
        let e = generate(earth(), &t, &seeds, &Player::new("ann", LonLat::new(lon, lat))).unwrap_err();
        assert_eq!((e.code(), e.path().as_deref()), ("input_invalid", Some("player.start")), "{lon} {lat}");
    }
}

#[test]
fn interests_weigh_kinds_on_every_kind_of_world() {
    let procedural = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let t = Template::from_json(r#"{"id": "t", "stages": 6, "search_radius": 3000, "spacing": 50}"#).unwrap();
    let seeds = Seeds { game: 1, round: 1 };
    for (world, start) in [(&procedural, Position::Plane(Point::new(0.0, 0.0))), (earth(), Position::Earth(tokyo()))] {
        let kinds = |interests: &[(&str, f64)]| -> Vec<String> {
            let interests: BTreeMap<String, f64> = interests.iter().map(|(k, w)| ((*k).to_owned(), *w)).collect();
            let p = Player::new("ann", start).with_interests(interests);
            generate(world, &t, &seeds, &p).unwrap().stages.iter().map(|s| s.site.kind.clone()).collect()
        };
        let plain = kinds(&[]);
        let favourite = plain[0].clone();
        assert!(!kinds(&[(&favourite, 0.0)]).contains(&favourite), "a weight of 0 leaves a kind out");
        let loved = kinds(&[(&favourite, 1e6)]);
        assert!(loved.iter().filter(|k| **k == favourite).count() >= 4, "{loved:?}");
        assert_eq!(kinds(&[("dragon_lair", 5.0)]), plain, "kinds the world lacks change nothing");
    }
    let bad = Player::new("ann", tokyo()).with_interests([("well".to_owned(), -1.0)].into_iter().collect());
    let e = generate(earth(), &t, &seeds, &bad).unwrap_err();
    assert_eq!((e.code(), e.path().as_deref()), ("input_invalid", Some("player.interests.well")));
}

fn session(h: &Hunt) -> Session {
    Session::new(h.clone(), Arc::new(Ruleset::default_rules()), 1_000_000)
}

fn play(s: &mut Session, events: &[Event]) -> Vec<Outcome> {
    events.iter().flat_map(|e| s.apply(e).unwrap_or_else(|r| panic!("{e:?} refused: {r}"))).collect()
}

fn taveuni_hunt() -> Hunt {
    tokyo_hunt(
        r#"{"id": "islands", "stages": 4, "leg": {"min": 500, "max": 2500}, "search_radius": 3500, "max_speed": 5}"#,
        Player::new("ann", LonLat::new(180.0, -16.8)),
    )
}

#[test]
fn a_walk_across_the_antimeridian_completes_and_its_log_replays() {
    let h = taveuni_hunt();
    let mut s = session(&h);
    let events = walkthrough(&h, 1_000_000);
    let mut lines = vec![header(&s)];
    let mut outcomes = Vec::new();
    for e in &events {
        outcomes.extend(s.apply(e).unwrap_or_else(|r| panic!("{e:?}: {r}")));
        lines.push(line(&s, e));
    }
    assert!(outcomes.contains(&Outcome::HuntCompleted));
    assert_eq!(s.state().status, Status::Completed);
    let crossed = events.windows(2).any(|w| match (&w[0], &w[1]) {
        (Event::Move { at: Position::Earth(a), .. }, Event::Move { at: Position::Earth(b), .. }) => {
            a.lon * b.lon < 0.0 && (a.lon - b.lon).abs() > 300.0
        }
        _ => false,
    });
    assert!(crossed, "the walk crosses the antimeridian");
    assert!(lines[1].contains("\"lon\":") && !lines[1].contains("\"x\":"), "{}", lines[1]);
    let replayed = replay(&lines.join("\n")).unwrap();
    assert_eq!(replayed.session.state_hash(), s.state_hash());
    let state: serde_json::Value = serde_json::from_str(&s.snapshot()).unwrap();
    assert!(state.get("lon").is_some() && state.get("x").is_none(), "{state}");
    let restored = Session::restore(h.clone(), Arc::new(Ruleset::default_rules()), &s.snapshot()).unwrap();
    assert_eq!(restored.state_hash(), s.state_hash());
}

#[test]
fn speed_and_reach_are_measured_along_geodesics_and_accuracy_widens_them_up_to_a_cap() {
    let h = taveuni_hunt();
    let here = h.start.as_lonlat().unwrap();
    let t0 = 1_000_000;
    // 10 s at 5 m/s: 50 m, and 5 m of jitter. Eastwards, across the antimeridian.
    let at = |d: f64| Position::Earth(geodesic::destination(here, 90.0, d));
    let refuse = |s: &mut Session, e: Event, code: &str| {
        let before = s.state_hash();
        assert_eq!(s.apply(&e).unwrap_err().code(), code, "{e:?}");
        assert_eq!(s.state_hash(), before);
    };
    let mut s = session(&h);
    refuse(&mut s, Event::move_to(t0 + 10_000, at(55.5)), "too_fast");
    refuse(&mut s, Event::Move { t: t0 + 10_000, at: at(55.5), accuracy: Some(-1.0) }, "invalid");
    refuse(&mut s, Event::Move { t: t0 + 10_000, at: at(55.5), accuracy: Some(f64::NAN) }, "invalid");
    // Accuracy counts up to MAX_ACCURACY_ALLOWANCE: a reported 500 m buys no more than 30.
    let cap = 50.0 + MOVE_JITTER + MAX_ACCURACY_ALLOWANCE;
    refuse(&mut s, Event::Move { t: t0 + 10_000, at: at(cap + 0.5), accuracy: Some(500.0) }, "too_fast");
    play(&mut s, &[Event::Move { t: t0 + 10_000, at: at(cap - 0.5), accuracy: Some(500.0) }]);
    // Digging: 5 m of reach, widened by the reported accuracy.
    let far = Position::Earth(geodesic::destination(here, 90.0, cap - 0.5 + 12.0));
    refuse(&mut s, Event::dig_at(t0 + 11_000, far), "dig_away");
    play(&mut s, &[Event::Dig { t: t0 + 11_000, at: far, accuracy: Some(8.0) }]);
    // A planar position in an Earth session, and out-of-range degrees, are refused with a path.
    for (e, path) in [
        (Event::move_to(t0 + 12_000, Point::new(0.0, 0.0)), "x"),
        (Event::move_to(t0 + 12_000, LonLat::new(180.5, -16.8)), "lon"),
        (Event::dig_at(t0 + 12_000, LonLat::new(0.0, 91.0)), "lon"),
    ] {
        let before = s.state_hash();
        let r = s.apply(&e).unwrap_err();
        assert_eq!((r.code(), r.path().as_deref()), ("invalid", Some(path)), "{e:?}");
        assert_eq!(s.state_hash(), before);
    }
}

#[test]
fn events_read_and_write_longitudes_and_latitudes() {
    let e = Event::from_json(r#"{"type":"move","t":5,"lat":64.1,"lon":-21.9,"accuracy":12.5}"#).unwrap();
    assert_eq!(e, Event::Move { t: 5, at: LonLat::new(-21.9, 64.1).into(), accuracy: Some(12.5) });
    assert_eq!(e.canonical_json(), r#"{"type":"move","t":5,"lon":-21.9,"lat":64.1,"accuracy":12.5}"#);
    let planar = Event::from_json(r#"{"type":"dig","t":5,"x":1,"y":2}"#).unwrap();
    assert_eq!(planar.canonical_json(), r#"{"type":"dig","t":5,"x":1.0,"y":2.0}"#);
    for bad in [
        r#"{"type":"move","t":5,"lon":1}"#,
        r#"{"type":"move","t":5,"x":1,"lat":2}"#,
        r#"{"type":"tick","t":5,"lon":1,"lat":2}"#,
        r#"{"type":"tick","t":5,"accuracy":3}"#,
    ] {
        assert_eq!(Event::from_json(bad).unwrap_err().code(), "malformed", "{bad}");
    }
}

#[test]
fn rules_measure_geodesically_on_earth() {
    let reykjavik = json!({"lon": -21.94, "lat": 64.146});
    let near = geodesic::destination(LonLat::new(-21.94, 64.146), 45.0, 250.0);
    let data = json!({"a": reykjavik, "b": {"lon": near.lon, "lat": near.lat}, "p": {"x": 0, "y": 0}});
    let distance = Logic::from_json(r#"{"distance": [{"var": "a"}, {"var": "b"}]}"#).unwrap().apply(&data).unwrap();
    assert!((distance.as_f64().unwrap() - 250.0).abs() < 1e-6, "{distance}");
    let near_rule = Logic::from_json(r#"{"near": [{"var": "a"}, {"var": "b"}, 251]}"#).unwrap();
    assert_eq!(near_rule.apply(&data).unwrap(), json!(true));
    let mixed = Logic::from_json(r#"{"distance": [{"var": "a"}, {"var": "p"}]}"#).unwrap();
    assert_eq!(mixed.apply(&data).unwrap(), json!(null), "no distance between a plane and the Earth");
    // Conditions see the event's lon and lat, the session's, and the stage site's.
    let h = taveuni_hunt();
    let rules = Ruleset::from_json(
        &json!({"id": "r", "rules": [{
            "id": "close", "on": ["move"],
            "when": {"near": [{"var": "event"}, {"var": "stage.site"}, 3000]},
            "then": [{"set_flag": {"name": "last_lon", "value": {"var": "session.lon"}}}],
        }]})
        .to_string(),
    )
    .unwrap();
    let mut s = Session::new(h.clone(), Arc::new(rules), 0);
    let first = walkthrough(&h, 0)[0].clone();
    let out = s.apply(&first).unwrap();
    let Event::Move { at: Position::Earth(p), .. } = first else { panic!() };
    assert!(matches!(&out[..], [Outcome::FlagSet { value, .. }] if *value == json!(p.lon)), "{out:?}");
}

#[test]
fn band_and_bearing_from_a_landmark_across_the_antimeridian_are_short_and_right() {
    let west = Position::Earth(LonLat::new(179.999, -16.8));
    let east = Position::Earth(LonLat::new(-179.999, -16.8));
    let (wind, band) = bearing_and_band(west, east, 2);
    assert_eq!(wind, xmarks::Wind::E);
    // 0.002 degrees of longitude at 16.8 degrees south: 213 m, 284 paces, "about 280".
    assert_eq!(band, Band { min: 280, max: 280 });
}
