//! Engine errors come back as provider errors with the engine's text, never a panic.

use futures::StreamExt;
use owox_storage::{DefinitionRef, Storage, StorageError};

use crate::common::*;

#[tokio::test]
async fn bad_sql_missing_table_and_binder_errors() {
    let env = open_with("CREATE TABLE t AS SELECT 1 AS a;");
    let s = &env.storage;
    let cases = [
        ("SELEC 1", "syntax error"),
        ("SELECT * FROM missing_table", "missing_table"),
        ("SELECT nope FROM t", "nope"),
        ("SELECT 1 +", "syntax error"),
    ];
    for (sql, needle) in cases {
        let e1 = provider_message(s.source_sql(DefinitionRef::Sql(sql)).await.unwrap_err());
        let e2 = provider_message(s.describe(DefinitionRef::Sql(sql)).await.unwrap_err());
        let e3 = provider_message(rows_of(s, stmt(sql)).await.unwrap_err());
        for e in [&e1, &e2, &e3] {
            assert!(e.to_lowercase().contains(needle), "{sql}: {e}");
        }
    }
}

#[tokio::test]
async fn runtime_errors_arrive_as_stream_items() {
    let env = open();
    let s = &env.storage;
    // Fails on the first chunk.
    let err = rows_of(
        s,
        stmt("SELECT CAST('x' || i AS INTEGER) FROM range(10) t(i)"),
    )
    .await
    .unwrap_err();
    let msg = provider_message(err);
    assert!(
        msg.contains("Conversion Error") || msg.contains("convert"),
        "{msg}"
    );
    // Fails while streaming: `query()` succeeded, the error is an item of the stream.
    let mut stream = s
        .query(stmt(
            "SELECT CASE WHEN i < 5000 THEN i ELSE error('boom at ' || i) END AS v FROM range(100000) t(i)",
        ))
        .await
        .unwrap();
    let mut rows = 0;
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(b) => rows += b.rows.len(),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let failure = failure.expect("the stream must end with an error");
    assert!(
        matches!(failure, StorageError::Provider { ref message } if message.contains("boom")),
        "{failure:?}"
    );
    eprintln!("rows before the failure: {rows}");
    assert!(rows < 100_000);
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn check_access_and_type() {
    let env = open();
    assert_eq!(env.storage.storage_type(), "DUCKDB");
    env.storage.check_access().await.unwrap();
    eprintln!("engine version {}", env.storage.engine_version());
}
