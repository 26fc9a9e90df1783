//! What a saved report gives without being changed: the columns of its output
//! (`GET /api/reports/{id}/output-schema`), the SQL its stream would run
//! (`GET /api/reports/{id}/generated-sql`), and the run endpoint, which answers 501: this build
//! delivers nothing to destinations.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use owox_contract::resources::{ReportGeneratedSql, ReportOutputField};
use owox_query::{
    aggregate_label, effective_type, ValidatedQuery, ROW_COUNT_LABEL, UNIQUE_COUNT_LABEL,
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::http::http_data::{plan, Planned, Purpose};
use crate::http::report_access::{load_report, not_found};
use crate::http::report_config::saved_query;
use crate::output_schema::{schema_type_for, OutputSchema};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run_report))
        .routes(routes!(output_schema))
        .routes(routes!(generated_sql))
}

/// Run a report (not available: this server delivers nothing)
#[utoipa::path(
    post,
    path = "/api/reports/{id}/run",
    operation_id = "ReportController_runReport",
    tag = "Reports",
    params(("id" = String, Path, description = "Report ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 404, description = "Not found"),
        (status = 501, description = "Report delivery is not available in this server"),
    )
)]
async fn run_report(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    load_report(&state, &caller, &id, not_found).await?;
    Err(ApiError::Http {
        status: StatusCode::NOT_IMPLEMENTED,
        message: format!(
            "Report delivery is not available in this server: nothing is sent to destinations. Read the report's rows with GET /api/external/http-data/reports/{id}.ndjson"
        ),
        details: None,
    })
}

/// The columns of a report's output
#[utoipa::path(
    get,
    path = "/api/reports/{id}/output-schema",
    operation_id = "ReportController_getOutputSchema",
    tag = "Reports",
    params(("id" = String, Path, description = "Report ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "The columns each row carries, in order, from the stored schema", body = Vec<ReportOutputField>),
        (status = 400, description = "The report no longer matches its data mart's schema"),
        (status = 404, description = "Not found"),
    )
)]
async fn output_schema(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ReportOutputField>>, ApiError> {
    let report = load_report(&state, &caller, &id, not_found).await?;
    let data_mart = &report.data_mart;
    let query = saved_query(&report.row, None)?;
    let validated = match plan(&state, &caller, data_mart, query, Purpose::Check).await? {
        Planned::Checked(v) => v,
        _ => return Err(anyhow::anyhow!("a check plan ended without its validation").into()),
    };
    let stored: Value = data_mart
        .row
        .output_schema
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let schema = OutputSchema::parse(&stored, schema_type_for(&data_mart.storage.storage_type))
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(Json(output_fields(&schema, &validated)))
}

/// The output columns of a validated plan (§6.5): each selected column, an aggregated one
/// replaced by one column per function, then `Row Count`, then `Unique Count`.
fn output_fields(schema: &OutputSchema, validated: &ValidatedQuery) -> Vec<ReportOutputField> {
    let aggregations = validated.query.aggregations();
    let mut out = Vec::new();
    for column in &validated.selected {
        let field = schema.fields.iter().find(|f| &f.name == column);
        let alias = field.and_then(|f| f.alias.clone());
        let description = field.and_then(|f| f.description.clone());
        let field_type = field.map(|f| f.field_type.clone());
        let functions: Vec<_> = aggregations
            .iter()
            .filter(|a| &a.column == column)
            .map(|a| a.function)
            .collect();
        if functions.is_empty() {
            out.push(ReportOutputField {
                name: column.clone(),
                title: alias.clone(),
                description: description.clone(),
                field_type: field_type.clone(),
                aggregate_function: None,
            });
        }
        for function in functions {
            out.push(ReportOutputField {
                name: aggregate_label(column, function),
                title: alias
                    .as_ref()
                    .map(|a| format!("{a} | {}", function.label_token())),
                description: description.clone(),
                field_type: field_type.as_deref().map(|t| effective_type(t, function)),
                aggregate_function: Some(function.as_str().to_string()),
            });
        }
    }
    if !aggregations.is_empty() {
        out.push(ReportOutputField {
            name: ROW_COUNT_LABEL.to_string(),
            title: None,
            description: None,
            field_type: Some("BIGINT".into()),
            aggregate_function: Some("COUNT".into()),
        });
    }
    if !validated.query.unique_count_keys().is_empty() {
        out.push(ReportOutputField {
            name: UNIQUE_COUNT_LABEL.to_string(),
            title: None,
            description: None,
            field_type: Some("BIGINT".into()),
            aggregate_function: Some("COUNT_DISTINCT".into()),
        });
    }
    out
}

/// The SQL a report's stream would run
#[utoipa::path(
    get,
    path = "/api/reports/{id}/generated-sql",
    operation_id = "ReportController_getGeneratedSql",
    tag = "Reports",
    params(("id" = String, Path, description = "Report ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "The compiled statement; values appear as bound parameters (`$1`)", body = ReportGeneratedSql),
        (status = 400, description = "The report no longer matches its data mart's schema"),
        (status = 404, description = "Not found"),
        (status = 424, description = "The storage failed"),
    )
)]
async fn generated_sql(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<ReportGeneratedSql>, ApiError> {
    let report = load_report(&state, &caller, &id, not_found).await?;
    let query = saved_query(&report.row, None)?;
    match plan(&state, &caller, &report.data_mart, query, Purpose::Sql).await? {
        Planned::Sql(compiled) => Ok(Json(ReportGeneratedSql {
            sql: compiled.statement.sql,
            can_modify_source: report.data_mart.actions.edit,
        })),
        _ => Err(anyhow::anyhow!("an SQL plan ended without its statement").into()),
    }
}
