//! Projects: the unit of tenancy. Every domain row belongs to one.

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

impl Store {
    pub async fn create_project(&self, title: &str) -> anyhow::Result<ProjectRow> {
        let row = ProjectRow {
            id: uuid::Uuid::new_v4().to_string(),
            title: title.to_string(),
            created_at: now(),
        };
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO project (id, title, created_at) VALUES ($1, $2, $3)")
                .bind(&row.id)
                .bind(&row.title)
                .bind(row.created_at)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(row)
    }

    pub async fn list_projects(&self) -> anyhow::Result<Vec<ProjectRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ProjectRow>(
                "SELECT id, title, created_at FROM project ORDER BY created_at, id",
            )
            .fetch_all(pool)
            .await
        })?)
    }

    pub async fn get_project(&self, id: &str) -> anyhow::Result<Option<ProjectRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ProjectRow>(
                "SELECT id, title, created_at FROM project WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }
}
