use clap::Parser;
use std::process::ExitCode;
use xmarks_server::config::{Args, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_args(Args::parse()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("xmarks-server: {e:#}");
            return ExitCode::from(2);
        }
    };
    xmarks_server::init_logs(config.log_format);
    match xmarks_server::serve(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("xmarks-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
