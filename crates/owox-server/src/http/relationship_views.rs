//! Reading relationships: the graph below a data mart, a storage's relationships, and the
//! response form every relationship endpoint shares.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::Json;
use owox_contract::resources::{
    Relationship, RelationshipDataMart, RelationshipGraph, RelationshipGraphNode,
    RelationshipJoinCondition,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::storage_actions;
use crate::auth::{Auth, Caller, Viewer};
use crate::blend::load::{data_mart_access, edge_of, stored_schema};
use crate::blend::{traverse, JoinCondition, MartState};
use crate::error::ApiError;
use crate::http::users::projections;
use crate::state::AppState;
use crate::store::{RelatedDataMart, RelationshipRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(relationship_graph))
        .routes(routes!(storage_relationships))
}

pub(super) fn mart_not_found(id: &str, project_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Data Mart with id {id} and projectId {project_id} not found"
    ))
}

/// A live data mart the caller can see (404 otherwise, as for `GET /api/data-marts/:id`), with
/// whether they may edit it.
pub(super) async fn visible_mart(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(RelatedDataMart, bool), ApiError> {
    let mart = state
        .store
        .data_mart_with_deleted(&caller.project_id, id)
        .await?
        .filter(|m| m.deleted_at.is_none())
        .ok_or_else(|| mart_not_found(id, &caller.project_id))?;
    let access = data_mart_access(&state.store, caller, &mart.row).await?;
    if !access.see {
        return Err(mart_not_found(id, &caller.project_id));
    }
    Ok((mart, access.edit))
}

/// The ends of relationships as responses show them, by data mart id.
pub(super) struct Ends(HashMap<String, RelationshipDataMart>);

impl Ends {
    pub(super) async fn of(
        state: &AppState,
        caller: &Caller,
        marts: &[RelatedDataMart],
    ) -> Result<Ends, ApiError> {
        let mut map = HashMap::new();
        for m in marts {
            let see =
                m.deleted_at.is_none() && data_mart_access(&state.store, caller, &m.row).await?.see;
            let has_primary_key =
                stored_schema(&m.row).is_some_and(|s| s.fields.iter().any(|f| f.is_primary_key));
            map.insert(
                m.row.id.clone(),
                RelationshipDataMart {
                    id: m.row.id.clone(),
                    title: m.row.title.clone(),
                    description: m.row.description.clone(),
                    status: m.row.status.as_str().into(),
                    user_has_access: see,
                    has_primary_key,
                },
            );
        }
        Ok(Ends(map))
    }

    fn get(&self, id: &str) -> RelationshipDataMart {
        self.0
            .get(id)
            .cloned()
            .unwrap_or_else(|| RelationshipDataMart {
                id: id.to_string(),
                title: String::new(),
                description: None,
                status: "DRAFT".into(),
                user_has_access: false,
                has_primary_key: false,
            })
    }
}

/// The response form of relationship rows.
pub(super) async fn responses(
    state: &AppState,
    caller: &Caller,
    rows: &[RelationshipRow],
    ends: &Ends,
) -> Result<Vec<Relationship>, ApiError> {
    let creators: Vec<String> = rows.iter().map(|r| r.created_by_id.clone()).collect();
    let users = projections(&state.store, &caller.project_id, &creators).await?;
    Ok(rows
        .iter()
        .zip(users)
        .map(|(row, user)| Relationship {
            id: row.id.clone(),
            data_storage_id: row.data_storage_id.clone(),
            source_data_mart: ends.get(&row.source_data_mart_id),
            target_data_mart: ends.get(&row.target_data_mart_id),
            target_alias: row.target_alias.clone(),
            join_conditions: JoinCondition::parse_list(&row.join_conditions)
                .into_iter()
                .map(|c| RelationshipJoinCondition {
                    source_field_name: c.source_field_name,
                    target_field_name: c.target_field_name,
                })
                .collect(),
            description: row.description.clone(),
            created_by_id: row.created_by_id.clone(),
            created_at: row.created_at,
            modified_at: row.modified_at,
            created_by_user: Some(user),
        })
        .collect())
}

/// One relationship's response, its ends read afresh.
pub(super) async fn response(
    state: &AppState,
    caller: &Caller,
    row: &RelationshipRow,
) -> Result<Relationship, ApiError> {
    let mut marts = Vec::new();
    for id in [&row.source_data_mart_id, &row.target_data_mart_id] {
        if let Some(m) = state
            .store
            .data_mart_with_deleted(&caller.project_id, id)
            .await?
        {
            marts.push(m);
        }
    }
    let ends = Ends::of(state, caller, &marts).await?;
    let mut list = responses(state, caller, std::slice::from_ref(row), &ends).await?;
    list.pop()
        .ok_or_else(|| anyhow::anyhow!("no response for relationship {}", row.id).into())
}

/// Get the full relationship graph rooted at this data mart (single SEE check on root)
#[utoipa::path(
    get,
    path = "/api/data-marts/{dataMartId}/relationships/graph",
    operation_id = "DataMartRelationshipController_getGraph",
    tag = "Data Mart Relationships",
    params(("dataMartId" = String, Path, description = "Root data mart ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Flat list of relationship nodes with aliasPath, depth, cycle and blocked flags", body = RelationshipGraph),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn relationship_graph(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(root_id): Path<String>,
) -> Result<Json<RelationshipGraph>, ApiError> {
    let (root, _) = visible_mart(&state, &caller, &root_id).await?;
    let rows = state
        .store
        .relationships_on_storage(&caller.project_id, &root.row.storage_id)
        .await?;
    let marts = state
        .store
        .related_data_marts(&caller.project_id, &root.row.storage_id, &root_id)
        .await?;
    let states: HashMap<&str, MartState> = marts
        .iter()
        .map(|m| {
            let s = match (&m.deleted_at, m.row.status.as_str()) {
                (Some(_), _) => MartState::Deleted,
                (None, "PUBLISHED") => MartState::Published,
                _ => MartState::Draft,
            };
            (m.row.id.as_str(), s)
        })
        .collect();
    let edges: Vec<_> = rows.iter().map(edge_of).collect();
    let nodes = traverse(&root_id, &edges, |id| {
        states.get(id).copied().unwrap_or(MartState::Deleted)
    });
    let ends = Ends::of(&state, &caller, &marts).await?;
    let reached: Vec<RelationshipRow> = nodes.iter().map(|n| rows[n.edge].clone()).collect();
    let relationships = responses(&state, &caller, &reached, &ends).await?;
    Ok(Json(RelationshipGraph {
        root_data_mart_id: root_id,
        nodes: nodes
            .into_iter()
            .zip(relationships)
            .map(|(n, relationship)| RelationshipGraphNode {
                relationship,
                alias_path: n.alias_path,
                depth: n.depth,
                is_cycle_stub: n.is_cycle_stub,
                is_blocked: n.is_blocked,
            })
            .collect(),
    }))
}

/// List all relationships for a data storage
#[utoipa::path(
    get,
    path = "/api/data-storages/{storageId}/relationships",
    operation_id = "DataStorageRelationshipController_listByStorage",
    tag = "Data Storage Relationships",
    params(("storageId" = String, Path, description = "Data storage ID")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "List of relationships for the data storage", body = Vec<Relationship>),
        (status = 404, description = "Storage not found"),
    )
)]
async fn storage_relationships(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(storage_id): Path<String>,
) -> Result<Json<Vec<Relationship>>, ApiError> {
    let storage = state
        .store
        .get_storage(&caller.project_id, &storage_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "Data Storage with id {storage_id} and projectId {} not found",
                caller.project_id
            ))
        })?;
    let owners = state.store.storage_owners(&storage.id).await?;
    let allowed = storage_actions(
        caller.role,
        owners.contains(&caller.user_id),
        storage.available_for_use,
        storage.available_for_maintenance,
    );
    if !allowed.see {
        return Err(ApiError::forbidden(
            "You do not have access to this Storage",
        ));
    }
    let rows = state
        .store
        .relationships_on_storage(&caller.project_id, &storage.id)
        .await?;
    let marts = state
        .store
        .related_data_marts(&caller.project_id, &storage.id, "")
        .await?;
    let ends = Ends::of(&state, &caller, &marts).await?;
    Ok(Json(responses(&state, &caller, &rows, &ends).await?))
}
