//! `catalog-http`: serve the catalog, or generate and check source data.
//!
//! With no arguments it generates a sample catalog in memory and serves it on
//! 127.0.0.1:3000. Every flag also reads an environment variable (`--help`).

mod cli;
mod load;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,warp=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("catalog-http: {err:#}");
            ExitCode::FAILURE
        }
    }
}
