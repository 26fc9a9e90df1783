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
//! Each query thread checks the cache after every chunk it fetches (one counter read), so a
//! stream keeps it within an eighth of the cap whatever its speed; a governor thread per
//! storage checks every [`CHECK_EVERY`] while any query runs, for queries that read a whole
//! table before their first chunk (aggregations), and each query thread checks once more when
//! it ends. Past the cap, table blocks are evicted down to [`TableCache::floor`]. A re-read of
//! an evicted block comes from the OS page cache of the database file, so a small cap costs
//! scans little.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::raw::Db;
use crate::StorageError;

/// How often the governor checks while queries run: a parallel aggregation reads a table at a
/// few hundred MiB/s, so the cache overshoots its cap by a few MiB between its checks (streams
/// check after every chunk themselves).
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

    /// `evict.cpp`: returns memory freed into the C heap to the OS (glibc's `malloc_trim`
    /// through DuckDB's allocator, which limits it to once per 100 ms).
    fn owox_duckdb_release_freed_memory();

    /// `evict.cpp`: the bytes of table blocks alone (one counter); 0 read, -1 an error.
    fn owox_duckdb_table_blocks(
        database: duckdb::ffi::duckdb_database,
        table_blocks: *mut u64,
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
    /// Held while trimming: one trim at a time.
    trimming: Mutex<()>,
    /// Table memory the last trim could not evict (blocks pinned by running scans): later
    /// checks wait for the cache to grow past the cap plus this before trying again. Written
    /// under `trimming`; read without it by [`TableCache::after_chunk`].
    stuck: AtomicU64,
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
            trimming: Mutex::new(()),
            stuck: AtomicU64::new(0),
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

    /// What a trim leaves of the cache: seven eighths of the cap. Streams check after every
    /// chunk, so the cache stays between this and the cap, and the process's memory with it
    /// (a trim to half the cap, when only the governor checked, made a stream's memory swing
    /// by half the cap). Logged in a 10M-row stream of stream-bench's table: a trim every
    /// ~30 ms, each evicting ~2.5 MiB in 0.15–0.8 ms.
    fn floor(&self) -> u64 {
        self.cap - self.cap / 8
    }

    /// The check after each chunk a query fetches: a read of one counter, and a trim when the
    /// cache is past the cap (skipped while another thread trims).
    pub(crate) fn after_chunk(&self) {
        let mut table_blocks = 0u64;
        // SAFETY: `self.db` is an open database for as long as this cache holds its `Arc`;
        // the call only reads DuckDB's counter of table blocks into the local.
        if unsafe { owox_duckdb_table_blocks(self.db.raw(), &mut table_blocks) } != 0 {
            return;
        }
        if table_blocks > self.cap.saturating_add(self.stuck.load(Ordering::Relaxed)) {
            self.trim();
        }
    }

    /// Evicts table blocks beyond the cap, unless another thread is already trimming. Errors
    /// are logged, never returned: the query goes on either way.
    pub(crate) fn trim(&self) {
        let Ok(_trimming) = self.trimming.try_lock() else {
            return;
        };
        if let Err(e) = self.trim_locked() {
            tracing::warn!(error = %e, "trimming DuckDB's table block cache failed");
        }
    }

    /// The check at a query's end: waits for a running trim instead of skipping, and when no
    /// other query runs, nothing is pinned any more, so it aims at the floor again.
    pub(crate) fn trim_after_query(&self, others_running: bool) {
        let Ok(_trimming) = self.trimming.lock() else {
            return;
        };
        if !others_running {
            self.stuck.store(0, Ordering::Relaxed);
        }
        if let Err(e) = self.trim_locked() {
            tracing::warn!(error = %e, "trimming DuckDB's table block cache failed");
        }
        release_freed_memory();
    }

    /// The trim itself; the caller holds `trimming`.
    fn trim_locked(&self) -> Result<(), StorageError> {
        let before = memory_in_use(&self.db)?;
        let stuck = self.stuck.load(Ordering::Relaxed);
        if before.table_blocks <= self.cap.saturating_add(stuck) {
            // Pinned blocks were released since: aim at the floor again next time.
            self.stuck.store(
                stuck.min(before.table_blocks.saturating_sub(self.floor())),
                Ordering::Relaxed,
            );
            return Ok(());
        }
        let excess = before.table_blocks - self.floor();
        let target = before.total.saturating_sub(excess);
        let started = std::time::Instant::now();
        // SAFETY: `self.db` is an open database for as long as this cache holds its `Arc`;
        // the call only evicts unpinned blocks under DuckDB's own locks.
        let reached = unsafe { owox_duckdb_evict_table_blocks(self.db.raw(), target) };
        release_freed_memory();
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
        let stuck = match reached {
            1 => 0,
            _ => after.table_blocks.saturating_sub(self.floor()),
        };
        self.stuck.store(stuck, Ordering::Relaxed);
        if reached < 0 {
            return Err(StorageError::Internal(
                "DuckDB's buffer pool refused to evict table blocks".into(),
            ));
        }
        Ok(())
    }
}

/// Returns the memory freed into the C heap to the OS, at most every 100 ms. The evicted
/// blocks themselves are unmapped at once (the `owox` binary fixes glibc's mmap threshold
/// below DuckDB's block size), but a stream also frees many small buffers (vectors, Arrow
/// arrays) that stay in glibc's arenas until a trim, and DuckDB trims only after a sixteenth
/// of its memory limit was freed. Measured with stream-bench (1M then 10M rows): peaks of
/// 78–80 then 86–88 MiB without this (+7 … +11%), 76–79 then 80–85 MiB with it.
fn release_freed_memory() {
    // SAFETY: takes no arguments; DuckDB's allocator flush only returns free heap memory.
    unsafe { owox_duckdb_release_freed_memory() }
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
