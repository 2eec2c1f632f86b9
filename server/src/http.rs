//! HTTP and WebSocket API.
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz` | readiness: the store in use, its circuit breaker, sessions held; `503` while the breaker is open |
//! | `GET /metrics` | Prometheus text |
//! | `GET /v1/templates` | the template names offered |
//! | `POST /v1/hunts` | a hunt for `{template, player, round?}`, without a session |
//! | `POST /v1/sessions` | generate the player's hunt and open a session: id, token, hunt |
//! | `GET /v1/sessions/{id}` | the session's state and state hash |
//! | `GET /v1/sessions/{id}/log` | its log (JSON Lines) |
//! | `POST /v1/sessions/{id}/events` | a batch of events (an array, or one event): a result per event |
//! | `GET /v1/sessions/{id}/ws` | WebSocket: each text message is a batch, answered in order |
//! | `GET /v1/players/{id}` | the player's profile (their own token, or one with the `admin` scope) |
//! | `DELETE /v1/players/{id}` | erase the player (`admin` scope) |
//! | `GET /v1/sessions/{id}/summary` | what is kept of a compacted session (its outcome, final state hash) |
//! | `POST /v1/verify` | replay a client's log: valid or where it breaks |
//! | `GET /v1/events`, `GET /v1/events/{id}` | live events with their current and next windows (start, end, seconds left) |
//! | `POST /v1/events/{id}/join` | join the open window (the player from their token) |
//! | `POST /v1/events/{id}/sessions` | open an attempt in the open window: its hunt, a session and its token |
//! | `GET /v1/events/{id}/leaderboard` | `?window=NAME\|all`, `top=N`, `player=ID&around=K`, `after=CURSOR&limit=N` |
//! | `PUT /v1/admin/{templates,rulesets,events}/{name}` | admin: create or update (every problem at its path) |
//! | `DELETE /v1/admin/{templates,rulesets,events}/{name}` | admin: retire |
//! | `POST /v1/admin/events/{id}/end` | admin: end the open window now (`{"window"}` optional) |
//! | `GET /v1/admin/audit?after=N` | admin: the audit log |
//! | `GET /v1/rewards?after=CURSOR&wait_s=S` | admin (the game's backend): grants after the cursor, long-polling |
//! | `POST /v1/rewards/ack` | admin: `{"keys": [...]}` applied, each once |
//!
//! Admin routes take the admin secret (`Authorization: Bearer`), never a player's token.
//!
//! Session routes need the token issued with the session, as `Authorization: Bearer <token>` or
//! `?token=` (browsers cannot set headers on WebSockets). Errors are
//! `{"error": {"code", "message", "path"?, "retry_after_s"?}}` with a matching HTTP status. While
//! the store fails, requests that need it are refused at once with `503` and `Retry-After`
//! (`retry_after_s` in the body, for WebSocket clients).

use crate::engine::{ApiError, CreateRequest, Engine, Refusal};
use crate::store::breaker::State as Breaker;
use crate::teams::Caller;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;
use xmarks::session::{Event, Rejection};

pub struct App {
    pub engine: Engine,
    /// Per-session rate of HTTP event batches.
    limiter: DefaultKeyedRateLimiter<String>,
    quota: Quota,
    /// Sessions opened per player and per client address.
    per_player: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
}

pub type Shared = Arc<App>;

impl App {
    pub fn new(engine: Engine) -> Shared {
        let l = &engine.limits;
        let quota = Quota::per_second(NonZeroU32::new(l.rate_per_s).expect("checked"))
            .allow_burst(NonZeroU32::new(l.burst).expect("checked"));
        let per_minute = |n: u32| {
            let n = NonZeroU32::new(n).expect("checked");
            Quota::per_minute(n).allow_burst(n)
        };
        Arc::new(App {
            limiter: RateLimiter::keyed(quota),
            quota,
            per_player: RateLimiter::keyed(per_minute(l.sessions_per_player_per_min)),
            per_address: RateLimiter::keyed(per_minute(l.sessions_per_address_per_min)),
            engine,
        })
    }

    /// Forgets idle sessions' rate state; called now and then.
    pub fn tidy(&self) {
        self.limiter.retain_recent();
        self.per_player.retain_recent();
        self.per_address.retain_recent();
    }

    /// One more session for `player` from `address`, or `throttled` with when to try again.
    fn may_open(&self, player: &str, address: IpAddr) -> Result<(), ApiError> {
        let refuse = |who: &str, not_until: governor::NotUntil<governor::clock::QuantaInstant>| {
            self.engine.metrics.throttled.inc();
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            ApiError::new("throttled", format!("too many sessions opened by this {who}; try again later"))
                .retry_after(wait)
        };
        self.per_address.check_key(&address).map_err(|n| refuse("address", n))?;
        self.per_player.check_key(&player.to_owned()).map_err(|n| refuse("player", n))?;
        Ok(())
    }
}

fn status_of(code: &str) -> StatusCode {
    match code {
        "window_full"
        | "no_attempts_left"
        | "already_acknowledged"
        | "window_open"
        | "in_use"
        | "not_joined"
        | "team_full"
        | "team_started"
        | "team_too_small" => StatusCode::CONFLICT,
        "window_closed" => StatusCode::GONE,
        "unsupported" => StatusCode::NOT_IMPLEMENTED,
        "unauthorized" => StatusCode::UNAUTHORIZED,
        "forbidden" => StatusCode::FORBIDDEN,
        "compacted" => StatusCode::GONE,
        code if code.starts_with("token_") => StatusCode::UNAUTHORIZED,
        "too_many_open" => StatusCode::CONFLICT,
        "server_full" => StatusCode::SERVICE_UNAVAILABLE,
        "not_found" => StatusCode::NOT_FOUND,
        "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        "throttled" => StatusCode::TOO_MANY_REQUESTS,
        "unavailable" => StatusCode::SERVICE_UNAVAILABLE,
        "internal" => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

fn error_json(e: &ApiError) -> String {
    serde_json::json!({ "error": e }).to_string()
}

struct Failure(ApiError);

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        Failure(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if self.0.code == "internal" || self.0.code == "unavailable" {
            tracing::warn!(code = self.0.code, message = %self.0.message, "request failed");
        }
        let mut response =
            (status_of(self.0.code), [(header::CONTENT_TYPE, "application/json")], error_json(&self.0)).into_response();
        if let Some(seconds) = self.0.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

fn json_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn to_json<T: serde::Serialize>(value: &T) -> Response {
    json_response(serde_json::to_string(value).expect("responses serialise"))
}

/// The body, or `too_large` / `malformed`.
fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new("too_large", r.body_text())
        } else {
            ApiError::new("malformed", r.body_text())
        }
    })
}

fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::new("malformed", e.to_string()))
}

/// A batch: a JSON array of events, or one event. Each event is read by the core on its own, so a
/// malformed one is refused alone.
pub fn parse_batch(bytes: &[u8], max_events: usize) -> Result<Vec<Result<Event, Refusal>>, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let raws: Vec<&RawValue> = match first {
        Some(b'[') => parse(bytes)?,
        Some(b'{') => vec![parse(bytes)?],
        _ => return Err(ApiError::new("malformed", "expected an event or an array of events")),
    };
    if raws.len() > max_events {
        return Err(ApiError::new("too_large", format!("{} events in one batch, at most {max_events}", raws.len())));
    }
    if raws.is_empty() {
        return Err(ApiError::new("malformed", "an empty batch"));
    }
    Ok(raws.into_iter().map(|raw| Event::from_json(raw.get()).map_err(|r: Rejection| Refusal::from(&r))).collect())
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

fn token<'a>(headers: &'a HeaderMap, query: &'a TokenQuery) -> Option<&'a str> {
    bearer(headers).or(query.token.as_deref())
}

/// A session id whose token checked out: extracting it refuses the request otherwise. The token
/// is checked before anything is looked up, so that ids cannot be probed without one; a session
/// that does not exist is then `not_found` from the engine. With a team member's token, the
/// member is the second field.
struct Authorized(String, Option<String>);

impl FromRequestParts<Shared> for Authorized {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, app: &Shared) -> Result<Self, Failure> {
        let Path(id) = Path::<String>::from_request_parts(parts, app)
            .await
            .map_err(|e| ApiError::new("not_found", e.body_text()))?;
        let Query(query) = Query::<TokenQuery>::from_request_parts(parts, app)
            .await
            .map_err(|e| ApiError::new("malformed", e.body_text()))?;
        let member = app.engine.authorize(&id, token(&parts.headers, &query))?;
        if !crate::auth::is_session_id(&id) {
            return Err(ApiError::new("not_found", "no such session").into());
        }
        Ok(Authorized(id, member))
    }
}

/// Readiness: `200` while the store's breaker is closed, `503` (with `Retry-After`) while it is
/// not, so that a load balancer stops sending players to a server that cannot store their moves.
async fn health(State(app): State<Shared>) -> Response {
    let store = app.engine.store();
    let breaker = store.breaker_state();
    let mut body = serde_json::json!({
        "status": if breaker == Breaker::Closed { "ok" } else { "unavailable" },
        "store": store.kind(),
        "breaker": breaker.name(),
        "sessions": app.engine.session_count(),
        "players": if app.engine.players_insecure() { "insecure-dev" } else { "tokens" },
    });
    let Some(wait) = store.retry_after() else { return to_json(&body) };
    let error = ApiError::new("unavailable", "the store is failing").retry_after(wait);
    body["retry_after_s"] = error.retry_after_s.into();
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, to_json(&body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, error.retry_after_s.unwrap_or(1).into());
    response
}

async fn metrics(State(app): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        app.engine.metrics.encode(),
    )
        .into_response()
}

async fn templates(State(app): State<Shared>) -> Response {
    to_json(&serde_json::json!({ "templates": app.engine.template_names() }))
}

/// The bearer token of a request, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

async fn hunt(
    State(app): State<Shared>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let bytes = body(raw)?;
    let request: CreateRequest = parse(&bytes)?;
    Ok(json_response(app.engine.hunt(&request, identity.as_ref()).await?))
}

/// Who opens a session, for the limits on opening: the token's player, or (development) the
/// request's.
fn opener<'a>(identity: Option<&'a crate::players::Identity>, request: &'a crate::engine::PlayerRequest) -> &'a str {
    match (identity, &request.id) {
        (Some(identity), _) => identity.id.as_str(),
        (None, Some(id)) => id.as_str(),
        (None, None) => "",
    }
}

/// A query string, or `malformed`.
fn query<T>(query: Result<Query<T>, axum::extract::rejection::QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::new("malformed", e.body_text()))
}

async fn create(
    State(app): State<Shared>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let bytes = body(raw)?;
    let request: CreateRequest = parse(&bytes)?;
    app.may_open(opener(identity.as_ref(), &request.player), address.ip())?;
    Ok(to_json(&app.engine.create(request, identity.as_ref()).await?))
}

async fn view(State(app): State<Shared>, Authorized(id, _): Authorized) -> Result<Response, Failure> {
    Ok(to_json(&app.engine.view(&id).await?))
}

async fn session_log(State(app): State<Shared>, Authorized(id, _): Authorized) -> Result<Response, Failure> {
    if !app.engine.log_readable(&id).await? {
        let message = "the log holds the hunt's answers: it can be read once the session has ended";
        return Err(ApiError::new("forbidden", message).into());
    }
    let text = app.engine.log(&id).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], text).into_response())
}

async fn events(
    State(app): State<Shared>,
    Authorized(id, member): Authorized,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    if app.limiter.check_key(&id).is_err() {
        app.engine.metrics.throttled.inc();
        let wait = app.quota.replenish_interval();
        return Err(ApiError::new("throttled", "too many requests for this session; slow down")
            .retry_after(wait)
            .into());
    }
    let batch = parse_batch(&body(raw)?, app.engine.limits.max_batch_events)?;
    Ok(to_json(&app.engine.submit(&id, member.as_deref(), batch).await?))
}

/// A player's profile: for the player themselves, or for the game's backend (a token with the
/// `admin` scope).
async fn player(State(app): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    crate::players::check_id(&id).map_err(|why| ApiError::at("malformed", why, "id"))?;
    if let Some(identity) = identity {
        if identity.id != id && !identity.admin {
            return Err(
                ApiError::new("forbidden", "a player's profile is theirs and the game backend's to read").into()
            );
        }
    }
    Ok(to_json(&app.engine.profile(&id).await?))
}

/// Erases a player (a data-protection request): the game's backend only (`admin` scope).
async fn erase_player(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    crate::players::check_id(&id).map_err(|why| ApiError::at("malformed", why, "id"))?;
    if let Some(identity) = identity {
        if !identity.admin {
            return Err(ApiError::new("forbidden", "only the game's backend erases players").into());
        }
    }
    let sessions = app.engine.erase_player(&id).await?;
    Ok(to_json(&serde_json::json!({ "erased": true, "sessions": sessions })))
}

/// What is kept of a compacted session: its outcome and final state hash.
async fn summary(State(app): State<Shared>, Authorized(id, _): Authorized) -> Result<Response, Failure> {
    match app.engine.summary(&id).await? {
        Some(summary) => Ok(to_json(&summary)),
        None => Err(ApiError::new("not_found", "this session was not compacted: its log is whole").into()),
    }
}

async fn verify(raw: Result<Bytes, BytesRejection>) -> Result<Response, Failure> {
    let bytes = body(raw)?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::new("malformed", "the log is not UTF-8"))?;
    Ok(to_json(&Engine::verify(text).await))
}

async fn websocket(
    State(app): State<Shared>,
    Authorized(id, member): Authorized,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Failure> {
    // Refused before the upgrade, while an HTTP status can still say why.
    app.engine.exists(&id).await?;
    let max = app.engine.limits.max_message_bytes;
    // Small buffers: tungstenite's default of 128 KiB each way would be 256 KiB per player.
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_write_buffer_size(max * 4)
        .on_upgrade(move |socket| play(app, id, member, socket)))
}

/// One player's live connection: every text message is a batch, answered in order. A connection
/// sending faster than its quota gets `throttled` answers, and is closed if it keeps on.
///
/// For a live event's session the server also pushes, as text messages with a `push` field:
/// `window` (its window's name, start, end and seconds left) on connecting, `rank` (the player's
/// entry) whenever it changes, and `window_closed` once the window has closed and its board is
/// final.
///
/// For a team's session (a member's token), the server pushes each teammate's accepted events as
/// `teammate` (see `Engine::tell_team`): where they moved, what they dug up, the team's points.
async fn play(app: Shared, id: String, member: Option<String>, mut socket: WebSocket) {
    let metrics = &app.engine.metrics;
    metrics.websockets.inc();
    let limiter: DefaultDirectRateLimiter = RateLimiter::direct(app.quota);
    let mut refused_in_a_row = 0;
    let mut listening = app.engine.listen(&id).await;
    if let Some((window, ..)) = &listening {
        let hello = serde_json::json!({ "push": "window", "window": window }).to_string();
        if socket.send(Message::Text(hello.into())).await.is_err() {
            metrics.websockets.dec();
            return;
        }
    }
    let mut rank = None;
    let mut team = match member {
        Some(_) => Some(app.engine.team_feed(&id).await),
        None => None,
    };
    loop {
        let teammate = async {
            match &mut team {
                Some(feed) => feed.recv().await,
                None => std::future::pending().await,
            }
        };
        let signal = async {
            match &mut listening {
                Some((_, _, signals)) => signals.changed().await.ok().map(|()| *signals.borrow_and_update()),
                None => std::future::pending().await,
            }
        };
        let message = tokio::select! {
            message = socket.recv() => message,
            push = teammate => {
                use tokio::sync::broadcast::error::RecvError;
                match push {
                    // The member's own events are answered to them already. Pushes that are
                    // waiting go out together, in one write.
                    Ok(first) => {
                        use futures_util::SinkExt as _;
                        let mine = |from: &str| member.as_deref() == Some(from);
                        let mut next = Some(first);
                        let mut fed = false;
                        while let Some((from, push)) = next {
                            if !mine(&from) {
                                if socket.feed(Message::Text(push)).await.is_err() {
                                    break;
                                }
                                fed = true;
                            }
                            next = team.as_mut().and_then(|feed| feed.try_recv().ok());
                        }
                        if fed && socket.flush().await.is_err() {
                            break;
                        }
                    }
                    Err(RecvError::Lagged(missed)) => {
                        let lagged = serde_json::json!({ "push": "lagged", "missed": missed }).to_string();
                        if socket.send(Message::Text(lagged.into())).await.is_err() {
                            break;
                        }
                    }
                    Err(RecvError::Closed) => team = None,
                }
                continue;
            }
            signal = signal => {
                let Some((window, player, _)) = &listening else { continue };
                let Some(signal) = signal else {
                    listening = None;
                    continue;
                };
                let mut pushes = Vec::new();
                let entry = app.engine.entry(&window.name, player);
                if entry.as_ref().map(|e| e.rank) != rank {
                    rank = entry.as_ref().map(|e| e.rank);
                    pushes.push(serde_json::json!({ "push": "rank", "window": window.name, "entry": entry }));
                }
                if signal.closed {
                    pushes.push(serde_json::json!({ "push": "window_closed", "window": window.name }));
                    listening = None;
                }
                for push in pushes {
                    if socket.send(Message::Text(push.to_string().into())).await.is_err() {
                        break;
                    }
                }
                continue;
            }
        };
        let Some(Ok(message)) = message else { break };
        let bytes = match message {
            Message::Text(text) => Bytes::from(text),
            Message::Binary(bytes) => bytes,
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        let reply = if limiter.check().is_err() {
            metrics.throttled.inc();
            refused_in_a_row += 1;
            if refused_in_a_row >= app.engine.limits.flood_close_after {
                let frame = CloseFrame { code: 1008, reason: "flooding".into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                tracing::warn!(session = %id, "closed a flooding connection");
                break;
            }
            error_json(
                &ApiError::new("throttled", "too many messages; slow down").retry_after(app.quota.replenish_interval()),
            )
        } else {
            refused_in_a_row = 0;
            let submitted = match parse_batch(&bytes, app.engine.limits.max_batch_events) {
                Ok(batch) => app.engine.submit(&id, member.as_deref(), batch).await,
                Err(e) => Err(e),
            };
            match submitted {
                Ok(s) => serde_json::to_string(&s).expect("responses serialise"),
                Err(e) => error_json(&e),
            }
        };
        if socket.send(Message::Text(reply.into())).await.is_err() {
            break;
        }
    }
    metrics.websockets.dec();
}

/// Counts requests by route and status, and times them.
async fn observe(State(app): State<Shared>, request: Request, next: Next) -> Response {
    // The route's template (`/v1/sessions/{id}`), not the path: one label per route.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &app.engine.metrics;
    let status = response.status().as_u16();
    metrics.requests.get_or_create(&crate::metrics::RequestLabels { route: route.clone(), status }).inc();
    metrics
        .request_seconds
        .get_or_create(&crate::metrics::RouteLabels { route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// The admin secret, or `unauthorized` / `forbidden`.
fn admin(app: &App, headers: &HeaderMap) -> Result<(), ApiError> {
    app.engine.live.is_admin(bearer(headers))
}

async fn put_definition(
    State(app): State<Shared>,
    Path((kind, name)): Path<(String, String)>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    use crate::live::Action;
    admin(&app, &headers)?;
    let body: serde_json::Value = parse(&body(raw)?)?;
    let action = match kind.as_str() {
        "templates" => Action::PutTemplate { name, template: body },
        "rulesets" => Action::PutRules { name, rules: body },
        "events" => Action::PutEvent { id: name, event: body },
        _ => return Err(ApiError::new("not_found", "no such admin collection").into()),
    };
    Ok(to_json(&app.engine.admin(action).await?))
}

async fn retire(
    State(app): State<Shared>,
    Path((kind, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    use crate::live::{Action, Kind};
    admin(&app, &headers)?;
    let kind = match kind.as_str() {
        "templates" => Kind::Template,
        "rulesets" => Kind::Rules,
        "events" => Kind::Event,
        _ => return Err(ApiError::new("not_found", "no such admin collection").into()),
    };
    Ok(to_json(&app.engine.admin(Action::Retire { kind, name }).await?))
}

/// A body that may be left out: its default when empty.
fn parse_optional<T: Default + serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse(bytes)
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndRequest {
    window: Option<String>,
}

async fn end_window(
    State(app): State<Shared>,
    Path(event): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    admin(&app, &headers)?;
    let request: EndRequest = parse_optional(&body(raw)?)?;
    let window = match request.window {
        Some(window) => window,
        None => app
            .engine
            .event(&event)?
            .current
            .map(|w| w.name)
            .ok_or_else(|| ApiError::new("window_closed", format!("event {event:?} has no open window")))?,
    };
    Ok(to_json(&app.engine.admin(crate::live::Action::EndWindow { event, window }).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AfterQuery {
    #[serde(default)]
    after: u64,
    limit: Option<usize>,
    wait_s: Option<u64>,
}

async fn audit(
    State(app): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<AfterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    admin(&app, &headers)?;
    let q = query(q)?;
    Ok(to_json(&serde_json::json!({ "entries": app.engine.audit(q.after).await? })))
}

async fn list_events(State(app): State<Shared>) -> Response {
    to_json(&serde_json::json!({ "events": app.engine.events() }))
}

async fn show_event(State(app): State<Shared>, Path(id): Path<String>) -> Result<Response, Failure> {
    Ok(to_json(&app.engine.event(&id)?))
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinRequest {
    /// Development only (no token): who joins.
    player: Option<String>,
}

async fn join_event(
    State(app): State<Shared>,
    Path(event): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let request: JoinRequest = parse_optional(&body(raw)?)?;
    let player = match (identity, request.player) {
        (Some(identity), None) => identity.id,
        (Some(_), Some(_)) => {
            return Err(ApiError::at(
                "identity_in_body",
                "the player comes from their token, not from the request",
                "player",
            )
            .into())
        }
        (None, Some(player)) => player,
        (None, None) => return Err(ApiError::at("malformed", "the player's id is missing", "player").into()),
    };
    Ok(to_json(&serde_json::json!({ "window": app.engine.join(&event, &player).await? })))
}

async fn play_event(
    State(app): State<Shared>,
    Path(event): Path<String>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let bytes = body(raw)?;
    let request: crate::live::EventRequest = parse(&bytes)?;
    app.may_open(opener(identity.as_ref(), &request.player), address.ip())?;
    let (created, window) = app.engine.play_event(&event, &request.player, identity.as_ref()).await?;
    let mut body = serde_json::to_value(&created).expect("responses serialise");
    body["window"] = serde_json::to_value(&window).expect("responses serialise");
    Ok(to_json(&body))
}

async fn leaderboard(
    State(app): State<Shared>,
    Path(event): Path<String>,
    q: Result<Query<crate::live::BoardQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    let q = query(q)?;
    Ok(to_json(&app.engine.leaderboard(&event, &q)?))
}

/// Longest a rewards read waits for grants.
const MAX_WAIT_S: u64 = 60;

async fn rewards(
    State(app): State<Shared>,
    headers: HeaderMap,
    q: Result<Query<AfterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    admin(&app, &headers)?;
    let q = query(q)?;
    let limit = q.limit.unwrap_or(crate::live::MAX_REWARDS_PAGE);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(q.wait_s.unwrap_or(0).min(MAX_WAIT_S));
    loop {
        // Registered before looking, so that grants arriving in between wake it.
        let arrived = app.engine.live.rewards.notified();
        let page = app.engine.rewards(q.after, limit).await?;
        if !page.grants.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(to_json(&page));
        }
        let _ = tokio::time::timeout_at(deadline, arrived).await;
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckRequest {
    keys: Vec<String>,
}

async fn acknowledge(
    State(app): State<Shared>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    admin(&app, &headers)?;
    let request: AckRequest = parse(&body(raw)?)?;
    if request.keys.is_empty() || request.keys.len() > crate::live::MAX_REWARDS_PAGE {
        return Err(ApiError::at("malformed", format!("1 to {} keys", crate::live::MAX_REWARDS_PAGE), "keys").into());
    }
    Ok(to_json(&serde_json::json!({ "acknowledged": app.engine.acknowledge(request.keys).await? })))
}

/// A team request's body: who asks (development only: no token) and the invite code, if any.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamRequest {
    player: Option<String>,
    invite: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamQuery {
    /// Development only (no token): who asks.
    player: Option<String>,
}

/// The caller of a team request, and its body.
async fn team_caller(app: &App, headers: &HeaderMap, bytes: &[u8]) -> Result<(Caller, TeamRequest), ApiError> {
    let identity = app.engine.identify(bearer(headers)).await?;
    let mut request: TeamRequest = parse_optional(bytes)?;
    let caller = Caller::of(identity, request.player.take())?;
    Ok((caller, request))
}

async fn create_team(
    State(app): State<Shared>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let mut request: crate::teams::CreateTeam = parse(&body(raw)?)?;
    let caller = Caller::of(identity, request.player.take())?;
    Ok(to_json(&app.engine.create_team(&caller, request).await?))
}

async fn show_team(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    q: Result<Query<TeamQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Failure> {
    let identity = app.engine.identify(bearer(&headers)).await?;
    let viewer = match (identity, query(q)?.player) {
        (Some(identity), _) => Some(identity.id),
        (None, player) => player,
    };
    Ok(to_json(&app.engine.team(&id, viewer.as_deref()).await?))
}

/// Joins with an invite code alone: the code names the team.
async fn join_by_invite(
    State(app): State<Shared>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let (caller, request) = team_caller(&app, &headers, &body(raw)?).await?;
    let code = request.invite.ok_or_else(|| ApiError::at("malformed", "the invite code is missing", "invite"))?;
    let team = app
        .engine
        .keys()
        .invited_to(&code)
        .ok_or_else(|| ApiError::at("forbidden", "this is not an invite code of this server's", "invite"))?;
    Ok(to_json(&app.engine.join_team(&team, Some(&code), &caller).await?))
}

async fn join_team(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let (caller, request) = team_caller(&app, &headers, &body(raw)?).await?;
    Ok(to_json(&app.engine.join_team(&id, request.invite.as_deref(), &caller).await?))
}

async fn leave_team(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let (caller, _) = team_caller(&app, &headers, &body(raw)?).await?;
    Ok(to_json(&app.engine.leave_team(&id, &caller).await?))
}

async fn start_team(
    State(app): State<Shared>,
    Path(id): Path<String>,
    ConnectInfo(address): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, Failure> {
    let (caller, _) = team_caller(&app, &headers, &body(raw)?).await?;
    app.may_open(&id, address.ip())?;
    let (created, team) = app.engine.start_team(&id, &caller).await?;
    let mut body = serde_json::to_value(&created).expect("responses serialise");
    body["team"] = serde_json::to_value(&team).expect("responses serialise");
    Ok(to_json(&body))
}

pub fn router(app: Shared) -> Router {
    let limits = &app.engine.limits;
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/templates", get(templates))
        .route("/v1/hunts", post(hunt))
        .route("/v1/sessions", post(create))
        .route("/v1/sessions/{id}", get(view))
        .route("/v1/sessions/{id}/log", get(session_log))
        .route("/v1/sessions/{id}/events", post(events))
        .route("/v1/sessions/{id}/ws", get(websocket))
        .route("/v1/players/{id}", get(player).delete(erase_player))
        .route("/v1/sessions/{id}/summary", get(summary))
        .route("/v1/verify", post(verify).layer(DefaultBodyLimit::max(limits.max_log_bytes)))
        .route("/v1/events", get(list_events))
        .route("/v1/events/{id}", get(show_event))
        .route("/v1/events/{id}/join", post(join_event))
        .route("/v1/events/{id}/sessions", post(play_event))
        .route("/v1/events/{id}/leaderboard", get(leaderboard))
        .route("/v1/admin/{kind}/{name}", axum::routing::put(put_definition).delete(retire))
        .route("/v1/admin/events/{id}/end", post(end_window))
        .route("/v1/admin/audit", get(audit))
        .route("/v1/rewards", get(rewards))
        .route("/v1/rewards/ack", post(acknowledge))
        .route("/v1/teams", post(create_team))
        .route("/v1/teams/join", post(join_by_invite))
        .route("/v1/teams/{id}", get(show_team))
        .route("/v1/teams/{id}/join", post(join_team))
        .route("/v1/teams/{id}/leave", post(leave_team))
        .route("/v1/teams/{id}/start", post(start_team))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&app), observe))
        .with_state(app)
}
