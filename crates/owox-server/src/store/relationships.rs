//! Relationships between data marts (`data_mart_relationship`, domain.md §1.4). Rows are hard
//! deleted; they survive a soft-deleted end (blending then refuses them with a clear error).

use chrono::{DateTime, Utc};

use super::data_marts::DATA_MART_COLUMNS;
use super::{now, on_pool, DataMartRow, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelationshipRow {
    pub id: String,
    pub project_id: String,
    pub data_storage_id: String,
    pub source_data_mart_id: String,
    pub target_data_mart_id: String,
    pub target_alias: String,
    /// JSON text: `[{sourceFieldName, targetFieldName}]`.
    pub join_conditions: String,
    pub description: Option<String>,
    pub created_by_id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
}

const COLUMNS: &str = "r.id, r.project_id, r.data_storage_id, r.source_data_mart_id, r.target_data_mart_id, r.target_alias, r.join_conditions, r.description, r.created_by_id, r.created_at, r.modified_at";

/// A data mart row with its soft-delete mark (relationships may point at deleted marts).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelatedDataMart {
    #[sqlx(flatten)]
    pub row: DataMartRow,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// What it takes to create a relationship.
#[derive(Debug, Clone)]
pub struct NewRelationship<'a> {
    pub project_id: &'a str,
    pub data_storage_id: &'a str,
    pub source_data_mart_id: &'a str,
    pub target_data_mart_id: &'a str,
    pub target_alias: &'a str,
    pub join_conditions: &'a str,
    pub description: Option<&'a str>,
    pub created_by_id: &'a str,
}

/// A change to a relationship; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct RelationshipChange<'a> {
    pub target_alias: Option<&'a str>,
    pub join_conditions: Option<&'a str>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<&'a str>>,
    /// The source data mart's new `blended_fields_config` (an alias rename moves its paths),
    /// written in the same transaction.
    pub source_blended_fields_config: Option<&'a str>,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl Store {
    /// Creates a relationship; `None` when the source already has one with this alias.
    pub async fn insert_relationship(
        &self,
        new: &NewRelationship<'_>,
    ) -> anyhow::Result<Option<RelationshipRow>> {
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        let inserted = on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO data_mart_relationship (id, project_id, data_storage_id, source_data_mart_id, target_data_mart_id, target_alias, join_conditions, description, created_by_id, created_at, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING",
            )
            .bind(&id)
            .bind(new.project_id)
            .bind(new.data_storage_id)
            .bind(new.source_data_mart_id)
            .bind(new.target_data_mart_id)
            .bind(new.target_alias)
            .bind(new.join_conditions)
            .bind(new.description)
            .bind(new.created_by_id)
            .bind(at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        if inserted == 0 {
            return Ok(None);
        }
        self.get_relationship(new.project_id, &id).await
    }

    pub async fn get_relationship(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<RelationshipRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RelationshipRow>(&format!(
                "SELECT {COLUMNS} FROM data_mart_relationship r WHERE r.project_id = $1 AND r.id = $2"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The relationship of `source_data_mart_id` that uses `alias`, if any.
    pub async fn relationship_by_alias(
        &self,
        project_id: &str,
        source_data_mart_id: &str,
        alias: &str,
    ) -> anyhow::Result<Option<RelationshipRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RelationshipRow>(&format!(
                "SELECT {COLUMNS} FROM data_mart_relationship r WHERE r.project_id = $1 AND r.source_data_mart_id = $2 AND r.target_alias = $3"
            ))
            .bind(project_id)
            .bind(source_data_mart_id)
            .bind(alias)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// Applies `change`; `false` when the new alias is already used by another relationship of
    /// the same source (nothing is written then).
    pub async fn update_relationship(
        &self,
        row: &RelationshipRow,
        change: &RelationshipChange<'_>,
    ) -> anyhow::Result<bool> {
        let at = now();
        let result = on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query(
                "UPDATE data_mart_relationship SET target_alias = COALESCE($3, target_alias), join_conditions = COALESCE($4, join_conditions), description = CASE WHEN $5 THEN $6 ELSE description END, modified_at = $7 WHERE project_id = $1 AND id = $2",
            )
            .bind(&row.project_id)
            .bind(&row.id)
            .bind(change.target_alias)
            .bind(change.join_conditions)
            .bind(change.description.is_some())
            .bind(change.description.flatten())
            .bind(at)
            .execute(&mut *tx)
            .await;
            match updated {
                Err(e) if is_unique_violation(&e) => Ok::<_, sqlx::Error>(false),
                Err(e) => Err(e),
                Ok(_) => {
                    if let Some(config) = change.source_blended_fields_config {
                        sqlx::query(
                            "UPDATE data_mart SET blended_fields_config = $3 WHERE project_id = $1 AND id = $2",
                        )
                        .bind(&row.project_id)
                        .bind(&row.source_data_mart_id)
                        .bind(config)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(true)
                }
            }
        })?;
        Ok(result)
    }

    pub async fn delete_relationship(&self, project_id: &str, id: &str) -> anyhow::Result<bool> {
        let deleted = on_pool!(self, |pool| {
            sqlx::query("DELETE FROM data_mart_relationship WHERE project_id = $1 AND id = $2")
                .bind(project_id)
                .bind(id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(deleted > 0)
    }

    /// The relationships on a storage whose source data mart is live, oldest first (ties by id).
    pub async fn relationships_on_storage(
        &self,
        project_id: &str,
        storage_id: &str,
    ) -> anyhow::Result<Vec<RelationshipRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RelationshipRow>(&format!(
                "SELECT {COLUMNS} FROM data_mart_relationship r JOIN data_mart s ON s.id = r.source_data_mart_id AND s.deleted_at IS NULL WHERE r.project_id = $1 AND r.data_storage_id = $2 ORDER BY r.created_at, r.id"
            ))
            .bind(project_id)
            .bind(storage_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// A data mart of the project, soft-deleted or not.
    pub async fn data_mart_with_deleted(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<RelatedDataMart>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RelatedDataMart>(&format!(
                "SELECT {DATA_MART_COLUMNS}, deleted_at FROM data_mart WHERE project_id = $1 AND id = $2"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The data marts at either end of a relationship on the storage, soft-deleted ones
    /// included (marked), plus the live data mart `root_id`.
    pub async fn related_data_marts(
        &self,
        project_id: &str,
        storage_id: &str,
        root_id: &str,
    ) -> anyhow::Result<Vec<RelatedDataMart>> {
        let columns = DATA_MART_COLUMNS
            .split(", ")
            .map(|c| format!("dm.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RelatedDataMart>(&format!(
                "SELECT {columns}, dm.deleted_at FROM data_mart dm WHERE dm.project_id = $1 AND dm.storage_id = $2 AND ((dm.id = $3 AND dm.deleted_at IS NULL) OR EXISTS (SELECT 1 FROM data_mart_relationship r WHERE r.project_id = $1 AND (r.source_data_mart_id = dm.id OR r.target_data_mart_id = dm.id)))"
            ))
            .bind(project_id)
            .bind(storage_id)
            .bind(root_id)
            .fetch_all(pool)
            .await
        })?)
    }
}
