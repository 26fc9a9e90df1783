use owox_contract::http_data::AggregateFunction::{self, *};
use serde_json::json;

use super::*;
use crate::blend::graph::tests::{edge, inputs, mart};
use crate::blend::{BlendError, BlendedFieldsConfig, MartState};
use crate::output_schema::{OutputSchema, DUCKDB_SCHEMA_TYPE};

fn schema(fields: serde_json::Value) -> Option<OutputSchema> {
    Some(
        OutputSchema::parse(
            &json!({"type": DUCKDB_SCHEMA_TYPE, "fields": fields}),
            DUCKDB_SCHEMA_TYPE,
        )
        .unwrap(),
    )
}

/// orders → customers → countries, each with a schema.
fn chain() -> BlendInputs {
    use MartState::Published;
    let mut i = inputs(
        vec![
            edge("r1", "orders", "customers", "customers", true),
            edge("r2", "customers", "countries", "country", true),
        ],
        vec![
            mart("orders", Published, true),
            mart("customers", Published, true),
            mart("countries", Published, true),
        ],
    );
    i.marts.get_mut("customers").unwrap().schema = schema(json!([
        {"name": "k", "type": "BIGINT"},
        {"name": "name", "type": "VARCHAR"},
        {"name": "signed_up", "type": "DATE"},
        {"name": "secret", "type": "VARCHAR", "isHiddenForReporting": true},
        {"name": "gone", "type": "VARCHAR", "status": "DISCONNECTED"},
    ]));
    i.marts.get_mut("countries").unwrap().schema = schema(json!([
        {"name": "k", "type": "BIGINT"},
        {"name": "name", "type": "VARCHAR"},
        {"name": "population", "type": "DECIMAL"},
    ]));
    i
}

fn names(i: &BlendInputs) -> Vec<String> {
    i.visible_fields()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect()
}

#[test]
fn unified_names_types_and_dedup_functions() {
    let i = chain();
    let fields = i.visible_fields().unwrap();
    let got: Vec<(&str, &str, &str, AggregateFunction, u32)> = fields
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.field_name.as_str(),
                f.effective_type.as_str(),
                f.aggregate_function,
                f.depth,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("customers__k", "k", "BIGINT", Sum, 1),
            ("customers__name", "name", "STRING", StringAgg, 1),
            ("customers__signed_up", "signed_up", "DATE", Max, 1),
            ("customers_country__k", "k", "BIGINT", Sum, 2),
            ("customers_country__name", "name", "STRING", StringAgg, 2),
            (
                "customers_country__population",
                "population",
                "DECIMAL",
                Sum,
                2
            ),
        ]
    );
    assert_eq!(fields[4].alias_path, "customers.country");
    assert_eq!(fields[4].target_data_mart_id, "countries");
    assert_eq!(fields[4].relationship_id, "r2");
    assert_eq!(fields[4].field_type, "VARCHAR");
    assert_eq!(fields[1].compiler_field().type_name, "STRING");
}

#[test]
fn overrides_hide_alias_and_change_the_dedup_function() {
    let mut i = chain();
    i.config = BlendedFieldsConfig::from_value(&json!({"sources": [
        {"path": "customers", "alias": "Buyers", "fields": {
            "name": {"isHidden": true},
            "k": {"aggregateFunction": "COUNT_DISTINCT", "alias": "Buyers", "postJoinAggregations": ["SUM"]}
        }},
        {"path": "customers.country", "alias": "Land", "fields": {"name": {"aggregateFunction": "ANY_VALUE"}}}
    ]}));
    let fields = i.visible_fields().unwrap();
    let k = &fields[0];
    assert_eq!(
        (
            k.name.as_str(),
            k.aggregate_function,
            k.effective_type.as_str()
        ),
        ("customers__k", CountDistinct, "INTEGER")
    );
    assert_eq!(k.alias.as_deref(), Some("Buyers"));
    assert_eq!(k.post_join_aggregations, Some(vec![Sum]));
    assert!(!names(&i).contains(&"customers__name".to_string()));
    let name = fields
        .iter()
        .find(|f| f.name == "customers_country__name")
        .unwrap();
    assert_eq!(
        (name.aggregate_function, name.effective_type.as_str()),
        (AnyValue, "VARCHAR")
    );
}

#[test]
fn excluded_sources_go_with_their_subtree() {
    let mut i = chain();
    i.config = BlendedFieldsConfig::from_value(&json!({"sources": [
        {"path": "customers", "alias": "Buyers", "isExcluded": true}
    ]}));
    assert!(names(&i).is_empty());
    i.config = BlendedFieldsConfig::from_value(&json!({"sources": [
        {"path": "customers.country", "alias": "Land", "isExcluded": true}
    ]}));
    assert_eq!(
        names(&i),
        ["customers__k", "customers__name", "customers__signed_up"]
    );
}

#[test]
fn access_is_needed_on_the_target_and_every_ancestor() {
    let mut i = chain();
    i.marts.get_mut("countries").unwrap().caller_can_use = false;
    assert_eq!(names(&i).len(), 3);
    i.marts.get_mut("countries").unwrap().caller_can_use = true;
    i.marts.get_mut("customers").unwrap().caller_can_use = false;
    assert!(names(&i).is_empty());
}

#[test]
fn drafts_missing_conditions_cycles_and_deleted_targets() {
    let mut i = chain();
    i.marts.get_mut("countries").unwrap().state = MartState::Draft;
    assert_eq!(names(&i).len(), 3, "a draft target is not blended");
    i.marts.get_mut("countries").unwrap().state = MartState::Published;
    i.edges[0].join_conditions.clear();
    assert!(names(&i).is_empty(), "no conditions: the subtree goes too");
    let mut i = chain();
    i.edges
        .push(edge("r3", "countries", "orders", "orders", true));
    assert_eq!(
        names(&i).len(),
        6,
        "the cycle back to the root adds nothing"
    );
    i.marts.get_mut("countries").unwrap().state = MartState::Deleted;
    assert!(matches!(
        i.visible_fields(),
        Err(BlendError::TargetDeleted { ref relationship_id, .. }) if relationship_id == "r2"
    ));
}

#[test]
fn default_dedup_functions() {
    assert_eq!(default_dedup_function("DECIMAL"), Sum);
    assert_eq!(default_dedup_function("DOUBLE PRECISION"), Sum);
    assert_eq!(default_dedup_function("TIMESTAMPTZ"), Max);
    assert_eq!(default_dedup_function("TIME"), Max);
    assert_eq!(default_dedup_function("BOOLEAN"), StringAgg);
    assert_eq!(default_dedup_function("JSON"), StringAgg);
    assert_eq!(default_dedup_function("VARCHAR"), StringAgg);
}
