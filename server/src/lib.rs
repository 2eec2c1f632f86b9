//! # xmarks-server
//!
//! The reference game server for the xmarks engine: it generates hunts from named templates, runs
//! every player's session authoritatively (the client proposes events, the core decides), keeps
//! each session's log durable, and rebuilds any session by replay.
//!
//! - [`engine`]: the world, the templates and live sessions; claims on global caps.
//! - [`store`]: where logs and caps live: SQLite in WAL mode (the default, one process) or NATS
//!   JetStream (`--nats`, any number of processes).
//! - [`live`]: live events: scheduled windows, leaderboards, the rewards outbox, the admin API.
//! - [`http`]: the HTTP and WebSocket API, limits and throttling; [`metrics`] for Prometheus.
//! - [`auth`]: session ids and their HMAC tokens; [`players`]: who a player is, from the tokens
//!   the game's backend signs; [`config`]: the TOML file and the flags.

pub mod auth;
pub mod config;
pub mod engine;
pub mod http;
pub mod live;
pub mod metrics;
pub mod players;
pub mod store;
pub mod teams;

use anyhow::{Context, Result};
use config::{Config, LogFormat};
use engine::{Engine, Game};
use metrics::Metrics;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::{Backend, EmbeddedStore, NatsStore, Store};
use xmarks::rules::Ruleset;
use xmarks::{ImportOptions, ProceduralWorld, Template, World};

/// Templates served when the configuration names none.
pub const BUILT_IN: [(&str, &str); 3] = [
    ("harbour", include_str!("../../examples/harbour.json")),
    ("sprint", include_str!("../templates/sprint.json")),
    ("crew", include_str!("../templates/crew.json")),
];

fn load_games(config: &Config) -> Result<BTreeMap<String, Game>> {
    let default_rules = Arc::new(Ruleset::default_rules());
    if config.templates.is_empty() {
        return BUILT_IN
            .iter()
            .map(|(name, text)| {
                let template = Template::from_json(text).with_context(|| format!("built-in template {name}"))?;
                Ok((name.to_string(), Game { template, rules: Arc::clone(&default_rules) }))
            })
            .collect();
    }
    let mut games = BTreeMap::new();
    for (name, files) in &config.templates {
        let read = |path: &std::path::Path| {
            std::fs::read_to_string(path).with_context(|| format!("templates.{name}: reading {}", path.display()))
        };
        let template =
            Template::from_json(&read(&files.template)?).with_context(|| format!("templates.{name}.template"))?;
        let rules = match &files.rules {
            Some(path) => {
                Arc::new(Ruleset::from_json(&read(path)?).with_context(|| format!("templates.{name}.rules"))?)
            }
            None => Arc::clone(&default_rules),
        };
        games.insert(name.clone(), Game { template, rules });
    }
    Ok(games)
}

fn load_world(config: &Config) -> Result<World> {
    let w = &config.world;
    let options = ImportOptions { projection: w.projection, ..ImportOptions::default() };
    let read = |path: &std::path::Path| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let (world, _) = match (&w.csv, &w.geojson) {
        (None, None) => return Ok(World::Procedural(ProceduralWorld::new(w.seed, xmarks::WorldConfig::default())?)),
        (Some(path), None) => {
            xmarks::import_csv(&read(path)?, options).with_context(|| format!("importing {}", path.display()))?
        }
        (None, Some(path)) => {
            let text = String::from_utf8(read(path)?).with_context(|| format!("{} is not UTF-8", path.display()))?;
            xmarks::import_geojson(&text, options).with_context(|| format!("importing {}", path.display()))?
        }
        (Some(_), Some(_)) => anyhow::bail!("world.csv and world.geojson: give one world"),
    };
    Ok(world)
}

/// Sets up structured logs on stderr, as text or JSON lines; `RUST_LOG` filters them.
pub fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Builds the engine from `config`: world, templates, secret, store, and every stored session
/// rebuilt by replay (embedded store; JetStream sessions are rebuilt when first asked for).
pub async fn build(config: &Config) -> Result<Engine> {
    let world = load_world(config)?;
    let games = load_games(config)?;
    let keys = auth::Keys::load(config.secret_file.as_deref(), &config.data_dir)?;
    let players = players::Players::from_config(&config.players, config.insecure_dev_players)?;
    let metrics = Metrics::new();
    let breaker = store::breaker(&config.store, &metrics.store);
    let (backend, logs) = match &config.nats {
        Some(nats) => {
            let store = NatsStore::connect(nats, Arc::clone(&breaker), keys.clone())
                .await
                .with_context(|| format!("connecting to NATS at {}", store::nats::redacted(&nats.url)))?;
            (Backend::Nats(Box::new(store)), Vec::new())
        }
        None => {
            let (store, logs) =
                EmbeddedStore::open(&config.data_dir, config.commit_batch, config.store.max_in_flight, keys.clone())
                    .with_context(|| format!("opening the store in {}", config.data_dir.display()))?;
            (Backend::Embedded(Box::new(store)), logs)
        }
    };
    let store = Store::new(backend, breaker, &config.store, metrics.store.clone());
    let engine = Engine::new(engine::Parts {
        world,
        games,
        game_seed: config.game_seed,
        store,
        keys,
        players,
        limits: config.limits.clone(),
        retention: config.retention.clone(),
        metrics,
        admin_secret: auth::admin_secret(config.admin_secret_file.as_deref(), &config.data_dir)?,
    });
    let started = Instant::now();
    let count = logs.len();
    let events: usize = logs.iter().map(|(_, log)| log.bytes().filter(|&b| b == b'\n').count()).sum();
    engine.restore(logs)?;
    engine.restore_live().await.map_err(|e| anyhow::anyhow!("live events: {}", e.message))?;
    if count > 0 {
        tracing::info!(
            sessions = count,
            events,
            ms = started.elapsed().as_millis() as u64,
            "sessions rebuilt by replay"
        );
    }
    Ok(engine)
}

/// Serves until SIGINT or SIGTERM. Prints `listening on http://ADDR` on stdout once bound.
pub async fn serve(config: Config) -> Result<()> {
    let engine = build(&config).await?;
    let app = http::App::new(engine);
    let listener =
        tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, store = app.engine.store().kind(), "listening");
    println!("listening on http://{addr}");
    let tidy = Arc::clone(&app);
    let idle = Duration::from_secs(config.evict_idle_s);
    let every = if idle.is_zero() {
        Duration::from_secs(60)
    } else {
        (idle / 2).clamp(Duration::from_millis(250), Duration::from_secs(60))
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            tidy.tidy();
            if !idle.is_zero() {
                let evicted = tidy.engine.evict_idle(idle);
                if evicted > 0 {
                    tracing::debug!(evicted, "idle sessions left memory");
                }
            }
        }
    });
    // Live events' windows close on time, even with no request coming in; on JetStream, what
    // the other servers did is read first.
    let closer = Arc::clone(&app);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if closer.engine.store().shared() {
                if let Err(e) = closer.engine.sync().await {
                    tracing::warn!("reading the live events' journals: {}", e.message);
                }
            }
            closer.engine.close_due().await;
        }
    });
    if config.retention.compact_after_s > 0 {
        let engine = Arc::clone(&app);
        let age = Duration::from_secs(config.retention.compact_after_s);
        let every = (age / 2).clamp(Duration::from_millis(250), Duration::from_secs(60));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let compacted = engine.engine.compact_ended().await;
                if compacted > 0 {
                    tracing::info!(compacted, "ended sessions compacted");
                }
            }
        });
    }
    // With each connection's address: sessions are limited per client address too.
    let service = http::router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
