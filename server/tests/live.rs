//! Live events against a real server process on the embedded store: the admin API under its own
//! secret, a window's joins and limits, a race played to the end, the window ended early with
//! its sessions closed in their logs, the frozen leaderboard, grants paid once and acknowledged
//! once, and all of it the same after a SIGKILL and a restart.

mod common;

use common::{now_ms, start_dev, until, ADMIN};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use xmarks::live::rfc3339;
use xmarks::session::script::walkthrough_view;
use xmarks::HuntView;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next message the server pushes, within 10 s.
async fn next_push(ws: &mut Socket) -> Value {
    use futures_util::StreamExt;
    let message = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a push within 10 s");
    let text = message.unwrap().unwrap().into_text().unwrap();
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_race_is_scheduled_played_closed_ranked_and_paid_once_across_a_crash() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let (mut server, c) = start_dev(dir.path());

    // The admin API takes its own secret only.
    let definition = json!({
        "template": "sprint",
        "schedule": {"start": rfc3339(now_ms() - 60_000), "end": rfc3339(now_ms() + 3_600_000)},
        "max_players": 3, "attempts": 1, "mode": "shared", "start": {"x": 0, "y": 0},
        "payouts": {"rows": [{"rank": 1, "reward": {"gems": 500}}, {"finishers": true, "reward": {"badge": "raced"}},
                             {"completed": true, "reward": {"badge": "found it"}}]}
    });
    let (status, v) = c.call(Method::PUT, "/v1/admin/events/launch", None, Some(definition.clone())).await;
    assert_eq!((status, v["error"]["code"].as_str()), (401, Some("unauthorized")), "{v}");
    let (status, v) =
        c.call(Method::PUT, "/v1/admin/events/launch", Some("a player's token"), Some(definition.clone())).await;
    assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden")), "{v}");

    // A bad definition: refused with its path, nothing recorded.
    let bad = json!({"template": "sprint", "schedule": {"cron": "0 0 30 2 *", "duration_s": 60}});
    let (status, v) = c.admin(Method::PUT, "/v1/admin/events/launch", Some(bad)).await;
    assert_eq!(
        (status, v["error"]["code"].as_str(), v["error"]["path"].as_str()),
        (400, Some("event_invalid"), Some("schedule.cron")),
        "{v}"
    );
    let unknown = json!({"template": "nope", "schedule": definition["schedule"]});
    let (status, v) = c.admin(Method::PUT, "/v1/admin/events/launch", Some(unknown)).await;
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("unknown_template")), "{v}");
    let (status, v) = c.admin(Method::PUT, "/v1/admin/events/launch", Some(definition.clone())).await;
    assert_eq!(status, 200, "{v}");
    let audit = c.admin(Method::GET, "/v1/admin/audit", None).await.1;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit["entries"][0]["action"], "put_event");

    // Anyone reads the event's window; it is open.
    let event = c.get("/v1/events/launch").await;
    let window = event["current"]["name"].as_str().expect("an open window").to_owned();
    let left = event["current"]["seconds_left"].as_u64().unwrap();
    assert!((3590..=3600).contains(&left), "{event}");

    // Joining is required, first come, up to three players.
    let play = |player: &str| json!({"player": {"id": player, "start": {"x": 0, "y": 0}}});
    let (status, v) = c.call(Method::POST, "/v1/events/launch/sessions", None, Some(play("ann"))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("not_joined")), "{v}");
    for player in ["ann", "bob", "cat"] {
        let (status, v) = c.call(Method::POST, "/v1/events/launch/join", None, Some(json!({"player": player}))).await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, v) = c.call(Method::POST, "/v1/events/launch/join", None, Some(json!({"player": "dan"}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("window_full")), "{v}");
    let (status, _) = c.call(Method::POST, "/v1/events/launch/join", None, Some(json!({"player": "ann"}))).await;
    assert_eq!(status, 200, "joining again changes nothing");

    // Ann races to the end; Bob makes one move.
    let (status, ann) = c.call(Method::POST, "/v1/events/launch/sessions", None, Some(play("ann"))).await;
    assert_eq!(status, 200, "{ann}");
    assert_eq!(ann["window"]["name"], window.as_str());
    let (status, v) = c.call(Method::POST, "/v1/events/launch/sessions", None, Some(play("ann"))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("no_attempts_left")), "{v}");
    let (_, bob) = c.call(Method::POST, "/v1/events/launch/sessions", None, Some(play("bob"))).await;
    // Bob watches over a WebSocket: told his window at once, his rank and the close when they come.
    let ws = format!(
        "{}/v1/sessions/{}/ws?token={}",
        c.url.replacen("http", "ws", 1),
        bob["session"].as_str().unwrap(),
        bob["token"].as_str().unwrap()
    );
    let (mut bob_ws, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    let hello = next_push(&mut bob_ws).await;
    assert_eq!(
        (hello["push"].as_str(), hello["window"]["name"].as_str()),
        (Some("window"), Some(window.as_str())),
        "{hello}"
    );
    let view: HuntView = serde_json::from_value(ann["hunt"].clone()).unwrap();
    let bob_view: HuntView = serde_json::from_value(bob["hunt"].clone()).unwrap();
    assert_eq!((view.start, view.stages.len()), (bob_view.start, bob_view.stages.len()), "one race for both");
    let events = walkthrough_view(&view, ann["started_ms"].as_u64().unwrap()).unwrap();
    let send = |session: &Value, body: String| {
        let (id, token) =
            (session["session"].as_str().unwrap().to_owned(), session["token"].as_str().unwrap().to_owned());
        let c = &c;
        async move {
            c.call(
                Method::POST,
                &format!("/v1/sessions/{id}/events"),
                Some(&token),
                Some(serde_json::from_str(&body).unwrap()),
            )
            .await
        }
    };
    let batch = format!("[{}]", events.iter().map(|e| e.canonical_json()).collect::<Vec<_>>().join(","));
    let (status, v) = send(&ann, batch).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("completed")), "{v}");
    // Its rank is readable as soon as it finished.
    let board = c.get("/v1/events/launch/leaderboard?player=ann").await;
    assert_eq!((board["entries"][0]["rank"].as_u64(), board["frozen"].as_bool()), (Some(1), Some(false)), "{board}");
    let t = bob["started_ms"].as_u64().unwrap() + 1000;
    let (status, v) = send(&bob, json!({"type": "move", "t": t, "x": 3, "y": 0}).to_string()).await;
    assert_eq!(status, 200, "{v}");
    // The host's events are the host's.
    let (_, v) = send(&bob, json!({"type": "window_closed", "t": t + 1}).to_string()).await;
    assert_eq!(v["results"][0]["rejected"]["code"], "host_only", "{v}");

    // The admin ends the window early: Bob's session is closed in its log, the board freezes.
    let (status, v) = c.admin(Method::POST, "/v1/admin/events/launch/end", None).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = send(&bob, json!({"type": "tick", "t": t + 2}).to_string()).await;
    assert_eq!(v["results"][0]["rejected"]["code"], "window_closed", "{v}");
    let bob_id = bob["session"].as_str().unwrap();
    let r = c.http.get(format!("{}/v1/sessions/{bob_id}/log", c.url)).bearer_auth(bob["token"].as_str().unwrap());
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.lines().last().unwrap().contains(r#""type":"window_closed""#), "{text}");
    let replayed = xmarks::session::log::replay(&text).unwrap();
    assert_eq!(replayed.session.state().status.name(), "failed");

    let board = c.get(&format!("/v1/events/launch/leaderboard?window={window}")).await;
    assert_eq!(board["frozen"], true, "{board}");
    let pushed = [next_push(&mut bob_ws).await, next_push(&mut bob_ws).await];
    let rank = pushed.iter().find(|p| p["push"] == "rank").unwrap_or_else(|| panic!("{pushed:?}"));
    assert_eq!((rank["entry"]["player"].as_str(), rank["entry"]["rank"].as_u64()), (Some("bob"), Some(2)), "{rank}");
    assert!(pushed.iter().any(|p| p["push"] == "window_closed" && p["window"] == window.as_str()), "{pushed:?}");
    let ranks: Vec<(&str, u64)> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["player"].as_str().unwrap(), e["rank"].as_u64().unwrap()))
        .collect();
    assert_eq!(ranks, [("ann", 1), ("bob", 2)], "Cat joined and never played: not on the board");
    assert!(c.get("/v1/events/launch").await["current"].is_null());
    let (status, v) = c.call(Method::POST, "/v1/events/launch/join", None, Some(json!({"player": "eve"}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (410, Some("window_closed")), "{v}");

    // The outbox: Ann's prize and both badges, each naming its window, rank and row.
    let (status, v) = c.call(Method::GET, "/v1/rewards", Some("not the secret"), None).await;
    assert_eq!(status, 403, "{v}");
    let page = c.admin(Method::GET, "/v1/rewards?after=0", None).await.1;
    let grants = page["grants"].as_array().unwrap().clone();
    let paid: Vec<(&str, u64, u64)> = grants
        .iter()
        .map(|g| (g["player"].as_str().unwrap(), g["rank"].as_u64().unwrap(), g["row"].as_u64().unwrap()))
        .collect();
    // Bob's attempt ended with the window: a finisher, but he did not complete the hunt.
    assert_eq!(paid, [("ann", 1, 0), ("ann", 1, 1), ("ann", 1, 2), ("bob", 2, 1)], "{page}");
    assert!(grants.iter().all(|g| g["window"] == window.as_str()));
    assert_eq!(page["cursor"], 4);

    // Nothing more: a long poll waits, then answers empty at the same cursor.
    let asked = Instant::now();
    let empty = c.admin(Method::GET, "/v1/rewards?after=4&wait_s=1", None).await.1;
    assert!(asked.elapsed() >= Duration::from_millis(900), "it waited");
    assert_eq!((empty["grants"].as_array().unwrap().len(), empty["cursor"].as_u64()), (0, Some(4)));

    // Acknowledged once; twice is refused and records nothing.
    let keys: Vec<Value> = grants.iter().map(|g| g["key"].clone()).collect();
    let (status, v) = c.admin(Method::POST, "/v1/rewards/ack", Some(json!({"keys": keys[..2]}))).await;
    assert_eq!((status, v["acknowledged"].as_u64()), (200, Some(2)), "{v}");
    let (status, v) = c.admin(Method::POST, "/v1/rewards/ack", Some(json!({"keys": keys}))).await;
    assert_eq!(
        (status, v["error"]["code"].as_str(), v["error"]["path"].as_str()),
        (409, Some("already_acknowledged"), Some("keys[0]")),
        "{v}"
    );
    let (status, v) = c.admin(Method::POST, "/v1/rewards/ack", Some(json!({"keys": ["no-such-grant"]}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not_found")), "{v}");
    let metrics = c.http.get(format!("{}/metrics", c.url)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("xmarks_grants_pending 2"), "{metrics}");
    assert!(metrics.contains("xmarks_grants_delivered_total 2"), "{metrics}");

    // SIGKILL and restart: the board is rebuilt by replay and equal, nothing is paid again, the
    // acknowledgements hold.
    server.kill();
    let (_server, c) = start_dev(dir.path());
    let again = c.get(&format!("/v1/events/launch/leaderboard?window={window}")).await;
    assert_eq!(again, board);
    let page = c.admin(Method::GET, "/v1/rewards?after=0", None).await.1;
    assert_eq!(page["grants"].as_array().unwrap(), &grants);
    let (status, v) = c.admin(Method::POST, "/v1/rewards/ack", Some(json!({"keys": [keys[0]]}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("already_acknowledged")), "{v}");
    let (status, _) = c.admin(Method::POST, "/v1/rewards/ack", Some(json!({"keys": [keys[2]]}))).await;
    assert_eq!(status, 200);
    let all = c.get("/v1/events/launch/leaderboard?window=all").await;
    assert_eq!(all["entries"], board["entries"]);
    let audit = c.admin(Method::GET, "/v1/admin/audit", None).await.1;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["put_event", "end_window"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn recurring_windows_follow_each_other_and_definitions_change_while_the_server_runs() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());

    // A template and a ruleset put while the server runs, and an event using both: a window
    // every 4 s, open for 3.
    let blink = json!({"id": "blink", "stages": 2, "leg": {"min": 40, "max": 120}, "spacing": 30,
        "search_radius": 300, "difficulty": 1, "dig_radius": 10});
    assert_eq!(c.admin(Method::PUT, "/v1/admin/templates/blink", Some(blink)).await.0, 200);
    let rules: Value = serde_json::from_str(xmarks::rules::DEFAULT_RULES).unwrap();
    assert_eq!(c.admin(Method::PUT, "/v1/admin/rulesets/house", Some(rules)).await.0, 200);
    let (status, v) = c.admin(Method::PUT, "/v1/admin/rulesets/Bad Name", Some(json!({}))).await;
    assert_eq!((status, v["error"]["path"].as_str()), (400, Some("name")), "{v}");
    let daily = json!({"template": "blink", "rules": "house", "join_required": false,
        "schedule": {"cron": "*/4 * * * * *", "duration_s": 3},
        "payouts": {"rows": [{"finishers": true, "reward": {"badge": "played"}}]}});
    let (status, v) = c.admin(Method::PUT, "/v1/admin/events/daily", Some(daily.clone())).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = c.admin(Method::DELETE, "/v1/admin/templates/blink", None).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("in_use")), "{v}");

    // A window with at least 2 s left: Ann plays in it; its definition cannot change meanwhile.
    let open = || async {
        let e = c.get("/v1/events/daily").await;
        (e["current"]["seconds_left"].as_u64() >= Some(2)).then(|| e["current"]["name"].as_str().unwrap().to_owned())
    };
    let first = until(Duration::from_secs(10), open).await;
    let play = json!({"player": {"id": "ann", "start": {"x": 0, "y": 0}}});
    let (status, v) = c.call(Method::POST, "/v1/events/daily/sessions", None, Some(play.clone())).await;
    assert_eq!((status, v["window"]["name"].as_str()), (200, Some(first.as_str())), "{v}");
    let (status, v) = c.admin(Method::PUT, "/v1/admin/events/daily", Some(daily)).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("window_open")), "{v}");

    // It closes by itself: Ann's session is closed and ranked, and the next window opens.
    let board = until(Duration::from_secs(10), || async {
        let b = c.get(&format!("/v1/events/daily/leaderboard?window={first}")).await;
        (b["frozen"] == true).then_some(b)
    })
    .await;
    assert_eq!((board["entries"][0]["player"].as_str(), board["entries"][0]["rank"].as_u64()), (Some("ann"), Some(1)));
    let second = until(Duration::from_secs(10), || async { open().await.filter(|w| *w != first) }).await;
    let (status, v) = c.call(Method::POST, "/v1/events/daily/sessions", None, Some(play)).await;
    assert_eq!((status, v["window"]["name"].as_str()), (200, Some(second.as_str())), "one attempt per window: {v}");
    until(Duration::from_secs(10), || async {
        let b = c.get(&format!("/v1/events/daily/leaderboard?window={second}")).await;
        (b["frozen"] == true).then_some(())
    })
    .await;
    let all = c.get("/v1/events/daily/leaderboard?window=all").await;
    assert_eq!(
        (all["entries"][0]["player"].as_str(), all["entries"][0]["attempts"].as_u64()),
        (Some("ann"), Some(2)),
        "{all}"
    );
    let event = c.get("/v1/events/daily").await;
    let windows: Vec<&str> = event["windows"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(windows, [first.as_str(), second.as_str()]);

    // One grant per window; retired, the event opens no more windows and frees its template.
    let page = c.admin(Method::GET, "/v1/rewards", None).await.1;
    let paid: Vec<&str> = page["grants"].as_array().unwrap().iter().map(|g| g["window"].as_str().unwrap()).collect();
    assert_eq!(paid, [first.as_str(), second.as_str()], "{page}");
    assert_eq!(c.admin(Method::DELETE, "/v1/admin/events/daily", None).await.0, 200);
    let event = c.get("/v1/events/daily").await;
    assert!(event["current"].is_null() && event["next"].is_null(), "{event}");
    assert_eq!(c.admin(Method::DELETE, "/v1/admin/templates/blink", None).await.0, 200);
    let (status, v) = c.call(Method::POST, "/v1/events/daily/join", None, Some(json!({"player": "bob"}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (404, Some("not_found")), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_while_it_pays_a_window_pays_it_exactly_once_after_restart() {
    use reqwest::Method;
    for delay_ms in [0u64, 15, 60] {
        let dir = tempfile::tempdir().unwrap();
        let (mut server, c) = start_dev(dir.path());
        let mut rows: Vec<Value> = (0..63).map(|i| json!({"finishers": true, "reward": {"token": i}})).collect();
        rows.insert(0, json!({"rank": 1, "reward": {"gems": 10}}));
        let definition = json!({
            "template": "sprint", "join_required": false,
            "schedule": {"start": rfc3339(now_ms() - 60_000), "end": rfc3339(now_ms() + 3_600_000)},
            "payouts": {"rows": rows}
        });
        assert_eq!(c.admin(Method::PUT, "/v1/admin/events/cup", Some(definition)).await.0, 200);
        let players = 50;
        for i in 0..players {
            let play = json!({"player": {"id": format!("p{i}"), "start": {"x": 0, "y": 0}}});
            let (status, v) = c.call(Method::POST, "/v1/events/cup/sessions", None, Some(play)).await;
            assert_eq!(status, 200, "{v}");
        }
        // The end request, and a SIGKILL before it is recorded, while it is closing sessions or
        // paying, or after (on this machine the three delays land in those places).
        let ending = tokio::spawn({
            let (http, url) = (c.http.clone(), c.url.clone());
            async move {
                http.post(format!("{url}/v1/admin/events/cup/end")).bearer_auth(ADMIN).send().await.map(|r| r.status())
            }
        });
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        server.kill();
        let _ = ending.await;

        let (_server, c) = start_dev(dir.path());
        let mut grants = Vec::new();
        let mut cursor = 0;
        loop {
            let page = c.admin(Method::GET, &format!("/v1/rewards?after={cursor}"), None).await.1;
            let got = page["grants"].as_array().unwrap().clone();
            if got.is_empty() {
                break;
            }
            cursor = page["cursor"].as_u64().unwrap();
            grants.extend(got);
        }
        let event = c.get("/v1/events/cup").await;
        let keys: std::collections::BTreeSet<&str> = grants.iter().map(|g| g["key"].as_str().unwrap()).collect();
        if event["current"].is_null() {
            // The end was recorded before the kill: the window is paid, each grant once.
            let board =
                c.get(&format!("/v1/events/cup/leaderboard?window={}", event["windows"][0].as_str().unwrap())).await;
            assert_eq!((board["frozen"].as_bool(), board["players"].as_u64()), (Some(true), Some(players)), "{board}");
            assert_eq!(
                (grants.len(), keys.len()),
                (players as usize * 63 + 1, players as usize * 63 + 1),
                "after {delay_ms} ms"
            );
        } else {
            // Killed before the end was recorded: the window is still open and nothing was paid.
            assert!(grants.is_empty(), "after {delay_ms} ms: {} grants for an open window", grants.len());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_live_route_of_the_catalogue_is_refused_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());
    let (ran, failures) = common::route_cases("live_route", &c.http, &c.url, ADMIN).await;
    assert!(ran >= 25, "{ran} live route cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing refused was recorded, and the server kept serving.
    let audit = c.admin(reqwest::Method::GET, "/v1/admin/audit", None).await.1;
    assert_eq!(audit["entries"], json!([]));
    assert!(c.get("/v1/events").await["events"].as_array().unwrap().is_empty());
}
