//! Hunt templates: the designer's JSON, parsed and validated with errors that name the path.

use crate::error::Coded;
pub use crate::limits::{MAX_NAME_LEN, MAX_SEARCH_RADIUS, MAX_STAGES, MAX_TEAM, MAX_TEMPLATE_BYTES};
use serde::{Deserialize, Serialize};

/// How a clue points at its stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClueStyle {
    /// The site's coordinates (always used at difficulty 1).
    Coordinates,
    /// Bearing and distance from a named landmark near the site.
    Landmark,
    /// Bearing and distance from the previous stage (or the start, for the first).
    Previous,
}

/// Allowed distances between consecutive stages (the first leg starts at the player's start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leg {
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treasure {
    pub item: String,
    pub points: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rewards {
    /// Points for each stage found, before the level bonus.
    pub points: u32,
    /// Optional item per stage; when given, one entry per stage, `null` for none. The last stage's
    /// entry must be `null`: it holds the treasure.
    pub items: Option<Vec<Option<String>>>,
    pub treasure: Treasure,
}

impl Default for Rewards {
    fn default() -> Self {
        Self { points: 100, items: None, treasure: Treasure { item: "treasure_chest".into(), points: 1000 } }
    }
}

/// A hunt template. Only `id` and `stages` are required; the rest have the defaults shown by
/// `Template::default()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Template {
    pub id: String,
    pub stages: u32,
    pub leg: Leg,
    /// Least distance between any two stages, in metres.
    pub spacing: f64,
    /// Every stage lies within this many metres of the player's start.
    pub search_radius: f64,
    /// Kinds allowed for every stage; empty allows all.
    pub kinds: Vec<String>,
    /// Per-stage kinds, one list per stage; an empty list falls back to `kinds`.
    pub stage_kinds: Option<Vec<Vec<String>>>,
    /// 1 (coordinates, generous dig radius) to 5 (far landmarks, vague distances, tight radius).
    pub difficulty: u8,
    pub time_limit_s: Option<u32>,
    /// Fastest a player may move, metres per second (checked by sessions).
    pub max_speed: f64,
    pub clue_styles: Vec<ClueStyle>,
    /// Dig radius at difficulty 3, in metres; easier hunts get more, harder less.
    pub dig_radius: f64,
    pub rewards: Rewards,
    /// The most members a team playing this template's hunts may have (2 to 64); absent, its hunts
    /// are for one player.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_team: Option<u32>,
}

impl Default for Template {
    fn default() -> Self {
        Self {
            id: String::new(),
            stages: 0,
            leg: Leg { min: 100.0, max: 1000.0 },
            spacing: 100.0,
            search_radius: 2000.0,
            kinds: Vec::new(),
            stage_kinds: None,
            difficulty: 3,
            time_limit_s: None,
            max_speed: 3.0,
            clue_styles: vec![ClueStyle::Landmark, ClueStyle::Previous],
            dig_radius: 15.0,
            rewards: Rewards::default(),
            max_team: None,
        }
    }
}

/// A template that cannot be used: where (a JSON path such as `leg.max` or `stage_kinds[2][0]`)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct TemplateError {
    pub path: String,
    pub reason: String,
}

impl Coded for TemplateError {
    fn code(&self) -> &'static str {
        "template_invalid"
    }

    fn path(&self) -> Option<String> {
        Some(self.path.clone())
    }
}

impl TemplateError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { path: path.into(), reason: reason.into() }
    }
}

fn check_name(path: &str, name: &str) -> Result<(), TemplateError> {
    if name.is_empty() {
        return Err(TemplateError::new(path, "is empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(TemplateError::new(path, format!("is longer than {MAX_NAME_LEN} bytes")));
    }
    Ok(())
}

fn check_range(path: &str, v: f64, lo: f64, hi: f64) -> Result<(), TemplateError> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(())
    } else {
        Err(TemplateError::new(path, format!("{v:?} is not in {lo}..={hi}")))
    }
}

impl Template {
    /// Parses and validates a template.
    pub fn from_json(text: &str) -> Result<Self, TemplateError> {
        if text.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::new("$", format!("template is larger than {MAX_TEMPLATE_BYTES} bytes")));
        }
        // serde would also read a struct from an array; a template is an object.
        if !text.trim_start().starts_with('{') {
            return Err(TemplateError::new("$", "a template is a JSON object"));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let template: Template = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            // The root (".") or a position serde could not name ("?") is reported as "$".
            let path = if path == "." || path == "?" { "$".to_owned() } else { path };
            TemplateError::new(path, e.into_inner().to_string())
        })?;
        template.validate()?;
        Ok(template)
    }

    /// Checks every field and the constraints between them.
    pub fn validate(&self) -> Result<(), TemplateError> {
        check_name("id", &self.id)?;
        if !(1..=MAX_STAGES).contains(&self.stages) {
            return Err(TemplateError::new("stages", format!("{} is not in 1..={MAX_STAGES}", self.stages)));
        }
        check_range("search_radius", self.search_radius, 1.0, MAX_SEARCH_RADIUS)?;
        let diameter = 2.0 * self.search_radius;
        check_range("leg.min", self.leg.min, 0.0, diameter)?;
        check_range("leg.max", self.leg.max, 1.0, diameter)?;
        if self.leg.max < self.leg.min {
            return Err(TemplateError::new("leg.max", format!("{} is below leg.min {}", self.leg.max, self.leg.min)));
        }
        check_range("spacing", self.spacing, 0.0, diameter)?;
        if self.stages > 1 && self.leg.max < self.spacing {
            return Err(TemplateError::new(
                "spacing",
                format!(
                    "{} is more than leg.max {}: consecutive stages cannot be that far apart",
                    self.spacing, self.leg.max
                ),
            ));
        }
        // Disks of diameter `spacing` around every stage must fit in the search circle grown by half
        // a spacing: a packing bound that catches impossible spacing early.
        if self.spacing > 0.0 {
            let fit = (diameter + self.spacing) / self.spacing;
            if f64::from(self.stages) > fit * fit {
                return Err(TemplateError::new(
                    "spacing",
                    format!(
                        "{} stages cannot be {} m apart within {} m of the start",
                        self.stages, self.spacing, self.search_radius
                    ),
                ));
            }
        }
        for (i, k) in self.kinds.iter().enumerate() {
            check_name(&format!("kinds[{i}]"), k)?;
        }
        if let Some(per_stage) = &self.stage_kinds {
            if per_stage.len() != self.stages as usize {
                return Err(TemplateError::new(
                    "stage_kinds",
                    format!("has {} entries, expected one per stage ({})", per_stage.len(), self.stages),
                ));
            }
            for (i, kinds) in per_stage.iter().enumerate() {
                for (j, k) in kinds.iter().enumerate() {
                    check_name(&format!("stage_kinds[{i}][{j}]"), k)?;
                }
            }
        }
        if !(1..=5).contains(&self.difficulty) {
            return Err(TemplateError::new("difficulty", format!("{} is not in 1..=5", self.difficulty)));
        }
        if let Some(t) = self.time_limit_s {
            if !(1..=7 * 24 * 3600).contains(&t) {
                return Err(TemplateError::new("time_limit_s", format!("{t} is not in 1..=604800")));
            }
        }
        check_range("max_speed", self.max_speed, 0.1, 100.0)?;
        if self.clue_styles.is_empty() {
            return Err(TemplateError::new("clue_styles", "is empty"));
        }
        check_range("dig_radius", self.dig_radius, 1.0, 1000.0)?;
        if let Some(n) = self.max_team {
            if !(2..=MAX_TEAM).contains(&n) {
                return Err(TemplateError::new("max_team", format!("{n} is not in 2..={MAX_TEAM}")));
            }
        }
        if self.rewards.points > 1_000_000 {
            return Err(TemplateError::new("rewards.points", format!("{} is above 1000000", self.rewards.points)));
        }
        check_name("rewards.treasure.item", &self.rewards.treasure.item)?;
        if self.rewards.treasure.points > 1_000_000 {
            return Err(TemplateError::new("rewards.treasure.points", "is above 1000000"));
        }
        if let Some(items) = &self.rewards.items {
            if items.len() != self.stages as usize {
                return Err(TemplateError::new(
                    "rewards.items",
                    format!("has {} entries, expected one per stage ({})", items.len(), self.stages),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                if let Some(item) = item {
                    check_name(&format!("rewards.items[{i}]"), item)?;
                }
            }
            if items.last().is_some_and(Option::is_some) {
                return Err(TemplateError::new(
                    format!("rewards.items[{}]", items.len() - 1),
                    "must be null: the last stage holds the treasure",
                ));
            }
        }
        Ok(())
    }

    /// Kinds allowed at stage `i` (0-based); empty means any.
    pub fn kinds_at(&self, i: usize) -> &[String] {
        match &self.stage_kinds {
            Some(per_stage) if !per_stage[i].is_empty() => &per_stage[i],
            _ => &self.kinds,
        }
    }

    /// Dig radius at this template's difficulty, to a tenth of a metre.
    pub fn effective_dig_radius(&self) -> f64 {
        const FACTOR: [f64; 5] = [1.5, 1.25, 1.0, 0.8, 0.6];
        let r = self.dig_radius * FACTOR[usize::from(self.difficulty.clamp(1, 5) - 1)];
        libm::round(r * 10.0) / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(json: &str) -> String {
        Template::from_json(json).unwrap_err().to_string()
    }

    #[test]
    fn a_minimal_template_gets_defaults() {
        let t = Template::from_json(r#"{"id":"t","stages":3}"#).unwrap();
        assert_eq!(t.search_radius, 2000.0);
        assert_eq!(t.effective_dig_radius(), 15.0);
    }

    #[test]
    fn errors_name_the_path_and_the_reason() {
        assert_eq!(err(r#"{"id":"t","stages":0}"#), "stages: 0 is not in 1..=50");
        assert_eq!(err(r#"{"id":"t","stages":10000}"#), "stages: 10000 is not in 1..=50");
        assert_eq!(err(r#"{"id":"t","stages":2,"leg":{"min":10,"max":-5}}"#), "leg.max: -5.0 is not in 1..=4000");
        assert_eq!(err(r#"{"id":"t","stages":2,"search_radius":1e308}"#), "search_radius: 1e308 is not in 1..=20000");
        assert!(err(r#"{"id":"t","stages":2,"leg":{"min":10,"max":"far"}}"#).starts_with("leg.max: invalid type"));
        assert!(err(r#"{"id":"t","stages":2,"colour":1}"#).starts_with("colour: unknown field"));
        assert!(
            err(r#"{"id":"t","stages":2,"stage_kinds":[["well"],[""]]}"#).starts_with("stage_kinds[1][0]: is empty")
        );
        let eof = err(r#"{"id":"t","stages":"#);
        assert!(eof.starts_with("stages: EOF while parsing"), "{eof}");
        assert_eq!(
            err(r#"{"id":"t","stages":50,"search_radius":100,"spacing":100,"leg":{"min":0,"max":200}}"#),
            "spacing: 50 stages cannot be 100 m apart within 100 m of the start"
        );
        assert_eq!(
            err(r#"{"id":"t","stages":2,"rewards":{"items":["a","b"]}}"#),
            "rewards.items[1]: must be null: the last stage holds the treasure"
        );
    }
}
