//! Data storages: list items (`GET /api/data-storages`) and the detail form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{timestamp, ContextRef, UserProjection};

open_enum! {
    /// Storage `type`. `DUCKDB` and `POSTGRES` are this project's additions (the reference
    /// 0.31 client rejects them in the data-marts list; ours keeps any value).
    StorageType {
        GoogleBigquery => "GOOGLE_BIGQUERY",
        AwsAthena => "AWS_ATHENA",
        Snowflake => "SNOWFLAKE",
        AwsRedshift => "AWS_REDSHIFT",
        Databricks => "DATABRICKS",
        LegacyGoogleBigquery => "LEGACY_GOOGLE_BIGQUERY",
        Duckdb => "DUCKDB",
        Postgres => "POSTGRES",
    }
}

/// One element of `GET /api/data-storages`, in the reference's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageListItem {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub storage_type: StorageType,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    pub published_data_marts_count: u64,
    pub draft_data_marts_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_user: Option<UserProjection>,
    pub owner_users: Vec<UserProjection>,
    pub contexts: Vec<ContextRef>,
    pub available_for_use: bool,
    pub available_for_maintenance: bool,
}

/// The storage detail form (`GET /api/data-storages/:id`, mutations, and inside a full data
/// mart). `credentials` is the public shape and is omitted for an unconfigured storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StorageDetail {
    pub id: String,
    pub title: String,
    #[serde(rename = "type")]
    pub storage_type: StorageType,
    pub project_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Value>,
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    #[serde(default)]
    pub credential_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_user: Option<UserProjection>,
    pub owner_users: Vec<UserProjection>,
    pub available_for_use: bool,
    pub available_for_maintenance: bool,
    pub contexts: Vec<ContextRef>,
}
