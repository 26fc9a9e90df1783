//! Schema discovery from the engine, and type normalization for every type.

use owox_query::FieldCategory;
use owox_storage::{DefinitionRef, Storage};

use crate::common::*;

const ALL_TYPES: &str = "
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
    CREATE TABLE all_types (
        c_bool BOOLEAN, c_tinyint TINYINT, c_smallint SMALLINT, c_int INTEGER, c_bigint BIGINT,
        c_utinyint UTINYINT, c_usmallint USMALLINT, c_uint UINTEGER, c_ubigint UBIGINT,
        c_hugeint HUGEINT, c_uhugeint UHUGEINT,
        c_float FLOAT, c_double DOUBLE, c_dec DECIMAL(18,2), c_dec38 DECIMAL(38,10), c_dec4 DECIMAL(4,1),
        c_varchar VARCHAR, c_uuid UUID, c_enum mood, c_json JSON, c_blob BLOB,
        c_date DATE, c_time TIME, c_ts TIMESTAMP, c_ts_s TIMESTAMP_S, c_ts_ms TIMESTAMP_MS,
        c_ts_ns TIMESTAMP_NS, c_tstz TIMESTAMPTZ, c_interval INTERVAL,
        c_list INTEGER[], c_array INTEGER[3], c_struct STRUCT(a INTEGER, \"B b\" VARCHAR),
        c_map MAP(VARCHAR, INTEGER), c_timetz TIMETZ, c_bit BIT
    );
";

#[tokio::test]
async fn every_type_is_normalized_into_its_category() {
    let env = open_with(ALL_TYPES);
    let fields = env
        .storage
        .describe(DefinitionRef::Table("all_types"))
        .await
        .unwrap();
    use FieldCategory as C;
    let expected: &[(&str, &str, &str, C)] = &[
        ("c_bool", "BOOLEAN", "BOOLEAN", C::Boolean),
        ("c_tinyint", "TINYINT", "TINYINT", C::Number),
        ("c_smallint", "SMALLINT", "SMALLINT", C::Number),
        ("c_int", "INTEGER", "INTEGER", C::Number),
        ("c_bigint", "BIGINT", "BIGINT", C::Number),
        ("c_utinyint", "SMALLINT", "UTINYINT", C::Number),
        ("c_usmallint", "INTEGER", "USMALLINT", C::Number),
        ("c_uint", "BIGINT", "UINTEGER", C::Number),
        ("c_ubigint", "NUMERIC", "UBIGINT", C::Number),
        ("c_hugeint", "NUMERIC", "HUGEINT", C::Number),
        ("c_uhugeint", "NUMERIC", "UHUGEINT", C::Number),
        ("c_float", "FLOAT", "FLOAT", C::Number),
        ("c_double", "DOUBLE", "DOUBLE", C::Number),
        ("c_dec", "DECIMAL", "DECIMAL(18,2)", C::Number),
        ("c_dec38", "DECIMAL", "DECIMAL(38,10)", C::Number),
        ("c_dec4", "DECIMAL", "DECIMAL(4,1)", C::Number),
        ("c_varchar", "VARCHAR", "VARCHAR", C::String),
        ("c_uuid", "VARCHAR", "UUID", C::String),
        ("c_enum", "VARCHAR", "ENUM", C::String),
        ("c_json", "JSON", "JSON", C::Other),
        ("c_blob", "BLOB", "BLOB", C::Other),
        ("c_date", "DATE", "DATE", C::Date),
        ("c_time", "TIME", "TIME", C::Time),
        ("c_ts", "TIMESTAMP", "TIMESTAMP", C::Date),
        ("c_ts_s", "TIMESTAMP", "TIMESTAMP_S", C::Date),
        ("c_ts_ms", "TIMESTAMP", "TIMESTAMP_MS", C::Date),
        ("c_ts_ns", "TIMESTAMP", "TIMESTAMP_NS", C::Date),
        ("c_tstz", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", C::Date),
        ("c_interval", "INTERVAL", "INTERVAL", C::Other),
        ("c_list", "LIST", "INTEGER[]", C::Other),
        ("c_array", "ARRAY", "ARRAY(INTEGER)", C::Other),
        (
            "c_struct",
            "STRUCT",
            "STRUCT(a INTEGER, \"B b\" VARCHAR)",
            C::Other,
        ),
        ("c_map", "MAP", "MAP(VARCHAR, INTEGER)", C::Other),
        ("c_timetz", "TIMETZ", "TIME WITH TIME ZONE", C::Time),
        ("c_bit", "BIT", "BIT", C::Other),
    ];
    assert_eq!(fields.len(), expected.len());
    for (field, (name, type_name, native, category)) in fields.iter().zip(expected) {
        assert_eq!(field.name, *name);
        assert_eq!(field.type_name, *type_name, "{name}");
        assert_eq!(field.native_type, *native, "{name}");
        assert_eq!(FieldCategory::of(&field.type_name), *category, "{name}");
    }
}

#[tokio::test]
async fn describe_does_not_run_the_query() {
    let env = open();
    // This would take very long to run; describing it only binds it.
    let fields = env
        .storage
        .describe(DefinitionRef::Sql(
            "SELECT sum(i) AS total, 'x' AS \"Name with space\", NULL AS nothing FROM range(1000000000000) t(i)",
        ))
        .await
        .unwrap();
    let got: Vec<_> = fields
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.type_name.as_str(),
                f.native_type.as_str(),
            )
        })
        .collect();
    eprintln!("{got:?}");
    assert_eq!(got[0], ("total", "NUMERIC", "HUGEINT"));
    assert_eq!(got[1], ("Name with space", "VARCHAR", "VARCHAR"));
    assert_eq!(got[2].0, "nothing");
}

#[tokio::test]
async fn duplicate_and_odd_column_names_are_kept() {
    let env = open();
    let fields = env
        .storage
        .describe(DefinitionRef::Sql(
            "SELECT 1 AS \"a\", 2 AS \"Заказ\", 3 AS \"a.b\"",
        ))
        .await
        .unwrap();
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["a", "Заказ", "a.b"]);
}

/// The DuckDB dialect's string operators (as `owox-query` renders them) work on the types
/// this driver normalizes to VARCHAR: UUID (the trusted source casts it to VARCHAR) and ENUM.
#[tokio::test]
async fn string_operators_on_uuid_and_enum() {
    use owox_query::SqlParam;
    let env = open_with(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE u AS SELECT '6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a'::UUID AS id, 'happy'::mood AS m;",
    );
    let s = &env.storage;
    let source = s.source_sql(DefinitionRef::Table("u")).await.unwrap();
    let fields = s.describe(DefinitionRef::Table("u")).await.unwrap();
    assert_eq!(fields[0].type_name, "VARCHAR");
    assert_eq!(fields[0].native_type, "UUID");
    for (col, needle, hits) in [("id", "6f1e", 1), ("m", "hap", 1), ("id", "zz", 0)] {
        for cond in [
            "strpos({c}, CAST($1 AS VARCHAR)) > 0",
            "starts_with({c}, CAST($1 AS VARCHAR))",
            "regexp_matches({c}, CAST($1 AS VARCHAR))",
            "{c} <> CAST($1 AS VARCHAR)",
            "{c} NOT IN (CAST($1 AS VARCHAR))",
            "trim({c}, chr(32) || chr(9) || chr(10) || chr(13)) <> ''",
        ] {
            let sql = format!(
                "SELECT count(*) FROM ({source}) AS \"src\" WHERE {}",
                cond.replace("{c}", &format!("\"{col}\""))
            );
            let params = if sql.contains("$1") {
                vec![SqlParam::Text(needle.into())]
            } else {
                vec![]
            };
            let (_, rows) = rows_of(s, stmt_with(&sql, params))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            let n = match rows[0][0] {
                owox_storage::Cell::Int(n) => n,
                ref other => panic!("{other:?}"),
            };
            let positive = !cond.contains("<>") && !cond.contains("NOT IN");
            if positive {
                assert_eq!(n, hits, "{sql}");
            }
        }
    }
    // The values are the canonical text.
    let (_, rows) = rows_of(s, stmt(&source)).await.unwrap();
    assert_eq!(
        rows[0][0],
        owox_storage::Cell::Text("6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a".into())
    );
}
