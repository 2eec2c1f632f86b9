//! The store failing under a loaded server: the only NATS server killed and restarted, the
//! embedded store's disk filled and freed, and NATS made slow. In each, requests that need the
//! store are refused at once (`503`, `Retry-After`) while its circuit breaker is open, nothing
//! unacknowledged is claimed as stored, no acknowledged event is lost, and the server recovers by
//! itself. Each prints a `FIGURES` line that `bench/store-faults.sh` gathers into BENCHMARKS.md.

mod common;

use common::{DelayProxy, Nats, Server};
use serde_json::json;
use std::future::Future;
use std::time::{Duration, Instant};
use xmarks_load::{run, verify, Options, Report};

/// One scenario at a time: they measure times on a machine with two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn load(server: &Server, players: usize, seconds: u64) -> Options {
    Options {
        urls: vec![server.url.clone()],
        players,
        duration: Duration::from_secs(seconds),
        ramp: Duration::from_secs(1),
        warmup: Duration::ZERO,
        verify: true,
        timeline: true,
        ..Options::default()
    }
}

/// What an outage did, from the breaker's state as `/healthz` showed it and the players' round
/// trips.
#[derive(Debug)]
struct Figures {
    /// From the fault to the store being back.
    outage_ms: u64,
    /// From the fault to the breaker opening.
    detect_ms: u64,
    /// From the fault to the first store operation that failed, when one failed before the breaker
    /// opened (a disconnection opens it without one). A full disk fails nothing until SQLite needs
    /// new space, so this is the store's slack, and `detect_ms - first_failure_ms` the breaker's part.
    first_failure_ms: Option<u64>,
    /// From the store being back to the breaker closing.
    recover_ms: u64,
    /// Events answered `unavailable` (refused, or not known to be stored).
    refused: u64,
    /// Acknowledged events missing from the logs afterwards.
    lost: usize,
    accepted_after: usize,
    p99_before_ms: f64,
    p99_during_ms: f64,
    p99_after_ms: f64,
}

impl Figures {
    fn print(&self, scenario: &str) {
        let line = json!({
            "scenario": scenario, "outage_ms": self.outage_ms, "detect_ms": self.detect_ms,
            "first_failure_ms": self.first_failure_ms, "recover_ms": self.recover_ms,
            "refused": self.refused, "lost": self.lost, "accepted_after": self.accepted_after,
            "p99_before_ms": self.p99_before_ms, "p99_during_ms": self.p99_during_ms, "p99_after_ms": self.p99_after_ms,
        });
        println!("FIGURES {line}");
    }
}

/// Store operations failed so far (`xmarks_store_failures_total`, every reason).
async fn store_failures(server: &Server, http: &reqwest::Client) -> u64 {
    let text = http.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("xmarks_store_failures_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

fn p99(mut latencies: Vec<u32>) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    latencies.sort_unstable();
    latencies[(latencies.len() - 1) * 99 / 100] as f64 / 1000.0
}

/// Runs `options` against `server`; at `fail_at` runs `fail` (the store goes away) and waits for
/// the breaker to open; at `restore_at` runs `restore` (it comes back) and waits for the breaker
/// to close. Returns the figures, the report, and how many acknowledged events `verify` found.
async fn outage<F: Future<Output = ()>, R: Future<Output = ()>>(
    server: &Server,
    options: Options,
    fail_at: Duration,
    fail: F,
    restore_at: Duration,
    restore: R,
) -> (Figures, Report) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let running = tokio::spawn(run(options));
    tokio::time::sleep_until((start + fail_at).into()).await;
    assert_eq!(server.health(&http).await.0, 200, "healthy before the fault");
    let failures_before = store_failures(server, &http).await;
    let failed = Instant::now();
    fail.await;
    // `/healthz` and `/metrics` polled together: the first failed operation, then the breaker open.
    let (mut first_failure, deadline) = (None, Instant::now() + Duration::from_secs(10));
    let opened = loop {
        assert!(Instant::now() < deadline, "the breaker did not open within 10 s");
        if first_failure.is_none() && store_failures(server, &http).await > failures_before {
            first_failure = Some(Instant::now());
        }
        if server.health(&http).await.1["breaker"] == "open" {
            break Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (status, health) = server.health(&http).await;
    assert_eq!(status, 503, "{health}");
    assert!(health["retry_after_s"].as_u64().is_some(), "{health}");
    let metrics = http.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("xmarks_store_breaker_state{state=\"open\"} 1"), "{metrics}");
    // Refused at once, with when to come back.
    let asked = Instant::now();
    let body = json!({"template": "sprint", "player": {"id": "latecomer", "start": {"x": 0, "y": 0}}});
    let refused = http.post(format!("{}/v1/sessions", server.url)).json(&body).send().await.unwrap();
    assert!(asked.elapsed() < Duration::from_millis(500), "refusing took {:?}", asked.elapsed());
    assert_eq!(refused.status(), 503);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    tokio::time::sleep_until((start + restore_at).into()).await;
    restore.await;
    let back = Instant::now();
    let closed = server.await_breaker(&http, "closed", Duration::from_secs(20)).await.expect("the breaker closed");
    let report = running.await.unwrap().unwrap();
    println!("{report}");

    let v = verify(&report.records, None).await;
    println!("verified {} sessions, {} acknowledged events, {} problems", v.sessions, v.events, v.problems.len());
    assert!(v.problems.is_empty(), "{:?}", &v.problems[..v.problems.len().min(5)]);

    let (fail_ms, closed_ms) = ((failed - start).as_millis() as u32, (closed - start).as_millis() as u32);
    let phase = |from: u32, to: u32| {
        report.timeline.iter().filter(move |s| s.at_ms >= from && s.at_ms < to).collect::<Vec<_>>()
    };
    let latencies = |from, to| phase(from, to).iter().map(|s| s.latency_us).collect::<Vec<_>>();
    let figures = Figures {
        outage_ms: (back - failed).as_millis() as u64,
        detect_ms: (opened - failed).as_millis() as u64,
        first_failure_ms: first_failure.map(|t| (t - failed).as_millis() as u64),
        recover_ms: (closed - back).as_millis() as u64,
        refused: report.errors.get("server: unavailable").copied().unwrap_or(0),
        lost: v.problems.len(),
        accepted_after: phase(closed_ms, u32::MAX).iter().filter(|s| s.answered).count(),
        p99_before_ms: p99(latencies(0, fail_ms)),
        p99_during_ms: p99(latencies(fail_ms, closed_ms)),
        p99_after_ms: p99(latencies(closed_ms, u32::MAX)),
    };
    println!("{figures:?}");
    assert!(figures.refused > 0, "the outage refused events: {report}");
    assert!(figures.accepted_after > 100, "the players carried on: {figures:?}");
    assert_eq!(report.rejected.values().sum::<u64>(), 0, "the game refused nothing: {report}");
    (figures, report)
}

fn nats_config(dir: &std::path::Path, url: &str, store: &str) -> String {
    format!(
        "insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {:?}\n[store]\n{store}\n[nats]\nurl = {url:?}\nprefix = \"outage\"\n[limits]\nsessions_per_address_per_min = 1000000\n",
        dir.join("data"),
        common::secret(dir)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_only_nats_server_killed_and_restarted_mid_load() {
    let _serial = SERIAL.lock().await;
    let nats = std::sync::Mutex::new(Nats::start());
    let dir = tempfile::tempdir().unwrap();
    let url = nats.lock().unwrap().url.clone();
    let server = Server::start(dir.path(), &nats_config(dir.path(), &url, ""));
    let (figures, _) = outage(
        &server,
        load(&server, 200, 18),
        Duration::from_secs(5),
        async { tokio::task::block_in_place(|| nats.lock().unwrap().kill()) },
        Duration::from_secs(9),
        async { tokio::task::block_in_place(|| nats.lock().unwrap().restart()) },
    )
    .await;
    figures.print("nats_killed");
    // The client's disconnection opens the breaker at once; back within its reconnection delay.
    assert!(figures.detect_ms < 1_000, "{figures:?}");
    assert!(figures.recover_ms < 5_000, "{figures:?}");
}

/// A size-limited tmpfs, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(path: &std::path::Path, size: &str) -> SmallDisk {
        std::fs::create_dir_all(path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "this test mounts a small tmpfs, which needs root (the CI machine runs as root)");
        SmallDisk(path.to_owned())
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("ballast");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 256 * 1024];
        while file.write_all(&chunk).is_ok() {}
        // The last bytes, a page at a time.
        while file.write_all(&chunk[..4096]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_embedded_store_on_a_disk_that_fills_up_and_is_freed() {
    let _serial = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&dir.path().join("data"), "96m");
    let toml = format!(
        "insecure_dev_players = true\ndata_dir = {:?}\n[limits]\nsessions_per_address_per_min = 1000000\n",
        disk.0
    );
    let mut server = Server::start(dir.path(), &toml);
    let ballast = std::sync::Mutex::new(None);
    let (figures, report) = outage(
        &server,
        load(&server, 200, 16),
        Duration::from_secs(4),
        async { *ballast.lock().unwrap() = Some(disk.fill()) },
        Duration::from_secs(8),
        async { std::fs::remove_file(ballast.lock().unwrap().take().unwrap()).unwrap() },
    )
    .await;
    figures.print("disk_full");
    // Noticed at the first failed commit, which comes when SQLite needs new space (seconds, by
    // where the WAL is in its cycle): from there, five failures in a row open the breaker.
    let first_failure = figures.first_failure_ms.expect("a commit failed before the breaker opened");
    assert!(figures.detect_ms - first_failure < 1_000, "{figures:?}");
    assert!(figures.recover_ms < 5_000, "{figures:?}");

    // What was acknowledged is on the disk, not only in the server's memory.
    server.kill();
    let restarted = Server::start_with(&dir.path().join("server.toml"), dir.path(), &[]);
    let v = verify(&report.records, Some(&restarted.url)).await;
    assert!(v.problems.is_empty(), "after a restart: {:?}", &v.problems[..v.problems.len().min(5)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_store_makes_bounded_queues_and_timeouts_not_unbounded_memory() {
    let _serial = SERIAL.lock().await;
    let nats = Nats::start();
    let target = nats.url.trim_start_matches("nats://").parse().unwrap();
    let proxy = DelayProxy::start(target).await;
    let dir = tempfile::tempdir().unwrap();
    let max_in_flight = 64;
    let toml = nats_config(
        dir.path(),
        &format!("nats://{}", proxy.addr),
        &format!("timeout_ms = 1000\nmax_in_flight = {max_in_flight}"),
    );
    let server = Server::start(dir.path(), &toml);
    let http = reqwest::Client::new();

    // While the store answers 3 s late: how much memory, and how many operations wait on it.
    let watching = std::sync::atomic::AtomicBool::new(true);
    let watch = async {
        let (mut rss, mut in_flight) = (0u64, 0i64);
        while watching.load(std::sync::atomic::Ordering::Relaxed) {
            rss = rss.max(server.rss_kib());
            let text = http.get(format!("{}/metrics", server.url)).send().await.unwrap().text().await.unwrap();
            let now = text.lines().find_map(|l| l.strip_prefix("xmarks_store_in_flight ")).unwrap().parse().unwrap();
            in_flight = in_flight.max(now);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (rss, in_flight)
    };
    let before = server.rss_kib();
    let delay = &proxy.delay_ms;
    let scenario = async {
        let result = outage(
            &server,
            load(&server, 300, 16),
            Duration::from_secs(4),
            async { delay.store(3_000, std::sync::atomic::Ordering::Relaxed) },
            Duration::from_secs(8),
            async { delay.store(0, std::sync::atomic::Ordering::Relaxed) },
        )
        .await;
        watching.store(false, std::sync::atomic::Ordering::Relaxed);
        result
    };
    let ((figures, _), (peak_rss, peak_in_flight)) = tokio::join!(scenario, watch);
    figures.print("nats_slow");
    println!("rss before {before} KiB, peak {peak_rss} KiB; store operations in flight at most {peak_in_flight}");
    assert!(peak_in_flight <= max_in_flight, "{peak_in_flight} operations in flight");
    assert!(peak_rss < before + 64 * 1024, "memory grew from {before} KiB to {peak_rss} KiB");
    // Found by timeouts: the breaker opens after its failures in a row, each a timeout.
    assert!(figures.detect_ms < 4_000, "{figures:?}");
    assert!(figures.recover_ms < 8_000, "{figures:?}");
}
