//! A data mart's `blendedFieldsConfig` and its blendable schema: its own fields, the fields of
//! the data marts joined through its relationships, and those sources (domain.md §1.4).

use axum::extract::{Path, Query, State};
use axum::Json;
use owox_contract::resources::{
    AvailableSource, BlendableSchema, BlendedField, DataMart, UniqueCountAvailability,
};
use owox_query::{allowed_aggregations, blended_field_name, effective_type};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Auth, Editor, Viewer};
use crate::blend::fields::offered_fields;
use crate::blend::load::{load_blend_inputs, stored_schema};
use crate::blend::{config, default_dedup_function, BlendInputs, JoinedSource};
use crate::error::ApiError;
use crate::http::body::{JsonObject, Validator};
use crate::http::data_marts::{full, load};
use crate::output_schema::{FieldStatus, OutputSchema};
use crate::state::AppState;
use crate::store::DataMartChange;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(update_blended_fields_config))
        .routes(routes!(blendable_schema))
}

/// Update DataMart blended fields config
#[utoipa::path(
    put,
    path = "/api/data-marts/{id}/blended-fields-config",
    operation_id = "DataMartController_updateBlendedFieldsConfig",
    tag = "DataMarts",
    params(("id" = String, Path, description = "DataMart ID")),
    request_body(content = Object, description = "`{blendedFieldsConfig: {sources: [{path, alias, isExcluded?, description?, fields?: {<field>: {alias?, isHidden?, aggregateFunction?, postJoinAggregations?}}}]} | null}`; `null` clears it"),
    security(("X-OWOX-Authorization" = ["editor"])),
    responses(
        (status = 200, description = "", body = DataMart),
        (status = 400, description = "Invalid configuration"),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn update_blended_fields_config(
    State(state): State<AppState>,
    caller: Auth<Editor>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<DataMart>, ApiError> {
    let loaded = load(&state, &caller, &id).await?;
    if !loaded.actions.edit {
        return Err(ApiError::forbidden(format!(
            "Access to Data Mart {id} is not allowed"
        )));
    }
    let mut v = Validator::new(body, &["blendedFieldsConfig"]);
    let stored = match v.peek("blendedFieldsConfig").cloned() {
        None | Some(Value::Null) => None,
        Some(value) => match config::validate(&value) {
            Ok(normalized) => Some(normalized.to_string()),
            Err(errors) => {
                errors.into_iter().for_each(|e| v.error(e));
                None
            }
        },
    };
    v.finish()?;
    state
        .store
        .update_data_mart(
            &caller.project_id,
            &id,
            DataMartChange::BlendedFieldsConfig(stored.as_deref()),
        )
        .await?;
    let loaded = load(&state, &caller, &id).await?;
    Ok(Json(full(&state, &loaded.row, &loaded.storage).await?))
}

/// Get blendable schema for a DataMart
///
/// Returns native fields, blended fields pulled from joined DataMarts, and the list of
/// available sources reachable via relationships.
#[utoipa::path(
    get,
    path = "/api/data-marts/{id}/blendable-schema",
    operation_id = "DataMartController_getBlendableSchema",
    tag = "DataMarts",
    params(
        ("id" = String, Path, description = "DataMart ID"),
        ("includeDraftTargets" = Option<bool>, Query, description = "Include draft relationship targets and disconnected target fields for configuration. Reporting consumers should keep the default so only published targets and report-eligible fields are returned."),
    ),
    security(("X-OWOX-Authorization" = ["viewer"])),
    responses(
        (status = 200, description = "", body = BlendableSchema),
        (status = 400, description = "Invalid query, or a relationship targets a deleted data mart"),
        (status = 404, description = "Data mart not found"),
    )
)]
async fn blendable_schema(
    State(state): State<AppState>,
    caller: Auth<Viewer>,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Json<BlendableSchema>, ApiError> {
    let mut errors = Vec::new();
    let mut include_drafts = false;
    for (key, value) in &query {
        match (key.as_str(), value.as_str()) {
            ("includeDraftTargets", "true") => include_drafts = true,
            ("includeDraftTargets", "false") => include_drafts = false,
            ("includeDraftTargets", _) => {
                errors.push("includeDraftTargets must be a boolean value".to_string())
            }
            (other, _) => errors.push(format!("property {other} should not exist")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let loaded = load(&state, &caller, &id).await?;
    let inputs = load_blend_inputs(&state.store, &caller, &loaded.row).await?;
    let sources = inputs.sources(include_drafts)?;
    let root = stored_schema(&loaded.row);
    let mut schema = BlendableSchema {
        native_fields: root
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| !f.is_hidden_for_reporting)
            .filter_map(|f| serde_json::to_value(f).ok())
            .collect(),
        native_description: loaded.row.description.clone(),
        blended_fields: Vec::new(),
        available_sources: Vec::new(),
        main_unique_count_key_fields: unique_count_keys(root.as_ref()).1,
        calculated_field_issues: Vec::new(),
        hidden_field_names: root
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.is_hidden_for_reporting && f.status != FieldStatus::Disconnected)
            .map(|f| f.name.clone())
            .collect(),
    };
    for source in &sources {
        add_source(&mut schema, &inputs, source, include_drafts);
    }
    Ok(Json(schema))
}

/// Adds one joined source: its fields (those hidden by an override included, marked), its
/// entry in `availableSources`, and the names hidden on it.
fn add_source(
    schema: &mut BlendableSchema,
    inputs: &BlendInputs,
    source: &JoinedSource,
    include_disconnected: bool,
) {
    let Some(mart) = inputs.marts.get(&source.target_data_mart_id) else {
        return;
    };
    let entry = inputs
        .config
        .as_ref()
        .and_then(|c| c.source(&source.alias_path));
    let prefix = entry.map_or_else(|| mart.title.clone(), |e| e.alias.clone());
    let target = mart.schema.as_ref();
    let mut count = 0;
    for f in offered_fields(target, include_disconnected) {
        let over = entry.and_then(|e| e.fields.get(&f.name));
        let function = over
            .and_then(|o| o.aggregate_function)
            .unwrap_or_else(|| default_dedup_function(&f.field_type));
        let effective = effective_type(&f.field_type, function);
        let allowed = allowed_aggregations(&owox_query::Field {
            name: f.name.clone(),
            type_name: effective.clone(),
            allowed_aggregations: over.and_then(|o| o.post_join_aggregations.clone()),
        });
        let name = blended_field_name(&source.alias_path, &f.name);
        let is_hidden = over.and_then(|o| o.is_hidden).unwrap_or(false);
        if is_hidden {
            schema.hidden_field_names.push(name.clone());
        }
        schema.blended_fields.push(BlendedField {
            name,
            source_relationship_id: source.relationship_id.clone(),
            source_data_mart_id: mart.id.clone(),
            source_data_mart_title: mart.title.clone(),
            target_alias: source.target_alias.clone(),
            original_field_name: f.name.clone(),
            field_type: effective,
            source_field_type: f.field_type.clone(),
            alias: over
                .and_then(|o| o.alias.clone())
                .or_else(|| f.alias.clone())
                .unwrap_or_default(),
            description: f.description.clone().unwrap_or_default(),
            is_hidden,
            is_calculated: false,
            aggregate_function: function,
            post_join_aggregations: Some(allowed),
            transitive_depth: source.depth,
            alias_path: source.alias_path.clone(),
            output_prefix: prefix.clone(),
        });
        count += 1;
    }
    schema.hidden_field_names.extend(
        target
            .iter()
            .flat_map(|s| &s.fields)
            .filter(|f| f.is_hidden_for_reporting && f.status != FieldStatus::Disconnected)
            .map(|f| blended_field_name(&source.alias_path, &f.name)),
    );
    let (availability, keys) = unique_count_keys(target);
    schema.available_sources.push(AvailableSource {
        alias_path: source.alias_path.clone(),
        title: mart.title.clone(),
        description: mart.description.clone(),
        join_description: entry.and_then(|e| e.description.clone()).or_else(|| {
            inputs
                .edges
                .get(source.edge)
                .and_then(|e| e.description.clone())
        }),
        default_alias: prefix,
        depth: source.depth,
        field_count: count,
        is_included: !source.is_excluded,
        relationship_id: source.relationship_id.clone(),
        data_mart_id: mart.id.clone(),
        is_accessible_for_reporting: source.is_accessible,
        unique_count_availability: availability,
        unique_count_key_fields: keys,
    });
}

/// Whether a data mart's primary key can count distinct rows, and its columns (schema order;
/// empty unless available).
fn unique_count_keys(schema: Option<&OutputSchema>) -> (UniqueCountAvailability, Vec<String>) {
    let keys: Vec<_> = schema
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| f.is_primary_key)
        .collect();
    if keys.is_empty() {
        (UniqueCountAvailability::NoPrimaryKey, vec![])
    } else if keys.iter().any(|f| f.status == FieldStatus::Disconnected) {
        (UniqueCountAvailability::DisconnectedPrimaryKey, vec![])
    } else {
        (
            UniqueCountAvailability::Available,
            keys.iter().map(|f| f.name.clone()).collect(),
        )
    }
}
