//! A three-node JetStream cluster under three servers and a load: one NATS node killed with
//! SIGKILL and restarted, then the node leading the sessions' stream. No acknowledged event is
//! lost, the players carry on, and every restarted node catches up with the others.

mod common;

use common::{NatsCluster, Server};
use serde_json::json;
use std::time::{Duration, Instant};
use xmarks_load::{run, verify, Options};

const STREAM: &str = "HA_SESSIONS_0";

/// The node leading `STREAM`, as the first of `alive` that answers sees it, once that is not
/// `gone` (a killed leader is still named until the others elect a new one).
async fn leader(cluster: &NatsCluster, alive: &[usize], gone: Option<usize>) -> usize {
    for _ in 0..300 {
        for &i in alive {
            if let Some((_, leader)) = cluster.stream_state(i, STREAM).await {
                match leader.strip_prefix('n').and_then(|n| n.parse().ok()) {
                    Some(n) if Some(n) != gone => return n,
                    _ => {}
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no node names a leader of {STREAM} within 30 s")
}

/// Waits until every node holds `stream` up to the same last sequence; returns it.
async fn caught_up(cluster: &NatsCluster, stream: &str) -> u64 {
    let mut seen = Vec::new();
    for _ in 0..200 {
        seen.clear();
        for i in 0..3 {
            seen.push(cluster.stream_state(i, stream).await.map(|(last, _)| last));
        }
        if seen[0].is_some() && seen.iter().all(|s| *s == seen[0]) {
            return seen[0].unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the nodes' copies of {stream} never agreed: {seen:?}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_then_the_leader_killed_under_load_loses_nothing_and_catches_up() {
    let mut cluster = NatsCluster::start(3);
    cluster.await_meta_leader().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {:?}\n[nats]\nurl = {:?}\nprefix = \"ha\"\nreplicas = 3\n[limits]\nsessions_per_address_per_min = 1000000\n",
            dir.path().join("data"),
            common::secret(dir.path()),
            cluster.urls()
        ),
    )
    .unwrap();
    let servers: Vec<Server> = (0..3).map(|_| Server::start_with(&config, dir.path(), &[])).collect();
    let options = Options {
        urls: servers.iter().map(|s| s.url.clone()).collect(),
        players: 300,
        duration: Duration::from_secs(40),
        ramp: Duration::from_secs(1),
        warmup: Duration::ZERO,
        verify: true,
        timeline: true,
        ..Options::default()
    };
    let start = Instant::now();
    let running = tokio::spawn(run(options));
    // Every server's breaker, every 50 ms: when each opened and closed.
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let watcher = tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut last = vec![String::from("closed"); urls.len()];
        let mut changes = Vec::new();
        while start.elapsed() < Duration::from_secs(41) {
            for (i, url) in urls.iter().enumerate() {
                let health = http.get(format!("{url}/healthz")).timeout(Duration::from_secs(1)).send().await;
                let Ok(health) = health else { continue };
                let state = health.json::<serde_json::Value>().await.unwrap_or_default()["breaker"].to_string();
                if state.trim_matches('"') != last[i] {
                    last[i] = state.trim_matches('"').to_owned();
                    changes.push((start.elapsed(), i, last[i].clone()));
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        changes
    });
    let at = |s: u64| tokio::time::sleep_until((start + Duration::from_secs(s)).into());

    // A follower first.
    at(5).await;
    let first = leader(&cluster, &[0, 1, 2], None).await;
    let follower = (first + 1) % 3;
    let jsz = cluster.jsz(first).await;
    println!(
        "at 5 s: meta leader {}, {STREAM} led by n{first}, KV_ha_caps led by {:?}",
        jsz["meta_cluster"]["leader"],
        cluster.stream_state(first, "KV_ha_caps").await
    );
    tokio::task::block_in_place(|| cluster.kill(follower));
    let follower_killed = start.elapsed();
    at(10).await;
    tokio::task::block_in_place(|| cluster.restart(follower));
    let follower_back = start.elapsed();

    // Then whichever node leads the sessions' stream now.
    at(15).await;
    let leading = leader(&cluster, &[0, 1, 2], None).await;
    tokio::task::block_in_place(|| cluster.kill(leading));
    let leader_killed = start.elapsed();
    let others: Vec<usize> = (0..3).filter(|&i| i != leading).collect();
    let elected = leader(&cluster, &others, Some(leading)).await;
    let elected_after = start.elapsed() - leader_killed;
    at(20).await;
    tokio::task::block_in_place(|| cluster.restart(leading));
    let leader_back = start.elapsed();

    let report = running.await.unwrap().unwrap();
    println!("{report}");
    let changes = watcher.await.unwrap();
    println!("breakers: {changes:?}");
    // From a kill to the first breaker opening, and to the last one closing after it.
    let window = |from: Duration, to: Duration| {
        let within: Vec<_> = changes.iter().filter(|(t, _, _)| *t >= from && *t < to).collect();
        let opened = within.iter().find(|(_, _, s)| s == "open").map(|(t, _, _)| (*t - from).as_millis() as u64);
        let closed =
            within.iter().rev().find(|(_, _, s)| s == "closed").map(|(t, _, _)| (*t - from).as_millis() as u64);
        (opened, closed)
    };
    println!(
        "killed follower n{follower} at {follower_killed:?}, back at {follower_back:?}; killed leader n{leading} at \
         {leader_killed:?}, n{elected} elected within {elected_after:?}, n{leading} back at {leader_back:?}"
    );
    // A slow election can outlast the load: read the logs once every server takes requests again.
    let http = reqwest::Client::new();
    for server in &servers {
        server.await_breaker(&http, "closed", Duration::from_secs(60)).await.expect("the breaker closed again");
    }
    let v = verify(&report.records, Some(&servers[1].url)).await;
    println!("verified {} sessions, {} acknowledged events, {} problems", v.sessions, v.events, v.problems.len());
    assert_eq!(v.sessions, 300);
    assert!(v.problems.is_empty(), "{:?}", &v.problems[..v.problems.len().min(5)]);
    assert_eq!(report.rejected.values().sum::<u64>(), 0, "{report}");

    // Every node, the two restarted ones included, holds the same stream.
    let last = caught_up(&cluster, STREAM).await;
    caught_up(&cluster, "KV_ha_caps").await;
    assert!(last >= v.events, "the stream holds {last} messages, {} events were acknowledged", v.events);

    let phase = |from: Duration, to: Duration| {
        let (from, to) = (from.as_millis() as u32, to.as_millis() as u32);
        let mut l: Vec<u32> =
            report.timeline.iter().filter(|s| s.at_ms >= from && s.at_ms < to).map(|s| s.latency_us).collect();
        l.sort_unstable();
        let refused = report.timeline.iter().filter(|s| s.at_ms >= from && s.at_ms < to && !s.answered).count();
        let p99 = l.get(l.len().saturating_sub(1) * 99 / 100).map_or(f64::NAN, |&us| us as f64 / 1000.0);
        (p99, refused)
    };
    let (p99_before, _) = phase(Duration::ZERO, follower_killed);
    let (p99_follower, refused_follower) = phase(follower_killed, leader_killed);
    let (p99_leader, refused_leader) = phase(leader_killed, leader_back + Duration::from_secs(2));
    let (p99_after, _) = phase(leader_back + Duration::from_secs(2), Duration::MAX);
    // After the last breaker closed again.
    let recovered = changes.last().map_or(leader_back, |(t, _, _)| *t);
    let after = report.timeline.iter().filter(|s| s.at_ms as u128 > recovered.as_millis() && s.answered).count();
    let (follower_opened, follower_closed) = window(follower_killed, leader_killed);
    let (leader_opened, leader_closed) = window(leader_killed, Duration::MAX);
    let figures = json!({
        "scenario": "cluster",
        "follower_killed_breaker_open_ms": follower_opened, "follower_killed_breaker_closed_ms": follower_closed,
        "leader_killed_breaker_open_ms": leader_opened, "leader_killed_breaker_closed_ms": leader_closed, "lost": v.problems.len(), "acknowledged": v.events,
        "leader_elected_ms": elected_after.as_millis() as u64,
        "refused_follower_killed": refused_follower, "refused_leader_killed": refused_leader,
        "p99_before_ms": p99_before, "p99_follower_killed_ms": p99_follower,
        "p99_leader_killed_ms": p99_leader, "p99_after_ms": p99_after,
    });
    println!("FIGURES {figures}");
    assert!(after > 300, "the players carried on after the election: {after} events after {recovered:?}");
}
