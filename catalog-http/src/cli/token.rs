//! `catalog-http token create | revoke | list`: the tokens that may write.

use std::path::PathBuf;

use anyhow::Context;
use catalog_auth::RevokeOutcome;
use catalog_core::write::Scope;
use catalog_http::app::DEFAULT_TOKENS_FILE;
use clap::{Args, Subcommand};

/// `token ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create a token and print it once on standard output; the file keeps only its hash.
    Create(CreateArgs),
    /// Revoke a token by name; running services refuse it within seconds.
    Revoke(RevokeArgs),
    /// List the tokens: names, scopes, expiry, revocation (never a secret).
    List(FileArgs),
}

#[derive(Debug, Args)]
pub(crate) struct FileArgs {
    /// The tokens file (written with mode 0600).
    #[arg(long, env = "CATALOG_TOKENS_FILE", default_value = DEFAULT_TOKENS_FILE)]
    tokens_file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// A name for the token (letters, digits, `.`, `_`, `-`; at most 64), unique in the file.
    #[arg(long)]
    name: String,
    /// A scope it grants: `catalog:write` or `inventory:write`; repeat for both.
    #[arg(long = "scope", required = true)]
    scopes: Vec<Scope>,
    /// Days until it stops working; without it, it never expires.
    #[arg(long)]
    expires_in: Option<u32>,
    #[command(flatten)]
    file: FileArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// The token's name.
    #[arg(long)]
    name: String,
    #[command(flatten)]
    file: FileArgs,
}

/// Runs a `token` command.
pub(crate) fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create(args) => {
            let path = &args.file.tokens_file;
            let created = catalog_auth::create(path, &args.name, &args.scopes, args.expires_in)
                .with_context(|| format!("cannot create token {}", args.name))?;
            println!("{}", created.secret.expose());
            let expiry = created
                .expires_at
                .map_or_else(|| "never expires".to_owned(), |at| format!("expires {at}"));
            eprintln!(
                "token {} created in {} ({}); it is shown only this once",
                created.name,
                path.display(),
                expiry
            );
        }
        TokenCommand::Revoke(args) => {
            match catalog_auth::revoke(&args.file.tokens_file, &args.name)
                .with_context(|| format!("cannot revoke token {}", args.name))?
            {
                RevokeOutcome::Revoked(at) => eprintln!("token {} revoked at {at}", args.name),
                RevokeOutcome::AlreadyRevoked(at) => eprintln!("token {} was already revoked at {at}", args.name),
            }
        }
        TokenCommand::List(args) => {
            for token in catalog_auth::list(&args.tokens_file)? {
                let scopes: Vec<String> = token.scopes.iter().map(ToString::to_string).collect();
                let expiry = token.expires_at.map_or_else(|| "never".to_owned(), |at| at.to_string());
                let state = token
                    .revoked_at
                    .map_or_else(|| "active".to_owned(), |at| format!("revoked {at}"));
                println!("{}\t{}\texpires {}\t{}", token.name, scopes.join(","), expiry, state);
            }
        }
    }
    Ok(())
}
