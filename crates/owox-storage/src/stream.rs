//! The stream of row batches of one running query.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use crate::{Cell, ColumnBatch, StorageError};

/// A batch of rows; each row has one cell per column, in the stream's column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowBatch {
    pub rows: Vec<Vec<Cell>>,
}

/// One batch as the driver produced it: rows of [`Cell`]s (PostgreSQL), or a DuckDB chunk in
/// columnar form (typed arrays, read in place without a value per cell). Both hold the same
/// values: [`Batch::into_rows`] turns a columnar batch into the cells the row path would have.
#[derive(Debug)]
pub enum Batch {
    Rows(RowBatch),
    Columns(ColumnBatch),
}

impl Batch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        match self {
            Batch::Rows(b) => b.rows.len(),
            Batch::Columns(c) => c.num_rows(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batch as rows of cells (converts a columnar batch).
    pub fn into_rows(self) -> RowBatch {
        match self {
            Batch::Rows(b) => b,
            Batch::Columns(c) => RowBatch { rows: c.to_rows() },
        }
    }
}

impl From<RowBatch> for Batch {
    fn from(b: RowBatch) -> Batch {
        Batch::Rows(b)
    }
}

/// Something that stops a running query in its engine (idempotent).
pub(crate) trait Canceller: Send + Sync {
    fn cancel(&self);
}

/// Rows of one running query: a `futures::Stream<Item = Result<RowBatch, StorageError>>`
/// (rows of cells), or batches as the driver made them with [`RowStream::poll_next_batch`]
/// (columnar for DuckDB: what the NDJSON stream reads, without a value per cell).
/// The engine produces at most a few batches ahead of the consumer (a bounded channel), so a
/// slow consumer slows the engine. Dropping the stream cancels the query in the engine.
pub struct RowStream {
    columns: Vec<String>,
    receiver: mpsc::Receiver<Result<Batch, StorageError>>,
    canceller: Arc<dyn Canceller>,
}

impl RowStream {
    pub(crate) fn new(
        columns: Vec<String>,
        receiver: mpsc::Receiver<Result<Batch, StorageError>>,
        canceller: Arc<dyn Canceller>,
    ) -> RowStream {
        RowStream {
            columns,
            receiver,
            canceller,
        }
    }

    /// The result's column names, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Interrupts the query now (the stream then ends with [`StorageError::Cancelled`]).
    /// Dropping the stream does the same.
    pub fn cancel(&self) {
        self.canceller.cancel();
    }

    /// The next batch in the driver's own layout (DuckDB: [`Batch::Columns`]; PostgreSQL:
    /// [`Batch::Rows`]); the `Stream` implementation yields the same batches as rows.
    pub fn poll_next_batch(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Batch, StorageError>>> {
        self.receiver.poll_recv(cx)
    }

    /// A handle that interrupts this query from elsewhere (e.g. a cancel request), while the
    /// stream itself is being consumed.
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.canceller.clone())
    }
}

/// Cancels a query being started if the starting future is dropped (the caller went away
/// before the stream existed); [`CancelOnDrop::disarm`] once the stream owns the query.
pub(crate) struct CancelOnDrop(Option<Arc<dyn Canceller>>);

impl CancelOnDrop {
    pub(crate) fn new(canceller: Arc<dyn Canceller>) -> Self {
        CancelOnDrop(Some(canceller))
    }

    pub(crate) fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

/// The definition text as a subquery body: trailing blanks and `;` removed, and a final line
/// break so a trailing `-- comment` cannot swallow the closing parenthesis.
pub(crate) fn subquery_text(sql: &str) -> String {
    let mut s = sql.trim_end();
    while let Some(rest) = s.strip_suffix(';') {
        s = rest.trim_end();
    }
    format!("{}\n", s.trim_start())
}

/// Interrupts one running query; cloneable, idempotent, harmless after the query ended.
#[derive(Clone)]
pub struct CancelHandle(Arc<dyn Canceller>);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelHandle")
    }
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl futures::Stream for RowStream {
    type Item = Result<RowBatch, StorageError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_next_batch(cx)
            .map(|item| item.map(|batch| batch.map(Batch::into_rows)))
    }
}

impl Drop for RowStream {
    fn drop(&mut self) {
        // Interrupt first (the engine may be computing the next chunk), then close the channel
        // (the producer may be waiting for room): either way the query thread ends.
        self.canceller.cancel();
        self.receiver.close();
    }
}
