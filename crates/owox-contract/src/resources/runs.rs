//! Data mart runs: the run object shared by every run endpoint, its detail form and the
//! project-wide history item.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{timestamp, UserProjection};

open_enum! {
    /// Run `status`. `PENDING` and `RUNNING` are the non-terminal (cancellable) ones.
    RunStatus {
        Pending => "PENDING",
        Running => "RUNNING",
        Success => "SUCCESS",
        Failed => "FAILED",
        Cancelled => "CANCELLED",
        Interrupted => "INTERRUPTED",
        Restricted => "RESTRICTED",
    }
}

open_enum! {
    /// Run `type` (`DataMartRunType`), including 0.35.0's `EXCEL`.
    RunType {
        Connector => "CONNECTOR",
        GoogleSheetsExport => "GOOGLE_SHEETS_EXPORT",
        LookerStudio => "LOOKER_STUDIO",
        Excel => "EXCEL",
        Email => "EMAIL",
        Slack => "SLACK",
        MsTeams => "MS_TEAMS",
        GoogleChat => "GOOGLE_CHAT",
        Insight => "INSIGHT",
        InsightTemplate => "INSIGHT_TEMPLATE",
        AiAssistant => "AI_ASSISTANT",
        HttpData => "HTTP_DATA",
        McpQuery => "MCP_QUERY",
        DataQuality => "DATA_QUALITY",
    }
}

open_enum! {
    /// Run `runType`: how the run was started.
    RunTrigger {
        Manual => "manual",
        Scheduled => "scheduled",
    }
}

impl RunStatus {
    /// `true` for `PENDING` and `RUNNING`.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

/// The run object (domain.md §2.3.4), keys in the reference's order. Snapshots and nested
/// data-quality structures stay JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataMartRun {
    pub id: String,
    pub status: RunStatus,
    #[serde(rename = "type")]
    pub run_type_kind: RunType,
    pub run_type: RunTrigger,
    pub data_mart_id: String,
    pub definition_run: Option<Value>,
    pub report_id: Option<String>,
    pub report_definition: Option<Value>,
    pub insight_id: Option<String>,
    pub insight_definition: Option<Value>,
    pub insight_template_id: Option<String>,
    pub insight_template_definition: Option<Value>,
    pub ai_source_definition: Option<Value>,
    pub logs: Option<Vec<String>>,
    pub errors: Option<Vec<String>>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "timestamp::option")]
    pub finished_at: Option<DateTime<Utc>>,
    pub created_by_user: Option<UserProjection>,
    pub additional_params: Option<Value>,
    /// Grand totals per column: number, string, boolean or null.
    pub totals: Option<Map<String, Value>>,
    /// Compact data-quality summary or `null` (clients also accept it absent).
    #[serde(default)]
    pub quality_summary: Option<Value>,
}

/// `GET /api/data-marts/:id/runs/:runId`: the run plus `dataQuality`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataMartRunDetail {
    #[serde(flatten)]
    pub run: DataMartRun,
    #[serde(default)]
    pub data_quality: Option<Value>,
}

/// `GET /api/data-marts/:id/runs`: newest first, no total or next marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataMartRunList {
    pub runs: Vec<DataMartRun>,
}

/// `{id, title}` of the data mart a history item belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataMartRef {
    pub id: String,
    pub title: String,
}

/// One item of the project-wide run history (`GET /api/data-marts/runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectRunHistoryItem {
    #[serde(flatten)]
    pub run: DataMartRun,
    pub data_mart: DataMartRef,
}

/// `GET /api/data-marts/runs` answer. Pages by `offset += runs.len()` until a short page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectRunHistoryPage {
    pub runs: Vec<ProjectRunHistoryItem>,
}
