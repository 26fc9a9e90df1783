//! The web client's asynchronous trigger protocol (domain.md §3.4) for SQL dry runs and
//! schema refreshes: `POST` answers 201 `{triggerId}` and the job starts at once in a task;
//! `GET …/status` tells where it is; `GET …/{triggerId}` hands the result over once (the row
//! is deleted on that read), answers 408 until there is one; `DELETE` cancels. Triggers
//! belong to their creator and expire after an hour.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use owox_storage::DefinitionRef;

use crate::auth::{Auth, Caller, Viewer};
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::http::data_marts::load;
use crate::http::definitions::{definition_ref, discover, save_schema, stored_definition};
use crate::state::AppState;
use crate::store::{TriggerKey, TriggerRow};

const SQL_DRY_RUN: &str = "SQL_DRY_RUN";
const SCHEMA_ACTUALIZE: &str = "SCHEMA_ACTUALIZE";
/// How long a trigger and its result are kept.
const TTL: chrono::Duration = chrono::Duration::hours(1);
/// The macro a dry-run SQL may use for the data mart's own source.
const DATA_MART_TABLE: &str = "${DATA_MART_TABLE}";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_sql_dry_run))
        .routes(routes!(sql_dry_run_status))
        .routes(routes!(sql_dry_run_result, cancel_sql_dry_run))
        .routes(routes!(create_schema_actualize))
        .routes(routes!(schema_actualize_status))
        .routes(routes!(schema_actualize_result, cancel_schema_actualize))
}

fn key<'a>(
    caller: &'a Caller,
    data_mart_id: &'a str,
    kind: &'a str,
    id: &'a str,
) -> TriggerKey<'a> {
    TriggerKey {
        project_id: &caller.project_id,
        data_mart_id,
        kind,
        created_by_id: &caller.user_id,
        id,
    }
}

/// Checks EDIT on the mart, stores a READY trigger and starts its job.
async fn create(
    state: &AppState,
    caller: &Caller,
    data_mart_id: &str,
    kind: &'static str,
    request: Value,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let loaded = load(state, caller, data_mart_id).await?;
    if !loaded.actions.edit {
        return Err(ApiError::forbidden(format!(
            "Access to Data Mart {data_mart_id} is not allowed"
        )));
    }
    state
        .store
        .delete_expired_triggers(Utc::now() - TTL)
        .await?;
    let id = uuid::Uuid::new_v4().to_string();
    state
        .store
        .insert_trigger(&key(caller, data_mart_id, kind, &id), &request.to_string())
        .await?;
    let job = Job {
        state: state.clone(),
        caller: caller.clone(),
        data_mart_id: data_mart_id.to_string(),
        trigger_id: id.clone(),
    };
    tokio::spawn(async move {
        if let Err(e) = job.run(kind, request).await {
            tracing::error!(trigger = %job.trigger_id, error = %format!("{e:#}"), "trigger job failed");
        }
    });
    Ok((StatusCode::CREATED, Json(json!({ "triggerId": id }))))
}

/// The trigger of this caller, or 404.
async fn find(
    state: &AppState,
    caller: &Caller,
    data_mart_id: &str,
    kind: &str,
    id: &str,
) -> Result<TriggerRow, ApiError> {
    state
        .store
        .get_trigger(&key(caller, data_mart_id, kind, id), Utc::now() - TTL)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("Trigger with id {id} not found")))
}

async fn status(
    state: &AppState,
    caller: &Caller,
    data_mart_id: &str,
    kind: &str,
    id: &str,
) -> Result<Json<Value>, ApiError> {
    let trigger = find(state, caller, data_mart_id, kind, id).await?;
    Ok(Json(json!({ "status": trigger.status })))
}

/// Hands the result over once: SUCCESS → 200 with it, ERROR → 400 with it, CANCELLED → 400;
/// each deletes the trigger. Anything else → 408.
async fn result(
    state: &AppState,
    caller: &Caller,
    data_mart_id: &str,
    kind: &str,
    id: &str,
) -> Result<Json<Value>, ApiError> {
    let trigger = find(state, caller, data_mart_id, kind, id).await?;
    let stored = || -> Value {
        trigger
            .response
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_else(|| json!({}))
    };
    match trigger.status.as_str() {
        "SUCCESS" | "ERROR" | "CANCELLED" => {
            // Whoever deletes the row is the one reader of the result.
            if !state.store.delete_trigger(&trigger.id).await? {
                return Err(ApiError::not_found(format!(
                    "Trigger with id {id} not found"
                )));
            }
        }
        _ => {
            return Err(ApiError::Plain {
                status: StatusCode::REQUEST_TIMEOUT,
                message: "Trigger response is not ready".into(),
            })
        }
    }
    match trigger.status.as_str() {
        "SUCCESS" => Ok(Json(stored())),
        "ERROR" => Err(ApiError::Object {
            status: StatusCode::BAD_REQUEST,
            body: match stored() {
                Value::Object(map) => map,
                other => Map::from_iter([("message".to_string(), other)]),
            },
        }),
        _ => Err(ApiError::bad_request("Request was cancelled by user")),
    }
}

/// READY/PROCESSING → CANCELLING (the job then ends it CANCELLED), IDLE or SUCCESS → removed,
/// anything else → 400.
async fn cancel(
    state: &AppState,
    caller: &Caller,
    data_mart_id: &str,
    kind: &str,
    id: &str,
) -> Result<StatusCode, ApiError> {
    let trigger = find(state, caller, data_mart_id, kind, id).await?;
    let done = match trigger.status.as_str() {
        "IDLE" | "SUCCESS" => state.store.delete_trigger(&trigger.id).await?,
        "READY" | "PROCESSING" => {
            state
                .store
                .move_trigger(&trigger.id, &["READY", "PROCESSING"], "CANCELLING", None)
                .await?
        }
        _ => false,
    };
    if done {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::bad_request(
            "Request can't be cancelled at current state",
        ))
    }
}

/// One trigger's job, run at once on this instance.
struct Job {
    state: AppState,
    caller: Caller,
    data_mart_id: String,
    trigger_id: String,
}

impl Job {
    async fn run(&self, kind: &str, request: Value) -> anyhow::Result<()> {
        let store = &self.state.store;
        if !store
            .move_trigger(&self.trigger_id, &["READY"], "PROCESSING", None)
            .await?
        {
            // Cancelled before it started.
            store
                .move_trigger(&self.trigger_id, &["CANCELLING"], "CANCELLED", None)
                .await?;
            return Ok(());
        }
        let outcome = match kind {
            SQL_DRY_RUN => {
                self.dry_run(request["sql"].as_str().unwrap_or_default())
                    .await
            }
            _ => self.actualize().await,
        };
        let (status, response) = match outcome {
            Ok(response) => ("SUCCESS", response),
            Err(e) => {
                tracing::warn!(trigger = %self.trigger_id, error = %e, "trigger ended in ERROR");
                (
                    "ERROR",
                    json!({ "statusCode": 400, "message": e.to_string() }),
                )
            }
        };
        let text = response.to_string();
        if !store
            .move_trigger(&self.trigger_id, &["PROCESSING"], status, Some(&text))
            .await?
        {
            store
                .move_trigger(&self.trigger_id, &["CANCELLING"], "CANCELLED", None)
                .await?;
        }
        Ok(())
    }

    /// `{isValid, error?}`: the SQL is prepared by the storage (never run).
    async fn dry_run(&self, sql: &str) -> Result<Value, ApiError> {
        let loaded = load(&self.state, &self.caller, &self.data_mart_id).await?;
        let engine = match self.state.engines.get(&loaded.storage).await {
            Ok(engine) => engine,
            Err(_) => {
                return Ok(json!({
                    "isValid": false,
                    "error": "Storage setup is not finished. Please configure the storage first."
                }))
            }
        };
        let sql = if sql.contains(DATA_MART_TABLE) {
            let Some((definition_type, definition)) = stored_definition(&loaded.row) else {
                return Ok(json!({
                    "isValid": false,
                    "error": "The data mart has no definition to stand for ${DATA_MART_TABLE}"
                }));
            };
            let def = definition_ref(&definition_type, &definition)
                .ok_or_else(|| ApiError::business("Unsupported definition"))?;
            match engine.source_sql(def).await {
                Ok(source) => sql.replace(DATA_MART_TABLE, &format!("({source})")),
                Err(e) => return Ok(json!({ "isValid": false, "error": e.to_string() })),
            }
        } else {
            sql.to_string()
        };
        Ok(match engine.source_sql(DefinitionRef::Sql(&sql)).await {
            Ok(_) => json!({ "isValid": true }),
            Err(owox_storage::StorageError::Internal(e)) => {
                return Err(ApiError::Internal(anyhow::anyhow!(e)))
            }
            Err(e) => json!({ "isValid": false, "error": e.to_string() }),
        })
    }

    /// `{success, error?}`: discovers the live schema and merges it into the saved one.
    async fn actualize(&self) -> Result<Value, ApiError> {
        let loaded = load(&self.state, &self.caller, &self.data_mart_id).await?;
        let Some((definition_type, definition)) = stored_definition(&loaded.row) else {
            return Ok(json!({ "success": false, "error": "DataMart has no definition" }));
        };
        let engine = self.state.engines.get(&loaded.storage).await?;
        match discover(
            &engine,
            &definition_type,
            &definition,
            loaded.row.output_schema.as_deref(),
        )
        .await
        {
            Ok(schema) => {
                save_schema(
                    &self.state,
                    &self.caller.project_id,
                    &self.data_mart_id,
                    &schema,
                )
                .await?;
                Ok(json!({ "success": true }))
            }
            Err(owox_storage::StorageError::Internal(e)) => {
                Err(ApiError::Internal(anyhow::anyhow!(e)))
            }
            Err(e) => Ok(json!({ "success": false, "error": e.to_string() })),
        }
    }
}

/// Create a SQL dry run trigger
#[utoipa::path(
    post,
    path = "/api/data-marts/{dataMartId}/sql-dry-run-triggers",
    operation_id = "SqlDryRunTriggerController_createSqlDryRunTrigger",
    tag = "DataMarts",
    params(("dataMartId" = String, Path, description = "DataMart ID")),
    request_body(content = Object, description = "`{sql}`; `${DATA_MART_TABLE}` stands for the data mart's own source"),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 201, description = "Trigger created successfully: `{triggerId}`", body = Object),
        (status = 400, description = "Invalid body"),
        (status = 403, description = "The caller may not edit the data mart"),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn create_sql_dry_run(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(data_mart_id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut v = Validator::new(body, &["sql"]);
    let sql = v.required_string("sql", None);
    v.finish()?;
    let request = json!({ "sql": sql.unwrap_or_default() });
    create(&state, &caller, &data_mart_id, SQL_DRY_RUN, request).await
}

/// Get SQL dry run trigger status
#[utoipa::path(
    get,
    path = "/api/data-marts/{dataMartId}/sql-dry-run-triggers/{triggerId}/status",
    operation_id = "SqlDryRunTriggerController_getTriggerStatus",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "`{status}`: IDLE, READY, PROCESSING, SUCCESS, ERROR, CANCELLING or CANCELLED", body = Object), (status = 404, description = "Trigger not found"))
)]
async fn sql_dry_run_status(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    status(&state, &caller, &data_mart_id, SQL_DRY_RUN, &id).await
}

/// Get (and consume) the SQL dry run result
#[utoipa::path(
    get,
    path = "/api/data-marts/{dataMartId}/sql-dry-run-triggers/{triggerId}",
    operation_id = "SqlDryRunTriggerController_getTriggerResponse",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "`{isValid, error?}`", body = Object),
        (status = 400, description = "Trigger failed or was cancelled"),
        (status = 404, description = "Trigger not found"),
        (status = 408, description = "Trigger response is not ready"),
    )
)]
async fn sql_dry_run_result(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    result(&state, &caller, &data_mart_id, SQL_DRY_RUN, &id).await
}

/// Cancel a SQL dry run trigger
#[utoipa::path(
    delete,
    path = "/api/data-marts/{dataMartId}/sql-dry-run-triggers/{triggerId}",
    operation_id = "SqlDryRunTriggerController_abortTriggerRun",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Trigger cancellation accepted or trigger removed"),
        (status = 400, description = "Trigger can't be cancelled at current state"),
        (status = 404, description = "Trigger not found"),
    )
)]
async fn cancel_sql_dry_run(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    cancel(&state, &caller, &data_mart_id, SQL_DRY_RUN, &id).await
}

/// Create a schema refresh trigger
#[utoipa::path(
    post,
    path = "/api/data-marts/{dataMartId}/schema-actualize-triggers",
    operation_id = "SchemaActualizeTriggerController_createTrigger",
    tag = "DataMarts",
    params(("dataMartId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 201, description = "Trigger created: `{triggerId}`", body = Object),
        (status = 403, description = "The caller may not edit the data mart"),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn create_schema_actualize(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(data_mart_id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    create(&state, &caller, &data_mart_id, SCHEMA_ACTUALIZE, json!({})).await
}

/// Get schema refresh trigger status
#[utoipa::path(
    get,
    path = "/api/data-marts/{dataMartId}/schema-actualize-triggers/{triggerId}/status",
    operation_id = "SchemaActualizeTriggerController_getTriggerStatus",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses((status = 200, description = "`{status}`", body = Object), (status = 404, description = "Trigger not found"))
)]
async fn schema_actualize_status(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    status(&state, &caller, &data_mart_id, SCHEMA_ACTUALIZE, &id).await
}

/// Get (and consume) the schema refresh result
#[utoipa::path(
    get,
    path = "/api/data-marts/{dataMartId}/schema-actualize-triggers/{triggerId}",
    operation_id = "SchemaActualizeTriggerController_getTriggerResponse",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "`{success, error?}`", body = Object),
        (status = 400, description = "Trigger failed or was cancelled"),
        (status = 404, description = "Trigger not found"),
        (status = 408, description = "Trigger response is not ready"),
    )
)]
async fn schema_actualize_result(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    result(&state, &caller, &data_mart_id, SCHEMA_ACTUALIZE, &id).await
}

/// Cancel a schema refresh trigger
#[utoipa::path(
    delete,
    path = "/api/data-marts/{dataMartId}/schema-actualize-triggers/{triggerId}",
    operation_id = "SchemaActualizeTriggerController_abortTriggerRun",
    tag = "DataMarts",
    params(("dataMartId" = String, Path), ("triggerId" = String, Path)),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "Trigger cancellation accepted or trigger removed"),
        (status = 400, description = "Trigger can't be cancelled at current state"),
        (status = 404, description = "Trigger not found"),
    )
)]
async fn cancel_schema_actualize(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path((data_mart_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    cancel(&state, &caller, &data_mart_id, SCHEMA_ACTUALIZE, &id).await
}
