//! Scale-out on a real nats-server with JetStream: three server processes share sessions and
//! caps; any of them rebuilds any session by replay.

mod common;

use common::{Nats, Server};
use std::time::Duration;
use xmarks_load::{run, verify, Options};

/// Three servers on one JetStream, sharing a secret; templates from `templates` (TOML).
fn cluster(nats: &Nats, dir: &std::path::Path, prefix: &str, templates: &str) -> Vec<Server> {
    let config = dir.join("server.toml");
    let secret = common::secret(dir);
    std::fs::write(&config, format!("insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {secret:?}\n{templates}\n[limits]\nsessions_per_address_per_min = 1000000\n", dir.join("data")))
        .unwrap();
    (0..3).map(|_| Server::start_with(&config, dir, &["--nats", &nats.url, "--nats-prefix", prefix])).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_of_three_servers_killed_mid_load_loses_no_acknowledged_event() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let mut servers = cluster(&nats, dir.path(), "durable", "");
    let options = Options {
        urls: servers.iter().map(|s| s.url.clone()).collect(),
        players: 300,
        duration: Duration::from_secs(10),
        ramp: Duration::from_secs(1),
        warmup: Duration::ZERO,
        verify: true,
        failover: true,
        ..Options::default()
    };
    let load = tokio::spawn(run(options));
    tokio::time::sleep(Duration::from_secs(4)).await;
    servers[0].kill();
    let report = load.await.unwrap().unwrap();
    println!("{report}");
    // A third of the players lost their server and went on with another, which rebuilt their
    // sessions from JetStream by replay.
    assert!(report.failovers >= 90, "{report}");
    assert!(report.accepted > 1500, "{report}");
    assert_eq!(report.rejected.values().sum::<u64>(), 0, "{report}");

    // Every session, read through a surviving server, holds every acknowledged event.
    let v = verify(&report.records, Some(&servers[2].url)).await;
    println!("verified {} sessions, {} acknowledged events, {} problems", v.sessions, v.events, v.problems.len());
    assert_eq!(v.sessions, 300);
    assert!(v.problems.is_empty(), "{:?}", &v.problems[..v.problems.len().min(5)]);
    // The default rules raise no claims, so the stored events are the players' own: those
    // answered, and those a killed server made durable before its answer could leave.
    assert_eq!(v.events, report.accepted + report.adopted, "{report}");
    // At most one per player cut off mid-exchange: by the kill, or by a survivor's `unavailable`.
    let unavailable = report.errors.get("server: unavailable").copied().unwrap_or(0);
    assert!(report.adopted <= report.failovers + unavailable, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_servers_a_thousand_players_a_cap_of_a_hundred_exactly_a_hundred_winners() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sprint.json"), common::sprint_template()).unwrap();
    let mut templates = String::new();
    for round in 1..=3 {
        let rules = dir.path().join(format!("crown-{round}.json"));
        std::fs::write(&rules, common::crown_rules(&format!("crown-{round}"), 100)).unwrap();
        templates +=
            &format!("[templates.crown-{round}]\ntemplate = {:?}\nrules = {rules:?}\n", dir.path().join("sprint.json"));
    }
    let servers = cluster(&nats, dir.path(), "caps", &templates);
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    for round in 1..=3 {
        let winners = common::race(&urls, 1000, &format!("crown-{round}")).await;
        println!("round {round}: {winners} winners of 1000");
        assert_eq!(winners, 100, "round {round}");
    }
}
