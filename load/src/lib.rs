//! # xmarks-load
//!
//! Simulated players for the reference server, on loopback: each opens a session over HTTP,
//! connects its WebSocket, walks its hunt (the core's scripted player, one event a second of real
//! time, so the server's clock checks hold) and digs until it finishes, then starts the next hunt
//! until the run ends. Players start evenly over the ramp-up. Every event's round trip (send to
//! answer, durable) is measured.
//!
//! With `verify`, each player keeps the canonical JSON of every event the server acknowledged;
//! [`verify`] then fetches every session's log, checks that it replays, that it begins with exactly
//! those events, and that replaying that prefix gives the state hash the server acknowledged.

pub mod event;
pub mod team;

use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use xmarks::session::{log, script::walkthrough_view, Event};
use xmarks::HuntView;

#[derive(Debug, Clone)]
pub struct Options {
    /// Servers' base URLs (`http://127.0.0.1:8080`); players are spread over them in turn.
    pub urls: Vec<String>,
    pub players: usize,
    /// How long the run lasts, ramp-up included.
    pub duration: Duration,
    /// Players start evenly over this time.
    pub ramp: Duration,
    /// Round trips in this first part of the run are not counted in the latency figures.
    pub warmup: Duration,
    pub template: String,
    /// Player ids are this prefix and a number.
    pub prefix: String,
    /// Keep acknowledged events for [`verify`].
    pub verify: bool,
    /// After a connection error, go on with the next server (it rebuilds the session by replay).
    pub failover: bool,
    /// Keep every round trip's time and result in [`Report::timeline`].
    pub timeline: bool,
    /// Sign each player's token, as the game's backend would, for servers that verify them.
    pub signer: Option<Signer>,
}

/// Signs players' tokens (JWT, HS256) as a game's backend would.
#[derive(Clone)]
pub struct Signer {
    kid: String,
    key: jsonwebtoken::EncodingKey,
    audience: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.kid)
    }
}

impl Signer {
    pub fn new(kid: &str, secret: &[u8], audience: &str) -> Signer {
        Signer { kid: kid.into(), key: jsonwebtoken::EncodingKey::from_secret(secret), audience: audience.into() }
    }

    /// A token for `player`, valid for an hour; `admin` for the backend's own.
    pub fn token(&self, player: &str, admin: bool) -> String {
        let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 3600;
        let mut claims = serde_json::json!({ "sub": player, "aud": self.audience, "exp": exp });
        if admin {
            claims["scope"] = "admin".into();
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("HS256 signs anything")
    }
}

/// What [`open_and_read`] measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpenReport {
    pub players: usize,
    pub opened_per_s: f64,
    pub open_p50_ms: f64,
    pub open_p99_ms: f64,
    pub profile_reads_per_s: f64,
    pub profile_p50_ms: f64,
    pub profile_p99_ms: f64,
    /// With `compact`: sessions compacted per second once they all ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compacted_per_s: Option<f64>,
}

/// Opens one session for each of `players` players (`concurrency` at a time), then reads each
/// player's profile (`GET /v1/players/{id}`) with the backend's token: throughput and latency
/// of both. With `compact`, the template's time limit must be a second: then every session is
/// ended by a tick once it has run out, and the time until the server has compacted them all
/// (its `xmarks_sessions_compacted` counter) gives a rate.
pub async fn open_and_read(
    url: &str,
    players: usize,
    concurrency: usize,
    template: &str,
    signer: Option<&Signer>,
    compact: bool,
) -> Result<OpenReport> {
    let opened = std::sync::Mutex::new(Vec::with_capacity(if compact { players } else { 0 }));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let admin = signer.map(|s| s.token("backend", true));
    let open = |i: usize| {
        let (http, signer, opened) = (http.clone(), signer.cloned(), &opened);
        let body = serde_json::json!({
            "template": template, "player": { "id": format!("p{i}"), "start": { "x": 0.0, "y": 0.0 } },
        });
        let url = format!("{url}/v1/sessions");
        async move {
            let mut request = http.post(url).json(&body);
            if let Some(signer) = &signer {
                request = request.bearer_auth(signer.token(&format!("p{i}"), false));
            }
            let response = request.send().await?;
            if !response.status().is_success() {
                bail!("open: HTTP {}: {}", response.status().as_u16(), response.text().await.unwrap_or_default());
            }
            if compact {
                let created: Created = response.json().await?;
                opened.lock().expect("opened lock").push((created.session, created.token, created.started_ms));
            }
            Ok(())
        }
    };
    let read = |i: usize| {
        let (http, admin) = (http.clone(), admin.clone());
        let url = format!("{url}/v1/players/p{i}");
        async move {
            let mut request = http.get(url);
            if let Some(admin) = &admin {
                request = request.bearer_auth(admin);
            }
            let response = request.send().await?;
            if !response.status().is_success() {
                bail!("profile: HTTP {}", response.status().as_u16());
            }
            Ok(())
        }
    };
    let (opened_per_s, open) = timed(players, concurrency, open).await?;
    let (profile_reads_per_s, read) = timed(players, concurrency, read).await?;
    let compacted_per_s = if compact {
        Some(end_and_compact(&http, url, opened.into_inner().expect("opened lock")).await?)
    } else {
        None
    };
    let ms = |h: &Histogram<u64>, q| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(OpenReport {
        compacted_per_s,
        players,
        opened_per_s,
        open_p50_ms: ms(&open, 0.5),
        open_p99_ms: ms(&open, 0.99),
        profile_reads_per_s,
        profile_p50_ms: ms(&read, 0.5),
        profile_p99_ms: ms(&read, 0.99),
    })
}

/// Ends every session with a tick after its one-second limit, then waits until the server's
/// compaction counter has grown by as many: sessions compacted per second.
async fn end_and_compact(http: &reqwest::Client, url: &str, sessions: Vec<(String, String, u64)>) -> Result<f64> {
    let counter = || async {
        let text = http.get(format!("{url}/metrics")).send().await?.text().await?;
        let line = text.lines().find(|l| l.starts_with("xmarks_sessions_compacted_total ")).unwrap_or("x 0");
        Ok::<f64, anyhow::Error>(line.split(' ').nth(1).and_then(|n| n.parse().ok()).unwrap_or(0.0))
    };
    let before = counter().await?;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let end = |i: usize| {
        let (session, token, started) = &sessions[i];
        let request = http
            .post(format!("{url}/v1/sessions/{session}/events"))
            .bearer_auth(token)
            .body(format!(r#"{{"type":"tick","t":{}}}"#, started + 1_100));
        async move {
            let response = request.send().await?;
            if !response.status().is_success() {
                bail!("tick: HTTP {}", response.status().as_u16());
            }
            Ok(())
        }
    };
    timed(sessions.len(), 64, end).await?;
    let ended = Instant::now();
    let target = before + sessions.len() as f64;
    while counter().await? < target {
        if ended.elapsed() > Duration::from_secs(600) {
            bail!("the server did not compact every session within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(sessions.len() as f64 / ended.elapsed().as_secs_f64())
}

/// Runs `task(0..n)`, `concurrency` at a time: per second, and each one's latency.
async fn timed<F, Fut>(n: usize, concurrency: usize, task: F) -> Result<(f64, Histogram<u64>)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    use futures_util::stream::{self, StreamExt as _};
    let start = Instant::now();
    let latencies: Vec<Result<u64>> = stream::iter(0..n)
        .map(|i| {
            let started = Instant::now();
            let run = task(i);
            async move { run.await.map(|()| started.elapsed().as_micros().max(1) as u64) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let seconds = start.elapsed().as_secs_f64();
    let mut histogram = hist();
    for latency in latencies {
        histogram.record(latency?)?;
    }
    Ok((n as f64 / seconds, histogram))
}

impl Default for Options {
    fn default() -> Self {
        Options {
            urls: vec!["http://127.0.0.1:8080".into()],
            players: 100,
            duration: Duration::from_secs(30),
            ramp: Duration::from_secs(10),
            warmup: Duration::from_secs(10),
            template: "sprint".into(),
            prefix: "player-".into(),
            verify: false,
            failover: false,
            timeline: false,
            signer: None,
        }
    }
}

/// What one session saw acknowledged.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub url: String,
    pub session: String,
    pub token: String,
    /// The seq and state hash of the last acknowledgement.
    pub seq: u64,
    pub state_hash: String,
    /// Canonical JSON of every acknowledged event, the server's claim results included (with
    /// `verify`).
    pub events: Vec<String>,
}

/// One event's round trip.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// When it was sent, in ms since the run started.
    pub at_ms: u32,
    pub latency_us: u32,
    /// Accepted or rejected by the game (an answer), rather than refused or failed.
    pub answered: bool,
}

#[derive(Debug, Default, Clone)]
pub struct Report {
    pub players: usize,
    pub elapsed: Duration,
    pub sessions: u64,
    pub hunts_finished: u64,
    pub events_sent: u64,
    pub accepted: u64,
    pub rejected: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    pub failovers: u64,
    /// Events a server made durable without its answer reaching the player (found in the log
    /// after a failover or an `unavailable`, and adopted rather than sent again).
    pub adopted: u64,
    /// Event round trips after the warm-up, in microseconds.
    pub latency_us: Option<Histogram<u64>>,
    pub create_us: Option<Histogram<u64>>,
    pub measured: Duration,
    pub records: Vec<SessionRecord>,
    /// Every round trip, in no particular order (with [`Options::timeline`]).
    pub timeline: Vec<Sample>,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.sessions += other.sessions;
        self.hunts_finished += other.hunts_finished;
        self.events_sent += other.events_sent;
        self.accepted += other.accepted;
        self.failovers += other.failovers;
        self.adopted += other.adopted;
        for (k, v) in other.rejected {
            *self.rejected.entry(k).or_default() += v;
        }
        for (k, v) in other.errors {
            *self.errors.entry(k).or_default() += v;
        }
        self.records.extend(other.records);
        self.timeline.extend(other.timeline);
    }

    fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }

    /// Round trips answered per second, after the warm-up.
    pub fn throughput(&self) -> f64 {
        let n = self.latency_us.as_ref().map_or(0, |h| h.len());
        n as f64 / self.measured.as_secs_f64().max(1e-9)
    }

    /// A latency quantile in milliseconds.
    pub fn latency_ms(&self, q: f64) -> f64 {
        self.latency_us.as_ref().map_or(f64::NAN, |h| h.value_at_quantile(q) as f64 / 1000.0)
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn summary_json(&self) -> serde_json::Value {
        let create = |q| self.create_us.as_ref().map_or(f64::NAN, |h| h.value_at_quantile(q) as f64 / 1000.0);
        serde_json::json!({
            "players": self.players,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "measured_s": self.measured.as_secs_f64(),
            "sessions": self.sessions,
            "hunts_finished": self.hunts_finished,
            "events_sent": self.events_sent,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": self.errors,
            "failovers": self.failovers,
            "adopted": self.adopted,
            "throughput_per_s": self.throughput(),
            "p50_ms": self.latency_ms(0.5),
            "p99_ms": self.latency_ms(0.99),
            "p999_ms": self.latency_ms(0.999),
            "max_ms": self.latency_ms(1.0),
            "create_p50_ms": create(0.5),
            "create_p99_ms": create(0.99),
        })
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "players            {}", self.players)?;
        writeln!(
            f,
            "run                {:.1} s ({:.1} s measured after warm-up)",
            self.elapsed.as_secs_f64(),
            self.measured.as_secs_f64()
        )?;
        writeln!(f, "sessions opened    {}", self.sessions)?;
        writeln!(f, "hunts finished     {}", self.hunts_finished)?;
        writeln!(f, "events sent        {}", self.events_sent)?;
        writeln!(f, "accepted           {}", self.accepted)?;
        writeln!(f, "rejected           {} {:?}", self.rejected.values().sum::<u64>(), self.rejected)?;
        writeln!(f, "errors             {} {:?}", self.error_count(), self.errors)?;
        if self.failovers > 0 {
            writeln!(f, "failovers          {}", self.failovers)?;
        }
        if self.adopted > 0 {
            writeln!(f, "stored unanswered  {}", self.adopted)?;
        }
        writeln!(f, "throughput         {:.0} events/s", self.throughput())?;
        writeln!(
            f,
            "event round trip   p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            self.latency_ms(0.5),
            self.latency_ms(0.99),
            self.latency_ms(0.999),
            self.latency_ms(1.0)
        )
    }
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

#[derive(Deserialize)]
struct Created {
    session: String,
    token: String,
    started_ms: u64,
    hunt: Box<RawValue>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    results: Vec<serde_json::Value>,
    seq: Option<u64>,
    state_hash: Option<String>,
    status: Option<String>,
    error: Option<serde_json::Value>,
}

struct Run {
    options: Options,
    start: Instant,
    /// Shared by every player: a histogram is 160 KB, too much to keep one per player.
    latency: std::sync::Mutex<Histogram<u64>>,
    create: std::sync::Mutex<Histogram<u64>>,
    http: reqwest::Client,
    deadline: Instant,
    warm: Instant,
}

/// Runs the players and gathers their figures.
pub async fn run(options: Options) -> Result<Report> {
    if options.urls.is_empty() || options.players == 0 {
        bail!("need at least one server and one player");
    }
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
    let start = Instant::now();
    let run = Arc::new(Run {
        latency: std::sync::Mutex::new(hist()),
        create: std::sync::Mutex::new(hist()),
        deadline: start + options.duration,
        warm: start + options.warmup,
        start,
        http,
        options: options.clone(),
    });
    let mut tasks = Vec::with_capacity(options.players);
    for i in 0..options.players {
        let run = Arc::clone(&run);
        let delay = options.ramp.mul_f64(i as f64 / options.players as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            player(&run, i).await
        }));
    }
    let mut report = Report { players: options.players, ..Report::default() };
    for task in tasks {
        report.merge(task.await.context("a player panicked")?);
    }
    report.latency_us = Some(run.latency.lock().expect("histogram lock").clone());
    report.create_us = Some(run.create.lock().expect("histogram lock").clone());
    report.elapsed = start.elapsed();
    report.measured = report.elapsed.saturating_sub(options.warmup);
    Ok(report)
}

fn ws_url(base: &str, session: &str, token: &str) -> String {
    let base = base.replacen("http://", "ws://", 1);
    format!("{base}/v1/sessions/{session}/ws?token={token}")
}

/// One simulated player: hunts one after another until the deadline.
async fn player(run: &Run, i: usize) -> Report {
    let mut report = Report::default();
    let urls = &run.options.urls;
    let mut server = i % urls.len();
    let mut round = 1;
    while Instant::now() < run.deadline {
        match hunt(run, i, round, &mut server, &mut report).await {
            Ok(true) => report.hunts_finished += 1,
            Ok(false) => break,
            Err(e) => {
                report.error(&e.to_string());
                break;
            }
        }
        round += 1;
    }
    report
}

/// Opens a session and plays it; `Ok(true)` when the hunt was finished.
async fn hunt(run: &Run, i: usize, round: u64, server: &mut usize, report: &mut Report) -> Result<bool> {
    let urls = &run.options.urls;
    let request = serde_json::json!({
        "template": run.options.template,
        "player": { "id": format!("{}{i}", run.options.prefix), "start": { "x": 0.0, "y": 0.0 } },
        "round": round,
    });
    let sent = Instant::now();
    let response = loop {
        let mut post = run.http.post(format!("{}/v1/sessions", urls[*server])).json(&request);
        if let Some(signer) = &run.options.signer {
            post = post.bearer_auth(signer.token(&format!("{}{i}", run.options.prefix), false));
        }
        let response = post.send().await.map_err(|_| anyhow!("create: connection"))?;
        // Refused for now (the store is failing, or too many requests): wait as told, as a game
        // client would.
        let status = response.status().as_u16();
        if matches!(status, 429 | 503) {
            report.error(&format!("create: HTTP {status}"));
            if !wait_to_retry(run, header_seconds(&response)).await {
                return Ok(false);
            }
            continue;
        }
        if !response.status().is_success() {
            bail!("create: HTTP {status}");
        }
        break response;
    };
    let created: Created = response.json().await.map_err(|_| anyhow!("create: body"))?;
    if sent >= run.warm {
        run.create.lock().expect("histogram lock").record(sent.elapsed().as_micros().max(1) as u64)?;
    }
    report.sessions += 1;
    // The server hands out the player's view of the hunt; its difficulty-1 clues give coordinates.
    let view: HuntView = serde_json::from_str(created.hunt.get()).map_err(|e| anyhow!("create: hunt: {e}"))?;
    let events = walkthrough_view(&view, created.started_ms)
        .ok_or_else(|| anyhow!("create: the hunt's clues give no coordinates (the load walks difficulty 1 only)"))?;
    let mut record = SessionRecord {
        url: urls[*server].clone(),
        session: created.session,
        token: created.token,
        seq: 0,
        state_hash: String::new(),
        events: Vec::new(),
    };
    let result = walk(run, &events, created.started_ms, server, &mut record, report).await;
    if run.options.verify {
        report.records.push(record);
    }
    result
}

async fn connect(
    url: &str,
    record: &SessionRecord,
) -> Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>> {
    // Small buffers (the default is 128 KiB each way), so that 10,000 players fit in memory.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (socket, _) =
        tokio_tungstenite::connect_async_with_config(ws_url(url, &record.session, &record.token), Some(config), false)
            .await
            .map_err(|_| anyhow!("websocket: connect"))?;
    Ok(socket)
}

/// Sends the events one a second (event k at `started + k s`, as its `t` says) over a WebSocket.
async fn walk(
    run: &Run,
    events: &[Event],
    started_ms: u64,
    server: &mut usize,
    record: &mut SessionRecord,
    report: &mut Report,
) -> Result<bool> {
    let urls = &run.options.urls;
    let mut socket = connect(&urls[*server], record).await?;
    let opened = Instant::now() - Duration::from_millis(now_ms().saturating_sub(started_ms));
    let mut k = 0;
    // The player's own events the server has answered as accepted.
    let mut answered = 0;
    while k < events.len() {
        let event = &events[k];
        let due = opened + Duration::from_millis(event.t() - started_ms);
        if due > run.deadline {
            let _ = socket.close(None).await;
            return Ok(false);
        }
        tokio::time::sleep_until(due.into()).await;
        let text = event.canonical_json();
        let sent = Instant::now();
        report.events_sent += 1;
        let answer = match exchange(&mut socket, &text).await {
            Ok(answer) => answer,
            Err(e) if run.options.failover && urls.len() > 1 => {
                report.error(&e.to_string());
                report.failovers += 1;
                *server = (*server + 1) % urls.len();
                record.url = urls[*server].clone();
                k = resume(run, record).await?;
                report.adopted += (k as u64).saturating_sub(answered);
                answered = answered.max(k as u64);
                socket = connect(&urls[*server], record).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let latency = sent.elapsed().as_micros().max(1) as u64;
        if sent >= run.warm {
            run.latency.lock().expect("histogram lock").record(latency)?;
        }
        if run.options.timeline {
            let at_ms = sent.duration_since(run.start).as_millis() as u32;
            report.timeline.push(Sample { at_ms, latency_us: latency as u32, answered: answer.error.is_none() });
        }
        if let Some(error) = &answer.error {
            let code = error.get("code").and_then(|c| c.as_str()).unwrap_or("unknown");
            report.error(&format!("server: {code}"));
            if matches!(code, "unavailable" | "throttled") {
                // Not taken, or not known to be: wait as told, then carry on from what the
                // server holds (the event may have been stored without an answer).
                let wait = error.get("retry_after_s").and_then(|s| s.as_u64());
                if !wait_to_retry(run, wait).await {
                    let _ = socket.close(None).await;
                    return Ok(false);
                }
                if code == "unavailable" {
                    match resume_when_possible(run, record).await {
                        Some(next) => {
                            k = next;
                            report.adopted += (k as u64).saturating_sub(answered);
                            answered = answered.max(k as u64);
                        }
                        None => return Ok(false),
                    }
                }
                continue;
            }
            k += 1;
            continue;
        }
        let result = answer.results.first().ok_or_else(|| anyhow!("answer: no result"))?;
        if let Some(rejected) = result.get("rejected") {
            let code = rejected.get("code").and_then(|c| c.as_str()).unwrap_or("unknown");
            *report.rejected.entry(code.to_owned()).or_default() += 1;
        } else {
            report.accepted += 1;
            answered += 1;
            if run.options.verify {
                record.events.push(text);
                for host in result.get("host_events").and_then(|h| h.as_array()).into_iter().flatten() {
                    record.events.push(serde_json::from_value::<Event>(host.clone())?.canonical_json());
                }
            }
            record.seq = answer.seq.unwrap_or(record.seq);
            record.state_hash = answer.state_hash.clone().unwrap_or_default();
        }
        k += 1;
        if answer.status.as_deref() != Some("active") {
            let _ = socket.close(None).await;
            return Ok(answer.status.as_deref() == Some("completed"));
        }
    }
    let _ = socket.close(None).await;
    Ok(false)
}

async fn exchange(
    socket: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    text: &str,
) -> Result<Answer> {
    socket.send(Message::text(text)).await.map_err(|_| anyhow!("websocket: send"))?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(reply))) => {
                return serde_json::from_str(&reply).map_err(|_| anyhow!("answer: not JSON"))
            }
            Some(Ok(Message::Close(_))) | None => bail!("websocket: closed"),
            Some(Ok(_)) => continue,
            Some(Err(_)) => bail!("websocket: broken"),
        }
    }
}

/// After a failover: reads the session's log from the new server, adopts every event it holds
/// (an event may have been made durable without its answer arriving) and returns the index of
/// the next of the player's own events to send.
async fn resume(run: &Run, record: &mut SessionRecord) -> Result<usize> {
    let text = fetch_log(&run.http, record).await?;
    let replay = log::replay(&text).map_err(|e| anyhow!("resume: {e}"))?;
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let mut own = 0;
    if run.options.verify {
        record.events.clear();
    }
    for line in &lines {
        let event = event_of(line)?;
        if !matches!(event, Event::ClaimResult { .. }) {
            own += 1;
        }
        if run.options.verify {
            record.events.push(event.canonical_json());
        }
    }
    record.seq = replay.session.state().seq;
    record.state_hash = replay.session.state_hash();
    Ok(own)
}

/// The seconds of a `Retry-After` header.
fn header_seconds(response: &reqwest::Response) -> Option<u64> {
    response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.parse().ok()
}

/// Waits `seconds` (1 when not said, at most 5), unless the run ends first: then false.
async fn wait_to_retry(run: &Run, seconds: Option<u64>) -> bool {
    let wait = Duration::from_secs(seconds.unwrap_or(1).clamp(1, 5));
    if Instant::now() + wait >= run.deadline {
        return false;
    }
    tokio::time::sleep(wait).await;
    true
}

/// [`resume`], tried again while the server cannot read the session yet; `None` when the run
/// ends first.
async fn resume_when_possible(run: &Run, record: &mut SessionRecord) -> Option<usize> {
    loop {
        match resume(run, record).await {
            Ok(next) => return Some(next),
            Err(_) if wait_to_retry(run, Some(1)).await => continue,
            Err(_) => return None,
        }
    }
}

fn event_of(line: &str) -> Result<Event> {
    Ok(serde_json::from_str::<log::Line>(line).context("a log line")?.event.event)
}

async fn fetch_log(http: &reqwest::Client, record: &SessionRecord) -> Result<String> {
    let response = http
        .get(format!("{}/v1/sessions/{}/log", record.url, record.session))
        .bearer_auth(&record.token)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("log of {}: HTTP {}", record.session, response.status().as_u16());
    }
    Ok(response.text().await?)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// What [`verify`] found.
#[derive(Debug, Default)]
pub struct Verification {
    pub sessions: usize,
    /// Acknowledged events found in the servers' logs.
    pub events: u64,
    pub problems: Vec<String>,
}

/// Checks every record against the log a server now holds (from `url`, or the record's own
/// server): the log replays, begins with exactly the acknowledged events, and its prefix up to
/// the last acknowledgement replays to the acknowledged state hash.
pub async fn verify(records: &[SessionRecord], url: Option<&str>) -> Verification {
    let http = reqwest::Client::new();
    let mut v = Verification::default();
    for record in records {
        v.sessions += 1;
        let mut record = record.clone();
        if let Some(url) = url {
            record.url = url.to_owned();
        }
        if let Err(e) = verify_one(&http, &record, &mut v).await {
            v.problems.push(format!("{}: {e:#}", record.session));
        }
    }
    v
}

async fn verify_one(http: &reqwest::Client, record: &SessionRecord, v: &mut Verification) -> Result<()> {
    let text = fetch_log(http, record).await?;
    log::replay(&text).map_err(|e| anyhow!("the stored log does not replay: {e}"))?;
    let lines: Vec<&str> = text.lines().collect();
    let acked = record.events.len();
    if lines.len() < acked + 1 {
        bail!("{} events acknowledged, {} stored", acked, lines.len() - 1);
    }
    for (k, expected) in record.events.iter().enumerate() {
        if event_of(lines[k + 1])?.canonical_json() != *expected {
            bail!("stored event {} differs from the acknowledged one", k + 1);
        }
    }
    if acked > 0 {
        let prefix = lines[..acked + 1].join("\n");
        let replay = log::replay(&prefix).map_err(|e| anyhow!("the acknowledged prefix does not replay: {e}"))?;
        if replay.session.state().seq != record.seq || replay.session.state_hash() != record.state_hash {
            bail!("the acknowledged prefix replays to another state");
        }
    }
    v.events += acked as u64;
    Ok(())
}
