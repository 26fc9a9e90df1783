//! Storage engines: opens the driver for a storage row and keeps it open, one engine per
//! storage per process (a DuckDB file can be opened by one database instance at a time; a
//! PostgreSQL storage keeps one connection pool).
//!
//! Also maps driver errors onto the reference's HTTP answers.

mod duckdb;
mod postgres;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use owox_storage::{
    DuckDbAdmin, DuckDbConfig, DuckDbStorage, PostgresStorage, Storage, StorageError,
};
use tokio::sync::Mutex;

pub use self::duckdb::DuckDbStorageConfig;
pub use self::postgres::{
    driver_config, PostgresCredentials, PostgresStorageConfig,
    CREDENTIAL_TYPE as POSTGRES_CREDENTIAL_TYPE,
};
use crate::config::Config;
use crate::error::ApiError;
use crate::secrets::SecretBox;
use crate::store::{StorageRow, Store};

/// The storage types this build can run.
pub const DUCKDB: &str = "DUCKDB";
pub const POSTGRES: &str = "POSTGRES";
/// Types that can be created here.
pub const RUNNABLE_TYPES: &[&str] = &[DUCKDB, POSTGRES];

/// Every storage type the API knows, in the order of the validation message.
pub const STORAGE_TYPES: &[&str] = &[
    "GOOGLE_BIGQUERY",
    "AWS_ATHENA",
    "SNOWFLAKE",
    "AWS_REDSHIFT",
    "DATABRICKS",
    "LEGACY_GOOGLE_BIGQUERY",
    "DUCKDB",
    "POSTGRES",
];

/// The human name of a storage type (the title of an untitled storage).
pub fn type_title(storage_type: &str) -> &'static str {
    match storage_type {
        "GOOGLE_BIGQUERY" => "Google BigQuery",
        "AWS_ATHENA" => "AWS Athena",
        "SNOWFLAKE" => "Snowflake",
        "AWS_REDSHIFT" => "AWS Redshift",
        "DATABRICKS" => "Databricks",
        "LEGACY_GOOGLE_BIGQUERY" => "Legacy Google BigQuery",
        "DUCKDB" => "DuckDB",
        "POSTGRES" => "PostgreSQL",
        _ => "Storage",
    }
}

/// The refusal for types whose driver this build does not have.
pub fn unavailable(storage_type: &str) -> ApiError {
    ApiError::business(format!(
        "Storage type {storage_type} ({}) is not available in this build: its driver is not implemented yet",
        type_title(storage_type)
    ))
}

pub struct Engines {
    data_dir: PathBuf,
    memory_limit: String,
    table_cache_limit: Option<u64>,
    threads: usize,
    statement_timeout: Option<Duration>,
    store: Store,
    secrets: SecretBox,
    /// Open engines by storage id.
    open: Mutex<HashMap<String, OpenEngine>>,
}

/// An open engine, with the `modified_at` of the storage row it was opened from (a PostgreSQL
/// engine is rebuilt when another instance changed the storage).
struct OpenEngine {
    opened_from: DateTime<Utc>,
    engine: Arc<dyn Storage>,
}

impl Engines {
    pub fn new(config: &Config, store: Store, secrets: SecretBox) -> Self {
        Self {
            data_dir: config.data_dir.clone(),
            memory_limit: config.duckdb_memory_limit.clone(),
            table_cache_limit: config.duckdb_table_cache,
            threads: config.duckdb_threads,
            statement_timeout: config.query_timeout,
            store,
            secrets,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The sealing box of storage credentials.
    pub fn secrets(&self) -> &SecretBox {
        &self.secrets
    }

    /// The driver settings of a DUCKDB storage row.
    pub fn duckdb_config(&self, row: &StorageRow) -> Result<DuckDbConfig, ApiError> {
        let stored = match row.config.as_deref() {
            Some(text) => serde_json::from_str::<DuckDbStorageConfig>(text).map_err(|e| {
                anyhow::anyhow!("stored config of storage {} is unreadable: {e}", row.id)
            })?,
            None => DuckDbStorageConfig::default(),
        };
        let database = stored
            .database_path
            .unwrap_or_else(|| format!("duckdb/{}.duckdb", row.id));
        let imports = stored.imports_path.unwrap_or_else(|| "imports".into());
        Ok(DuckDbConfig {
            database_path: self.data_dir.join(database),
            imports_dir: self.data_dir.join(imports),
            memory_limit: self.memory_limit.clone(),
            threads: self.threads,
            temp_dir: self.data_dir.join("duckdb").join("tmp"),
            table_cache_limit: self.table_cache_limit,
        })
    }

    /// The stored credentials of a POSTGRES storage, opened.
    pub async fn postgres_credentials(
        &self,
        row: &StorageRow,
    ) -> Result<Option<PostgresCredentials>, ApiError> {
        let Some(credential_id) = row.credential_id.as_deref() else {
            return Ok(None);
        };
        let Some(stored) = self
            .store
            .get_credential(&row.project_id, credential_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(self.secrets.open_json(&stored.sealed, &stored.id)?))
    }

    /// A PostgreSQL engine for these settings (not kept; for probing new settings).
    pub fn postgres_engine(
        &self,
        config: &PostgresStorageConfig,
        credentials: &PostgresCredentials,
    ) -> Result<PostgresStorage, ApiError> {
        PostgresStorage::new(&driver_config(config, credentials, self.statement_timeout))
            .map_err(|e| storage_error(e, POSTGRES))
    }

    /// The open engine of a storage, opening it on first use.
    pub async fn get(&self, row: &StorageRow) -> Result<Arc<dyn Storage>, ApiError> {
        let mut open = self.open.lock().await;
        if let Some(open) = open.get(&row.id) {
            if row.storage_type == DUCKDB || open.opened_from == row.modified_at {
                return Ok(open.engine.clone());
            }
        }
        let engine: Arc<dyn Storage> = match row.storage_type.as_str() {
            DUCKDB => {
                let config = self.duckdb_config(row)?;
                Arc::new(
                    tokio::task::spawn_blocking(move || DuckDbStorage::open(config))
                        .await
                        .map_err(|e| anyhow::anyhow!("opening DuckDB panicked: {e}"))?
                        .map_err(|e| storage_error(e, DUCKDB))?,
                )
            }
            POSTGRES => {
                let not_configured = || {
                    read_failure(
                        "Storage setup is not finished: configure its connection and credentials",
                        POSTGRES,
                    )
                };
                let config = row
                    .config
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<PostgresStorageConfig>(c).ok())
                    .ok_or_else(not_configured)?;
                let credentials = self
                    .postgres_credentials(row)
                    .await?
                    .ok_or_else(not_configured)?;
                Arc::new(self.postgres_engine(&config, &credentials)?)
            }
            other => return Err(unavailable(other)),
        };
        open.insert(
            row.id.clone(),
            OpenEngine {
                opened_from: row.modified_at,
                engine: engine.clone(),
            },
        );
        Ok(engine)
    }

    /// Opens a DUCKDB storage's engine, runs trusted setup SQL through its admin connection
    /// (before lockdown), then locks it down and keeps it open. For the demo generator; never
    /// for anything an API caller supplies.
    pub async fn open_with_setup<F>(
        &self,
        row: &StorageRow,
        setup: F,
    ) -> Result<Arc<dyn Storage>, ApiError>
    where
        F: FnOnce(&DuckDbAdmin) -> Result<(), StorageError> + Send + 'static,
    {
        let mut open = self.open.lock().await;
        open.remove(&row.id);
        let config = self.duckdb_config(row)?;
        let engine: Arc<dyn Storage> = Arc::new(
            tokio::task::spawn_blocking(move || {
                let admin = DuckDbAdmin::open(&config)?;
                setup(&admin)?;
                admin.lock()
            })
            .await
            .map_err(|e| anyhow::anyhow!("DuckDB setup panicked: {e}"))?
            .map_err(|e| storage_error(e, DUCKDB))?,
        );
        open.insert(
            row.id.clone(),
            OpenEngine {
                opened_from: row.modified_at,
                engine: engine.clone(),
            },
        );
        Ok(engine)
    }

    /// Closes a storage's engine (after its config changed or it was deleted). Running
    /// queries keep their own handles and finish.
    pub async fn forget(&self, storage_id: &str) {
        self.open.lock().await.remove(storage_id);
    }
}

/// The reference's forced mapping (http-data.md §8.2): once a read is under way (schema
/// refresh, preparing, the first batch), any failure is 424 `STORAGE_READ_FAILED` with its
/// message.
pub fn read_failure(message: impl std::fmt::Display, storage_type: &str) -> ApiError {
    storage_error(
        StorageError::Provider {
            message: message.to_string(),
        },
        storage_type,
    )
}

/// Maps a driver error onto the reference's answers: bad definitions are 400, engine
/// failures 424 with the provider's message, the rest 500.
pub fn storage_error(error: StorageError, storage_type: &str) -> ApiError {
    match error {
        StorageError::InvalidDefinition(message) => ApiError::business(message),
        StorageError::Provider { message } => {
            let provider_name = type_title(storage_type);
            ApiError::Storage {
                code: "STORAGE_READ_FAILED",
                message: format!(
                    "Storage dependency failed while reading this Data Mart data: {provider_name} returned an error: {message}"
                ),
                provider_message: message,
                provider_name,
                storage_type: storage_type.to_string(),
            }
        }
        StorageError::Cancelled => ApiError::Internal(anyhow::anyhow!("query cancelled")),
        StorageError::Internal(message) => ApiError::Internal(anyhow::anyhow!(message)),
    }
}
