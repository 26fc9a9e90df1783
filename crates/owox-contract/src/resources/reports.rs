//! Saved reports (`/api/reports`): the report object with its data mart and destination, the
//! columns of its output (`GET /api/reports/{id}/output-schema`) and its generated SQL.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{timestamp, UserProjection};
use super::data_marts::DataMart;
use super::destinations::Destination;

/// A report as every report endpoint answers it, in the reference's key order
/// (`ReportResponseApiDto`). The output controls are the rule arrays as saved (normalized:
/// unknown keys dropped), `null` when unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub id: String,
    /// `""` for Looker Studio reports.
    pub title: String,
    pub data_mart: DataMart,
    pub data_destination_access: Destination,
    /// `{type: "google-sheets-config" | "looker-studio-config" | "email-config", …}`.
    pub destination_config: Value,
    /// Ordered column names; `null` means every column of the data mart.
    #[serde(default)]
    pub column_config: Option<Vec<String>>,
    #[serde(default)]
    pub filter_config: Option<Vec<Value>>,
    #[serde(default)]
    pub sort_config: Option<Vec<Value>>,
    #[serde(default)]
    pub limit_config: Option<u64>,
    #[serde(default)]
    pub aggregation_config: Option<Vec<Value>>,
    #[serde(default)]
    pub date_trunc_config: Option<Vec<Value>>,
    /// `true`/`false` or an array of source alias paths.
    #[serde(default)]
    pub unique_count_config: Option<Value>,
    #[serde(default, with = "timestamp::option")]
    pub last_run_at: Option<DateTime<Utc>>,
    /// `SUCCESS`, `ERROR`, `RUNNING`, `CANCELLED`, `RESTRICTED` or `null`.
    #[serde(default)]
    pub last_run_status: Option<String>,
    #[serde(default)]
    pub last_run_error: Option<String>,
    pub runs_count: u64,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by_user: Option<UserProjection>,
    pub owner_users: Vec<UserProjection>,
    pub can_run: bool,
    pub can_manage_triggers: bool,
    pub can_edit_config: bool,
}

/// One column of a report's output, in projection order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReportOutputField {
    /// The key of each row (`revenue | SUM` for an aggregate, `Row Count`).
    pub name: String,
    /// The alias configured for the column, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The storage type of the column, when known.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub field_type: Option<String>,
    /// The aggregate function applied, for an aggregated column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate_function: Option<String>,
}

/// `GET /api/reports/{id}/generated-sql`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReportGeneratedSql {
    pub sql: String,
    /// Whether the caller may edit the report's data mart.
    pub can_modify_source: bool,
}
