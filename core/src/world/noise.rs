//! Gradient noise, written here so that terrain never moves when a dependency updates.
//!
//! Classic 2D Perlin noise over a hashed integer lattice: each lattice point picks one of eight
//! fixed unit gradients by [`crate::hash`], and the quintic fade blends the four corner dot
//! products. Only `+ - * floor` are used, so every target computes the same bits.

use crate::hash::{mix, mix2};

const D: f64 = core::f64::consts::FRAC_1_SQRT_2;
const GRADIENTS: [(f64, f64); 8] =
    [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0), (D, D), (-D, D), (D, -D), (-D, -D)];

#[inline]
fn gradient(seed: u64, ix: i64, iy: i64) -> (f64, f64) {
    GRADIENTS[(mix2(seed ^ ix as u64, iy as u64) >> 61) as usize]
}

#[inline]
fn fade(t: f64) -> f64 {
    t * t * t * (t * (t * 6.0 - 15.0) + 10.0)
}

/// Perlin noise at `(x, y)` in lattice units, roughly in [-1, 1].
pub fn perlin(seed: u64, x: f64, y: f64) -> f64 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (ix, iy) = (x0 as i64, y0 as i64);
    let dot = |cx: i64, cy: i64, dx: f64, dy: f64| {
        let (gx, gy) = gradient(seed, ix + cx, iy + cy);
        gx * dx + gy * dy
    };
    let n00 = dot(0, 0, fx, fy);
    let n10 = dot(1, 0, fx - 1.0, fy);
    let n01 = dot(0, 1, fx, fy - 1.0);
    let n11 = dot(1, 1, fx - 1.0, fy - 1.0);
    let (u, v) = (fade(fx), fade(fy));
    let nx0 = n00 + u * (n10 - n00);
    let nx1 = n01 + u * (n11 - n01);
    // The 2D Perlin range is +-sqrt(1/2); scale it to about +-1.
    (nx0 + v * (nx1 - nx0)) * core::f64::consts::SQRT_2
}

/// Fractal sum of `octaves` Perlin layers, each twice the frequency and half the amplitude of the
/// last, normalised back to about [-1, 1].
pub fn fbm(seed: u64, x: f64, y: f64, octaves: u32) -> f64 {
    let (mut sum, mut amp, mut freq, mut norm) = (0.0, 1.0, 1.0, 0.0);
    for o in 0..octaves {
        sum += amp * perlin(mix(seed.wrapping_add(u64::from(o))), x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_zero_on_the_lattice_and_bounded() {
        assert_eq!(perlin(7, 3.0, -2.0), 0.0);
        for i in 0..2000 {
            let v = fbm(42, i as f64 * 0.137, i as f64 * -0.071, 5);
            assert!((-1.0..=1.0).contains(&v), "{v}");
        }
    }

    #[test]
    fn noise_is_continuous_and_seeded() {
        let a = perlin(1, 10.5, 10.5);
        let b = perlin(1, 10.5 + 1e-6, 10.5);
        assert!((a - b).abs() < 1e-4);
        assert_ne!(perlin(1, 0.3, 0.7), perlin(2, 0.3, 0.7));
    }
}
