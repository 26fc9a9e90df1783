//! Command-line syntax of `owox`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use owox_contract::auth::Role;
use owox_server::config::Flags;

#[derive(Parser, Debug)]
#[command(
    name = "owox",
    version,
    about = "OWOX Data Marts server: an HTTP API over your data marts, plus its administration",
    long_about = "OWOX Data Marts server.\n\nSettings come from flags, then the process environment, then --env-file, then ./.env, then defaults. Run `owox serve --help` for the server's settings."
)]
pub struct Cli {
    /// Read settings from this env file (the process environment still wins over it).
    #[arg(short = 'e', long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn flags(&self) -> Flags {
        let mut flags = Flags {
            env_file: self.env_file.clone(),
            ..Flags::default()
        };
        if let Command::Serve(serve) = &self.command {
            flags.port = serve.port.clone();
            flags.host = serve.host.clone();
            flags.log_format = serve.log_format.clone();
        }
        flags
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the HTTP server (API under /api, Swagger UI at /api/swagger-ui); `--demo` adds demo data.
    #[command(after_long_help = SERVE_SETTINGS)]
    Serve(ServeArgs),
    /// Apply or inspect metadata-store migrations.
    Migrations {
        #[command(subcommand)]
        command: MigrationsCommand,
    },
    /// Create and list projects.
    Projects {
        #[command(subcommand)]
        command: ProjectsCommand,
    },
    /// Add, list, change and remove project members.
    Members {
        #[command(subcommand)]
        command: MembersCommand,
    },
    /// Create, list and revoke API keys (`owox_key_…`) for scripts, CI jobs and AI agents.
    ApiKeys {
        #[command(subcommand)]
        command: ApiKeysCommand,
    },
    /// Storage credentials sealed at rest (key rotation).
    Credentials {
        #[command(subcommand)]
        command: CredentialsCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum CredentialsCommand {
    /// Re-seal every stored credential with the current OWOX_SECRET_KEY. Run it after a
    /// rotation (new key in OWOX_SECRET_KEY, old one in OWOX_SECRET_KEY_PREVIOUS); then the old
    /// key can be dropped.
    Reseal,
}

const SERVE_SETTINGS: &str = "Environment settings:
  PORT                     port to listen on (default 3000; --port wins)
  HOST                     address to listen on (default 127.0.0.1)
  PUBLIC_ORIGIN            origin written into new API keys (default http://localhost:<port>)
  OWOX_DATA_DIR            data directory (default $XDG_DATA_HOME/owox or ~/.local/share/owox)
  DB_TYPE                  metadata store: sqlite (default) or postgres
  SQLITE_DB_PATH           SQLite file (default <data dir>/sqlite/app.db)
  DATABASE_URL             PostgreSQL URL, or DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD, DB_DATABASE
  RUN_MIGRATIONS           apply migrations at start (default true)
  LOG_FORMAT, LOG_LEVEL    pretty|json; error|warn|info|debug|trace
  METRICS_ENABLED          serve /metrics (default true)
  OWOX_TOKEN_SECRET        access-token signing secret (default: generated once, kept in the store)
  ACCESS_TOKEN_TTL_SECONDS access-token lifetime (default 900)
  EXCHANGE_FAILURE_LIMIT   failed key exchanges per minute per key id and per client (default 10; 0 = off)
  TRUSTED_PROXY_HEADER     header naming the client address behind a proxy (e.g. x-forwarded-for)
  SHUTDOWN_GRACE_SECONDS   time running requests get after SIGINT/SIGTERM (default 30)
  QUERY_TIMEOUT_SECONDS    longest an HTTP Data query may run (default 1800; 0 = no limit)
  OWOX_TIME_ZONE           zone of HTTP Data's relative dates (default UTC)
  DUCKDB_MEMORY_LIMIT      memory limit of each embedded DuckDB storage (default 1GB)
  DUCKDB_TABLE_CACHE       most of it kept for blocks of tables already read (default 16MiB; off = up
                           to the memory limit)
  DUCKDB_THREADS           DuckDB worker threads (default: cores, at most 4)
  OWOX_SECRET_KEY          32-byte base64 key sealing storage credentials (default: generated once
                           into <data dir>/secret.key; give all instances of a deployment the same)
  OWOX_SECRET_KEY_PREVIOUS earlier keys, comma-separated, still accepted after a rotation";

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on [env: PORT] [default: 3000]
    #[arg(short = 'p', long)]
    pub port: Option<String>,
    /// Address to listen on [env: HOST] [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,
    /// Log format: pretty or json [env: LOG_FORMAT]
    #[arg(short = 'f', long, value_name = "pretty|json")]
    pub log_format: Option<String>,
    /// Create a demo online shop (1 million orders) on the default DuckDB storage, publish data
    /// marts over it, and print a viewer API key with ready-to-run commands. Idempotent.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Subcommand, Debug)]
pub enum MigrationsCommand {
    /// Apply pending migrations, then show the status.
    Up,
    /// Show which migrations are applied and which are pending.
    Status,
}

#[derive(Subcommand, Debug)]
pub enum ProjectsCommand {
    /// Create a project; prints its id.
    Create {
        /// The project's title.
        title: String,
        #[arg(long)]
        json: bool,
    },
    /// List projects.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct ProjectArg {
    /// Project id (default: the default project, "0").
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// Add a member to a project.
    Add {
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// List a project's members.
    List {
        #[command(flatten)]
        project: ProjectArg,
        #[arg(long)]
        json: bool,
    },
    /// Change a member's role; takes effect on their keys' next request.
    SetRole {
        email: String,
        #[arg(value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        project: ProjectArg,
    },
    /// Remove a member; their keys stop working on the next request.
    Remove {
        email: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeysCommand {
    /// Create an API key and print it once (it cannot be shown again).
    Create {
        /// A name to recognize the key by (1-100 characters).
        #[arg(long)]
        name: String,
        /// The member the key acts as (default: the project's first admin).
        #[arg(long, value_name = "EMAIL")]
        member: Option<String>,
        /// Cap the key below the member's role: viewer, editor or admin.
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Expiry as RFC 3339, e.g. 2030-01-31T00:00:00Z (default: never).
        #[arg(long, value_name = "RFC3339")]
        expires_at: Option<String>,
        #[command(flatten)]
        project: ProjectArg,
        /// Print {apiKey, apiKeyId, name, role, expiresAt} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List a project's keys with their status (never secrets).
    List {
        #[command(flatten)]
        project: ProjectArg,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key; takes effect on its next request, tokens already issued included.
    Revoke {
        /// The key id (pmk_…).
        id: String,
        #[command(flatten)]
        project: ProjectArg,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}
