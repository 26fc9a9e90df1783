//! Data marts (`data_mart`) and their business and technical owners. Rows are soft-deleted.

use chrono::{DateTime, Utc};
use owox_contract::auth::Role;

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DataMartRow {
    pub id: String,
    pub project_id: String,
    pub title: String,
    pub description: Option<String>,
    pub storage_id: String,
    pub status: String,
    pub definition_type: Option<String>,
    /// JSON text.
    pub definition: Option<String>,
    /// JSON text of the output schema.
    pub output_schema: Option<String>,
    pub schema_actualized_at: Option<DateTime<Utc>>,
    pub available_for_reporting: bool,
    pub available_for_maintenance: bool,
    pub created_by_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    /// JSON text of the `blendedFieldsConfig` (domain.md §1.4).
    pub blended_fields_config: Option<String>,
}

pub(super) const DATA_MART_COLUMNS: &str = "id, project_id, title, description, storage_id, status, definition_type, definition, output_schema, schema_actualized_at, available_for_reporting, available_for_maintenance, created_by_id, created_at, modified_at, blended_fields_config";

/// Whose list it is: admins see everything, others what they own or what is shared with them.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub role: Role,
    pub user_id: &'a str,
}

/// `ownerFilter` of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerPresence {
    Any,
    HasOwners,
    NoOwners,
}

/// A change to one column of a data mart.
#[derive(Debug, Clone)]
pub enum DataMartChange<'a> {
    Title(&'a str),
    Description(Option<&'a str>),
    Definition {
        definition_type: &'a str,
        definition: &'a str,
    },
    Schema {
        schema: &'a str,
        actualized: bool,
    },
    Published,
    /// JSON text of the blended-fields configuration, or `None` to clear it.
    BlendedFieldsConfig(Option<&'a str>),
    /// The sharing flags.
    Availability {
        for_reporting: bool,
        for_maintenance: bool,
    },
}

/// The visibility rule of the reference's access matrix, as SQL over `dm` (domain.md §1.1):
/// `$2` admin, `$3` user id, `$4` editor-or-above.
pub(super) const VISIBLE: &str = "($2 OR dm.available_for_reporting OR ($4 AND dm.available_for_maintenance) OR EXISTS (SELECT 1 FROM data_mart_owner o WHERE o.data_mart_id = dm.id AND o.user_id = $3))";
/// `$5`: 0 any, 1 has owners, 2 no owners.
const OWNER_FILTER: &str = "($5 = 0 OR ($5 = 1) = EXISTS (SELECT 1 FROM data_mart_owner o2 WHERE o2.data_mart_id = dm.id))";

impl Store {
    /// Creates a draft data mart; its creator becomes its technical owner.
    pub async fn insert_data_mart(
        &self,
        project_id: &str,
        title: &str,
        storage_id: &str,
        created_by_id: &str,
    ) -> anyhow::Result<DataMartRow> {
        let id = uuid::Uuid::new_v4().to_string();
        let at = now();
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO data_mart (id, project_id, title, storage_id, status, created_by_id, created_at, modified_at) VALUES ($1, $2, $3, $4, 'DRAFT', $5, $6, $6)",
            )
            .bind(&id)
            .bind(project_id)
            .bind(title)
            .bind(storage_id)
            .bind(created_by_id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO data_mart_owner (data_mart_id, user_id, kind) VALUES ($1, $2, 'technical')")
                .bind(&id)
                .bind(created_by_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })?;
        self.get_data_mart(project_id, &id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("data mart {id} vanished after insert"))
    }

    pub async fn get_data_mart(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<DataMartRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, DataMartRow>(&format!(
                "SELECT {DATA_MART_COLUMNS} FROM data_mart WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// One page of the data marts `viewer` may see, newest first (ties by id), and the total.
    pub async fn list_data_marts(
        &self,
        project_id: &str,
        viewer: Viewer<'_>,
        owners: OwnerPresence,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<(Vec<DataMartRow>, u64)> {
        let is_admin = viewer.role == Role::Admin;
        let is_editor = viewer.role >= Role::Editor;
        let owner_code: i64 = match owners {
            OwnerPresence::Any => 0,
            OwnerPresence::HasOwners => 1,
            OwnerPresence::NoOwners => 2,
        };
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let (rows, total): (Vec<DataMartRow>, i64) = on_pool!(self, |pool| {
            let rows = sqlx::query_as::<_, DataMartRow>(&format!(
                "SELECT {} FROM data_mart dm WHERE dm.project_id = $1 AND dm.deleted_at IS NULL AND {VISIBLE} AND {OWNER_FILTER} ORDER BY dm.created_at DESC, dm.id ASC LIMIT $6 OFFSET $7",
                DATA_MART_COLUMNS.split(", ").map(|c| format!("dm.{c}")).collect::<Vec<_>>().join(", ")
            ))
            .bind(project_id)
            .bind(is_admin)
            .bind(viewer.user_id)
            .bind(is_editor)
            .bind(owner_code)
            .bind(clamp(limit))
            .bind(clamp(offset))
            .fetch_all(pool)
            .await?;
            let total = sqlx::query_scalar::<_, i64>(&format!(
                "SELECT COUNT(*) FROM data_mart dm WHERE dm.project_id = $1 AND dm.deleted_at IS NULL AND {VISIBLE} AND {OWNER_FILTER}"
            ))
            .bind(project_id)
            .bind(is_admin)
            .bind(viewer.user_id)
            .bind(is_editor)
            .bind(owner_code)
            .fetch_one(pool)
            .await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        Ok((rows, total.max(0) as u64))
    }

    pub async fn update_data_mart(
        &self,
        project_id: &str,
        id: &str,
        change: DataMartChange<'_>,
    ) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            let query = match &change {
                DataMartChange::Title(title) => sqlx::query(
                    "UPDATE data_mart SET title = $3, modified_at = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*title)
                .bind(at),
                DataMartChange::Description(description) => sqlx::query(
                    "UPDATE data_mart SET description = $3, modified_at = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*description)
                .bind(at),
                DataMartChange::Definition { definition_type, definition } => sqlx::query(
                    "UPDATE data_mart SET definition_type = $3, definition = $4, modified_at = $5 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*definition_type)
                .bind(*definition)
                .bind(at),
                DataMartChange::Schema { schema, actualized } => sqlx::query(
                    "UPDATE data_mart SET output_schema = $3, schema_actualized_at = CASE WHEN $5 THEN $4 ELSE schema_actualized_at END, modified_at = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*schema)
                .bind(at)
                .bind(*actualized),
                DataMartChange::Published => sqlx::query(
                    "UPDATE data_mart SET status = 'PUBLISHED', modified_at = $3 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(at),
                DataMartChange::BlendedFieldsConfig(config) => sqlx::query(
                    "UPDATE data_mart SET blended_fields_config = $3, modified_at = $4 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*config)
                .bind(at),
                DataMartChange::Availability { for_reporting, for_maintenance } => sqlx::query(
                    "UPDATE data_mart SET available_for_reporting = $3, available_for_maintenance = $4, modified_at = $5 WHERE project_id = $1 AND id = $2 AND deleted_at IS NULL",
                )
                .bind(project_id)
                .bind(id)
                .bind(*for_reporting)
                .bind(*for_maintenance)
                .bind(at),
            };
            query.execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn delete_data_mart(&self, project_id: &str, id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_mart SET deleted_at = $1 WHERE project_id = $2 AND id = $3 AND deleted_at IS NULL",
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

    /// `(user_id, kind)` owners of the given data marts, keyed by data mart id.
    pub async fn data_mart_owners(
        &self,
        data_mart_id: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT user_id, kind FROM data_mart_owner WHERE data_mart_id = $1 ORDER BY user_id",
            )
            .bind(data_mart_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// `(id, title)` of the live data marts on a storage, for the delete refusal.
    pub async fn data_marts_on_storage(
        &self,
        storage_id: &str,
    ) -> anyhow::Result<Vec<(String, String)>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, title FROM data_mart WHERE storage_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
            )
            .bind(storage_id)
            .fetch_all(pool)
            .await
        })?)
    }
}
