//! Data mart output schemas (`schema`): the stored JSON shape, the merge of a freshly
//! discovered schema into the saved one (domain.md §3.2), and the fields the query compiler sees.

use owox_storage::DiscoveredField;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The schema `type` of data marts on the embedded DuckDB storage.
pub const DUCKDB_SCHEMA_TYPE: &str = "duckdb-data-mart-schema";
/// The schema `type` of data marts on a PostgreSQL storage.
pub const POSTGRES_SCHEMA_TYPE: &str = "postgres-data-mart-schema";

/// The schema `type` of data marts on a storage of `storage_type`.
pub fn schema_type_for(storage_type: &str) -> &'static str {
    match storage_type {
        "POSTGRES" => POSTGRES_SCHEMA_TYPE,
        _ => DUCKDB_SCHEMA_TYPE,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputSchema {
    #[serde(rename = "type")]
    pub schema_type: String,
    pub fields: Vec<SchemaField>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchemaField {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub is_primary_key: bool,
    #[serde(default)]
    pub is_hidden_for_reporting: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation_role: Option<AggregationRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_aggregations: Option<Vec<owox_contract::http_data::AggregateFunction>>,
    #[serde(default = "connected")]
    pub status: FieldStatus,
}

fn connected() -> FieldStatus {
    FieldStatus::Connected
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AggregationRole {
    Dimension,
    Metric,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldStatus {
    Connected,
    ConnectedWithDefinitionMismatch,
    Disconnected,
}

impl OutputSchema {
    /// Parses a stored or submitted schema; the message says what is wrong.
    pub fn parse(value: &Value, expected_type: &str) -> Result<Self, String> {
        let schema: Self = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        if schema.schema_type != expected_type {
            return Err(format!(
                "schema.type must be {expected_type:?} for this storage, got {:?}",
                schema.schema_type
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for field in &schema.fields {
            if field.name.is_empty() {
                return Err("schema field names must not be empty".into());
            }
            if !seen.insert(field.name.as_str()) {
                return Err(format!("schema field {:?} appears twice", field.name));
            }
        }
        Ok(schema)
    }

    /// Merges the live columns into the saved schema: user metadata is kept for fields matched
    /// by name; a changed type marks the field `CONNECTED_WITH_DEFINITION_MISMATCH` (and takes
    /// the new type); saved fields the source no longer has become `DISCONNECTED`; new columns
    /// are appended.
    pub fn merge(
        saved: Option<&OutputSchema>,
        live: &[DiscoveredField],
        schema_type: &str,
    ) -> OutputSchema {
        let mut fields: Vec<SchemaField> = Vec::new();
        if let Some(saved) = saved {
            for field in &saved.fields {
                let mut field = field.clone();
                match live.iter().find(|l| l.name == field.name) {
                    Some(l) if l.type_name == field.field_type => {
                        field.status = FieldStatus::Connected
                    }
                    Some(l) => {
                        field.field_type = l.type_name.clone();
                        field.status = FieldStatus::ConnectedWithDefinitionMismatch;
                    }
                    None => field.status = FieldStatus::Disconnected,
                }
                fields.push(field);
            }
        }
        for l in live {
            if !fields.iter().any(|f| f.name == l.name) {
                fields.push(SchemaField {
                    name: l.name.clone(),
                    field_type: l.type_name.clone(),
                    alias: None,
                    description: None,
                    is_primary_key: false,
                    is_hidden_for_reporting: false,
                    aggregation_role: None,
                    allowed_aggregations: None,
                    status: FieldStatus::Connected,
                });
            }
        }
        OutputSchema {
            schema_type: schema_type.to_string(),
            fields,
        }
    }

    /// The reportable fields as the query compiler sees them: hidden and disconnected fields
    /// left out, in schema order.
    pub fn compiler_fields(&self) -> Vec<owox_query::Field> {
        self.fields
            .iter()
            .filter(|f| !f.is_hidden_for_reporting && f.status != FieldStatus::Disconnected)
            .map(|f| owox_query::Field {
                name: f.name.clone(),
                type_name: f.field_type.clone(),
                allowed_aggregations: f.allowed_aggregations.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(name: &str, t: &str) -> DiscoveredField {
        DiscoveredField {
            name: name.into(),
            type_name: t.into(),
            native_type: t.into(),
        }
    }

    #[test]
    fn merge_keeps_metadata_and_marks_status() {
        let first = OutputSchema::merge(
            None,
            &[live("a", "BIGINT"), live("b", "VARCHAR")],
            DUCKDB_SCHEMA_TYPE,
        );
        assert!(first
            .fields
            .iter()
            .all(|f| f.status == FieldStatus::Connected));
        let mut saved = first.clone();
        saved.fields[0].alias = Some("Alpha".into());
        saved.fields[1].description = Some("kept".into());
        let merged = OutputSchema::merge(
            Some(&saved),
            &[live("a", "DOUBLE"), live("c", "DATE")],
            DUCKDB_SCHEMA_TYPE,
        );
        let names: Vec<&str> = merged.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            merged.fields[0].status,
            FieldStatus::ConnectedWithDefinitionMismatch
        );
        assert_eq!(merged.fields[0].field_type, "DOUBLE");
        assert_eq!(merged.fields[0].alias.as_deref(), Some("Alpha"));
        assert_eq!(merged.fields[1].status, FieldStatus::Disconnected);
        assert_eq!(merged.fields[1].description.as_deref(), Some("kept"));
        assert_eq!(merged.fields[2].status, FieldStatus::Connected);
        let fields = merged.compiler_fields();
        assert_eq!(fields.len(), 2, "disconnected fields are not reportable");
    }

    #[test]
    fn parse_checks_type_and_names() {
        let ok = serde_json::json!({"type": DUCKDB_SCHEMA_TYPE, "fields": [{"name": "a", "type": "BIGINT"}]});
        let schema = OutputSchema::parse(&ok, DUCKDB_SCHEMA_TYPE).unwrap();
        assert_eq!(schema.fields[0].status, FieldStatus::Connected);
        let wrong_type = serde_json::json!({"type": "bigquery-data-mart-schema", "fields": []});
        assert!(OutputSchema::parse(&wrong_type, DUCKDB_SCHEMA_TYPE).is_err());
        let dup = serde_json::json!({"type": DUCKDB_SCHEMA_TYPE, "fields": [{"name": "a", "type": "X"}, {"name": "a", "type": "X"}]});
        assert!(OutputSchema::parse(&dup, DUCKDB_SCHEMA_TYPE).is_err());
        let unknown = serde_json::json!({"type": DUCKDB_SCHEMA_TYPE, "fields": [{"name": "a", "type": "X", "color": 1}]});
        assert!(OutputSchema::parse(&unknown, DUCKDB_SCHEMA_TYPE).is_err());
    }
}
