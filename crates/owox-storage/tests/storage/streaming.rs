//! Streaming: the first batch comes before the result is computed, memory stays flat,
//! backpressure stops the engine, and dropping a stream stops its query.

use std::time::{Duration, Instant};

use futures::StreamExt;
use owox_storage::{Cell, Storage, StorageError};

use crate::common::*;

const HUGE: &str = "SELECT * FROM range(50000000)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_batch_of_a_huge_query_and_flat_memory() {
    let env = open();
    let s = &env.storage;
    let started = Instant::now();
    let mut stream = s.query(stmt(HUGE)).await.unwrap();
    assert_eq!(stream.columns(), ["range"]);
    let first = stream.next().await.unwrap().unwrap();
    let first_batch_after = started.elapsed();
    // One engine chunk, not the result.
    assert!(
        !first.rows.is_empty() && first.rows.len() <= 2048,
        "{}",
        first.rows.len()
    );
    assert_eq!(first.rows[0], vec![Cell::Int(0)]);
    let mut seen = first.rows.len();
    // Warm up, then measure: 1 million more rows must not grow the resident set.
    while seen < 200_000 {
        seen += stream.next().await.unwrap().unwrap().rows.len();
    }
    let before = rss_kib();
    while seen < 1_200_000 {
        let batch = stream.next().await.unwrap().unwrap();
        assert!(batch.rows.len() <= 2048);
        seen += batch.rows.len();
    }
    let after = rss_kib();
    eprintln!(
        "first batch after {first_batch_after:?}; RSS {before} KiB -> {after} KiB over 1M rows of 50M"
    );
    // A materialized 50M-row BIGINT result would be ≥ 400 MB; a streamed one stays flat.
    assert!(
        after < before + 64 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    drop(stream);
    assert!(wait_idle(s, 30).await, "the query thread did not end");
}

/// With a slow consumer the engine does not run ahead: a sequence advanced by every produced
/// row stays far behind the 50M rows while nobody reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backpressure_stops_the_engine() {
    let env = open_with("CREATE SEQUENCE produced;");
    let s = &env.storage;
    let mut stream = s
        .query(stmt("SELECT nextval('produced') AS n FROM range(50000000)"))
        .await
        .unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(!first.rows.is_empty());
    let produced = |label: &'static str| async move {
        let row = one_row(
            s,
            "SELECT last_value FROM duckdb_sequences() WHERE sequence_name = 'produced'",
        )
        .await;
        let n = match row[0] {
            Cell::Int(n) => n,
            ref other => panic!("{other:?}"),
        };
        eprintln!("rows produced {label}: {n}");
        n
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after_1s = produced("1 s after the first batch").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after_2s = produced("2 s after the first batch").await;
    // The engine stopped (DuckDB's own streaming buffer is bounded), far from the 50M rows.
    assert_eq!(
        after_1s, after_2s,
        "the engine kept producing while nobody read"
    );
    assert!(after_2s < 5_000_000, "the engine ran ahead: {after_2s}");
    // Reading resumes production.
    for _ in 0..2000 {
        stream.next().await.unwrap().unwrap();
    }
    let resumed = produced("after reading 2000 more batches").await;
    assert!(resumed > after_2s);
    drop(stream);
    assert!(wait_idle(s, 30).await);
}

/// Dropping the stream of a query that is computing (no batch yet) interrupts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_computing_stream_interrupts_the_engine() {
    let env = open();
    let s = &env.storage;
    // Would run for a very long time before producing its single row.
    let stream = s
        .query(stmt("SELECT sum(i * i % 7) FROM range(1000000000000) t(i)"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.running_queries(), 1);
    let dropped = Instant::now();
    drop(stream);
    assert!(wait_idle(s, 30).await, "the query thread did not end");
    eprintln!(
        "computing query ended {:?} after the drop",
        dropped.elapsed()
    );
}

/// Dropping a stream that is blocked on backpressure ends its thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_waiting_stream_ends_the_thread() {
    let env = open();
    let s = &env.storage;
    let mut streams = Vec::new();
    for _ in 0..4 {
        let mut st = s.query(stmt(HUGE)).await.unwrap();
        st.next().await.unwrap().unwrap();
        streams.push(st);
    }
    assert_eq!(s.running_queries(), 4);
    drop(streams);
    assert!(wait_idle(s, 30).await);
}

/// `cancel()` ends the stream with `Cancelled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_ends_with_cancelled() {
    let env = open();
    let s = &env.storage;
    let mut stream = s
        .query(stmt("SELECT sum(i * i % 7) FROM range(1000000000000) t(i)"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.cancel();
    let item = stream.next().await;
    assert!(
        matches!(item, Some(Err(StorageError::Cancelled)) | None),
        "{item:?}"
    );
    drop(stream);
    assert!(wait_idle(s, 30).await);
}

/// A full small result, in order, and concurrent streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_results_and_concurrency() {
    let env = open();
    let s = &env.storage;
    let tasks: Vec<_> = (0..8)
        .map(|k| {
            let sql = format!("SELECT i + {k} AS v FROM range(10000) t(i) ORDER BY i");
            let st = s.query(stmt(&sql));
            async move {
                let mut st = st.await.unwrap();
                let mut n = 0i64;
                while let Some(b) = st.next().await {
                    for row in b.unwrap().rows {
                        assert_eq!(row, vec![Cell::Int(n + k)]);
                        n += 1;
                    }
                }
                n
            }
        })
        .collect();
    for n in futures::future::join_all(tasks).await {
        assert_eq!(n, 10000);
    }
    assert!(wait_idle(s, 30).await);
}

/// A query larger than the memory limit spills to the temp folder (allowed although external
/// access is off) and still streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spills_under_a_small_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir);
    cfg.memory_limit = "64MB".into();
    let s = owox_storage::DuckDbStorage::open(cfg).unwrap();
    let mut stream = s
        .query(stmt(
            "SELECT i, hash(i) AS h, repeat('x', 20) AS pad FROM range(4000000) t(i) ORDER BY h",
        ))
        .await
        .unwrap();
    let mut n = 0usize;
    let mut spilled = false;
    while let Some(b) = stream.next().await {
        n += b.unwrap().rows.len();
        if !spilled {
            spilled = std::fs::read_dir(dir.path().join("tmp"))
                .map(|d| d.count() > 0)
                .unwrap_or(false);
        }
    }
    eprintln!("sorted {n} rows under 64MB; spill files seen: {spilled}");
    assert_eq!(n, 4_000_000);
    assert!(spilled, "nothing was spilled to the temp folder");
}
