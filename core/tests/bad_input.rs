//! Hostile input at every entry point of worlds and hunts: each gets a typed error with a path and
//! a reason, never a panic.

use xmarks::Coded;
use xmarks::{
    generate, import_csv, import_geojson, HuntError, ImportOptions, Player, Point, ProceduralWorld, Seeds, SiteIndex,
    Template, World, WorldConfig,
};

fn world() -> World {
    World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap())
}

fn player() -> Player {
    Player::new("ann", Point::new(0.0, 0.0))
}

const SEEDS: Seeds = Seeds { game: 1, round: 1 };

#[test]
fn bad_templates_are_template_errors_with_a_path() {
    let cases: &[(&str, &str)] = &[
        ("{", "$"),
        ("", "$"),
        ("[]", "$"),
        (r#"{"id":"t"}"#, "stages"),
        (r#"{"id":"t","stages":0}"#, "stages"),
        (r#"{"id":"t","stages":10000}"#, "stages"),
        (r#"{"id":"t","stages":3,"search_radius":-5}"#, "search_radius"),
        (r#"{"id":"t","stages":3,"search_radius":1e308}"#, "search_radius"),
        (r#"{"id":"t","stages":3,"spacing":-1}"#, "spacing"),
        (r#"{"id":"t","stages":3,"leg":{"min":500,"max":100}}"#, "leg.max"),
        (r#"{"id":"t","stages":3,"dig_radius":0}"#, "dig_radius"),
        (r#"{"id":"t","stages":3,"difficulty":9}"#, "difficulty"),
        (r#"{"id":"t","stages":3,"stages_typo":1}"#, "stages_typo"),
        (r#"{"id":"t","stages":3.5}"#, "stages"),
        (r#"{"id":"t","stages":99999999999999999999}"#, "stages"),
        (r#"{"id":"","stages":3}"#, "id"),
        (r#"{"id":"t","stages":3,"clue_styles":["riddle"]}"#, "clue_styles[0]"),
        (r#"{"id":"t","stages":3,"clue_styles":[]}"#, "clue_styles"),
        (r#"{"id":"t","stages":2,"stage_kinds":[["well"]]}"#, "stage_kinds"),
        (r#"{"id":"t","stages":3,"max_speed":0}"#, "max_speed"),
    ];
    for (json, path) in cases {
        let err = Template::from_json(json).expect_err(json);
        assert_eq!(&err.path, path, "{json}: {err}");
        assert!(!err.reason.is_empty());
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(Template::from_json(&deep).unwrap_err().path, "$");
    let huge = format!(r#"{{"id":"{}","stages":3}}"#, "x".repeat(300_000));
    assert!(Template::from_json(&huge).unwrap_err().reason.contains("larger than"));
}

#[test]
fn bad_players_and_seeds_are_input_errors() {
    let t = Template::from_json(r#"{"id":"t","stages":3}"#).unwrap();
    let w = world();
    let with = |f: &dyn Fn(&mut Player)| {
        let mut p = player();
        f(&mut p);
        generate(&w, &t, &SEEDS, &p).unwrap_err()
    };
    let path = |e: HuntError| match e {
        HuntError::Input { path, .. } => path,
        other => panic!("{other}"),
    };
    assert_eq!(path(with(&|p| p.start = Point::new(f64::NAN, 0.0).into())), "player.start");
    assert_eq!(path(with(&|p| p.start = Point::new(f64::INFINITY, 0.0).into())), "player.start");
    assert_eq!(path(with(&|p| p.start = Point::new(1e308, 0.0).into())), "player.start");
    assert_eq!(path(with(&|p| p.level = 0)), "player.level");
    assert_eq!(path(with(&|p| p.id.clear())), "player.id");
    assert_eq!(path(with(&|p| p.found = vec![String::new(); 100_001])), "player.found");
    let err = generate(&w, &t, &Seeds { game: u64::MAX, round: 0 }, &player()).unwrap_err();
    assert_eq!(path(err), "seeds.game");
    // A template built in code is validated too.
    let bad = Template { stages: 0, ..t };
    assert!(matches!(generate(&w, &bad, &SEEDS, &player()), Err(HuntError::Template(e)) if e.path == "stages"));
}

#[test]
fn unknown_kinds_and_empty_worlds_say_what_is_missing() {
    let t = Template::from_json(r#"{"id":"t","stages":3,"kinds":["dragon_lair"]}"#).unwrap();
    let err = generate(&world(), &t, &SEEDS, &player()).unwrap_err();
    assert_eq!(err.code(), "unknown_kind");
    assert!(err.to_string().starts_with("template.kinds[0]: unknown kind \"dragon_lair\""), "{err}");

    let empty = World::Imported(SiteIndex::from_sites(&[]).unwrap());
    let t = Template::from_json(r#"{"id":"t","stages":3}"#).unwrap();
    let err = generate(&empty, &t, &SEEDS, &player()).unwrap_err();
    assert_eq!(err.code(), "not_enough_sites");
    assert!(err.to_string().contains("0 unfound sites"), "{err}");
}

#[test]
fn bad_imports_name_the_line_or_feature() {
    let strict = ImportOptions::default();
    let cases: &[(&[u8], &str)] = &[
        (b"id,x,y,kind,name\na,inf,0,well,W\n", "line 2: x \"inf\" is not finite"),
        (
            b"id,x,y,kind,name\na,1e308,0,well,W\n",
            "line 2: position (1e308, 0.0) is not finite or lies beyond 1000000000 m",
        ),
        (b"id,x,y,kind,name\na,0,0,,W\n", "line 2: kind is empty"),
        (b"id,x,y,kind,name\n,0,0,well,W\n", "line 2: id is empty"),
        (b"id,x,y,kind,name,weight\na,0,0,well,W,-1\n", "line 2: weight -1.0 is not in 0..=1000000"),
        (b"id,x,y,kind,name\na,0,0,well,W\na,1,1,well,W\n", "line 3: duplicate id (an earlier row has the same id)"),
        (b"id,x,y,kind,name\na,0\n", "line 2: missing column y"),
    ];
    for (csv, message) in cases {
        assert_eq!(import_csv(csv, strict.clone()).unwrap_err().to_string(), *message);
    }
    let geo = |features: &str| format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#);
    let cases = [
        (
            geo(
                r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[200,0]},"properties":{"kind":"k"}}"#,
            ),
            "features[0]: geometry.coordinates [200, 0] are not a longitude and latitude",
        ),
        (
            geo(r#"{"type":"Feature","id":"a","geometry":null,"properties":{"kind":"k"}}"#),
            "features[0]: geometry is missing",
        ),
        (
            geo(r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}}"#),
            "features[0]: no properties.kind",
        ),
        (
            geo(r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"kind":"k"}}"#),
            "features[0]: no id (feature id or properties.id)",
        ),
        (
            geo(
                r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":["x",2]},"properties":{"kind":"k"}}"#,
            ),
            "features[0]: geometry.coordinates must be numbers",
        ),
        (r#"{"type":"Feature"}"#.to_owned(), "GeoJSON: missing field `features` at line 1 column 18"),
    ];
    for (text, message) in &cases {
        assert_eq!(import_geojson(text, strict.clone()).unwrap_err().to_string(), *message);
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(import_geojson(&deep, strict).is_err());
}

#[test]
fn map_queries_refuse_bad_bounds_and_huge_rasters() {
    use xmarks::{Bounds, Point};
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let b = Bounds::around(Point::new(0.0, 0.0), 1000.0);
    let nan = Bounds { min: Point::new(f64::NAN, 0.0), max: Point::new(1.0, 1.0) };
    let flipped = Bounds { min: b.max, max: b.min };
    for bad in [nan, flipped] {
        assert_eq!(world.sites_in(bad).unwrap_err().code(), "world_query");
        assert_eq!(world.biome_raster(bad, 8, 8).unwrap_err().code(), "world_query");
    }
    assert_eq!(world.biome_raster(b, 0, 8).unwrap_err().code(), "world_query");
    assert_eq!(world.biome_raster(b, 4096, 4096).unwrap_err().code(), "world_query");
    assert_eq!(world.biome_raster(b, 16, 8).unwrap().len(), 128);
    assert!(world.summary(b).unwrap().sites > 0);
    assert_eq!(world.bounds(), None);
    let imported = World::Imported(xmarks::SiteIndexBuilder::new().build());
    assert_eq!(imported.summary(b).unwrap_err().code(), "world_query");
    assert_eq!(imported.biome_raster(b, 8, 8).unwrap_err().code(), "world_query");

    // Site points are the sites of sites_in, as columns.
    let sites = world.sites_in(b).unwrap();
    let points = world.site_points(b).unwrap();
    assert_eq!(points.ids.len(), sites.len());
    for (i, s) in sites.iter().enumerate() {
        assert_eq!(
            (points.ids[i].as_str(), points.xy[2 * i], points.xy[2 * i + 1]),
            (s.id.as_str(), s.pos.as_point().unwrap().x, s.pos.as_point().unwrap().y)
        );
        assert_eq!(points.kinds[points.kind[i] as usize], s.kind);
    }
}
