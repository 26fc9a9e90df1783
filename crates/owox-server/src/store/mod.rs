//! The metadata store: projects, members, API keys and server settings, in SQLite (default) or
//! PostgreSQL (several instances sharing one deployment).
//!
//! One [`Store`] value serves both backends. Queries are written once, with `$1`-style
//! placeholders that both SQLite and PostgreSQL accept, and [`on_pool!`] compiles each body
//! against both pool types, so the two backends cannot drift apart. Every domain query takes
//! the project id: nothing reads across projects by accident.

mod api_keys;
mod credentials;
mod data_marts;
mod destinations;
mod members;
mod projects;
mod relationships;
mod reports;
mod runs;
mod settings;
mod storages;
mod triggers;

pub use api_keys::{ApiKeyRow, NewApiKey};
pub use credentials::CredentialRow;
pub use data_marts::{DataMartChange, DataMartRow, OwnerPresence, Viewer};
pub use destinations::{DestinationRow, DestinationWrite};
pub use members::MemberRow;
pub use projects::ProjectRow;
pub use relationships::{NewRelationship, RelatedDataMart, RelationshipChange, RelationshipRow};
pub use reports::{ReportRow, ReportUpdate, ReportWrite};
pub use runs::{NewRun, RunRow};
pub use storages::{NewStorage, StorageRow};
pub use triggers::{TriggerKey, TriggerRow};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::config::MetadataDb;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The id of the project created on first start (the reference's single-user project id).
pub const DEFAULT_PROJECT_ID: &str = "0";
pub const DEFAULT_PROJECT_TITLE: &str = "OWOX Data Marts";
/// The admin member created with the default project.
pub const DEFAULT_ADMIN_USER_ID: &str = "0";
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@localhost";
pub const DEFAULT_ADMIN_NAME: &str = "Admin";

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// One migration and whether it has been applied.
#[derive(Debug, Clone)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

impl Store {
    /// Opens the store; the SQLite file and its directory are created when missing.
    pub async fn connect(db: &MetadataDb) -> anyhow::Result<Self> {
        match db {
            MetadataDb::Sqlite { path } => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).with_context(|| {
                        format!("cannot create the SQLite directory {}", dir.display())
                    })?;
                }
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                Ok(Self::Sqlite(pool))
            }
            MetadataDb::Postgres { url } => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .context("cannot connect to the PostgreSQL metadata database")?;
                Ok(Self::Postgres(pool))
            }
        }
    }

    /// An in-memory SQLite store, for tests.
    pub async fn in_memory() -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every connection to `:memory:` is a separate database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let store = Self::Sqlite(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a SQLite file, for tests and tools.
    pub async fn sqlite_file(path: &Path) -> anyhow::Result<Self> {
        Self::connect(&MetadataDb::Sqlite {
            path: path.to_path_buf(),
        })
        .await
    }

    /// SQLite's `PRAGMA integrity_check` (`"ok"` when the file is sound); `"ok"` on PostgreSQL.
    pub async fn sqlite_integrity_check(&self) -> anyhow::Result<String> {
        match self {
            Store::Sqlite(pool) => Ok(sqlx::query_scalar::<_, String>("PRAGMA integrity_check")
                .fetch_one(pool)
                .await?),
            Store::Postgres(_) => Ok("ok".into()),
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Store::Sqlite(_) => &SQLITE_MIGRATIONS,
            Store::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations. Safe to run from several instances at once: sqlx takes a
    /// database lock around them.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        on_pool!(self, |pool| self.migrator().run(pool).await)
            .context("applying metadata migrations")?;
        Ok(())
    }

    /// Every known migration with whether it has been applied.
    pub async fn migration_status(&self) -> anyhow::Result<Vec<MigrationStatus>> {
        let table_exists: bool = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, bool>(match self {
                Store::Sqlite(_) => "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
                Store::Postgres(_) => "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations')",
            })
            .fetch_one(pool)
            .await
        })?;
        let applied: Vec<i64> = if table_exists {
            on_pool!(self, |pool| {
                sqlx::query_scalar::<_, i64>(
                    "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
                )
                .fetch_all(pool)
                .await
            })?
        } else {
            Vec::new()
        };
        Ok(self
            .migrator()
            .iter()
            .map(|m| MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied: applied.contains(&m.version),
            })
            .collect())
    }

    /// Whether the store answers a trivial query (readiness).
    /// Whether the store answers `SELECT 1` within 2 seconds (readiness must answer promptly
    /// even when the database is cut off).
    pub async fn ping(&self) -> bool {
        let probe = async {
            on_pool!(self, |pool| sqlx::query("SELECT 1")
                .execute(pool)
                .await
                .map(|_| ()))
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Ok(()))
        )
    }

    /// Creates the default project and its admin member unless they exist. Idempotent and safe
    /// under concurrent starts.
    pub async fn ensure_default_project(&self) -> anyhow::Result<()> {
        let now = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO project (id, title, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            )
            .bind(DEFAULT_PROJECT_ID)
            .bind(DEFAULT_PROJECT_TITLE)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())?;
            sqlx::query(
                "INSERT INTO member (project_id, user_id, email, full_name, role, created_at) VALUES ($1, $2, $3, $4, 'admin', $5) ON CONFLICT DO NOTHING",
            )
            .bind(DEFAULT_PROJECT_ID)
            .bind(DEFAULT_ADMIN_USER_ID)
            .bind(DEFAULT_ADMIN_EMAIL)
            .bind(DEFAULT_ADMIN_NAME)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// A JSON column (stored as text in both backends) read back as a value; `None` when empty
/// or unreadable.
pub fn json_column(text: Option<&str>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(t).ok())
}

/// The application clock at millisecond precision, the precision the API shows.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}
