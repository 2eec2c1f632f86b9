//! Property tests: the invariants every hunt keeps, and the independence of hunts from how worlds
//! were built.

use proptest::prelude::*;

mod common;
use common::check;
use xmarks::hunt::template::Leg;
use xmarks::world::names::KINDS;
use xmarks::{generate, Bounds, Player, Point, ProceduralWorld, Seeds, Site, SiteIndex, Template, World, WorldConfig};

fn template() -> impl Strategy<Value = Template> {
    (
        1u32..=6,
        1u8..=5,
        600.0..2500.0f64,
        0.0..300.0f64,
        200.0..1200.0f64,
        0.0..150.0f64,
        proptest::sample::subsequence(KINDS.to_vec(), 0..=4),
    )
        .prop_map(|(stages, difficulty, search_radius, leg_min, leg_span, spacing, kinds)| Template {
            id: "prop".into(),
            stages,
            difficulty,
            search_radius,
            leg: Leg { min: leg_min, max: leg_min + leg_span },
            spacing: spacing.min(leg_min + leg_span),
            kinds: kinds.into_iter().map(str::to_owned).collect(),
            ..Template::default()
        })
}

fn player() -> impl Strategy<Value = Player> {
    ("[a-z]{1,8}", -4000.0..4000.0f64, -4000.0..4000.0f64, 1u32..60)
        .prop_map(|(id, x, y, level)| Player::new(id, Point::new(x, y)).with_level(level))
}

fn procedural(seed: u64) -> World {
    World::Procedural(ProceduralWorld::new(seed, WorldConfig::default()).unwrap())
}

fn random_sites(seed: u64, n: usize) -> Vec<Site> {
    (0..n as u64)
        .map(|i| {
            let h = xmarks::hash::mix2(seed, i);
            let kind = KINDS[(h % 5) as usize];
            Site {
                id: format!("s{i}"),
                pos: Point::new(
                    (xmarks::hash::unit(h) - 0.5) * 8000.0,
                    (xmarks::hash::unit(xmarks::hash::mix(h)) - 0.5) * 8000.0,
                )
                .into(),
                kind: kind.into(),
                name: format!("Site {i}"),
                weight: 0.5 + (h >> 60) as f64 / 8.0,
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn procedural_hunts_keep_every_constraint_and_never_reuse_found_sites(
        seed in 0u64..10_000, t in template(), mut p in player(), game in 0u64..1000,
    ) {
        let world = procedural(seed);
        let seeds = Seeds { game, round: 1 };
        if let Ok(h) = generate(&world, &t, &seeds, &p) {
            check(&h, &t, &p, &world);
            let again = generate(&procedural(seed), &t, &seeds, &p).unwrap();
            prop_assert_eq!(&again.fingerprint, &h.fingerprint);
            // Whatever the player found is never used again, even if the hunt then fails.
            p.found = h.stages.iter().map(|s| s.site.id.clone()).collect();
            if let Ok(next) = generate(&world, &t, &seeds, &p) {
                check(&next, &t, &p, &world);
            }
        }
    }

    #[test]
    fn imported_hunts_do_not_depend_on_site_order(
        seed in 0u64..10_000, t in template(), p in player(), shuffle in any::<u64>(),
    ) {
        let sites = random_sites(seed, 3000);
        let mut shuffled = sites.clone();
        // Fisher-Yates with the hash as the source.
        for i in (1..shuffled.len()).rev() {
            let j = xmarks::hash::below(xmarks::hash::mix2(shuffle, i as u64), i as u32 + 1) as usize;
            shuffled.swap(i, j);
        }
        let a = World::Imported(SiteIndex::from_sites(&sites).unwrap());
        let b = World::Imported(SiteIndex::from_sites(&shuffled).unwrap());
        let seeds = Seeds { game: 5, round: 9 };
        match (generate(&a, &t, &seeds, &p), generate(&b, &t, &seeds, &p)) {
            (Ok(ha), Ok(hb)) => {
                check(&ha, &t, &p, &a);
                prop_assert_eq!(ha.canonical_json(), hb.canonical_json());
            }
            (Err(ea), Err(eb)) => prop_assert_eq!(ea, eb),
            (ra, rb) => prop_assert!(false, "results differ: {:?} vs {:?}", ra.map(|h| h.fingerprint), rb.map(|h| h.fingerprint)),
        }
    }

    #[test]
    fn tile_generation_order_changes_nothing(
        seed in 0u64..10_000, order in proptest::collection::vec((-3i64..3, -3i64..3), 1..12), t in template(), p in player(),
    ) {
        let warmed = ProceduralWorld::new(seed, WorldConfig::default()).unwrap();
        for &(x, y) in &order {
            warmed.tile(x, y);
        }
        let warmed = World::Procedural(warmed);
        let fresh = procedural(seed);
        let region = Bounds::around(Point::new(0.0, 0.0), 2500.0);
        prop_assert_eq!(warmed.sites_in(region).unwrap(), fresh.sites_in(region).unwrap());
        let seeds = Seeds { game: 1, round: 1 };
        let (a, b) = (generate(&warmed, &t, &seeds, &p), generate(&fresh, &t, &seeds, &p));
        prop_assert_eq!(a.map(|h| h.fingerprint), b.map(|h| h.fingerprint));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_as_a_template_never_panics(text in ".{0,200}") {
        let _ = Template::from_json(&text);
    }

    #[test]
    fn arbitrary_template_json_never_panics(value in json_value()) {
        // Wrap random values into template-shaped objects so validation, not just parsing, runs.
        let wrapped = serde_json::json!({ "id": "t", "stages": 3, "leg": value.clone() });
        for text in [value.to_string(), wrapped.to_string()] {
            if let Ok(t) = Template::from_json(&text) {
                let world = World::Imported(SiteIndex::from_sites(&random_sites(1, 300)).unwrap());
                let p = Player::new("p", Point::new(0.0, 0.0));
                let _ = generate(&world, &t, &Seeds { game: 1, round: 1 }, &p);
            }
        }
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![Just(1e308), Just(-1e308), Just(-0.0), Just(1e-308), any::<f64>()].prop_map(|f| json!(f)),
        "[a-z_]{0,10}".prop_map(Value::String),
    ];
    let keys = prop_oneof![
        Just("id"),
        Just("stages"),
        Just("leg"),
        Just("min"),
        Just("max"),
        Just("spacing"),
        Just("search_radius"),
        Just("kinds"),
        Just("stage_kinds"),
        Just("difficulty"),
        Just("dig_radius"),
        Just("rewards"),
        Just("items"),
        Just("treasure"),
        Just("points"),
        Just("item"),
        Just("clue_styles"),
        Just("max_speed"),
        Just("time_limit_s"),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone().prop_map(str::to_owned), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
