#![allow(dead_code)]
//! Shared fixtures for the benchmarks: one million deterministic sites over a 100 km square.

use xmarks::hash::{mix, mix2, unit};
use xmarks::site::SiteRef;
use xmarks::{Point, SiteIndex, SiteIndexBuilder};

pub const SITES: u32 = 1_000_000;
pub const SIDE: f64 = 100_000.0;
pub const KINDS: [&str; 10] =
    ["well", "fountain", "statue", "church", "museum", "bench", "tree", "ruins", "viewpoint", "lighthouse"];

pub fn points() -> Vec<[f64; 2]> {
    (0..u64::from(SITES))
        .map(|i| {
            let h = mix2(0xBE7C, i);
            [(unit(h) - 0.5) * SIDE, (unit(mix(h)) - 0.5) * SIDE]
        })
        .collect()
}

/// The sites as a parser would hand them over.
pub fn sites(points: &[[f64; 2]]) -> Vec<xmarks::Site> {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| xmarks::Site {
            id: format!("poi-{i}"),
            x: p[0],
            y: p[1],
            kind: KINDS[i % KINDS.len()].to_owned(),
            name: format!("Place {i}"),
            weight: 0.5 + (i % 7) as f64 * 0.25,
        })
        .collect()
}

pub fn index(points: &[[f64; 2]]) -> SiteIndex {
    let mut b = SiteIndexBuilder::with_capacity(points.len());
    let mut id = String::new();
    let mut name = String::new();
    for (i, p) in points.iter().enumerate() {
        use std::fmt::Write;
        id.clear();
        name.clear();
        let _ = write!(id, "poi-{i}");
        let kind = KINDS[i % KINDS.len()];
        let _ = write!(name, "Place {i}");
        let weight = 0.5 + (i % 7) as f64 * 0.25;
        b.push(SiteRef { id: &id, pos: Point::new(p[0], p[1]), kind, name: &name, weight }).unwrap();
    }
    b.build()
}

/// Resident set size of this process in bytes (Linux).
pub fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}
