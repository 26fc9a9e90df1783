//! The table cache cap: DuckDB keeps at most `table_cache_limit` of table blocks it has read,
//! during a stream and after it, and the configured `memory_limit` is unchanged by the trims.

use futures::StreamExt;
use owox_storage::{DuckDbAdmin, DuckDbStorage, Storage};

use crate::common::*;

const MIB: u64 = 1 << 20;

/// A table whose blocks take ~100 MiB: random 64-bit integers and digit strings barely
/// compress.
const SETUP: &str = "CREATE TABLE wide AS \
    SELECT i, hash(i) AS a, hash(i + 1) AS b, CAST(hash(i + 2) AS VARCHAR) AS c \
    FROM range(2500000) t(i);";

fn storage_with_cache(dir: &tempfile::TempDir, cap: Option<u64>) -> DuckDbStorage {
    let mut cfg = config(dir);
    cfg.table_cache_limit = cap;
    let admin = DuckDbAdmin::open(&cfg).unwrap();
    admin.execute_batch(SETUP).unwrap();
    // A fresh open, so that no block of the table is cached before the stream.
    drop(admin);
    DuckDbStorage::open(cfg).unwrap()
}

/// Streams the whole table; the most table memory seen during the stream (sampled every 64
/// batches) and the rows.
async fn stream_all(s: &DuckDbStorage) -> (u64, usize) {
    let mut stream = s.query(stmt("SELECT * FROM wide")).await.unwrap();
    let (mut rows, mut batches, mut most) = (0usize, 0u64, 0u64);
    while let Some(batch) = stream.next().await {
        rows += batch.unwrap().rows.len();
        batches += 1;
        if batches % 64 == 0 {
            most = most.max(s.memory_in_use().unwrap().0);
        }
    }
    (most, rows)
}

/// Streams the whole table as the engine's own batches (no conversion, so the scan runs at
/// full speed); the most table memory seen after any batch, and the rows.
async fn stream_batches_fast(s: &DuckDbStorage) -> (u64, usize) {
    let mut stream = s.query(stmt("SELECT * FROM wide")).await.unwrap();
    let (mut rows, mut most) = (0usize, 0u64);
    while let Some(batch) = futures::future::poll_fn(|cx| stream.poll_next_batch(cx)).await {
        rows += batch.unwrap().len();
        most = most.max(s.memory_in_use().unwrap().0);
    }
    (most, rows)
}

async fn memory_limit(s: &DuckDbStorage) -> Vec<owox_storage::Cell> {
    one_row(s, "SELECT current_setting('memory_limit')").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_blocks_stay_under_the_cap() {
    // Without a cap DuckDB keeps what it read: the test's table is big enough to show it.
    let dir = tempfile::tempdir().unwrap();
    let uncapped = storage_with_cache(&dir, None);
    let (_, rows) = stream_all(&uncapped).await;
    assert_eq!(rows, 2_500_000);
    assert!(wait_idle(&uncapped, 30).await);
    let kept = uncapped.memory_in_use().unwrap().0;
    eprintln!("uncapped: {} MiB of table blocks kept", kept / MIB);
    assert!(kept > 48 * MIB, "the table should fill the cache: {kept}");
    drop(uncapped);

    let dir = tempfile::tempdir().unwrap();
    let capped = storage_with_cache(&dir, Some(8 * MIB));
    let before = memory_limit(&capped).await;
    let (most, rows) = stream_all(&capped).await;
    assert_eq!(rows, 2_500_000);
    assert!(wait_idle(&capped, 30).await);
    let kept = capped.memory_in_use().unwrap().0;
    eprintln!(
        "capped at 8 MiB: at most {} MiB during the stream, {} MiB after",
        most / MIB,
        kept / MIB
    );
    assert!(kept <= 8 * MIB, "after the stream: {kept}");
    // The governor checks every 25 ms: the cache overshoots by what the scan reads meanwhile.
    assert!(most <= 40 * MIB, "during the stream: {most}");
    assert_eq!(
        memory_limit(&capped).await,
        before,
        "memory_limit is set back after trims"
    );

    // Aggregations keep the whole memory limit: a query whose hash table is far above the
    // cap still runs without spilling.
    let (_, groups) = rows_of(&capped, stmt("SELECT a, count(*) FROM wide GROUP BY a"))
        .await
        .unwrap();
    assert_eq!(groups.len(), 2_500_000);
    let spilled = std::fs::read_dir(dir.path().join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(spilled, 0, "nothing spills under a 512MB limit");
    assert!(wait_idle(&capped, 30).await);
    assert!(capped.memory_in_use().unwrap().0 <= 8 * MIB);
}

/// A stream checks the cap after every chunk it fetches, so however fast it reads, the cache
/// stays within what the scan reads ahead of its last chunk (the governor's 25 ms checks
/// alone let a full-speed scan overshoot by several MiB).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_stream_keeps_the_cache_at_its_cap() {
    let dir = tempfile::tempdir().unwrap();
    let s = storage_with_cache(&dir, Some(8 * MIB));
    let (most, rows) = stream_batches_fast(&s).await;
    assert_eq!(rows, 2_500_000);
    eprintln!(
        "capped at 8 MiB: at most {:.1} MiB after any batch",
        most as f64 / MIB as f64
    );
    assert!(most <= 10 * MIB, "during the stream: {most}");
}

/// Trims never make a query fail: with a cap far below what concurrent scans pin, every
/// stream still ends with all its rows (the memory limit is never lowered; pinned blocks are
/// simply kept).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trims_never_fail_concurrent_streams() {
    let dir = tempfile::tempdir().unwrap();
    let s = std::sync::Arc::new(storage_with_cache(&dir, Some(MIB)));
    let streams: Vec<_> = (0..4)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { stream_all(&s).await.1 })
        })
        .collect();
    for rows in futures::future::join_all(streams).await {
        assert_eq!(rows.unwrap(), 2_500_000);
    }
    assert!(wait_idle(&s, 30).await);
    assert!(s.memory_in_use().unwrap().0 <= MIB);
}
