//! Data storages (`data_storage`) and their owners. Rows are soft-deleted.

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StorageRow {
    pub id: String,
    pub project_id: String,
    #[sqlx(rename = "type")]
    pub storage_type: String,
    pub title: Option<String>,
    /// JSON text.
    pub config: Option<String>,
    pub credential_id: Option<String>,
    pub available_for_use: bool,
    pub available_for_maintenance: bool,
    pub is_default: bool,
    pub created_by_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

const STORAGE_COLUMNS: &str = "id, project_id, type, title, config, credential_id, available_for_use, available_for_maintenance, is_default, created_by_id, created_at, modified_at";

/// What it takes to create a storage.
#[derive(Debug, Clone)]
pub struct NewStorage<'a> {
    pub project_id: &'a str,
    pub storage_type: &'a str,
    pub title: Option<&'a str>,
    pub config: Option<&'a str>,
    pub created_by_id: Option<&'a str>,
    pub is_default: bool,
}

impl Store {
    /// Creates a storage owned by its creator. For a default storage, `None` when the project
    /// already has one.
    pub async fn insert_storage(&self, new: &NewStorage<'_>) -> anyhow::Result<Option<StorageRow>> {
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        let inserted = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "INSERT INTO data_storage (id, project_id, type, title, config, available_for_use, available_for_maintenance, is_default, created_by_id, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, TRUE, FALSE, $6, $7, $8, $8) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(new.project_id)
            .bind(new.storage_type)
            .bind(new.title)
            .bind(new.config)
            .bind(new.is_default)
            .bind(new.created_by_id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                if let Some(owner) = new.created_by_id {
                    sqlx::query("INSERT INTO storage_owner (storage_id, user_id) VALUES ($1, $2)")
                        .bind(&id)
                        .bind(owner)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await.map(|_| n)
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        self.get_storage(new.project_id, &id).await
    }

    pub async fn get_storage(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<StorageRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, StorageRow>(&format!(
                "SELECT {STORAGE_COLUMNS} FROM data_storage WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    pub async fn default_storage(&self, project_id: &str) -> anyhow::Result<Option<StorageRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, StorageRow>(&format!(
                "SELECT {STORAGE_COLUMNS} FROM data_storage WHERE project_id = $1 AND is_default AND deleted_at IS NULL"
            ))
            .bind(project_id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The project's storages, newest first.
    pub async fn list_storages(&self, project_id: &str) -> anyhow::Result<Vec<StorageRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, StorageRow>(&format!(
                "SELECT {STORAGE_COLUMNS} FROM data_storage WHERE project_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id"
            ))
            .bind(project_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Sets title and config, and the credential when `credential_id` is given (the
    /// previous one is left for the caller to retire).
    pub async fn update_storage(
        &self,
        project_id: &str,
        id: &str,
        title: Option<&str>,
        config: Option<&str>,
        credential_id: Option<&str>,
    ) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_storage SET title = $1, config = $2, modified_at = $3, credential_id = COALESCE($6, credential_id) WHERE project_id = $4 AND id = $5 AND deleted_at IS NULL",
            )
            .bind(title)
            .bind(config)
            .bind(at)
            .bind(project_id)
            .bind(id)
            .bind(credential_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn delete_storage(&self, project_id: &str, id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_storage SET deleted_at = $1, is_default = FALSE WHERE project_id = $2 AND id = $3 AND deleted_at IS NULL",
            )
            .bind(at)
            .bind(project_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Owner user ids of a storage.
    pub async fn storage_owners(&self, storage_id: &str) -> anyhow::Result<Vec<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT user_id FROM storage_owner WHERE storage_id = $1 ORDER BY user_id",
            )
            .bind(storage_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// `(published, draft)` counts of the live data marts on a storage.
    pub async fn storage_data_mart_counts(&self, storage_id: &str) -> anyhow::Result<(u64, u64)> {
        let (published, draft): (i64, i64) = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN status = 'PUBLISHED' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'PUBLISHED' THEN 0 ELSE 1 END), 0) FROM data_mart WHERE storage_id = $1 AND deleted_at IS NULL",
            )
            .bind(storage_id)
            .fetch_one(pool)
            .await
        })?;
        Ok((published.max(0) as u64, draft.max(0) as u64))
    }
}
