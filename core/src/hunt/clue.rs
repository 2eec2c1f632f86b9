//! Clues: structured data saying where a stage is, and the text made from it.
//!
//! Text is rendered from a [`ClueText`] table, which is data (`core/data/clues.en.json` by default),
//! so a game can translate clues without touching generation: [`Clue::render`] with its own table.

use crate::geom::{Point, Wind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Metres in one pace, the unit clue distances are given in.
pub const PACE: f64 = 0.75;

/// A range of paces; `min == max` reads as "about".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: u32,
    pub max: u32,
}

impl Band {
    /// The band a clue gives for a true distance at a difficulty: exact to 10 paces at 2, to 50 at 3,
    /// then ranges 100 and 250 paces wide that hold the true distance. (Difficulty 1 uses coordinates.)
    pub fn for_distance(metres: f64, difficulty: u8) -> Band {
        let paces = libm::round(metres / PACE) as u32;
        let about = |step: u32| {
            let n = ((paces + step / 2) / step * step).max(step);
            Band { min: n, max: n }
        };
        let range = |width: u32| {
            let lo = paces / width * width;
            Band { min: lo, max: lo + width }
        };
        match difficulty {
            0..=2 => about(10),
            3 => about(50),
            4 => range(100),
            _ => range(250),
        }
    }
}

/// A named site a clue measures from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Landmark {
    pub id: String,
    pub name: String,
    pub x: f64,
    pub y: f64,
}

/// Where a clue points from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pointer {
    Coordinates {
        x: f64,
        y: f64,
    },
    Landmark {
        landmark: Landmark,
        bearing: Wind,
        paces: Band,
    },
    /// `from` is the previous stage's number, 0 for the player's start.
    Previous {
        from: u32,
        bearing: Wind,
        paces: Band,
    },
}

/// A clue: the pointer, an optional hint at the site's kind, and the rendered text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clue {
    pub pointer: Pointer,
    pub kind: Option<String>,
    pub text: String,
}

/// The words clues are made of. Placeholders are `{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClueText {
    pub winds: [String; 16],
    pub coordinates: String,
    pub about: String,
    pub between: String,
    pub from_start: String,
    pub from_previous: String,
    pub kind_hint: String,
    pub kinds: BTreeMap<String, String>,
    pub kind_fallback: String,
}

impl ClueText {
    /// The English table shipped with the crate.
    pub fn english() -> &'static ClueText {
        static EN: std::sync::OnceLock<ClueText> = std::sync::OnceLock::new();
        EN.get_or_init(|| {
            serde_json::from_str(include_str!("../../data/clues.en.json")).expect("the shipped table parses")
        })
    }

    pub fn from_json(text: &str) -> Result<ClueText, serde_json::Error> {
        serde_json::from_str(text)
    }
}

fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

impl Clue {
    /// Builds a clue with its text from the English table.
    pub fn new(pointer: Pointer, kind: Option<String>) -> Clue {
        let mut clue = Clue { pointer, kind, text: String::new() };
        clue.text = clue.render(ClueText::english());
        clue
    }

    /// The clue's text in the words of `table`.
    pub fn render(&self, table: &ClueText) -> String {
        let mut text = match &self.pointer {
            Pointer::Coordinates { x, y } => {
                let (x, y) = (format!("{}", libm::round(*x) as i64), format!("{}", libm::round(*y) as i64));
                fill(&table.coordinates, &[("x", &x), ("y", &y)])
            }
            Pointer::Landmark { landmark, bearing, paces } => distance_text(table, &landmark.name, *bearing, *paces),
            Pointer::Previous { from, bearing, paces } => {
                let from = if *from == 0 { &table.from_start } else { &table.from_previous };
                distance_text(table, from, *bearing, *paces)
            }
        };
        if let Some(kind) = &self.kind {
            let phrase = table
                .kinds
                .get(kind)
                .cloned()
                .unwrap_or_else(|| fill(&table.kind_fallback, &[("kind", &kind.replace('_', " "))]));
            text.push(' ');
            text.push_str(&fill(&table.kind_hint, &[("kind", &phrase)]));
        }
        text
    }
}

fn distance_text(table: &ClueText, from: &str, bearing: Wind, paces: Band) -> String {
    let wind = &table.winds[bearing.index()];
    if paces.min == paces.max {
        fill(&table.about, &[("paces", &paces.min.to_string()), ("wind", wind), ("from", from)])
    } else {
        fill(
            &table.between,
            &[("min", &paces.min.to_string()), ("max", &paces.max.to_string()), ("wind", wind), ("from", from)],
        )
    }
}

/// The pointer from `from` to `to` at a difficulty.
pub fn bearing_and_band(from: Point, to: Point, difficulty: u8) -> (Wind, Band) {
    (Wind::from_bearing(from.bearing_to(to)), Band::for_distance(from.distance(to), difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_get_vaguer_with_difficulty_and_hold_the_distance() {
        assert_eq!(Band::for_distance(225.0, 2), Band { min: 300, max: 300 });
        assert_eq!(Band::for_distance(230.0, 3), Band { min: 300, max: 300 });
        assert_eq!(Band::for_distance(230.0, 4), Band { min: 300, max: 400 });
        assert_eq!(Band::for_distance(230.0, 5), Band { min: 250, max: 500 });
        assert_eq!(Band::for_distance(1.0, 2), Band { min: 10, max: 10 });
    }

    #[test]
    fn text_reads_like_a_treasure_map() {
        let clue = Clue::new(
            Pointer::Landmark {
                landmark: Landmark { id: "w".into(), name: "the Old Well".into(), x: 0.0, y: 0.0 },
                bearing: Wind::NNE,
                paces: Band { min: 300, max: 300 },
            },
            Some("cave".into()),
        );
        assert_eq!(clue.text, "About 300 paces north-north-east of the Old Well. Look for the mouth of a cave.");
        let clue = Clue::new(
            Pointer::Previous { from: 0, bearing: Wind::S, paces: Band { min: 100, max: 200 } },
            Some("fountain".into()),
        );
        assert_eq!(clue.text, "Between 100 and 200 paces south of where you stand. Look for a fountain.");
        let clue = Clue::new(Pointer::Coordinates { x: 10.4, y: -3.6 }, None);
        assert_eq!(clue.text, "Dig at 10 east, -4 north.");
    }
}
