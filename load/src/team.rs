//! Team mode: many teams playing at once, each member at one event a second.
//!
//! Each team is made as a game would make it (one member creates it, the others join with its
//! invite code, the first starts it and the others read their tokens), then every member opens
//! their own WebSocket and walks the hunt with the others, side by side, one move a second; the
//! stages' digs take turns. Measured: the round trip of each member's event (sent to answered),
//! and how long a teammate's event takes to reach the others (sent by one member to pushed to
//! another, both clocks being this process's). A team whose hunt ends makes a new team and goes on
//! until the run ends. Members' devices keep their own time: member `m` of `n` sends at `m/n` of
//! each second (a team's events on one session are applied one after another, each made durable
//! before the next, so five at the same millisecond would wait for five commits).

use super::{hist, Signer};
use anyhow::{anyhow, bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use xmarks::session::script::walkthrough_view;
use xmarks::session::Event;
use xmarks::HuntView;

#[derive(Debug, Serialize)]
pub struct TeamReport {
    pub teams: usize,
    pub members: usize,
    pub seconds: f64,
    pub teams_started: u64,
    pub hunts_finished: u64,
    pub events_sent: u64,
    pub events_per_s: f64,
    pub rejected: BTreeMap<String, u64>,
    pub errors: BTreeMap<String, u64>,
    /// Member's event sent to its answer, after the warm-up.
    pub round_trip_p50_ms: f64,
    pub round_trip_p99_ms: f64,
    pub round_trip_max_ms: f64,
    /// A member's event sent to its push reaching a teammate, after the warm-up.
    pub pushes: u64,
    pub teammate_p50_ms: f64,
    pub teammate_p99_ms: f64,
    pub teammate_max_ms: f64,
}

pub struct TeamOptions {
    pub url: String,
    pub teams: usize,
    pub size: usize,
    pub duration: Duration,
    pub ramp: Duration,
    pub warmup: Duration,
    pub template: String,
    pub signer: Option<Signer>,
}

struct Shared {
    options: TeamOptions,
    http: reqwest::Client,
    deadline: Instant,
    warm: Instant,
    round_trip: Mutex<Histogram<u64>>,
    teammate: Mutex<Histogram<u64>>,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    teams_started: u64,
    hunts_finished: u64,
    events_sent: u64,
    rejected: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
}

impl Shared {
    fn count(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut self.counts.lock().expect("counts lock"));
    }

    fn error(&self, what: &str) {
        self.count(|c| *c.errors.entry(what.to_owned()).or_default() += 1);
    }

    fn record(&self, histogram: &Mutex<Histogram<u64>>, since: Instant) {
        if since >= self.warm {
            let us = since.elapsed().as_micros().max(1) as u64;
            let _ = histogram.lock().expect("histogram lock").record(us);
        }
    }

    /// A request as `player`: their token if players are signed, else their id in the body.
    async fn call(&self, path: &str, player: &str, mut body: Value) -> Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.options.url));
        match &self.options.signer {
            Some(signer) => request = request.bearer_auth(signer.token(player, false)),
            None => body["player"] = json!(player),
        }
        let response = request.json(&body).send().await.map_err(|_| anyhow!("{path}: connection"))?;
        let status = response.status();
        let v: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: HTTP {} {}", status.as_u16(), v["error"]["code"].as_str().unwrap_or(""));
        }
        Ok(v)
    }

    async fn get(&self, path: &str, player: &str) -> Result<Value> {
        // Players' ids here are letters and digits: nothing to escape.
        let request = match &self.options.signer {
            Some(signer) => {
                self.http.get(format!("{}{path}", self.options.url)).bearer_auth(signer.token(player, false))
            }
            None => self.http.get(format!("{}{path}?player={player}", self.options.url)),
        };
        let response = request.send().await.map_err(|_| anyhow!("{path}: connection"))?;
        if !response.status().is_success() {
            bail!("{path}: HTTP {}", response.status().as_u16());
        }
        Ok(response.json().await?)
    }
}

pub async fn team_run(options: TeamOptions) -> Result<TeamReport> {
    if options.size < 2 {
        bail!("a team has 2 members or more");
    }
    let start = Instant::now();
    let shared = Arc::new(Shared {
        http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
        deadline: start + options.duration,
        warm: start + options.warmup,
        round_trip: Mutex::new(hist()),
        teammate: Mutex::new(hist()),
        counts: Mutex::new(Counts::default()),
        options,
    });
    let teams = shared.options.teams;
    let mut tasks = Vec::with_capacity(teams);
    for i in 0..teams {
        let shared = Arc::clone(&shared);
        let delay = shared.options.ramp.mul_f64(i as f64 / teams as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let mut round = 0;
            // A team whose hunt was won makes a new one; one the run's end cut short stops.
            while Instant::now() < shared.deadline {
                match play_team(&shared, i, round).await {
                    Ok(true) => round += 1,
                    Ok(false) => break,
                    Err(e) => {
                        shared.error(&e.to_string());
                        break;
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.context("a team panicked")?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let measured = (elapsed - shared.options.warmup.as_secs_f64()).max(1e-9);
    let rt = shared.round_trip.lock().expect("histogram lock").clone();
    let tm = shared.teammate.lock().expect("histogram lock").clone();
    let c = shared.counts.lock().expect("counts lock");
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Ok(TeamReport {
        teams,
        members: shared.options.size,
        seconds: elapsed,
        teams_started: c.teams_started,
        hunts_finished: c.hunts_finished,
        events_sent: c.events_sent,
        events_per_s: rt.len() as f64 / measured,
        rejected: c.rejected.clone(),
        errors: c.errors.clone(),
        round_trip_p50_ms: ms(&rt, 0.5),
        round_trip_p99_ms: ms(&rt, 0.99),
        round_trip_max_ms: rt.max() as f64 / 1000.0,
        pushes: tm.len(),
        teammate_p50_ms: ms(&tm, 0.5),
        teammate_p99_ms: ms(&tm, 0.99),
        teammate_max_ms: tm.max() as f64 / 1000.0,
    })
}

/// What the load reads of a message: a push's kind, member and event time.
#[derive(serde::Deserialize)]
struct Heard<'a> {
    #[serde(borrow)]
    push: Option<&'a str>,
    #[serde(borrow)]
    member: Option<&'a str>,
    event: Option<EventTime>,
}

#[derive(serde::Deserialize)]
struct EventTime {
    t: u64,
}

/// When each member's event was sent, by (member, t): the pushes of it are timed from there.
type SentAt = Arc<Mutex<HashMap<(String, u64), Instant>>>;

/// Makes team `i`'s `round`th team, starts it and plays its hunt with every member; whether they
/// won it.
async fn play_team(shared: &Arc<Shared>, i: usize, round: usize) -> Result<bool> {
    let o = &shared.options;
    let names: Vec<String> = (0..o.size).map(|m| format!("t{i}r{round}m{m}")).collect();
    let team = shared.call("/v1/teams", &names[0], json!({"template": o.template, "start": {"x": 0, "y": 0}})).await?;
    let id = team["team"].as_str().ok_or_else(|| anyhow!("create: no team"))?.to_owned();
    for name in &names[1..] {
        shared.call("/v1/teams/join", name, json!({"invite": team["invite"]})).await?;
    }
    let started = shared.call(&format!("/v1/teams/{id}/start"), &names[0], json!({})).await?;
    shared.count(|c| c.teams_started += 1);
    let session = started["session"].as_str().ok_or_else(|| anyhow!("start: no session"))?.to_owned();
    let mut tokens = vec![started["token"].as_str().unwrap_or_default().to_owned()];
    for name in &names[1..] {
        let v = shared.get(&format!("/v1/teams/{id}"), name).await?;
        tokens.push(v["token"].as_str().ok_or_else(|| anyhow!("team: no token"))?.to_owned());
    }
    let view: HuntView = serde_json::from_value(started["hunt"].clone()).context("start: hunt")?;
    let started_ms = started["started_ms"].as_u64().unwrap_or_default();
    let walk = walkthrough_view(&view, started_ms).ok_or_else(|| anyhow!("the load walks difficulty-1 hunts only"))?;
    let sent_at: SentAt = Arc::default();
    let over = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut members = Vec::new();
    for (m, token) in tokens.into_iter().enumerate() {
        let (shared, session, walk, sent_at, over) =
            (Arc::clone(shared), session.clone(), walk.clone(), Arc::clone(&sent_at), Arc::clone(&over));
        let name = names[m].clone();
        let size = o.size;
        members.push(tokio::spawn(async move {
            member(&shared, &session, &token, &name, m, size, &walk, started_ms, &sent_at, &over).await
        }));
    }
    let mut finished = false;
    for task in members {
        finished |= task.await.context("a member panicked")??;
    }
    if finished {
        shared.count(|c| c.hunts_finished += 1);
    }
    Ok(finished)
}

/// One member: walks with the others one event a second (their own moves, and the digs that are
/// theirs); pushes of teammates' events are timed as they arrive. `Ok(true)` once the hunt is won.
#[allow(clippy::too_many_arguments)]
async fn member(
    shared: &Shared,
    session: &str,
    token: &str,
    name: &str,
    m: usize,
    size: usize,
    walk: &[Event],
    started_ms: u64,
    sent_at: &SentAt,
    over: &std::sync::atomic::AtomicBool,
) -> Result<bool> {
    use std::sync::atomic::Ordering;
    let url = format!("{}/v1/sessions/{session}/ws?token={token}", shared.options.url.replacen("http://", "ws://", 1));
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .map_err(|_| anyhow!("websocket: connect"))?;
    let (mut sink, mut stream) = socket.split();
    // Answers go to the walk below; pushes are timed here, as soon as they arrive.
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let reader = {
        let sent_at = Arc::clone(sent_at);
        let warm = shared.warm;
        async move {
            let mut pushes = Vec::new();
            while let Some(Ok(message)) = stream.next().await {
                let Message::Text(text) = message else { continue };
                // Only what it needs of a push is read (10,000 members hear 40,000 a second).
                let Ok(heard) = serde_json::from_str::<Heard>(&text) else { continue };
                match heard.push {
                    Some("teammate") => {
                        let (Some(member), Some(event)) = (heard.member, heard.event) else { continue };
                        if let Some(&sent) = sent_at.lock().expect("sent lock").get(&(member.to_owned(), event.t)) {
                            if sent >= warm {
                                pushes.push(sent.elapsed().as_micros().max(1) as u64);
                            }
                        }
                    }
                    Some(_) => {}
                    None => {
                        let Ok(v) = serde_json::from_str::<Value>(&text) else { break };
                        if answers.send(v).is_err() {
                            break;
                        }
                    }
                }
            }
            pushes
        }
    };
    let reader = tokio::spawn(reader);
    let opened = Instant::now() - Duration::from_millis(crate::now_ms().saturating_sub(started_ms))
        + Duration::from_millis((m * 1000 / size) as u64);
    let mut digs = 0;
    let mut won = false;
    for event in walk {
        if let Event::Dig { .. } = event {
            digs += 1;
            if (digs - 1) % size != m {
                continue;
            }
        }
        let due = opened + Duration::from_millis(event.t() - started_ms);
        if due > shared.deadline || over.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep_until(due.into()).await;
        if over.load(Ordering::Relaxed) {
            break;
        }
        let sent = Instant::now();
        sent_at.lock().expect("sent lock").insert((name.to_owned(), event.t()), sent);
        shared.count(|c| c.events_sent += 1);
        sink.send(Message::text(event.canonical_json())).await.map_err(|_| anyhow!("websocket: send"))?;
        let answer = tokio::time::timeout(Duration::from_secs(30), answered.recv())
            .await
            .map_err(|_| anyhow!("answer: none in 30 s"))?
            .ok_or_else(|| anyhow!("websocket: closed"))?;
        shared.record(&shared.round_trip, sent);
        if let Some(code) = answer["error"]["code"].as_str() {
            shared.error(&format!("server: {code}"));
            continue;
        }
        if let Some(code) = answer["results"][0]["rejected"]["code"].as_str() {
            shared.count(|c| *c.rejected.entry(code.to_owned()).or_default() += 1);
        }
        if answer["status"] != "active" {
            won = answer["status"] == "completed";
            over.store(true, Ordering::Relaxed);
            break;
        }
    }
    // A moment for the last pushes, then the member leaves.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = sink.close().await;
    let pushes =
        tokio::time::timeout(Duration::from_secs(5), reader).await.ok().and_then(Result::ok).unwrap_or_default();
    let mut teammate = shared.teammate.lock().expect("histogram lock");
    for us in pushes {
        let _ = teammate.record(us);
    }
    Ok(won)
}
