//! Which columns may be join keys of a relationship.

use owox_query::FieldCategory;

use super::JoinCondition;
use crate::output_schema::OutputSchema;

/// Types that cannot be join keys (the reference's list, with DuckDB's `LIST` and `UNION`).
const COMPLEX_TYPES: &[&str] = &[
    "RECORD", "STRUCT", "JSON", "RANGE", "INTERVAL", "VARIANT", "OBJECT", "ARRAY", "MAP", "ROW",
    "SUPER", "LIST", "UNION",
];

const BINARY_TYPES: &[&str] = &["BYTES", "BINARY", "VARBINARY", "BYTEA", "BLOB"];

/// The compatibility group of a type: keys of the same group may be joined.
fn group(type_name: &str) -> Option<u8> {
    let upper = type_name.to_ascii_uppercase();
    if BINARY_TYPES.contains(&upper.as_str()) {
        return Some(4);
    }
    match upper.as_str() {
        "INT64" | "FLOAT64" | "NUMBER" => return Some(0),
        "NVARCHAR" | "NCHAR" => return Some(1),
        "TIMESTAMP_LTZ" | "TIMESTAMP_TZ" => return Some(3),
        _ => {}
    }
    match FieldCategory::of(&upper) {
        FieldCategory::Number => Some(0),
        FieldCategory::String => Some(1),
        FieldCategory::Boolean => Some(2),
        FieldCategory::Date | FieldCategory::Time => Some(3),
        FieldCategory::Other => None,
    }
}

fn compatible(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || group(a).is_some_and(|g| group(b) == Some(g))
}

/// Checks join conditions against the two data marts' stored schemas: every field is a
/// top-level column (no `.`), exists in its schema (when the data mart has one), is not of a
/// complex type, and the two sides have compatible types. The message of the first failure.
pub fn check_join_conditions(
    conditions: &[JoinCondition],
    source: Option<&OutputSchema>,
    target: Option<&OutputSchema>,
) -> Result<(), String> {
    for c in conditions {
        for name in [&c.source_field_name, &c.target_field_name] {
            if name.contains('.') {
                return Err(format!(
                    "Join field \"{name}\" is not a top-level column: nested fields cannot be join keys"
                ));
            }
        }
        let find = |schema: Option<&OutputSchema>, name: &str| {
            schema.map(|s| {
                s.fields
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.field_type.clone())
            })
        };
        let source_type = find(source, &c.source_field_name);
        let target_type = find(target, &c.target_field_name);
        if let Some(None) = source_type {
            return Err(format!(
                "Field not found in schema: {}",
                c.source_field_name
            ));
        }
        if let Some(None) = target_type {
            return Err(format!(
                "Field not found in schema: {}",
                c.target_field_name
            ));
        }
        let (Some(Some(st)), Some(Some(tt))) = (source_type, target_type) else {
            continue;
        };
        for (name, t) in [(&c.source_field_name, &st), (&c.target_field_name, &tt)] {
            if COMPLEX_TYPES.contains(&t.to_ascii_uppercase().as_str()) {
                return Err(format!(
                    "Field \"{name}\" has complex type \"{t}\" which cannot be used in join conditions"
                ));
            }
        }
        if !compatible(&st, &tt) {
            return Err(format!(
                "Incompatible types: \"{}\" ({st}) and \"{}\" ({tt})",
                c.source_field_name, c.target_field_name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output_schema::DUCKDB_SCHEMA_TYPE;

    fn schema(fields: &[(&str, &str)]) -> OutputSchema {
        let fields: Vec<_> = fields
            .iter()
            .map(|(n, t)| serde_json::json!({"name": n, "type": t}))
            .collect();
        OutputSchema::parse(
            &serde_json::json!({"type": DUCKDB_SCHEMA_TYPE, "fields": fields}),
            DUCKDB_SCHEMA_TYPE,
        )
        .unwrap()
    }

    fn on(s: &str, t: &str) -> Vec<JoinCondition> {
        vec![JoinCondition {
            source_field_name: s.into(),
            target_field_name: t.into(),
        }]
    }

    #[test]
    fn join_keys() {
        let a = schema(&[
            ("id", "BIGINT"),
            ("name", "VARCHAR"),
            ("tags", "LIST"),
            ("d", "DATE"),
        ]);
        let b = schema(&[
            ("cid", "INTEGER"),
            ("label", "VARCHAR"),
            ("at", "TIMESTAMP"),
        ]);
        let check = |s, t| check_join_conditions(&on(s, t), Some(&a), Some(&b));
        assert_eq!(check("id", "cid"), Ok(()));
        assert_eq!(check("name", "label"), Ok(()));
        assert_eq!(check("d", "at"), Ok(()), "dates and timestamps join");
        assert_eq!(
            check("id", "label"),
            Err("Incompatible types: \"id\" (BIGINT) and \"label\" (VARCHAR)".into())
        );
        assert_eq!(
            check("tags", "label"),
            Err(
                "Field \"tags\" has complex type \"LIST\" which cannot be used in join conditions"
                    .into()
            )
        );
        assert_eq!(
            check("nope", "cid"),
            Err("Field not found in schema: nope".into())
        );
        assert_eq!(
            check("id", "nope"),
            Err("Field not found in schema: nope".into())
        );
        assert!(check("a.b", "cid")
            .unwrap_err()
            .contains("not a top-level column"));
        // Without a schema nothing can be confirmed or refused (but nesting still is).
        assert_eq!(check_join_conditions(&on("x", "y"), None, None), Ok(()));
        assert_eq!(
            check_join_conditions(&on("x", "cid"), None, Some(&b)),
            Ok(())
        );
        assert!(check_join_conditions(&on("x", "y.z"), None, None).is_err());
        assert_eq!(check_join_conditions(&[], Some(&a), Some(&b)), Ok(()));
    }
}
