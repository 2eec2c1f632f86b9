//! What the fuzz targets share: one small world, one hunt on it, and the events of the scripted
//! player, built once per process.

use std::sync::{Arc, OnceLock};
use xmarks::rules::Ruleset;
use xmarks::session::{script::walkthrough, Event};
use xmarks::{generate, Hunt, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};

pub struct Fixture {
    pub world: World,
    pub hunt: Hunt,
    pub rules: Arc<Ruleset>,
    pub walk: Vec<Event>,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).expect("the default world"));
        let template =
            Template::from_json(r#"{"id": "fuzz", "stages": 3, "difficulty": 3}"#).expect("a valid template");
        let player = Player { id: "ann".into(), start: Point::new(0.0, 0.0), level: 2, found: vec![] };
        let hunt = generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).expect("a hunt");
        let walk = walkthrough(&hunt, 0);
        Fixture { world, hunt, rules: Arc::new(Ruleset::default_rules()), walk }
    })
}
