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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
