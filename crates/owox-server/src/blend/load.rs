//! Gathers the [`BlendInputs`] of a root data mart for one caller from the metadata store.

use std::collections::HashMap;

use serde_json::json;

use super::graph::{BlendError, Edge, MartState};
use super::{BlendInputs, BlendMart, BlendedFieldsConfig, JoinCondition, VisibleBlendedField};
use crate::access::{data_mart_actions, Actions};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::output_schema::OutputSchema;
use crate::store::{DataMartRow, RelationshipRow, Store};

impl From<BlendError> for ApiError {
    /// 400 in the business-rule shape, before any run is recorded (http-data.md §6.1).
    fn from(e: BlendError) -> Self {
        let details = match &e {
            BlendError::TargetDeleted {
                relationship_id,
                target_alias,
            } => json!({ "relationshipId": relationship_id, "targetAlias": target_alias }),
        };
        ApiError::Business {
            message: e.to_string(),
            code: None,
            error_details: Some(details),
        }
    }
}

/// What `caller` may do with a data mart (the access matrix over its owners and flags).
pub async fn data_mart_access(
    store: &Store,
    caller: &Caller,
    row: &DataMartRow,
) -> anyhow::Result<Actions> {
    let owners = store.data_mart_owners(&row.id).await?;
    let owns = |kind: &str| {
        owners
            .iter()
            .any(|(u, k)| u == &caller.user_id && k == kind)
    };
    Ok(data_mart_actions(
        caller.role,
        owns("technical"),
        owns("business"),
        row.available_for_reporting,
        row.available_for_maintenance,
    ))
}

/// The relationship as the traversal sees it.
pub fn edge_of(row: &RelationshipRow) -> Edge {
    Edge {
        id: row.id.clone(),
        source_data_mart_id: row.source_data_mart_id.clone(),
        target_data_mart_id: row.target_data_mart_id.clone(),
        target_alias: row.target_alias.clone(),
        join_conditions: JoinCondition::parse_list(&row.join_conditions),
        description: row.description.clone(),
    }
}

/// The stored output schema of a data mart, if readable.
pub fn stored_schema(row: &DataMartRow) -> Option<OutputSchema> {
    row.output_schema
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
}

/// Loads the relationships on the root's storage, the data marts at their ends (soft-deleted
/// ones marked) with their schemas and the caller's `USE` on each, and the root's
/// `blendedFieldsConfig`. The root is a live data mart the caller was allowed to see.
pub async fn load_blend_inputs(
    store: &Store,
    caller: &Caller,
    root: &DataMartRow,
) -> Result<BlendInputs, ApiError> {
    let rows = store
        .relationships_on_storage(&caller.project_id, &root.storage_id)
        .await?;
    let related = store
        .related_data_marts(&caller.project_id, &root.storage_id, &root.id)
        .await?;
    let mut marts = HashMap::with_capacity(related.len());
    for m in related {
        let state = if m.deleted_at.is_some() {
            MartState::Deleted
        } else if m.row.status == "PUBLISHED" {
            MartState::Published
        } else {
            MartState::Draft
        };
        let caller_can_use = data_mart_access(store, caller, &m.row).await?.use_;
        marts.insert(
            m.row.id.clone(),
            BlendMart {
                id: m.row.id.clone(),
                title: m.row.title.clone(),
                description: m.row.description.clone(),
                state,
                schema: stored_schema(&m.row),
                caller_can_use,
            },
        );
    }
    Ok(BlendInputs {
        root_id: root.id.clone(),
        config: BlendedFieldsConfig::from_stored(root.blended_fields_config.as_deref()),
        edges: rows.iter().map(edge_of).collect(),
        marts,
    })
}

/// The joined fields of `root` that `caller` may use (http-data.md §6.1), for `columns=**` and
/// the existence check of the HTTP Data stream. A soft-deleted target on a joinable path is a
/// 400 `Relationship "<alias>" (id=…) targets a data mart that has been deleted. …`.
pub async fn visible_blended_fields(
    store: &Store,
    caller: &Caller,
    root: &DataMartRow,
) -> Result<Vec<VisibleBlendedField>, ApiError> {
    Ok(load_blend_inputs(store, caller, root)
        .await?
        .visible_fields()?)
}
