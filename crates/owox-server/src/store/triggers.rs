//! UI triggers (`ui_trigger`): asynchronous SQL dry runs and schema refreshes started by the
//! web client, with their one-time results (domain.md §3.4).
//!
//! Status moves READY → PROCESSING → SUCCESS | ERROR, or → CANCELLING → CANCELLED when the
//! creator cancels; every move is a conditional UPDATE, so a late job cannot overwrite a
//! cancel and two instances cannot both claim a row.

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TriggerRow {
    pub id: String,
    pub project_id: String,
    pub data_mart_id: String,
    pub kind: String,
    pub created_by_id: String,
    pub status: String,
    /// JSON text of the request (`{sql}` for a dry run).
    pub request: Option<String>,
    /// JSON text of the result, once there is one.
    pub response: Option<String>,
    pub created_at: DateTime<Utc>,
}

const TRIGGER_COLUMNS: &str =
    "id, project_id, data_mart_id, kind, created_by_id, status, request, response, created_at";

/// The identity of a trigger as its routes address it.
pub struct TriggerKey<'a> {
    pub project_id: &'a str,
    pub data_mart_id: &'a str,
    pub kind: &'a str,
    pub created_by_id: &'a str,
    pub id: &'a str,
}

impl Store {
    pub async fn insert_trigger(&self, key: &TriggerKey<'_>, request: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO ui_trigger (id, project_id, data_mart_id, kind, created_by_id, status, request, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, 'READY', $6, $7, $7)",
            )
            .bind(key.id)
            .bind(key.project_id)
            .bind(key.data_mart_id)
            .bind(key.kind)
            .bind(key.created_by_id)
            .bind(request)
            .bind(at)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The trigger if it exists, belongs to this creator, mart and kind, and has not expired.
    pub async fn get_trigger(
        &self,
        key: &TriggerKey<'_>,
        not_before: DateTime<Utc>,
    ) -> anyhow::Result<Option<TriggerRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, TriggerRow>(&format!(
                "SELECT {TRIGGER_COLUMNS} FROM ui_trigger WHERE id = $1 AND project_id = $2 AND data_mart_id = $3 AND kind = $4 AND created_by_id = $5 AND created_at >= $6"
            ))
            .bind(key.id)
            .bind(key.project_id)
            .bind(key.data_mart_id)
            .bind(key.kind)
            .bind(key.created_by_id)
            .bind(not_before)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Moves a trigger from one of `from` to `to` (with a response, if given); false when it
    /// was in another state (or gone).
    pub async fn move_trigger(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        response: Option<&str>,
    ) -> anyhow::Result<bool> {
        let at = now();
        let from_a = from.first().copied().unwrap_or("");
        let from_b = from.get(1).copied().unwrap_or(from_a);
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE ui_trigger SET status = $1, response = COALESCE($2, response), modified_at = $3 WHERE id = $4 AND status IN ($5, $6)",
            )
            .bind(to)
            .bind(response)
            .bind(at)
            .bind(id)
            .bind(from_a)
            .bind(from_b)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Removes a trigger (its result was read, or it was cancelled before it ran).
    pub async fn delete_trigger(&self, id: &str) -> anyhow::Result<bool> {
        let n = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM ui_trigger WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Removes triggers created before `before` (the 1-hour expiry).
    pub async fn delete_expired_triggers(&self, before: DateTime<Utc>) -> anyhow::Result<u64> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM ui_trigger WHERE created_at < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?)
    }
}
