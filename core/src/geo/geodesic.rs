//! Geodesics on the WGS84 ellipsoid: distance, initial bearing and destination.
//!
//! Vincenty's formulae (1975), written here on `libm` because the determinism contract forbids
//! `std` trigonometry in outputs (a geodesy crate would call it). Vincenty is exact to about half a
//! millimetre wherever its inverse iteration converges, which is everywhere except pairs within a
//! few tenths of a degree of being antipodal; there [`inverse`] falls back to a great circle of the
//! mean of the semi-axes, within 0.17% of the true distance (the geodesic between antipodes lies
//! between `pi * b` and `pi * a`). `tests/geodesy/` checks both against GeographicLib.

use super::LonLat;

/// WGS84 semi-major axis, metres.
pub const A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis, metres.
pub const B: f64 = A * (1.0 - F);

/// Smallest radius of curvature anywhere on the ellipsoid (meridional, at the equator: `b^2 / a`).
pub const MIN_CURVATURE_RADIUS: f64 = B * B / A;
/// Largest radius of curvature anywhere on the ellipsoid (at the poles: `a^2 / b`).
pub const MAX_CURVATURE_RADIUS: f64 = A * A / B;

const MAX_ITERATIONS: u32 = 100;

/// The least and greatest radii of curvature along any geodesic of at most `reach` metres from a
/// point at latitude `lat`: such a geodesic stays within `reach / MIN_CURVATURE_RADIUS` radians of
/// latitude, where the meridional radius is least nearest the equator and the prime vertical's is
/// greatest nearest a pole. Tighter than the ellipsoid's own extremes (a third of their spread at
/// 45 degrees), so that [`super::chord_bound`]s decide more sites without a geodesic.
pub fn radii_within(lat: f64, reach: f64) -> (f64, f64) {
    let e2 = F * (2.0 - F);
    let band = reach / MIN_CURVATURE_RADIUS;
    let phi = lat.abs().to_radians();
    let (near, far) = ((phi - band).max(0.0), (phi + band).min(core::f64::consts::FRAC_PI_2));
    let w2 = |p: f64| {
        let s = libm::sin(p);
        1.0 - e2 * s * s
    };
    let meridional = A * (1.0 - e2) / (w2(near) * w2(near).sqrt());
    let prime_vertical = A / w2(far).sqrt();
    // A hair of margin against rounding; never beyond the ellipsoid's own extremes.
    ((meridional * (1.0 - 1e-12)).max(MIN_CURVATURE_RADIUS), (prime_vertical * (1.0 + 1e-12)).min(MAX_CURVATURE_RADIUS))
}

/// Distance in metres and initial bearing in degrees (clockwise from true north, in [0, 360))
/// along the geodesic from `from` to `to`. The bearing of two equal points is 0.
pub fn inverse(from: LonLat, to: LonLat) -> (f64, f64) {
    From::new(from).inverse(to)
}

/// A start point with what every geodesic from it shares worked out once: for measuring from one
/// place to many. [`inverse`] is `From::new(from).inverse(to)`, the same arithmetic.
#[derive(Debug, Clone, Copy)]
pub struct From {
    at: LonLat,
    su1: f64,
    cu1: f64,
}

impl From {
    pub fn new(at: LonLat) -> From {
        let (su1, cu1) = reduced(at.lat);
        From { at, su1, cu1 }
    }

    /// Distance in metres along the geodesic to `to`.
    pub fn distance(&self, to: LonLat) -> f64 {
        self.inverse(to).0
    }

    /// As [`inverse`].
    pub fn inverse(&self, to: LonLat) -> (f64, f64) {
        let (from, su1, cu1) = (self.at, self.su1, self.cu1);
        vincenty(from, su1, cu1, to)
    }
}

fn vincenty(from: LonLat, su1: f64, cu1: f64, to: LonLat) -> (f64, f64) {
    let l = lon_delta(from.lon, to.lon).to_radians();
    let (su2, cu2) = reduced(to.lat);
    let mut lambda = l;
    for _ in 0..MAX_ITERATIONS {
        let (sl, cl) = (libm::sin(lambda), libm::cos(lambda));
        let (p, q) = (cu2 * sl, cu1 * su2 - su1 * cu2 * cl);
        let sin_s = (p * p + q * q).sqrt();
        if sin_s == 0.0 {
            return (0.0, 0.0); // the same point, or both at one pole
        }
        let cos_s = su1 * su2 + cu1 * cu2 * cl;
        let sigma = libm::atan2(sin_s, cos_s);
        let sin_a = cu1 * cu2 * sl / sin_s;
        let cos2_a = 1.0 - sin_a * sin_a;
        let cos_2sm = if cos2_a == 0.0 { 0.0 } else { cos_s - 2.0 * su1 * su2 / cos2_a };
        let c = F / 16.0 * cos2_a * (4.0 + F * (4.0 - 3.0 * cos2_a));
        let next =
            l + (1.0 - c) * F * sin_a * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        if (next - lambda).abs() <= 1e-12 {
            let (big_a, big_b) = series(cos2_a);
            let ds = big_b
                * sin_s
                * (cos_2sm
                    + big_b / 4.0
                        * (cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - big_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_s * sin_s) * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            let (sl, cl) = (libm::sin(next), libm::cos(next));
            let bearing = libm::atan2(cu2 * sl, cu1 * su2 - su1 * cu2 * cl);
            return (B * big_a * (sigma - ds), compass(bearing.to_degrees()));
        }
        lambda = next;
    }
    near_antipodal(from, to)
}

/// Geodesic distance in metres (see [`inverse`]).
pub fn distance(from: LonLat, to: LonLat) -> f64 {
    inverse(from, to).0
}

/// The point `distance` metres from `from` along the geodesic leaving it at `bearing` degrees
/// (clockwise from true north). Longitude in [-180, 180).
pub fn destination(from: LonLat, bearing: f64, distance: f64) -> LonLat {
    let alpha1 = bearing.to_radians();
    let (sa1, ca1) = (libm::sin(alpha1), libm::cos(alpha1));
    let (su1, cu1) = reduced(from.lat);
    let sigma1 = libm::atan2(su1, cu1 * ca1);
    let sin_a = cu1 * sa1;
    let cos2_a = 1.0 - sin_a * sin_a;
    let (big_a, big_b) = series(cos2_a);
    let first = distance / (B * big_a);
    let mut sigma = first;
    let (mut sin_s, mut cos_s, mut cos_2sm) = (0.0, 1.0, 1.0);
    for _ in 0..MAX_ITERATIONS {
        cos_2sm = libm::cos(2.0 * sigma1 + sigma);
        sin_s = libm::sin(sigma);
        cos_s = libm::cos(sigma);
        let ds = big_b
            * sin_s
            * (cos_2sm
                + big_b / 4.0
                    * (cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                        - big_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_s * sin_s) * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
        let next = first + ds;
        let done = (next - sigma).abs() <= 1e-12;
        sigma = next;
        if done {
            sin_s = libm::sin(sigma);
            cos_s = libm::cos(sigma);
            cos_2sm = libm::cos(2.0 * sigma1 + sigma);
            break;
        }
    }
    let t = su1 * sin_s - cu1 * cos_s * ca1;
    let lat = libm::atan2(su1 * cos_s + cu1 * sin_s * ca1, (1.0 - F) * (sin_a * sin_a + t * t).sqrt());
    let lambda = libm::atan2(sin_s * sa1, cu1 * cos_s - su1 * sin_s * ca1);
    let c = F / 16.0 * cos2_a * (4.0 + F * (4.0 - 3.0 * cos2_a));
    let l =
        lambda - (1.0 - c) * F * sin_a * (sigma + c * sin_s * (cos_2sm + c * cos_s * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
    LonLat { lon: wrap_lon(from.lon + l.to_degrees()), lat: lat.to_degrees() }
}

/// `to - from` in degrees, wrapped into [-180, 180].
pub fn lon_delta(from: f64, to: f64) -> f64 {
    let d = to - from;
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

/// A longitude wrapped into [-180, 180).
pub fn wrap_lon(lon: f64) -> f64 {
    let w = libm::fmod(lon + 180.0, 360.0);
    (if w < 0.0 { w + 360.0 } else { w }) - 180.0
}

/// Sine and cosine of the reduced latitude of `lat` degrees, from `tan U = (1 - f) tan lat` without
/// the tangent (which is infinite at the poles).
fn reduced(lat: f64) -> (f64, f64) {
    let phi = lat.to_radians();
    let (s, c) = ((1.0 - F) * libm::sin(phi), libm::cos(phi));
    let n = (s * s + c * c).sqrt();
    (s / n, c / n)
}

/// Vincenty's A and B series in `u^2 = cos^2(alpha) (a^2 - b^2) / b^2`.
fn series(cos2_a: f64) -> (f64, f64) {
    let u2 = cos2_a * (A * A - B * B) / (B * B);
    let a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
    let b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
    (a, b)
}

/// Where the inverse does not converge (nearly antipodal pairs): the great-circle angle between the
/// reduced-latitude points on a sphere of radius `(a + b) / 2`. The bearing is the great circle's.
fn near_antipodal(from: LonLat, to: LonLat) -> (f64, f64) {
    let (su1, cu1) = reduced(from.lat);
    let (su2, cu2) = reduced(to.lat);
    let l = lon_delta(from.lon, to.lon).to_radians();
    let (sl, cl) = (libm::sin(l), libm::cos(l));
    let (p, q) = (cu2 * sl, cu1 * su2 - su1 * cu2 * cl);
    let sigma = libm::atan2((p * p + q * q).sqrt(), su1 * su2 + cu1 * cu2 * cl);
    (sigma * (A + B) / 2.0, compass(libm::atan2(p, q).to_degrees()))
}

/// Degrees in (-180, 180] as a compass bearing in [0, 360).
fn compass(deg: f64) -> f64 {
    if deg < 0.0 {
        deg + 360.0
    } else if deg >= 360.0 {
        deg - 360.0
    } else {
        deg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat { lon, lat }
    }

    #[test]
    fn a_quarter_meridian_is_known() {
        // Equator to pole along a meridian: 10,001,965.729 m on WGS84.
        let (d, b) = inverse(ll(10.0, 0.0), ll(10.0, 90.0));
        assert!((d - 10_001_965.729).abs() < 0.01, "{d}");
        assert_eq!(b, 0.0);
    }

    #[test]
    fn crossing_the_antimeridian_is_short() {
        let (d, b) = inverse(ll(179.99, 0.0), ll(-179.99, 0.0));
        assert!((d - 2_226.39).abs() < 0.01, "{d}");
        assert!((b - 90.0).abs() < 1e-9, "{b}");
    }

    #[test]
    fn destination_undoes_inverse() {
        let from = ll(-21.94, 64.15);
        let to = destination(from, 123.0, 2_600.0);
        let (d, b) = inverse(from, to);
        assert!((d - 2_600.0).abs() < 1e-6 && (b - 123.0).abs() < 1e-9, "{d} {b}");
    }

    #[test]
    fn wrapping_longitudes() {
        assert_eq!(wrap_lon(180.0), -180.0);
        assert_eq!(wrap_lon(-190.0), 170.0);
        assert_eq!(lon_delta(170.0, -170.0), 20.0);
        assert_eq!(lon_delta(-170.0, 170.0), -20.0);
    }
}
