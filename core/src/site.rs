//! Sites: the points of interest a hunt's stages and landmarks are chosen from.

use crate::geom::Point;
pub use crate::limits::MAX_TEXT_LEN;
use crate::position::Position;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// An owned site, as it appears in hunts and in imports.
///
/// JSON: `{"id", "x", "y", "kind", "name", "weight"}` on planar worlds, `{"id", "lon", "lat",
/// "kind", "name", "weight"}` on Earth worlds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "SiteJson")]
pub struct Site {
    /// Stable across runs and targets: the sampling key of a site is derived from it.
    pub id: String,
    pub pos: Position,
    pub kind: String,
    pub name: String,
    /// How attractive the site is as a stage; 0 never gets picked.
    pub weight: f64,
}

/// A borrowed view of a site, handed out by worlds and the indexes without copying. The position is
/// a planar [`Point`] in metres, a [`crate::geo::LonLat`] on Earth worlds, or a [`Position`] of
/// either kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteRef<'a, P = Point> {
    pub id: &'a str,
    pub pos: P,
    pub kind: &'a str,
    pub name: &'a str,
    pub weight: f64,
}

/// What a scan over many sites looks at first: their id, kind and weight, without their position
/// or name (see [`crate::world::Region::scan_ring`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteKey<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub weight: f64,
}

impl<'a, P: Into<Position>> SiteRef<'a, P> {
    /// The same site with its position as a [`Position`].
    pub fn positioned(self) -> SiteRef<'a, Position> {
        SiteRef { id: self.id, pos: self.pos.into(), kind: self.kind, name: self.name, weight: self.weight }
    }

    pub fn to_site(self) -> Site {
        Site {
            id: self.id.to_owned(),
            pos: self.pos.into(),
            kind: self.kind.to_owned(),
            name: self.name.to_owned(),
            weight: self.weight,
        }
    }
}

impl Site {
    pub fn as_ref(&self) -> SiteRef<'_, Position> {
        SiteRef { id: &self.id, pos: self.pos, kind: &self.kind, name: &self.name, weight: self.weight }
    }
}

impl Serialize for Site {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Site", 6)?;
        s.serialize_field("id", &self.id)?;
        self.pos.serialize_fields(&mut s)?;
        s.serialize_field("kind", &self.kind)?;
        s.serialize_field("name", &self.name)?;
        s.serialize_field("weight", &self.weight)?;
        s.end()
    }
}

/// A site as read: the position's fields of either kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteJson {
    id: String,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
    kind: String,
    name: String,
    weight: f64,
}

impl TryFrom<SiteJson> for Site {
    type Error = String;

    fn try_from(s: SiteJson) -> Result<Site, String> {
        let pos = Position::from_fields(s.x, s.y, s.lon, s.lat)?;
        Ok(Site { id: s.id, pos, kind: s.kind, name: s.name, weight: s.weight })
    }
}

/// Why a site's fields are unusable; the caller adds where the site came from.
pub fn check_site(id: &str, pos: Position, kind: &str, name: &str, weight: f64) -> Result<(), String> {
    if id.is_empty() {
        return Err("id is empty".into());
    }
    for (field, text) in [("id", id), ("kind", kind), ("name", name)] {
        if text.len() > MAX_TEXT_LEN {
            return Err(format!("{field} is longer than {MAX_TEXT_LEN} bytes"));
        }
    }
    if kind.is_empty() {
        return Err("kind is empty".into());
    }
    pos.check()?;
    if !(weight.is_finite() && (0.0..=1.0e6).contains(&weight)) {
        return Err(format!("weight {weight:?} is not in 0..=1000000"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LonLat;

    #[test]
    fn sites_read_back_as_written_in_either_space() {
        for pos in [Position::Plane(Point::new(1.0, -2.5)), Position::Earth(LonLat::new(139.7, 35.68))] {
            let site = Site { id: "a".into(), pos, kind: "well".into(), name: "Old Well".into(), weight: 1.0 };
            let json = serde_json::to_string(&site).unwrap();
            assert_eq!(serde_json::from_str::<Site>(&json).unwrap(), site, "{json}");
        }
        let planar = r#"{"id":"a","x":1.0,"y":-2.5,"kind":"well","name":"Old Well","weight":1.0}"#;
        let site: Site = serde_json::from_str(planar).unwrap();
        assert_eq!(serde_json::to_string(&site).unwrap(), planar, "planar sites keep their bytes");
    }
}
