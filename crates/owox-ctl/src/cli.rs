//! Command-line definitions (clap). Descriptions are the reference's where it has the command.

use clap::{Args, Parser, Subcommand};

/// OWOX Data Marts command-line tool.
#[derive(Debug, Parser)]
#[command(
    name = "owox-ctl",
    version,
    about = "OWOX Data Marts command-line tool",
    propagate_version = true
)]
#[command(subcommand_required = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `-e, --env-file`, on every command.
#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// Path to environment file to load variables from
    #[arg(short = 'e', long = "env-file", value_name = "/path/to/.env")]
    pub env_file: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate OWOX Data Marts API credentials
    Status(EnvArgs),
    /// List data marts
    #[command(
        subcommand,
        name = "data-marts",
        subcommand_required = true,
        arg_required_else_help = true
    )]
    DataMarts(DataMartsCommand),
    /// List storages
    #[command(subcommand, subcommand_required = true, arg_required_else_help = true)]
    Storages(ListOnly),
    /// List destinations
    #[command(subcommand, subcommand_required = true, arg_required_else_help = true)]
    Destinations(ListOnly),
    /// List, inspect and cancel data mart runs
    #[command(subcommand, subcommand_required = true, arg_required_else_help = true)]
    Runs(RunsCommand),
    /// Stream report rows as newline-delimited JSON
    #[command(subcommand, subcommand_required = true, arg_required_else_help = true)]
    Reports(ReportsCommand),
    /// Print a shell completion script
    Completions {
        /// Shell to generate completions for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum DataMartsCommand {
    /// List data marts
    List(EnvArgs),
    /// Stream data mart rows as newline-delimited JSON
    Stream(StreamArgs),
}

#[derive(Debug, Subcommand)]
pub enum ListOnly {
    /// List all of them
    List(EnvArgs),
}

#[derive(Debug, Args)]
pub struct StreamArgs {
    /// Data Mart ID
    #[arg(value_name = "dataMartId")]
    pub data_mart_id: String,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Column set: `*` (native columns) or `**` (native and blended)
    #[arg(long, value_parser = ["*", "**"])]
    pub columns: Option<String>,
    /// Exact column name (repeatable, order kept)
    #[arg(long = "column", value_name = "value", allow_hyphen_values = true)]
    pub column: Vec<String>,
    /// Maximum number of rows (server-side)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Filter rules, a JSON array
    #[arg(long, value_name = "json", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Sort rules, a JSON array
    #[arg(long, value_name = "json", allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// Aggregation rules, a JSON array
    #[arg(long, value_name = "json", allow_hyphen_values = true)]
    pub aggregation: Option<String>,
    /// Date bucket rules (the `dateTrunc` parameter), a JSON array
    #[arg(long = "date-bucket", value_name = "json", allow_hyphen_values = true)]
    pub date_bucket: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List runs: project-wide history, or one data mart's runs with --data-mart
    List {
        /// Only the runs of this data mart
        #[arg(long = "data-mart", value_name = "dataMartId")]
        data_mart: Option<String>,
        /// Page size (server default 100)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// Number of runs to skip
        #[arg(long)]
        offset: Option<u64>,
        #[command(flatten)]
        env: EnvArgs,
    },
    /// Show one run with its data-quality detail
    Get {
        /// Data Mart ID
        #[arg(value_name = "dataMartId")]
        data_mart_id: String,
        /// Run ID
        #[arg(value_name = "runId")]
        run_id: String,
        #[command(flatten)]
        env: EnvArgs,
    },
    /// Cancel a pending or running run
    Cancel {
        /// Data Mart ID
        #[arg(value_name = "dataMartId")]
        data_mart_id: String,
        /// Run ID
        #[arg(value_name = "runId")]
        run_id: String,
        #[command(flatten)]
        env: EnvArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportsCommand {
    /// Stream report rows as newline-delimited JSON
    Stream {
        /// Report ID
        #[arg(value_name = "reportId")]
        report_id: String,
        /// Maximum number of rows (server-side)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        #[command(flatten)]
        env: EnvArgs,
    },
}
