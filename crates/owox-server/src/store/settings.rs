//! Server-wide settings kept in the store, such as the generated token-signing secret.

use super::{on_pool, Store};

impl Store {
    /// Returns the stored value of `key`, storing `candidate` first when there is none. When
    /// several instances race, all of them end up with the first value written.
    pub async fn setting_or_insert(&self, key: &str, candidate: &str) -> anyhow::Result<String> {
        let value = on_pool!(self, |pool| {
            sqlx::query("INSERT INTO server_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(key)
                .bind(candidate)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())?;
            sqlx::query_scalar::<_, String>("SELECT value FROM server_setting WHERE key = $1")
                .bind(key)
                .fetch_one(pool)
                .await
        })?;
        Ok(value)
    }

    /// Stores `value` under `key`, replacing any previous value.
    pub async fn set_setting(&self, key: &str, value: &str) -> anyhow::Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO server_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(key)
                .bind(value)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
