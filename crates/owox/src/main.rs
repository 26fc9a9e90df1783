//! `owox`: runs the OWOX Data Marts server and administers its projects, members and API keys.
//!
//! A thin layer: argument parsing and printing. The work is done by `owox-server`.

mod admin_commands;
mod cli;

use std::process::ExitCode;

use clap::Parser;
use owox_server::config::{Config, ConfigError, Sources};

use cli::{Cli, Command, MigrationsCommand};

/// mimalloc instead of glibc's allocator: a stream allocates and frees a value per cell, and
/// with glibc that was a fifth of the server's CPU (perf) and its freed memory stayed resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// DuckDB (C++) allocates through glibc: its 256 KiB buffer blocks are freed and allocated
/// again as the table cache trims (`owox-storage`'s `table_cache`). glibc raises its mmap
/// threshold after the first such free, so later blocks come from its arenas, where freed
/// blocks stay resident and a 10M-row stream peaked 10–20 MiB above a 1M-row one. A fixed
/// threshold (which also turns off the dynamic one) keeps them mapped, so each freed block
/// returns its memory at once; measured with stream-bench: peaks within −3 … +8% and the same
/// CPU per row (docs/performance.md).
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
