//! Relationships between data marts, their graph, and the blendable schema of a data mart
//! (domain.md §1.4).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::common::{timestamp, UserProjection};
use super::data_marts::DataMartStatus;
use crate::http_data::AggregateFunction;

/// One end of a relationship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RelationshipDataMart {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: DataMartStatus,
    /// Whether the caller may see this data mart.
    pub user_has_access: bool,
    /// Whether its schema has at least one primary-key field.
    pub has_primary_key: bool,
}

/// `{sourceFieldName, targetFieldName}`: a top-level column on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RelationshipJoinCondition {
    pub source_field_name: String,
    pub target_field_name: String,
}

/// A relationship (every relationship endpoint).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Relationship {
    pub id: String,
    pub data_storage_id: String,
    pub source_data_mart: RelationshipDataMart,
    pub target_data_mart: RelationshipDataMart,
    pub target_alias: String,
    pub join_conditions: Vec<RelationshipJoinCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub created_by_id: String,
    #[serde(with = "timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "timestamp")]
    pub modified_at: DateTime<Utc>,
    #[serde(default)]
    pub created_by_user: Option<UserProjection>,
}

/// `GET /api/data-marts/:id/relationships/graph`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RelationshipGraph {
    pub root_data_mart_id: String,
    pub nodes: Vec<RelationshipGraphNode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RelationshipGraphNode {
    pub relationship: Relationship,
    /// Dot-separated target aliases from the root down to this relationship.
    pub alias_path: String,
    /// Distance from the root (the root's own relationships are at 1).
    pub depth: u32,
    /// The target is already on the path: the subtree below is not expanded.
    pub is_cycle_stub: bool,
    /// The root is a draft, or an ancestor relationship has a draft target or no conditions.
    pub is_blocked: bool,
}

open_enum! {
    /// `uniqueCountAvailability` of a joined source.
    UniqueCountAvailability {
        Available => "available",
        NoPrimaryKey => "no-primary-key",
        DisconnectedPrimaryKey => "disconnected-primary-key",
        NestedPrimaryKey => "nested-primary-key",
        NestedAndDisconnectedPrimaryKey => "nested-and-disconnected-primary-key",
    }
}

/// `GET /api/data-marts/:id/blendable-schema`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BlendableSchema {
    /// The data mart's own schema fields, without those hidden for reporting.
    pub native_fields: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_description: Option<String>,
    pub blended_fields: Vec<BlendedField>,
    pub available_sources: Vec<AvailableSource>,
    pub main_unique_count_key_fields: Vec<String>,
    pub calculated_field_issues: Vec<CalculatedFieldIssue>,
    pub hidden_field_names: Vec<String>,
}

/// A field pulled in from a joined data mart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BlendedField {
    /// The unified name (`orders_items__price`).
    pub name: String,
    pub source_relationship_id: String,
    pub source_data_mart_id: String,
    pub source_data_mart_title: String,
    pub target_alias: String,
    pub original_field_name: String,
    /// The type after the dedup function.
    #[serde(rename = "type")]
    pub field_type: String,
    pub source_field_type: String,
    pub alias: String,
    pub description: String,
    pub is_hidden: bool,
    pub is_calculated: bool,
    /// The dedup (pre-join) function.
    pub aggregate_function: AggregateFunction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_join_aggregations: Option<Vec<AggregateFunction>>,
    pub transitive_depth: u32,
    pub alias_path: String,
    pub output_prefix: String,
}

/// A joined data mart reachable through relationships.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AvailableSource {
    pub alias_path: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_description: Option<String>,
    pub default_alias: String,
    pub depth: u32,
    pub field_count: u64,
    pub is_included: bool,
    pub relationship_id: String,
    pub data_mart_id: String,
    pub is_accessible_for_reporting: bool,
    pub unique_count_availability: UniqueCountAvailability,
    pub unique_count_key_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalculatedFieldIssue {
    pub field: String,
    pub missing: Vec<String>,
}
