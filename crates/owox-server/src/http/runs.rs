//! Run history: `GET /api/data-marts/runs`, `GET /api/data-marts/{id}/runs` and
//! `GET /api/data-marts/{id}/runs/{runId}` (domain.md §2.3.4, §6).

use axum::extract::{Path, Query, State};
use axum::Json;
use owox_contract::resources::{
    DataMartRef, DataMartRun, DataMartRunDetail, DataMartRunList, ProjectRunHistoryItem,
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Editor, Viewer};
use crate::error::ApiError;
use crate::http::data_marts::load;
use crate::http::users::projection;
use crate::state::AppState;
use crate::store::{json_column, RunRow, Store, Viewer as ListViewer};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(project_runs))
        .routes(routes!(data_mart_runs))
        .routes(routes!(data_mart_run))
        .routes(routes!(cancel_run))
}

/// `limit` and `offset` as the reference reads them: floored numbers; a missing, invalid or
/// non-positive limit is `default_limit`, capped at `max_limit`; a bad offset is 0.
pub(crate) fn paging(query: &[(String, String)], default_limit: u64, max_limit: u64) -> (u64, u64) {
    let number = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite())
            .map(f64::floor)
    };
    let limit = match number("limit") {
        Some(n) if n >= 1.0 => (n as u64).min(max_limit),
        _ => default_limit,
    };
    let offset = match number("offset") {
        Some(n) if n > 0.0 => (n as u64).min(100_000),
        _ => 0,
    };
    (limit, offset)
}

async fn to_wire(store: &Store, project_id: &str, row: RunRow) -> Result<DataMartRun, ApiError> {
    let mut params = json_column(row.additional_params.as_deref());
    // `totals` lives at the top level of the answer, not inside `httpData`.
    let totals = params
        .as_mut()
        .and_then(|p| p.get_mut("httpData"))
        .and_then(Value::as_object_mut)
        .and_then(|h| h.remove("totals"))
        .and_then(|t| t.as_object().cloned());
    Ok(DataMartRun {
        id: row.id,
        status: row.status.as_str().into(),
        run_type_kind: row.run_kind.as_str().into(),
        run_type: row.run_type.as_str().into(),
        data_mart_id: row.data_mart_id,
        definition_run: json_column(row.definition_run.as_deref()),
        report_id: row.report_id,
        report_definition: None,
        insight_id: None,
        insight_definition: None,
        insight_template_id: None,
        insight_template_definition: None,
        ai_source_definition: None,
        logs: None,
        errors: row
            .errors
            .as_deref()
            .and_then(|e| serde_json::from_str(e).ok()),
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
        created_by_user: projection(store, project_id, row.created_by_id.as_deref()).await?,
        additional_params: params,
        totals,
        quality_summary: None,
    })
}

/// Run history of the project
#[utoipa::path(
    get,
    path = "/api/data-marts/runs",
    operation_id = "DataMartController_getProjectRunHistory",
    tag = "Run History",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "`{runs: [Run + dataMart]}`, newest first", body = Object))
)]
async fn project_runs(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let (limit, offset) = paging(&query, 100, 100);
    let rows = state
        .store
        .list_project_runs(
            &caller.project_id,
            ListViewer {
                role: caller.role,
                user_id: &caller.user_id,
            },
            limit,
            offset,
        )
        .await?;
    let mut runs = Vec::with_capacity(rows.len());
    for (row, title) in rows {
        let id = row.data_mart_id.clone();
        runs.push(ProjectRunHistoryItem {
            run: to_wire(&state.store, &caller.project_id, row).await?,
            data_mart: DataMartRef { id, title },
        });
    }
    Ok(Json(serde_json::json!({ "runs": runs })))
}

/// Runs of a data mart
#[utoipa::path(
    get,
    path = "/api/data-marts/{id}/runs",
    operation_id = "DataMartController_getRunHistory",
    tag = "DataMarts",
    params(("id" = String, Path), ("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = DataMartRunList))
)]
async fn data_mart_runs(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<DataMartRunList>, ApiError> {
    let loaded = load(&state, &caller, &id).await?;
    let (limit, offset) = paging(&query, 100, u64::MAX);
    let mut runs = Vec::new();
    for row in state
        .store
        .list_runs(&caller.project_id, &loaded.row.id, limit, offset)
        .await?
    {
        runs.push(to_wire(&state.store, &caller.project_id, row).await?);
    }
    Ok(Json(DataMartRunList { runs }))
}

/// One run of a data mart
#[utoipa::path(
    get,
    path = "/api/data-marts/{id}/runs/{runId}",
    operation_id = "DataMartController_getRunById",
    tag = "DataMarts",
    params(("id" = String, Path), ("runId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = DataMartRunDetail), (status = 404, description = "Not found"))
)]
async fn data_mart_run(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<Json<DataMartRunDetail>, ApiError> {
    let loaded = load(&state, &caller, &id).await?;
    let row = state
        .store
        .get_run_row(&caller.project_id, &loaded.row.id, &run_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Data Mart Run with id {run_id} not found")))?;
    Ok(Json(DataMartRunDetail {
        run: to_wire(&state.store, &caller.project_id, row).await?,
        data_quality: None,
    }))
}

/// Cancel a running run
#[utoipa::path(
    post,
    path = "/api/data-marts/{id}/runs/{runId}/cancel",
    operation_id = "DataMartController_cancelRun",
    tag = "DataMarts",
    params(("id" = String, Path), ("runId" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 204, description = "Cancelled: the stream's query is interrupted and the run ends CANCELLED"),
        (status = 404, description = "Not found"),
        (status = 409, description = "The run has already ended"),
    )
)]
async fn cancel_run(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path((id, run_id)): Path<(String, String)>,
) -> Result<axum::http::StatusCode, ApiError> {
    let loaded = load(&state, &caller, &id).await?;
    let row = state
        .store
        .get_run_row(&caller.project_id, &loaded.row.id, &run_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Data Mart Run with id {run_id} not found")))?;
    if row.status != "RUNNING" {
        return Err(ApiError::Http {
            status: axum::http::StatusCode::CONFLICT,
            message: format!(
                "Data Mart Run {run_id} has already finished with status {}",
                row.status
            ),
            details: None,
        });
    }
    let errors = serde_json::json!(["Cancelled by user"]).to_string();
    let ended = state
        .store
        .finish_run(
            &caller.project_id,
            &run_id,
            "CANCELLED",
            Some(&errors),
            None,
        )
        .await?;
    // Interrupt the query if it runs here (the body then ends truncated).
    let handle = state
        .running
        .lock()
        .ok()
        .and_then(|mut r| r.remove(&run_id));
    if let Some(handle) = handle {
        handle.cancel();
    }
    if !ended {
        return Err(ApiError::Http {
            status: axum::http::StatusCode::CONFLICT,
            message: format!("Data Mart Run {run_id} has already finished"),
            details: None,
        });
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::paging;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paging_follows_the_reference() {
        assert_eq!(paging(&q(&[]), 100, 100), (100, 0));
        assert_eq!(
            paging(&q(&[("limit", "7.9"), ("offset", "3.2")]), 100, 100),
            (7, 3)
        );
        assert_eq!(
            paging(&q(&[("limit", "0"), ("offset", "-5")]), 100, 100),
            (100, 0)
        );
        assert_eq!(
            paging(&q(&[("limit", "abc"), ("offset", "x")]), 100, 100),
            (100, 0)
        );
        assert_eq!(
            paging(&q(&[("limit", "1000"), ("offset", "999999")]), 100, 100),
            (100, 100_000)
        );
    }
}
