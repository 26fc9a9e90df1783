//! CSV, Parquet and JSON readers over files in the imports folder.

use owox_storage::{Cell, DefinitionRef, Storage};

use crate::common::*;

fn files(dir: &std::path::Path) {
    std::fs::write(
        dir.join("orders.csv"),
        "id,country,amount\n1,Україна,10.50\n2,Deutschland,\n3,日本,7.25\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("events.json"),
        "[{\"id\": 1, \"tags\": [\"a\", \"b\"]}, {\"id\": 2, \"tags\": []}]",
    )
    .unwrap();
    std::fs::write(dir.join("lines.ndjson"), "{\"x\": 1}\n{\"x\": 2}\n").unwrap();
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub").join("more.csv"), "a\n1\n2\n").unwrap();
}

/// The Parquet file is written by the admin connection before lockdown.
const SETUP: &str = "COPY (SELECT i AS id, i * 1.5 AS price FROM range(5) t(i)) TO 'products.parquet' (FORMAT parquet);";

fn env() -> Env {
    open_with_files("", files)
}

fn env_with_parquet() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let admin = owox_storage::DuckDbAdmin::open(&config(&dir)).unwrap();
    files(admin.imports_dir());
    let target = admin.imports_dir().join("products.parquet");
    admin
        .execute_batch(&SETUP.replace("products.parquet", target.to_str().unwrap()))
        .unwrap();
    let storage = admin.lock().unwrap();
    Env { dir, storage }
}

#[tokio::test]
async fn csv_relative_absolute_and_replacement_scan() {
    let env = env();
    let s = &env.storage;
    let abs = s.imports_dir().join("orders.csv");
    for sql in [
        "SELECT * FROM read_csv('~/orders.csv') ORDER BY id".to_string(),
        format!("SELECT * FROM read_csv('{}') ORDER BY id", abs.display()),
        "SELECT * FROM '~/orders.csv' ORDER BY id".to_string(),
    ] {
        let trusted = s.source_sql(DefinitionRef::Sql(&sql)).await.unwrap();
        let (cols, rows) = rows_of(s, stmt(&trusted)).await.unwrap();
        assert_eq!(cols, ["id", "country", "amount"], "{sql}");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][1], Cell::Text("Україна".into()));
        assert_eq!(rows[1][2], Cell::Null);
        assert_eq!(rows[2][1], Cell::Text("日本".into()));
        let fields = s.describe(DefinitionRef::Sql(&sql)).await.unwrap();
        let types: Vec<_> = fields.iter().map(|f| f.type_name.as_str()).collect();
        assert_eq!(types, ["BIGINT", "VARCHAR", "DOUBLE"], "{sql}");
    }
    let (_, rows) = rows_of(s, stmt("SELECT count(*) FROM read_csv('~/sub/*.csv')"))
        .await
        .unwrap();
    assert_eq!(rows, vec![vec![Cell::Int(2)]]);
}

#[tokio::test]
async fn parquet() {
    let env = env_with_parquet();
    let s = &env.storage;
    let sql = "SELECT id, price FROM read_parquet('~/products.parquet') ORDER BY id";
    let fields = s.describe(DefinitionRef::Sql(sql)).await.unwrap();
    assert_eq!(fields[1].native_type, "DECIMAL(21,1)");
    let (_, rows) = rows_of(s, stmt(sql)).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[3], vec![Cell::Int(3), dec("4.5")]);
}

#[tokio::test]
async fn json_and_ndjson() {
    let env = env();
    let s = &env.storage;
    let (_, rows) = rows_of(
        s,
        stmt("SELECT id, tags FROM read_json('~/events.json') ORDER BY id"),
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![Cell::Int(1), Cell::Json("[\"a\",\"b\"]".into())],
            vec![Cell::Int(2), Cell::Json("[]".into())],
        ]
    );
    let (_, rows) = rows_of(s, stmt("SELECT sum(x) FROM read_json('~/lines.ndjson')"))
        .await
        .unwrap();
    assert_eq!(rows, vec![vec![Cell::HugeInt(3)]]);
}

#[tokio::test]
async fn missing_file_is_a_provider_error() {
    let env = env();
    let s = &env.storage;
    let msg = provider_message(
        s.source_sql(DefinitionRef::Sql("SELECT * FROM read_csv('~/nope.csv')"))
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("nope.csv"), "{msg}");
}

/// Relative paths are not resolved against the imports folder (nor the process directory):
/// the engine refuses them.
#[tokio::test]
async fn relative_paths_are_refused() {
    let env = env();
    let s = &env.storage;
    let msg = provider_message(
        s.source_sql(DefinitionRef::Sql("SELECT * FROM read_csv('orders.csv')"))
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("Permission Error"), "{msg}");
}
