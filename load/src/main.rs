use clap::Parser;
use std::time::Duration;

/// Simulated players for the xmarks reference server, over WebSockets on loopback.
#[derive(Parser)]
#[command(name = "xmarks-load", version)]
struct Args {
    /// Server base URL; repeat to spread players over several servers.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080")]
    urls: Vec<String>,
    /// Concurrent players (each sends one event a second).
    #[arg(long, default_value_t = 100)]
    players: usize,
    /// Length of the run in seconds, ramp-up included.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Players start evenly over this many seconds.
    #[arg(long, default_value_t = 20)]
    ramp: u64,
    /// Seconds at the start not counted in the latency figures (default: the ramp).
    #[arg(long)]
    warmup: Option<u64>,
    #[arg(long, default_value = "sprint")]
    template: String,
    #[arg(long, default_value = "player-")]
    prefix: String,
    /// After the run, check every acknowledged event against the servers' logs.
    #[arg(long)]
    verify: bool,
    /// Go on with the next server after a connection error.
    #[arg(long)]
    failover: bool,
    /// Print the summary as one JSON line too.
    #[arg(long)]
    json: bool,
    /// Sign players' tokens (HS256) with the secret in this file, for servers that verify them.
    #[arg(long)]
    player_key_file: Option<std::path::PathBuf>,
    /// The key id of --player-key-file.
    #[arg(long, default_value = "load")]
    player_kid: String,
    /// The audience players' tokens are for.
    #[arg(long, default_value = "xmarks")]
    audience: String,
    /// Instead of playing: open one session for each of this many players (64 at a time), then
    /// read each one's profile, and print both rates and latencies as JSON.
    #[arg(long)]
    open_only: Option<usize>,
    /// With --open-only on a template with a one-second time limit: end every session, then
    /// measure how fast the server compacts them (it must have [retention] set).
    #[arg(long)]
    compact: bool,
    /// Instead of playing: a live event's window raced by this many players (one in ten
    /// finishing), ended by the admin, paid and delivered, then checked against a recomputation
    /// from the stored logs; prints the figures as JSON.
    #[arg(long)]
    event: Option<usize>,
    /// The admin secret, for --event.
    #[arg(long)]
    admin_secret_file: Option<std::path::PathBuf>,
    /// Instead of single players: this many teams (of --team-size members, on a template that
    /// allows teams: --template crew), each member one event a second, for --duration seconds;
    /// prints round trips and teammates' push delays as JSON.
    #[arg(long)]
    teams: Option<usize>,
    #[arg(long, default_value_t = 5)]
    team_size: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let signer = match &args.player_key_file {
        Some(path) => {
            let secret = std::fs::read(path)?;
            Some(xmarks_load::Signer::new(&args.player_kid, secret.trim_ascii(), &args.audience))
        }
        None => None,
    };
    if let Some(players) = args.event {
        let url = args.urls.first().map(String::as_str).unwrap_or("http://127.0.0.1:8080");
        let path =
            args.admin_secret_file.as_ref().ok_or_else(|| anyhow::anyhow!("--event needs --admin-secret-file"))?;
        let admin = String::from_utf8(std::fs::read(path)?)?;
        let report = xmarks_load::event::event_run(url, players, admin.trim(), signer.as_ref()).await?;
        println!("{}", serde_json::to_string(&report)?);
        if !report.verified {
            anyhow::bail!("the recomputation from the stored logs disagrees with the server");
        }
        return Ok(());
    }
    if let Some(teams) = args.teams {
        let options = xmarks_load::team::TeamOptions {
            url: args.urls.first().cloned().unwrap_or_else(|| "http://127.0.0.1:8080".into()),
            teams,
            size: args.team_size,
            duration: Duration::from_secs(args.duration),
            ramp: Duration::from_secs(args.ramp),
            warmup: Duration::from_secs(args.warmup.unwrap_or(args.ramp)),
            template: args.template,
            signer,
        };
        let report = xmarks_load::team::team_run(options).await?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    if let Some(players) = args.open_only {
        let url = args.urls.first().map(String::as_str).unwrap_or("http://127.0.0.1:8080");
        let report =
            xmarks_load::open_and_read(url, players, 64, &args.template, signer.as_ref(), args.compact).await?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let options = xmarks_load::Options {
        urls: args.urls,
        players: args.players,
        duration: Duration::from_secs(args.duration),
        ramp: Duration::from_secs(args.ramp),
        warmup: Duration::from_secs(args.warmup.unwrap_or(args.ramp)),
        template: args.template,
        prefix: args.prefix,
        verify: args.verify,
        failover: args.failover,
        timeline: false,
        signer,
    };
    let report = xmarks_load::run(options).await?;
    print!("{report}");
    if args.verify {
        let v = xmarks_load::verify(&report.records, None).await;
        println!(
            "verified           {} sessions, {} acknowledged events, {} problems",
            v.sessions,
            v.events,
            v.problems.len()
        );
        for p in v.problems.iter().take(10) {
            println!("  {p}");
        }
        if !v.problems.is_empty() {
            std::process::exit(1);
        }
    }
    if args.json {
        println!("{}", report.summary_json());
    }
    Ok(())
}
