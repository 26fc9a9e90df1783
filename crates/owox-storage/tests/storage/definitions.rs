//! SQL / TABLE / VIEW definitions: validation and the trusted SQL returned.

use owox_storage::{Cell, DefinitionRef, Storage, StorageError};

use crate::common::*;

const SETUP: &str = "
    CREATE TABLE orders AS SELECT i AS id, i * 10 AS amount FROM range(3) t(i);
    CREATE SCHEMA shop;
    CREATE TABLE shop.\"Order \"\"Lines\"\"\" AS SELECT 1 AS line;
    CREATE VIEW shop.big_orders AS SELECT * FROM main.orders WHERE amount > 0;
";

#[tokio::test]
async fn sql_definition_round_trips_as_a_subquery() {
    let env = open_with(SETUP);
    let s = &env.storage;
    for sql in [
        "SELECT id, amount FROM orders",
        "  SELECT id, amount FROM orders ;; ",
        "SELECT id, amount FROM orders -- trailing comment",
        "WITH x AS (SELECT * FROM orders) SELECT id, amount FROM x",
        "FROM orders SELECT id, amount",
        "/* c */ SELECT id, amount FROM orders;",
    ] {
        let trusted = s.source_sql(DefinitionRef::Sql(sql)).await.unwrap();
        let wrapped = format!("SELECT count(*) AS n FROM ({trusted}) AS \"src\"");
        let (_, rows) = rows_of(s, stmt(&wrapped)).await.unwrap();
        assert_eq!(rows, vec![vec![Cell::Int(3)]], "{sql:?} -> {trusted:?}");
    }
}

#[tokio::test]
async fn table_and_view_definitions() {
    let env = open_with(SETUP);
    let s = &env.storage;
    assert_eq!(
        s.source_sql(DefinitionRef::Table("orders")).await.unwrap(),
        "SELECT * FROM \"orders\"\n"
    );
    assert_eq!(
        s.source_sql(DefinitionRef::Table("main.orders"))
            .await
            .unwrap(),
        "SELECT * FROM \"main\".\"orders\"\n"
    );
    let catalog = s
        .source_sql(DefinitionRef::Table("test.main.orders"))
        .await
        .unwrap();
    assert_eq!(catalog, "SELECT * FROM \"test\".\"main\".\"orders\"\n");
    let quoted = s
        .source_sql(DefinitionRef::Table("shop.\"Order \"\"Lines\"\"\""))
        .await
        .unwrap();
    assert_eq!(quoted, "SELECT * FROM \"shop\".\"Order \"\"Lines\"\"\"\n");
    let view = s
        .source_sql(DefinitionRef::View("shop.big_orders"))
        .await
        .unwrap();
    let (_, rows) = rows_of(s, stmt(&view)).await.unwrap();
    assert_eq!(rows.len(), 2);
    let fields = s
        .describe(DefinitionRef::View("shop.big_orders"))
        .await
        .unwrap();
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["id", "amount"]);
}

#[tokio::test]
async fn bad_identifiers_are_400() {
    let env = open_with(SETUP);
    let s = &env.storage;
    for name in [
        "",
        "a..b",
        "a.b.c.d",
        ".orders",
        "orders.",
        "\"unclosed",
        "a\"b",
    ] {
        for def in [DefinitionRef::Table(name), DefinitionRef::View(name)] {
            let err = s.source_sql(def).await.unwrap_err();
            assert!(
                matches!(err, StorageError::InvalidDefinition(ref m) if m.starts_with("Invalid fully qualified name")),
                "{name:?}: {err:?}"
            );
            assert!(matches!(
                s.describe(def).await.unwrap_err(),
                StorageError::InvalidDefinition(_)
            ));
        }
    }
    // An injection attempt is just a (missing) table name.
    let err = s
        .source_sql(DefinitionRef::Table("\"orders; DROP TABLE orders\""))
        .await
        .unwrap_err();
    let msg = provider_message(err);
    assert!(msg.contains("orders; DROP TABLE orders"), "{msg}");
}

#[tokio::test]
async fn missing_table_is_a_provider_error() {
    let env = open_with(SETUP);
    let s = &env.storage;
    let msg = provider_message(
        s.source_sql(DefinitionRef::Table("nope"))
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("nope"), "{msg}");
    let msg = provider_message(
        s.describe(DefinitionRef::View("shop.nope"))
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("nope"), "{msg}");
}
