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
            pos: Point::new(p[0], p[1]).into(),
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

/// Counts live heap bytes, so a benchmark can say exactly what a structure holds.
pub struct CountingAlloc;

pub static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
pub static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use std::sync::atomic::Ordering::Relaxed;
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        std::alloc::System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        std::alloc::System.dealloc(ptr, layout)
    }
}
