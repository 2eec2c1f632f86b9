//! `xmarks`: generate or import worlds, generate hunts, draw maps, debug rules, play and verify
//! sessions.

mod render;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use xmarks::rules::Ruleset;
use xmarks::session::log::{header, line, replay};
use xmarks::session::script::walkthrough;
use xmarks::session::{Event, Rejection, Session};
use xmarks::world::import::Projection;
use xmarks::Coded;
use xmarks::{
    generate, import_csv, import_geojson, Bounds, ImportOptions, LonLat, Player, Point, Position, ProceduralWorld,
    Seeds, Template, World, WorldConfig,
};

#[derive(Parser)]
#[command(name = "xmarks", version, about = "Deterministic treasure hunts: worlds, hunts and maps")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate or import a world and summarise it (JSON on stdout).
    World {
        #[command(flatten)]
        world: WorldArgs,
        /// Centre of the summarised region of a procedural world, "x,y" in metres.
        #[arg(long, default_value = "0,0", value_parser = parse_point, allow_hyphen_values = true)]
        center: Point,
        /// Half-width of the summarised region, in metres.
        #[arg(long, default_value_t = 5000.0)]
        radius: f64,
    },
    /// Generate a hunt and print its canonical JSON.
    Hunt {
        #[command(flatten)]
        world: WorldArgs,
        #[command(flatten)]
        hunt: HuntArgs,
    },
    /// Evaluate one JsonLogic expression against data: JSON in, JSON out.
    Logic {
        /// The rule, as JSON text (or @FILE to read it from a file).
        rule: String,
        /// The data, as JSON text (or @FILE); defaults to null.
        data: Option<String>,
    },
    /// Check a ruleset: every problem with its rule and path.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Play a hunt: apply a JSONL event script, print outcomes and the state hash, write the log.
    Play {
        /// The hunt (canonical JSON, as `xmarks hunt` prints it).
        hunt: PathBuf,
        /// Events, one JSON object per line; `-` reads standard input.
        #[arg(long, conflicts_with = "walk")]
        events: Option<PathBuf>,
        /// Instead of a script, a player who walks to every stage at the template's speed and digs.
        #[arg(long)]
        walk: bool,
        /// Ruleset (JSON); the default ruleset otherwise.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Session start time, milliseconds.
        #[arg(long, default_value_t = 0)]
        start_ms: u64,
        /// Where to write the session log (JSONL) for `xmarks replay`.
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Verify a session log: replay it, check its hash chain, print the final state hash.
    Replay {
        /// The log (JSONL, as `xmarks play --log` writes it).
        log: PathBuf,
    },
    /// Draw a hunt on its world as an SVG map.
    Render {
        #[command(flatten)]
        world: WorldArgs,
        #[command(flatten)]
        hunt: HuntArgs,
        /// Where to write the SVG.
        #[arg(long, short, default_value = "map.svg")]
        out: PathBuf,
        /// Width and height of the map in pixels.
        #[arg(long, default_value_t = 1024)]
        size: u32,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate a ruleset file; exits non-zero with every problem listed.
    Check { file: PathBuf },
}

#[derive(Args)]
struct WorldArgs {
    /// Seed of a procedural world (0 to 2^53 - 1).
    #[arg(long, default_value_t = 7, conflicts_with = "import")]
    seed: u64,
    /// Procedural world config (JSON); defaults to the standard world.
    #[arg(long, conflicts_with = "import")]
    config: Option<PathBuf>,
    /// Import sites from a .csv or .geojson file instead. CSV columns id,x,y,kind,name[,weight]
    /// are metres on a plane; id,lon,lat,kind,name[,weight] (or longitude,latitude) and GeoJSON
    /// are degrees on the Earth.
    #[arg(long)]
    import: Option<PathBuf>,
    /// Skip and count malformed rows instead of failing the import.
    #[arg(long, requires = "import")]
    lenient: bool,
    /// For lon/lat data: "earth" (the default: real distances anywhere on the planet) or "local"
    /// (projected onto a plane around the data's centre; small regional sets only).
    #[arg(long, requires = "import", value_parser = parse_projection)]
    projection: Option<Projection>,
}

#[derive(Args)]
struct HuntArgs {
    /// Hunt template (JSON).
    #[arg(long, short)]
    template: PathBuf,
    #[arg(long, default_value = "player-1")]
    player: String,
    /// Player's start: "x,y" in metres on a planar world; on an Earth world spelled out, in either
    /// order: "lon=-21.94,lat=64.15" or "lat=64.15,lon=-21.94" (or use --lonlat or --latlon).
    #[arg(long, default_value = "0,0", value_parser = parse_start, allow_hyphen_values = true)]
    start: Position,
    /// Player's start on an Earth world in GeoJSON's order, longitude first: "-21.94,64.15".
    #[arg(long, value_parser = parse_lonlat, allow_hyphen_values = true, conflicts_with_all = ["start", "latlon"])]
    lonlat: Option<LonLat>,
    /// Player's start on an Earth world in the everyday order, latitude first: "64.15,-21.94".
    #[arg(long, value_parser = parse_latlon, allow_hyphen_values = true, conflicts_with = "start")]
    latlon: Option<LonLat>,
    /// A preference for a kind of site: "well=2" makes wells twice as likely as stages, "cave=0"
    /// leaves caves out. Repeat for several kinds.
    #[arg(long = "interest", value_parser = parse_interest)]
    interests: Vec<(String, f64)>,
    #[arg(long, default_value_t = 1)]
    level: u32,
    /// Ids of sites the player already found, comma-separated.
    #[arg(long, value_delimiter = ',')]
    found: Vec<String>,
    /// The game's secret seed.
    #[arg(long, default_value_t = 1)]
    game: u64,
    /// The round (season, day) seed.
    #[arg(long, default_value_t = 1)]
    round: u64,
}

fn parse_projection(s: &str) -> Result<Projection, String> {
    match s {
        "earth" => Ok(Projection::Earth),
        "local" => Ok(Projection::Local),
        _ => Err("expected earth or local".into()),
    }
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    text.trim().parse().map_err(|_| format!("{what} {:?} is not a number", text.trim()))
}

fn lonlat(p: LonLat) -> Result<LonLat, String> {
    p.check().map(|()| p)
}

fn parse_lonlat(s: &str) -> Result<LonLat, String> {
    let (lon, lat) = s.split_once(',').ok_or("expected LON,LAT")?;
    lonlat(LonLat::new(number(lon, "lon")?, number(lat, "lat")?))
}

fn parse_latlon(s: &str) -> Result<LonLat, String> {
    let (lat, lon) = s.split_once(',').ok_or("expected LAT,LON")?;
    lonlat(LonLat::new(number(lon, "lon")?, number(lat, "lat")?))
}

/// "x,y" in metres, or coordinates named by `key=value` in any order: `lon=..,lat=..` or
/// `x=..,y=..`.
fn parse_start(s: &str) -> Result<Position, String> {
    if !s.contains('=') {
        return parse_point(s).map(Position::Plane);
    }
    let mut named = std::collections::BTreeMap::new();
    for part in s.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(|| format!("{part:?} is not key=value"))?;
        let key = key.trim();
        if !["x", "y", "lon", "lat"].contains(&key) {
            return Err(format!("unknown coordinate {key:?}: use x and y, or lon and lat"));
        }
        named.insert(key, number(value, key)?);
    }
    match (named.get("lon"), named.get("lat"), named.get("x"), named.get("y"), named.len()) {
        (Some(&lon), Some(&lat), _, _, 2) => lonlat(LonLat::new(lon, lat)).map(Position::Earth),
        (_, _, Some(&x), Some(&y), 2) => parse_point(&format!("{x},{y}")).map(Position::Plane),
        _ => Err("give lon and lat, or x and y".into()),
    }
}

fn parse_interest(s: &str) -> Result<(String, f64), String> {
    let (kind, weight) = s.split_once('=').ok_or("expected KIND=WEIGHT")?;
    Ok((kind.trim().to_owned(), number(weight, "weight")?))
}

fn parse_point(s: &str) -> Result<Point, String> {
    let (x, y) = s.split_once(',').ok_or("expected x,y")?;
    let p = Point::new(
        x.trim().parse().map_err(|_| "x is not a number")?,
        y.trim().parse().map_err(|_| "y is not a number")?,
    );
    if p.is_valid() {
        Ok(p)
    } else {
        Err("coordinates must be finite and within 1e9 m".into())
    }
}

impl WorldArgs {
    fn load(&self) -> Result<World> {
        let Some(path) = &self.import else {
            let config = match &self.config {
                Some(p) => serde_json::from_str(
                    &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
                )
                .with_context(|| format!("{}", p.display()))?,
                None => WorldConfig::default(),
            };
            return Ok(World::Procedural(ProceduralWorld::new(self.seed, config)?));
        };
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let options = ImportOptions { lenient: self.lenient, projection: self.projection, ..ImportOptions::default() };
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
        let (world, report) = match ext.as_str() {
            "csv" => import_csv(&bytes, options),
            "geojson" | "json" => import_geojson(std::str::from_utf8(&bytes).context("GeoJSON is not UTF-8")?, options),
            _ => bail!("{}: expected a .csv or .geojson file", path.display()),
        }
        .with_context(|| format!("importing {}", path.display()))?;
        if report.skipped > 0 {
            eprintln!(
                "skipped {} malformed rows; first: {}: {}",
                report.skipped, report.problems[0].at, report.problems[0].reason
            );
        }
        Ok(world)
    }
}

impl HuntArgs {
    fn generate(&self, world: &World) -> Result<xmarks::Hunt> {
        let text =
            std::fs::read_to_string(&self.template).with_context(|| format!("reading {}", self.template.display()))?;
        let template = Template::from_json(&text).with_context(|| format!("template {}", self.template.display()))?;
        let start = match (self.lonlat, self.latlon) {
            (Some(p), _) | (_, Some(p)) => Position::Earth(p),
            (None, None) => self.start,
        };
        let player = Player::new(self.player.clone(), start)
            .with_level(self.level)
            .with_found(self.found.clone())
            .with_interests(self.interests.iter().cloned().collect());
        Ok(generate(world, &template, &Seeds { game: self.game, round: self.round }, &player)?)
    }
}

/// JSON text given inline, or read from a file when it starts with `@`.
fn json_arg(arg: &str) -> Result<String> {
    match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading {path}")),
        None => Ok(arg.to_owned()),
    }
}

fn play(
    hunt: &std::path::Path,
    events: Option<PathBuf>,
    walk: bool,
    rules: Option<PathBuf>,
    start_ms: u64,
    log: Option<PathBuf>,
) -> Result<()> {
    let text = std::fs::read_to_string(hunt).with_context(|| format!("reading {}", hunt.display()))?;
    let hunt = xmarks::Hunt::from_json(&text).with_context(|| format!("{}", hunt.display()))?;
    let rules = match rules {
        Some(p) => {
            Ruleset::from_json(&std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?)
                .with_context(|| format!("ruleset {}", p.display()))?
        }
        None => Ruleset::default_rules(),
    };
    let script: Vec<(usize, Result<Event, Rejection>)> = if walk {
        walkthrough(&hunt, start_ms).into_iter().map(Ok).enumerate().collect()
    } else {
        let path = events.context("give --events FILE (or -) or --walk")?;
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?
        };
        text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).map(|(i, l)| (i, Event::from_json(l))).collect()
    };
    let mut session = Session::new(hunt, std::sync::Arc::new(rules), start_ms);
    let mut lines = vec![header(&session)];
    for (i, event) in script {
        let result = event.and_then(|e| session.apply(&e).map(|out| (e, out)));
        match result {
            Ok((e, outcomes)) => {
                lines.push(line(&session, &e));
                println!("{}", serde_json::json!({"line": i + 1, "seq": session.state().seq, "outcomes": outcomes}));
            }
            Err(r) => println!("{}", serde_json::json!({"line": i + 1, "rejected": r.code(), "reason": r.to_string()})),
        }
    }
    let s = session.state();
    println!(
        "{}",
        serde_json::json!({"status": s.status, "points": s.points, "items": s.items, "events": s.seq, "state_hash": session.state_hash()})
    );
    if let Some(path) = log {
        std::fs::write(&path, lines.join("\n") + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Logic { rule, data } => {
            let logic = xmarks::rules::logic::Logic::from_json(&json_arg(&rule)?).context("rule")?;
            let data: serde_json::Value = match data {
                Some(d) => serde_json::from_str(&json_arg(&d)?).context("data")?,
                None => serde_json::Value::Null,
            };
            println!("{}", logic.apply(&data).context("evaluating the rule")?);
        }
        Command::World { world, center, radius } => {
            let w = world.load()?;
            let summary = match &w {
                World::Procedural(p) => serde_json::json!({
                    "world": w.reference(),
                    "region": Bounds::around(center, radius),
                    "summary": p.summary(Bounds::around(center, radius))?,
                }),
                World::Imported(idx) => serde_json::json!({
                    "world": w.reference(),
                    "bounds": idx.bounds(),
                    "kinds": idx.kind_counts(),
                }),
                World::Earth(idx) => serde_json::json!({
                    "world": w.reference(),
                    "bounds": idx.bounds(),
                    "kinds": idx.kind_counts(),
                }),
            };
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        Command::Hunt { world, hunt } => {
            let w = world.load()?;
            println!("{}", hunt.generate(&w)?.canonical_json());
        }
        Command::Rules { command: RulesCommand::Check { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            match Ruleset::from_json(&text) {
                Ok(r) => {
                    println!("{}: ok, {} rules, digest {}", file.display(), r.rules.len(), &r.digest()[..16]);
                    // Not problems, but worth knowing: where a rule can raise (NaN, throw) uncaught.
                    for note in r.notes() {
                        println!("{}: note: {} ({}): {}", file.display(), note.path, note.rule, note.reason);
                    }
                }
                Err(e) => {
                    for p in &e.0 {
                        eprintln!("{}: {p}", file.display());
                    }
                    bail!("{} problems in {}", e.0.len(), file.display());
                }
            }
        }
        Command::Play { hunt, events, walk, rules, start_ms, log } => play(&hunt, events, walk, rules, start_ms, log)?,
        Command::Replay { log } => {
            let text = std::fs::read_to_string(&log).with_context(|| format!("reading {}", log.display()))?;
            let r = replay(&text).with_context(|| format!("{} does not verify", log.display()))?;
            let s = r.session.state();
            println!(
                "{}",
                serde_json::json!({"valid": true, "events": s.seq, "status": s.status, "points": s.points, "state_hash": r.session.state_hash()})
            );
        }
        Command::Render { world, hunt, out, size } => {
            let w = world.load()?;
            let h = hunt.generate(&w)?;
            let svg = render::map(&w, &h, size)?;
            std::fs::write(&out, svg).with_context(|| format!("writing {}", out.display()))?;
            eprintln!("wrote {} ({} stages, fingerprint {})", out.display(), h.stages.len(), &h.fingerprint[..16]);
        }
    }
    Ok(())
}
