//! `catalog-http`: serve the catalog, or generate and check source data.
//!
//! With no arguments it generates a sample catalog in memory and serves it on
//! 127.0.0.1:3000. Every flag also reads an environment variable (`--help`).

mod cli;
mod load;
mod progress;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    telemetry::init(cli.log_format);
    match cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("catalog-http: {err:#}");
            ExitCode::FAILURE
        }
    }
}
