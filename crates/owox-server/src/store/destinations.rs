//! Data destinations (`data_destination`) and their owners. Rows are soft-deleted; credentials
//! arrive sealed (the store never sees a secret in clear).

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DestinationRow {
    pub id: String,
    pub project_id: String,
    #[sqlx(rename = "type")]
    pub destination_type: String,
    pub title: String,
    /// JSON text.
    pub config: Option<String>,
    pub sealed_credentials: Option<String>,
    /// JSON text that responses may show.
    pub public_credentials: Option<String>,
    pub available_for_use: bool,
    pub available_for_maintenance: bool,
    pub created_by_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, project_id, type, title, config, sealed_credentials, public_credentials, available_for_use, available_for_maintenance, created_by_id, created_at, modified_at";

/// The parts of a destination a create or an update writes.
pub struct DestinationWrite<'a> {
    pub title: &'a str,
    pub config: Option<&'a str>,
    pub sealed_credentials: Option<&'a str>,
    pub public_credentials: Option<&'a str>,
}

impl Store {
    /// Creates a destination owned by `owners` (the creator when empty).
    pub async fn insert_destination(
        &self,
        id: &str,
        project_id: &str,
        destination_type: &str,
        write: &DestinationWrite<'_>,
        created_by_id: &str,
        owners: &[String],
    ) -> anyhow::Result<()> {
        let at = now();
        let creator = [created_by_id.to_string()];
        let owners = if owners.is_empty() {
            &creator[..]
        } else {
            owners
        };
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO data_destination (id, project_id, type, title, config, sealed_credentials, public_credentials, available_for_use, available_for_maintenance, created_by_id, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, FALSE, $8, $9, $9)",
            )
            .bind(id)
            .bind(project_id)
            .bind(destination_type)
            .bind(write.title)
            .bind(write.config)
            .bind(write.sealed_credentials)
            .bind(write.public_credentials)
            .bind(created_by_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            for owner in owners {
                sqlx::query(
                    "INSERT INTO destination_owner (destination_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        })?;
        Ok(())
    }

    pub async fn get_destination(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<DestinationRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, DestinationRow>(&format!(
                "SELECT {COLUMNS} FROM data_destination WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The project's destinations, newest first.
    pub async fn list_destinations(&self, project_id: &str) -> anyhow::Result<Vec<DestinationRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, DestinationRow>(&format!(
                "SELECT {COLUMNS} FROM data_destination WHERE project_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id"
            ))
            .bind(project_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Sets title and config, and the credentials when given (`None` keeps them).
    pub async fn update_destination(
        &self,
        project_id: &str,
        id: &str,
        write: &DestinationWrite<'_>,
    ) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_destination SET title = $1, config = $2, sealed_credentials = COALESCE($3, sealed_credentials), public_credentials = COALESCE($4, public_credentials), modified_at = $5 WHERE project_id = $6 AND id = $7 AND deleted_at IS NULL",
            )
            .bind(write.title)
            .bind(write.config)
            .bind(write.sealed_credentials)
            .bind(write.public_credentials)
            .bind(at)
            .bind(project_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Soft-deletes a destination and drops its sealed credentials.
    pub async fn delete_destination(&self, project_id: &str, id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_destination SET deleted_at = $1, sealed_credentials = NULL WHERE project_id = $2 AND id = $3 AND deleted_at IS NULL",
            )
            .bind(at)
            .bind(project_id)
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Owner user ids of a destination.
    pub async fn destination_owners(&self, destination_id: &str) -> anyhow::Result<Vec<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT user_id FROM destination_owner WHERE destination_id = $1 ORDER BY user_id",
            )
            .bind(destination_id)
            .fetch_all(pool)
            .await
        })?)
    }
}
