// Reads a DuckDB database's memory use, evicts unpinned table blocks from its buffer pool
// without touching its memory limit, and returns freed heap memory to the OS (the
// `table_cache` module says why). DuckDB's C API has none of these: the memory use is only a
// `duckdb_memory()` query (~1 ms), the eviction of the queue of table blocks
// (`EvictBlocksInternal`) and the memory counters are protected, and the allocator flush is
// internal.
// Compiled by build.rs against the headers of the bundled DuckDB that libduckdb-sys builds
// (`DEP_DUCKDB_INCLUDE`), with the same NDEBUG, so the layouts are that build's.

#include "duckdb/common/allocator.hpp"
#include "duckdb/main/capi/capi_internal.hpp"
#include "duckdb/storage/buffer/buffer_pool.hpp"
#include "duckdb/storage/buffer/temporary_file_information.hpp"
#include "duckdb/storage/buffer_manager.hpp"

#include <cstdint>

namespace {

// Never instantiated: names BufferPool's protected members from a derived class, which C++
// allows through pointers to members.
struct PoolAccess : duckdb::BufferPool {
	static bool EvictTableBlocks(duckdb::BufferPool &pool, duckdb::idx_t target_total) {
		auto queues = &PoolAccess::queues;
		auto evict = &PoolAccess::EvictBlocksInternal;
		auto &all = pool.*queues;
		if (all.empty()) {
			return false;
		}
		// The first queue is the one of persistent (table) blocks and external file buffers:
		// BLOCK_AND_EXTERNAL_FILE_QUEUE_SIZE is 1 and it comes first in priority order.
		static_assert(duckdb::BufferPool::BLOCK_AND_EXTERNAL_FILE_QUEUE_SIZE == 1,
		              "the table block queue is no longer the first queue alone");
		auto result =
		    (pool.*evict)(duckdb::QueryContext(), *all[0], duckdb::MemoryTag::BASE_TABLE, 0, target_total, nullptr);
		return result.success;
	}

	// The bytes of table blocks alone: one tag's counter, flushed from DuckDB's 64 per-thread
	// caches (GetMemoryUsageInfo flushes all 15 tags; this runs after every streamed chunk).
	static uint64_t TableBlocks(duckdb::BufferPool &pool) {
		auto usage = &PoolAccess::memory_usage;
		return (pool.*usage).GetUsedMemory(duckdb::MemoryTag::BASE_TABLE, PoolAccess::MemoryUsageCaches::FLUSH);
	}
};

} // namespace

static duckdb::BufferManager &BufferManagerOf(duckdb_database database) {
	auto wrapper = reinterpret_cast<duckdb::DatabaseWrapper *>(database);
	return duckdb::BufferManager::GetBufferManager(*wrapper->database->instance);
}

// The bytes of table blocks (tag BASE_TABLE) and of all tags DuckDB's buffer manager accounts
// for, as `duckdb_memory()` reports them. 0: read, -1: an error.
extern "C" int owox_duckdb_memory_in_use(duckdb_database database, uint64_t *table_blocks, uint64_t *total) {
	if (!database || !table_blocks || !total) {
		return -1;
	}
	try {
		uint64_t table = 0, all = 0;
		for (auto &info : BufferManagerOf(database).GetMemoryUsageInfo()) {
			all += info.size;
			if (info.tag == duckdb::MemoryTag::BASE_TABLE) {
				table += info.size;
			}
		}
		*table_blocks = table;
		*total = all;
		return 0;
	} catch (...) {
		return -1;
	}
}

// The bytes of table blocks, as `owox_duckdb_memory_in_use` counts them, read more cheaply.
// 0: read, -1: an error.
extern "C" int owox_duckdb_table_blocks(duckdb_database database, uint64_t *table_blocks) {
	if (!database || !table_blocks) {
		return -1;
	}
	try {
		*table_blocks = PoolAccess::TableBlocks(BufferManagerOf(database).GetBufferPool());
		return 0;
	} catch (...) {
		return -1;
	}
}

// Evicts unpinned table blocks until DuckDB's accounted memory is at most `target_total`
// bytes (or none is left to evict). 1: reached, 0: not reached, -1: an error.
extern "C" int owox_duckdb_evict_table_blocks(duckdb_database database, uint64_t target_total) {
	if (!database) {
		return -1;
	}
	try {
		return PoolAccess::EvictTableBlocks(BufferManagerOf(database).GetBufferPool(), target_total) ? 1 : 0;
	} catch (...) {
		return -1;
	}
}

// Returns the memory freed into the C heap to the OS (glibc's malloc_trim, which DuckDB
// itself calls only after a sixteenth of its memory limit was freed), at most every 100 ms
// across the process (DuckDB's own rate limit); nothing elsewhere.
extern "C" void owox_duckdb_release_freed_memory() {
	try {
		duckdb::Allocator::FlushAll();
	} catch (...) {
	}
}
