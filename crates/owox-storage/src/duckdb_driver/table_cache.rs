//! Keeps DuckDB's cache of scanned table blocks under a cap of its own.
//!
//! DuckDB keeps every block of a persistent table it has read (tag `BASE_TABLE`) until its
//! `memory_limit` needs the room, so a server that streams a 10M-row table holds the whole
//! scanned table in memory afterwards (322 MiB for stream-bench's table), and the memory the
//! process needs grows with the size of the tables read. Lowering `memory_limit` bounds that
//! cache but also the hash tables and sorts of aggregating queries, which then spill (×1.9 and
//! ×3.6 slower at 64MB, docs/performance.md). DuckDB offers no setting for the table cache
//! alone and no C API call to evict, but setting `memory_limit` evicts unpinned blocks until
//! the new limit holds, and it evicts from the queue of table blocks first. So a trim sets the
//! limit to "what is in use now minus the cache's excess" and at once back to the configured
//! limit: only table blocks leave (down to half the cap, so that trims stay rare), and queries
//! keep the whole configured limit.
//!
//! A governor thread per storage checks the cache every [`CHECK_EVERY`] while any query runs
//! (a stream, but also an aggregation that reads a whole table before its one row), and each
//! query thread trims once more when it ends. A re-read of an evicted block comes from the OS
//! page cache of the database file, so a small cap costs scans little.
//!
//! The price, written down in docs/operations.md: for the microseconds between the two `SET`s
//! the limit is lower by the cache's excess, so an allocation by a concurrent query in that
//! window evicts more table blocks first (the ones under the cap) before anything else.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::provider;
use crate::StorageError;

/// How often the governor checks while queries run: a full-speed stream reads stream-bench's
/// table at ~64 MiB/s, a parallel aggregation several times faster, so the cache overshoots
/// its cap by a few MiB between checks.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(25);

/// How long the governor sleeps when no query runs, unless a query start wakes it.
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// The cap and the connection trims run on.
pub(crate) struct TableCache {
    cap: u64,
    /// The configured `memory_limit`, set back after each trim.
    memory_limit: String,
    state: Mutex<TrimState>,
}

struct TrimState {
    conn: duckdb::Connection,
    /// Table memory a trim could not evict (blocks pinned by running scans, or held by
    /// something that is not in an eviction queue): later trims aim above it instead of
    /// pushing the limit below what is in use.
    stuck: u64,
}

/// What DuckDB reports in use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryInUse {
    pub(crate) table_blocks: u64,
    pub(crate) total: u64,
}

impl TableCache {
    pub(crate) fn new(cap: u64, memory_limit: String, conn: duckdb::Connection) -> TableCache {
        TableCache {
            cap,
            memory_limit,
            state: Mutex::new(TrimState { conn, stuck: 0 }),
        }
    }

    /// Starts the governor thread: it trims every [`CHECK_EVERY`] while `running` counts a
    /// query, sleeps otherwise (a query start unparks it, [`wake`]), and ends within
    /// [`IDLE_WAIT`] once the storage is gone.
    pub(crate) fn start_governor(
        cache: &Arc<TableCache>,
        running: Arc<AtomicUsize>,
    ) -> Result<std::thread::Thread, StorageError> {
        let weak: Weak<TableCache> = Arc::downgrade(cache);
        let handle = std::thread::Builder::new()
            .name("owox-duckdb-cache".into())
            .spawn(move || loop {
                if running.load(Ordering::SeqCst) == 0 {
                    std::thread::park_timeout(IDLE_WAIT);
                } else {
                    std::thread::park_timeout(CHECK_EVERY);
                }
                let Some(cache) = weak.upgrade() else {
                    return;
                };
                if running.load(Ordering::SeqCst) > 0 {
                    cache.trim();
                }
            })
            .map_err(|e| StorageError::Internal(format!("cannot start the cache governor: {e}")))?;
        Ok(handle.thread().clone())
    }

    /// Evicts table blocks beyond the cap, unless another thread is already trimming. Errors
    /// are logged, never returned: a trim that fails leaves DuckDB's configured limit as it
    /// was (the restoring `SET` is retried) and the query goes on.
    pub(crate) fn trim(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if let Err(e) = self.trim_locked(&mut state) {
            tracing::warn!(error = %e, "trimming DuckDB's table block cache failed");
        }
    }

    /// The trim at a query's end: waits for a running trim instead of skipping, and when no
    /// other query runs, nothing is pinned any more, so it aims at half the cap again.
    pub(crate) fn trim_after_query(&self, others_running: bool) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if !others_running {
            state.stuck = 0;
        }
        if let Err(e) = self.trim_locked(&mut state) {
            tracing::warn!(error = %e, "trimming DuckDB's table block cache failed");
        }
    }

    fn trim_locked(&self, state: &mut TrimState) -> Result<(), StorageError> {
        let before = memory_in_use(&state.conn)?;
        let allowed = self.cap.saturating_add(state.stuck);
        if before.table_blocks <= allowed {
            // Pinned blocks were released since: aim at the cap again next time.
            state.stuck = state
                .stuck
                .min(before.table_blocks.saturating_sub(self.cap / 2));
            return Ok(());
        }
        // Down to half the cap: each trim then frees a good part of it, so trims (each costs
        // DuckDB an eviction pass and a `malloc_trim`) stay rare: ~20 in a 10M-row stream of
        // stream-bench's table with the default cap, against ~230 when trimming to the cap.
        let keep = (self.cap / 2).saturating_add(state.stuck);
        let excess = before.table_blocks - keep;
        let target = before.total.saturating_sub(excess).max(1);
        let started = std::time::Instant::now();
        let lowered = state
            .conn
            .execute_batch(&format!("SET GLOBAL memory_limit = '{target}b'"));
        // Set back at once, whether or not lowering succeeded (a failed lowering leaves the
        // limit unchanged, but the restore is harmless then).
        let restored = self.restore(&state.conn);
        let after = memory_in_use(&state.conn)?;
        tracing::debug!(
            table_blocks_before = before.table_blocks,
            table_blocks_after = after.table_blocks,
            took_us = started.elapsed().as_micros() as u64,
            "trimmed DuckDB's table block cache"
        );
        state.stuck = after.table_blocks.saturating_sub(self.cap / 2);
        restored?;
        if let Err(e) = lowered {
            tracing::debug!(error = %e, "DuckDB could not evict all of the table cache's excess");
        }
        Ok(())
    }

    fn restore(&self, conn: &duckdb::Connection) -> Result<(), StorageError> {
        let sql = format!("SET GLOBAL memory_limit = '{}'", self.memory_limit);
        let mut last = None;
        for _ in 0..3 {
            match conn.execute_batch(&sql) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(StorageError::Internal(format!(
            "cannot set DuckDB's memory_limit back to {}: {}",
            self.memory_limit,
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }
}

/// Table blocks and all memory DuckDB's buffer pool accounts for.
pub(crate) fn memory_in_use(conn: &duckdb::Connection) -> Result<MemoryInUse, StorageError> {
    conn.query_row(
        "SELECT CAST(coalesce(sum(memory_usage_bytes) FILTER (WHERE tag = 'BASE_TABLE'), 0) AS BIGINT), \
                CAST(coalesce(sum(memory_usage_bytes), 0) AS BIGINT) \
         FROM duckdb_memory()",
        [],
        |row| {
            Ok(MemoryInUse {
                table_blocks: row.get::<_, i64>(0)?.max(0) as u64,
                total: row.get::<_, i64>(1)?.max(0) as u64,
            })
        },
    )
    .map_err(provider)
}
