//! Real processes for the server's tests: `xmarks-server` binaries and a `nats-server` with
//! JetStream, on loopback ports, killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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
        let mut child = command(config, extra).stderr(log).spawn().unwrap();
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

    /// Resident memory of the process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// `GET /healthz`: the HTTP status and the body.
    pub async fn health(&self, http: &reqwest::Client) -> (u16, serde_json::Value) {
        match http.get(format!("{}/healthz", self.url)).timeout(Duration::from_secs(2)).send().await {
            Ok(r) => (r.status().as_u16(), r.json().await.unwrap_or_default()),
            Err(_) => (0, serde_json::Value::Null),
        }
    }

    /// Waits until the store's breaker is in `state`; returns when it got there, or `None`.
    pub async fn await_breaker(&self, http: &reqwest::Client, state: &str, within: Duration) -> Option<Instant> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.health(http).await.1["breaker"] == state {
                return Some(Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}

/// `xmarks-server --config <config> --listen 127.0.0.1:0 <extra>`, its stdout piped.
fn command(config: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xmarks-server"));
    command.arg("--config").arg(config).args(["--listen", "127.0.0.1:0"]).args(extra).stdout(Stdio::piped());
    command
}

/// Posts `body` (an event or a batch) to the session `created` (the answer that opened it) on
/// `url`, with its token; returns the answer.
pub async fn send(http: &reqwest::Client, url: &str, created: &serde_json::Value, body: String) -> serde_json::Value {
    http.post(format!("{url}/v1/sessions/{}/events", created["session"].as_str().unwrap()))
        .bearer_auth(created["token"].as_str().unwrap())
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `xmarks-server` with `config` and `extra` flags, expecting it to refuse to start: returns
/// what it wrote on stderr. Panics if it starts listening, or has not exited within 30 s.
pub fn fails_to_start(config: &Path, extra: &[&str]) -> String {
    let mut child = command(config, extra).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server neither started nor gave up within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!status.success(), "it exited successfully: {stderr}");
    assert!(!stdout.contains("listening"), "it started listening before failing: {stdout}");
    stderr
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
    child: Option<Child>,
    pub url: String,
    port: u16,
    extra: Vec<String>,
    dir: tempfile::TempDir,
}

/// Spawns `nats-server` with `args` and waits until it says it is ready, JetStream included (a
/// port that accepts is not yet that); returns it and its client port.
fn spawn_nats(args: &[String]) -> (Child, u16) {
    let mut child = Command::new("nats-server")
        .args(args)
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
    let port = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("nats-server {args:?} did not say it was ready within 30 s")
    });
    (child, port)
}

impl Nats {
    /// Starts it on a port it picks itself (no race for a free port with other tests).
    pub fn start() -> Nats {
        Nats::start_with(&[])
    }

    /// With more flags (`--user`, `--pass`...).
    pub fn start_with(extra: &[&str]) -> Nats {
        let dir = tempfile::tempdir().unwrap();
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, port) = spawn_nats(&Nats::args(dir.path(), -1, &extra));
        Nats { child: Some(child), url: format!("nats://127.0.0.1:{port}"), port, extra, dir }
    }

    fn args(dir: &Path, port: i32, extra: &[String]) -> Vec<String> {
        let mut args: Vec<String> = ["-js", "-a", "127.0.0.1", "-p"].iter().map(|s| s.to_string()).collect();
        args.push(port.to_string());
        args.push("-sd".into());
        args.push(dir.display().to_string());
        args.extend(extra.iter().cloned());
        args
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Starts it again on the same port with the same storage; returns once it is ready.
    pub fn restart(&mut self) {
        self.kill();
        let (child, _) = spawn_nats(&Nats::args(self.dir.path(), i32::from(self.port), &self.extra));
        self.child = Some(child);
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A JetStream cluster of `nats-server`s on loopback: routes between them, file storage, each
/// with a monitoring port.
pub struct NatsCluster {
    nodes: Vec<Option<Child>>,
    /// Client ports, route ports and monitoring ports, by node.
    ports: Vec<(u16, u16, u16)>,
    dir: tempfile::TempDir,
}

impl NatsCluster {
    pub fn start(size: usize) -> NatsCluster {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<_> = (0..size).map(|_| (free_port(), free_port(), free_port())).collect();
        let mut cluster = NatsCluster { nodes: (0..size).map(|_| None).collect(), ports, dir };
        for i in 0..size {
            cluster.write_config(i);
        }
        // All at once: a node waits for the others before JetStream is ready.
        let spawned: Vec<_> = (0..size)
            .map(|i| {
                let args = cluster.args(i);
                std::thread::spawn(move || spawn_nats(&args).0)
            })
            .collect();
        for (i, s) in spawned.into_iter().enumerate() {
            cluster.nodes[i] = Some(s.join().unwrap());
        }
        cluster
    }

    fn write_config(&self, i: usize) {
        let (client, route, http) = self.ports[i];
        let routes: Vec<String> =
            self.ports.iter().map(|(_, r, _)| format!("\"nats-route://127.0.0.1:{r}\"")).collect();
        let store = self.dir.path().join(format!("n{i}"));
        let config = format!(
            "server_name: n{i}\nlisten: 127.0.0.1:{client}\nhttp: 127.0.0.1:{http}\n\
             jetstream {{ store_dir: {store:?} }}\n\
             cluster {{ name: xmarks, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
            routes.join(", ")
        );
        std::fs::write(self.dir.path().join(format!("n{i}.conf")), config).unwrap();
    }

    fn args(&self, i: usize) -> Vec<String> {
        vec!["-c".into(), self.dir.path().join(format!("n{i}.conf")).display().to_string()]
    }

    /// Every node's client URL, comma-separated.
    pub fn urls(&self) -> String {
        self.ports.iter().map(|(c, _, _)| format!("nats://127.0.0.1:{c}")).collect::<Vec<_>>().join(",")
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.nodes[i] = Some(spawn_nats(&self.args(i)).0);
    }

    /// `/jsz` of node `i`: its own view of every stream.
    pub async fn jsz(&self, i: usize) -> serde_json::Value {
        let url = format!("http://127.0.0.1:{}/jsz?accounts=true&streams=true", self.ports[i].2);
        match reqwest::get(url).await {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    }

    /// Waits until the nodes have elected a JetStream meta leader (streams can be created).
    pub async fn await_meta_leader(&self) {
        for _ in 0..300 {
            let jsz = self.jsz(0).await;
            if jsz["meta_cluster"]["leader"].as_str().is_some_and(|l| !l.is_empty()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the cluster elected no JetStream meta leader within 30 s")
    }

    /// Node `i`'s replica of `stream`: its last sequence and its leader's name, as node `i`
    /// sees them.
    pub async fn stream_state(&self, i: usize, stream: &str) -> Option<(u64, String)> {
        let jsz = self.jsz(i).await;
        for account in jsz["account_details"].as_array()? {
            for s in account["stream_detail"].as_array().into_iter().flatten() {
                if s["name"] == stream {
                    let leader = s["cluster"]["leader"].as_str().unwrap_or_default().to_owned();
                    return Some((s["state"]["last_seq"].as_u64()?, leader));
                }
            }
        }
        None
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// A TCP proxy on loopback that holds every chunk of traffic, both ways, for a delay that can
/// be changed while it runs: a slow network or a slow store, without `tc`.
pub struct DelayProxy {
    pub addr: std::net::SocketAddr,
    pub delay_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl DelayProxy {
    pub async fn start(target: std::net::SocketAddr) -> DelayProxy {
        use std::sync::atomic::{AtomicU64, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let delay_ms = std::sync::Arc::new(AtomicU64::new(0));
        let delay = std::sync::Arc::clone(&delay_ms);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else { continue };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                for (mut from, mut to) in [(ri, wo), (ro, wi)] {
                    let delay = std::sync::Arc::clone(&delay);
                    // Chunks in order: read ones wait in a queue until their time has come.
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = from.read(&mut buf).await {
                            if n == 0 {
                                break;
                            }
                            let due = Instant::now() + Duration::from_millis(delay.load(Ordering::Relaxed));
                            if tx.send((due, buf[..n].to_vec())).is_err() {
                                break;
                            }
                        }
                    });
                    tokio::spawn(async move {
                        while let Some((due, chunk)) = rx.recv().await {
                            tokio::time::sleep_until(due.into()).await;
                            if to.write_all(&chunk).await.is_err() {
                                break;
                            }
                        }
                    });
                }
            }
        });
        DelayProxy { addr, delay_ms }
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
            let answer = send(&http, &url, &created, tick).await;
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

/// Polls `probe` every 100 ms until it gives something, for at most `within`.
pub async fn until<T, F, Fut>(within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < within, "not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Runs the bad-input catalogue's route cases of `entry` (`live_route`, `team_route`) against the
/// server at `url`: each recipe's method, path, token ("admin": `admin`, "player": some player's
/// token, "wrong": a wrong admin secret, "none") and body, and the error code it must get. Returns
/// how many ran and what went wrong.
pub async fn route_cases(entry: &str, http: &reqwest::Client, url: &str, admin: &str) -> (usize, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input/catalogue.json");
    let catalogue: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases: Vec<&serde_json::Value> =
        catalogue["cases"].as_array().unwrap().iter().filter(|c| c["entry"] == entry).collect();
    let mut failures = Vec::new();
    for case in &cases {
        let recipe = &case["input"];
        let method = reqwest::Method::from_bytes(recipe["method"].as_str().unwrap().as_bytes()).unwrap();
        let mut request = http.request(method, format!("{url}{}", recipe["path"].as_str().unwrap()));
        match recipe["token"].as_str().unwrap() {
            "admin" => request = request.bearer_auth(admin),
            "player" => request = request.bearer_auth("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl"),
            "wrong" => request = request.bearer_auth(format!("{admin}!")),
            _ => {}
        }
        if let Some(body) = recipe.get("body") {
            request = request.json(body);
        }
        if let Some(raw) = recipe["raw"].as_str() {
            request = request.header("content-type", "application/json").body(raw.to_owned());
        }
        let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap_or(serde_json::Value::Null);
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        if code != case["code"].as_str().unwrap() {
            failures.push(format!("{}: {code}, expected {} ({answer})", case["name"], case["code"]));
        }
    }
    (cases.len(), failures)
}

/// The admin secret of the servers [`start_dev`] starts.
pub const ADMIN: &str = "an admin secret of at least thirty-two bytes";

/// A client of one server's JSON API.
pub struct Api {
    pub http: reqwest::Client,
    pub url: String,
}

impl Api {
    /// A request with an optional bearer token and JSON body: the status and the JSON answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A call of the admin API, with [`ADMIN`].
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        self.call(method, path, Some(ADMIN), body).await
    }

    /// A GET that must answer 200.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        let (status, v) = self.call(reqwest::Method::GET, path, None, None).await;
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    /// A POST without a token.
    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.call(reqwest::Method::POST, path, None, Some(body)).await
    }
}

/// A server on the embedded store in `dir` with development players (no tokens from a backend),
/// the admin secret [`ADMIN`], and the clock check and rate limits opened wide for scripted play.
pub fn start_dev(dir: &Path) -> (Server, Api) {
    std::fs::write(dir.join("admin-secret"), ADMIN).unwrap();
    let toml = format!(
        "insecure_dev_players = true\ndata_dir = {:?}\nadmin_secret_file = {:?}\n[limits]\nmax_ahead_ms = 3600000\nrate_per_s = 1000\nburst = 1000\n",
        dir.join("data"),
        dir.join("admin-secret")
    );
    let server = Server::start(dir, &toml);
    let api = Api { http: reqwest::Client::new(), url: server.url.clone() };
    (server, api)
}
