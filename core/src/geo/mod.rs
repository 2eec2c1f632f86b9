//! The Earth: positions in degrees on the WGS84 ellipsoid, geodesics between them, and an index of
//! sites over the whole planet with no seams.
//!
//! Planar worlds measure with [`crate::geom`]; Earth worlds measure with [`geodesic`]. Both are
//! written for the determinism contract: `+ - * / sqrt` and `libm`, nothing from `std`'s
//! trigonometry.

pub mod geodesic;
pub mod index;

pub use index::{EarthIndex, EarthIndexBuilder};

use serde::{Deserialize, Serialize};

/// A position on Earth in degrees: `lon` east of Greenwich in [-180, 180], `lat` north of the
/// equator in [-90, 90] (GeoJSON's order, lon first).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

impl LonLat {
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// Why this position is unusable, if it is. Coordinates out of range are refused, not wrapped:
    /// a latitude of 139 is far more often a swapped pair than a position, and wrapping would hide it.
    pub fn check(self) -> Result<(), String> {
        if !(self.lon.is_finite() && self.lat.is_finite()) {
            return Err(format!("position ({:?}, {:?}) is not finite", self.lon, self.lat));
        }
        if self.lat.abs() > 90.0 {
            return Err(format!("lat {:?} is not in -90..=90 (lon, lat in that order?)", self.lat));
        }
        if self.lon.abs() > 180.0 {
            return Err(format!("lon {:?} is not in -180..=180", self.lon));
        }
        Ok(())
    }

    /// Geodesic distance in metres (see [`geodesic::inverse`]).
    pub fn distance(self, to: LonLat) -> f64 {
        geodesic::distance(self, to)
    }

    /// Initial bearing of the geodesic to `to`, degrees clockwise from true north, in [0, 360).
    pub fn bearing_to(self, to: LonLat) -> f64 {
        geodesic::inverse(self, to).1
    }

    /// The unit normal of the ellipsoid at this position (x towards lon 0 on the equator, z north).
    /// Angles between normals bound geodesic distances (see [`chord_bound`]), which is what lets
    /// one 3D tree index the whole planet without seams at the antimeridian or the poles.
    pub fn normal(self) -> [f64; 3] {
        let (phi, lambda) = (self.lat.to_radians(), self.lon.to_radians());
        let c = libm::cos(phi);
        [c * libm::cos(lambda), c * libm::sin(lambda), libm::sin(phi)]
    }
}

/// The chord between unit normals that a geodesic of `distance` metres can span, at most
/// (`radius` = [`geodesic::MIN_CURVATURE_RADIUS`]) or surely (`radius` =
/// [`geodesic::MAX_CURVATURE_RADIUS`]): along a geodesic the normal turns by `ds / R` with `R`
/// between the ellipsoid's least and greatest radii of curvature, so the angle between the end
/// normals lies in `[d / R_max, d / R_min]`. Saturates at 2 (antipodal normals).
pub fn chord_bound(distance: f64, radius: f64) -> f64 {
    let half = distance / (2.0 * radius);
    if half >= core::f64::consts::FRAC_PI_2 {
        2.0
    } else {
        2.0 * libm::sin(half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_positions_are_refused_with_the_likely_cause() {
        assert!(LonLat::new(180.0, -90.0).check().is_ok());
        assert_eq!(
            LonLat::new(35.6, 139.7).check().unwrap_err(),
            "lat 139.7 is not in -90..=90 (lon, lat in that order?)"
        );
        assert_eq!(LonLat::new(-180.5, 0.0).check().unwrap_err(), "lon -180.5 is not in -180..=180");
        assert!(LonLat::new(f64::NAN, 0.0).check().unwrap_err().contains("not finite"));
        assert!(LonLat::new(0.0, f64::INFINITY).check().unwrap_err().contains("not finite"));
    }

    #[test]
    fn normals_are_unit_and_seamless() {
        for p in [LonLat::new(180.0, 10.0), LonLat::new(-180.0, 10.0), LonLat::new(33.0, 90.0)] {
            let n = p.normal();
            assert!(((n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) - 1.0).abs() < 1e-15);
        }
        let (e, w) = (LonLat::new(180.0, 10.0).normal(), LonLat::new(-180.0, 10.0).normal());
        assert!(e.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-15));
    }
}
