//! Real processes for the server's tests: `xmarks-server` binaries and a `nats-server` with
//! JetStream, on loopback ports, killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts `xmarks-server --config <dir>/server.toml` (written from `toml`) on a free port.
    pub fn start(dir: &Path, toml: &str) -> Server {
        let config = dir.join("server.toml");
        std::fs::write(&config, toml).unwrap();
        Server::start_with(&config, dir, &[])
    }

    pub fn start_with(config: &Path, dir: &Path, extra: &[&str]) -> Server {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("server.log")).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_xmarks-server"))
            .arg("--config")
            .arg(config)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the server did not start: {}",
                    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
                )
            }
        };
        Server { child, url }
    }

    /// SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `nats-server -js` on loopback, storing in its own directory.
pub struct Nats {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Nats {
    /// Starts it on a port it picks itself (no race for a free port with other tests) and returns
    /// once it says it is ready, JetStream included (a port that accepts is not yet that).
    pub fn start() -> Nats {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", "-1", "-sd"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nats-server must be installed (the README's test command installs it)");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut port = None;
            // Read to the end, so that the server never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some((_, p)) = line.split_once("Listening for client connections on 127.0.0.1:") {
                    port = p.trim().parse::<u16>().ok();
                }
                if line.contains("Server is ready") {
                    if let Some(port) = port.take() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let port = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("nats-server did not say it was ready within 20 s")
        });
        Nats { child, url: format!("nats://127.0.0.1:{port}"), _dir: dir }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A secret file for servers that must share one.
pub fn secret(dir: &Path) -> PathBuf {
    let path = dir.join("secret");
    std::fs::write(&path, "a test secret shared by every server").unwrap();
    path
}

/// A ruleset with the default rules' stage finding plus a capped crown: the first `limit`
/// players to send a tick get it.
pub fn crown_rules(key: &str, limit: u64) -> String {
    serde_json::json!({
        "id": format!("crown-{key}"),
        "rules": [{
            "id": "crown", "on": ["tick"], "once": true,
            "then": [{ "give_item": "crown" }],
            "cap": { "key": key, "limit": limit }
        }]
    })
    .to_string()
}

pub fn sprint_template() -> &'static str {
    include_str!("../../templates/sprint.json")
}

/// `players` open a session on `template` (spread over `urls`) and send a tick at once; returns
/// how many were granted the crown.
pub async fn race(urls: &[String], players: usize, template: &str) -> usize {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..players {
        let http = http.clone();
        let url = urls[i % urls.len()].clone();
        let template = template.to_owned();
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({"template": template, "player": {"id": format!("racer-{i}"), "start": {"x": 0, "y": 0}}});
            let created: serde_json::Value =
                http.post(format!("{url}/v1/sessions")).json(&body).send().await.unwrap().json().await.unwrap();
            let tick = format!(r#"{{"type":"tick","t":{}}}"#, created["started_ms"].as_u64().unwrap() + 1);
            let answer: serde_json::Value = http
                .post(format!("{url}/v1/sessions/{}/events", created["session"].as_str().unwrap()))
                .bearer_auth(created["token"].as_str().unwrap())
                .body(tick)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let result = &answer["results"][0];
            let granted = result["host_events"][0]["granted"].as_bool().expect("a claim result");
            let crowned = result["outcomes"].as_array().unwrap().iter().any(|o| o["item"] == "crown");
            assert_eq!(granted, crowned, "{answer}");
            granted
        }));
    }
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    winners
}
