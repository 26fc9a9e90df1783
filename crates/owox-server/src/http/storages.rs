//! `/api/data-storages`: create, list, get, configure, delete, validate access (domain.md §1.2).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use owox_contract::resources::{StorageDetail, StorageListItem};
use owox_storage::Storage as _;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::{storage_actions, Actions};
use crate::auth::{Auth, Caller, Editor, Viewer};
use crate::engines::{
    storage_error, type_title, unavailable, DuckDbStorageConfig, PostgresCredentials,
    PostgresStorageConfig, DUCKDB, POSTGRES, POSTGRES_CREDENTIAL_TYPE, RUNNABLE_TYPES,
    STORAGE_TYPES,
};
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::http::users::{projection, projections};
use crate::state::AppState;
use crate::store::{CredentialRow, NewStorage, StorageRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_storages, create_storage))
        .routes(routes!(get_storage, update_storage, delete_storage))
        .routes(routes!(validate_access))
}

fn not_found(id: &str, project_id: &str) -> ApiError {
    ApiError::not_found(format!(
        "Data Storage with id {id} and projectId {project_id} not found"
    ))
}

/// What the caller may do with a storage.
async fn actions(state: &AppState, caller: &Caller, row: &StorageRow) -> Result<Actions, ApiError> {
    let owners = state.store.storage_owners(&row.id).await?;
    Ok(storage_actions(
        caller.role,
        owners.contains(&caller.user_id),
        row.available_for_use,
        row.available_for_maintenance,
    ))
}

/// Loads a storage the caller can see, or answers 404.
pub async fn visible_storage(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(StorageRow, Actions), ApiError> {
    let row = state
        .store
        .get_storage(&caller.project_id, id)
        .await?
        .ok_or_else(|| not_found(id, &caller.project_id))?;
    let actions = actions(state, caller, &row).await?;
    if !actions.see {
        return Err(not_found(id, &caller.project_id));
    }
    Ok((row, actions))
}

fn denied(id: &str) -> ApiError {
    ApiError::forbidden(format!("Access to Data Storage {id} is not allowed"))
}

fn title_of(row: &StorageRow) -> String {
    row.title
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| type_title(&row.storage_type).to_string())
}

/// What a response shows of a storage's credentials (never a secret).
async fn public_credentials(state: &AppState, row: &StorageRow) -> Result<Option<Value>, ApiError> {
    let Some(id) = row.credential_id.as_deref() else {
        return Ok(None);
    };
    Ok(state
        .store
        .get_credential(&row.project_id, id)
        .await?
        .and_then(|c| c.identity)
        .and_then(|identity| serde_json::from_str(&identity).ok()))
}

/// The detail form of a storage.
pub async fn storage_detail(state: &AppState, row: &StorageRow) -> Result<StorageDetail, ApiError> {
    let owners = state.store.storage_owners(&row.id).await?;
    Ok(StorageDetail {
        id: row.id.clone(),
        title: title_of(row),
        storage_type: row.storage_type.as_str().into(),
        project_id: row.project_id.clone(),
        credentials: public_credentials(state, row).await?,
        config: row
            .config
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok()),
        created_at: row.created_at,
        modified_at: row.modified_at,
        credential_id: row.credential_id.clone(),
        created_by_user: projection(&state.store, &row.project_id, row.created_by_id.as_deref())
            .await?,
        owner_users: projections(&state.store, &row.project_id, &owners).await?,
        available_for_use: row.available_for_use,
        available_for_maintenance: row.available_for_maintenance,
        contexts: vec![],
    })
}

/// List data storages
#[utoipa::path(
    get,
    path = "/api/data-storages",
    operation_id = "DataStorageController_findAll",
    tag = "DataStorages",
    params(("ownerFilter" = Option<String>, Query, description = "has_owners or no_owners")),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = Vec<StorageListItem>))
)]
async fn list_storages(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<Vec<StorageListItem>>, ApiError> {
    let mut errors = Vec::new();
    let mut owner_filter = None;
    for (key, value) in &query {
        match key.as_str() {
            "ownerFilter" if value == "has_owners" || value == "no_owners" => {
                owner_filter = Some(value == "has_owners")
            }
            "ownerFilter" => errors.push(
                "ownerFilter must be one of the following values: has_owners, no_owners"
                    .to_string(),
            ),
            other => errors.push(format!("property {other} should not exist")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut items = Vec::new();
    for row in state.store.list_storages(&caller.project_id).await? {
        let owners = state.store.storage_owners(&row.id).await?;
        let allowed = storage_actions(
            caller.role,
            owners.contains(&caller.user_id),
            row.available_for_use,
            row.available_for_maintenance,
        );
        if !allowed.see || owner_filter.is_some_and(|has| has == owners.is_empty()) {
            continue;
        }
        let (published, draft) = state.store.storage_data_mart_counts(&row.id).await?;
        items.push(StorageListItem {
            id: row.id.clone(),
            title: title_of(&row),
            storage_type: row.storage_type.as_str().into(),
            created_at: row.created_at,
            modified_at: row.modified_at,
            published_data_marts_count: published,
            draft_data_marts_count: draft,
            created_by_user: projection(
                &state.store,
                &row.project_id,
                row.created_by_id.as_deref(),
            )
            .await?,
            owner_users: projections(&state.store, &row.project_id, &owners).await?,
            contexts: vec![],
            available_for_use: row.available_for_use,
            available_for_maintenance: row.available_for_maintenance,
        });
    }
    Ok(Json(items))
}

/// Create a data storage
#[utoipa::path(
    post,
    path = "/api/data-storages",
    operation_id = "DataStorageController_create",
    tag = "DataStorages",
    request_body(content = Object, description = "`{type, ownerIds?}`; DUCKDB and POSTGRES can be created in this build"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 201, description = "", body = StorageDetail),
        (status = 400, description = "Invalid type, or a type whose driver is not available in this build"),
    )
)]
async fn create_storage(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<StorageDetail>), ApiError> {
    let storage_type = body.get("type").and_then(Value::as_str).map(str::to_string);
    let mut v = Validator::new(body, &["type", "ownerIds"]);
    if !storage_type
        .as_deref()
        .is_some_and(|t| STORAGE_TYPES.contains(&t))
    {
        v.error(format!(
            "type must be one of the following values: {}",
            STORAGE_TYPES.join(", ")
        ));
    }
    v.optional_string_array("ownerIds", 100);
    v.finish()?;
    let storage_type = storage_type.unwrap_or_default();
    if !RUNNABLE_TYPES.contains(&storage_type.as_str()) {
        return Err(unavailable(&storage_type));
    }
    let row = state
        .store
        .insert_storage(&NewStorage {
            project_id: &caller.project_id,
            storage_type: &storage_type,
            title: None,
            config: None,
            created_by_id: Some(&caller.user_id),
            is_default: false,
        })
        .await?
        .ok_or_else(|| anyhow::anyhow!("storage insert conflicted"))?;
    Ok((
        StatusCode::CREATED,
        Json(storage_detail(&state, &row).await?),
    ))
}

/// Get a data storage
#[utoipa::path(
    get,
    path = "/api/data-storages/{id}",
    operation_id = "DataStorageController_get",
    tag = "DataStorages",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "", body = StorageDetail), (status = 404, description = "Not found"))
)]
async fn get_storage(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<StorageDetail>, ApiError> {
    let (row, _) = visible_storage(&state, &caller, &id).await?;
    Ok(Json(storage_detail(&state, &row).await?))
}

/// Configure a data storage
#[utoipa::path(
    put,
    path = "/api/data-storages/{id}",
    operation_id = "DataStorageController_update",
    tag = "DataStorages",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{title, config, credentials?}`. DUCKDB config: `{databasePath?, importsPath?}` relative to the data directory, no credentials. POSTGRES config: `{host, port?, database, schema?, sslmode?}`, credentials `{username, password}` (write-only; required the first time, kept when omitted)"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "", body = StorageDetail),
        (status = 400, description = "Invalid config, or the storage could not be reached with it"),
        (status = 404, description = "Not found"),
    )
)]
async fn update_storage(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<StorageDetail>, ApiError> {
    let (row, allowed) = visible_storage(&state, &caller, &id).await?;
    if !allowed.edit {
        return Err(denied(&id));
    }
    let mut v = Validator::new(
        body,
        &[
            "title",
            "config",
            "credentials",
            "credentialId",
            "sourceStorageId",
            "ownerIds",
            "availableForUse",
            "availableForMaintenance",
            "contextIds",
        ],
    );
    let title = v.required_string("title", Some(255));
    let body = v.finish()?;
    if body.get("sourceStorageId").is_some_and(|v| !v.is_null())
        || body.get("credentialId").is_some_and(|v| !v.is_null())
    {
        return Err(ApiError::business(
            "sourceStorageId and credentialId are not supported in this build: send credentials",
        ));
    }
    let change = match row.storage_type.as_str() {
        DUCKDB => configure_duckdb(&state, &row, &body).await?,
        POSTGRES => configure_postgres(&state, &caller, &row, &body).await?,
        other => return Err(unavailable(other)),
    };
    state
        .store
        .update_storage(
            &caller.project_id,
            &id,
            title.as_deref(),
            Some(&change.config),
            change.credential_id.as_deref(),
        )
        .await?;
    if let (Some(_), Some(old)) = (&change.credential_id, &row.credential_id) {
        state
            .store
            .delete_credential(&caller.project_id, old)
            .await?;
    }
    if row.storage_type != DUCKDB {
        // The DuckDB probe already opened the engine the new config names; others reopen.
        state.engines.forget(&row.id).await;
    }
    let row = state
        .store
        .get_storage(&caller.project_id, &id)
        .await?
        .ok_or_else(|| not_found(&id, &caller.project_id))?;
    Ok(Json(storage_detail(&state, &row).await?))
}

/// What a configure request changes: the config text and, when new credentials were given,
/// the id of their (already stored) sealed row.
struct Configured {
    config: String,
    credential_id: Option<String>,
}

fn access_failed(e: ApiError) -> ApiError {
    ApiError::business(format!("Storage access validation failed: {e}"))
}

async fn configure_duckdb(
    state: &AppState,
    row: &StorageRow,
    body: &serde_json::Map<String, Value>,
) -> Result<Configured, ApiError> {
    if body.get("credentials").is_some_and(|c| !c.is_null()) {
        return Err(ApiError::business("DUCKDB storages take no credentials"));
    }
    let config = DuckDbStorageConfig::parse(body.get("config").unwrap_or(&json!({})))?;
    let config_text = serde_json::to_string(&config).map_err(anyhow::Error::from)?;
    // Probe the new settings before saving them; a failed probe leaves the storage unchanged.
    state.engines.forget(&row.id).await;
    let mut candidate = row.clone();
    candidate.config = Some(config_text.clone());
    let probe = match state.engines.get(&candidate).await {
        Ok(engine) => engine
            .check_access()
            .await
            .map_err(|e| storage_error(e, DUCKDB)),
        Err(e) => Err(e),
    };
    if let Err(e) = probe {
        state.engines.forget(&row.id).await;
        return Err(access_failed(e));
    }
    Ok(Configured {
        config: config_text,
        credential_id: None,
    })
}

async fn configure_postgres(
    state: &AppState,
    caller: &Caller,
    row: &StorageRow,
    body: &serde_json::Map<String, Value>,
) -> Result<Configured, ApiError> {
    let config = PostgresStorageConfig::parse(body.get("config").unwrap_or(&Value::Null))?;
    let given = match body.get("credentials") {
        Some(c) if !c.is_null() => Some(PostgresCredentials::parse(c)?),
        _ => None,
    };
    let credentials = match &given {
        Some(c) => c.clone(),
        None => state
            .engines
            .postgres_credentials(row)
            .await?
            .ok_or_else(|| {
                ApiError::business(
                    "POSTGRES storages need credentials: {\"username\", \"password\"}",
                )
            })?,
    };
    // Probe the new settings before saving them; a failed probe leaves the storage unchanged.
    let probe = state.engines.postgres_engine(&config, &credentials)?;
    probe
        .check_access()
        .await
        .map_err(|e| access_failed(storage_error(e, POSTGRES)))?;
    let credential_id = match given {
        Some(c) => {
            let id = uuid::Uuid::new_v4().to_string();
            let sealed = state.engines.secrets().seal_json(&c, &id)?;
            let stored = CredentialRow {
                id: id.clone(),
                project_id: caller.project_id.clone(),
                credential_type: POSTGRES_CREDENTIAL_TYPE.into(),
                sealed,
                identity: Some(c.public().to_string()),
            };
            state
                .store
                .insert_credential(&stored, Some(&caller.user_id))
                .await?;
            Some(id)
        }
        None => None,
    };
    Ok(Configured {
        config: serde_json::to_string(&config).map_err(anyhow::Error::from)?,
        credential_id,
    })
}

/// Delete a data storage
#[utoipa::path(
    delete,
    path = "/api/data-storages/{id}",
    operation_id = "DataStorageController_delete",
    tag = "DataStorages",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "Deleted (empty body)"),
        (status = 400, description = "The storage is referenced by existing data marts"),
        (status = 404, description = "Not found"),
    )
)]
async fn delete_storage(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (row, allowed) = visible_storage(&state, &caller, &id).await?;
    if !allowed.delete {
        return Err(denied(&id));
    }
    let referenced = state.store.data_marts_on_storage(&row.id).await?;
    if !referenced.is_empty() {
        let marts: Vec<Value> = referenced
            .iter()
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect();
        return Err(ApiError::Business {
            message: "Cannot delete the storage because it is referenced by existing data marts."
                .into(),
            code: None,
            error_details: Some(json!({ "referencedDataMarts": marts })),
        });
    }
    state.store.delete_storage(&caller.project_id, &id).await?;
    if let Some(credential) = &row.credential_id {
        state
            .store
            .delete_credential(&caller.project_id, credential)
            .await?;
    }
    state.engines.forget(&id).await;
    Ok(StatusCode::OK)
}

/// Validate access to a data storage
#[utoipa::path(
    post,
    path = "/api/data-storages/{id}/validate-access",
    operation_id = "DataStorageController_validateAccess",
    tag = "DataStorages",
    params(("id" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "`{valid, errorMessage?}`", body = Object))
)]
async fn validate_access(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (row, _) = visible_storage(&state, &caller, &id).await?;
    let result = match state.engines.get(&row).await {
        Ok(engine) => engine
            .check_access()
            .await
            .map_err(|e| storage_error(e, &row.storage_type)),
        Err(e) => Err(e),
    };
    Ok(Json(match result {
        Ok(()) => json!({ "valid": true }),
        Err(e) => json!({ "valid": false, "errorMessage": e.to_string() }),
    }))
}
