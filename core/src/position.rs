//! Where things are, on any kind of world: a point on a planar world's plane, or a place on the
//! Earth. Hunts, sessions and rules hold positions of either kind and measure between them through
//! this one type, always in metres: straight lines on a plane ([`crate::geom`]), geodesics on the
//! WGS84 ellipsoid ([`crate::geo::geodesic`]).
//!
//! In JSON a position is `{"x": .., "y": ..}` (metres) or `{"lon": .., "lat": ..}` (degrees), and
//! structs that hold one (sites, events, states) carry those two fields inline, where planar
//! worlds have always had `x` and `y`: a planar hunt or log is byte for byte what it was before
//! Earth worlds existed.

use crate::geo::LonLat;
use crate::geom::{Point, MAX_COORD};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// A position on a planar world or on the Earth.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "Fields")]
pub enum Position {
    /// Metres on a planar world: `x` east, `y` north.
    Plane(Point),
    /// Degrees on the WGS84 ellipsoid.
    Earth(LonLat),
}

/// The two kinds of world geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Space {
    Plane,
    Earth,
}

impl Space {
    /// How a position of this space is written, for error messages.
    pub fn fields(self) -> &'static str {
        match self {
            Space::Plane => "x and y (metres)",
            Space::Earth => "lon and lat (degrees)",
        }
    }
}

impl From<Point> for Position {
    fn from(p: Point) -> Self {
        Position::Plane(p)
    }
}

impl From<LonLat> for Position {
    fn from(p: LonLat) -> Self {
        Position::Earth(p)
    }
}

impl Position {
    pub fn space(self) -> Space {
        match self {
            Position::Plane(_) => Space::Plane,
            Position::Earth(_) => Space::Earth,
        }
    }

    /// Metres between two positions of the same space; infinite between spaces (nothing is near
    /// anything on another kind of world).
    pub fn distance(self, to: Position) -> f64 {
        match (self, to) {
            (Position::Plane(a), Position::Plane(b)) => a.distance(b),
            (Position::Earth(a), Position::Earth(b)) => a.distance(b),
            _ => f64::INFINITY,
        }
    }

    /// Compass bearing to `to`, degrees clockwise from (true) north in [0, 360); NaN between spaces.
    pub fn bearing_to(self, to: Position) -> f64 {
        match (self, to) {
            (Position::Plane(a), Position::Plane(b)) => a.bearing_to(b),
            (Position::Earth(a), Position::Earth(b)) => a.bearing_to(b),
            _ => f64::NAN,
        }
    }

    /// [`Position::distance`] and [`Position::bearing_to`] together: on the Earth, one geodesic
    /// solved once.
    pub fn distance_and_bearing(self, to: Position) -> (f64, f64) {
        match (self, to) {
            (Position::Earth(a), Position::Earth(b)) => crate::geo::geodesic::inverse(a, b),
            _ => (self.distance(to), self.bearing_to(to)),
        }
    }

    /// Why this position is unusable, if it is: a planar one must be finite and within
    /// [`MAX_COORD`] metres of the origin, an Earth one within -180..=180 and -90..=90 degrees.
    pub fn check(self) -> Result<(), String> {
        match self {
            Position::Plane(p) if p.is_valid() => Ok(()),
            Position::Plane(p) => {
                Err(format!("position ({:?}, {:?}) is not finite or lies beyond {MAX_COORD} m", p.x, p.y))
            }
            Position::Earth(p) => p.check(),
        }
    }

    /// Whether [`Position::check`] passes and the position is in `space`.
    pub fn check_in(self, space: Space) -> Result<(), String> {
        if self.space() != space {
            return Err(format!(
                "is a position with {}, but this world's positions have {}",
                self.space().fields(),
                space.fields()
            ));
        }
        self.check()
    }

    pub fn as_point(self) -> Option<Point> {
        match self {
            Position::Plane(p) => Some(p),
            Position::Earth(_) => None,
        }
    }

    pub fn as_lonlat(self) -> Option<LonLat> {
        match self {
            Position::Earth(p) => Some(p),
            Position::Plane(_) => None,
        }
    }

    /// The position `distance` metres from here at `bearing` degrees: along a straight line on a
    /// plane, along the geodesic on Earth.
    pub fn towards(self, bearing: f64, distance: f64) -> Position {
        match self {
            Position::Plane(p) => {
                let b = bearing.to_radians();
                Position::Plane(Point::new(p.x + distance * libm::sin(b), p.y + distance * libm::cos(b)))
            }
            Position::Earth(p) => Position::Earth(crate::geo::geodesic::destination(p, bearing, distance)),
        }
    }

    /// Writes this position's two fields (`x`, `y` or `lon`, `lat`) into a struct being serialised.
    pub(crate) fn serialize_fields<S: SerializeStruct>(self, s: &mut S) -> Result<(), S::Error> {
        match self {
            Position::Plane(p) => {
                s.serialize_field("x", &p.x)?;
                s.serialize_field("y", &p.y)
            }
            Position::Earth(p) => {
                s.serialize_field("lon", &p.lon)?;
                s.serialize_field("lat", &p.lat)
            }
        }
    }

    /// The position given by a flat object's coordinate fields: `x` and `y`, or `lon` and `lat`.
    pub(crate) fn from_fields(
        x: Option<f64>,
        y: Option<f64>,
        lon: Option<f64>,
        lat: Option<f64>,
    ) -> Result<Position, String> {
        match (x, y, lon, lat) {
            (Some(x), Some(y), None, None) => Ok(Position::Plane(Point::new(x, y))),
            (None, None, Some(lon), Some(lat)) => Ok(Position::Earth(LonLat::new(lon, lat))),
            (None, None, None, None) => Err("missing field `x` (or `lon`)".into()),
            (Some(_), None, None, None) => Err("missing field `y`".into()),
            (None, Some(_), None, None) => Err("missing field `x`".into()),
            (None, None, Some(_), None) => Err("missing field `lat`".into()),
            (None, None, None, Some(_)) => Err("missing field `lon`".into()),
            _ => Err("a position is either `x` and `y` (metres) or `lon` and `lat` (degrees), not both".into()),
        }
    }
}

impl Serialize for Position {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Position", 2)?;
        self.serialize_fields(&mut s)?;
        s.end()
    }
}

/// A position as read: either pair of fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    lat: Option<f64>,
}

impl TryFrom<Fields> for Position {
    type Error = String;

    fn try_from(f: Fields) -> Result<Position, String> {
        Position::from_fields(f.x, f.y, f.lon, f.lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_fields_of_its_space() {
        let plane = Position::Plane(Point::new(1.5, -2.0));
        let earth = Position::Earth(LonLat::new(-21.94, 64.15));
        assert_eq!(serde_json::to_string(&plane).unwrap(), r#"{"x":1.5,"y":-2.0}"#);
        assert_eq!(serde_json::to_string(&earth).unwrap(), r#"{"lon":-21.94,"lat":64.15}"#);
        assert_eq!(serde_json::from_str::<Position>(r#"{"y":-2,"x":1.5}"#).unwrap(), plane);
        assert_eq!(serde_json::from_str::<Position>(r#"{"lat":64.15,"lon":-21.94}"#).unwrap(), earth);
        let err = |text: &str| serde_json::from_str::<Position>(text).unwrap_err().to_string();
        assert!(err(r#"{"x":1,"lat":2}"#).contains("either `x` and `y`"));
        assert!(err(r#"{"lon":1}"#).contains("missing field `lat`"));
        assert!(err(r#"{"x":1,"y":2,"z":3}"#).contains("unknown field `z`"));
    }

    #[test]
    fn distances_are_metres_in_each_space_and_infinite_between_them() {
        let (a, b) = (Position::Plane(Point::new(0.0, 0.0)), Position::Plane(Point::new(3.0, 4.0)));
        assert_eq!(a.distance(b), 5.0);
        let (c, d) = (Position::Earth(LonLat::new(179.99, 0.0)), Position::Earth(LonLat::new(-179.99, 0.0)));
        assert!((c.distance(d) - 2_226.39).abs() < 0.01);
        assert_eq!(a.distance(c), f64::INFINITY);
        assert!(a.bearing_to(c).is_nan());
        assert!(a.check_in(Space::Earth).unwrap_err().contains("lon and lat"));
    }

    #[test]
    fn towards_walks_a_bearing_in_either_space() {
        let p = Position::Plane(Point::new(0.0, 0.0)).towards(90.0, 10.0);
        assert!((p.distance(Position::Plane(Point::new(10.0, 0.0)))) < 1e-9);
        let from = Position::Earth(LonLat::new(179.999, 10.0));
        let to = from.towards(90.0, 500.0);
        assert!((from.distance(to) - 500.0).abs() < 1e-6 && to.as_lonlat().unwrap().lon < 0.0, "{to:?}");
    }
}
