//! Bulk loading one million sites: rstar at several node sizes, and the whole `SiteIndex` build.
//!
//! `bench/index.sh` runs this together with kdbush in Node on the same points and prints the ratio.
//! It also writes the points to `target/xmarks-bench/points-1m.f64` for that script.

mod common;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rstar::primitives::GeomWithData;
use rstar::{DefaultParams, RStarInsertionStrategy, RTree, RTreeParams};
use std::hint::black_box;

macro_rules! params {
    ($name:ident, $min:expr, $max:expr) => {
        struct $name;
        impl RTreeParams for $name {
            const MIN_SIZE: usize = $min;
            const MAX_SIZE: usize = $max;
            const REINSERTION_COUNT: usize = $min;
            type DefaultInsertionStrategy = RStarInsertionStrategy;
        }
    };
}
params!(Node32, 8, 32);
params!(Node64, 16, 64);
params!(Node128, 32, 128);

type Entry = GeomWithData<[f64; 2], u32>;

#[global_allocator]
static ALLOC: common::CountingAlloc = common::CountingAlloc;

fn entries(points: &[[f64; 2]]) -> Vec<Entry> {
    points.iter().enumerate().map(|(i, p)| GeomWithData::new(*p, i as u32)).collect()
}

fn bulk_load<P: RTreeParams>(points: &[[f64; 2]]) -> impl FnMut(&mut criterion::Bencher<'_>) + '_ {
    move |b| {
        b.iter_batched(
            || entries(points),
            |e| black_box(RTree::<Entry, P>::bulk_load_with_params(e)),
            BatchSize::LargeInput,
        )
    }
}

fn bench(c: &mut Criterion) {
    let points = common::points();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/xmarks-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let bytes: Vec<u8> = points.iter().flat_map(|p| p.iter().flat_map(|v| v.to_le_bytes())).collect();
    std::fs::write(dir.join("points-1m.f64"), bytes).unwrap();

    let mut g = c.benchmark_group("bulk_load_1m");
    g.sample_size(10);
    g.bench_function("rstar_node6_default", bulk_load::<DefaultParams>(&points));
    g.bench_function("rstar_node16_chosen", bulk_load::<xmarks::index::SiteTreeParams>(&points));
    g.bench_function("rstar_node32", bulk_load::<Node32>(&points));
    g.bench_function("rstar_node64", bulk_load::<Node64>(&points));
    g.bench_function("rstar_node128", bulk_load::<Node128>(&points));
    // The whole index over parsed sites: columns, text arena, kind table, tree, reordering, digest.
    let sites = common::sites(&points);
    g.bench_function("site_index_build", |b| b.iter(|| black_box(xmarks::SiteIndex::from_sites(&sites).unwrap())));
    drop(sites);
    g.finish();

    use std::sync::atomic::Ordering::Relaxed;
    let sites = common::sites(&points);
    let before = common::LIVE.load(Relaxed);
    common::PEAK.store(before, Relaxed);
    let index = xmarks::SiteIndex::from_sites(&sites).unwrap();
    println!(
        "memory: SiteIndex of {} sites holds {:.1} MB of heap (estimate {:.1} MB); building it peaked {:.1} MB above its input",
        index.len(),
        (common::LIVE.load(Relaxed) - before) as f64 / 1e6,
        index.heap_bytes() as f64 / 1e6,
        (common::PEAK.load(Relaxed) - before) as f64 / 1e6
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
