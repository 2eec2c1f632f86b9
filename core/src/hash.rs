//! Stable hashing and seed derivation.
//!
//! Everything that shapes an output (noise lattices, sampling keys, names, seeds) goes through these
//! functions. They are written here rather than taken from a crate because the determinism contract
//! needs their output frozen: a dependency update must never move a hunt. SHA-256 (from `sha2`, a
//! fixed standard) is used only for fingerprints, where speed does not matter.

use sha2::{Digest, Sha256};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser: a bijective 64-bit mixer with full avalanche.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of two words, order-sensitive.
#[inline]
pub fn mix2(a: u64, b: u64) -> u64 {
    mix(mix(a ^ GOLDEN).wrapping_add(b))
}

/// Hash of a byte string under a seed: 8-byte little-endian words folded through [`mix`], with the
/// length mixed in so that trailing zero bytes matter.
pub fn hash_bytes(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(seed ^ GOLDEN ^ (bytes.len() as u64).wrapping_mul(GOLDEN));
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact yields 8 bytes"));
        h = mix(h ^ word).wrapping_add(GOLDEN);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // The same little-endian word as zero-padding into 8 bytes, without a memcpy call
        // (short ids are the hot path of hunt generation).
        let word = rest.iter().enumerate().fold(0u64, |w, (i, &b)| w | u64::from(b) << (8 * i));
        h = mix(h ^ word).wrapping_add(GOLDEN);
    }
    mix(h)
}

/// [`hash_bytes`] under two seeds at once: the same two hashes, their chains interleaved so that
/// the processor works on both together (the site digest hashes every site twice).
pub fn hash_bytes2(seeds: [u64; 2], bytes: &[u8]) -> [u64; 2] {
    let len = (bytes.len() as u64).wrapping_mul(GOLDEN);
    let (mut a, mut b) = (mix(seeds[0] ^ GOLDEN ^ len), mix(seeds[1] ^ GOLDEN ^ len));
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks_exact yields 8 bytes"));
        a = mix(a ^ word).wrapping_add(GOLDEN);
        b = mix(b ^ word).wrapping_add(GOLDEN);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let word = rest.iter().enumerate().fold(0u64, |w, (i, &x)| w | u64::from(x) << (8 * i));
        a = mix(a ^ word).wrapping_add(GOLDEN);
        b = mix(b ^ word).wrapping_add(GOLDEN);
    }
    [mix(a), mix(b)]
}

/// Hash of a string under a seed.
#[inline]
pub fn hash_str(seed: u64, s: &str) -> u64 {
    hash_bytes(seed, s.as_bytes())
}

/// A uniform number in (0, 1] from a hash: the top 53 bits, never zero (so `ln` is finite).
#[inline]
pub fn unit_open(h: u64) -> f64 {
    ((h >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform number in [0, 1) from a hash.
#[inline]
pub fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An index in `0..n` from a hash, by 128-bit multiply (no modulo bias worth mentioning, no `usize`).
#[inline]
pub fn below(h: u64, n: u32) -> u32 {
    ((u128::from(h) * u128::from(n)) >> 64) as u32
}

/// Picks an index from integer weights by a hash. `weights` must not all be zero.
pub fn pick_weighted(h: u64, weights: &[u32]) -> u32 {
    let total: u32 = weights.iter().sum();
    let mut r = below(h, total);
    for (i, &w) in weights.iter().enumerate() {
        if r < w {
            return i as u32;
        }
        r -= w;
    }
    weights.len() as u32 - 1
}

/// Lower-case hex SHA-256 of some bytes: the fingerprint of a canonical JSON document.
pub fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = [0u8; 64];
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    String::from_utf8(out.to_vec()).expect("hex is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hashes_at_once_are_the_two_hashes() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
            assert_eq!(hash_bytes2([3, 99], &bytes), [hash_bytes(3, &bytes), hash_bytes(99, &bytes)]);
        }
    }

    #[test]
    fn hashes_are_frozen() {
        // These values are part of the determinism contract: if they move, every hunt moves.
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x5692_161D_100B_05E5);
        assert_eq!(hash_str(0, ""), hash_bytes(0, b""));
        assert_ne!(hash_str(0, "a"), hash_str(0, "a\0"));
        assert_ne!(hash_str(1, "well"), hash_str(2, "well"));
    }

    #[test]
    fn unit_open_never_returns_zero_and_stays_in_range() {
        assert!(unit_open(0) > 0.0);
        assert!(unit_open(u64::MAX) <= 1.0);
        assert!(unit(u64::MAX) < 1.0);
    }

    #[test]
    fn below_covers_its_range() {
        assert_eq!(below(0, 10), 0);
        assert_eq!(below(u64::MAX, 10), 9);
        assert_eq!(pick_weighted(0, &[0, 3, 1]), 1);
        assert_eq!(pick_weighted(u64::MAX, &[0, 3, 1]), 2);
    }

    #[test]
    fn sha256_matches_the_standard() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
