//! Hunts: what a player is asked to find, generated from a world, a template, seeds and the player.
//!
//! A hunt's canonical form is compact JSON with fields in the order they are declared here,
//! integers as integers and floats in shortest round-trip form (serde_json's `ryu`), UTF-8, no
//! whitespace. Its fingerprint is the SHA-256 of that form without the `fingerprint` field. The
//! golden vectors in `tests/golden/` hold both, and every target must reproduce them byte for byte.

pub mod clue;
mod generate;
mod team;
pub mod template;
pub mod view;

pub use generate::generate;
pub use team::{generate_team, Team, TeamMember};

use crate::error::Coded;
pub use crate::limits::{MAX_FOUND, MAX_INTERESTS, MAX_LEVEL};
use crate::position::Position;
use crate::site::Site;
use crate::world::{WorldError, WorldRef};
use clue::Clue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use template::{TemplateError, Treasure};

/// Version of the generator. Any change to what `generate` outputs for the same inputs bumps it
/// (and the golden vectors with it, with a CHANGELOG line saying why).
pub const GENERATOR: &str = "xmarks-hunt/1";

/// The game's seeds: `game` is the game's secret, `round` the season or day. Both are integers
/// up to 2^53 - 1 so JavaScript holds them exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seeds {
    pub game: u64,
    pub round: u64,
}

/// Who the hunt is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Player {
    pub id: String,
    /// Where the hunt starts: `{"x", "y"}` on planar worlds, `{"lon", "lat"}` on Earth worlds.
    pub start: Position,
    #[serde(default = "one")]
    pub level: u32,
    /// Ids of sites this player already found: never used again.
    #[serde(default)]
    pub found: Vec<String>,
    /// Kind preferences: a weight per site kind (0 to 1,000,000) that multiplies the weights of
    /// that kind's sites when stages are chosen; kinds not named keep their weights, 0 leaves a
    /// kind out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interests: BTreeMap<String, f64>,
}

impl Player {
    /// A level-1 player at `start` who has found nothing and has no preferences.
    pub fn new(id: impl Into<String>, start: impl Into<Position>) -> Player {
        Player { id: id.into(), start: start.into(), level: 1, found: Vec::new(), interests: BTreeMap::new() }
    }

    pub fn with_level(self, level: u32) -> Player {
        Player { level, ..self }
    }

    pub fn with_found(self, found: Vec<String>) -> Player {
        Player { found, ..self }
    }

    pub fn with_interests(self, interests: BTreeMap<String, f64>) -> Player {
        Player { interests, ..self }
    }
}

pub(crate) fn one() -> u32 {
    1
}

/// One stage of a hunt: the site to dig at, its clue, and what finding it pays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// 1-based position on the route.
    pub number: u32,
    pub site: Site,
    /// A dig within this many metres of the site finds it.
    pub dig_radius: f64,
    pub clue: Clue,
    pub reward: Reward,
    /// Set on the last stage only.
    pub treasure: Option<Treasure>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reward {
    pub points: u32,
    pub item: Option<String>,
}

/// Everything in a hunt but its fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HuntBody {
    pub generator: String,
    pub template: String,
    pub world: WorldRef,
    pub seeds: Seeds,
    /// The player's id, or the team's.
    pub player: String,
    /// A team's hunt: the ids of the members who play it, in the order the team listed them
    /// (absent from one player's hunt, so solo hunts are what they were before teams).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    pub level: u32,
    pub start: Position,
    pub difficulty: u8,
    pub time_limit_s: Option<u32>,
    pub max_speed: f64,
    /// Length of the route through every stage from the start, in whole metres (along geodesics
    /// on Earth worlds).
    pub length: u32,
    pub stages: Vec<Stage>,
}

/// A generated hunt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "HuntJson")]
pub struct Hunt {
    #[serde(flatten)]
    pub body: HuntBody,
    /// SHA-256 (hex) of the body's canonical JSON.
    pub fingerprint: String,
}

/// A hunt as read: the body's fields and the fingerprint side by side. serde's `flatten` reads
/// by buffering the whole input first, which cost the wasm build 70 KB of code.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HuntJson {
    generator: String,
    template: String,
    world: WorldRef,
    seeds: Seeds,
    player: String,
    #[serde(default)]
    members: Vec<String>,
    level: u32,
    start: Position,
    difficulty: u8,
    time_limit_s: Option<u32>,
    max_speed: f64,
    length: u32,
    stages: Vec<Stage>,
    fingerprint: String,
}

impl From<HuntJson> for Hunt {
    fn from(h: HuntJson) -> Hunt {
        let body = HuntBody {
            generator: h.generator,
            template: h.template,
            world: h.world,
            seeds: h.seeds,
            player: h.player,
            members: h.members,
            level: h.level,
            start: h.start,
            difficulty: h.difficulty,
            time_limit_s: h.time_limit_s,
            max_speed: h.max_speed,
            length: h.length,
            stages: h.stages,
        };
        Hunt { body, fingerprint: h.fingerprint }
    }
}

impl std::ops::Deref for Hunt {
    type Target = HuntBody;
    fn deref(&self) -> &HuntBody {
        &self.body
    }
}

impl Hunt {
    pub fn new(body: HuntBody) -> Hunt {
        let fingerprint = crate::hash::sha256_hex(&serde_json::to_vec(&body).expect("hunts serialise"));
        Hunt { body, fingerprint }
    }

    /// The canonical JSON of the whole hunt, fingerprint included.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("hunts serialise")
    }

    /// Parses a hunt and checks its fingerprint.
    pub fn from_json(text: &str) -> Result<Hunt, HuntError> {
        let hunt: Hunt = serde_json::from_str(text).map_err(|e| HuntError::Malformed(e.to_string()))?;
        let again = Hunt::new(hunt.body.clone());
        if again.fingerprint != hunt.fingerprint {
            return Err(HuntError::Malformed("fingerprint does not match the hunt's content".into()));
        }
        Ok(hunt)
    }
}

/// Why a hunt could not be generated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HuntError {
    #[error("template.{0}")]
    Template(#[from] TemplateError),
    #[error("{path}: {reason}")]
    Input { path: String, reason: String },
    #[error("{path}: unknown kind {kind:?}; this world has {known}")]
    UnknownKind { path: String, kind: String, known: String },
    #[error(
        "not enough sites: {available} unfound sites of the allowed kinds within {radius} m of the start, the template needs {needed}{}",
        nearest.as_ref().map_or(String::new(), |n| format!("; {n}"))
    )]
    NotEnoughSites {
        available: u64,
        needed: u32,
        radius: f64,
        /// On Earth worlds, where the nearest unfound site of the allowed kinds is: "the nearest
        /// is 734.2 km from the start (Tórshavn)", or that there is none.
        nearest: Option<String>,
    },
    #[error("stage {stage} of {stages} cannot be placed: {reason}")]
    Unplaceable { stage: u32, stages: u32, reason: String },
    #[error("world: {0}")]
    World(#[from] WorldError),
    #[error("hunt: {0}")]
    Malformed(String),
}

impl Coded for HuntError {
    fn code(&self) -> &'static str {
        match self {
            HuntError::Template(e) => e.code(),
            HuntError::Input { .. } => "input_invalid",
            HuntError::UnknownKind { .. } => "unknown_kind",
            HuntError::NotEnoughSites { .. } => "not_enough_sites",
            HuntError::Unplaceable { .. } => "stage_unplaceable",
            HuntError::World(e) => e.code(),
            HuntError::Malformed(_) => "hunt_malformed",
        }
    }

    fn path(&self) -> Option<String> {
        match self {
            HuntError::Template(e) => Some(format!("template.{}", e.path)),
            HuntError::Input { path, .. } | HuntError::UnknownKind { path, .. } => Some(path.clone()),
            HuntError::World(e) => e.path(),
            _ => None,
        }
    }
}
