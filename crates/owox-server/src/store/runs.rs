//! Run history (`data_mart_run`): one row per HTTP Data stream, written once when it ends.

use chrono::{DateTime, Utc};

use super::{now, on_pool, Store};

/// A stored run.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: String,
    pub data_mart_id: String,
    #[sqlx(rename = "type")]
    pub run_kind: String,
    pub run_type: String,
    pub status: String,
    pub report_id: Option<String>,
    pub definition_run: Option<String>,
    pub errors: Option<String>,
    pub additional_params: Option<String>,
    pub created_by_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

const RUN_COLUMNS: &str = "r.id, r.data_mart_id, r.type, r.run_type, r.status, r.report_id, r.definition_run, r.errors, r.additional_params, r.created_by_id, r.created_at, r.started_at, r.finished_at";

/// A finished run, as written.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub id: &'a str,
    pub project_id: &'a str,
    pub data_mart_id: &'a str,
    /// The report streamed, for a report's stream.
    pub report_id: Option<&'a str>,
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
    /// Writes a run in its RUNNING state (no `finished_at`).
    pub async fn start_run(&self, run: &NewRun<'_>) -> anyhow::Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO data_mart_run (id, project_id, data_mart_id, type, run_type, status, definition_run, errors, additional_params, created_by_id, created_at, started_at, report_id) VALUES ($1, $2, $3, $4, 'manual', $5, $6, $7, $8, $9, $10, $10, $11)",
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
            .bind(run.report_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Ends a RUNNING run; false when it had already ended (e.g. cancelled meanwhile).
    pub async fn finish_run(
        &self,
        project_id: &str,
        id: &str,
        status: &str,
        errors: Option<&str>,
        additional_params: Option<&str>,
    ) -> anyhow::Result<bool> {
        let finished = now();
        let n = on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE data_mart_run SET status = $3, errors = $4, additional_params = COALESCE($5, additional_params), finished_at = $6 WHERE project_id = $1 AND id = $2 AND status = 'RUNNING'",
            )
            .bind(project_id)
            .bind(id)
            .bind(status)
            .bind(errors)
            .bind(additional_params)
            .bind(finished)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    pub async fn insert_run(&self, run: &NewRun<'_>) -> anyhow::Result<()> {
        let finished = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO data_mart_run (id, project_id, data_mart_id, type, run_type, status, definition_run, errors, additional_params, created_by_id, created_at, started_at, finished_at, report_id) VALUES ($1, $2, $3, $4, 'manual', $5, $6, $7, $8, $9, $10, $10, $11, $12)",
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
            .bind(run.report_id)
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

    /// A data mart's runs, newest first.
    pub async fn list_runs(
        &self,
        project_id: &str,
        data_mart_id: &str,
        limit: u64,
        offset: u64,
    ) -> anyhow::Result<Vec<RunRow>> {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RunRow>(&format!(
                "SELECT {RUN_COLUMNS} FROM data_mart_run r WHERE r.project_id = $1 AND r.data_mart_id = $2 ORDER BY r.created_at DESC, r.id LIMIT $3 OFFSET $4"
            ))
            .bind(project_id)
            .bind(data_mart_id)
            .bind(clamp(limit))
            .bind(clamp(offset))
            .fetch_all(pool)
            .await
        })?)
    }

    /// Which of `ids` are no longer RUNNING (ended here, or cancelled through another
    /// instance).
    pub async fn ended_runs_among(&self, ids: &[String]) -> anyhow::Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id FROM data_mart_run WHERE status <> 'RUNNING' AND id IN ({})",
            placeholders.join(", ")
        );
        Ok(on_pool!(self, |pool| {
            let mut query = sqlx::query_scalar::<_, String>(&sql);
            for id in ids {
                query = query.bind(id);
            }
            query.fetch_all(pool).await
        })?)
    }

    pub async fn get_run_row(
        &self,
        project_id: &str,
        data_mart_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<RunRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, RunRow>(&format!(
                "SELECT {RUN_COLUMNS} FROM data_mart_run r WHERE r.project_id = $1 AND r.data_mart_id = $2 AND r.id = $3"
            ))
            .bind(project_id)
            .bind(data_mart_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The project's runs on live data marts the viewer may see, newest first, with the data
    /// mart's title.
    pub async fn list_project_runs(
        &self,
        project_id: &str,
        viewer: super::Viewer<'_>,
        limit: u64,
        offset: u64,
    ) -> anyhow::Result<Vec<(RunRow, String)>> {
        use owox_contract::auth::Role;
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let rows: Vec<RunWithTitle> = on_pool!(self, |pool| {
            sqlx::query_as::<_, RunWithTitle>(&format!(
                "SELECT {RUN_COLUMNS}, dm.title AS data_mart_title FROM data_mart_run r JOIN data_mart dm ON dm.id = r.data_mart_id AND dm.project_id = r.project_id WHERE r.project_id = $1 AND dm.deleted_at IS NULL AND {} ORDER BY r.created_at DESC, r.id LIMIT $5 OFFSET $6",
                super::data_marts::VISIBLE
            ))
            .bind(project_id)
            .bind(viewer.role == Role::Admin)
            .bind(viewer.user_id)
            .bind(viewer.role >= Role::Editor)
            .bind(clamp(limit))
            .bind(clamp(offset))
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| (r.run, r.data_mart_title))
            .collect())
    }
}

#[derive(sqlx::FromRow)]
struct RunWithTitle {
    #[sqlx(flatten)]
    run: RunRow,
    data_mart_title: String,
}
