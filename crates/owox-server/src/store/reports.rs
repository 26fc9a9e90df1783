//! Saved reports (`report`) and their owners (`report_owners`). Rows are soft-deleted; a report
//! whose data mart was deleted is invisible with it. Every write bumps `version`, and an update
//! applies only to the version it was read at (optimistic locking).

use chrono::{DateTime, Utc};
use owox_contract::auth::Role;

use super::data_marts::VISIBLE;
use super::{now, on_pool, OwnerPresence, Store, Viewer};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub id: String,
    pub project_id: String,
    pub title: String,
    pub data_mart_id: String,
    pub data_destination_id: String,
    /// JSON texts, as the API shows them.
    pub destination_config: String,
    pub column_config: Option<String>,
    pub filter_config: Option<String>,
    pub sort_config: Option<String>,
    pub aggregation_config: Option<String>,
    pub date_trunc_config: Option<String>,
    pub limit_config: Option<i64>,
    pub unique_count_config: Option<String>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_status: Option<String>,
    pub last_run_error: Option<String>,
    pub runs_count: i64,
    pub created_by_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    pub version: i64,
}

const COLUMNS: &str = "r.id, r.project_id, r.title, r.data_mart_id, r.data_destination_id, r.destination_config, r.column_config, r.filter_config, r.sort_config, r.aggregation_config, r.date_trunc_config, r.limit_config, r.unique_count_config, r.last_run_at, r.last_run_status, r.last_run_error, r.runs_count, r.created_by_id, r.created_at, r.modified_at, r.version";

/// Live reports on live data marts (`r` joined with `dm`).
const LIVE: &str = "report r JOIN data_mart dm ON dm.id = r.data_mart_id AND dm.project_id = r.project_id AND dm.deleted_at IS NULL";

/// What a create or an update writes (JSON texts as validated).
pub struct ReportWrite<'a> {
    pub title: &'a str,
    pub data_destination_id: &'a str,
    pub destination_config: &'a str,
    pub column_config: Option<&'a str>,
    pub filter_config: Option<&'a str>,
    pub sort_config: Option<&'a str>,
    pub aggregation_config: Option<&'a str>,
    pub date_trunc_config: Option<&'a str>,
    pub limit_config: Option<i64>,
    pub unique_count_config: Option<&'a str>,
}

/// How an update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportUpdate {
    Applied,
    /// The row is not at the expected version any more (or is gone).
    Stale,
}

impl Store {
    /// Creates a report owned by `owners` (the creator when `None`; `Some([])` leaves it
    /// without owners, as the reference does). False when a live report
    /// with this id exists (a Looker Studio report's id is derived from its data mart and
    /// destination); a soft-deleted one with this id is replaced.
    pub async fn insert_report(
        &self,
        id: &str,
        project_id: &str,
        data_mart_id: &str,
        write: &ReportWrite<'_>,
        created_by_id: &str,
        owners: Option<&[String]>,
    ) -> anyhow::Result<bool> {
        let at = now();
        let creator = [created_by_id.to_string()];
        let owners = owners.unwrap_or(&creator[..]);
        let inserted = on_pool!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM report WHERE id = $1 AND deleted_at IS NOT NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query(
                "INSERT INTO report (id, project_id, title, data_mart_id, data_destination_id, destination_config, column_config, filter_config, sort_config, aggregation_config, date_trunc_config, limit_config, unique_count_config, runs_count, created_by_id, created_at, modified_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $15, $15, 1) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(project_id)
            .bind(write.title)
            .bind(data_mart_id)
            .bind(write.data_destination_id)
            .bind(write.destination_config)
            .bind(write.column_config)
            .bind(write.filter_config)
            .bind(write.sort_config)
            .bind(write.aggregation_config)
            .bind(write.date_trunc_config)
            .bind(write.limit_config)
            .bind(write.unique_count_config)
            .bind(created_by_id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(false);
            }
            for owner in owners {
                sqlx::query(
                    "INSERT INTO report_owners (report_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        }
        .await
        })?;
        Ok(inserted)
    }

    /// A live report of the project on a live data mart.
    pub async fn get_report(
        &self,
        project_id: &str,
        id: &str,
    ) -> anyhow::Result<Option<ReportRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ReportRow>(&format!(
                "SELECT {COLUMNS} FROM {LIVE} WHERE r.project_id = $1 AND r.id = $2 AND r.deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(id)
            .fetch_optional(pool)
            .await
        })?)
    }

    /// The reports on data marts `viewer` may see, newest first (ties by id, descending), one
    /// page when `page` is `(limit, offset)`.
    pub async fn list_reports(
        &self,
        project_id: &str,
        viewer: Viewer<'_>,
        owners: OwnerPresence,
        page: Option<(u64, u64)>,
    ) -> anyhow::Result<Vec<ReportRow>> {
        let owner_code: i64 = match owners {
            OwnerPresence::Any => 0,
            OwnerPresence::HasOwners => 1,
            OwnerPresence::NoOwners => 2,
        };
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let (limit, offset) = page.map_or((i64::MAX, 0), |(l, o)| (clamp(l), clamp(o)));
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ReportRow>(&format!(
                "SELECT {COLUMNS} FROM {LIVE} WHERE r.project_id = $1 AND r.deleted_at IS NULL AND {VISIBLE} AND ($5 = 0 OR ($5 = 1) = EXISTS (SELECT 1 FROM report_owners o2 WHERE o2.report_id = r.id)) ORDER BY r.created_at DESC, r.id DESC LIMIT $6 OFFSET $7"
            ))
            .bind(project_id)
            .bind(viewer.role == Role::Admin)
            .bind(viewer.user_id)
            .bind(viewer.role >= Role::Editor)
            .bind(owner_code)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The live reports of one data mart, newest first.
    pub async fn list_reports_of_data_mart(
        &self,
        project_id: &str,
        data_mart_id: &str,
    ) -> anyhow::Result<Vec<ReportRow>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, ReportRow>(&format!(
                "SELECT {COLUMNS} FROM {LIVE} WHERE r.project_id = $1 AND r.data_mart_id = $2 AND r.deleted_at IS NULL ORDER BY r.created_at DESC, r.id DESC"
            ))
            .bind(project_id)
            .bind(data_mart_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// Rewrites a report if it is still at `expected_version`, and replaces its owners when
    /// `owners` is given; the version goes up by one.
    pub async fn update_report(
        &self,
        project_id: &str,
        id: &str,
        expected_version: i64,
        write: &ReportWrite<'_>,
        owners: Option<&[String]>,
    ) -> anyhow::Result<ReportUpdate> {
        let at = now();
        let outcome = on_pool!(self, |pool| {
            async {
            let mut tx = pool.begin().await?;
            let n = sqlx::query(
                "UPDATE report SET title = $4, data_destination_id = $5, destination_config = $6, column_config = $7, filter_config = $8, sort_config = $9, aggregation_config = $10, date_trunc_config = $11, limit_config = $12, unique_count_config = $13, modified_at = $14, version = version + 1 WHERE project_id = $1 AND id = $2 AND version = $3 AND deleted_at IS NULL",
            )
            .bind(project_id)
            .bind(id)
            .bind(expected_version)
            .bind(write.title)
            .bind(write.data_destination_id)
            .bind(write.destination_config)
            .bind(write.column_config)
            .bind(write.filter_config)
            .bind(write.sort_config)
            .bind(write.aggregation_config)
            .bind(write.date_trunc_config)
            .bind(write.limit_config)
            .bind(write.unique_count_config)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(ReportUpdate::Stale);
            }
            if let Some(owners) = owners {
                sqlx::query("DELETE FROM report_owners WHERE report_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for owner in owners {
                    sqlx::query(
                        "INSERT INTO report_owners (report_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(owner)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok(ReportUpdate::Applied)
        }
        .await
        })?;
        Ok(outcome)
    }

    /// Soft-deletes a report (its run history stays).
    pub async fn delete_report(&self, project_id: &str, id: &str) -> anyhow::Result<()> {
        let at = now();
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE report SET deleted_at = $1, version = version + 1 WHERE project_id = $2 AND id = $3 AND deleted_at IS NULL",
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

    /// Owner user ids of a report.
    pub async fn report_owners(&self, report_id: &str) -> anyhow::Result<Vec<String>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>(
                "SELECT user_id FROM report_owners WHERE report_id = $1 ORDER BY user_id",
            )
            .bind(report_id)
            .fetch_all(pool)
            .await
        })?)
    }

    /// How many live reports (on live data marts) send to a destination.
    pub async fn reports_using_destination(
        &self,
        project_id: &str,
        destination_id: &str,
    ) -> anyhow::Result<u64> {
        let n: i64 = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT COUNT(*) FROM {LIVE} WHERE r.project_id = $1 AND r.data_destination_id = $2 AND r.deleted_at IS NULL"
            ))
            .bind(project_id)
            .bind(destination_id)
            .fetch_one(pool)
            .await
        })?;
        Ok(n.max(0) as u64)
    }
}
