//! The stream of row batches of one running query.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

use crate::{Cell, StorageError};

/// A batch of rows; each row has one cell per column, in the stream's column order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowBatch {
    pub rows: Vec<Vec<Cell>>,
}

/// Something that stops a running query in its engine (idempotent).
pub(crate) trait Canceller: Send + Sync {
    fn cancel(&self);
}

/// Rows of one running query: a `futures::Stream<Item = Result<RowBatch, StorageError>>`.
/// The engine produces at most a few batches ahead of the consumer (a bounded channel), so a
/// slow consumer slows the engine. Dropping the stream cancels the query in the engine.
pub struct RowStream {
    columns: Vec<String>,
    receiver: mpsc::Receiver<Result<RowBatch, StorageError>>,
    canceller: Arc<dyn Canceller>,
}

impl RowStream {
    pub(crate) fn new(
        columns: Vec<String>,
        receiver: mpsc::Receiver<Result<RowBatch, StorageError>>,
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
        self.receiver.poll_recv(cx)
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
