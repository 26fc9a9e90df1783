//! `GET /api/external/http-data/reports/{reportId}.ndjson`: a saved report's rows as NDJSON
//! (http-data.md §3.2, §7), through the same pipeline as the data mart stream
//! ([`plan`] with the report's saved plan), one HTTP_DATA run per request with its `reportId`.
//!
//! Order: shutdown (503), the query (only `limit`; anything else is a 400 without a path
//! prefix), the report (404 `Report with id <id> not found`, no run; unlike the reference the
//! caller must be able to see the report as `GET /api/reports/{id}` requires), then the data
//! mart checks of the data mart stream (messages name the data mart id), then the stream.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;

use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::http::http_data::{plan, stream_query_pairs, NdjsonId, Planned, Purpose, StreamSubject};
use crate::http::report_access::load_report;
use crate::http::report_config::{saved_columns, saved_query};
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(paths(stream_report))]
pub struct ReportStreamDoc;

/// Routed by hand, as the data mart stream: `{reportId}.ndjson` is inside one segment.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/external/http-data/reports/{file}", get(stream_report))
}

fn report_not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("Report with id {id} not found"))
}

/// The report endpoint's query (§7): a strict object with `limit` only. Issues are joined
/// with `"; "`: the `limit` ones (with their `limit: ` prefix) first, then the unknown keys in
/// order of first appearance, without a prefix.
fn parse_report_query(pairs: &[(String, String)]) -> Result<Option<u64>, ApiError> {
    let limits: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k == "limit")
        .cloned()
        .collect();
    let mut issues = Vec::new();
    let limit = match owox_query::parse_query(&limits) {
        Ok(q) => q.limit,
        Err(e) => {
            issues.push(e.to_string());
            None
        }
    };
    let mut unknown: Vec<&str> = Vec::new();
    for (key, _) in pairs {
        if key != "limit" && !unknown.contains(&key.as_str()) {
            unknown.push(key);
        }
    }
    if !unknown.is_empty() {
        let keys: Vec<String> = unknown.iter().map(|k| format!("'{k}'")).collect();
        issues.push(format!(
            "Unrecognized key(s) in object: {}",
            keys.join(", ")
        ));
    }
    if issues.is_empty() {
        Ok(limit)
    } else {
        Err(ApiError::business(issues.join("; ")))
    }
}

/// Stream a report's rows as NDJSON
#[utoipa::path(
    get,
    path = "/api/external/http-data/reports/{reportId}.ndjson",
    operation_id = "HttpDataController_streamReport",
    tag = "HTTP Data",
    params(
        ("reportId" = String, Path, description = "Report ID"),
        ("limit" = Option<u64>, Query, description = "Maximum number of rows, instead of the report's saved limit"),
    ),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "One JSON object per line, with the report's saved columns, filters, sort, aggregations and date buckets; the run id is in `x-owox-run-id`", content_type = "application/x-ndjson"),
        (status = 400, description = "A query key other than `limit`, an invalid `limit`, or a report that no longer matches its data mart's schema"),
        (status = 403, description = "No use of the report's data mart"),
        (status = 404, description = "Report not found, or its data mart is not published"),
        (status = 424, description = "The storage failed"),
    )
)]
async fn stream_report(
    NdjsonId(id): NdjsonId,
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let pairs = stream_query_pairs(&state, raw.as_deref())?;
    let limit = parse_report_query(&pairs)?;
    let report = load_report(&state, &caller, &id, report_not_found).await?;
    let data_mart = &report.data_mart;
    let data_mart_id = &data_mart.row.id;
    if data_mart.row.status != "PUBLISHED" {
        return Err(ApiError::not_found(format!(
            "Data Mart {data_mart_id} not found"
        )));
    }
    if !data_mart.actions.use_ {
        return Err(ApiError::forbidden(format!(
            "Access to Data Mart {data_mart_id} is not allowed"
        )));
    }
    let query = saved_query(&report.row, limit)?;
    let subject = StreamSubject::Report {
        id: report.row.id.clone(),
        column_config: saved_columns(&report.row),
    };
    match plan(&state, &caller, data_mart, query, Purpose::Stream(subject)).await? {
        Planned::Response(response) => Ok(response),
        _ => Err(anyhow::anyhow!("a stream plan ended without a response").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(query: &str) -> String {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        match parse_report_query(&pairs) {
            Err(ApiError::Business { message, .. }) => message,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_limit_is_accepted() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str("limit=5").unwrap();
        assert_eq!(parse_report_query(&pairs).unwrap(), Some(5));
        assert_eq!(parse_report_query(&[]).unwrap(), None);
        assert_eq!(
            message("filter=abc"),
            "Unrecognized key(s) in object: 'filter'"
        );
        assert_eq!(
            message("column=a&pageToken=x&column=b"),
            "Unrecognized key(s) in object: 'column', 'pageToken'"
        );
        assert_eq!(message("limit=0"), "limit: limit must be ≥ 1");
        assert_eq!(
            message("limit=x&sort=y"),
            "limit: limit must be an integer; Unrecognized key(s) in object: 'sort'"
        );
    }
}
