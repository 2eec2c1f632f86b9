//! Team hunts: one hunt for a team of 2 to `max_team` members (the template's, at most 64), played
//! together in one team session (session format 3).
//!
//! A team's hunt is generated as one player's would be, for a player made of the team:
//! - its id is the team's, so the team's seeds, not a member's, choose its stages;
//! - it starts at the team's meeting point, where every member starts;
//! - its level is the members' mean level, rounded half up (a team of levels 1, 2 and 4 plays at
//!   level 2; the level sets the stages' rewards and the hunt's seed);
//! - sites any member has already found are left out;
//! - a kind's interest weight is the members' mean weight for it, a member who names no weight for
//!   a kind counting 1 (the weight kinds keep when nobody names them).
//!
//! The hunt names its members (`members`, in the team's order), so the roster is bound to its
//! fingerprint and to every session's hash chain.

use super::{generate, Hunt, HuntBody, HuntError, Player, Seeds};
use crate::limits::{MAX_FOUND, MAX_INTERESTS, MAX_NAME_LEN, MAX_TEAM};
use crate::position::Position;
use crate::world::World;
use crate::Template;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A team about to play: who, and where they meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    /// The meeting point, where the hunt starts for every member.
    pub start: Position,
    pub members: Vec<TeamMember>,
}

/// One member of a team: a player, without a start of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamMember {
    pub id: String,
    #[serde(default = "super::one")]
    pub level: u32,
    #[serde(default)]
    pub found: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub interests: BTreeMap<String, f64>,
}

impl TeamMember {
    pub fn new(id: impl Into<String>) -> TeamMember {
        TeamMember { id: id.into(), level: 1, found: Vec::new(), interests: BTreeMap::new() }
    }

    pub fn with_level(self, level: u32) -> TeamMember {
        TeamMember { level, ..self }
    }

    pub fn with_found(self, found: Vec<String>) -> TeamMember {
        TeamMember { found, ..self }
    }
}

fn invalid(path: impl Into<String>, reason: impl Into<String>) -> HuntError {
    HuntError::Input { path: path.into(), reason: reason.into() }
}

impl Team {
    /// Checks the team against the template: its size, the members' ids (distinct, 1 to 128 bytes)
    /// and what each brings.
    fn check(&self, template: &Template) -> Result<(), HuntError> {
        let Some(max) = template.max_team else {
            return Err(invalid(
                "template.max_team",
                "this template's hunts are for one player: set max_team (2 to 64)",
            ));
        };
        let max = max.min(MAX_TEAM) as usize;
        if self.id.is_empty() || self.id.len() > MAX_NAME_LEN {
            return Err(invalid("team.id", format!("must be 1 to {MAX_NAME_LEN} bytes")));
        }
        let n = self.members.len();
        if !(2..=max).contains(&n) {
            return Err(invalid("team.members", format!("{n} members: the template's teams have 2 to {max}")));
        }
        let mut ids = BTreeSet::new();
        for (i, m) in self.members.iter().enumerate() {
            let path = |field: &str| format!("team.members[{i}].{field}");
            if m.id.is_empty() || m.id.len() > MAX_NAME_LEN {
                return Err(invalid(path("id"), format!("must be 1 to {MAX_NAME_LEN} bytes")));
            }
            if !ids.insert(m.id.as_str()) {
                return Err(invalid(path("id"), format!("{:?} is in the team twice", m.id)));
            }
            if !(1..=crate::limits::MAX_LEVEL).contains(&m.level) {
                return Err(invalid(path("level"), format!("{} is not in 1..={}", m.level, crate::limits::MAX_LEVEL)));
            }
            if m.found.len() > MAX_FOUND {
                return Err(invalid(path("found"), format!("has more than {MAX_FOUND} ids")));
            }
            if m.interests.len() > MAX_INTERESTS {
                return Err(invalid(path("interests"), format!("names more than {MAX_INTERESTS} kinds")));
            }
        }
        Ok(())
    }

    /// The one player the team's hunt is generated for (see the module's documentation).
    pub fn as_player(&self) -> Player {
        let n = self.members.len().max(1) as u64;
        let levels: u64 = self.members.iter().map(|m| u64::from(m.level)).sum();
        let level = ((2 * levels + n) / (2 * n)) as u32;
        let found: BTreeSet<&String> = self.members.iter().flat_map(|m| &m.found).collect();
        let kinds: BTreeSet<&String> = self.members.iter().flat_map(|m| m.interests.keys()).collect();
        let interests = kinds
            .into_iter()
            .map(|kind| {
                // Summed in the team's order: the same float on every target.
                let sum: f64 = self.members.iter().map(|m| m.interests.get(kind).copied().unwrap_or(1.0)).sum();
                (kind.clone(), sum / n as f64)
            })
            .collect();
        Player { id: self.id.clone(), start: self.start, level, found: found.into_iter().cloned().collect(), interests }
    }
}

/// Generates `team`'s hunt from `template` on `world`: [`generate`] for the team as one player,
/// naming its members. Errors name the team's fields (`team.members[2].level`, `team.start`).
pub fn generate_team(world: &World, template: &Template, seeds: &Seeds, team: &Team) -> Result<Hunt, HuntError> {
    template.validate()?;
    team.check(template)?;
    let player = team.as_player();
    if player.found.len() > MAX_FOUND {
        return Err(invalid("team.members", format!("have found more than {MAX_FOUND} sites together")));
    }
    let hunt = generate(world, template, seeds, &player).map_err(|e| match e {
        HuntError::Input { path, reason } => match path.strip_prefix("player.") {
            Some(field) => invalid(format!("team.{field}"), reason),
            None => HuntError::Input { path, reason },
        },
        e => e,
    })?;
    let members = team.members.iter().map(|m| m.id.clone()).collect();
    Ok(Hunt::new(HuntBody { members, ..hunt.body }))
}
