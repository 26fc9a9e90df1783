//! Storage engines: opens the driver for a storage row and keeps it open, one engine per
//! storage per process (a DuckDB file can be opened by one database instance at a time).
//!
//! Also maps driver errors onto the reference's HTTP answers.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use owox_storage::{DuckDbAdmin, DuckDbConfig, DuckDbStorage, Storage, StorageError};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::error::ApiError;
use crate::store::StorageRow;

/// The storage types this build can run.
pub const DUCKDB: &str = "DUCKDB";

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

/// `config` of a DUCKDB storage. Paths are relative to the data directory, or absolute inside
/// it; nothing else is accepted, because analysts' SQL runs against these files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DuckDbStorageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imports_path: Option<String>,
}

impl DuckDbStorageConfig {
    /// The config of a project's default storage: the default project's files are
    /// `duckdb/owox.duckdb` and `imports/`; other projects get their own folder.
    pub fn default_for_project(project_id: &str) -> Self {
        if project_id == crate::store::DEFAULT_PROJECT_ID {
            Self {
                database_path: Some("duckdb/owox.duckdb".into()),
                imports_path: Some("imports".into()),
            }
        } else {
            Self {
                database_path: Some(format!("projects/{project_id}/owox.duckdb")),
                imports_path: Some(format!("projects/{project_id}/imports")),
            }
        }
    }

    /// Parses and checks a `config` value given to the API.
    pub fn parse(value: &serde_json::Value) -> Result<Self, ApiError> {
        let config: Self = serde_json::from_value(value.clone()).map_err(|e| {
            ApiError::business(format!(
                "Invalid DUCKDB storage config: {e}. Expected {{\"databasePath\"?: string, \"importsPath\"?: string}}"
            ))
        })?;
        for (name, path) in [
            ("databasePath", &config.database_path),
            ("importsPath", &config.imports_path),
        ] {
            if let Some(p) = path {
                check_relative(name, p)?;
            }
        }
        Ok(config)
    }
}

fn check_relative(name: &str, path: &str) -> Result<(), ApiError> {
    let p = Path::new(path);
    let escapes = p.components().any(|c| matches!(c, Component::ParentDir));
    if path.trim().is_empty() || escapes || p.is_absolute() {
        return Err(ApiError::business(format!(
            "Invalid DUCKDB storage config: {name} must be a path relative to the server's data directory, without '..'"
        )));
    }
    Ok(())
}

pub struct Engines {
    data_dir: PathBuf,
    memory_limit: String,
    threads: usize,
    open: Mutex<HashMap<String, Arc<dyn Storage>>>,
}

impl Engines {
    pub fn new(config: &Config) -> Self {
        Self {
            data_dir: config.data_dir.clone(),
            memory_limit: config.duckdb_memory_limit.clone(),
            threads: config.duckdb_threads,
            open: Mutex::new(HashMap::new()),
        }
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
        })
    }

    /// The open engine of a storage, opening it on first use.
    pub async fn get(&self, row: &StorageRow) -> Result<Arc<dyn Storage>, ApiError> {
        let mut open = self.open.lock().await;
        if let Some(engine) = open.get(&row.id) {
            return Ok(engine.clone());
        }
        if row.storage_type != DUCKDB {
            return Err(unavailable(&row.storage_type));
        }
        let config = self.duckdb_config(row)?;
        let engine: Arc<dyn Storage> = Arc::new(
            tokio::task::spawn_blocking(move || DuckDbStorage::open(config))
                .await
                .map_err(|e| anyhow::anyhow!("opening DuckDB panicked: {e}"))?
                .map_err(|e| storage_error(e, DUCKDB))?,
        );
        open.insert(row.id.clone(), engine.clone());
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
        open.insert(row.id.clone(), engine.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn duckdb_config_paths_stay_inside_the_data_directory() {
        assert!(DuckDbStorageConfig::parse(&json!({"databasePath": "shop/shop.duckdb"})).is_ok());
        assert!(DuckDbStorageConfig::parse(&json!({})).is_ok());
        for bad in [
            json!({"databasePath": "/etc/passwd"}),
            json!({"importsPath": "../outside"}),
            json!({"importsPath": "a/../../b"}),
            json!({"databasePath": ""}),
            json!({"other": 1}),
            json!({"databasePath": 5}),
        ] {
            assert!(DuckDbStorageConfig::parse(&bad).is_err(), "{bad}");
        }
    }
}
