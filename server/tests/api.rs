//! The HTTP and WebSocket API on the embedded store, and its refusals: tokens, sizes, malformed
//! events, floods. After each refusal the server keeps serving others.

mod common;

use common::Server;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use xmarks::hunt::view::commitment;
use xmarks::session::{log, script::walkthrough_view};
use xmarks::HuntView;

struct Client {
    http: reqwest::Client,
    url: String,
}

struct Opened {
    id: String,
    token: String,
    /// The player's view of the hunt: no site until found.
    hunt: HuntView,
    started_ms: u64,
}

impl Client {
    fn new(server: &Server) -> Client {
        Client { http: reqwest::Client::new(), url: server.url.clone() }
    }

    async fn open(&self, player: &str) -> Opened {
        self.open_at(player, json!({"x": 0.0, "y": 0.0})).await
    }

    async fn open_at(&self, player: &str, start: Value) -> Opened {
        let body = json!({"template": "sprint", "player": {"id": player, "start": start}});
        let r = self.http.post(format!("{}/v1/sessions", self.url)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        Opened {
            id: v["session"].as_str().unwrap().into(),
            token: v["token"].as_str().unwrap().into(),
            hunt: serde_json::from_str(&v["hunt"].to_string()).unwrap(),
            started_ms: v["started_ms"].as_u64().unwrap(),
        }
    }

    async fn post_events(&self, s: &Opened, token: Option<&str>, body: String) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/v1/sessions/{}/events", self.url, s.id)).body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(format!("{}{path}", self.url)).bearer_auth(token).send().await.unwrap()
    }

    async fn metrics(&self) -> String {
        self.http.get(format!("{}/metrics", self.url)).send().await.unwrap().text().await.unwrap()
    }
}

/// A server with small limits; `top` adds settings, `limits` limits.
fn server_with(top: &str, limits: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "insecure_dev_players = true\ndata_dir = {:?}\n{top}\n[limits]\nmax_body_bytes = 4096\nmax_message_bytes = 4096\nflood_close_after = 100\n{limits}",
        dir.path().join("data")
    );
    let server = Server::start(dir.path(), &toml);
    (dir, server)
}

fn server() -> (tempfile::TempDir, Server) {
    server_with("", "")
}

fn event(e: &xmarks::session::Event) -> String {
    e.canonical_json()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hunt_played_over_http_and_websocket_is_stored_and_replays() {
    // The game clock may run ahead of the server's here, so that the walk need not take the
    // minute and a half it takes a real player.
    let (_dir, server) = server_with("", "max_ahead_ms = 3600000\nrate_per_s = 1000\nburst = 1000\n");
    let c = Client::new(&server);
    let s = c.open("ann").await;
    assert!(s.hunt.stages.iter().all(|stage| stage.site.is_none()), "the hunt handed out shows no site");
    let events = walkthrough_view(&s.hunt, s.started_ms).expect("sprint's clues give coordinates");
    // Two events over HTTP, the rest over a WebSocket in batches.
    let (status, v) = c.post_events(&s, Some(&s.token), format!("[{},{}]", event(&events[0]), event(&events[1]))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["seq"], 2);
    assert_eq!(v["results"][1]["seq"], 2);

    let url = format!("{}/v1/sessions/{}/ws?token={}", server.url.replacen("http", "ws", 1), s.id, s.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut last = Value::Null;
    let mut revealed = Vec::new();
    let mut k = 2;
    while k < events.len() {
        let mut batch = vec![];
        while k < events.len() && batch.len() < 20 {
            batch.push(event(&events[k]));
            k += 1;
        }
        ws.send(Message::text(format!("[{}]", batch.join(",")))).await.unwrap();
        let Some(Ok(Message::Text(reply))) = ws.next().await else { panic!("no answer") };
        last = serde_json::from_str(&reply).unwrap();
        assert!(last["results"].as_array().unwrap().iter().all(|r| r.get("seq").is_some()), "{last}");
        for result in last["results"].as_array().unwrap() {
            revealed.extend(result["revealed"].as_array().into_iter().flatten().cloned());
        }
    }
    assert_eq!(last["status"], "completed");
    // Each stage's site came with the dig that found it, and once the hunt is over the salt
    // shows that none was moved after the hunt was handed out.
    assert_eq!(revealed.len(), s.hunt.stages.len(), "{revealed:?}");
    let salt = last["salt"].as_str().expect("the salt, once the session has ended");
    for (stage, found) in s.hunt.stages.iter().zip(&revealed) {
        assert_eq!(found["number"], stage.number);
        let site: xmarks::Site = serde_json::from_value(found["site"].clone()).unwrap();
        assert_eq!(commitment(salt, &site), stage.commitment, "stage {}", stage.number);
    }
    assert_eq!(last["seq"], events.len() as u64);

    // The server's view, its log and the native replay agree.
    let view: Value = c.get(&format!("/v1/sessions/{}", s.id), &s.token).await.json().await.unwrap();
    assert_eq!(view["state_hash"], last["state_hash"]);
    assert_eq!(view["status"], "completed");
    let text = c.get(&format!("/v1/sessions/{}/log", s.id), &s.token).await.text().await.unwrap();
    let replay = log::replay(&text).unwrap();
    assert_eq!(replay.session.state_hash(), last["state_hash"].as_str().unwrap());

    // /v1/verify: the log is valid; with one byte changed, it is not, and says where.
    let r: Value =
        c.http.post(format!("{}/v1/verify", c.url)).body(text.clone()).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["valid"], true);
    assert_eq!(r["state_hash"], last["state_hash"]);
    let edited = text.replacen("\"type\":\"dig\"", "\"type\":\"dig\" ", 1);
    let r: Value = c.http.post(format!("{}/v1/verify", c.url)).body(edited).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["valid"], false);
    assert_eq!(r["error"]["code"], "log_invalid");
    assert!(r["error"]["path"].as_str().unwrap().starts_with("line "), "{r}");

    let metrics = c.metrics().await;
    assert!(
        metrics.contains(&format!("xmarks_events_total{{result=\"accepted\",reason=\"\"}} {}", events.len())),
        "{metrics}"
    );
    assert!(metrics.contains("xmarks_http_requests_total{route=\"/v1/sessions\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("xmarks_sessions_open 0"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_earth_hunt_is_played_in_longitudes_and_latitudes_and_replays() {
    let earth = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/worlds/earth.csv");
    let (_dir, server) =
        server_with(&format!("[world]\ncsv = {earth:?}"), "max_ahead_ms = 3600000\nrate_per_s = 1000\nburst = 1000\n");
    let c = Client::new(&server);
    // A planar start on an Earth world is refused, saying which coordinates the world has.
    let r = c
        .http
        .post(format!("{}/v1/sessions", c.url))
        .json(&json!({"template": "sprint", "player": {"id": "ann", "start": {"x": 0, "y": 0}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["path"], "player.start", "{v}");
    // From Tokyo: the view's coordinates clues give longitudes and latitudes to walk to.
    let s = c.open_at("ann", json!({"lon": 139.767, "lat": 35.681})).await;
    let events = walkthrough_view(&s.hunt, s.started_ms).expect("sprint's clues give coordinates");
    assert!(event(&events[0]).contains("\"lon\":"), "{}", event(&events[0]));
    let mut last = Value::Null;
    for batch in events.chunks(25) {
        let body = format!("[{}]", batch.iter().map(event).collect::<Vec<_>>().join(","));
        let (status, v) = c.post_events(&s, Some(&s.token), body).await;
        assert_eq!(status, 200, "{v}");
        last = v;
    }
    assert_eq!(last["status"], "completed", "{last}");
    let view: Value = c.get(&format!("/v1/sessions/{}", s.id), &s.token).await.json().await.unwrap();
    assert!(view["state"]["lon"].is_number() && view["state"].get("x").is_none(), "{view}");
    let text = c.get(&format!("/v1/sessions/{}/log", s.id), &s.token).await.text().await.unwrap();
    let replay = log::replay(&text).unwrap();
    assert_eq!(replay.session.state_hash(), last["state_hash"].as_str().unwrap());
    assert_eq!(replay.session.hunt().world.space(), xmarks::Space::Earth);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_sizes_and_malformed_events_are_refused_and_others_are_still_served() {
    let (_dir, server) = server();
    let c = Client::new(&server);
    let ann = c.open("ann").await;
    let bob = c.open("bob").await;
    let tick = |t: u64| format!(r#"{{"type":"tick","t":{t}}}"#);
    let t0 = ann.started_ms;

    // Tokens: missing, another session's, garbage. Each is 401 and changes nothing.
    for token in [None, Some(bob.token.as_str()), Some("00ff"), Some("not hex at all")] {
        let (status, v) = c.post_events(&ann, token, tick(t0)).await;
        assert_eq!(status, 401, "{v}");
        assert_eq!(v["error"]["code"], "unauthorized");
    }
    assert_eq!(c.get(&format!("/v1/sessions/{}", ann.id), &bob.token).await.status(), 401);
    assert_eq!(c.get(&format!("/v1/sessions/{}/log", ann.id), "").await.status(), 401);
    let ws = format!("{}/v1/sessions/{}/ws?token={}", server.url.replacen("http", "ws", 1), ann.id, bob.token);
    assert!(tokio_tungstenite::connect_async(ws).await.is_err(), "a WebSocket with another session's token");

    // Sizes: a body over the limit, too many events in a batch.
    let (status, v) = c.post_events(&ann, Some(&ann.token), format!("[{}]", vec![tick(t0); 300].join(","))).await;
    assert_eq!((status, v["error"]["code"].as_str()), (413, Some("too_large")), "{v}");
    let big = format!(r#"{{"type":"answer","t":{t0},"stage":1,"answer":"{}"}}"#, "x".repeat(5000));
    let (status, v) = c.post_events(&ann, Some(&ann.token), big).await;
    assert_eq!((status, v["error"]["code"].as_str()), (413, Some("too_large")), "{v}");

    // Malformed: not JSON at all; then a batch where each bad event is refused on its own.
    let (status, v) = c.post_events(&ann, Some(&ann.token), "{nope".into()).await;
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("malformed")), "{v}");
    let batch = format!(
        r#"[{{"type":"move","t":{t0}}}, {{"type":"teleport","t":{t0}}}, "tick", {{"type":"tick","t":-1}},
            {{"type":"move","t":{t0},"x":1e400,"y":0}}, {{"type":"claim_result","t":{t0},"claim":"1:crown","granted":true}},
            {{"type":"tick","t":{}}}, {{"type":"move","t":{t0},"x":9000,"y":0}}, {}]"#,
        t0 + 3_600_000,
        tick(t0)
    );
    let (status, v) = c.post_events(&ann, Some(&ann.token), batch).await;
    assert_eq!(status, 200, "{v}");
    let codes: Vec<&str> =
        v["results"].as_array().unwrap().iter().map(|r| r["rejected"]["code"].as_str().unwrap_or("accepted")).collect();
    assert_eq!(
        codes,
        [
            "malformed",
            "malformed",
            "malformed",
            "malformed",
            "malformed",
            "host_only",
            "ahead_of_clock",
            "too_fast",
            "accepted"
        ]
    );
    assert_eq!(v["seq"], 1, "only the good tick was applied");

    // Floods. Over HTTP: past the burst, 429. Over a WebSocket: `throttled` answers, then the
    // connection is closed.
    let mut statuses = vec![];
    for i in 0..60 {
        statuses.push(c.post_events(&ann, Some(&ann.token), tick(t0 + 1 + i)).await.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let url = format!("{}/v1/sessions/{}/ws?token={}", server.url.replacen("http", "ws", 1), ann.id, ann.token);
    let throttled_before = throttled_total(&c.metrics().await);
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let (mut send, mut receive) = ws.split();
    let flood = tokio::spawn(async move {
        for i in 0..400u64 {
            if send.send(Message::text(tick(t0 + 100 + i))).await.is_err() {
                break;
            }
        }
    });
    let (mut throttled, mut closed) = (0, false);
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_secs(5), receive.next()).await {
        match message {
            Ok(Message::Text(reply)) if reply.contains("\"throttled\"") => throttled += 1,
            Ok(Message::Close(frame)) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1008));
                closed = true;
                break;
            }
            Ok(_) => {}
            // The server closed while the flood was still arriving: the close frame may be lost.
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    flood.await.unwrap();
    // The close may overtake the `throttled` answers still in flight (then none is read here);
    // the server's own count below shows the refusals either way.
    assert!(closed, "throttled {throttled}, closed {closed}");
    // The connection was closed after 100 refusals in a row (`flood_close_after`).
    assert!(throttled_total(&c.metrics().await) >= throttled_before + 100);

    // A WebSocket message over the size limit closes that connection only.
    let url = format!("{}/v1/sessions/{}/ws?token={}", server.url.replacen("http", "ws", 1), bob.id, bob.token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let _ = ws.send(Message::text("x".repeat(10_000))).await;
    let next = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap();
    assert!(!matches!(next, Some(Ok(Message::Text(_)))), "an oversized message got an answer: {next:?}");

    // Through all of it, bob's session works, and ann's holds only what was accepted.
    let (status, v) = c.post_events(&bob, Some(&bob.token), tick(bob.started_ms)).await;
    assert_eq!((status, &v["seq"]), (200, &json!(1)), "{v}");
    let text = c.get(&format!("/v1/sessions/{}/log", ann.id), &ann.token).await.text().await.unwrap();
    let replay = log::replay(&text).unwrap();
    let view: Value = c.get(&format!("/v1/sessions/{}", ann.id), &ann.token).await.json().await.unwrap();
    assert_eq!(view["state_hash"].as_str().unwrap(), replay.session.state_hash());
    let metrics = c.metrics().await;
    for reason in ["malformed", "host_only", "ahead_of_clock", "too_fast"] {
        assert!(
            metrics.contains(&format!("xmarks_events_total{{result=\"rejected\",reason=\"{reason}\"}}")),
            "{reason}"
        );
    }
    assert!(
        metrics.contains("xmarks_http_requests_total{route=\"/v1/sessions/{id}/events\",status=\"401\"} 4"),
        "{metrics}"
    );
    let health: Value = c.http.get(format!("{}/healthz", c.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_for_hunts_say_where() {
    let (_dir, server) = server();
    let c = Client::new(&server);
    let cases = [
        (json!({"template": "nope", "player": {"id": "a", "start": {"x": 0, "y": 0}}}), "unknown_template"),
        (json!({"template": "sprint", "player": {"id": "a"}}), "malformed"),
        (json!({"template": "sprint", "player": {"id": "a", "start": {"x": 0, "y": 0}}, "round": 1e300}), "malformed"),
        (json!({"template": "sprint", "player": {"id": "a", "start": {"x": 0, "y": 0}}, "extra": 1}), "malformed"),
    ];
    for (body, code) in cases {
        let r = c.http.post(format!("{}/v1/sessions", c.url)).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code, "{body}: {v}");
    }
    // A hunt without a session is the same hunt a session gets.
    let body = json!({"template": "sprint", "player": {"id": "ann", "start": {"x": 0, "y": 0}}});
    let hunt: Value =
        c.http.post(format!("{}/v1/hunts", c.url)).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(hunt["fingerprint"].as_str().unwrap(), c.open("ann").await.hunt.fingerprint);
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_sessions_leave_memory_and_come_back_by_replay() {
    let (_dir, server) = server_with("evict_idle_s = 1", "");
    let c = Client::new(&server);
    let s = c.open("ann").await;
    let tick = |t: u64| format!(r#"{{"type":"tick","t":{t}}}"#);
    let (status, first) = c.post_events(&s, Some(&s.token), tick(s.started_ms + 1)).await;
    assert_eq!(status, 200, "{first}");
    let held = || async {
        let v: Value = c.http.get(format!("{}/healthz", c.url)).send().await.unwrap().json().await.unwrap();
        v["sessions"].as_u64().unwrap()
    };
    assert_eq!(held().await, 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while held().await > 0 {
        assert!(std::time::Instant::now() < deadline, "the idle session was not let go");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(c.metrics().await.contains("xmarks_sessions_open 0"));
    // Asked for again, it is rebuilt from its log and goes on from where it was.
    let (status, second) = c.post_events(&s, Some(&s.token), tick(s.started_ms + 2)).await;
    assert_eq!((status, &second["seq"]), (200, &json!(2)), "{second}");
    assert_eq!(held().await, 1);
    let text = c.get(&format!("/v1/sessions/{}/log", s.id), &s.token).await.text().await.unwrap();
    assert_eq!(log::replay(&text).unwrap().session.state_hash(), second["state_hash"].as_str().unwrap());
}

fn throttled_total(metrics: &str) -> u64 {
    metrics.lines().find_map(|l| l.strip_prefix("xmarks_throttled_total ")).unwrap().trim().parse().unwrap()
}
