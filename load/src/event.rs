//! Event mode: a live event's window raced by many players, closed, paid and checked.
//!
//! The admin creates a shared race open now; every player opens an attempt; one in ten walks the
//! hunt to its end and then reads their own rank, while readers poll the top 100 and the ranks
//! around players; the others stay in play. The admin ends the window: every open session is
//! closed in its log and the grants (20 finisher rows and the top ten: about 20 per player) go to
//! the outbox, which a backend reads and acknowledges to the last one. Then every session's log is
//! replayed here, ranked and paid again with the core, and must give the server's leaderboard
//! and grants exactly.

use super::{hist, timed, Signer};
use anyhow::{bail, Context, Result};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use xmarks::live::{rfc3339, BoardSpec, Entry, Finish, Grant, PayoutTable};
use xmarks::session::{log, script::walkthrough_view};
use xmarks::HuntView;

#[derive(Debug, Serialize)]
pub struct EventReport {
    pub players: usize,
    pub finishers: usize,
    pub opened_per_s: f64,
    /// From a finisher's last event answered to their rank read back (one GET).
    pub rank_readable_p50_ms: f64,
    pub rank_readable_p99_ms: f64,
    pub top100_p50_ms: f64,
    pub top100_p99_ms: f64,
    pub around_p50_ms: f64,
    pub around_p99_ms: f64,
    pub reads: u64,
    /// Sessions still open when the window was ended, and the time to close them all, freeze
    /// the board and put its grants in the outbox (the admin's end request).
    pub open_at_close: usize,
    pub close_s: f64,
    pub grants: usize,
    /// From the end request to the last grant acknowledged by the backend.
    pub distributed_and_delivered_s: f64,
    /// The recomputation from the stored logs agreed with the server's board and grants.
    pub verified: bool,
}

struct Opened {
    /// The player's number: one in ten finishes.
    index: usize,
    player: String,
    session: String,
    token: String,
    started_ms: u64,
    hunt: HuntView,
}

#[derive(Deserialize)]
struct Board {
    entries: Vec<Entry>,
    next: Option<String>,
    frozen: bool,
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Runs the event mode against `url` with `players` players; `admin` is the admin secret.
pub async fn event_run(url: &str, players: usize, admin: &str, signer: Option<&Signer>) -> Result<EventReport> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(120)).pool_max_idle_per_host(256).build()?;
    let id = format!("load-{}", now_ms());
    let id = id.as_str();
    let mut rows =
        vec![json!({"rank": 1, "reward": {"gems": 1000}}), json!({"ranks": [2, 10], "reward": {"gems": 100}})];
    rows.extend((0..20).map(|i| json!({"finishers": true, "reward": {"token": i}})));
    let payouts = json!({ "rows": rows });
    let definition = json!({
        "template": "sprint", "mode": "shared", "start": {"x": 0, "y": 0},
        "schedule": {"start": rfc3339(now_ms() - 1000), "end": rfc3339(now_ms() + 3_600_000)},
        "max_players": players, "attempts": 1, "join_required": false, "payouts": payouts,
    });
    let r = http.put(format!("{url}/v1/admin/events/{id}")).bearer_auth(admin).json(&definition).send().await?;
    if !r.status().is_success() {
        bail!("creating the event: HTTP {}: {}", r.status(), r.text().await.unwrap_or_default());
    }

    // Every player opens an attempt.
    let opened = std::sync::Mutex::new(Vec::with_capacity(players));
    let open = |i: usize| {
        let (http, opened) = (http.clone(), &opened);
        let player = format!("racer-{i}");
        let mut request = http.post(format!("{url}/v1/events/{id}/sessions"));
        request = match signer {
            Some(s) => {
                request.bearer_auth(s.token(&player, false)).json(&json!({"player": {"start": {"x": 0, "y": 0}}}))
            }
            None => request.json(&json!({"player": {"id": player, "start": {"x": 0, "y": 0}}})),
        };
        async move {
            let r = request.send().await?;
            if !r.status().is_success() {
                bail!("open: HTTP {}: {}", r.status(), r.text().await.unwrap_or_default());
            }
            let v: Value = r.json().await?;
            let hunt: HuntView = serde_json::from_value(v["hunt"].clone())?;
            let o = Opened {
                index: i,
                player,
                session: v["session"].as_str().context("session")?.into(),
                token: v["token"].as_str().context("token")?.into(),
                started_ms: v["started_ms"].as_u64().context("started_ms")?,
                hunt,
            };
            opened.lock().expect("opened lock").push(o);
            Ok(())
        }
    };
    let (opened_per_s, _) = timed(players, 64, open).await?;
    let opened = opened.into_inner().expect("opened lock");

    // One in ten races to the end and reads their rank; readers poll meanwhile.
    let racing = std::sync::atomic::AtomicBool::new(true);
    let readers = async {
        let (mut top, mut around) = (hist(), hist());
        while racing.load(std::sync::atomic::Ordering::Relaxed) {
            let started = Instant::now();
            http.get(format!("{url}/v1/events/{id}/leaderboard?top=100")).send().await?.error_for_status()?;
            top.record(started.elapsed().as_micros().max(1) as u64)?;
            let started = Instant::now();
            let r = http.get(format!("{url}/v1/events/{id}/leaderboard?player=racer-0&around=5")).send().await?;
            if r.status().is_success() {
                around.record(started.elapsed().as_micros().max(1) as u64)?;
            }
        }
        Ok::<_, anyhow::Error>((top, around))
    };
    let finishers: Vec<&Opened> = opened.iter().filter(|o| o.index % 10 == 0).collect();
    let rank = std::sync::Mutex::new(hist());
    let race = async {
        let result = timed(finishers.len(), 32, |k| {
            let (o, rank) = (finishers[k], &rank);
            let http = http.clone();
            async move {
                let events = walkthrough_view(&o.hunt, o.started_ms).context("sprint's clues give coordinates")?;
                let mut answer = Value::Null;
                for chunk in events.chunks(64) {
                    let body = format!("[{}]", chunk.iter().map(|e| e.canonical_json()).collect::<Vec<_>>().join(","));
                    let r = http
                        .post(format!("{url}/v1/sessions/{}/events", o.session))
                        .bearer_auth(&o.token)
                        .body(body)
                        .send()
                        .await?;
                    answer = r.error_for_status()?.json().await?;
                }
                if answer["status"] != "completed" {
                    bail!("a finisher did not complete: {answer}");
                }
                let started = Instant::now();
                let r = http.get(format!("{url}/v1/events/{id}/leaderboard?player={}", o.player)).send().await?;
                let board: Board = r.error_for_status()?.json().await?;
                rank.lock().expect("rank lock").record(started.elapsed().as_micros().max(1) as u64)?;
                if board.entries.first().is_none_or(|e| e.player != o.player) {
                    bail!("{} is not on the board after finishing", o.player);
                }
                Ok(())
            }
        })
        .await;
        racing.store(false, std::sync::atomic::Ordering::Relaxed);
        result
    };
    let (race, read) = tokio::join!(race, readers);
    let (_, _) = race?;
    let (top, around) = read?;
    let rank = rank.into_inner().expect("rank lock");

    // The admin ends the window: open sessions close, the board freezes, grants go out.
    let event: Value = http.get(format!("{url}/v1/events/{id}")).send().await?.json().await?;
    let window = event["current"]["name"].as_str().context("an open window")?.to_owned();
    let ended = Instant::now();
    let r = http.post(format!("{url}/v1/admin/events/{id}/end")).bearer_auth(admin).send().await?;
    if !r.status().is_success() {
        bail!("ending the window: HTTP {}: {}", r.status(), r.text().await.unwrap_or_default());
    }
    let close_s = ended.elapsed().as_secs_f64();
    // The backend reads the outbox and acknowledges every grant of this window.
    let mut cursor = 0u64;
    let mut outbox: Vec<Grant> = Vec::new();
    loop {
        // The grants are in the outbox once the end request is answered: only the first read
        // may wait (a backend polling all the time would wait on every read).
        let wait = if cursor == 0 { 5 } else { 0 };
        let page: Value = http
            .get(format!("{url}/v1/rewards?after={cursor}&limit=1000&wait_s={wait}"))
            .bearer_auth(admin)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let grants: Vec<Grant> = serde_json::from_value(page["grants"].clone())?;
        if grants.is_empty() {
            break;
        }
        cursor = page["cursor"].as_u64().context("cursor")?;
        let keys: Vec<&str> = grants.iter().map(|g| g.key.as_str()).collect();
        http.post(format!("{url}/v1/rewards/ack"))
            .bearer_auth(admin)
            .json(&json!({"keys": keys}))
            .send()
            .await?
            .error_for_status()?;
        outbox.extend(grants.into_iter().filter(|g| g.window == window));
    }
    let delivered_s = ended.elapsed().as_secs_f64();

    // The server's frozen board, page by page.
    let mut served = Vec::new();
    let mut after = None::<String>;
    loop {
        let mut path = format!("{url}/v1/events/{id}/leaderboard?window={window}&limit=1000");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let board: Board = http.get(path).send().await?.error_for_status()?.json().await?;
        if !board.frozen {
            bail!("the board is not frozen after the window ended");
        }
        served.extend(board.entries);
        match board.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    // Recomputed from the stored logs with the core alone.
    let finishes = std::sync::Mutex::new(Vec::with_capacity(players));
    timed(opened.len(), 64, |k| {
        let (o, http, finishes) = (&opened[k], http.clone(), &finishes);
        async move {
            let text = http
                .get(format!("{url}/v1/sessions/{}/log", o.session))
                .bearer_auth(&o.token)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            let replay = log::replay(&text).map_err(|e| anyhow::anyhow!("{}: {e}", o.session))?;
            let finish: Finish = Finish::of(&replay.session).context("every session ended")?;
            finishes.lock().expect("finishes lock").push(finish);
            Ok(())
        }
    })
    .await?;
    let ranking = BoardSpec::default().rank(finishes.into_inner().expect("finishes lock").iter());
    let table = PayoutTable::from_json(&payouts.to_string()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let grants = table.grants(&window, &ranking);
    let keys =
        |g: &[Grant]| g.iter().map(|g| (g.key.clone(), g.player.clone(), g.rank, g.row)).collect::<BTreeSet<_>>();
    let verified = ranking.entries == served && keys(&grants) == keys(&outbox) && grants.len() == outbox.len();

    Ok(EventReport {
        players,
        finishers: finishers.len(),
        opened_per_s,
        rank_readable_p50_ms: ms(&rank, 0.5),
        rank_readable_p99_ms: ms(&rank, 0.99),
        top100_p50_ms: ms(&top, 0.5),
        top100_p99_ms: ms(&top, 0.99),
        around_p50_ms: ms(&around, 0.5),
        around_p99_ms: ms(&around, 0.99),
        reads: top.len() + around.len(),
        open_at_close: players - finishers.len(),
        close_s,
        grants: outbox.len(),
        distributed_and_delivered_s: delivered_s,
        verified,
    })
}
