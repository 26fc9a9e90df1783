//! `owox-ctl`: the OWOX Data Marts command-line tool, compatible with the reference `@owox/ctl`
//! 0.31 (commands, flags, JSON shapes, error messages and exit codes; see `ctl-client.md`).
//!
//! What it is for: scripts and AI agents that check credentials and list or stream data from an
//! OWOX Data Marts server with an `OWOX_API_KEY`. Results go to stdout as JSON (or NDJSON for
//! streams); errors go to stderr as `{"error": …}` with exit code 1.
//!
//! What it is not: an admin tool (no create/update/delete of data marts, storages or keys), and it
//! sends no telemetry. All HTTP goes through `owox-api-client`.

mod cli;
mod commands;
mod env;
mod output;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};

use cli::{Cli, Command, DataMartsCommand, ListOnly, ReportsCommand, RunsCommand};
use commands::lists::ListKind;
use output::{print_error, CliError};

fn main() -> ExitCode {
    let args = split_colon_form(std::env::args_os().collect());
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(error) => return parse_failure(&args, error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            print_error(&CliError::Other(error.to_string()));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli.command))
}

async fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Status(env) => return commands::status::run(env.env_file.as_deref()).await,
        Command::DataMarts(DataMartsCommand::List(env)) => {
            commands::lists::run(ListKind::DataMarts, env.env_file.as_deref()).await
        }
        Command::DataMarts(DataMartsCommand::Stream(args)) => {
            commands::stream::data_marts(&args).await
        }
        Command::Storages(ListOnly::List(env)) => {
            commands::lists::run(ListKind::Storages, env.env_file.as_deref()).await
        }
        Command::Destinations(ListOnly::List(env)) => {
            commands::lists::run(ListKind::Destinations, env.env_file.as_deref()).await
        }
        Command::Runs(RunsCommand::List {
            data_mart,
            limit,
            offset,
            env,
        }) => {
            let options = owox_api_client::RunListOptions { limit, offset };
            commands::runs::list(data_mart.as_deref(), options, env.env_file.as_deref()).await
        }
        Command::Runs(RunsCommand::Get {
            data_mart_id,
            run_id,
            env,
        }) => commands::runs::get(&data_mart_id, &run_id, env.env_file.as_deref()).await,
        Command::Runs(RunsCommand::Cancel {
            data_mart_id,
            run_id,
            env,
        }) => commands::runs::cancel(&data_mart_id, &run_id, env.env_file.as_deref()).await,
        Command::Reports(ReportsCommand::Stream {
            report_id,
            limit,
            env,
        }) => commands::stream::reports(&report_id, limit, env.env_file.as_deref()).await,
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "owox-ctl",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            print_error(&error);
            ExitCode::FAILURE
        }
    }
}

/// `owox-ctl data-marts:list` ≡ `owox-ctl data-marts list` (oclif's colon form).
fn split_colon_form(mut args: Vec<OsString>) -> Vec<OsString> {
    if let Some(first) = args.get(1).and_then(|a| a.to_str()).map(str::to_owned) {
        if first.contains(':') && !first.starts_with('-') {
            let words: Vec<OsString> = first.split(':').map(OsString::from).collect();
            args.splice(1..2, words);
        }
    }
    args
}

/// The leading command words (up to two, before any flag).
fn command_words(args: &[OsString]) -> Vec<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| !a.starts_with('-'))
        .take(2)
        .collect()
}

/// Help and version go to stdout (exit 0). Unknown commands and parse errors of the stream
/// commands are human errors on stderr (exit 2); other commands' parse errors are JSON (exit 1).
fn parse_failure(args: &[OsString], error: clap::Error) -> ExitCode {
    match error.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(std::io::stdout(), "{}", error.render());
            return ExitCode::SUCCESS;
        }
        ErrorKind::InvalidSubcommand => {
            let words = command_words(args);
            return human(&format!(
                " ›   Error: command {} not found",
                words.join(":")
            ));
        }
        _ => {}
    }
    let words = command_words(args);
    let invalid = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => Some(arg.clone()),
        _ => None,
    };
    if error.kind() == ErrorKind::UnknownArgument {
        if let Some(arg) = invalid.as_deref().filter(|a| !a.starts_with('-')) {
            let mut id = words.clone();
            if !id.iter().any(|w| w == arg) {
                id.push(arg.to_owned());
            }
            return human(&format!(" ›   Error: command {} not found", id.join(":")));
        }
        if words.is_empty() {
            return human(&format!(
                " ›   Error: command {} not found",
                invalid.unwrap_or_default()
            ));
        }
    }
    let streaming = matches!(words.get(1).map(String::as_str), Some("stream"));
    if streaming || words.is_empty() {
        let _ = error.print();
        return ExitCode::from(2);
    }
    let message = match (error.kind(), invalid) {
        (ErrorKind::UnknownArgument, Some(flag)) => {
            format!("Nonexistent flag: {flag}\nSee more help with --help")
        }
        _ => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            format!(
                "{}\nSee more help with --help",
                first.trim_start_matches("error: ")
            )
        }
    };
    print_error(&CliError::Other(message));
    ExitCode::FAILURE
}

fn human(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "{message}");
    ExitCode::from(2)
}
