//! A player's view of a hunt: what they need to play it, without the answers.
//!
//! A hunt holds every stage's site. A player who receives it reads the answers and walks straight
//! to them. The view keeps the clues, dig radii and rewards, and replaces each stage's site with a
//! commitment: the SHA-256 (hex) of a per-hunt secret salt, a newline, and the site's canonical
//! JSON. A stage's site is shown once it is found (`found` stages, in order). When the hunt is
//! over the salt can be revealed, and the player checks with [`commitment`] that no site was moved
//! after the hunt was handed out.
//!
//! The salt must be secret and unguessable while the hunt is played (a site's JSON is guessable
//! from the world: without the salt a commitment would give it away). A server derives it from its
//! secret and the session's id; a game holding full hunts on a trusted host picks its own.
//!
//! Canonical form as for hunts: compact JSON, fields in declaration order, floats in shortest
//! round-trip form. The golden vectors in `tests/golden/views.json` pin it on every target.

use super::{Hunt, Reward, Stage};
use crate::hunt::clue::Clue;
use crate::hunt::template::Treasure;
use crate::position::Position;
use crate::site::Site;
use serde::{Deserialize, Serialize};

/// The format of views; a changed layout gets a new one.
pub const VIEW: &str = "xmarks-view/1";

/// What a player may see of a hunt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuntView {
    pub view: String,
    /// The full hunt's fingerprint: the hunt the commitments are to.
    pub fingerprint: String,
    pub template: String,
    pub player: String,
    pub level: u32,
    pub start: Position,
    pub difficulty: u8,
    pub time_limit_s: Option<u32>,
    pub max_speed: f64,
    pub stages: Vec<StageView>,
}

/// One stage as the player sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageView {
    pub number: u32,
    pub dig_radius: f64,
    pub clue: Clue,
    pub reward: Reward,
    pub treasure: Option<Treasure>,
    /// See [`commitment`].
    pub commitment: String,
    /// The site, once the stage is found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Site>,
}

/// The commitment to `site` under `salt`: hex SHA-256 of the salt, `\n`, and the site's canonical
/// JSON.
pub fn commitment(salt: &str, site: &Site) -> String {
    let mut bytes = Vec::with_capacity(salt.len() + 128);
    bytes.extend_from_slice(salt.as_bytes());
    bytes.push(b'\n');
    serde_json::to_writer(&mut bytes, site).expect("sites serialise");
    crate::hash::sha256_hex(&bytes)
}

impl Hunt {
    /// The view of this hunt for its player, with the first `found` stages' sites shown (more
    /// than the hunt has shows them all).
    pub fn player_view(&self, salt: &str, found: u32) -> HuntView {
        let stage = |s: &Stage| StageView {
            number: s.number,
            dig_radius: s.dig_radius,
            clue: s.clue.clone(),
            reward: s.reward.clone(),
            treasure: s.treasure.clone(),
            commitment: commitment(salt, &s.site),
            site: (s.number <= found).then(|| s.site.clone()),
        };
        HuntView {
            view: VIEW.into(),
            fingerprint: self.fingerprint.clone(),
            template: self.template.clone(),
            player: self.player.clone(),
            level: self.level,
            start: self.start,
            difficulty: self.difficulty,
            time_limit_s: self.time_limit_s,
            max_speed: self.max_speed,
            stages: self.stages.iter().map(stage).collect(),
        }
    }
}

impl HuntView {
    /// The view's canonical JSON (the golden vectors' bytes).
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).expect("views serialise")
    }

    /// Whether every stage's commitment is to the site `hunt` has there, under `salt`: what a
    /// player checks once the salt is revealed.
    pub fn commits_to(&self, hunt: &Hunt, salt: &str) -> bool {
        hunt.fingerprint == self.fingerprint
            && hunt.stages.len() == self.stages.len()
            && hunt.stages.iter().zip(&self.stages).all(|(s, v)| commitment(salt, &s.site) == v.commitment)
    }
}

#[cfg(test)]
mod tests {
    use crate::{generate, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};

    fn hunt() -> crate::Hunt {
        let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
        let template = Template::from_json(r#"{"id": "t", "stages": 3}"#).unwrap();
        let player = Player::new("ann", Point::new(0.0, 0.0));
        generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).unwrap()
    }

    #[test]
    fn a_view_hides_the_sites_not_yet_found_and_commits_to_every_one() {
        let hunt = hunt();
        let view = hunt.player_view("a secret salt", 1);
        assert_eq!(view.stages.len(), 3);
        assert_eq!(view.stages[0].site.as_ref(), Some(&hunt.stages[0].site));
        assert!(view.stages[1..].iter().all(|s| s.site.is_none()));
        let json = view.canonical_json();
        for stage in &hunt.stages[1..] {
            assert!(!json.contains(&format!("\"id\":\"{}\"", stage.site.id)), "{json}");
        }
        assert!(view.commits_to(&hunt, "a secret salt"));
        assert!(!view.commits_to(&hunt, "another salt"), "the salt matters");
        let mut moved = hunt.clone();
        moved.body.stages[2].site.pos = moved.stages[2].site.pos.towards(90.0, 1.0);
        assert!(!view.commits_to(&moved, "a secret salt"), "a moved site breaks its commitment");
        assert_eq!(hunt.player_view("a secret salt", 99).stages.iter().filter(|s| s.site.is_some()).count(), 3);
    }

    #[test]
    fn views_read_back_as_written() {
        let view = hunt().player_view("salt", 2);
        let again: super::HuntView = serde_json::from_str(&view.canonical_json()).unwrap();
        assert_eq!(again, view);
    }
}
