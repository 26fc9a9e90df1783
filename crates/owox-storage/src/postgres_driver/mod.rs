//! A PostgreSQL server as a storage: the team's own database, read through a connection pool.
//!
//! Every statement runs in its own `BEGIN READ ONLY` transaction with `statement_timeout`,
//! `search_path` (the configured schema) and `TimeZone = UTC` set locally, so analysts' SQL
//! cannot write, cannot run forever and reads instants the same way on every connection.
//!
//! Cancellation: dropping a stream (or its [`crate::CancelHandle`]) sends the protocol's
//! cancel request to the backend, because closing our end alone does not stop a running
//! query; the connection is then discarded, never returned to the pool, so a late cancel
//! request cannot hit a later query. A connection also leaves the pool after any error.

mod decode;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use futures::StreamExt;
use owox_query::SqlParam;
use tokio::sync::mpsc;
use tokio_postgres::types::{ToSql, Type};
use tokio_util::sync::CancellationToken;

use self::decode::{casts_to_text, native_type, needs_json, normalized_type, PgCell};
pub use self::tls::SslMode;
use crate::stream::{subquery_text, CancelOnDrop, Canceller};
use crate::{
    parse_qualified_name, quote_ident, Batch, Cell, DefinitionRef, DiscoveredField, RowBatch,
    RowStream, Storage, StorageError,
};

/// Rows per batch sent to the consumer.
const BATCH_ROWS: usize = 1024;
/// Batches produced ahead of the consumer.
const CHANNEL_CAPACITY: usize = 2;

/// How to reach a PostgreSQL storage.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresConfig {
    pub host: String,
    pub port: u16,
    pub database: String,
    /// The schema unqualified names resolve in (`search_path`); `None` keeps the server's.
    pub schema: Option<String>,
    pub ssl_mode: SslMode,
    pub username: String,
    pub password: String,
    /// `statement_timeout` of every statement; `None` for no limit.
    pub statement_timeout: Option<Duration>,
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// Connections kept per storage.
    pub max_connections: usize,
}

impl std::fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("schema", &self.schema)
            .field("ssl_mode", &self.ssl_mode)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A PostgreSQL storage (a pool of connections to one database).
pub struct PostgresStorage {
    pool: Pool,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// The configured schema as a quoted identifier.
    search_path: Option<String>,
    statement_timeout_ms: u128,
}

impl PostgresStorage {
    /// Builds the pool; no connection is made until the first use.
    pub fn new(config: &PostgresConfig) -> Result<PostgresStorage, StorageError> {
        let mut pg = tokio_postgres::Config::new();
        pg.host(&config.host)
            .port(config.port)
            .dbname(&config.database)
            .user(&config.username)
            .password(&config.password)
            .application_name("owox-data-marts")
            .connect_timeout(config.connect_timeout)
            .ssl_mode(config.ssl_mode.wire_mode());
        let tls = config.ssl_mode.connector()?;
        let manager = Manager::from_config(
            pg,
            tls.clone(),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(config.connect_timeout))
            .wait_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| StorageError::Internal(format!("cannot build the pool: {e}")))?;
        Ok(PostgresStorage {
            pool,
            tls,
            search_path: config.schema.as_deref().map(quote_ident),
            statement_timeout_ms: config.statement_timeout.map_or(0, |d| d.as_millis().max(1)),
        })
    }

    /// A connection from the pool, in a read-only transaction with the session settings, and
    /// `sql` prepared in it.
    async fn begin(&self, sql: &str) -> Result<(Lease, tokio_postgres::Statement), StorageError> {
        let object = self.pool.get().await.map_err(pool_error)?;
        let lease = Lease(Some(object));
        let client = lease.client();
        // One simple query (the values are our own settings: an integer, and the schema as a
        // quoted identifier), pipelined with the prepare: the server runs them in order.
        let mut settings = format!(
            "BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = {}; SET LOCAL TimeZone = 'UTC'",
            self.statement_timeout_ms
        );
        if let Some(path) = &self.search_path {
            settings.push_str(&format!("; SET LOCAL search_path = {path}"));
        }
        let (begin, prepared) = tokio::join!(client.batch_execute(&settings), client.prepare(sql));
        begin.map_err(pg_error)?;
        let prepared = prepared.map_err(pg_error)?;
        Ok((lease, prepared))
    }

    /// The output columns of `sql` (prepared, never run).
    async fn columns(&self, sql: &str) -> Result<Vec<(String, Type)>, StorageError> {
        let (lease, prepared) = self.begin(sql).await?;
        let columns = prepared
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.type_().clone()))
            .collect();
        lease.finish("ROLLBACK").await;
        Ok(columns)
    }

    /// The definition as a SELECT usable as a subquery, and its columns.
    async fn plain(
        &self,
        def: DefinitionRef<'_>,
    ) -> Result<(String, Vec<(String, Type)>), StorageError> {
        let plain = match def {
            DefinitionRef::Sql(sql) => subquery_text(sql),
            DefinitionRef::Table(name) | DefinitionRef::View(name) => {
                let parts = parse_qualified_name(name)?;
                if parts.len() > 2 {
                    return Err(StorageError::InvalidDefinition(format!(
                        "Invalid fully qualified name \"{name}\": PostgreSQL storages take table or schema.table (the database is the storage's)"
                    )));
                }
                let quoted: Vec<String> = parts.iter().map(|p| quote_ident(p)).collect();
                format!("SELECT * FROM {}\n", quoted.join("."))
            }
        };
        // Preparing it as a subquery proves it is one statement, a query, and usable where
        // the compiler puts it.
        let columns = self
            .columns(&format!("SELECT * FROM (\n{plain}) AS \"src\""))
            .await?;
        Ok((plain, columns))
    }
}

/// A pooled connection that goes back to the pool only after a clean end; otherwise
/// (an error, a cancel, a dropped future) it is closed.
struct Lease(Option<Object>);

impl Lease {
    fn client(&self) -> &tokio_postgres::Client {
        self.0
            .as_ref()
            .expect("lease holds its connection until finished")
    }

    /// Ends the transaction with `command` and returns the connection to the pool when that
    /// worked.
    async fn finish(mut self, command: &str) {
        if let Some(object) = self.0.take() {
            if object.batch_execute(command).await.is_ok() {
                drop(object);
            } else {
                drop(Object::take(object));
            }
        }
    }
}

/// Dropping a lease that was not finished closes its connection (it never returns to the
/// pool).
impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(object) = self.0.take() {
            drop(Object::take(object));
        }
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> StorageError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_error(e),
        deadpool_postgres::PoolError::Timeout(_) => {
            StorageError::provider("timed out connecting to the PostgreSQL server")
        }
        other => StorageError::provider(other.to_string()),
    }
}

/// A driver error as the provider's message: the server's own message for database errors
/// (`relation "x" does not exist`), the connection failure otherwise. Neither contains the
/// password.
fn pg_error(e: tokio_postgres::Error) -> StorageError {
    if let Some(db) = e.as_db_error() {
        if db.code() == &tokio_postgres::error::SqlState::QUERY_CANCELED
            && db.message().contains("user request")
        {
            return StorageError::Cancelled;
        }
        return StorageError::provider(db.message().to_string());
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    StorageError::provider(message)
}

/// A parameter bound with its natural type (the placeholders carry matching casts).
fn param(p: &SqlParam) -> Box<dyn ToSql + Sync + Send> {
    match p {
        SqlParam::Null => Box::new(None::<String>),
        SqlParam::Bool(v) => Box::new(*v),
        SqlParam::Int(v) => Box::new(*v),
        SqlParam::Float(v) => Box::new(*v),
        SqlParam::Text(v) => Box::new(v.clone()),
        SqlParam::Date(v) => Box::new(*v),
        SqlParam::Timestamp(v) => Box::new(*v),
        SqlParam::TimestampTz(v) => Box::new(*v),
    }
}

/// Where a query is in its life, so that a cancel request and the return of the connection to
/// the pool exclude each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Cancelling,
    Finished,
}

struct PgCanceller {
    phase: Mutex<Phase>,
    token: tokio_postgres::CancelToken,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    stop: CancellationToken,
    runtime: tokio::runtime::Handle,
}

impl PgCanceller {
    /// Moves to `Finished` unless a cancel came first; true when the connection may be reused.
    fn finish(&self) -> bool {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        if *phase == Phase::Running {
            *phase = Phase::Finished;
            true
        } else {
            false
        }
    }
}

impl Canceller for PgCanceller {
    fn cancel(&self) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        if *phase != Phase::Running {
            return;
        }
        *phase = Phase::Cancelling;
        drop(phase);
        self.stop.cancel();
        let token = self.token.clone();
        let tls = self.tls.clone();
        self.runtime.spawn(async move {
            if let Err(e) = token.cancel_query(tls).await {
                tracing::warn!(error = %e, "PostgreSQL cancel request failed");
            }
        });
    }
}

#[async_trait]
impl Storage for PostgresStorage {
    fn storage_type(&self) -> &'static str {
        "POSTGRES"
    }

    fn dialect(&self) -> &'static dyn owox_query::Dialect {
        &owox_query::Postgres
    }

    async fn check_access(&self) -> Result<(), StorageError> {
        let (lease, prepared) = self.begin("SELECT 1").await?;
        let value: i32 = lease
            .client()
            .query_one(&prepared, &[])
            .await
            .map_err(pg_error)?
            .try_get(0)
            .map_err(pg_error)?;
        lease.finish("ROLLBACK").await;
        if value == 1 {
            Ok(())
        } else {
            Err(StorageError::Internal(format!("SELECT 1 returned {value}")))
        }
    }

    async fn source_sql(&self, def: DefinitionRef<'_>) -> Result<String, StorageError> {
        let (plain, columns) = self.plain(def).await?;
        if !columns.iter().any(|(_, ty)| casts_to_text(ty)) {
            return Ok(plain);
        }
        // uuid, enum, name and citext columns become text, so the string operators apply to
        // them as to any string (their values are the same text).
        let mut seen = std::collections::HashSet::new();
        let mut select = Vec::new();
        for (name, ty) in &columns {
            if !seen.insert(name.as_str()) {
                return Err(StorageError::InvalidDefinition(format!(
                    "The definition returns the column \"{name}\" more than once"
                )));
            }
            let q = quote_ident(name);
            if casts_to_text(ty) {
                select.push(format!("\"src\".{q}::text AS {q}"));
            } else {
                select.push(format!("\"src\".{q}"));
            }
        }
        Ok(format!(
            "SELECT {} FROM (\n{plain}) AS \"src\"\n",
            select.join(", ")
        ))
    }

    async fn describe(&self, def: DefinitionRef<'_>) -> Result<Vec<DiscoveredField>, StorageError> {
        let (_, columns) = self.plain(def).await?;
        Ok(columns
            .iter()
            .map(|(name, ty)| DiscoveredField {
                name: name.clone(),
                type_name: normalized_type(ty),
                native_type: native_type(ty),
            })
            .collect())
    }

    async fn query(&self, statement: owox_query::Statement) -> Result<RowStream, StorageError> {
        let (lease, mut prepared) = self.begin(&statement.sql).await?;
        let names: Vec<String> = prepared
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect();
        let json_columns: Vec<bool> = prepared
            .columns()
            .iter()
            .map(|c| needs_json(c.type_()))
            .collect();
        if json_columns.contains(&true) {
            // Columns without a typed decoder are read as PostgreSQL's own JSON rendering;
            // positional aliases, because result names may repeat or be truncated.
            let aliases: Vec<String> = (0..names.len()).map(|i| format!("\"c{i}\"")).collect();
            let select: Vec<String> = prepared
                .columns()
                .iter()
                .zip(&aliases)
                .map(|(c, a)| {
                    if needs_json(c.type_()) {
                        format!("to_json(\"q\".{a})::text")
                    } else {
                        format!("\"q\".{a}")
                    }
                })
                .collect();
            let wrapped = format!(
                "SELECT {} FROM (\n{}\n) AS \"q\"({})",
                select.join(", "),
                statement.sql,
                aliases.join(", ")
            );
            prepared = lease.client().prepare(&wrapped).await.map_err(pg_error)?;
        }
        let params: Vec<Box<dyn ToSql + Sync + Send>> =
            statement.params.iter().map(param).collect();
        let canceller = Arc::new(PgCanceller {
            phase: Mutex::new(Phase::Running),
            token: lease.client().cancel_token(),
            tls: self.tls.clone(),
            stop: CancellationToken::new(),
            runtime: tokio::runtime::Handle::current(),
        });
        // Dropping this future while the query starts cancels it (the lease closes the
        // connection; the cancel request stops the backend).
        let guard = CancelOnDrop::new(canceller.clone());
        let rows = lease
            .client()
            .query_raw(
                &prepared,
                params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)),
            )
            .await
            .map_err(pg_error)?;
        guard.disarm();
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let producer = canceller.clone();
        tokio::spawn(async move {
            let clean = pump(rows, &json_columns, &tx, &producer.stop).await;
            if clean && producer.finish() {
                lease.finish("COMMIT").await;
            } else {
                drop(lease);
            }
        });
        Ok(RowStream::new(names, rx, canceller))
    }
}

/// Reads rows into batches and sends them; true when the result was read to its end. Any
/// other end is told to the consumer as an error item (unless it is gone), so a stream never
/// looks complete when it is not.
async fn pump(
    rows: tokio_postgres::RowStream,
    json_columns: &[bool],
    tx: &mpsc::Sender<Result<Batch, StorageError>>,
    stop: &CancellationToken,
) -> bool {
    match read_all(rows, json_columns, tx, stop).await {
        Ok(()) => true,
        Err(Some(e)) => {
            let _ = tx.send(Err(e)).await;
            false
        }
        Err(None) => false,
    }
}

/// `Err(None)`: the consumer is gone.
async fn read_all(
    rows: tokio_postgres::RowStream,
    json_columns: &[bool],
    tx: &mpsc::Sender<Result<Batch, StorageError>>,
    stop: &CancellationToken,
) -> Result<(), Option<StorageError>> {
    futures::pin_mut!(rows);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.cancelled() => return Err(Some(StorageError::Cancelled)),
            next = rows.next() => next,
        };
        match next {
            Some(Ok(row)) => {
                let mut cells = Vec::with_capacity(row.len());
                for i in 0..row.len() {
                    let PgCell(cell) = row.try_get::<_, PgCell>(i).map_err(|e| {
                        Some(StorageError::provider(format!(
                            "cannot read column {}: {e}",
                            i + 1
                        )))
                    })?;
                    // Columns selected as `to_json(col)::text` arrive as text holding JSON.
                    cells.push(match cell {
                        Cell::Text(json) if json_columns.get(i) == Some(&true) => Cell::Json(json),
                        other => other,
                    });
                }
                batch.push(cells);
                if batch.len() >= BATCH_ROWS {
                    send(tx, stop, std::mem::take(&mut batch)).await?;
                }
            }
            Some(Err(e)) => return Err(Some(pg_error(e))),
            None if batch.is_empty() => return Ok(()),
            None => return send(tx, stop, batch).await,
        }
    }
}

/// Sends a batch, waiting for room (backpressure).
async fn send(
    tx: &mpsc::Sender<Result<Batch, StorageError>>,
    stop: &CancellationToken,
    rows: Vec<Vec<Cell>>,
) -> Result<(), Option<StorageError>> {
    tokio::select! {
        biased;
        _ = stop.cancelled() => Err(Some(StorageError::Cancelled)),
        sent = tx.send(Ok(Batch::Rows(RowBatch { rows }))) => sent.map_err(|_| None),
    }
}
