//! Data marts: the list page (`GET /api/data-marts`) and the full object (`GET /api/data-marts/:id`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{timestamp, ContextRef, UserProjection};
use super::storages::{StorageDetail, StorageType};

open_enum! {
    /// `status` of a data mart.
    DataMartStatus {
        Draft => "DRAFT",
        Published => "PUBLISHED",
    }
}

open_enum! {
    /// `definitionType` of a data mart.
    DataMartDefinitionType {
        Sql => "SQL",
        Table => "TABLE",
        View => "VIEW",
        TablePattern => "TABLE_PATTERN",
        Connector => "CONNECTOR",
    }
}

open_enum! {
    /// `ownerFilter` query value of the list endpoint.
    OwnerFilter {
        HasOwners => "has_owners",
        NoOwners => "no_owners",
    }
}

/// `storage` inside a list item: the storage's type and title only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataMartStorageRef {
    #[serde(rename = "type")]
    pub storage_type: StorageType,
    pub title: String,
}

/// One item of `GET /api/data-marts`, in the reference's key order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataMartListItem {
    pub id: String,
    pub title: String,
    pub status: DataMartStatus,
    pub storage: DataMartStorageRef,
    pub description: Option<String>,
    /// Written as `null` when unset (0.35.0); readers also accept it absent.
    #[serde(default)]
    pub definition_type: Option<DataMartDefinitionType>,
    /// Only for connector data marts; omitted otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_source_name: Option<String>,
    pub triggers_count: u64,
    pub reports_count: u64,
    pub created_by_user: Option<UserProjection>,
    pub business_owner_users: Vec<UserProjection>,
    pub technical_owner_users: Vec<UserProjection>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    pub contexts: Vec<ContextRef>,
    pub available_for_reporting: bool,
    pub available_for_maintenance: bool,
    /// `{dataLastUpdatedAt, computedAt, coverage}` or `null`; kept as JSON.
    #[serde(default)]
    pub data_last_updated: Option<Value>,
}

/// `GET /api/data-marts` answer: one page of at most 1,000 items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataMartListPage {
    pub items: Vec<DataMartListItem>,
    pub total: u64,
    /// Offset of the next page; `null` on the last page (always written).
    pub next_offset: Option<u64>,
}

/// The full data mart (`GET /api/data-marts/:id` and every data-mart mutation). Nested
/// definitions and schemas stay JSON: their shapes depend on the storage and definition type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataMart {
    pub id: String,
    pub title: String,
    pub status: DataMartStatus,
    pub storage: StorageDetail,
    #[serde(default)]
    pub definition_type: Option<DataMartDefinitionType>,
    #[serde(default)]
    pub definition: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_state: Option<Value>,
    pub triggers_count: u64,
    pub reports_count: u64,
    pub created_by_user: Option<UserProjection>,
    pub business_owner_users: Vec<UserProjection>,
    pub technical_owner_users: Vec<UserProjection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blended_fields_config: Option<Value>,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    pub available_for_reporting: bool,
    pub available_for_maintenance: bool,
    pub contexts: Vec<ContextRef>,
    #[serde(default)]
    pub data_last_updated: Option<Value>,
}
