//! Run history (`data_mart_run`): one row per HTTP Data stream, written once when it ends.

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

/// A finished run, as written.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub data_mart_id: &'a str,
    /// `HTTP_DATA`.
    pub run_type: &'a str,
    /// `SUCCESS` or `FAILED`.
    pub status: &'a str,
    pub definition_run: Option<&'a str>,
    /// JSON array text.
    pub errors: Option<&'a str>,
    /// JSON object text.
    pub additional_params: Option<&'a str>,
    pub created_by_id: &'a str,
    pub started_at: DateTime<Utc>,
}

impl Store {
    pub async fn insert_run(&self, run: &NewRun<'_>) -> anyhow::Result<()> {
        let finished = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO data_mart_run (id, project_id, data_mart_id, type, run_type, status, definition_run, errors, additional_params, created_by_id, created_at, started_at, finished_at) VALUES ($1, $2, $3, $4, 'manual', $5, $6, $7, $8, $9, $10, $10, $11)",
            )
            .bind(run.id)
            .bind(run.project_id)
            .bind(run.data_mart_id)
            .bind(run.run_type)
            .bind(run.status)
            .bind(run.definition_run)
            .bind(run.errors)
            .bind(run.additional_params)
            .bind(run.created_by_id)
            .bind(run.started_at)
            .bind(finished)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// `(status, errors, additional_params)` of a run, for tests and the run endpoints.
    pub async fn get_run(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<(String, Option<String>, Option<String>)>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (String, Option<String>, Option<String>)>(
                "SELECT status, errors, additional_params FROM data_mart_run WHERE project_id = $1 AND id = $2",
            )
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }
}
