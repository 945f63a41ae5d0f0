//! `catalog-http`: serve the catalog, or generate, check and import source data.
//!
//! With no arguments it generates a sample catalog in memory and serves it on
//! 127.0.0.1:3000. Every flag also reads an environment variable (`--help`).
//! The binary only parses its command line; [`catalog_http::app::App`] is the
//! application it runs.

mod cli;
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
