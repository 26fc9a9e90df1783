//! `config` of DUCKDB storages.

use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

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
