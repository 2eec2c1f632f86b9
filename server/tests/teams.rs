//! Teams against a real server process: created, joined with the invite code or from the list,
//! left, full, started once; one team session played by three members each with their own token
//! and WebSocket, teammates' moves and finds pushed to the others, one member's teleport refused
//! for them only, two digs of one stage at one instant, and the log replaying natively to the
//! server's state. A team made for a live event is one entry on its board, with its members.

mod common;

use common::{now_ms, start_dev, Api, ADMIN};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use xmarks::live::rfc3339;
use xmarks::session::script::walkthrough_view;
use xmarks::session::Event;
use xmarks::HuntView;

/// A member's events, as a batch: the answer, which must be 200.
async fn send(c: &Api, session: &str, token: &str, events: &[Event]) -> Value {
    let path = format!("/v1/sessions/{session}/events");
    let (status, v) = c.call(reqwest::Method::POST, &path, Some(token), Some(json!(events))).await;
    assert_eq!(status, 200, "{v}");
    v
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(c: &Api, session: &str, token: &str) -> Socket {
    let url = format!("{}/v1/sessions/{session}/ws?token={token}", c.url.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next teammate push on a member's socket, within 10 s.
async fn next_push(ws: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a push within 10 s");
        let v: Value = serde_json::from_str(&message.unwrap().unwrap().into_text().unwrap()).unwrap();
        if v["push"] == "teammate" {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_forms_starts_once_and_plays_one_session_together() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());

    // Ann creates a team for the crew template, listing Cy; the invite code is for members only.
    let (status, team) = c
        .post("/v1/teams", json!({"template": "crew", "start": {"x": 0, "y": 0}, "members": ["cy"], "player": "ann"}))
        .await;
    assert_eq!(status, 200, "{team}");
    let id = team["team"].as_str().unwrap().to_owned();
    let invite = team["invite"].as_str().unwrap().to_owned();
    assert_eq!((team["members"].clone(), team["max"].clone()), (json!(["ann"]), json!(8)));
    let (_, public) = c.call(reqwest::Method::GET, &format!("/v1/teams/{id}"), None, None).await;
    assert!(public.get("invite").is_none(), "{public}");

    // Bob joins with the code, Cy from the list; Dee without either is refused, and so is a code
    // that is not the team's.
    let (status, v) = c.post("/v1/teams/join", json!({"invite": invite, "player": "bob"})).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = c.post(&format!("/v1/teams/{id}/join"), json!({"player": "cy"})).await;
    assert_eq!((status, v["members"].clone()), (200, json!(["ann", "bob", "cy"])), "{v}");
    let (status, v) = c.post(&format!("/v1/teams/{id}/join"), json!({"player": "dee"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden")), "{v}");
    let forged = format!("{id}.0123456789abcdef");
    let (status, v) = c.post("/v1/teams/join", json!({"invite": forged, "player": "dee"})).await;
    assert_eq!((status, v["error"]["path"].as_str()), (403, Some("invite")), "{v}");
    // Dee joins and leaves again before the start.
    assert_eq!(c.post("/v1/teams/join", json!({"invite": invite, "player": "dee"})).await.0, 200);
    let (_, v) = c.post(&format!("/v1/teams/{id}/leave"), json!({"player": "dee"})).await;
    assert_eq!(v["members"], json!(["ann", "bob", "cy"]), "{v}");

    // Only a member starts it, once.
    let (status, v) = c.post(&format!("/v1/teams/{id}/start"), json!({"player": "dee"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden")), "{v}");
    let (status, started) = c.post(&format!("/v1/teams/{id}/start"), json!({"player": "ann"})).await;
    assert_eq!(status, 200, "{started}");
    let (status, v) = c.post(&format!("/v1/teams/{id}/start"), json!({"player": "bob"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("team_started")), "{v}");
    // Nobody joins or leaves after the start.
    let (status, v) = c.post("/v1/teams/join", json!({"invite": invite, "player": "dee"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("team_started")), "{v}");
    let (status, v) = c.post(&format!("/v1/teams/{id}/leave"), json!({"player": "cy"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("team_started")), "{v}");

    // Each member has a token of their own for the one session.
    let session = started["session"].as_str().unwrap().to_owned();
    let mut tokens = vec![started["token"].as_str().unwrap().to_owned()];
    for member in ["bob", "cy"] {
        let (_, v) = c.call(reqwest::Method::GET, &format!("/v1/teams/{id}?player={member}"), None, None).await;
        assert_eq!(v["session"], session.as_str(), "{v}");
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(tokens.iter().collect::<std::collections::HashSet<_>>().len(), 3);
    // A token naming someone else of the team's is not to be made up.
    let (status, _) = c
        .call(reqwest::Method::GET, &format!("/v1/sessions/{session}"), Some(&format!("00.{}", hex("eve"))), None)
        .await;
    assert_eq!(status, 401);

    let view: HuntView = serde_json::from_value(started["hunt"].clone()).unwrap();
    let t0 = started["started_ms"].as_u64().unwrap();
    let walk = walkthrough_view(&view, t0).expect("crew's clues give coordinates");
    let members = ["ann", "bob", "cy"];
    let mut sockets = Vec::new();
    for (i, _) in members.iter().enumerate() {
        sockets.push(connect(&c, &session, &tokens[i]).await);
    }

    // Ann's first step reaches Bob and Cy over their sockets; Bob teleports and is refused, alone.
    let first = &walk[0];
    let v = send(&c, &session, &tokens[0], std::slice::from_ref(first)).await;
    assert!(v["results"][0]["outcomes"].is_array(), "{v}");
    for ws in &mut sockets[1..] {
        let push = next_push(ws).await;
        assert_eq!(
            (push["member"].as_str(), push["event"]["x"].clone()),
            (Some("ann"), json!(first_x(first))),
            "{push}"
        );
    }
    let Event::Move { t, at, .. } = first else { panic!("a walk starts with a move") };
    let far = Event::move_to(*t, at.towards(90.0, 5000.0));
    let v = send(&c, &session, &tokens[1], &[far]).await;
    assert_eq!(v["results"][0]["rejected"]["code"], "too_fast", "{v}");

    // The walk, each member stepping beside the others, digs in turns; the first dig is also
    // tried by Cy at the same instant: already found.
    let mut digger = 0;
    let mut found = Vec::new();
    for e in &walk[1..] {
        if let Event::Dig { .. } = e {
            let token = &tokens[digger % 3];
            let v = send(&c, &session, token, std::slice::from_ref(e)).await;
            let revealed = &v["results"][0]["revealed"];
            assert_eq!(revealed.as_array().map(Vec::len), Some(1), "{v}");
            found.push(revealed[0]["site"]["id"].clone());
            if digger == 0 {
                let v = send(&c, &session, &tokens[2], std::slice::from_ref(e)).await;
                assert_eq!(v["results"][0]["rejected"]["code"], "already_found", "{v}");
            }
            digger += 1;
        } else {
            for token in &tokens {
                let v = send(&c, &session, token, std::slice::from_ref(e)).await;
                assert!(v["results"][0]["rejected"].is_null(), "{v}");
            }
        }
    }
    // Every find reached the others: Bob's socket saw the stages Ann and Cy found, with sites.
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let push = next_push(&mut sockets[1]).await;
        if let Some(site) = push["revealed"][0]["site"]["id"].as_str() {
            seen.push(json!(site));
        }
    }
    let others: Vec<Value> = found.iter().enumerate().filter(|(i, _)| i % 3 != 1).map(|(_, s)| s.clone()).collect();
    assert_eq!(seen, others);

    // The session ended; its log replays natively to the server's state, members and all.
    let (_, state) = c.call(reqwest::Method::GET, &format!("/v1/sessions/{session}"), Some(&tokens[2]), None).await;
    assert_eq!(state["status"], "completed", "{state}");
    assert_eq!(state["state"]["finds"].as_array().unwrap().len(), 4, "{state}");
    let log = c.http.get(format!("{}/v1/sessions/{session}/log", c.url)).bearer_auth(&tokens[1]);
    let log = log.send().await.unwrap().text().await.unwrap();
    let replayed = xmarks::session::log::replay(&log).unwrap();
    assert_eq!(replayed.session.state_hash(), state["state_hash"].as_str().unwrap());
    assert_eq!(replayed.session.hunt().members, members);
    let points: i64 = replayed.session.state().members.values().map(|m| m.points).sum();
    assert_eq!(points, replayed.session.state().points);
    for mut ws in sockets {
        ws.close(None).await.unwrap();
    }
}

fn first_x(e: &Event) -> f64 {
    match serde_json::to_value(e).unwrap()["x"].as_f64() {
        Some(x) => x,
        None => panic!("a planar move"),
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_is_refused_beyond_its_limit_and_too_small_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());
    let (_, team) = c.post("/v1/teams", json!({"template": "crew", "start": {"x": 0, "y": 0}, "player": "p0"})).await;
    let id = team["team"].as_str().unwrap().to_owned();
    let (status, v) = c.post(&format!("/v1/teams/{id}/start"), json!({"player": "p0"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("team_too_small")), "{v}");
    let invite = team["invite"].as_str().unwrap().to_owned();
    for i in 1..8 {
        let (status, v) = c.post("/v1/teams/join", json!({"invite": invite, "player": format!("p{i}")})).await;
        assert_eq!(status, 200, "{v}");
    }
    let (status, v) = c.post("/v1/teams/join", json!({"invite": invite, "player": "p8"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (409, Some("team_full")), "{v}");
    // A template for one player makes no team; nor does a team with neither template nor event.
    let (status, v) =
        c.post("/v1/teams", json!({"template": "sprint", "start": {"x": 0, "y": 0}, "player": "p0"})).await;
    assert_eq!((status, v["error"]["code"].as_str()), (400, Some("template_invalid")), "{v}");
    let (status, v) = c.post("/v1/teams", json!({"start": {"x": 0, "y": 0}, "player": "p0"})).await;
    assert_eq!((status, v["error"]["path"].as_str()), (400, Some("template")), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_team_made_for_a_live_event_is_one_entry_on_its_board() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());
    let definition = json!({
        "template": "crew",
        "schedule": {"start": rfc3339(now_ms() - 60_000), "end": rfc3339(now_ms() + 3_600_000)},
    });
    let (status, v) = c.call(Method::PUT, "/v1/admin/events/crews", Some(ADMIN), Some(definition)).await;
    assert_eq!(status, 200, "{v}");
    let (_, team) = c.post("/v1/teams", json!({"event": "crews", "start": {"x": 0, "y": 0}, "player": "ann"})).await;
    let id = team["team"].as_str().unwrap().to_owned();
    c.post("/v1/teams/join", json!({"invite": team["invite"], "player": "bob"})).await;
    let (status, started) = c.post(&format!("/v1/teams/{id}/start"), json!({"player": "bob"})).await;
    assert_eq!(status, 200, "{started}");
    let session = started["session"].as_str().unwrap().to_owned();
    let (_, v) = c.call(Method::GET, &format!("/v1/teams/{id}?player=ann"), None, None).await;
    let tokens = [v["token"].as_str().unwrap().to_owned(), started["token"].as_str().unwrap().to_owned()];
    let view: HuntView = serde_json::from_value(started["hunt"].clone()).unwrap();
    let mut digs = 0;
    for e in walkthrough_view(&view, started["started_ms"].as_u64().unwrap()).unwrap() {
        let who: &[String] = if let Event::Dig { .. } = e {
            digs += 1;
            std::slice::from_ref(&tokens[digs % 2])
        } else {
            &tokens
        };
        for token in who {
            send(&c, &session, token, std::slice::from_ref(&e)).await;
        }
    }
    let board = common::until(Duration::from_secs(10), || async {
        let (_, b) = c.call(Method::GET, "/v1/events/crews/leaderboard", None, None).await;
        (b["entries"].as_array().map(Vec::len) == Some(1)).then_some(b)
    })
    .await;
    let entry = &board["entries"][0];
    assert_eq!(
        (entry["player"].as_str(), entry["members"].clone()),
        (Some(id.as_str()), json!(["ann", "bob"])),
        "{board}"
    );
    assert_eq!(entry["completed"], true, "{board}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_team_route_of_the_catalogue_is_refused_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, c) = start_dev(dir.path());
    let (ran, failures) = common::route_cases("team_route", &c.http, &c.url, ADMIN).await;
    assert!(ran >= 20, "{ran} team route cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_jetstream_hold_one_team_to_its_limit_and_start_it_once() {
    let nats = common::Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let secret = common::secret(dir.path());
    let config = dir.path().join("server.toml");
    let toml = format!(
        "insecure_dev_players = true\ndata_dir = {:?}\nsecret_file = {secret:?}\n[limits]\nmax_ahead_ms = 3600000\nrate_per_s = 1000\nburst = 1000\n",
        dir.path().join("data")
    );
    std::fs::write(&config, toml).unwrap();
    let start = || common::Server::start_with(&config, dir.path(), &["--nats", &nats.url, "--nats-prefix", "teams"]);
    let servers = [start(), start()];
    let apis: Vec<Api> = servers.iter().map(|s| Api { http: reqwest::Client::new(), url: s.url.clone() }).collect();

    let (_, team) =
        apis[0].post("/v1/teams", json!({"template": "crew", "start": {"x": 0, "y": 0}, "player": "p0"})).await;
    let id = team["team"].as_str().unwrap().to_owned();
    // Ten players join at once through both servers: the crew takes eight, so seven get in.
    let joins = (1..=10).map(|i| {
        let (api, invite) = (&apis[i % 2], team["invite"].clone());
        async move { api.post("/v1/teams/join", json!({"invite": invite, "player": format!("p{i}")})).await }
    });
    let answers = futures_util::future::join_all(joins).await;
    let joined = answers.iter().filter(|(status, _)| *status == 200).count();
    let full = answers.iter().filter(|(status, v)| *status == 409 && v["error"]["code"] == "team_full").count();
    assert_eq!((joined, full), (7, 3), "{answers:?}");
    let (_, seen) = apis[1].call(reqwest::Method::GET, &format!("/v1/teams/{id}"), None, None).await;
    assert_eq!(seen["members"].as_array().unwrap().len(), 8, "{seen}");

    // Two members start it at once on the two servers: one start.
    let members: Vec<String> =
        seen["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect();
    let starts = [0, 1].map(|k| {
        let (api, player) = (&apis[k], members[k].clone());
        let path = format!("/v1/teams/{id}/start");
        async move { api.post(&path, json!({ "player": player })).await }
    });
    let [a, b] = futures_util::future::join_all(starts).await.try_into().unwrap();
    let codes = [a.0, b.0];
    assert!(codes.contains(&200) && codes.contains(&409), "{a:?} {b:?}");
    let started = if a.0 == 200 { a.1 } else { b.1 };
    let session = started["session"].as_str().unwrap().to_owned();

    // Each member's token works on either server: one member plays on each, in one session, and
    // hears the other's moves though they are connected to another server.
    let view: HuntView = serde_json::from_value(started["hunt"].clone()).unwrap();
    let first = walkthrough_view(&view, started["started_ms"].as_u64().unwrap()).unwrap().remove(0);
    let mut tokens = Vec::new();
    for (k, member) in members.iter().take(2).enumerate() {
        let (_, v) = apis[k].call(reqwest::Method::GET, &format!("/v1/teams/{id}?player={member}"), None, None).await;
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    let mut listening = connect(&apis[1], &session, &tokens[0]).await;
    for (k, token) in tokens.iter().enumerate() {
        let answer = send(&apis[1 - k], &session, token, std::slice::from_ref(&first)).await;
        assert!(answer["results"][0]["rejected"].is_null(), "{answer}");
        assert_eq!(answer["seq"], k as u64 + 1, "{answer}");
    }
    let push = next_push(&mut listening).await;
    assert_eq!((push["member"].as_str(), push["seq"].as_u64()), (Some(members[1].as_str()), Some(2)), "{push}");
}
