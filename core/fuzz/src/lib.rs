//! What the fuzz targets share: one small planar world and one small Earth world (across the
//! antimeridian, at 65 degrees north), a hunt on each, and the events of the scripted player,
//! built once per process.

use std::sync::{Arc, OnceLock};
use xmarks::geo::{geodesic, EarthIndex};
use xmarks::hash::{mix2, unit};
use xmarks::rules::Ruleset;
use xmarks::session::{script::walkthrough, Event};
use xmarks::{generate, Hunt, LonLat, Player, Point, ProceduralWorld, Seeds, Site, Template, World, WorldConfig};

pub struct Fixture {
    pub world: World,
    pub hunt: Hunt,
    pub rules: Arc<Ruleset>,
    pub walk: Vec<Event>,
    pub earth: World,
    pub earth_hunt: Hunt,
    pub earth_walk: Vec<Event>,
}

/// 600 sites within 3 km of a point on the antimeridian at 65 degrees north.
pub fn earth_world() -> World {
    let centre = LonLat::new(180.0, 65.0);
    let sites: Vec<Site> = (0..600u64)
        .map(|i| {
            let h = mix2(0xea57, i);
            let pos = geodesic::destination(centre, unit(h) * 360.0, 3000.0 * unit(mix2(h, 1)).sqrt());
            let kind = ["well", "cave", "ruins"][(h % 3) as usize];
            Site { id: format!("e{i}"), pos: pos.into(), kind: kind.into(), name: format!("{kind} {i}"), weight: 1.0 }
        })
        .collect();
    World::Earth(EarthIndex::from_sites(&sites).expect("valid sites"))
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).expect("the default world"));
        let template =
            Template::from_json(r#"{"id": "fuzz", "stages": 3, "difficulty": 3}"#).expect("a valid template");
        let player = Player::new("ann", Point::new(0.0, 0.0)).with_level(2);
        let hunt = generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).expect("a hunt");
        let walk = walkthrough(&hunt, 0);
        let earth = earth_world();
        let ann = Player::new("ann", LonLat::new(-179.999, 65.001)).with_level(2);
        let earth_hunt = generate(&earth, &template, &Seeds { game: 1, round: 1 }, &ann).expect("an Earth hunt");
        let earth_walk = walkthrough(&earth_hunt, 0);
        Fixture { world, hunt, rules: Arc::new(Ruleset::default_rules()), walk, earth, earth_hunt, earth_walk }
    })
}
