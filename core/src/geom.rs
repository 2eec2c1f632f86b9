//! Points on the world plane and the few geometric facts hunts need.
//!
//! Only `+ - * / sqrt` (exact IEEE operations) and `libm` functions are used, so results are
//! bit-identical on every target.

pub use crate::limits::MAX_COORD;
use serde::{Deserialize, Serialize};

/// A position in metres: `x` east, `y` north.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }

    pub fn distance(self, other: Point) -> f64 {
        self.distance2(other).sqrt()
    }

    pub fn distance2(self, other: Point) -> f64 {
        let (dx, dy) = (other.x - self.x, other.y - self.y);
        dx * dx + dy * dy
    }

    /// True when both coordinates are finite and within [`MAX_COORD`].
    pub fn is_valid(self) -> bool {
        self.x.is_finite() && self.y.is_finite() && self.x.abs() <= MAX_COORD && self.y.abs() <= MAX_COORD
    }

    /// Compass bearing from `self` to `to` in degrees, clockwise from north, in [0, 360).
    pub fn bearing_to(self, to: Point) -> f64 {
        let deg = libm::atan2(to.x - self.x, to.y - self.y).to_degrees();
        if deg < 0.0 {
            deg + 360.0
        } else {
            deg
        }
    }
}

/// The 16 winds of the compass rose, clockwise from north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wind {
    N,
    NNE,
    NE,
    ENE,
    E,
    ESE,
    SE,
    SSE,
    S,
    SSW,
    SW,
    WSW,
    W,
    WNW,
    NW,
    NNW,
}

impl Wind {
    pub const ALL: [Wind; 16] = [
        Wind::N,
        Wind::NNE,
        Wind::NE,
        Wind::ENE,
        Wind::E,
        Wind::ESE,
        Wind::SE,
        Wind::SSE,
        Wind::S,
        Wind::SSW,
        Wind::SW,
        Wind::WSW,
        Wind::W,
        Wind::WNW,
        Wind::NW,
        Wind::NNW,
    ];

    /// The wind whose 22.5-degree sector holds `bearing` (degrees from north).
    pub fn from_bearing(bearing: f64) -> Wind {
        let sector = ((bearing + 11.25) / 22.5).floor() as i64;
        Wind::ALL[sector.rem_euclid(16) as usize]
    }

    /// Position on the rose, 0 for north: indexes the clue text table.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An axis-aligned rectangle in metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: Point,
    pub max: Point,
}

impl Bounds {
    pub fn around(center: Point, radius: f64) -> Self {
        Bounds {
            min: Point::new(center.x - radius, center.y - radius),
            max: Point::new(center.x + radius, center.y + radius),
        }
    }

    pub fn contains(&self, p: Point) -> bool {
        p.x >= self.min.x && p.x <= self.max.x && p.y >= self.min.y && p.y <= self.max.y
    }

    pub fn width(&self) -> f64 {
        self.max.x - self.min.x
    }

    pub fn height(&self) -> f64 {
        self.max.y - self.min.y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearings_follow_the_compass() {
        let o = Point::new(0.0, 0.0);
        assert_eq!(o.bearing_to(Point::new(0.0, 10.0)), 0.0);
        assert_eq!(o.bearing_to(Point::new(10.0, 0.0)), 90.0);
        assert_eq!(o.bearing_to(Point::new(0.0, -10.0)), 180.0);
        assert_eq!(o.bearing_to(Point::new(-10.0, 0.0)), 270.0);
    }

    #[test]
    fn winds_split_the_rose_in_sixteen() {
        assert_eq!(Wind::from_bearing(0.0), Wind::N);
        assert_eq!(Wind::from_bearing(11.24), Wind::N);
        assert_eq!(Wind::from_bearing(11.25), Wind::NNE);
        assert_eq!(Wind::from_bearing(45.0), Wind::NE);
        assert_eq!(Wind::from_bearing(359.0), Wind::N);
        assert_eq!(Wind::from_bearing(202.5), Wind::SSW);
    }
}
