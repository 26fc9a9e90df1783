//! Keeps DuckDB's cache of scanned table blocks under a cap of its own.
//!
//! DuckDB keeps every block of a persistent table it has read (tag `BASE_TABLE`) until its
//! `memory_limit` needs the room, so a server that streams a 10M-row table holds the whole
//! scanned table in memory afterwards (322 MiB for stream-bench's table), and the memory the
//! process needs grows with the size of the tables read. Lowering `memory_limit` bounds that
//! cache but also the hash tables and sorts of aggregating queries, which then spill (×1.9 and
//! ×3.6 slower at 64MB, docs/performance.md). DuckDB has no setting for the table cache alone
//! and no C API call that evicts; its buffer pool can evict the queue of table blocks down to
//! a given total, which `evict.cpp` calls (built against the bundled DuckDB's headers by
//! build.rs). The memory limit never changes, so a trim cannot make a running query fail: a
//! block pinned by a scan is simply not evicted.
//!
//! The memory use is read the same way (`duckdb_memory()` as a query cost ~1 ms per check).
//!
//! A governor thread per storage checks the cache every [`CHECK_EVERY`] while any query runs
//! (a stream, but also an aggregation that reads a whole table before its one row), and each
//! query thread checks once more when it ends. Past the cap, table blocks are evicted down to
//! half of it. A re-read of an evicted block comes from the OS page cache of the
//! database file, so a small cap costs scans little.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::raw::Db;
use crate::StorageError;

/// How often the governor checks while queries run: a full-speed stream reads stream-bench's
/// table at ~70 MiB/s, a parallel aggregation several times faster, so the cache overshoots
/// its cap by a few MiB between checks.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(25);

/// How long the governor sleeps when no query runs, unless a query start wakes it.
const IDLE_WAIT: Duration = Duration::from_secs(1);

extern "C" {
    /// `evict.cpp`: evicts unpinned table blocks until DuckDB's accounted memory is at most
    /// `target_total` bytes or none is left; 1 reached, 0 not reached, -1 an error.
    fn owox_duckdb_evict_table_blocks(
        database: duckdb::ffi::duckdb_database,
        target_total: u64,
    ) -> std::os::raw::c_int;

    /// `evict.cpp`: the bytes of table blocks and of everything DuckDB's buffer manager
    /// accounts for, as `duckdb_memory()` reports them; 0 read, -1 an error.
    fn owox_duckdb_memory_in_use(
        database: duckdb::ffi::duckdb_database,
        table_blocks: *mut u64,
        total: *mut u64,
    ) -> std::os::raw::c_int;
}

/// The cap and the database it applies to.
pub(crate) struct TableCache {
    cap: u64,
    db: Arc<Db>,
    state: Mutex<TrimState>,
}

struct TrimState {
    /// Table memory the last trim could not evict (blocks pinned by running scans): later
    /// checks wait for the cache to grow past the cap plus this before trying again.
    stuck: u64,
}

/// What DuckDB reports in use, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MemoryInUse {
    pub(crate) table_blocks: u64,
    pub(crate) total: u64,
}

impl TableCache {
    pub(crate) fn new(cap: u64, db: Arc<Db>) -> TableCache {
        TableCache {
            cap,
            db,
            state: Mutex::new(TrimState { stuck: 0 }),
        }
    }

    /// Starts the governor thread: it trims every [`CHECK_EVERY`] while `running` counts a
    /// query, sleeps otherwise (a query start unparks it), and ends within [`IDLE_WAIT`] once
    /// the storage is gone.
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

    /// What a trim leaves of the cache: half the cap. Each trim costs ~2 ms (DuckDB's eviction
    /// pass and the unmapping of the blocks), ~80 in a 10M-row stream of stream-bench's table
    /// with the default cap; a lower floor trims less often but makes the process swing more.
    fn floor(&self) -> u64 {
        self.cap / 2
    }

    /// Evicts table blocks beyond the cap, unless another thread is already trimming. Errors
    /// are logged, never returned: the query goes on either way.
    pub(crate) fn trim(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if let Err(e) = self.trim_locked(&mut state) {
            tracing::warn!(error = %e, "trimming DuckDB's table block cache failed");
        }
    }

    /// The check at a query's end: waits for a running trim instead of skipping, and when no
    /// other query runs, nothing is pinned any more, so it aims at the floor again.
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
        let before = memory_in_use(&self.db)?;
        if before.table_blocks <= self.cap.saturating_add(state.stuck) {
            // Pinned blocks were released since: aim at the floor again next time.
            state.stuck = state
                .stuck
                .min(before.table_blocks.saturating_sub(self.floor()));
            return Ok(());
        }
        let excess = before.table_blocks - self.floor();
        let target = before.total.saturating_sub(excess);
        let started = std::time::Instant::now();
        // SAFETY: `self.db` is an open database for as long as this cache holds its `Arc`;
        // the call only evicts unpinned blocks under DuckDB's own locks.
        let reached = unsafe { owox_duckdb_evict_table_blocks(self.db.raw(), target) };
        let after = memory_in_use(&self.db)?;
        tracing::debug!(
            table_blocks_before = before.table_blocks,
            table_blocks_after = after.table_blocks,
            reached,
            took_us = started.elapsed().as_micros() as u64,
            "trimmed DuckDB's table block cache"
        );
        // Only a target DuckDB could not reach (blocks pinned by running scans) says something
        // is stuck; after a reached one, `after` also counts blocks the scans read since.
        state.stuck = match reached {
            1 => 0,
            _ => after.table_blocks.saturating_sub(self.floor()),
        };
        if reached < 0 {
            return Err(StorageError::Internal(
                "DuckDB's buffer pool refused to evict table blocks".into(),
            ));
        }
        Ok(())
    }
}

/// Table blocks and all memory DuckDB's buffer manager accounts for.
pub(crate) fn memory_in_use(db: &Db) -> Result<MemoryInUse, StorageError> {
    let (mut table_blocks, mut total) = (0u64, 0u64);
    // SAFETY: `db` is an open database; the call only reads DuckDB's memory counters into
    // the two locals.
    let rc = unsafe { owox_duckdb_memory_in_use(db.raw(), &mut table_blocks, &mut total) };
    if rc != 0 {
        return Err(StorageError::Internal(
            "cannot read DuckDB's memory use".into(),
        ));
    }
    Ok(MemoryInUse {
        table_blocks,
        total,
    })
}
