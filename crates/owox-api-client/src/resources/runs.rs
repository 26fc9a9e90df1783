//! Runs: project-wide history, runs of one data mart, one run, cancel.

use owox_contract::api_key::js_trim;
use owox_contract::resources::{DataMartRunDetail, DataMartRunList, ProjectRunHistoryPage};
use serde_json::{json, Map, Value};

use super::{shape_error, typed};
use crate::client::OwoxClient;
use crate::error::{Error, Result};
use crate::path::encode_component;
use crate::validate::{
    is_string, one_of, record, record_or_null, safe_int_at_least, string_or_null, timestamp,
    timestamp_or_null, user_or_null,
};

const HISTORY_SHAPE: &str = "OWOX Project Run History API returned an unexpected response shape";
const LIST_SHAPE: &str = "OWOX Data Mart Runs API returned an unexpected response shape";
const RUN_SHAPE: &str = "OWOX Data Mart Run API returned an unexpected response shape";

/// `limit` and `offset` of the run lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunListOptions {
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl RunListOptions {
    fn query(&self) -> Vec<(String, String)> {
        let mut query = Vec::new();
        if let Some(limit) = self.limit {
            query.push(("limit".to_owned(), limit.to_string()));
        }
        if let Some(offset) = self.offset {
            query.push(("offset".to_owned(), offset.to_string()));
        }
        query
    }
}

/// The runs resource.
pub struct RunsApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> RunsApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// `GET /api/data-marts/runs[?limit&offset]`, checked, returned as received.
    pub async fn list_json(&self, options: RunListOptions) -> Result<Value> {
        let body = self
            .client
            .get_json("/api/data-marts/runs", &options.query())
            .await?;
        let ok = body
            .as_ref()
            .and_then(|b| b.get("runs"))
            .and_then(Value::as_array)
            .is_some_and(|runs| {
                runs.iter().all(|run| {
                    run_ok(run, true)
                        && run
                            .get("dataMart")
                            .and_then(Value::as_object)
                            .is_some_and(|d| is_string(d.get("id")) && is_string(d.get("title")))
                })
            });
        match body {
            Some(body) if ok && body.is_object() => Ok(body),
            other => Err(shape_error(HISTORY_SHAPE, other)),
        }
    }

    /// Typed project-wide history.
    pub async fn list(&self, options: RunListOptions) -> Result<ProjectRunHistoryPage> {
        typed(self.list_json(options).await?, HISTORY_SHAPE)
    }

    /// Runs of one data mart. The id is checked here (no `/`, `\`, `%`, not blank, `.` or `..`).
    pub fn for_data_mart(&self, data_mart_id: &str) -> Result<DataMartRunsApi<'a>> {
        check_id(data_mart_id, "Invalid OWOX Data Mart ID")?;
        Ok(DataMartRunsApi {
            client: self.client,
            base: format!("/api/data-marts/{}", encode_component(data_mart_id)),
        })
    }
}

/// Runs of one data mart (`runs.forDataMart(id)`).
pub struct DataMartRunsApi<'a> {
    client: &'a OwoxClient,
    base: String,
}

impl DataMartRunsApi<'_> {
    /// `GET <base>/runs[?limit&offset]`; `limit` must be ≥ 1. Missing `qualitySummary` becomes
    /// `null`.
    pub async fn list_json(&self, options: RunListOptions) -> Result<Value> {
        if options.limit == Some(0) {
            let mut details = Map::new();
            details.insert("limit".into(), json!(0));
            if let Some(offset) = options.offset {
                details.insert("offset".into(), json!(offset));
            }
            return Err(Error::api_with_details(
                "Invalid OWOX Data Mart run-list options",
                Value::Object(details),
            ));
        }
        let mut body = self
            .client
            .get_json(&format!("{}/runs", self.base), &options.query())
            .await?;
        let runs = body
            .as_mut()
            .and_then(|b| b.get_mut("runs"))
            .and_then(Value::as_array_mut);
        let ok = runs.is_some_and(|runs| {
            runs.iter_mut().all(|run| {
                normalise(run, &["qualitySummary"]);
                run_ok(run, false)
            })
        });
        match body {
            Some(body) if ok => Ok(body),
            other => Err(shape_error(LIST_SHAPE, other)),
        }
    }

    /// Typed runs of the data mart.
    pub async fn list(&self, options: RunListOptions) -> Result<DataMartRunList> {
        typed(self.list_json(options).await?, LIST_SHAPE)
    }

    /// `GET <base>/runs/<runId>`; missing `qualitySummary` and `dataQuality` become `null`.
    pub async fn get_json(&self, run_id: &str) -> Result<Value> {
        check_id(run_id, "Invalid OWOX run ID")?;
        let mut body = self
            .client
            .get_json(
                &format!("{}/runs/{}", self.base, encode_component(run_id)),
                &[],
            )
            .await?;
        let ok = body.as_mut().is_some_and(|run| {
            normalise(run, &["qualitySummary", "dataQuality"]);
            run_ok(run, false) && record_or_null(run.get("dataQuality"))
        });
        match body {
            Some(body) if ok => Ok(body),
            other => Err(shape_error(RUN_SHAPE, other)),
        }
    }

    /// Typed run detail.
    pub async fn get(&self, run_id: &str) -> Result<DataMartRunDetail> {
        typed(self.get_json(run_id).await?, RUN_SHAPE)
    }

    /// `POST <base>/runs/<runId>/cancel` with no body (the server answers 204).
    pub async fn cancel(&self, run_id: &str) -> Result<()> {
        check_id(run_id, "Invalid OWOX run ID")?;
        self.client
            .post_empty(&format!(
                "{}/runs/{}/cancel",
                self.base,
                encode_component(run_id)
            ))
            .await
            .map(drop)
    }
}

fn check_id(id: &str, message: &str) -> Result<()> {
    let trimmed = js_trim(id);
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." || id.contains(['/', '\\', '%']) {
        return Err(Error::api_with_details(message, json!(id)));
    }
    Ok(())
}

fn normalise(run: &mut Value, keys: &[&str]) {
    if let Some(o) = run.as_object_mut() {
        for key in keys {
            o.entry(*key).or_insert(Value::Null);
        }
    }
}

/// The reference's run check, with enum-like fields accepting any string.
fn run_ok(run: &Value, summary_optional: bool) -> bool {
    let Some(o) = record(run) else { return false };
    let strings = |k: &str| {
        o.get(k).is_some_and(|v| {
            v.is_null() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        })
    };
    let totals = o.get("totals").is_some_and(|t| {
        t.is_null()
            || t.as_object()
                .is_some_and(|t| t.values().all(|v| !v.is_array() && !v.is_object()))
    });
    let summary = match o.get("qualitySummary") {
        None => summary_optional,
        Some(Value::Null) => true,
        Some(s) => summary_ok(s),
    };
    ["id", "status", "type", "dataMartId"]
        .iter()
        .all(|k| is_string(o.get(*k)))
        && one_of(o.get("runType"), &["manual", "scheduled"])
        && [
            "definitionRun",
            "reportDefinition",
            "insightDefinition",
            "insightTemplateDefinition",
            "aiSourceDefinition",
            "additionalParams",
        ]
        .iter()
        .all(|k| record_or_null(o.get(*k)))
        && ["reportId", "insightId", "insightTemplateId"]
            .iter()
            .all(|k| string_or_null(o.get(*k)))
        && strings("logs")
        && strings("errors")
        && timestamp(o.get("createdAt"))
        && timestamp_or_null(o.get("startedAt"))
        && timestamp_or_null(o.get("finishedAt"))
        && user_or_null(o.get("createdByUser"))
        && totals
        && summary
}

fn summary_ok(summary: &Value) -> bool {
    let Some(o) = record(summary) else {
        return false;
    };
    is_string(o.get("state"))
        && [
            "enabledChecks",
            "totalChecks",
            "passedChecks",
            "failedChecks",
            "notApplicableChecks",
            "errorChecks",
            "noticeFindings",
            "warningFindings",
            "errorFindings",
            "violationCount",
        ]
        .iter()
        .all(|k| safe_int_at_least(o.get(*k), 0.0))
        && string_or_null(o.get("highestSeverity"))
        && string_or_null(o.get("dataMartRunId"))
        && timestamp_or_null(o.get("lastRunAt"))
}
