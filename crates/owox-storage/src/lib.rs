//! Storages: the one trait every driver implements (check access, validate a definition,
//! describe its output schema, run a query as a stream of row batches, cancel it by dropping
//! the stream), and the drivers. Today: the embedded DuckDB engine ([`DuckDbStorage`]).
//!
//! Invariants:
//! - a query streams in constant memory: the engine's streaming result feeds a bounded channel,
//!   so a slow consumer stops the engine (backpressure), and nothing collects a whole result;
//! - dropping a [`RowStream`] interrupts its query in the engine and ends its thread;
//! - analysts' SQL runs in a locked-down engine: one SELECT per definition, decided by the
//!   engine's parser and binder; no file access outside the imports folder; no extension
//!   install or load; configuration locked.

mod cell;
mod duckdb_driver;
mod ident;
mod postgres_driver;
mod stream;

use async_trait::async_trait;

pub use cell::{decimal_text, widen_f32, write_decimal, Cell, CellRef};
pub use duckdb_driver::{
    ColumnBatch, ColumnReader, DuckDbAdmin, DuckDbConfig, DuckDbStorage, DuckType, Numbers,
    DEFAULT_TABLE_CACHE_LIMIT,
};
pub use ident::{parse_qualified_name, quote_ident, quote_qualified_name};
pub use postgres_driver::{PostgresConfig, PostgresStorage, SslMode};
pub use stream::{Batch, CancelHandle, RowBatch, RowStream};

/// A data mart definition as the storage sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionRef<'a> {
    /// `definition.sqlQuery`: exactly one SELECT in the storage's dialect.
    Sql(&'a str),
    /// `definition.fullyQualifiedName` of a table: `table`, `schema.table` or
    /// `catalog.schema.table`.
    Table(&'a str),
    /// `definition.fullyQualifiedName` of a view (same rules as a table).
    View(&'a str),
}

/// One output column of a definition, as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredField {
    /// The exact column name.
    pub name: String,
    /// The normalized type name, in the vocabulary `owox_query::FieldCategory::of` classifies
    /// (`BIGINT`, `DECIMAL`, `VARCHAR`, `TIMESTAMP`, `TIMESTAMPTZ`, `JSON`, `LIST`, …).
    pub type_name: String,
    /// The engine's own spelling (`DECIMAL(18,2)`, `INTEGER[]`, `TIMESTAMP WITH TIME ZONE`).
    pub native_type: String,
}

/// What a storage call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The definition or SQL is not allowed or malformed (answered 400 with this message).
    #[error("{0}")]
    InvalidDefinition(String),
    /// The engine refused or failed (answered 424 with `providerMessage` = message).
    #[error("{message}")]
    Provider { message: String },
    /// The query was cancelled (the client went away or the run was cancelled).
    #[error("The query was cancelled")]
    Cancelled,
    /// A bug or an environment failure (answered 500).
    #[error("internal storage error: {0}")]
    Internal(String),
}

impl StorageError {
    pub(crate) fn provider(message: impl Into<String>) -> StorageError {
        StorageError::Provider {
            message: message.into(),
        }
    }
}

/// What every storage driver does.
#[async_trait]
pub trait Storage: Send + Sync {
    /// The storage type as the API spells it (`"DUCKDB"`).
    fn storage_type(&self) -> &'static str;

    /// The SQL dialect the query compiler writes for this storage.
    fn dialect(&self) -> &'static dyn owox_query::Dialect;

    /// A trivial probe (`SELECT 1`).
    async fn check_access(&self) -> Result<(), StorageError>;

    /// Validates a definition (identifiers, the one-SELECT rule) and returns trusted SQL for
    /// it, to be used as the compiler's `Source::Subquery`. The engine binds or prepares the
    /// statement; it does not run it.
    async fn source_sql(&self, def: DefinitionRef<'_>) -> Result<String, StorageError>;

    /// The definition's output columns, from the engine without running the query (this is
    /// also the dry run).
    async fn describe(&self, def: DefinitionRef<'_>) -> Result<Vec<DiscoveredField>, StorageError>;

    /// Runs a compiled statement as a stream of row batches. Errors found while preparing or
    /// starting the query are returned here; later ones arrive as items of the stream.
    async fn query(&self, statement: owox_query::Statement) -> Result<RowStream, StorageError>;
}
