//! Hunt generation latency: criterion medians, and p50/p99/max over many distinct players (criterion
//! reports no tail percentiles, and the budget is a p99).
//!
//! `cargo bench --bench hunt`

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Instant;
use xmarks::hash::{mix2, unit};
use xmarks::{generate, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};

const PLAYERS: u64 = 20_000;

fn template(kinds: &str) -> Template {
    Template::from_json(&format!(
        r#"{{"id":"bench","stages":5,"difficulty":3,"search_radius":1500,"leg":{{"min":150,"max":700}},"spacing":120,"kinds":{kinds}}}"#
    ))
    .unwrap()
}

fn player(i: u64, spread: f64) -> Player {
    let h = mix2(0x9147, i);
    let start = Point::new((unit(h) - 0.5) * spread, (unit(mix2(h, 1)) - 0.5) * spread);
    Player::new(format!("player-{i}"), start).with_level(1 + (i % 30) as u32)
}

/// Generates a hunt for each of `PLAYERS` players and prints latency percentiles.
fn percentiles(label: &str, world: &World, template: &Template, spread: f64) {
    let seeds = Seeds { game: 1, round: 1 };
    let mut times = Vec::with_capacity(PLAYERS as usize);
    let mut failed = 0;
    for i in 0..PLAYERS {
        let p = player(i, spread);
        let t0 = Instant::now();
        let r = generate(world, template, &seeds, &p);
        times.push(t0.elapsed().as_nanos() as u64);
        failed += u32::from(r.is_err());
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize] as f64 / 1000.0;
    println!(
        "percentiles {label}: p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us, max {:.1} us over {PLAYERS} players ({failed} without a hunt)",
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let procedural = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let any = template("[]");
    // Cold: the first hunt in an area pays for generating its tiles.
    let t0 = Instant::now();
    let _ = generate(&procedural, &any, &Seeds { game: 1, round: 1 }, &player(0, 0.0));
    println!(
        "cold: first hunt on a fresh procedural world (tiles generated) {:.2} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    // Warm the tiles of an 8 km square, then measure players starting in it.
    for i in 0..PLAYERS {
        let _ = generate(&procedural, &any, &Seeds { game: 1, round: 1 }, &player(i, 8000.0));
    }
    percentiles("procedural (tiles cached)", &procedural, &any, 8000.0);

    let imported = World::Imported(common::index(&common::points()));
    let city = template(r#"["fountain","statue","museum","church","ruins","viewpoint"]"#);
    percentiles("imported 1M sites", &imported, &city, common::SIDE * 0.9);

    let mut g = c.benchmark_group("hunt");
    let mut i = 0u64;
    g.bench_function("procedural_5_stages", |b| {
        b.iter(|| {
            i += 1;
            black_box(generate(&procedural, &any, &Seeds { game: 1, round: 1 }, &player(i % PLAYERS, 8000.0)))
        })
    });
    g.bench_function("imported_1m_5_stages", |b| {
        b.iter(|| {
            i += 1;
            black_box(generate(&imported, &city, &Seeds { game: 1, round: 1 }, &player(i, common::SIDE * 0.9)))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
