//! # xmarks
//!
//! A deterministic treasure-hunt engine: worlds of sites (procedural or imported), personalised
//! hunts generated over them, rules in JsonLogic, and event-sourced sessions that replay to the same
//! bytes on every target (native, wasm in Node and in browsers).
//!
//! ```
//! use std::sync::Arc;
//! use xmarks::rules::Ruleset;
//! use xmarks::session::{log, script::walkthrough, Outcome, Session};
//! use xmarks::{generate, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};
//!
//! // A world, a designer's template, a player: a hunt.
//! let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
//! let template = Template::from_json(r#"{"id": "harbour", "stages": 4, "difficulty": 3}"#).unwrap();
//! let player = Player::new("ann", Point::new(0.0, 0.0)).with_level(3);
//! let hunt = generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).unwrap();
//! assert!(hunt.stages[3].treasure.is_some());
//! println!("{}", hunt.stages[0].clue.text); // "About 600 paces north-north-west of the Chapel of Mirefield. ..."
//!
//! // Play it under the default rules, keeping the log.
//! let mut session = Session::new(hunt.clone(), Arc::new(Ruleset::default_rules()), 0);
//! let mut lines = vec![log::header(&session)];
//! let mut outcomes = Vec::new();
//! for event in walkthrough(&hunt, 0) {
//!     outcomes.extend(session.apply(&event).unwrap());
//!     lines.push(log::line(&session, &event));
//! }
//! assert!(outcomes.contains(&Outcome::HuntCompleted));
//!
//! // Anyone holding the log rebuilds the same state, byte for byte.
//! let replayed = log::replay(&lines.join("\n")).unwrap();
//! assert_eq!(replayed.session.state_hash(), session.state_hash());
//! ```
//!
//! Determinism rules for contributors: no `std` transcendental functions (use `libm`), no
//! `HashMap` iteration into outputs, no `usize` in serialised data or sampling, and every random
//! choice goes through [`hash`] with a documented derivation.

#![forbid(unsafe_code)]

pub mod error;
pub mod geo;
pub mod geom;
pub mod hash;
pub mod hunt;
pub mod index;
mod input;
pub mod limits;
pub mod live;
mod par;
pub mod position;
pub mod progress;
pub mod rules;
pub mod session;
pub mod site;
pub mod world;

pub use error::Coded;
pub use geo::{EarthIndex, LonLat};
pub use geom::{Bounds, Point, Wind};
pub use hunt::clue::{Clue, ClueText, Pointer};
pub use hunt::template::{Template, TemplateError};
pub use hunt::view::{HuntView, StageView};
pub use hunt::{generate, generate_team, Hunt, HuntError, Player, Seeds, Stage, Team, TeamMember};
pub use index::{SiteIndex, SiteIndexBuilder};
pub use position::{Position, Space};
pub use site::Site;
pub use world::import::{import_csv, import_geojson, ImportError, ImportOptions, ImportReport};
pub use world::procedural::{ProceduralWorld, WorldConfig};
pub use world::terrain::Biome;
pub use world::{World, WorldError};
