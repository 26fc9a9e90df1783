//! `config` and `credentials` of POSTGRES storages.
//!
//! Config: `{host, port?, database, schema?, sslmode?}` (port 5432, sslmode `prefer` by
//! default). Credentials: `{username, password}`, write-only: sealed at rest, echoed as
//! `{username}`.

use std::time::Duration;

use owox_storage::{PostgresConfig, SslMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;

pub const CREDENTIAL_TYPE: &str = "postgres_password";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostgresStorageConfig {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    pub database: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default = "default_sslmode", rename = "sslmode")]
    pub ssl_mode: String,
}

fn default_port() -> u16 {
    5432
}

fn default_sslmode() -> String {
    "prefer".into()
}

const CONFIG_SHAPE: &str = "Expected {\"host\": string, \"port\"?: number, \"database\": string, \"schema\"?: string, \"sslmode\"?: \"disable\" | \"prefer\" | \"require\" | \"verify-full\"}";

impl PostgresStorageConfig {
    /// Parses and checks a `config` value given to the API.
    pub fn parse(value: &Value) -> Result<Self, ApiError> {
        let invalid = |why: String| {
            ApiError::business(format!(
                "Invalid POSTGRES storage config: {why}. {CONFIG_SHAPE}"
            ))
        };
        let config: Self =
            serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        if config.host.trim().is_empty() || config.host.len() > 255 {
            return Err(invalid("host must be a non-empty name or address".into()));
        }
        if config.port == 0 {
            return Err(invalid("port must be between 1 and 65535".into()));
        }
        if config.database.trim().is_empty() || config.database.len() > 63 {
            return Err(invalid("database must be a non-empty name".into()));
        }
        if config
            .schema
            .as_deref()
            .is_some_and(|s| s.is_empty() || s.len() > 63 || s.contains('\0'))
        {
            return Err(invalid("schema must be a non-empty name".into()));
        }
        if SslMode::parse(&config.ssl_mode).is_none() {
            return Err(invalid(format!("unknown sslmode {:?}", config.ssl_mode)));
        }
        Ok(config)
    }
}

/// The write-only credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostgresCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for PostgresCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl PostgresCredentials {
    pub fn parse(value: &Value) -> Result<Self, ApiError> {
        let credentials: Self = serde_json::from_value(value.clone()).map_err(|_| {
            // The serde message could quote the value; say only what is expected.
            ApiError::business(
                "Invalid POSTGRES storage credentials. Expected {\"username\": string, \"password\": string}",
            )
        })?;
        if credentials.username.trim().is_empty() {
            return Err(ApiError::business(
                "Invalid POSTGRES storage credentials: username must not be empty",
            ));
        }
        Ok(credentials)
    }

    /// What responses show of them.
    pub fn public(&self) -> Value {
        serde_json::json!({ "username": self.username })
    }
}

/// The driver settings from a storage's config and credentials.
pub fn driver_config(
    config: &PostgresStorageConfig,
    credentials: &PostgresCredentials,
    statement_timeout: Option<Duration>,
) -> PostgresConfig {
    PostgresConfig {
        host: config.host.clone(),
        port: config.port,
        database: config.database.clone(),
        schema: config.schema.clone(),
        ssl_mode: SslMode::parse(&config.ssl_mode).unwrap_or_default(),
        username: credentials.username.clone(),
        password: credentials.password.clone(),
        statement_timeout,
        connect_timeout: Duration::from_secs(10),
        max_connections: 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_rules() {
        let ok = PostgresStorageConfig::parse(&json!({"host": "db", "database": "shop"})).unwrap();
        assert_eq!((ok.port, ok.ssl_mode.as_str()), (5432, "prefer"));
        for bad in [
            json!({"database": "shop"}),
            json!({"host": "", "database": "shop"}),
            json!({"host": "db", "database": "shop", "port": 0}),
            json!({"host": "db", "database": "shop", "port": 70000}),
            json!({"host": "db", "database": "shop", "sslmode": "allow"}),
            json!({"host": "db", "database": "shop", "schema": ""}),
            json!({"host": "db", "database": "shop", "password": "x"}),
        ] {
            assert!(PostgresStorageConfig::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_errors_never_echo_the_password() {
        let e = PostgresCredentials::parse(&json!({"username": "u", "password": 12345678}))
            .unwrap_err();
        assert!(!e.to_string().contains("12345678"));
        let c =
            PostgresCredentials::parse(&json!({"username": "u", "password": "hunter2"})).unwrap();
        assert_eq!(c.public(), json!({"username": "u"}));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
