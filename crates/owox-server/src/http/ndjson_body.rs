//! The NDJSON response body of a stream (`http_data`, `report_stream`): pulls batches from
//! the storage as the socket takes bytes, encodes up to [`ENCODE_AHEAD`] of them in runtime
//! tasks, accumulates the in-flight totals, and records the run when the stream ends, fails,
//! times out or the client goes away.
//!
//! Encoded batches (~0.5 MiB each on stream-bench's table) are written into buffers of a
//! per-stream [`FramePool`] and handed to hyper as `Bytes` that give their buffer back once
//! written, so a stream reuses a few buffers instead of allocating one per batch: the
//! allocator then has nothing to purge or fault in at the stream's pace, and the process's
//! memory stays level however long the stream runs.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use axum::body::Bytes;
use futures::Stream;
use owox_query::TotalsQuery;
use owox_storage::{Batch, RowStream, Storage, StorageError};
use serde_json::{json, Value};

use crate::http::http_data::RunRecorder;
use crate::http::ndjson::{write_row, RowEncoder};
use crate::http::totals::InFlightTotals;

/// The response body: encodes each batch as NDJSON lines and records the run at the end,
/// or as FAILED when the client goes away (the body is dropped before its end).
pub(super) struct NdjsonBody {
    pub(super) rows: RowStream,
    /// The server's shutdown flag: a running stream ends when it is set.
    pub(super) shutting_down: Arc<std::sync::atomic::AtomicBool>,
    /// When the query timeout runs out (`QUERY_TIMEOUT_SECONDS`).
    pub(super) deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    pub(super) timeout: Option<std::time::Duration>,
    /// The totals query (§11.9) and the engine to run it on, after the last row.
    pub(super) totals: Option<(Arc<dyn Storage>, TotalsQuery)>,
    /// The totals accumulated from the streamed rows, when they are the totals' rows.
    pub(super) in_flight: Option<InFlightTotals>,
    pub(super) encoder: Arc<RowEncoder>,
    /// Batches being encoded in runtime tasks (so encoding runs on every core), in order.
    pub(super) encoding: std::collections::VecDeque<tokio::task::JoinHandle<(Bytes, usize)>>,
    /// The row stream's end once seen: `Some(None)` clean, `Some(Some(e))` failed; delivered
    /// after the batches still being encoded.
    pub(super) ended: Option<Option<StorageError>>,
    /// The first batch, read before the status went out; sent first.
    pub(super) first: Option<Batch>,
    pub(super) recorder: Option<RunRecorder>,
    pub(super) row_count: u64,
    pub(super) bytes: u64,
    /// The buffers encoded batches are written into, reused once the socket took them.
    pub(super) frames: Arc<FramePool>,
}

/// Batches encoded ahead of the socket, each in its own runtime task.
const ENCODE_AHEAD: usize = 2;

/// Output buffers of one stream, reused.
pub(super) struct FramePool {
    free: Mutex<Vec<Vec<u8>>>,
}

/// Buffers kept for reuse: the batches being encoded, the one hyper is writing, one spare.
const FRAMES_KEPT: usize = ENCODE_AHEAD + 2;

impl FramePool {
    pub(super) fn new() -> Arc<FramePool> {
        Arc::new(FramePool {
            free: Mutex::new(Vec::with_capacity(FRAMES_KEPT)),
        })
    }

    /// An empty buffer with room for at least `capacity` bytes: a returned one when there is.
    fn take(&self, capacity: usize) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut buffer = reused.unwrap_or_default();
        buffer.reserve(capacity);
        buffer
    }

    /// `buffer` as a body frame that returns it to this pool when hyper drops it.
    fn frame(self: &Arc<Self>, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(Frame {
            buffer,
            pool: Arc::downgrade(self),
        })
    }
}

/// A body frame's bytes; back to its pool on drop (freed when the stream is gone or the pool
/// is full).
struct Frame {
    buffer: Vec<u8>,
    pool: Weak<FramePool>,
}

impl AsRef<[u8]> for Frame {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        // A buffer that grew past its estimate while a batch of longer rows was written
        // (Vec doubles it) is not kept: the pool would end up holding only doubled buffers.
        if self.buffer.capacity() > self.buffer.len() + self.buffer.len() / 4 {
            return;
        }
        if let Ok(mut free) = pool.free.lock() {
            if free.len() < FRAMES_KEPT {
                let mut buffer = std::mem::take(&mut self.buffer);
                buffer.clear();
                free.push(buffer);
            }
        };
    }
}

impl NdjsonBody {
    /// Bytes per row of what was sent so far (to size the next buffer).
    fn bytes_per_row(&self) -> usize {
        match self.row_count {
            0 => 64,
            n => (self.bytes / n) as usize + 16,
        }
    }

    /// Encodes a batch here (the first one, so the first byte does not wait for a task).
    fn encode(&mut self, batch: &Batch) -> Bytes {
        if let Some(totals) = self.in_flight.as_mut() {
            totals.observe(batch);
        }
        let out = encode_batch(&self.encoder, batch, &self.frames, self.bytes_per_row());
        self.delivered(out, batch.len())
    }

    /// Adds a batch to the totals (in stream order) and starts encoding it in a task.
    fn start_encoding(&mut self, batch: Batch) {
        if let Some(totals) = self.in_flight.as_mut() {
            totals.observe(&batch);
        }
        let encoder = self.encoder.clone();
        let frames = self.frames.clone();
        let per_row = self.bytes_per_row();
        self.encoding.push_back(tokio::spawn(async move {
            let rows = batch.len();
            (encode_batch(&encoder, &batch, &frames, per_row), rows)
        }));
    }

    /// Counts what goes out.
    fn delivered(&mut self, out: Bytes, rows: usize) -> Bytes {
        self.row_count += rows as u64;
        self.bytes += out.len() as u64;
        out
    }
}

/// One batch as NDJSON lines, in a buffer of the pool sized from the bytes per row so far.
fn encode_batch(
    encoder: &RowEncoder,
    batch: &Batch,
    frames: &Arc<FramePool>,
    per_row: usize,
) -> Bytes {
    let mut out = frames.take(batch.len() * per_row);
    encoder.write_batch(&mut out, batch);
    frames.frame(out)
}

impl NdjsonBody {
    /// Ends the stream early: interrupts the query, ends the run FAILED with `reason`, and
    /// makes the body end without a clean end.
    fn stop(&mut self, reason: String) -> Poll<Option<Result<Bytes, std::io::Error>>> {
        self.rows.cancel();
        if let Some(recorder) = self.recorder.take() {
            recorder.finish(Some(reason.clone()), json!({ "completed": false }));
        }
        Poll::Ready(Some(Err(std::io::Error::other(reason))))
    }
}

impl Stream for NdjsonBody {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(self.encode(&first))));
        }
        if self
            .shutting_down
            .load(std::sync::atomic::Ordering::Acquire)
        {
            return self.stop("Server entered shutdown mode during stream".into());
        }
        if let Some(deadline) = self.deadline.as_mut() {
            if deadline.as_mut().poll(cx).is_ready() {
                self.deadline = None;
                let message = timeout_message(self.timeout.unwrap_or_default());
                return self.stop(message);
            }
        }
        // Keep up to ENCODE_AHEAD batches encoding; hand them out in order.
        while self.ended.is_none() && self.encoding.len() < ENCODE_AHEAD {
            match self.rows.poll_next_batch(cx) {
                Poll::Pending => break,
                Poll::Ready(Some(Ok(batch))) => self.start_encoding(batch),
                Poll::Ready(Some(Err(e))) => self.ended = Some(Some(e)),
                Poll::Ready(None) => self.ended = Some(None),
            }
        }
        if let Some(task) = self.encoding.front_mut() {
            return match Pin::new(task).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok((out, rows))) => {
                    self.encoding.pop_front();
                    Poll::Ready(Some(Ok(self.delivered(out, rows))))
                }
                Poll::Ready(Err(e)) => {
                    self.encoding.clear();
                    self.stop(format!("Encoding the stream failed: {e}"))
                }
            };
        }
        match self.ended.take() {
            None => Poll::Pending,
            Some(Some(e)) => {
                if let Some(recorder) = self.recorder.take() {
                    recorder.finish(Some(e.to_string()), json!({ "completed": false }));
                }
                Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
            }
            Some(None) => {
                let extra = json!({ "rowCount": self.row_count, "bytesWritten": self.bytes, "completed": true });
                if let Some(recorder) = self.recorder.take() {
                    let streamed = self.in_flight.take().and_then(InFlightTotals::finish);
                    match (self.totals.take(), streamed) {
                        (Some((_, totals)), Some(values)) => {
                            let mut extra = extra;
                            match totals_object(&totals.labels, &values) {
                                Ok(totals) => extra["totals"] = totals,
                                Err(e) => extra["totalsError"] = json!(e),
                            }
                            extra["totalsSource"] = json!("stream");
                            recorder.finish(None, extra);
                        }
                        // Otherwise the totals query runs after the last byte, never before
                        // the first.
                        (Some((engine, totals)), None) => {
                            tokio::spawn(async move {
                                let mut extra = extra;
                                match run_totals(engine.as_ref(), totals).await {
                                    Ok(values) => extra["totals"] = values,
                                    Err(e) => extra["totalsError"] = json!(e),
                                }
                                extra["totalsSource"] = json!("query");
                                recorder.finish(None, extra);
                            });
                        }
                        (None, _) => recorder.finish(None, extra),
                    }
                }
                Poll::Ready(None)
            }
        }
    }
}

pub(super) fn timeout_message(t: std::time::Duration) -> String {
    format!(
        "Query timeout of {} s exceeded (QUERY_TIMEOUT_SECONDS)",
        t.as_secs()
    )
}

/// Runs the totals query and returns its one row as `{label: value}`.
async fn run_totals(engine: &dyn Storage, totals: TotalsQuery) -> Result<Value, String> {
    let mut rows = engine
        .query(totals.statement)
        .await
        .map_err(|e| e.to_string())?;
    let mut first = None;
    while let Some(batch) = futures::StreamExt::next(&mut rows).await {
        let batch = batch.map_err(|e| e.to_string())?;
        if first.is_none() {
            first = batch.rows.into_iter().next();
        }
    }
    let row = first.ok_or_else(|| "the totals query returned no row".to_string())?;
    totals_object(&totals.labels, &row)
}

/// One totals row as `{label: value}`, with values written as the stream writes them.
fn totals_object(labels: &[String], row: &[owox_storage::Cell]) -> Result<Value, String> {
    let mut line = Vec::new();
    write_row(&mut line, labels, row);
    serde_json::from_slice(&line).map_err(|e| e.to_string())
}

impl Drop for NdjsonBody {
    fn drop(&mut self) {
        metrics::gauge!("http_data_active_streams").decrement(1.0);
        metrics::counter!("http_data_rows_total").increment(self.row_count);
        metrics::counter!("http_data_bytes_total").increment(self.bytes);
        if let Some(recorder) = self.recorder.take() {
            recorder.finish(
                Some("Client disconnected before stream completion".into()),
                json!({ "rowCount": self.row_count, "bytesWritten": self.bytes, "completed": false }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(pool: &Arc<FramePool>, capacity: usize, len: usize) -> Vec<u8> {
        let mut buffer = pool.take(capacity);
        buffer.extend(std::iter::repeat_n(b'x', len));
        buffer
    }

    #[test]
    fn a_written_frame_gives_its_buffer_back() {
        let pool = FramePool::new();
        let buffer = filled(&pool, 1000, 900);
        let address = buffer.as_ptr();
        let frame = pool.frame(buffer);
        assert_eq!(&frame[..], &[b'x'; 900][..]);
        // Hyper holds the frame until written: nothing to reuse meanwhile.
        assert!(pool.free.lock().unwrap().is_empty());
        drop(frame);
        let reused = pool.take(800);
        assert_eq!(reused.as_ptr(), address, "the same allocation");
        assert!(reused.is_empty());
        assert!(reused.capacity() >= 900);
    }

    #[test]
    fn slices_of_a_frame_keep_the_buffer_until_the_last_one() {
        let pool = FramePool::new();
        let frame = pool.frame(filled(&pool, 100, 100));
        let tail = frame.slice(50..);
        drop(frame);
        assert!(pool.free.lock().unwrap().is_empty());
        assert_eq!(&tail[..], &[b'x'; 50][..]);
        drop(tail);
        assert_eq!(pool.free.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_buffer_far_larger_than_its_frame_is_not_kept() {
        let pool = FramePool::new();
        drop(pool.frame(filled(&pool, 4096, 100)));
        assert!(pool.free.lock().unwrap().is_empty());
    }

    #[test]
    fn the_pool_keeps_a_few_buffers_and_outlived_frames_just_free() {
        let pool = FramePool::new();
        let frames: Vec<Bytes> = (0..FRAMES_KEPT + 3)
            .map(|_| pool.frame(filled(&pool, 64, 64)))
            .collect();
        let late = pool.frame(filled(&pool, 64, 64));
        drop(frames);
        assert_eq!(pool.free.lock().unwrap().len(), FRAMES_KEPT);
        drop(pool);
        assert_eq!(&late[..], &[b'x'; 64][..]);
        drop(late);
    }
}
