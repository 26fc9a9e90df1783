//! The engine is locked down: forbidden statements and paths are refused.

use owox_storage::{DefinitionRef, Storage, StorageError};

use crate::common::*;

/// Every forbidden definition is refused; the ones the binder can classify with a 400.
#[tokio::test]
async fn forbidden_definitions_are_refused() {
    let env = open_with("CREATE TABLE t AS SELECT 1 AS a;");
    let s = &env.storage;
    let cases: &[(&str, bool)] = &[
        // (sql, must be InvalidDefinition (400) rather than any refusal)
        ("COPY (SELECT 1) TO 'out.csv'", false),
        ("COPY t TO 'out.parquet' (FORMAT parquet)", false),
        ("COPY t FROM 'in.csv'", false),
        ("ATTACH 'other.duckdb' AS o", false),
        ("DETACH o", false),
        ("INSTALL httpfs", false),
        ("LOAD httpfs", false),
        ("PRAGMA enable_profiling", true),
        ("PRAGMA threads = 1", false),
        ("SET threads = 1", true),
        ("RESET threads", false),
        ("SET enable_external_access = true", true),
        ("SET memory_limit = '100GB'", true),
        ("PRAGMA memory_limit = '100GB'", false),
        ("CREATE TABLE x (a INTEGER)", true),
        ("CREATE VIEW v AS SELECT 1", true),
        ("CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", false),
        ("CREATE MACRO m(a) AS a + 1", false),
        ("INSERT INTO t VALUES (2)", true),
        ("UPDATE t SET a = 3", true),
        ("DELETE FROM t", true),
        ("DROP TABLE t", true),
        ("ALTER TABLE t ADD COLUMN b INTEGER", true),
        ("EXPLAIN SELECT 1", true),
        ("EXPORT DATABASE 'dump'", false),
        ("CALL pragma_version()", true),
        ("CHECKPOINT", false),
        ("VACUUM", false),
        ("BEGIN TRANSACTION", true),
        ("SELECT 1; SELECT 2", true),
        ("SELECT 1; DROP TABLE t", true),
        ("SELECT 1); DROP TABLE t; --", false),
        ("SELECT $1", true),
        ("SELECT ?", true),
        ("", true),
        ("   -- only a comment", true),
    ];
    let mut report = Vec::new();
    for (sql, must_be_400) in cases {
        let result = s.source_sql(DefinitionRef::Sql(sql)).await;
        let err = result.expect_err(sql);
        assert!(
            !matches!(err, StorageError::Internal(_) | StorageError::Cancelled),
            "{sql}: {err:?}"
        );
        if *must_be_400 {
            assert!(
                matches!(err, StorageError::InvalidDefinition(_)),
                "{sql}: expected a 400, got {err:?}"
            );
        }
        report.push(format!("{sql:?} -> {err:?}"));
        // describe refuses the same way
        assert!(s.describe(DefinitionRef::Sql(sql)).await.is_err(), "{sql}");
    }
    eprintln!("{}", report.join("\n"));
    // Nothing happened.
    let row = one_row(s, "SELECT count(*) FROM t").await;
    assert_eq!(row, vec![owox_storage::Cell::Int(1)]);
}

#[tokio::test]
async fn messages_are_clear() {
    let env = open_with("CREATE TABLE t AS SELECT 1 AS a;");
    let s = &env.storage;
    let msg = |sql: &'static str| async move {
        match s.source_sql(DefinitionRef::Sql(sql)).await.unwrap_err() {
            StorageError::InvalidDefinition(m) => m,
            other => panic!("{sql}: {other:?}"),
        }
    };
    assert_eq!(
        msg("SELECT 1; SELECT 2").await,
        "The SQL definition must be exactly one SELECT statement, but it has 2 statements"
    );
    assert_eq!(
        msg("DROP TABLE t").await,
        "Only a SELECT statement is allowed in a data mart definition, not DROP"
    );
    assert_eq!(
        msg("SET threads = 1").await,
        "Only a SELECT statement is allowed in a data mart definition, not SET"
    );
    assert_eq!(
        msg("").await,
        "The SQL definition is empty: it must be one SELECT statement"
    );
}

/// Even SQL that reaches the engine without validation (the query path) cannot change the
/// configuration, load extensions or reach files outside the imports folder.
#[tokio::test]
async fn engine_level_lockdown() {
    let env = open();
    let s = &env.storage;
    let outside = env.dir.path().join("outside.csv");
    std::fs::write(&outside, "a\n1\n").unwrap();
    let refused = [
        "SET enable_external_access = true".to_string(),
        "SET lock_configuration = false".to_string(),
        "SET allowed_directories = ['/']".to_string(),
        "RESET enable_external_access".to_string(),
        "SET memory_limit = '100GB'".to_string(),
        "PRAGMA memory_limit = '100GB'".to_string(),
        "INSTALL httpfs".to_string(),
        "LOAD httpfs".to_string(),
        "ATTACH '/tmp/owox-attach-test.duckdb' AS o".to_string(),
        "SELECT * FROM read_csv('/etc/passwd')".to_string(),
        "SELECT * FROM read_text('/etc/passwd')".to_string(),
        "SELECT * FROM '/etc/passwd'".to_string(),
        format!("SELECT * FROM read_csv('{}')", outside.display()),
        "SELECT * FROM read_csv('../outside.csv')".to_string(),
        "SELECT * FROM read_csv('~/../outside.csv')".to_string(),
        "SELECT * FROM read_csv('~/../../../../../etc/passwd')".to_string(),
        "SELECT * FROM read_csv('file:///etc/passwd')".to_string(),
        format!(
            "SELECT * FROM read_csv('{}/../outside.csv')",
            s.imports_dir().display()
        ),
        "SELECT * FROM glob('/etc/*')".to_string(),
        "COPY (SELECT 1) TO '/tmp/owox-copy-test.csv'".to_string(),
        "SELECT * FROM read_csv('https://example.com/x.csv')".to_string(),
    ];
    let mut report = Vec::new();
    for sql in &refused {
        let result = rows_of(s, stmt(sql)).await;
        let err = result.expect_err(sql);
        report.push(format!("{sql:?} -> {err:?}"));
        assert!(
            matches!(err, StorageError::Provider { .. }),
            "{sql}: {err:?}"
        );
    }
    eprintln!("{}", report.join("\n"));
    // The one setting left changeable: each query's connection sizes DuckDB's streaming
    // buffer (2MB instead of 10 MiB) before its statement runs.
    assert_eq!(
        one_row(s, "SELECT current_setting('max_streaming_buffer_size')").await,
        vec![owox_storage::Cell::Text("1.9 MiB".into())]
    );
    assert!(!std::path::Path::new("/tmp/owox-copy-test.csv").exists());
    assert!(!std::path::Path::new("/tmp/owox-attach-test.duckdb").exists());

    // The settings are still what the lockdown set.
    let row = one_row(
        s,
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), \
         current_setting('autoload_known_extensions'), current_setting('autoinstall_known_extensions')",
    )
    .await;
    assert_eq!(
        row,
        vec![
            owox_storage::Cell::Bool(false),
            owox_storage::Cell::Bool(true),
            owox_storage::Cell::Bool(false),
            owox_storage::Cell::Bool(false)
        ]
    );
}

/// Memory limit and threads come from the configuration.
#[tokio::test]
async fn resource_settings_apply() {
    let env = open();
    let row = one_row(
        &env.storage,
        "SELECT current_setting('threads'), current_setting('memory_limit'), current_setting('temp_directory'), current_setting('preserve_insertion_order')",
    )
    .await;
    eprintln!("{row:?}");
    assert_eq!(row[0], owox_storage::Cell::Int(2));
    match &row[1] {
        owox_storage::Cell::Text(t) => assert!(t.contains("MiB") || t.contains("MB"), "{t}"),
        other => panic!("{other:?}"),
    }
    match &row[2] {
        owox_storage::Cell::Text(t) => assert!(t.ends_with("/tmp"), "{t}"),
        other => panic!("{other:?}"),
    }
    // A LIMIT streams instead of collecting its rows first (docs/compatibility.md, row order).
    assert_eq!(row[3], owox_storage::Cell::Bool(false));
}
