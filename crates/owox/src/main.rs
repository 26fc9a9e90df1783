//! `owox`: runs the OWOX Data Marts server and administers its projects, members and API keys.
//!
//! A thin layer: argument parsing and printing. The work is done by `owox-server`.

mod admin_commands;
mod cli;

use std::process::ExitCode;

use clap::Parser;
use owox_server::config::{Config, ConfigError, Sources};

use cli::{Cli, Command, MigrationsCommand};

/// The process allocates through glibc, Rust and DuckDB alike. mimalloc served Rust until
/// the streams stopped allocating a value per cell (the columnar path, and the reused output
/// buffers of `http::ndjson_body`); since then it only added memory: it returns freed pages a
/// second late (v3's purge delay), so a stream's memory stepped down as it went, and even
/// purging at once it held ~25 MiB more. stream-bench, glibc against mimalloc (purging at
/// once) in the same session: DuckDB 1M then 10M rows peaking at 76–79 then 80–85 MiB
/// (99–108 then 103–117), 50 concurrent streams 395–425 MiB (452), PostgreSQL 1M rows 85–101
/// MiB (127); CPU per row the same within the runs' spread, the soak's JSON endpoints within
/// 3% (docs/performance.md).
///
/// DuckDB's 256 KiB buffer blocks are freed and allocated again as the table cache trims
/// (`owox-storage`'s `table_cache`). glibc raises its mmap threshold after the first such
/// free, so later blocks would come from its arenas, where freed blocks stay resident. A
/// fixed threshold (which also turns off the dynamic one) keeps them mapped, so each freed
/// block returns its memory at once.
fn keep_large_blocks_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocation parameters; called before any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    keep_large_blocks_mapped();
    let cli = Cli::parse();
    let config = match Sources::load(cli.flags()).and_then(|s| Config::resolve(&s)) {
        Ok(c) => c,
        Err(ConfigError(message)) => {
            eprintln!("error: invalid configuration: {message}");
            return ExitCode::from(2);
        }
    };
    let quiet = !matches!(cli.command, Command::Serve(_));
    init_logging(&config, quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => owox_server::server::run(config, args.demo).await,
        Command::Migrations { command } => {
            let store = owox_server::store::Store::connect(&config.db).await?;
            if let MigrationsCommand::Up = command {
                store.migrate().await?;
            }
            for m in store.migration_status().await? {
                println!(
                    "{:>14}  {:<8}  {}",
                    m.version,
                    if m.applied { "applied" } else { "pending" },
                    m.description
                );
            }
            Ok(())
        }
        Command::Projects { command } => admin_commands::projects(command, &config).await,
        Command::Members { command } => admin_commands::members(command, &config).await,
        Command::ApiKeys { command } => admin_commands::api_keys(command, &config).await,
        Command::Credentials { command } => admin_commands::credentials(command, &config).await,
    }
}

fn init_logging(config: &Config, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = if quiet {
        EnvFilter::new("warn")
    } else {
        EnvFilter::try_new(config.log_filter()).unwrap_or_else(|_| EnvFilter::new("info"))
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        owox_server::config::LogFormat::Json => builder.json().init(),
        owox_server::config::LogFormat::Pretty => builder.init(),
    }
}
