//! API keys (`project_member_api_key`): the hash, never the secret.

use chrono::{DateTime, Utc};
use owox_contract::auth::Role;

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub api_key_id: String,
    pub project_id: String,
    pub user_id: String,
    pub name: String,
    /// A cap on the member's role, or `None` for the member's full role.
    pub role: Option<String>,
    pub read_only: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_authenticated_at: Option<DateTime<Utc>>,
    pub key_hash: String,
    pub key_hash_salt: String,
    pub key_hash_params: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

impl ApiKeyRow {
    pub fn role_cap(&self) -> Option<Role> {
        self.role.as_deref().and_then(|r| r.parse().ok())
    }

    /// Whether the key may still be used at `at`: not revoked, and not at or past its expiry.
    pub fn is_active(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > at)
    }
}

/// What it takes to store a new key.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub api_key_id: String,
    pub project_id: String,
    pub user_id: String,
    pub name: String,
    pub role: Option<Role>,
    pub expires_at: Option<DateTime<Utc>>,
    pub key_hash: String,
    pub key_hash_salt: String,
    pub key_hash_params: String,
}

const KEY_COLUMNS: &str = "api_key_id, project_id, user_id, name, role, read_only, expires_at, revoked_at, last_authenticated_at, key_hash, key_hash_salt, key_hash_params, created_at, modified_at";

impl Store {
    pub async fn insert_api_key(&self, key: &NewApiKey) -> anyhow::Result<ApiKeyRow> {
        let created = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO project_member_api_key (api_key_id, project_id, user_id, name, role, read_only, expires_at, key_hash, key_hash_salt, key_hash_params, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6, $7, $8, $9, $10, $10)",
            )
            .bind(&key.api_key_id)
            .bind(&key.project_id)
            .bind(&key.user_id)
            .bind(&key.name)
            .bind(key.role.map(Role::as_str))
            .bind(key.expires_at)
            .bind(&key.key_hash)
            .bind(&key.key_hash_salt)
            .bind(&key.key_hash_params)
            .bind(created)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        self.get_api_key(&key.api_key_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("API key {} vanished after insert", key.api_key_id))
    }

    /// Looks a key up by id alone, as the exchange does (the id is globally unique).
    pub async fn get_api_key(&self, api_key_id: &str) -> anyhow::Result<Option<ApiKeyRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiKeyRow>(&format!(
                "SELECT {KEY_COLUMNS} FROM project_member_api_key WHERE api_key_id = $1"
            ))
            .bind(api_key_id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The project's keys, newest first, revoked ones included.
    pub async fn list_api_keys(&self, project_id: &str) -> anyhow::Result<Vec<ApiKeyRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ApiKeyRow>(&format!(
                "SELECT {KEY_COLUMNS} FROM project_member_api_key WHERE project_id = $1 ORDER BY created_at DESC, api_key_id"
            ))
            .bind(project_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Revokes a key of the project; false when the project has no such key. Revoking twice
    /// moves `revoked_at`, as the reference does.
    pub async fn revoke_api_key(&self, project_id: &str, api_key_id: &str) -> anyhow::Result<bool> {
        let at = now();
        let done = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE project_member_api_key SET revoked_at = $1, modified_at = $1 WHERE project_id = $2 AND api_key_id = $3",
            )
            .bind(at)
            .bind(project_id)
            .bind(api_key_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    pub async fn touch_api_key(&self, api_key_id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE project_member_api_key SET last_authenticated_at = $1, modified_at = $1 WHERE api_key_id = $2",
            )
            .bind(at)
            .bind(api_key_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
