//! The Earth index on one million sites spread like real points of interest: building it, nearest-k
//! and radius queries by geodesic distance.
//!
//! `bench/earth.sh` runs this together with geokdbush (kdbush plus geodesic nearest search, in Node)
//! on the same points and prints the ratios. This bench writes the points (lon, lat as f64) and the
//! query positions to `target/xmarks-bench/earth-1m.f64` and `earth-queries.f64` for that script.

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use xmarks::geo::{geodesic, EarthIndex, EarthIndexBuilder, LonLat};
use xmarks::hash::{mix, mix2, unit};
use xmarks::index::KindFilter;
use xmarks::site::SiteRef;

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

/// Four in five sites sit within 20 km of one of 2,000 "cities" (density falling off as 1 / r from
/// the centre: the largest holds about 1,500 sites a km^2 within 1 km) whose sizes fall off like a
/// Zipf law (dense cities, empty oceans); the rest are scattered over the whole sphere.
fn points() -> Vec<LonLat> {
    let cities: Vec<LonLat> = (0..2000u64)
        .map(|c| {
            let h = mix2(0xC17E, c);
            LonLat::new(unit(h) * 360.0 - 180.0, libm::asin(unit(mix(h)) * 1.6 - 0.7).to_degrees())
        })
        .collect();
    // City c gets a share proportional to 1 / (c + 1).
    let cumulative: Vec<f64> = (1..=cities.len())
        .scan(0.0, |acc, c| {
            *acc += 1.0 / c as f64;
            Some(*acc)
        })
        .collect();
    let harmonic = cumulative[cumulative.len() - 1];
    (0..u64::from(common::SITES))
        .map(|i| {
            let h = mix2(0xEA27, i);
            let (u, v, w) = (unit(h), unit(mix(h)), unit(mix2(h, 7)));
            if i % 5 == 4 {
                return LonLat::new(u * 360.0 - 180.0, libm::asin(2.0 * v - 1.0).to_degrees());
            }
            let c = cumulative.partition_point(|&x| x < w * harmonic).min(cities.len() - 1);
            geodesic::destination(cities[c], u * 360.0, v * 20_000.0)
        })
        .collect()
}

fn build(points: &[LonLat], ids: &[String]) -> EarthIndex {
    let mut b = EarthIndexBuilder::with_capacity(points.len());
    for (i, (p, id)) in points.iter().zip(ids).enumerate() {
        let kind = common::KINDS[i % common::KINDS.len()];
        b.push(SiteRef { id, pos: *p, kind, name: "", weight: 1.0 }).unwrap();
    }
    b.build()
}

fn bench(c: &mut Criterion) {
    let points = points();
    let ids: Vec<String> = (0..points.len()).map(|i| format!("poi-{i}")).collect();
    let queries: Vec<LonLat> = (0..1000u64).map(|q| points[(mix2(0x9E, q) % points.len() as u64) as usize]).collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/xmarks-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = |ps: &[LonLat]| ps.iter().flat_map(|p| [p.lon, p.lat]).flat_map(f64::to_le_bytes).collect::<Vec<u8>>();
    std::fs::write(dir.join("earth-1m.f64"), bytes(&points)).unwrap();
    std::fs::write(dir.join("earth-queries.f64"), bytes(&queries)).unwrap();

    let mut g = c.benchmark_group("earth_1m");
    g.sample_size(10);
    g.bench_function("build", |b| b.iter(|| black_box(build(&points, &ids))));
    let index = build(&points, &ids);
    let all = KindFilter::all();
    let mut q = queries.iter().cycle();
    g.sample_size(50);
    g.bench_function("nearest_10", |b| b.iter(|| black_box(index.nearest(*q.next().unwrap(), 10, &all))));
    g.bench_function("within_2km", |b| b.iter(|| black_box(index.within(*q.next().unwrap(), 2_000.0, &all).count())));
    g.finish();

    use std::sync::atomic::Ordering::Relaxed;
    drop(index);
    let before = common::LIVE.load(Relaxed);
    let index = build(&points, &ids);
    let text = ids.iter().map(String::len).sum::<usize>();
    let held = common::LIVE.load(Relaxed) - before;
    println!(
        "memory: EarthIndex of {} sites holds {:.1} MB of heap, {:.1} bytes a site besides its ids' {:.1} bytes of text",
        index.len(),
        held as f64 / 1e6,
        (held - text) as f64 / index.len() as f64,
        text as f64 / index.len() as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
