//! Rules and sessions: JsonLogic evaluation over the shared suite against datalogic-rs (same
//! criterion run), events per second under the default ruleset (one player, and a team of 8), and
//! replay of 1M events.
//!
//! `bash bench/rules.sh` runs this and json-logic-js in Node on the same suite, and prints ratios.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;
use xmarks::rules::logic::{Logic, Val};
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line, replay};
use xmarks::session::script::{team_walkthrough, walkthrough};
use xmarks::session::{Event, Session};
use xmarks::{generate, generate_team, Player, Point, Position, ProceduralWorld, Seeds, Team, TeamMember};
use xmarks::{Template, World, WorldConfig};

fn suite() -> Vec<(Value, Value)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/jsonlogic/tests.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    cases.into_iter().filter_map(|c| c.as_array().map(|a| (a[0].clone(), a[1].clone()))).collect()
}

fn bench_logic(c: &mut Criterion) {
    let cases = suite();
    let peer = datalogic_rs::DataLogic::new();
    // Compare on the cases both engines evaluate without error (datalogic-rs refuses a few).
    let both: Vec<(Logic, Val, Arc<datalogic_rs::CompiledLogic>, Arc<Value>)> = cases
        .iter()
        .filter_map(|(rule, data)| {
            let theirs = peer.compile(rule).ok()?;
            let data_arc = Arc::new(data.clone());
            peer.evaluate(&theirs, Arc::clone(&data_arc)).ok()?;
            Some((Logic::compile(rule).unwrap(), Val::from_json(data), theirs, data_arc))
        })
        .collect();
    println!("suite: {} cases, {} evaluated by both engines", cases.len(), both.len());
    let mut g = c.benchmark_group("jsonlogic_suite");
    g.throughput(Throughput::Elements(both.len() as u64));
    g.bench_function("xmarks", |b| {
        b.iter(|| {
            for (logic, data, _, _) in &both {
                let _ = black_box(logic.eval(data));
            }
        })
    });
    g.bench_function("datalogic_rs_4", |b| {
        b.iter(|| {
            for (_, _, compiled, data) in &both {
                black_box(peer.evaluate(compiled, Arc::clone(data)).ok());
            }
        })
    });
    g.finish();
}

fn hunt() -> xmarks::Hunt {
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let t =
        Template::from_json(r#"{"id":"bench","stages":5,"leg":{"min":200,"max":800},"search_radius":1500}"#).unwrap();
    let p = Player::new("ann", Point::new(0.0, 0.0));
    generate(&world, &t, &Seeds { game: 1, round: 1 }, &p).unwrap()
}

fn bench_events(c: &mut Criterion) {
    let h = hunt();
    let rules = Arc::new(Ruleset::default_rules());
    let script = walkthrough(&h, 0);
    let fresh = Session::new(h.clone(), Arc::clone(&rules), 0);
    let mut g = c.benchmark_group("session");
    g.throughput(Throughput::Elements(script.len() as u64));
    g.bench_function("apply_default_rules", |b| {
        b.iter(|| {
            let mut s = fresh.clone();
            for e in &script {
                black_box(s.apply(e).unwrap());
            }
        })
    });
    g.finish();

    // The same hunt for a team of 8 (session format 3): every member walks, the digs take turns.
    let team = Team {
        id: "crew".into(),
        start: Position::Plane(Point::new(0.0, 0.0)),
        members: (0..8).map(|i| TeamMember::new(format!("m{i}"))).collect(),
    };
    let t = Template::from_json(
        r#"{"id":"bench","stages":5,"leg":{"min":200,"max":800},"search_radius":1500,"max_team":8}"#,
    )
    .unwrap();
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let th = generate_team(&world, &t, &Seeds { game: 1, round: 1 }, &team).unwrap();
    let script = team_walkthrough(&th, 0);
    let fresh = Session::new(th, Arc::clone(&rules), 0);
    let mut g = c.benchmark_group("team_session");
    g.throughput(Throughput::Elements(script.len() as u64));
    g.bench_function("apply_default_rules_8_members", |b| {
        b.iter(|| {
            let mut s = fresh.clone();
            for a in &script {
                black_box(s.apply_by(a.member.as_deref(), &a.event).unwrap());
            }
        })
    });
    g.finish();

    // Replay of 1M events: a player wandering near the start, digging now and then.
    let mut s = Session::new(h.clone(), rules, 0);
    let mut log = vec![header(&s)];
    let (mut t, mut x, mut y) = (0, 0.0, 0.0);
    for i in 0..1_000_000u64 {
        t += 1000;
        let e = if i % 50 == 49 {
            Event::dig_at(t, Point::new(x, y))
        } else {
            (x, y) = ((i % 7) as f64, (i % 5) as f64);
            Event::move_to(t, Point::new(x, y))
        };
        s.apply(&e).unwrap();
        log.push(line(&s, &e));
    }
    let text = log.join("\n") + "\n";
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = replay(&text).unwrap();
        times.push(t0.elapsed().as_secs_f64());
        assert_eq!(r.session.state_hash(), s.state_hash());
    }
    times.sort_by(f64::total_cmp);
    println!("replay: 1,000,000 events ({:.0} MB of log) in {:.3} s (median of 5)", text.len() as f64 / 1e6, times[2]);
}

criterion_group!(benches, bench_logic, bench_events);
criterion_main!(benches);
