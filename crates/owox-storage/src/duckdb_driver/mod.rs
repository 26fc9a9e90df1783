//! The embedded DuckDB storage.
//!
//! Life cycle: [`DuckDbAdmin::open`] opens the database file with the memory, thread and spill
//! settings, unlocked, for trusted setup SQL (the demo generator's `CREATE TABLE`/`COPY`);
//! [`DuckDbAdmin::lock`] then locks the engine down for analysts' SQL and returns the
//! [`DuckDbStorage`]. [`DuckDbStorage::open`] does both with no setup.
//!
//! Lockdown (database-wide, so it holds for every connection): `allowed_directories` = the
//! imports folder, `home_directory` = the imports folder (`~/x.csv`), `enable_external_access
//! = false` (no file outside it, no ATTACH, no network), extension autoinstall/autoload,
//! community extensions and extension repositories off,
//! `lock_configuration = true` (no `SET`/`RESET`/`PRAGMA` can undo any of it; only
//! `max_streaming_buffer_size`, which each query's connection sets, stays changeable).
//! Definitions must be exactly one statement and the engine's binder must call it a SELECT.

mod columns;
mod convert;
mod raw;
mod table_cache;
mod types;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use owox_query::SqlParam;
use tokio::sync::{mpsc, oneshot};

pub use self::columns::{ColumnBatch, ColumnReader, Numbers};
use self::raw::{Db, RawConn};
use self::table_cache::TableCache;
pub use self::types::DuckType;
use crate::stream::{subquery_text, CancelOnDrop, Canceller};
use crate::{
    quote_qualified_name, Batch, DefinitionRef, DiscoveredField, RowStream, Storage, StorageError,
};

/// How to open the DuckDB storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuckDbConfig {
    /// The database file (created if missing; its folder too).
    pub database_path: PathBuf,
    /// The only folder analysts' SQL may read files from (created if missing). SQL names its
    /// files `~/orders.csv` (`~` is the imports folder) or by absolute path; relative paths
    /// are refused by the engine.
    pub imports_dir: PathBuf,
    /// DuckDB `memory_limit`, e.g. `"1GB"`.
    pub memory_limit: String,
    /// DuckDB worker threads.
    pub threads: usize,
    /// Where DuckDB spills when a query exceeds the memory limit (created if missing).
    pub temp_dir: PathBuf,
    /// The most DuckDB may keep of table blocks it has read, in bytes (`table_cache`
    /// module); `None` leaves them to `memory_limit` alone.
    pub table_cache_limit: Option<u64>,
}

/// The default [`DuckDbConfig::table_cache_limit`]: 16 MiB (docs/performance.md: a 10M-row
/// stream then peaks within 10% of a 1M-row one, at ~110–122 MiB).
pub const DEFAULT_TABLE_CACHE_LIMIT: u64 = 16 << 20;

impl DuckDbConfig {
    /// The defaults under a data directory: `<dir>/duckdb/owox.duckdb`, `<dir>/imports`,
    /// `<dir>/duckdb/tmp`, 1GB, up to 4 threads, a 16 MiB table cache.
    pub fn under(data_dir: &Path) -> DuckDbConfig {
        DuckDbConfig {
            database_path: data_dir.join("duckdb").join("owox.duckdb"),
            imports_dir: data_dir.join("imports"),
            memory_limit: "1GB".into(),
            threads: std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(2),
            temp_dir: data_dir.join("duckdb").join("tmp"),
            table_cache_limit: Some(DEFAULT_TABLE_CACHE_LIMIT),
        }
    }
}

/// Batches the engine may produce ahead of the consumer. A batch is one engine chunk (one
/// DuckDB vector, 2048 rows).
const CHANNEL_CAPACITY: usize = 2;

/// What DuckDB buffers of a streaming result ahead of our reads (its `max_streaming_buffer_size`,
/// 10 MiB by default), set on each query's connection: the engine runs at most this far ahead
/// of a slow client, per stream (docs/performance.md has the measurements). The one setting
/// the lockdown leaves changeable (`allowed_configs`); analysts' SQL cannot run `SET` anyway.
const STREAMING_BUFFER: &str = "2MB";

/// The database before lockdown: trusted setup SQL only. Never hand this to analysts' SQL.
pub struct DuckDbAdmin {
    db: Arc<Db>,
    conn: duckdb::Connection,
    imports_dir: PathBuf,
    table_cache_limit: Option<u64>,
}

impl DuckDbAdmin {
    /// Opens (or creates) the database with the configured memory limit, threads and spill
    /// folder, extension autoinstall/autoload off, and not yet locked down.
    pub fn open(config: &DuckDbConfig) -> Result<DuckDbAdmin, StorageError> {
        let io = |what: &str, p: &Path, e: std::io::Error| {
            StorageError::Internal(format!("cannot {what} {}: {e}", p.display()))
        };
        for dir in [&config.imports_dir, &config.temp_dir] {
            std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        }
        if let Some(parent) = config.database_path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
            }
        }
        let imports_dir = config
            .imports_dir
            .canonicalize()
            .map_err(|e| io("resolve", &config.imports_dir, e))?;
        let temp_dir = config
            .temp_dir
            .canonicalize()
            .map_err(|e| io("resolve", &config.temp_dir, e))?;
        if config.threads == 0 {
            return Err(StorageError::Internal(
                "DuckDB threads must be at least 1".into(),
            ));
        }
        let settings = [
            ("memory_limit", config.memory_limit.clone()),
            ("threads", config.threads.to_string()),
            ("temp_directory", path_text(&temp_dir)?),
            ("autoinstall_known_extensions", "false".into()),
            ("autoload_known_extensions", "false".into()),
            ("allow_community_extensions", "false".into()),
            ("allow_unsigned_extensions", "false".into()),
            ("allow_extension_repositories", "forbidden".into()),
            ("preserve_insertion_order", "false".into()),
        ];
        let db = Arc::new(Db::open(&config.database_path, &settings)?);
        // SAFETY: `db` is a valid open database, kept alive by the `Arc` for as long as any
        // connection made from it (every holder of a connection also holds the `Arc`).
        let conn = unsafe { duckdb::Connection::open_from_raw(db.raw()) }.map_err(provider)?;
        Ok(DuckDbAdmin {
            db,
            conn,
            imports_dir,
            table_cache_limit: config.table_cache_limit,
        })
    }

    /// Runs trusted setup SQL (any statements; e.g. `CREATE TABLE … AS …`, `COPY … TO` a
    /// file in the imports folder).
    pub fn execute_batch(&self, sql: &str) -> Result<(), StorageError> {
        self.conn.execute_batch(sql).map_err(provider)
    }

    /// The admin connection, for setup code that needs results (e.g. "does the demo table
    /// exist yet?").
    pub fn connection(&self) -> &duckdb::Connection {
        &self.conn
    }

    /// The resolved imports folder.
    pub fn imports_dir(&self) -> &Path {
        &self.imports_dir
    }

    /// Locks the engine down (see the module docs) and returns the analysts' storage. The
    /// admin connection is closed.
    pub fn lock(self) -> Result<DuckDbStorage, StorageError> {
        let imports = path_text(&self.imports_dir)?;
        let mut dir = imports.clone();
        if !dir.ends_with('/') {
            dir.push('/');
        }
        let lockdown = format!(
            "SET GLOBAL allowed_directories = [{dir}];\n\
             SET GLOBAL home_directory = {imports};\n\
             SET GLOBAL enable_external_access = false;\n\
             SET GLOBAL autoinstall_known_extensions = false;\n\
             SET GLOBAL autoload_known_extensions = false;\n\
             SET GLOBAL allow_community_extensions = false;\n\
             SET GLOBAL allow_extension_repositories = 'forbidden';\n\
             SET GLOBAL allowed_configs = ['max_streaming_buffer_size'];\n\
             SET GLOBAL lock_configuration = true;",
            dir = sql_string(&dir),
            imports = sql_string(&imports),
        );
        self.conn
            .execute_batch(&lockdown)
            .map_err(|e| StorageError::Internal(format!("DuckDB lockdown failed: {e}")))?;
        let base = self.conn.try_clone().map_err(provider)?;
        let active = Arc::new(AtomicUsize::new(0));
        let table_cache = match self.table_cache_limit {
            Some(cap) => {
                let cache = Arc::new(TableCache::new(cap, self.db.clone()));
                let governor = TableCache::start_governor(&cache, active.clone())?;
                Some((cache, governor))
            }
            None => None,
        };
        Ok(DuckDbStorage {
            db: self.db,
            base: Mutex::new(base),
            imports_dir: self.imports_dir,
            active,
            table_cache,
        })
    }
}

/// The embedded DuckDB storage, locked down.
pub struct DuckDbStorage {
    db: Arc<Db>,
    /// The connection each query's connection is cloned from.
    base: Mutex<duckdb::Connection>,
    imports_dir: PathBuf,
    active: Arc<AtomicUsize>,
    /// The table cache's cap and its governor thread (woken when a query starts).
    table_cache: Option<(Arc<TableCache>, std::thread::Thread)>,
}

impl DuckDbStorage {
    /// Opens the database and locks it down at once (no setup).
    pub fn open(config: DuckDbConfig) -> Result<DuckDbStorage, StorageError> {
        DuckDbAdmin::open(&config)?.lock()
    }

    /// The resolved imports folder.
    pub fn imports_dir(&self) -> &Path {
        &self.imports_dir
    }

    /// Queries whose engine thread is still running (streams not yet finished or dropped
    /// streams still unwinding). For metrics and tests.
    pub fn running_queries(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Bytes of table blocks DuckDB holds now, and all it holds (as `duckdb_memory()` reports
    /// them). For tests of the table cache.
    pub fn memory_in_use(&self) -> Result<(u64, u64), StorageError> {
        let used = table_cache::memory_in_use(&self.db)?;
        Ok((used.table_blocks, used.total))
    }

    /// The DuckDB library version (e.g. `v1.5.0`).
    pub fn engine_version(&self) -> String {
        raw::library_version()
    }

    fn clone_connection(&self) -> Result<duckdb::Connection, StorageError> {
        let base = self
            .base
            .lock()
            .map_err(|_| StorageError::Internal("DuckDB base connection poisoned".into()))?;
        base.try_clone().map_err(provider)
    }
}

/// A validated definition.
struct Validated {
    /// The definition as a SELECT (subquery body form).
    plain: String,
    /// The trusted source SQL: `plain`, with top-level UUID columns cast to VARCHAR so the
    /// string operators (`strpos`, `starts_with`, `regexp_matches`, `trim`, `=` with text)
    /// apply to them as to any string; their values are the same canonical text.
    trusted: String,
}

/// Validates a definition (binds it in the engine, never runs it).
fn validate(db: &Db, def: DefinitionRef<'_>) -> Result<Validated, StorageError> {
    let sql = match def {
        DefinitionRef::Sql(sql) => sql.to_string(),
        DefinitionRef::Table(name) | DefinitionRef::View(name) => {
            format!("SELECT * FROM {}", quote_qualified_name(name)?)
        }
    };
    let conn = RawConn::connect(db)?;
    let columns = conn.select_columns(&sql)?;
    let plain = subquery_text(&sql);
    let uuids: Vec<String> = columns
        .iter()
        .filter(|(_, t)| *t == duckdb::ffi::DUCKDB_TYPE_DUCKDB_TYPE_UUID)
        .map(|(name, _)| {
            let q = crate::quote_ident(name);
            format!("CAST({q} AS VARCHAR) AS {q}")
        })
        .collect();
    let trusted = if uuids.is_empty() {
        plain.clone()
    } else {
        format!(
            "SELECT * REPLACE ({}) FROM (\n{plain}) AS \"src\"\n",
            uuids.join(", ")
        )
    };
    // The returned text must also work where the compiler puts it: as a subquery.
    conn.select_columns(&format!("SELECT * FROM ({trusted}) AS \"src\""))
        .map_err(|e| match e {
            StorageError::Provider { message } | StorageError::InvalidDefinition(message) => {
                StorageError::InvalidDefinition(format!(
                    "The SQL definition cannot be used as a subquery: {message}"
                ))
            }
            other => other,
        })?;
    Ok(Validated { plain, trusted })
}

fn path_text(p: &Path) -> Result<String, StorageError> {
    p.to_str()
        .map(str::to_string)
        .ok_or_else(|| StorageError::Internal(format!("path is not UTF-8: {}", p.display())))
}

/// A single-quoted SQL string literal.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn provider(e: duckdb::Error) -> StorageError {
    if is_interrupt(&e) {
        return StorageError::Cancelled;
    }
    let message = match &e {
        duckdb::Error::DuckDBFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    };
    StorageError::provider(message)
}

fn is_interrupt(e: &duckdb::Error) -> bool {
    let text = e.to_string();
    text.contains("INTERRUPT Error") || text.contains("Interrupted!")
}

#[async_trait]
impl Storage for DuckDbStorage {
    fn storage_type(&self) -> &'static str {
        "DUCKDB"
    }

    async fn check_access(&self) -> Result<(), StorageError> {
        let conn = self.clone_connection()?;
        tokio::task::spawn_blocking(move || {
            conn.query_row("SELECT 1", [], |r| r.get::<_, i32>(0))
                .map_err(provider)
                .and_then(|v| {
                    if v == 1 {
                        Ok(())
                    } else {
                        Err(StorageError::Internal(format!("SELECT 1 returned {v}")))
                    }
                })
        })
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))?
    }

    fn dialect(&self) -> &'static dyn owox_query::Dialect {
        &owox_query::DuckDb
    }

    async fn source_sql(&self, def: DefinitionRef<'_>) -> Result<String, StorageError> {
        // Binding may read the header of a file the SQL names: off the async threads.
        let def = def.to_owned_def();
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || validate(&db, def.as_ref()).map(|v| v.trusted))
            .await
            .map_err(|e| StorageError::Internal(e.to_string()))?
    }

    async fn describe(&self, def: DefinitionRef<'_>) -> Result<Vec<DiscoveredField>, StorageError> {
        let def = def.to_owned_def();
        let ctx = DescribeCtx {
            db: self.db.clone(),
            conn: self.clone_connection()?,
        };
        tokio::task::spawn_blocking(move || {
            let validated = validate(&ctx.db, def.as_ref())?;
            ctx.describe(&validated.plain)
        })
        .await
        .map_err(|e| StorageError::Internal(e.to_string()))?
    }

    async fn query(&self, statement: owox_query::Statement) -> Result<RowStream, StorageError> {
        let conn = self.clone_connection()?;
        let interrupt = conn.interrupt_handle();
        let canceller: Arc<dyn Canceller> = Arc::new(Interrupter { handle: interrupt });
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (ready_tx, ready_rx) = oneshot::channel();
        let guard = ActiveGuard::new(self.active.clone());
        let db = self.db.clone();
        let table_cache = self.table_cache.as_ref().map(|(cache, governor)| {
            governor.unpark();
            cache.clone()
        });
        std::thread::Builder::new()
            .name("owox-duckdb-query".into())
            .spawn(move || {
                run_query(conn, statement, table_cache.as_deref(), ready_tx, tx);
                if let Some(cache) = &table_cache {
                    cache.trim_after_query(guard.others_running());
                }
                drop(guard);
                drop(table_cache);
                drop(db);
            })
            .map_err(|e| StorageError::Internal(format!("cannot start a query thread: {e}")))?;
        // If this future is dropped while the query starts, interrupt it.
        let cancel_on_drop = CancelOnDrop::new(canceller.clone());
        let columns = match ready_rx.await {
            Ok(Ok(columns)) => columns,
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(StorageError::Internal(
                    "the query thread ended before starting".into(),
                ))
            }
        };
        cancel_on_drop.disarm();
        Ok(RowStream::new(columns, rx, canceller))
    }
}

/// Owned copy of a definition (the describe future must be `Send + 'static` inside).
enum OwnedDef {
    Sql(String),
    Table(String),
    View(String),
}

impl OwnedDef {
    fn as_ref(&self) -> DefinitionRef<'_> {
        match self {
            OwnedDef::Sql(s) => DefinitionRef::Sql(s),
            OwnedDef::Table(s) => DefinitionRef::Table(s),
            OwnedDef::View(s) => DefinitionRef::View(s),
        }
    }
}

impl DefinitionRef<'_> {
    fn to_owned_def(self) -> OwnedDef {
        match self {
            DefinitionRef::Sql(s) => OwnedDef::Sql(s.to_string()),
            DefinitionRef::Table(s) => OwnedDef::Table(s.to_string()),
            DefinitionRef::View(s) => OwnedDef::View(s.to_string()),
        }
    }
}

struct DescribeCtx {
    db: Arc<Db>,
    conn: duckdb::Connection,
}

impl DescribeCtx {
    fn describe(self, plain: &str) -> Result<Vec<DiscoveredField>, StorageError> {
        // Names from the binder (raw API), types from the prepared statement (typed API);
        // neither runs the query.
        let names: Vec<String> = RawConn::connect(&self.db)?
            .select_columns(plain)?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let stmt = self.conn.prepare(plain).map_err(provider)?;
        let count = stmt.column_count();
        if count != names.len() {
            return Err(StorageError::Internal(format!(
                "DuckDB reported {} names for {count} columns",
                names.len()
            )));
        }
        Ok(names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let t = DuckType::from_handle(&stmt.column_logical_type(i));
                DiscoveredField {
                    name,
                    type_name: t.normalized().to_string(),
                    native_type: t.native(),
                }
            })
            .collect())
    }
}

/// Interrupts the query running on one connection.
struct Interrupter {
    handle: Arc<duckdb::InterruptHandle>,
}

impl Canceller for Interrupter {
    fn cancel(&self) {
        self.handle.interrupt();
    }
}

/// Counts a running query thread until dropped.
struct ActiveGuard(Arc<AtomicUsize>);

impl ActiveGuard {
    fn new(counter: Arc<AtomicUsize>) -> ActiveGuard {
        counter.fetch_add(1, Ordering::SeqCst);
        ActiveGuard(counter)
    }

    /// Whether queries other than this one are running.
    fn others_running(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 1
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn bind_value(p: &SqlParam) -> duckdb::types::Value {
    use duckdb::types::{TimeUnit, Value};
    match p {
        SqlParam::Null => Value::Null,
        SqlParam::Bool(b) => Value::Boolean(*b),
        SqlParam::Int(i) => Value::BigInt(*i),
        SqlParam::Float(f) => Value::Double(*f),
        SqlParam::Text(s) => Value::Text(s.clone()),
        SqlParam::Date(d) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
            Value::Date32((*d - epoch).num_days() as i32)
        }
        SqlParam::Timestamp(ts) => {
            Value::Timestamp(TimeUnit::Microsecond, ts.and_utc().timestamp_micros())
        }
        // Bound as text with an explicit UTC offset: the placeholder casts it to TIMESTAMPTZ,
        // which the engine parses without the ICU extension.
        SqlParam::TimestampTz(ts) => Value::Text(
            ts.naive_utc()
                .format("%Y-%m-%d %H:%M:%S%.6f+00")
                .to_string(),
        ),
    }
}

/// The query thread: prepare, bind, start the streaming result, then feed the channel one
/// engine chunk at a time (as a [`ColumnBatch`]: the Arrow arrays, read in place by the
/// consumer) until the end, an error, or the consumer going away, checking the table cache
/// after each chunk.
fn run_query(
    conn: duckdb::Connection,
    statement: owox_query::Statement,
    table_cache: Option<&TableCache>,
    ready: oneshot::Sender<Result<Vec<String>, StorageError>>,
    tx: mpsc::Sender<Result<Batch, StorageError>>,
) {
    if let Err(e) = conn.execute_batch(&format!(
        "SET max_streaming_buffer_size = '{STREAMING_BUFFER}'"
    )) {
        let _ = ready.send(Err(StorageError::Internal(format!(
            "cannot size the streaming buffer: {e}"
        ))));
        return;
    }
    let mut stmt = match conn.prepare(&statement.sql) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(provider(e)));
            return;
        }
    };
    let types: Arc<[DuckType]> = (0..stmt.column_count())
        .map(|i| DuckType::from_handle(&stmt.column_logical_type(i)))
        .collect();
    let values: Vec<duckdb::types::Value> = statement.params.iter().map(bind_value).collect();
    let mut stream = match stmt.stream_arrow(duckdb::params_from_iter(values)) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(provider(e)));
            return;
        }
    };
    let columns: Vec<String> = stream
        .get_schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    if columns.len() != types.len() {
        let _ = ready.send(Err(StorageError::Internal(format!(
            "DuckDB reported {} columns and {} types",
            columns.len(),
            types.len()
        ))));
        return;
    }
    if ready.send(Ok(columns)).is_err() {
        return;
    }
    loop {
        if tx.is_closed() {
            return;
        }
        let next = stream.next();
        if let Some(cache) = table_cache {
            cache.after_chunk();
        }
        let batch = match next {
            None => return,
            Some(Err(e)) => Err(provider(e)),
            Some(Ok(batch)) => Ok(Batch::Columns(ColumnBatch::new(batch, types.clone()))),
        };
        let failed = batch.is_err();
        if tx.blocking_send(batch).is_err() || failed {
            return;
        }
    }
}
