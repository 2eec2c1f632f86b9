//! The embedded store under load: a server killed with SIGKILL mid-load loses no acknowledged
//! event, and global caps grant exactly their limit.

mod common;

use common::race;
use common::Server;
use std::time::Duration;
use xmarks_load::{run, verify, Options};

fn config(dir: &std::path::Path, extra: &str) -> String {
    format!(
        "insecure_dev_players = true\ndata_dir = {:?}\n{extra}\n[limits]\nsessions_per_address_per_min = 1000000\n",
        dir.join("data")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_event_survives_sigkill_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &config(dir.path(), ""));
    let options = Options {
        urls: vec![server.url.clone()],
        players: 300,
        duration: Duration::from_secs(8),
        ramp: Duration::from_secs(1),
        warmup: Duration::ZERO,
        verify: true,
        ..Options::default()
    };
    let load = tokio::spawn(run(options));
    tokio::time::sleep(Duration::from_secs(4)).await;
    server.kill();
    let report = load.await.unwrap().unwrap();
    println!("{report}");
    assert!(report.error_count() > 0, "the kill should have cut players off: {report}");
    assert!(report.accepted > 600, "{report}");

    let restarted = Server::start_with(&dir.path().join("server.toml"), dir.path(), &[]);
    let v = verify(&report.records, Some(&restarted.url)).await;
    println!("verified {} sessions, {} acknowledged events, {} problems", v.sessions, v.events, v.problems.len());
    assert_eq!(v.sessions, 300);
    assert!(v.problems.is_empty(), "{:?}", &v.problems[..v.problems.len().min(5)]);
    assert_eq!(v.events, report.accepted, "every acknowledged event was checked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_global_cap_grants_exactly_its_limit_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sprint.json"), common::sprint_template()).unwrap();
    std::fs::write(dir.path().join("crown.json"), common::crown_rules("crown", 100)).unwrap();
    let toml = config(
        dir.path(),
        &format!(
            "[templates.crown]\ntemplate = {:?}\nrules = {:?}\n",
            dir.path().join("sprint.json"),
            dir.path().join("crown.json")
        ),
    );
    let mut server = Server::start(dir.path(), &toml);
    let winners = race(std::slice::from_ref(&server.url), 300, "crown").await;
    assert_eq!(winners, 100);
    server.kill();
    let server = Server::start_with(&dir.path().join("server.toml"), dir.path(), &[]);
    assert_eq!(race(std::slice::from_ref(&server.url), 20, "crown").await, 0, "the count outlived the restart");
}
