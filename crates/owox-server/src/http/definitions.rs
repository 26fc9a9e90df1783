//! Data mart definitions as the storage sees them: checking a submitted definition, binding
//! it in the engine, discovering and saving its output schema, and publishing in one go.

use std::sync::Arc;

use owox_storage::{DefinitionRef, Storage};
use serde_json::Value;

use crate::engines::storage_error;
use crate::error::ApiError;
use crate::output_schema::{schema_type_for, OutputSchema};
use crate::state::AppState;
use crate::store::{json_column, DataMartChange, DataMartRow, StorageRow};

const DEFINITION_TYPES: &[&str] = &["SQL", "TABLE", "VIEW", "TABLE_PATTERN", "CONNECTOR"];

/// Checks a `{definitionType, definition}` body and returns them.
pub fn parse_definition(
    body: &serde_json::Map<String, Value>,
    storage_type: &str,
) -> Result<(String, Value), ApiError> {
    let definition_type = body.get("definitionType").and_then(Value::as_str);
    let mut errors = Vec::new();
    if !definition_type.is_some_and(|t| DEFINITION_TYPES.contains(&t)) {
        errors.push(format!(
            "definitionType must be one of the following values: {}",
            DEFINITION_TYPES.join(", ")
        ));
    }
    if !body.get("definition").is_some_and(Value::is_object) {
        errors.push("definition must be an object".into());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let definition_type = definition_type.unwrap_or_default().to_string();
    let definition = body["definition"].clone();
    let key = match definition_type.as_str() {
        "SQL" => "sqlQuery",
        "TABLE" | "VIEW" => "fullyQualifiedName",
        other => {
            return Err(ApiError::business(format!(
                "Definition type {other} is not supported by {storage_type} storages"
            )))
        }
    };
    let only_key = definition.as_object().is_some_and(|o| o.len() == 1);
    match definition.get(key).and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() && only_key => Ok((definition_type, definition)),
        _ => Err(ApiError::business(format!(
            "Invalid {definition_type} definition: expected {{\"{key}\": non-empty string}}"
        ))),
    }
}

pub fn definition_ref<'a>(
    definition_type: &str,
    definition: &'a Value,
) -> Option<DefinitionRef<'a>> {
    match definition_type {
        "SQL" => definition.get("sqlQuery")?.as_str().map(DefinitionRef::Sql),
        "TABLE" => definition
            .get("fullyQualifiedName")?
            .as_str()
            .map(DefinitionRef::Table),
        "VIEW" => definition
            .get("fullyQualifiedName")?
            .as_str()
            .map(DefinitionRef::View),
        _ => None,
    }
}

/// The stored definition of a row, as the storage sees it.
pub fn stored_definition(row: &DataMartRow) -> Option<(String, Value)> {
    Some((
        row.definition_type.clone()?,
        json_column(row.definition.as_deref())?,
    ))
}

/// Runs the engine's statement check on a definition (it binds or prepares it, never runs it).
pub async fn check_statement(
    engine: &dyn Storage,
    definition_type: &str,
    definition: &Value,
) -> Result<(), owox_storage::StorageError> {
    let def = definition_ref(definition_type, definition).ok_or_else(|| {
        owox_storage::StorageError::InvalidDefinition("Unsupported definition".into())
    })?;
    engine.source_sql(def).await.map(|_| ())
}

/// Discovers the live schema of a definition and merges it into the saved one.
pub async fn discover(
    engine: &Arc<dyn Storage>,
    definition_type: &str,
    definition: &Value,
    saved: Option<&str>,
) -> Result<OutputSchema, owox_storage::StorageError> {
    let def = definition_ref(definition_type, definition).ok_or_else(|| {
        owox_storage::StorageError::InvalidDefinition("Unsupported definition".into())
    })?;
    let live = engine.describe(def).await?;
    let schema_type = schema_type_for(engine.storage_type());
    let saved = saved
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .and_then(|v| OutputSchema::parse(&v, schema_type).ok());
    Ok(OutputSchema::merge(saved.as_ref(), &live, schema_type))
}

pub async fn save_schema(
    state: &AppState,
    project_id: &str,
    id: &str,
    schema: &OutputSchema,
) -> Result<(), ApiError> {
    let text = serde_json::to_string(schema).map_err(anyhow::Error::from)?;
    state
        .store
        .update_data_mart(
            project_id,
            id,
            DataMartChange::Schema {
                schema: &text,
                actualized: true,
            },
        )
        .await?;
    Ok(())
}

/// Sets a draft's description and definition, discovers its schema and publishes it, in one
/// go (the demo generator's path; the API does the same in separate requests).
pub async fn publish_definition(
    state: &AppState,
    row: &DataMartRow,
    storage: &StorageRow,
    description: Option<&str>,
    definition_type: &str,
    definition: &Value,
) -> Result<(), ApiError> {
    let (project, id) = (row.project_id.as_str(), row.id.as_str());
    if description.is_some() {
        state
            .store
            .update_data_mart(project, id, DataMartChange::Description(description))
            .await?;
    }
    let text = definition.to_string();
    state
        .store
        .update_data_mart(
            project,
            id,
            DataMartChange::Definition {
                definition_type,
                definition: &text,
            },
        )
        .await?;
    let engine = state.engines.get(storage).await?;
    let schema = discover(&engine, definition_type, definition, None)
        .await
        .map_err(|e| storage_error(e, &storage.storage_type))?;
    save_schema(state, project, id, &schema).await?;
    state
        .store
        .update_data_mart(project, id, DataMartChange::Published)
        .await?;
    Ok(())
}
