//! `/api/data-marts`: create, list, get, edit, publish, validate, delete (domain.md §1.3, §3).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use owox_contract::resources::{DataMart, DataMartListItem, DataMartListPage, DataMartStorageRef};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{data_mart_actions, Actions};
use crate::auth::{Auth, Caller, Editor, Viewer};
use crate::engines::type_title;
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::http::definitions::{
    check_statement, definition_ref, discover, parse_definition, save_schema, stored_definition,
};
use crate::http::storages::{storage_detail, visible_storage};
use crate::http::users::{projection, projections};
use crate::output_schema::{schema_type_for, OutputSchema};
use crate::state::AppState;
use crate::store::{
    json_column, DataMartChange, DataMartRow, OwnerPresence, StorageRow, Viewer as ListViewer,
};

/// The fixed page size of the list (the reference's constant).
pub const PAGE_SIZE: u64 = 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_data_marts, create_data_mart))
        .routes(routes!(get_data_mart, delete_data_mart))
        .routes(routes!(update_definition))
        .routes(routes!(update_title))
        .routes(routes!(update_description))
        .routes(routes!(update_schema))
        .routes(routes!(publish))
        .routes(routes!(validate_definition))
}

fn not_found(id: &str, project_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Data Mart with id {id} and projectId {project_id} not found"
    ))
}

fn denied(id: &str) -> ApiError {
    ApiError::forbidden(format!("Access to Data Mart {id} is not allowed"))
}

/// A data mart the caller can see, with what they may do and its storage.
pub struct Loaded {
    pub row: DataMartRow,
    pub actions: Actions,
    pub storage: StorageRow,
}

pub async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<Loaded, ApiError> {
    let row = state
        .store
        .get_data_mart(&caller.project_id, id)
        .await?
        .ok_or_else(|| not_found(id, &caller.project_id))?;
    let owners = state.store.data_mart_owners(&row.id).await?;
    let owns = |kind: &str| {
        owners
            .iter()
            .any(|(u, k)| u == &caller.user_id && k == kind)
    };
    let actions = data_mart_actions(
        caller.role,
        owns("technical"),
        owns("business"),
        row.available_for_reporting,
        row.available_for_maintenance,
    );
    if !actions.see {
        return Err(not_found(id, &caller.project_id));
    }
    let storage = state
        .store
        .get_storage(&caller.project_id, &row.storage_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("data mart {} has no live storage", row.id))?;
    Ok(Loaded {
        row,
        actions,
        storage,
    })
}

async fn load_for_edit(state: &AppState, caller: &Caller, id: &str) -> Result<Loaded, ApiError> {
    let loaded = load(state, caller, id).await?;
    if !loaded.actions.edit {
        return Err(denied(id));
    }
    Ok(loaded)
}

async fn owner_lists(
    state: &AppState,
    row: &DataMartRow,
) -> Result<
    (
        Vec<owox_contract::resources::UserProjection>,
        Vec<owox_contract::resources::UserProjection>,
    ),
    ApiError,
> {
    let owners = state.store.data_mart_owners(&row.id).await?;
    let of = |kind: &str| -> Vec<String> {
        owners
            .iter()
            .filter(|(_, k)| k == kind)
            .map(|(u, _)| u.clone())
            .collect()
    };
    Ok((
        projections(&state.store, &row.project_id, &of("business")).await?,
        projections(&state.store, &row.project_id, &of("technical")).await?,
    ))
}

/// The full object (`GET /api/data-marts/:id` and every mutation).
pub async fn full(
    state: &AppState,
    row: &DataMartRow,
    storage: &StorageRow,
) -> Result<DataMart, ApiError> {
    let (business, technical) = owner_lists(state, row).await?;
    Ok(DataMart {
        id: row.id.clone(),
        title: row.title.clone(),
        status: row.status.as_str().into(),
        storage: storage_detail(state, storage).await?,
        definition_type: row.definition_type.as_deref().map(Into::into),
        definition: json_column(row.definition.as_deref()),
        description: row.description.clone(),
        schema: json_column(row.output_schema.as_deref()),
        connector_state: None,
        triggers_count: 0,
        reports_count: 0,
        created_by_user: projection(&state.store, &row.project_id, row.created_by_id.as_deref())
            .await?,
        business_owner_users: business,
        technical_owner_users: technical,
        blended_fields_config: json_column(row.blended_fields_config.as_deref()),
        created_at: row.created_at,
        modified_at: row.modified_at,
        available_for_reporting: row.available_for_reporting,
        available_for_maintenance: row.available_for_maintenance,
        contexts: vec![],
        data_last_updated: None,
    })
}

/// Saves one change and answers the updated data mart.
async fn apply(
    state: &AppState,
    caller: &Caller,
    id: &str,
    change: DataMartChange<'_>,
) -> Result<Json<DataMart>, ApiError> {
    state
        .store
        .update_data_mart(&caller.project_id, id, change)
        .await?;
    reload(state, caller, id).await
}

async fn reload(state: &AppState, caller: &Caller, id: &str) -> Result<Json<DataMart>, ApiError> {
    let loaded = load(state, caller, id).await?;
    Ok(Json(full(state, &loaded.row, &loaded.storage).await?))
}

/// List data marts
#[utoipa::path(
    get,
    path = "/api/data-marts",
    operation_id = "DataMartController_list",
    tag = "DataMarts",
    params(
        ("offset" = Option<String>, Query, description = "Non-negative integer; pages hold 1000 items"),
        ("ownerFilter" = Option<String>, Query, description = "has_owners or no_owners"),
    ),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = DataMartListPage))
)]
async fn list_data_marts(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<DataMartListPage>, ApiError> {
    let mut errors = Vec::new();
    let mut offset = 0u64;
    let mut owners = OwnerPresence::Any;
    for (key, value) in &query {
        match key.as_str() {
            "offset" => match value.parse::<u64>() {
                Ok(n) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    offset = n
                }
                _ => errors.push("offset must be a non-negative integer".to_string()),
            },
            "ownerFilter" => match value.as_str() {
                "has_owners" => owners = OwnerPresence::HasOwners,
                "no_owners" => owners = OwnerPresence::NoOwners,
                _ => errors.push(
                    "ownerFilter must be one of the following values: has_owners, no_owners".into(),
                ),
            },
            other => errors.push(format!("property {other} should not exist")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (rows, total) = state
        .store
        .list_data_marts(
            &caller.project_id,
            ListViewer {
                role: caller.role,
                user_id: &caller.user_id,
            },
            owners,
            offset,
            PAGE_SIZE,
        )
        .await?;
    let storages = state.store.list_storages(&caller.project_id).await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let storage = storages.iter().find(|s| s.id == row.storage_id);
        let (business, technical) = owner_lists(&state, row).await?;
        items.push(DataMartListItem {
            id: row.id.clone(),
            title: row.title.clone(),
            status: row.status.as_str().into(),
            storage: DataMartStorageRef {
                storage_type: storage
                    .map_or("UNKNOWN", |s| s.storage_type.as_str())
                    .into(),
                title: storage
                    .and_then(|s| s.title.clone().filter(|t| !t.is_empty()))
                    .unwrap_or_else(|| {
                        type_title(storage.map_or("", |s| s.storage_type.as_str())).to_string()
                    }),
            },
            description: row.description.clone(),
            definition_type: row.definition_type.as_deref().map(Into::into),
            connector_source_name: None,
            triggers_count: 0,
            reports_count: 0,
            created_by_user: projection(
                &state.store,
                &caller.project_id,
                row.created_by_id.as_deref(),
            )
            .await?,
            business_owner_users: business,
            technical_owner_users: technical,
            created_at: row.created_at,
            modified_at: row.modified_at,
            contexts: vec![],
            available_for_reporting: row.available_for_reporting,
            available_for_maintenance: row.available_for_maintenance,
            data_last_updated: None,
        });
    }
    let next = offset + items.len() as u64;
    Ok(Json(DataMartListPage {
        items,
        total,
        next_offset: (next < total).then_some(next),
    }))
}

/// Create a data mart
#[utoipa::path(
    post,
    path = "/api/data-marts",
    operation_id = "DataMartController_create",
    tag = "DataMarts",
    request_body(content = Object, description = "`{title, storageId}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 201, description = "`{id, title}`", body = Object),
        (status = 404, description = "Unknown storage"),
    )
)]
async fn create_data_mart(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut v = Validator::new(body, &["title", "storageId"]);
    let title = v.required_string("title", Some(255));
    let storage_id = v.required_string("storageId", None);
    v.finish()?;
    let (title, storage_id) = (title.unwrap_or_default(), storage_id.unwrap_or_default());
    let (storage, allowed) = visible_storage(&state, &caller, &storage_id).await?;
    if !allowed.use_ {
        return Err(ApiError::forbidden(format!(
            "Access to Data Storage {storage_id} is not allowed"
        )));
    }
    let row = state
        .store
        .insert_data_mart(&caller.project_id, &title, &storage.id, &caller.user_id)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": row.id, "title": row.title })),
    ))
}

/// Get a data mart
#[utoipa::path(
    get,
    path = "/api/data-marts/{id}",
    operation_id = "DataMartController_get",
    tag = "DataMarts",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = DataMart), (status = 404, description = "Not found"))
)]
async fn get_data_mart(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<DataMart>, ApiError> {
    reload(&state, &caller, &id).await
}

/// Delete a data mart
#[utoipa::path(
    delete,
    path = "/api/data-marts/{id}",
    operation_id = "DataMartController_delete",
    tag = "DataMarts",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "Deleted (empty body)"), (status = 404, description = "Not found"))
)]
async fn delete_data_mart(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let loaded = load(&state, &caller, &id).await?;
    if !loaded.actions.delete {
        return Err(denied(&id));
    }
    state
        .store
        .delete_data_mart(&caller.project_id, &id)
        .await?;
    Ok(StatusCode::OK)
}

/// Set the definition of a data mart
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/definition",
    operation_id = "DataMartController_updateDefinition",
    tag = "DataMarts",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{definitionType: SQL|TABLE|VIEW, definition: {sqlQuery} | {fullyQualifiedName}}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "", body = DataMart), (status = 400, description = "Invalid or forbidden definition"))
)]
async fn update_definition(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<DataMart>, ApiError> {
    let loaded = load_for_edit(&state, &caller, &id).await?;
    let v = Validator::new(
        body,
        &[
            "definitionType",
            "definition",
            "sourceDataMartId",
            "sourceConfigurationId",
        ],
    );
    let body = v.finish()?;
    let (definition_type, definition) = parse_definition(&body, &loaded.storage.storage_type)?;
    let engine = state.engines.get(&loaded.storage).await?;
    // The engine binds the definition now: forbidden statements, unreadable files and missing
    // tables are all refused before anything is saved.
    match check_statement(engine.as_ref(), &definition_type, &definition).await {
        Err(owox_storage::StorageError::Internal(e)) => {
            return Err(ApiError::Internal(anyhow::anyhow!(e)))
        }
        Err(e) => return Err(ApiError::business(format!("Invalid definition: {e}"))),
        Ok(()) => {}
    }
    let text = definition.to_string();
    state
        .store
        .update_data_mart(
            &caller.project_id,
            &id,
            DataMartChange::Definition {
                definition_type: &definition_type,
                definition: &text,
            },
        )
        .await?;
    if let Ok(schema) = discover(
        &engine,
        &definition_type,
        &definition,
        loaded.row.output_schema.as_deref(),
    )
    .await
    {
        save_schema(&state, &caller.project_id, &id, &schema).await?;
    }
    reload(&state, &caller, &id).await
}

/// Set the title of a data mart
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/title",
    operation_id = "DataMartController_updateTitle",
    tag = "DataMarts",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{title}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "", body = DataMart))
)]
async fn update_title(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<DataMart>, ApiError> {
    load_for_edit(&state, &caller, &id).await?;
    let mut v = Validator::new(body, &["title"]);
    let title = v.required_string("title", Some(255));
    v.finish()?;
    let title = title.unwrap_or_default();
    apply(&state, &caller, &id, DataMartChange::Title(&title)).await
}

/// Set or clear the description of a data mart
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/description",
    operation_id = "DataMartController_updateDescription",
    tag = "DataMarts",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{description: string | null}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "", body = DataMart))
)]
async fn update_description(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<DataMart>, ApiError> {
    load_for_edit(&state, &caller, &id).await?;
    let mut v = Validator::new(body, &["description"]);
    let clears = matches!(v.peek("description"), Some(Value::Null));
    let description = if clears {
        None
    } else {
        v.required_string("description", None)
    };
    v.finish()?;
    apply(
        &state,
        &caller,
        &id,
        DataMartChange::Description(description.as_deref()),
    )
    .await
}

/// Replace the output schema metadata of a data mart
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/schema",
    operation_id = "DataMartController_updateSchema",
    tag = "DataMarts",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{schema: {type: \"duckdb-data-mart-schema\" | \"postgres-data-mart-schema\", fields: [...]}}`"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "", body = DataMart), (status = 400, description = "Invalid schema"))
)]
async fn update_schema(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<DataMart>, ApiError> {
    let loaded = load_for_edit(&state, &caller, &id).await?;
    let v = Validator::new(body, &["schema"]);
    let body = v.finish()?;
    let schema = OutputSchema::parse(
        body.get("schema").unwrap_or(&Value::Null),
        schema_type_for(&loaded.storage.storage_type),
    )
    .map_err(|e| ApiError::business(format!("Invalid schema: {e}")))?;
    let text = serde_json::to_string(&schema).map_err(anyhow::Error::from)?;
    let change = DataMartChange::Schema {
        schema: &text,
        actualized: false,
    };
    apply(&state, &caller, &id, change).await
}

/// Publish a data mart
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/publish",
    operation_id = "DataMartController_publish",
    tag = "DataMarts",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 200, description = "", body = DataMart), (status = 400, description = "Not a draft, no definition, or the definition does not run"))
)]
async fn publish(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
) -> Result<Json<DataMart>, ApiError> {
    let loaded = load_for_edit(&state, &caller, &id).await?;
    if loaded.row.status != "DRAFT" {
        return Err(ApiError::business("DataMart is not in DRAFT status"));
    }
    let Some((definition_type, definition)) = stored_definition(&loaded.row) else {
        return Err(ApiError::business("DataMart has no definition"));
    };
    // Unlike the reference, every definition (SQL included) must run before it is published.
    let engine = state.engines.get(&loaded.storage).await?;
    let schema = discover(
        &engine,
        &definition_type,
        &definition,
        loaded.row.output_schema.as_deref(),
    )
    .await
    .map_err(|e| ApiError::business(e.to_string()))?;
    save_schema(&state, &caller.project_id, &id, &schema).await?;
    apply(&state, &caller, &id, DataMartChange::Published).await
}

/// Validate the definition of a data mart against its storage
#[utoipa::path(
    post,
    path = "/api/data-marts/{id}/validate-definition",
    operation_id = "DataMartController_validateDefinition",
    tag = "DataMarts",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses((status = 201, description = "`{valid, errorMessage?}`", body = Object))
)]
async fn validate_definition(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let loaded = load_for_edit(&state, &caller, &id).await?;
    let Some((definition_type, definition)) = stored_definition(&loaded.row) else {
        return Ok((
            StatusCode::CREATED,
            Json(json!({ "valid": false, "errorMessage": "DataMart has no definition" })),
        ));
    };
    let engine = state.engines.get(&loaded.storage).await?;
    let def = definition_ref(&definition_type, &definition);
    let result = match def {
        Some(def) => engine.describe(def).await.map(|_| ()),
        None => Err(owox_storage::StorageError::InvalidDefinition(format!(
            "Definition type {definition_type} is not supported by {} storages",
            loaded.storage.storage_type
        ))),
    };
    Ok((
        StatusCode::CREATED,
        Json(match result {
            Ok(()) => json!({ "valid": true }),
            Err(e) => json!({ "valid": false, "errorMessage": e.to_string() }),
        }),
    ))
}
