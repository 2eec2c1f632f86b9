//! Players known by tokens the game's backend signs, against a real server process: who opens a
//! session and at what level comes from the token, never the body; every kind of bad token is
//! refused with its own code; and the limits on opening sessions (per player, per address, open at
//! once, in all).

mod common;

use common::{fails_to_start, Server};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const HS_SECRET: &str = "the game backend's shared secret, 32+ bytes";
const ED_PRIVATE: &str = include_str!("keys/backend-ed25519.pem");

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A server that knows players by tokens: an HS256 key `hs-1` and an EdDSA key `ed-1` (a
/// rotation in progress), audience `treasure`, issuer `backend`, 5 s of leeway. `limits` adds to
/// `[limits]`.
fn server(limits: &str) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let hs = dir.path().join("hs-1");
    std::fs::write(&hs, HS_SECRET).unwrap();
    let ed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/backend-ed25519.pub.pem");
    // `sprint`, and `blink`: the same with one second to play.
    let sprint = dir.path().join("sprint.json");
    std::fs::write(&sprint, common::sprint_template()).unwrap();
    let blink = dir.path().join("blink.json");
    let mut template: Value = serde_json::from_str(common::sprint_template()).unwrap();
    template["id"] = json!("blink");
    template["time_limit_s"] = json!(1);
    std::fs::write(&blink, template.to_string()).unwrap();
    let toml = format!(
        "data_dir = {:?}\n[templates.sprint]\ntemplate = {sprint:?}\n[templates.blink]\ntemplate = {blink:?}\n\
         [limits]\n{limits}\n[players]\naudience = \"treasure\"\nissuer = \"backend\"\nleeway_s = 5\n\
         [[players.keys]]\nkid = \"hs-1\"\nalg = \"HS256\"\nsecret_file = {hs:?}\n\
         [[players.keys]]\nkid = \"ed-1\"\nalg = \"EdDSA\"\npublic_key_file = {ed:?}\n",
        dir.path().join("data")
    );
    let server = Server::start(dir.path(), &toml);
    (dir, server)
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "aud": "treasure", "iss": "backend", "exp": now() + 600})
}

fn hs256(kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_secret(HS_SECRET.as_bytes())).unwrap()
}

fn eddsa(claims: &Value) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed-1".into());
    encode(&header, claims, &EncodingKey::from_ed_pem(ED_PRIVATE.as_bytes()).unwrap()).unwrap()
}

/// `POST path` with a bearer token (if any): the status, its `Retry-After`, and the body.
async fn post(server: &Server, path: &str, token: Option<&str>, body: Value) -> (u16, Option<u64>, Value) {
    let mut request = reqwest::Client::new().post(format!("{}{path}", server.url)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

fn open_body() -> Value {
    json!({"template": "sprint", "player": {"start": {"x": 0, "y": 0}}})
}

async fn open(server: &Server, token: &str) -> (u16, Option<u64>, Value) {
    post(server, "/v1/sessions", Some(token), open_body()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_says_who_the_player_is_and_their_level() {
    let (_dir, server) = server("");
    let mut ann = claims("ann");
    ann["level"] = json!(4);
    let (status, _, created) = open(&server, &hs256("hs-1", &ann)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["hunt"]["player"], "ann");
    assert_eq!(created["hunt"]["level"], 4);
    // The player gets the view of the hunt, and its log (which holds the whole hunt) stays closed
    // to them while they play.
    assert_eq!(created["hunt"]["view"], "xmarks-view/1");
    assert!(created["hunt"]["stages"].as_array().unwrap().iter().all(|s| s.get("site").is_none()), "{created}");
    assert_eq!(of_session(&server.url, &created, "/log").await.0, 403);

    // The other key of the rotation works too, and a token's extra claims are fine.
    let mut bob = claims("bob");
    bob["jti"] = json!("a nonce");
    bob["team"] = json!("blue");
    bob["interests"] = json!({"ruin": 2.0});
    let (status, _, created) = open(&server, &eddsa(&bob)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["hunt"]["player"], "bob");
    assert_eq!(created["hunt"]["level"], 1, "no level claim: level 1");

    // The body may say where the player stands and repeat their id, nothing more.
    let token = hs256("hs-1", &claims("ann"));
    let same = json!({"template": "sprint", "player": {"id": "ann", "start": {"x": 0, "y": 0}}});
    assert_eq!(post(&server, "/v1/sessions", Some(&token), same).await.0, 200);
    for (field, value, path) in [
        ("id", json!("cat"), "player.id"),
        ("level", json!(1000), "player.level"),
        ("found", json!(["s1"]), "player.found"),
    ] {
        let mut body = open_body();
        body["player"][field] = value;
        let (status, _, answer) = post(&server, "/v1/sessions", Some(&token), body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"]["code"], "identity_in_body", "{answer}");
        assert_eq!(answer["error"]["path"], path, "{answer}");
    }

    // A hunt without a session names a player too.
    assert_eq!(post(&server, "/v1/hunts", None, open_body()).await.2["error"]["code"], "token_missing");
    let (status, _, hunt) = post(&server, "/v1/hunts", Some(&token), open_body()).await;
    assert_eq!((status, hunt["player"].as_str()), (200, Some("ann")), "{hunt}");
}

/// A token from a recipe of the bad-input catalogue (see its `about`).
fn from_recipe(recipe: &Value) -> String {
    use base64::Engine as _;
    if let Some(raw) = recipe["raw"].as_str() {
        return raw.to_owned();
    }
    let mut c = claims(recipe["sub"].as_str().unwrap_or("ann"));
    if let Some(exp) = recipe["exp_in_s"].as_i64() {
        c["exp"] = json!(now() as i64 + exp);
    }
    if let Some(nbf) = recipe["nbf_in_s"].as_i64() {
        c["nbf"] = json!(now() as i64 + nbf);
    }
    for (k, v) in recipe["claims"].as_object().into_iter().flatten() {
        c[k] = v.clone();
    }
    for k in recipe["remove"].as_array().into_iter().flatten() {
        c.as_object_mut().unwrap().remove(k.as_str().unwrap());
    }
    let kid = match recipe.get("kid") {
        Some(Value::Null) => None,
        Some(kid) => Some(kid.as_str().unwrap().to_owned()),
        None => Some("hs-1".to_owned()),
    };
    if recipe["alg"] == "none" {
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        return format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})), b64(&c));
    }
    let key = match recipe["key"].as_str() {
        Some("other-hs") => EncodingKey::from_secret(b"someone else's secret, 32+ bytes long"),
        Some("ed-public-as-hmac") => EncodingKey::from_secret(
            &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/backend-ed25519.pub.pem")).unwrap(),
        ),
        _ => EncodingKey::from_secret(HS_SECRET.as_bytes()),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid;
    encode(&header, &c, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_token_and_player_route_of_the_catalogue_is_refused_with_its_code() {
    let (_dir, server) = server("sessions_per_player_per_min = 1000\nsessions_per_address_per_min = 1000");
    // The catalogue's erased player.
    let erased = hs256("hs-1", &claims("erased-before"));
    assert_eq!(open(&server, &erased).await.0, 200);
    assert_eq!(erase(&server.url, "erased-before", &backend_token()).await.0, 200);

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input/catalogue.json");
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases: Vec<&Value> =
        catalogue["cases"].as_array().unwrap().iter().filter(|c| c["entry"] == "player_token").collect();
    assert!(cases.len() >= 20, "{} token cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let (status, _, answer) = open(&server, &from_recipe(&case["input"])).await;
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        if (status, code) != (401, case["code"].as_str().unwrap()) {
            failures.push(format!("{}: {status} {code}, expected 401 {}", case["name"], case["code"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let (status, _, answer) = post(&server, "/v1/sessions", None, open_body()).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (401, Some("token_missing")), "{answer}");

    // The player routes: who may call them, on which ids.
    let routes: Vec<&Value> =
        catalogue["cases"].as_array().unwrap().iter().filter(|c| c["entry"] == "player_route").collect();
    assert!(routes.len() >= 6, "{} route cases", routes.len());
    for case in routes {
        let recipe = &case["input"];
        let url = format!("{}/v1/players/{}", server.url, recipe["id"].as_str().unwrap());
        let http = reqwest::Client::new();
        let mut request = if recipe["method"] == "DELETE" { http.delete(url) } else { http.get(url) };
        match recipe["token"].as_str().unwrap() {
            "backend" => request = request.bearer_auth(backend_token()),
            "player" => request = request.bearer_auth(hs256("hs-1", &claims("bob"))),
            _ => {}
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        let code = answer["error"]["code"].as_str().unwrap_or_default();
        if code != case["code"].as_str().unwrap() {
            failures.push(format!("{}: {code}, expected {}", case["name"], case["code"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Clock skew within the leeway is fine, and the server kept serving throughout.
    let mut late = claims("ann");
    late["exp"] = json!(now() - 2);
    assert_eq!(open(&server, &hs256("hs-1", &late)).await.0, 200);
    assert_eq!(open(&server, &hs256("hs-1", &claims("ann"))).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn opening_sessions_is_limited_per_player_per_address_and_in_all() {
    // Per player: 3 a minute.
    let (_dir, server1) = server("sessions_per_player_per_min = 3\nopen_sessions_per_player = 10");
    let ann = hs256("hs-1", &claims("ann"));
    for _ in 0..3 {
        assert_eq!(open(&server1, &ann).await.0, 200);
    }
    let (status, retry, answer) = open(&server1, &ann).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("throttled")), "{answer}");
    assert!(retry.is_some_and(|s| (1..=20).contains(&s)), "Retry-After {retry:?}");
    assert_eq!(open(&server1, &hs256("hs-1", &claims("bob"))).await.0, 200, "others are not held back");

    // Open at once: 2 per player; one that ends frees its place.
    let (_dir, server2) = server("open_sessions_per_player = 2");
    let blink = json!({"template": "blink", "player": {"start": {"x": 0, "y": 0}}});
    let first = post(&server2, "/v1/sessions", Some(&ann), blink).await.2;
    assert_eq!(open(&server2, &ann).await.0, 200);
    let (status, _, answer) = open(&server2, &ann).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (409, Some("too_many_open")), "{answer}");
    // The blink's second runs out.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let tick = json!({"type": "tick", "t": first["started_ms"].as_u64().unwrap() + 1100});
    let ended = common::send(&reqwest::Client::new(), &server2.url, &first, tick.to_string()).await;
    assert_eq!(ended["status"], "failed", "{ended}");
    assert_eq!(open(&server2, &ann).await.0, 200, "an ended session frees its place");

    // Per address: 4 a minute, whoever the players.
    let (_dir, server3) = server("sessions_per_address_per_min = 4");
    for i in 0..4 {
        assert_eq!(open(&server3, &hs256("hs-1", &claims(&format!("p{i}")))).await.0, 200);
    }
    let (status, retry, answer) = open(&server3, &hs256("hs-1", &claims("p9"))).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (429, Some("throttled")), "{answer}");
    assert!(retry.is_some(), "{answer}");

    // In all: 3 active sessions on this server.
    let (_dir, server4) = server("open_sessions = 3");
    for i in 0..3 {
        assert_eq!(open(&server4, &hs256("hs-1", &claims(&format!("p{i}")))).await.0, 200);
    }
    let (status, retry, answer) = open(&server4, &hs256("hs-1", &claims("p9"))).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (503, Some("server_full")), "{answer}");
    assert!(retry.is_some(), "{answer}");
}

#[test]
fn without_player_keys_the_server_does_not_start_unless_told_it_is_for_development() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(&config, format!("data_dir = {:?}\n", dir.path().join("data"))).unwrap();
    let stderr = fails_to_start(&config, &[]);
    assert!(stderr.contains("players.keys") && stderr.contains("--insecure-dev-players"), "{stderr}");
    std::fs::write(dir.path().join("short"), "too short").unwrap();
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[[players.keys]]\nkid = \"k\"\nalg = \"HS256\"\nsecret_file = {:?}\n",
            dir.path().join("data"),
            dir.path().join("short")
        ),
    )
    .unwrap();
    let stderr = fails_to_start(&config, &[]);
    assert!(stderr.contains("players.keys[0].secret_file") && stderr.contains("32 bytes"), "{stderr}");

    std::fs::write(&config, format!("data_dir = {:?}\n", dir.path().join("data"))).unwrap();
    let server = Server::start_with(&config, dir.path(), &["--insecure-dev-players"]);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(log.contains("INSECURE"), "{log}");
    drop(server);
}

/// A token for the game's backend itself.
fn backend_token() -> String {
    let mut c = claims("backend");
    c["scope"] = json!("profiles admin");
    hs256("hs-1", &c)
}

/// Plays a session to its end with the core's scripted player on the `dash` template (fast
/// enough to walk in a few seconds), sending each event once the server's clock allows it. The
/// hunt handed out is the player's view: it shows no site; each dig that finds a stage reveals
/// its site, and once the hunt is over the salt shows every commitment held. Returns the ids of
/// the sites found.
async fn play_through(url: &str, created: &Value) -> Vec<String> {
    let view: xmarks::HuntView = serde_json::from_value(created["hunt"].clone()).unwrap();
    assert!(view.stages.iter().all(|stage| stage.site.is_none()), "{view:?}");
    let started = created["started_ms"].as_u64().unwrap();
    let http = reqwest::Client::new();
    let mut revealed = Vec::new();
    let mut last = Value::Null;
    for event in xmarks::session::script::walkthrough_view(&view, started).expect("coordinates clues") {
        let due = event.t().saturating_sub(1_000);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        tokio::time::sleep(std::time::Duration::from_millis(due.saturating_sub(now))).await;
        last = common::send(&http, url, created, event.canonical_json()).await;
        assert!(last["results"][0].get("rejected").is_none(), "{last}");
        revealed.extend(last["results"][0]["revealed"].as_array().into_iter().flatten().cloned());
    }
    assert_eq!(last["status"], "completed", "{last}");
    let salt = last["salt"].as_str().expect("the salt, once the hunt is over");
    assert_eq!(revealed.len(), view.stages.len());
    revealed
        .iter()
        .zip(&view.stages)
        .map(|(found, stage)| {
            let site: xmarks::Site = serde_json::from_value(found["site"].clone()).unwrap();
            assert_eq!(xmarks::hunt::view::commitment(salt, &site), stage.commitment, "a site moved");
            site.id
        })
        .collect()
}

/// The `dash` template.
fn dash_template() -> Value {
    let mut template: Value = serde_json::from_str(common::sprint_template()).unwrap();
    template["id"] = json!("dash");
    template["stages"] = json!(2);
    template["max_speed"] = json!(100);
    template
}

/// The fingerprint of the `dash` hunt `player` gets on the test servers (procedural world 7, game
/// seed 1, round 1, from the origin) when they have found `found`.
fn dash_fingerprint(player: &str, found: &[String]) -> String {
    use xmarks::{generate, Player, Point, ProceduralWorld, Seeds, Template, World, WorldConfig};
    let world = World::Procedural(ProceduralWorld::new(7, WorldConfig::default()).unwrap());
    let template = Template::from_json(&dash_template().to_string()).unwrap();
    let player = Player::new(player, Point::new(0.0, 0.0)).with_found(found.to_vec());
    generate(&world, &template, &Seeds { game: 1, round: 1 }, &player).unwrap().fingerprint
}

/// A server (embedded, or on `nats` with `prefix`) with the `dash` template: two stages, at
/// 100 m/s.
fn dash_server(dir: &Path, nats: Option<(&str, &str)>) -> Server {
    dash_server_with(dir, nats, "")
}

/// [`dash_server`] with more top-level TOML sections (`[retention]`...).
fn dash_server_with(dir: &Path, nats: Option<(&str, &str)>, more: &str) -> Server {
    let hs = dir.join("hs-1");
    std::fs::write(&hs, HS_SECRET).unwrap();
    let dash = dir.join("dash.json");
    std::fs::write(&dash, dash_template().to_string()).unwrap();
    let store = match nats {
        Some((url, prefix)) => {
            format!("secret_file = {:?}\n[nats]\nurl = {url:?}\nprefix = {prefix:?}\n", common::secret(dir))
        }
        None => String::new(),
    };
    let toml = format!(
        "data_dir = {:?}\n{store}{more}\n[templates.dash]\ntemplate = {dash:?}\n[players]\naudience = \"treasure\"\n\
         issuer = \"backend\"\n[[players.keys]]\nkid = \"hs-1\"\nalg = \"HS256\"\nsecret_file = {hs:?}\n",
        dir.join("data")
    );
    let config = dir.join("server.toml");
    std::fs::write(&config, toml).unwrap();
    Server::start_with(&config, dir, &[])
}

async fn profile(url: &str, player: &str, token: &str) -> (u16, Value) {
    let response =
        reqwest::Client::new().get(format!("{url}/v1/players/{player}")).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// The sites found in a session [`finishes_a_hunt`] played.
fn site_ids(created: &Value) -> Vec<String> {
    serde_json::from_value(created["found_sites"].clone()).unwrap()
}

/// Whether `created` (a session just opened for `player`) got the hunt that avoids `found`.
fn avoids(created: &Value, player: &str, found: &[String]) {
    assert!(!found.is_empty());
    let fingerprint = created["hunt"]["fingerprint"].as_str().unwrap();
    assert_eq!(fingerprint, dash_fingerprint(player, found), "the hunt of a player who found {found:?}");
    assert_ne!(fingerprint, dash_fingerprint(player, &[]), "not the hunt of a player who found nothing");
}

/// Opens a `dash` hunt for `ann` on `url` and plays it to the end; returns the session's answer
/// and her profile afterwards, checked against what she did.
async fn ann_finishes_a_hunt(url: &str) -> (Value, Value) {
    finishes_a_hunt(url, "ann").await
}

async fn finishes_a_hunt(url: &str, player: &str) -> (Value, Value) {
    let ann = hs256("hs-1", &claims(player));
    let (status, _, mut created) = post_to(url, &ann).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["hunt"]["fingerprint"], dash_fingerprint(player, &[]), "a first hunt");
    let found = play_through(url, &created).await;
    created["found_sites"] = json!(found);
    let (status, mine) = profile(url, player, &ann).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!((mine["sessions"].as_u64(), mine["completed"].as_u64()), (Some(1), Some(1)), "{mine}");
    let mut found = site_ids(&created);
    found.sort();
    assert_eq!(mine["sites_found"], json!(found), "{mine}");
    // Points and items as the session's own state has them (the default rules add bonuses).
    let view: Value = serde_json::from_str(&of_session(url, &created, "").await.1).unwrap();
    assert!(mine["points"].as_i64().unwrap() >= 120, "two stages of 10 and the treasure's 100 at least: {mine}");
    assert_eq!((&mine["points"], &mine["items"]), (&view["state"]["points"], &view["state"]["items"]), "{view}");
    assert_eq!(mine["items"]["sprint_medal"], 1, "{mine}");
    (created, mine)
}

async fn post_to(url: &str, token: &str) -> (u16, Option<u64>, Value) {
    let body = json!({"template": "dash", "player": {"start": {"x": 0, "y": 0}}});
    let response =
        reqwest::Client::new().post(format!("{url}/v1/sessions")).bearer_auth(token).json(&body).send().await.unwrap();
    (response.status().as_u16(), None, response.json().await.unwrap())
}

/// On `url` (another server, or the same restarted): the same profile, readable by the backend
/// and not by another player, and her next hunt avoids the sites she found.
async fn her_profile_holds_on(url: &str, created: &Value, mine: &Value) {
    let ann = hs256("hs-1", &claims("ann"));
    assert_eq!(&profile(url, "ann", &ann).await.1, mine, "the same profile, rebuilt from the logs");
    assert_eq!(&profile(url, "ann", &backend_token()).await.1, mine, "the backend reads it too");
    let (status, answer) = profile(url, "ann", &hs256("hs-1", &claims("bob"))).await;
    assert_eq!((status, answer["error"]["code"].as_str()), (403, Some("forbidden")), "{answer}");

    let (status, _, again) = post_to(url, &ann).await;
    assert_eq!(status, 200, "{again}");
    avoids(&again, "ann", &site_ids(created));
    // Bob, asking the same, gets the hunt she first got: the sites are hers only.
    let (_, _, bobs) = post_to(url, &hs256("hs-1", &claims("bob"))).await;
    assert_eq!(bobs["hunt"]["stages"].as_array().map(Vec::len), Some(2), "{bobs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_are_projections_of_the_logs_embedded_and_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = dash_server(dir.path(), None);
    let (created, mine) = ann_finishes_a_hunt(&server.url).await;
    server.kill();
    let restarted = dash_server(dir.path(), None);
    her_profile_holds_on(&restarted.url, &created, &mine).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_are_the_same_on_every_server_on_jetstream() {
    let nats = common::Nats::start();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = dash_server(a.path(), Some((&nats.url, "profiles")));
    let second = dash_server(b.path(), Some((&nats.url, "profiles")));
    let (created, mine) = ann_finishes_a_hunt(&first.url).await;
    her_profile_holds_on(&second.url, &created, &mine).await;
}

async fn get(url: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new().get(url).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// `GET /v1/sessions/{id}{rest}` on `url` for the session `created` (the answer that opened it),
/// with its token.
async fn of_session(url: &str, created: &Value, rest: &str) -> (u16, String) {
    let id = created["session"].as_str().unwrap();
    get(&format!("{url}/v1/sessions/{id}{rest}"), created["token"].as_str().unwrap()).await
}

/// `DELETE /v1/players/{player}` on `url` with `token`: the status and the answer.
async fn erase(url: &str, player: &str, token: &str) -> (u16, Value) {
    let response =
        reqwest::Client::new().delete(format!("{url}/v1/players/{player}")).bearer_auth(token).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// Waits until a session's log is compacted (`410`), up to 15 s.
async fn await_compacted(url: &str, created: &Value) {
    for _ in 0..150 {
        if of_session(url, created, "/log").await.0 == 410 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the session was not compacted within 15 s");
}

async fn verify_log(url: &str, log: String) -> Value {
    let response = reqwest::Client::new().post(format!("{url}/v1/verify")).body(log).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn ended_sessions_are_compacted_to_their_summary_and_archived_and_profiles_do_not_change() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let retention = format!("[retention]\ncompact_after_s = 2\narchive_dir = {archive:?}\n");
    let mut server = dash_server_with(dir.path(), None, &retention);
    let (created, mine) = ann_finishes_a_hunt(&server.url).await;
    let id = created["session"].as_str().unwrap();
    let view: Value = serde_json::from_str(&of_session(&server.url, &created, "").await.1).unwrap();
    assert_eq!(view["status"], "completed");

    await_compacted(&server.url, &created).await;
    let (status, summary) = of_session(&server.url, &created, "/summary").await;
    assert_eq!(status, 200, "{summary}");
    let summary: Value = serde_json::from_str(&summary).unwrap();
    assert_eq!((&summary["state_hash"], &summary["seq"]), (&view["state_hash"], &view["seq"]), "{summary}");
    assert_eq!(summary["status"], "completed");
    // The archived log is the whole log: it replays to the same state.
    let archived = std::fs::read_to_string(archive.join(format!("{id}.jsonl"))).unwrap();
    let verified = verify_log(&server.url, archived).await;
    assert_eq!((&verified["valid"], &verified["state_hash"]), (&json!(true), &view["state_hash"]), "{verified}");
    let ann = hs256("hs-1", &claims("ann"));
    assert_eq!(profile(&server.url, "ann", &ann).await.1, mine, "the profile did not change");

    server.kill();
    let restarted = dash_server_with(dir.path(), None, &retention);
    assert_eq!(profile(&restarted.url, "ann", &ann).await.1, mine, "nor after a restart");
    assert_eq!(of_session(&restarted.url, &created, "/log").await.0, 410);
    // Her next hunt still avoids what she found.
    avoids(&post_to(&restarted.url, &ann).await.2, "ann", &site_ids(&created));
}

/// Every file under `dir`, as bytes, contains `needle` nowhere.
fn nowhere_in(dir: &Path, needle: &str) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            nowhere_in(&path, needle)?;
        } else {
            let bytes = std::fs::read(&path).unwrap();
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                return Err(format!("{} holds {needle:?}", path.display()));
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erased_player_is_gone_from_the_store_and_others_still_verify() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let retention = format!("[retention]\ncompact_after_s = 1\narchive_dir = {archive:?}\n");
    let mut server = dash_server_with(dir.path(), None, &retention);
    let erased = "erasable-player-q7";
    let (hers, _) = finishes_a_hunt(&server.url, erased).await;
    await_compacted(&server.url, &hers).await;
    let her_token = hs256("hs-1", &claims(erased));
    // A second session, still active when she is erased.
    let (status, _, active) = post_to(&server.url, &her_token).await;
    assert_eq!(status, 200, "{active}");
    let (his, his_profile) = finishes_a_hunt(&server.url, "bob").await;
    let his_log = of_session(&server.url, &his, "/log").await.1;

    assert_eq!(erase(&server.url, erased, &hs256("hs-1", &claims("bob"))).await.0, 403, "only the backend erases");
    let answer = erase(&server.url, erased, &backend_token()).await.1;
    assert_eq!(answer, json!({"erased": true, "sessions": 2}));

    // Her tokens are refused; her sessions are summaries that name nobody; no archive is left.
    let (status, _, refused) = post_to(&server.url, &her_token).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (401, Some("token_player_erased")), "{refused}");
    for session in [&hers, &active] {
        assert_eq!(of_session(&server.url, session, "/log").await.0, 410);
        let summary: Value = serde_json::from_str(&of_session(&server.url, session, "/summary").await.1).unwrap();
        assert_eq!(summary["player_key"], "erased", "{summary}");
        assert!(summary.get("archive").is_none(), "{summary}");
    }
    assert_eq!(std::fs::read_dir(&archive).unwrap().count(), 0, "her archived log was deleted");

    // His log verifies as before, and his profile is unchanged.
    let verified = verify_log(&server.url, his_log).await;
    assert_eq!(verified["valid"], true, "{verified}");
    let bob = hs256("hs-1", &claims("bob"));
    assert_eq!(profile(&server.url, "bob", &bob).await.1, his_profile);

    // Nothing on disk names her, and the refusal outlives a restart.
    server.kill();
    nowhere_in(dir.path(), erased).unwrap();
    let restarted = dash_server_with(dir.path(), None, &retention);
    assert_eq!(post_to(&restarted.url, &her_token).await.0, 401);
    assert_eq!(profile(&restarted.url, "bob", &bob).await.1, his_profile);
}

#[tokio::test(flavor = "multi_thread")]
async fn erasure_and_compaction_on_jetstream_hold_on_every_server() {
    let nats = common::Nats::start();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let retention = "[retention]\ncompact_after_s = 1\n";
    let first = dash_server_with(a.path(), Some((&nats.url, "erasure")), retention);
    let second = dash_server_with(b.path(), Some((&nats.url, "erasure")), "");
    let (bobs, his_profile) = finishes_a_hunt(&first.url, "bob").await;
    await_compacted(&first.url, &bobs).await;
    // Compacted on the first, seen so on the second; his profile the same on both.
    assert_eq!(of_session(&second.url, &bobs, "/log").await.0, 410);
    let bob = hs256("hs-1", &claims("bob"));
    assert_eq!(profile(&second.url, "bob", &bob).await.1, his_profile);

    let (hers, _) = finishes_a_hunt(&first.url, "ann").await;
    assert_eq!(erase(&second.url, "ann", &backend_token()).await.0, 200);
    let ann = hs256("hs-1", &claims("ann"));
    assert_eq!(post_to(&first.url, &ann).await.2["error"]["code"], "token_player_erased");
    assert_eq!(of_session(&first.url, &hers, "/log").await.0, 410);
    assert_eq!(profile(&first.url, "bob", &bob).await.1, his_profile);
}
