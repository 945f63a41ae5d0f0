//! Command-line arguments and what each command does.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use catalog_http::app::progress::Progress;
use catalog_http::app::{App, DEFAULT_STORE_THREADS, DEFAULT_TOKENS_FILE, Settings, StoreSettings, load};
use catalog_http::{CacheConfig, CachePolicy};
use catalog_pg::PgConfig;
use catalog_source::{GenerateConfig, RejectFile};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use token::TokenCommand;

mod token;

/// `--version`: the crate's version and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CATALOG_BUILD_COMMIT"),
    ")"
);

/// The product catalog service: serve it over HTTP (the default command), or
/// generate, check and import its source data.
#[derive(Debug, Parser)]
#[command(name = "catalog-http", version = VERSION, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
    /// How log lines are written to stderr (`RUST_LOG` picks which).
    #[arg(long, global = true, env = "CATALOG_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the catalog over HTTP (the default command).
    Serve(Box<ServeArgs>),
    /// Write a synthetic catalog in the six-file source format.
    Generate(GenerateArgs),
    /// Validate a source directory: print the import report and write the rejects.
    Check(CheckArgs),
    /// Import the six files into PostgreSQL (migrating first) and print the report.
    Import(ImportArgs),
    /// Apply the schema migrations to PostgreSQL.
    Migrate(DatabaseArgs),
    /// Create, revoke or list the tokens that may write.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the shell completion script of this command line.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
struct CompletionsArgs {
    /// The shell to complete in (for example: catalog-http completions bash > /etc/bash_completion.d/catalog-http).
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
struct ManArgs {
    /// Write catalog-http.1 and a page per subcommand (catalog-http-serve.1, ...)
    /// into this directory instead of printing catalog-http.1.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Which store answers the queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    /// Everything in memory, loaded from `--data` or generated.
    Mem,
    /// What `import` loaded into PostgreSQL.
    Pg,
}

#[derive(Debug, Args)]
struct DatabaseArgs {
    /// PostgreSQL URL (`scripts/pg up` starts the project's cluster at the default).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:54329/catalog"
    )]
    database_url: String,
}

#[derive(Debug, Args)]
struct PoolArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Read replica URLs, comma-separated: reads go to them in turn, and to the
    /// primary (--database-url) while none is up.
    #[arg(long = "replica-url", env = "CATALOG_PG_REPLICA_URLS", value_delimiter = ',')]
    replica_urls: Vec<String>,
    /// Most PostgreSQL connections the service opens to each server for reads.
    #[arg(long, env = "CATALOG_PG_POOL_SIZE", default_value_t = 8)]
    pool_size: usize,
    /// Most PostgreSQL connections the service opens to the primary for writes
    /// (a pool apart, so writes waiting for their commit never hold a read's).
    #[arg(long, env = "CATALOG_PG_WRITE_POOL_SIZE", default_value_t = 8)]
    write_pool_size: usize,
    /// Milliseconds a query may run before it is cancelled with a 503.
    #[arg(long, env = "CATALOG_PG_STATEMENT_TIMEOUT_MS", default_value_t = 2_000)]
    statement_timeout_ms: u64,
    /// Milliseconds to wait for a connection before answering 503.
    #[arg(long, env = "CATALOG_PG_CONNECT_TIMEOUT_MS", default_value_t = 2_000)]
    connect_timeout_ms: u64,
    /// Milliseconds a replica that cannot be reached is left out (doubled
    /// after each failure in a row, up to 32 times) before one read tries it again.
    #[arg(long, env = "CATALOG_PG_REPLICA_BACKOFF_MS", default_value_t = 1_000)]
    replica_backoff_ms: u64,
}

impl From<PoolArgs> for PgConfig {
    fn from(args: PoolArgs) -> PgConfig {
        PgConfig {
            replica_urls: args.replica_urls,
            pool_size: args.pool_size,
            write_pool_size: args.write_pool_size,
            statement_timeout: Duration::from_millis(args.statement_timeout_ms),
            connect_timeout: Duration::from_millis(args.connect_timeout_ms),
            replica_backoff: Duration::from_millis(args.replica_backoff_ms),
            ..PgConfig::new(args.database.database_url)
        }
    }
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CATALOG_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Also serve /healthz and /readyz on this address, on a thread of their
    /// own, so a load balancer's probes are answered at once however busy the
    /// service is (default: on --listen only).
    #[arg(long, env = "CATALOG_HEALTH_LISTEN")]
    health_listen: Option<SocketAddr>,
    /// Store to serve from.
    #[arg(long, env = "CATALOG_STORE", value_enum, default_value = "mem")]
    store: StoreKind,
    /// Source directory with the six CSV files to load into memory.
    #[arg(long, env = "CATALOG_DATA", conflicts_with = "generate")]
    data: Option<PathBuf>,
    /// Without --data: generate a catalog of this many products in memory.
    #[arg(long, env = "CATALOG_GENERATE", default_value_t = 10_000)]
    generate: u32,
    /// Seed of the generated catalog.
    #[arg(long, env = "CATALOG_SEED", default_value_t = 1)]
    seed: u64,
    /// Where refused source rows are written (created only if there are any).
    #[arg(long, env = "CATALOG_REJECTS", default_value = "catalog-rejects.csv")]
    rejects: PathBuf,
    /// Browser origins allowed by CORS, comma-separated; none means any.
    #[arg(long = "cors-origin", env = "CATALOG_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Seconds browsers may cache a CORS preflight answer.
    #[arg(long, env = "CATALOG_CORS_MAX_AGE", default_value_t = 600)]
    cors_max_age: u64,
    /// Megabytes of serialized answers cached in front of the store; 0 turns the cache off.
    #[arg(long, env = "CATALOG_CACHE_MB", default_value_t = 64)]
    cache_mb: u64,
    /// Seconds an answer may be served from the cache.
    #[arg(long, env = "CATALOG_CACHE_TTL_SECS", default_value_t = 60)]
    cache_ttl_secs: u64,
    /// Milliseconds between asking the store whether its catalog was replaced
    /// (a re-import), to empty the response cache when it was, and (on
    /// PostgreSQL) between reads of the change log for other instances'
    /// writes, besides the reads its notifications wake; 0 never asks.
    #[arg(long, env = "CATALOG_GENERATION_CHECK_MS", default_value_t = 1_000)]
    generation_check_ms: u64,
    /// `Cache-Control: max-age` of successful answers, in seconds.
    #[arg(long, env = "CATALOG_MAX_AGE_SECS", default_value_t = 60)]
    max_age_secs: u64,
    /// `Cache-Control: stale-while-revalidate` of successful answers, in seconds.
    #[arg(long, env = "CATALOG_STALE_WHILE_REVALIDATE_SECS", default_value_t = 60)]
    stale_while_revalidate_secs: u64,
    /// `Cache-Control: max-age` of answers that carry stock (styles, SKUs), in seconds.
    #[arg(long, env = "CATALOG_STOCK_MAX_AGE_SECS", default_value_t = 1)]
    stock_max_age_secs: u64,
    /// `Cache-Control: stale-while-revalidate` of answers that carry stock, in seconds.
    #[arg(long, env = "CATALOG_STOCK_STALE_WHILE_REVALIDATE_SECS", default_value_t = 1)]
    stock_stale_while_revalidate_secs: u64,
    /// `Cache-Control: stale-if-error` of successful answers, in seconds.
    #[arg(long, env = "CATALOG_STALE_IF_ERROR_SECS", default_value_t = 600)]
    stale_if_error_secs: u64,
    /// Milliseconds a connection may take to send a request head, or sit
    /// idle between requests, before it is closed.
    #[arg(long, env = "CATALOG_HEADER_READ_TIMEOUT_MS", default_value_t = 10_000)]
    header_read_timeout_ms: u64,
    /// Most connections open at once (one more is closed at once); 0: as many
    /// as the open-file limit, raised to its hard limit, leaves room for.
    #[arg(long, env = "CATALOG_MAX_CONNECTIONS", default_value_t = 0)]
    max_connections: usize,
    /// Connections the kernel may queue before the service accepts them
    /// (capped by net.core.somaxconn).
    #[arg(long, env = "CATALOG_LISTEN_BACKLOG", default_value_t = 1_024)]
    listen_backlog: u32,
    /// Most requests running at once; one more is answered 503 with
    /// Retry-After at once (health checks never are).
    #[arg(long, env = "CATALOG_MAX_IN_FLIGHT", default_value_t = 256)]
    max_in_flight: usize,
    /// Milliseconds a request may run before it is answered 503.
    #[arg(long, env = "CATALOG_REQUEST_DEADLINE_MS", default_value_t = 3_000)]
    request_deadline_ms: u64,
    /// The tokens that may write (made by `token create`; re-read every second).
    #[arg(long, env = "CATALOG_TOKENS_FILE", default_value = DEFAULT_TOKENS_FILE)]
    tokens_file: PathBuf,
    /// With --store pg: worker threads of the store's own runtime, which runs
    /// its queries apart from the connections' tasks, so requests being shed
    /// under overload do not delay the queries admitted (0: none, queries run
    /// beside the connections).
    #[arg(long, env = "CATALOG_STORE_THREADS", default_value_t = DEFAULT_STORE_THREADS)]
    store_threads: usize,
    #[command(flatten)]
    pool: PoolArgs,
    /// Do not serve the interactive API reference: /docs answers 404
    /// (default: served, from files built into the binary).
    #[arg(long, env = "CATALOG_NO_DOCS")]
    no_docs: bool,
}

impl From<ServeArgs> for Settings {
    fn from(args: ServeArgs) -> Settings {
        let store = match (args.store, args.data) {
            (StoreKind::Mem, Some(data)) => StoreSettings::Directory {
                data,
                rejects: args.rejects,
            },
            (StoreKind::Mem, None) => StoreSettings::Generated {
                products: args.generate,
                seed: args.seed,
            },
            (StoreKind::Pg, _) => StoreSettings::Postgres(args.pool.into()),
        };
        Settings {
            listen: args.listen,
            health_listen: args.health_listen,
            store,
            cache: (args.cache_mb > 0).then(|| CacheConfig {
                max_bytes: args.cache_mb << 20,
                time_to_live: Duration::from_secs(args.cache_ttl_secs),
            }),
            generation_check: (args.generation_check_ms > 0).then(|| Duration::from_millis(args.generation_check_ms)),
            cors_origins: args.cors_origins,
            cors_max_age: Duration::from_secs(args.cors_max_age),
            http_cache: CachePolicy {
                max_age: Duration::from_secs(args.max_age_secs),
                stale_while_revalidate: Duration::from_secs(args.stale_while_revalidate_secs),
                stale_if_error: Duration::from_secs(args.stale_if_error_secs),
            },
            stock_http_cache: CachePolicy {
                max_age: Duration::from_secs(args.stock_max_age_secs),
                stale_while_revalidate: Duration::from_secs(args.stock_stale_while_revalidate_secs),
                stale_if_error: Duration::from_secs(args.stale_if_error_secs),
            },
            header_read_timeout: Duration::from_millis(args.header_read_timeout_ms),
            max_connections: (args.max_connections > 0).then_some(args.max_connections),
            listen_backlog: args.listen_backlog,
            max_in_flight: args.max_in_flight,
            request_deadline: Duration::from_millis(args.request_deadline_ms),
            tokens_file: args.tokens_file,
            store_threads: args.store_threads,
            docs: !args.no_docs,
        }
    }
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Number of clean products.
    #[arg(long, env = "CATALOG_PRODUCTS")]
    products: u32,
    /// Seed: the same seed and count give the same files.
    #[arg(long, env = "CATALOG_SEED", default_value_t = 1)]
    seed: u64,
    /// Chance of a dirty line after each clean row (0 to 1).
    #[arg(long, env = "CATALOG_DIRTY", default_value_t = 0.0)]
    dirty: f64,
    /// Directory to write the six files (and dirty.csv) into.
    #[arg(long, env = "CATALOG_OUT")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// Source directory with the six CSV files.
    #[arg(long, env = "CATALOG_DATA")]
    data: PathBuf,
    /// Where refused rows are written.
    #[arg(long, env = "CATALOG_REJECTS", default_value = "catalog-rejects.csv")]
    rejects: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// Source directory with the six CSV files.
    #[arg(long, env = "CATALOG_DATA")]
    data: PathBuf,
    /// Where refused rows are written.
    #[arg(long, env = "CATALOG_REJECTS", default_value = "catalog-rejects.csv")]
    rejects: PathBuf,
}

/// Runs the command the arguments name.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Generate(args)) => generate(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::Import(args)) => import(args),
        Some(Command::Migrate(args)) => migrate(args),
        Some(Command::Token(command)) => token::run(command),
        Some(Command::Completions(args)) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "catalog-http", &mut script);
            print_to_reader(&script)
        }
        Some(Command::Man(args)) => man(args),
    }
}

fn man(args: ManArgs) -> anyhow::Result<()> {
    let command = Cli::command();
    match args.out {
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, &dir).with_context(|| format!("cannot write into {}", dir.display()))?;
            println!("man pages written to {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            print_to_reader(&page)?;
        }
    }
    Ok(())
}

/// Writes `text` to standard output; a reader that stops early (`| head`)
/// is not an error.
fn print_to_reader(text: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => Ok(written?),
    }
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let app = App::build(Settings::from(args)).await?;
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&args.dirty),
        "--dirty must be between 0 and 1, got {}",
        args.dirty
    );
    let started = Instant::now();
    let config = GenerateConfig {
        products: args.products,
        seed: args.seed,
        dirty_rate: args.dirty,
    };
    let summary = catalog_source::generate(&config, &args.out)
        .with_context(|| format!("cannot write the catalog to {}", args.out.display()))?;
    for (file, lines) in &summary.lines {
        println!("{:<14}{lines:>12} lines", file.file_name());
    }
    println!(
        "generated {} products ({} dirty lines) in {:.1} s into {}",
        args.products,
        summary.dirty.len(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    load::check(&args.data, &args.rejects)?;
    println!(
        "checked {} in {:.1} s",
        args.data.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let mut rejects = RejectFile::new(&args.rejects);
    let mut progress = Progress::new();
    let imported =
        catalog_pg::import_with_observer(&args.database.database_url, &args.data, &mut rejects, &mut progress)?;
    rejects
        .finish()
        .with_context(|| format!("cannot write {}", args.rejects.display()))?;
    eprint!("{}", imported.report);
    if rejects.written() > 0 {
        eprintln!(
            "{} rejected rows written to {}",
            rejects.written(),
            args.rejects.display()
        );
    }
    println!(
        "imported {} in {:.1} s: {imported}",
        args.data.display(),
        imported.took().as_secs_f64()
    );
    Ok(())
}

fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let applied = catalog_pg::migrate(&args.database_url)?;
    println!("applied {} migrations {:?}", applied.len(), applied);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `command` and every subcommand under it, depth first.
    fn every_command(command: &clap::Command) -> Vec<&clap::Command> {
        std::iter::once(command)
            .chain(command.get_subcommands().flat_map(every_command))
            .collect()
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_flag_says_what_it_does_and_its_default() {
        let mut cli = Cli::command();
        cli.build();
        for command in every_command(&cli) {
            let name = command.get_name();
            assert!(command.get_about().is_some(), "`{name}` has no description");
            let mut rendered = command.clone();
            let help = rendered.render_long_help().to_string();
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if matches!(id, "help" | "version") {
                    continue;
                }
                let text = arg.get_help().map(ToString::to_string).unwrap_or_default();
                assert!(text.len() > 10, "`{name}` flag `{id}` has no help text");
                // A switch's implied `false` is not a default worth showing.
                let defaults = if arg.get_action().takes_values() {
                    arg.get_default_values()
                } else {
                    &[]
                };
                for default in defaults {
                    let shown = format!("[default: {}]", default.to_string_lossy());
                    assert!(
                        help.contains(&shown),
                        "`{name} --help` does not show {shown} for `{id}`"
                    );
                }
            }
        }
    }
}
