//! Sites: the points of interest a hunt's stages and landmarks are chosen from.

use crate::geom::Point;
pub use crate::limits::MAX_TEXT_LEN;
use serde::{Deserialize, Serialize};

/// An owned site, as it appears in hunts and in imports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Stable across runs and targets: the sampling key of a site is derived from it.
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub kind: String,
    pub name: String,
    /// How attractive the site is as a stage; 0 never gets picked.
    pub weight: f64,
}

/// A borrowed view of a site, handed out by worlds and the indexes without copying. The position is
/// a planar [`Point`] in metres, or a [`crate::geo::LonLat`] on Earth worlds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteRef<'a, P = Point> {
    pub id: &'a str,
    pub pos: P,
    pub kind: &'a str,
    pub name: &'a str,
    pub weight: f64,
}

impl SiteRef<'_> {
    pub fn to_site(self) -> Site {
        Site {
            id: self.id.to_owned(),
            x: self.pos.x,
            y: self.pos.y,
            kind: self.kind.to_owned(),
            name: self.name.to_owned(),
            weight: self.weight,
        }
    }
}

impl Site {
    pub fn pos(&self) -> Point {
        Point::new(self.x, self.y)
    }

    pub fn as_ref(&self) -> SiteRef<'_> {
        SiteRef { id: &self.id, pos: self.pos(), kind: &self.kind, name: &self.name, weight: self.weight }
    }
}

/// Why a site's fields are unusable; the caller adds where the site came from.
pub fn check_site(id: &str, pos: Point, kind: &str, name: &str, weight: f64) -> Result<(), String> {
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
    if !pos.is_valid() {
        return Err(format!(
            "position ({:?}, {:?}) is not finite or lies beyond {} m",
            pos.x,
            pos.y,
            crate::geom::MAX_COORD
        ));
    }
    if !(weight.is_finite() && (0.0..=1.0e6).contains(&weight)) {
        return Err(format!("weight {weight:?} is not in 0..=1000000"));
    }
    Ok(())
}
