//! Live events on a real nats-server with JetStream: three server processes share an event, its
//! window's limits and board; the window is ended and the server that ended it is killed while it
//! pays; the two others close it, agree on the frozen board, and pay every grant exactly once.

mod common;

use common::{now_ms, until, Nats, Server};
use serde_json::{json, Value};
use std::time::Duration;
use xmarks::live::rfc3339;
use xmarks::session::script::walkthrough_view;
use xmarks::HuntView;

const ADMIN: &str = "an admin secret of at least thirty-two bytes";

fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let secret = common::secret(dir);
    std::fs::write(dir.join("admin-secret"), ADMIN).unwrap();
    let config = dir.join("server.toml");
    let toml = format!(
        "insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {secret:?}\nadmin_secret_file = {:?}\n[limits]\nmax_ahead_ms = 3600000\nrate_per_s = 1000\nburst = 1000\nsessions_per_address_per_min = 1000000\n",
        dir.join("data"),
        dir.join("admin-secret")
    );
    std::fs::write(&config, toml).unwrap();
    config
}

fn start(config: &std::path::Path, dir: &std::path::Path, nats: &Nats) -> Server {
    Server::start_with(config, dir, &["--nats", &nats.url, "--nats-prefix", "live"])
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    admin: bool,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url);
    if admin {
        request = request.bearer_auth(ADMIN);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn get(http: &reqwest::Client, url: String) -> Value {
    let (status, v) = call(http, reqwest::Method::GET, url.clone(), false, None).await;
    assert_eq!(status, 200, "{url}: {v}");
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn three_servers_share_a_window_agree_on_its_board_and_pay_it_once_when_one_is_killed() {
    use reqwest::Method;
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let mut servers: Vec<Server> = (0..3).map(|_| start(&config, dir.path(), &nats)).collect();
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    let http = reqwest::Client::new();

    // 62 finisher rows, and rank 1 (shared by the ten finishers below): 1,870 grants for 30
    // players, two chunks.
    let mut rows: Vec<Value> = (0..62).map(|i| json!({"finishers": true, "reward": {"token": i}})).collect();
    rows.insert(0, json!({"rank": 1, "reward": {"gems": 1000}}));
    rows.insert(1, json!({"ranks": [2, 10], "reward": {"gems": 100}}));
    let definition = json!({
        "template": "sprint", "mode": "shared", "start": {"x": 0, "y": 0}, "join_required": false,
        "max_players": 30, "attempts": 1,
        "schedule": {"start": rfc3339(now_ms() - 60_000), "end": rfc3339(now_ms() + 3_600_000)},
        "payouts": {"rows": rows}
    });
    let (status, v) =
        call(&http, Method::PUT, format!("{}/v1/admin/events/cup", urls[0]), true, Some(definition)).await;
    assert_eq!(status, 200, "{v}");
    // Every server knows it (and its open window) within a moment.
    let mut window = String::new();
    for url in &urls {
        window = until(Duration::from_secs(5), || async {
            let (status, v) = call(&http, Method::GET, format!("{url}/v1/events/cup"), false, None).await;
            (status == 200).then(|| v["current"]["name"].as_str().map(str::to_owned)).flatten()
        })
        .await;
    }

    // Thirty players through the three servers, first come: the 31st is refused by any of them.
    let mut opened = Vec::new();
    for i in 0..30 {
        let body = json!({"player": {"id": format!("p{i:02}"), "start": {"x": 0, "y": 0}}});
        let (status, v) =
            call(&http, Method::POST, format!("{}/v1/events/cup/sessions", urls[i % 3]), false, Some(body)).await;
        assert_eq!(status, 200, "{v}");
        opened.push((i % 3, v));
    }
    let body = json!({"player": {"id": "late", "start": {"x": 0, "y": 0}}});
    let (status, v) = call(&http, Method::POST, format!("{}/v1/events/cup/sessions", urls[2]), false, Some(body)).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("window_full")), "{v}");

    // A third race to the end, each through their own server.
    for (server, created) in opened.iter().step_by(3) {
        let view: HuntView = serde_json::from_value(created["hunt"].clone()).unwrap();
        let events = walkthrough_view(&view, created["started_ms"].as_u64().unwrap()).unwrap();
        let batch: Vec<Value> = events.iter().map(|e| serde_json::from_str(&e.canonical_json()).unwrap()).collect();
        let url = format!("{}/v1/sessions/{}/events", urls[*server], created["session"].as_str().unwrap());
        let r = http.post(url).bearer_auth(created["token"].as_str().unwrap()).json(&batch).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["status"], "completed", "{v}");
    }
    // Every server's board shows every finisher, whichever server they played on.
    for url in &urls {
        until(Duration::from_secs(5), || async {
            let board = get(&http, format!("{url}/v1/events/cup/leaderboard?top=100")).await;
            (board["players"] == 10).then_some(())
        })
        .await;
    }

    // The window is ended through the first server, which is killed while it closes and pays.
    let ending = tokio::spawn({
        let (http, url) = (http.clone(), urls[0].clone());
        async move { call(&http, Method::POST, format!("{url}/v1/admin/events/cup/end"), true, None).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    servers[0].kill();
    let _ = ending.await;
    // The survivors read the audit log every 250 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let still_open = get(&http, format!("{}/v1/events/cup", urls[1])).await["current"]["name"] == window.as_str();
    if still_open {
        // Killed before the end was recorded: ended again through another server.
        let (status, v) = call(&http, Method::POST, format!("{}/v1/admin/events/cup/end", urls[1]), true, None).await;
        assert_eq!(status, 200, "{v}");
    }

    // Both survivors freeze the same board, with all thirty.
    let mut boards = Vec::new();
    for url in &urls[1..] {
        boards.push(
            until(Duration::from_secs(20), || async {
                let board = get(&http, format!("{url}/v1/events/cup/leaderboard?window={window}&limit=100")).await;
                (board["frozen"] == true).then_some(board)
            })
            .await,
        );
    }
    assert_eq!(boards[0], boards[1]);
    assert_eq!(boards[0]["players"], 30, "{}", boards[0]);
    // The ten finishers walked the same race in the same time: they share rank 1, the next is 11.
    let ranks: Vec<u64> =
        boards[0]["entries"].as_array().unwrap().iter().map(|e| e["rank"].as_u64().unwrap()).collect();
    assert_eq!((ranks[0], ranks[9], ranks[10]), (1, 1, 11), "{ranks:?}");

    // Every grant once, read through either survivor, at the same cursors.
    let read_all = |url: String| {
        let http = http.clone();
        async move {
            let mut grants = Vec::new();
            let mut cursor = 0;
            loop {
                let (status, page) =
                    call(&http, Method::GET, format!("{url}/v1/rewards?after={cursor}&wait_s=1"), true, None).await;
                assert_eq!(status, 200, "{page}");
                let got = page["grants"].as_array().unwrap().clone();
                if got.is_empty() {
                    return grants;
                }
                cursor = page["cursor"].as_u64().unwrap();
                grants.extend(got);
            }
        }
    };
    let expected = 30 * 62 + 10;
    let grants = until(Duration::from_secs(10), || async {
        let grants = read_all(urls[1].clone()).await;
        (grants.len() >= expected).then_some(grants)
    })
    .await;
    let keys: std::collections::BTreeSet<&str> = grants.iter().map(|g| g["key"].as_str().unwrap()).collect();
    assert_eq!((grants.len(), keys.len()), (expected, expected));
    assert_eq!(read_all(urls[2].clone()).await, grants);

    // A backend may read the outbox from JetStream itself, with a durable consumer on its subject
    // (`<prefix>.journal.<hex of "rewards">`): a message per chunk, a grant per line.
    let js = async_nats::jetstream::new(async_nats::connect(&nats.url).await.unwrap());
    let stream = js.get_stream("LIVE_JOURNALS").await.unwrap();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("backend".into()),
            filter_subject: format!("live.journal.{}", hex::encode("rewards")),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut lines = Vec::new();
    let mut messages = consumer.fetch().max_messages(100).expires(Duration::from_secs(1)).messages().await.unwrap();
    use futures_util::StreamExt as _;
    while let Some(message) = messages.next().await {
        let message = message.unwrap();
        lines.extend(
            std::str::from_utf8(&message.payload).unwrap().lines().map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
        message.ack().await.unwrap();
    }
    assert_eq!(lines, grants, "the subject holds the same grants in the same order");

    // Acknowledged through one server, refused the second time through the other.
    let first: Vec<&str> = keys.iter().take(100).copied().collect();
    let (status, v) =
        call(&http, Method::POST, format!("{}/v1/rewards/ack", urls[2]), true, Some(json!({"keys": first}))).await;
    assert_eq!((status, v["acknowledged"].as_u64()), (200, Some(100)), "{v}");
    let (status, v) =
        call(&http, Method::POST, format!("{}/v1/rewards/ack", urls[1]), true, Some(json!({"keys": [first[7]]}))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("already_acknowledged")), "{v}");

    // The killed server comes back with the same board, rebuilt from the logs.
    servers[0] = start(&config, dir.path(), &nats);
    let board = get(&http, format!("{}/v1/events/cup/leaderboard?window={window}&limit=100", servers[0].url)).await;
    assert_eq!(board, boards[0]);
}
