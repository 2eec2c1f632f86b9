//! Clues: structured data saying where a stage is, and the text made from it.
//!
//! Text is rendered from a [`ClueText`] table, which is data (`core/data/clues.en.json` by default),
//! so a game can translate clues without touching generation: [`Clue::render`] with its own table.

use crate::geom::Wind;
use crate::position::Position;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
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

/// A named site a clue measures from. JSON: `{"id", "name", "x", "y"}`, or `"lon", "lat"` on
/// Earth worlds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "LandmarkJson")]
pub struct Landmark {
    pub id: String,
    pub name: String,
    pub pos: Position,
}

impl Serialize for Landmark {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Landmark", 4)?;
        s.serialize_field("id", &self.id)?;
        s.serialize_field("name", &self.name)?;
        self.pos.serialize_fields(&mut s)?;
        s.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LandmarkJson {
    id: String,
    name: String,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
}

impl TryFrom<LandmarkJson> for Landmark {
    type Error = String;

    fn try_from(l: LandmarkJson) -> Result<Landmark, String> {
        Ok(Landmark { id: l.id, name: l.name, pos: Position::from_fields(l.x, l.y, l.lon, l.lat)? })
    }
}

/// Where a clue points from. JSON: an object whose `style` is `coordinates` (with the site's
/// `x`, `y` or `lon`, `lat`), `landmark` or `previous`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "PointerJson")]
pub enum Pointer {
    /// The site's own position (planar metres, or degrees on Earth).
    Coordinates {
        at: Position,
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

impl Serialize for Pointer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Pointer", 4)?;
        match self {
            Pointer::Coordinates { at } => {
                s.serialize_field("style", "coordinates")?;
                at.serialize_fields(&mut s)?;
            }
            Pointer::Landmark { landmark, bearing, paces } => {
                s.serialize_field("style", "landmark")?;
                s.serialize_field("landmark", landmark)?;
                s.serialize_field("bearing", bearing)?;
                s.serialize_field("paces", paces)?;
            }
            Pointer::Previous { from, bearing, paces } => {
                s.serialize_field("style", "previous")?;
                s.serialize_field("from", from)?;
                s.serialize_field("bearing", bearing)?;
                s.serialize_field("paces", paces)?;
            }
        }
        s.end()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum PointerStyle {
    Coordinates,
    Landmark,
    Previous,
}

/// Every field any pointer has, read flat (as events are).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointerJson {
    style: PointerStyle,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    landmark: Option<Landmark>,
    #[serde(default)]
    from: Option<u32>,
    #[serde(default)]
    bearing: Option<Wind>,
    #[serde(default)]
    paces: Option<Band>,
}

impl TryFrom<PointerJson> for Pointer {
    type Error = String;

    fn try_from(p: PointerJson) -> Result<Pointer, String> {
        let coords = p.x.is_some() || p.y.is_some() || p.lon.is_some() || p.lat.is_some();
        let pointed = p.bearing.is_some() || p.paces.is_some();
        let (pointer, stray) = match p.style {
            PointerStyle::Coordinates => (
                Pointer::Coordinates { at: Position::from_fields(p.x, p.y, p.lon, p.lat)? },
                p.landmark.is_some() || p.from.is_some() || pointed,
            ),
            PointerStyle::Landmark => (
                Pointer::Landmark {
                    landmark: p.landmark.ok_or("missing field `landmark`")?,
                    bearing: p.bearing.ok_or("missing field `bearing`")?,
                    paces: p.paces.ok_or("missing field `paces`")?,
                },
                coords || p.from.is_some(),
            ),
            PointerStyle::Previous => (
                Pointer::Previous {
                    from: p.from.ok_or("missing field `from`")?,
                    bearing: p.bearing.ok_or("missing field `bearing`")?,
                    paces: p.paces.ok_or("missing field `paces`")?,
                },
                coords || p.landmark.is_some(),
            ),
        };
        if stray {
            return Err("a pointer has only the fields of its style".into());
        }
        Ok(pointer)
    }
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
    /// Coordinates on Earth worlds: `{lat}` and `{lon}` are degrees and minutes with a
    /// hemisphere, as `64°08.930′N` and `21°56.420′W`.
    #[serde(default = "earth_coordinates")]
    pub earth_coordinates: String,
    /// The hemisphere letters, in the order north, south, east, west.
    #[serde(default = "hemispheres")]
    pub hemispheres: [String; 4],
}

fn earth_coordinates() -> String {
    "Dig at {lat} {lon}.".into()
}

fn hemispheres() -> [String; 4] {
    ["N", "S", "E", "W"].map(String::from)
}

/// Degrees and minutes to a thousandth of a minute (under 2 metres), with the hemisphere letter
/// `positive` or `negative`: `64°08.930′N`. Integer arithmetic after one rounding, so a minute
/// never reads 60.
pub fn degrees_minutes(v: f64, positive: &str, negative: &str) -> String {
    let thousandths = libm::round(v.abs() * 60_000.0) as u64;
    let (deg, rest) = (thousandths / 60_000, thousandths % 60_000);
    let hemisphere = if v < 0.0 && thousandths > 0 { negative } else { positive };
    format!("{deg}°{:02}.{:03}′{hemisphere}", rest / 1000, rest % 1000)
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
            Pointer::Coordinates { at: Position::Plane(p) } => {
                let (x, y) = (format!("{}", libm::round(p.x) as i64), format!("{}", libm::round(p.y) as i64));
                fill(&table.coordinates, &[("x", &x), ("y", &y)])
            }
            Pointer::Coordinates { at: Position::Earth(p) } => {
                let [n, s, e, w] = &table.hemispheres;
                let (lat, lon) = (degrees_minutes(p.lat, n, s), degrees_minutes(p.lon, e, w));
                fill(&table.earth_coordinates, &[("lat", &lat), ("lon", &lon)])
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

/// The pointer from `from` to `to` at a difficulty: the initial bearing (from true north on Earth)
/// and the distance in metres, along a straight line or a geodesic.
pub fn bearing_and_band(from: Position, to: Position, difficulty: u8) -> (Wind, Band) {
    let (distance, bearing) = from.distance_and_bearing(to);
    (Wind::from_bearing(bearing), Band::for_distance(distance, difficulty))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LonLat;
    use crate::geom::Point;

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
                landmark: Landmark { id: "w".into(), name: "the Old Well".into(), pos: Point::new(0.0, 0.0).into() },
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
        let clue = Clue::new(Pointer::Coordinates { at: Point::new(10.4, -3.6).into() }, None);
        assert_eq!(clue.text, "Dig at 10 east, -4 north.");
        let clue = Clue::new(Pointer::Coordinates { at: LonLat::new(-21.940_333, 64.148_833).into() }, None);
        assert_eq!(clue.text, "Dig at 64°08.930′N 21°56.420′W.");
    }

    #[test]
    fn degrees_and_minutes_round_without_reading_sixty() {
        assert_eq!(degrees_minutes(0.0, "N", "S"), "0°00.000′N");
        assert_eq!(degrees_minutes(-0.000_001, "N", "S"), "0°00.000′N");
        assert_eq!(degrees_minutes(-33.999_999_9, "N", "S"), "34°00.000′S");
        assert_eq!(degrees_minutes(179.999_999, "E", "W"), "180°00.000′E");
        assert_eq!(degrees_minutes(-90.0, "N", "S"), "90°00.000′S");
    }

    #[test]
    fn pointers_read_back_as_written() {
        let pointers = [
            Pointer::Coordinates { at: Point::new(1.0, 2.0).into() },
            Pointer::Coordinates { at: LonLat::new(139.7, 35.6).into() },
            Pointer::Landmark {
                landmark: Landmark { id: "w".into(), name: "W".into(), pos: LonLat::new(1.0, 2.0).into() },
                bearing: Wind::E,
                paces: Band { min: 10, max: 10 },
            },
            Pointer::Previous { from: 2, bearing: Wind::NW, paces: Band { min: 100, max: 200 } },
        ];
        for p in pointers {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(serde_json::from_str::<Pointer>(&json).unwrap(), p, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&Pointer::Coordinates { at: Point::new(1.0, 2.0).into() }).unwrap(),
            r#"{"style":"coordinates","x":1.0,"y":2.0}"#
        );
        let stray = r#"{"style":"previous","from":1,"bearing":"N","paces":{"min":1,"max":1},"x":1}"#;
        assert!(serde_json::from_str::<Pointer>(stray).is_err());
    }
}
