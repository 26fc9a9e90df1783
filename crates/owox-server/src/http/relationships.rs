//! Writing relationships between data marts (domain.md §1.4): create, update, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use owox_contract::resources::Relationship;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Caller, Editor};
use crate::blend::config::rename_first_segment;
use crate::blend::joins::check_join_conditions;
use crate::blend::load::stored_schema;
use crate::blend::JoinCondition;
use crate::error::ApiError;
use crate::http::body::JsonObject;
use crate::http::relationship_body::{parse_create, parse_update};
use crate::http::relationship_views::{response, visible_mart};
use crate::state::AppState;
use crate::store::{NewRelationship, RelatedDataMart, RelationshipChange, RelationshipRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_relationship))
        .routes(routes!(update_relationship, delete_relationship))
}

fn relationship_not_found(id: &str, data_mart_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Relationship with ID {id} not found for data mart {data_mart_id}"
    ))
}

fn cannot_manage() -> ApiError {
    ApiError::forbidden("You do not have permission to manage relationships of this DataMart")
}

fn alias_taken(source_id: &str, alias: &str, conflicting: Option<&str>) -> ApiError {
    ApiError::Business {
        message: format!(
            "Alias \"{alias}\" is already used in another relationship for this data mart"
        ),
        code: None,
        error_details: Some(json!({
            "sourceDataMartId": source_id,
            "alias": alias,
            "conflictingRelationshipId": conflicting,
        })),
    }
}

async fn check_alias_free(
    state: &AppState,
    caller: &Caller,
    source_id: &str,
    alias: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let existing = state
        .store
        .relationship_by_alias(&caller.project_id, source_id, alias)
        .await?;
    match existing {
        Some(r) if Some(r.id.as_str()) != except => Err(alias_taken(source_id, alias, Some(&r.id))),
        _ => Ok(()),
    }
}

fn join_text(conditions: &[JoinCondition]) -> Result<String, ApiError> {
    Ok(serde_json::to_string(conditions).map_err(anyhow::Error::from)?)
}

/// Create a new relationship for a data mart
#[utoipa::path(
    post,
    path = "/api/data-marts/{dataMartId}/relationships",
    operation_id = "DataMartRelationshipController_create",
    tag = "Data Mart Relationships",
    params(("dataMartId" = String, Path, description = "Source data mart ID")),
    request_body(content = Object, description = "`{targetDataMartId, targetAlias (^[a-z0-9_]+$), joinConditions: [{sourceFieldName, targetFieldName}], description?}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 201, description = "The relationship has been successfully created.", body = Relationship),
        (status = 400, description = "Invalid body, self-reference, another storage, alias in use or unusable join fields"),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn create_relationship(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(source_id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Relationship>), ApiError> {
    let input = parse_create(body)?;
    if input.target_data_mart_id == source_id {
        return Err(ApiError::Business {
            message: "A data mart cannot have a relationship with itself".into(),
            code: None,
            error_details: Some(json!({ "sourceId": source_id, "targetId": source_id })),
        });
    }
    let (source, edit_source) = visible_mart(&state, &caller, &source_id).await?;
    let (target, edit_target) = visible_mart(&state, &caller, &input.target_data_mart_id).await?;
    if !edit_source || !edit_target {
        return Err(ApiError::forbidden(
            "You do not have permission to create relationship between these DataMarts",
        ));
    }
    if source.row.storage_id != target.row.storage_id {
        return Err(ApiError::Business {
            message: "Source and target data marts must belong to the same storage".into(),
            code: None,
            error_details: Some(json!({
                "sourceStorageId": source.row.storage_id,
                "targetStorageId": target.row.storage_id,
            })),
        });
    }
    check_alias_free(&state, &caller, &source_id, &input.target_alias, None).await?;
    check_join_conditions(
        &input.join_conditions,
        stored_schema(&source.row).as_ref(),
        stored_schema(&target.row).as_ref(),
    )
    .map_err(ApiError::business)?;
    let joins = join_text(&input.join_conditions)?;
    let new = NewRelationship {
        project_id: &caller.project_id,
        data_storage_id: &source.row.storage_id,
        source_data_mart_id: &source_id,
        target_data_mart_id: &target.row.id,
        target_alias: &input.target_alias,
        join_conditions: &joins,
        description: input.description.as_deref(),
        created_by_id: &caller.user_id,
    };
    let Some(row) = state.store.insert_relationship(&new).await? else {
        // Another request took the alias between the check and the insert.
        let other = state
            .store
            .relationship_by_alias(&caller.project_id, &source_id, &input.target_alias)
            .await?;
        return Err(alias_taken(
            &source_id,
            &input.target_alias,
            other.as_ref().map(|r| r.id.as_str()),
        ));
    };
    Ok((
        StatusCode::CREATED,
        Json(response(&state, &caller, &row).await?),
    ))
}

/// The relationship `id` of the data mart `source_id`, with the caller allowed to edit it.
async fn editable_relationship(
    state: &AppState,
    caller: &Caller,
    source_id: &str,
    id: &str,
) -> Result<(RelationshipRow, RelatedDataMart), ApiError> {
    let row = state
        .store
        .get_relationship(&caller.project_id, id)
        .await?
        .filter(|r| r.source_data_mart_id == source_id)
        .ok_or_else(|| relationship_not_found(id, source_id))?;
    let (source, edit) = visible_mart(state, caller, source_id)
        .await
        .map_err(|_| relationship_not_found(id, source_id))?;
    if !edit {
        return Err(cannot_manage());
    }
    Ok((row, source))
}

/// Update an existing relationship
#[utoipa::path(
    patch,
    path = "/api/data-marts/{dataMartId}/relationships/{id}",
    operation_id = "DataMartRelationshipController_update",
    tag = "Data Mart Relationships",
    params(
        ("dataMartId" = String, Path, description = "Source data mart ID"),
        ("id" = String, Path, description = "Relationship ID"),
    ),
    request_body(content = Object, description = "`{targetAlias?, joinConditions?, description?: string | null}`; renaming the alias moves the paths of the source's blendedFieldsConfig"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "The relationship has been successfully updated.", body = Relationship),
        (status = 400, description = "Invalid body, alias in use or unusable join fields"),
        (status = 404, description = "Relationship not found for this data mart"),
    )
)]
async fn update_relationship(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path((source_id, id)): Path<(String, String)>,
    JsonObject(body): JsonObject,
) -> Result<Json<Relationship>, ApiError> {
    let input = parse_update(body)?;
    let (row, source) = editable_relationship(&state, &caller, &source_id, &id).await?;
    let renamed = input
        .target_alias
        .as_deref()
        .filter(|alias| *alias != row.target_alias);
    if let Some(alias) = renamed {
        check_alias_free(&state, &caller, &source_id, alias, Some(&row.id)).await?;
    }
    let joins = match &input.join_conditions {
        Some(conditions) => {
            let target = state
                .store
                .data_mart_with_deleted(&caller.project_id, &row.target_data_mart_id)
                .await?;
            check_join_conditions(
                conditions,
                stored_schema(&source.row).as_ref(),
                target.as_ref().and_then(|t| stored_schema(&t.row)).as_ref(),
            )
            .map_err(ApiError::business)?;
            Some(join_text(conditions)?)
        }
        None => None,
    };
    let config = renamed.and_then(|alias| {
        source
            .row
            .blended_fields_config
            .as_deref()
            .and_then(|stored| rename_first_segment(stored, &row.target_alias, alias))
    });
    let change = RelationshipChange {
        target_alias: renamed,
        join_conditions: joins.as_deref(),
        description: input.description.as_ref().map(|d| d.as_deref()),
        source_blended_fields_config: config.as_deref(),
    };
    if !state.store.update_relationship(&row, &change).await? {
        return Err(alias_taken(&source_id, renamed.unwrap_or_default(), None));
    }
    let row = state
        .store
        .get_relationship(&caller.project_id, &id)
        .await?
        .ok_or_else(|| relationship_not_found(&id, &source_id))?;
    Ok(Json(response(&state, &caller, &row).await?))
}

/// Delete a relationship
#[utoipa::path(
    delete,
    path = "/api/data-marts/{dataMartId}/relationships/{id}",
    operation_id = "DataMartRelationshipController_delete",
    tag = "Data Mart Relationships",
    params(
        ("dataMartId" = String, Path, description = "Source data mart ID"),
        ("id" = String, Path, description = "Relationship ID"),
    ),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 204, description = "The relationship has been successfully deleted."),
        (status = 404, description = "Relationship not found for this data mart"),
    )
)]
async fn delete_relationship(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path((source_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (row, _) = editable_relationship(&state, &caller, &source_id, &id).await?;
    state
        .store
        .delete_relationship(&caller.project_id, &row.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
