//! Row streams (`HttpNdjsonTraversal`, ctl-client.md §3.4–§3.5): the traversal query, opening
//! the stream with the reference's error wrapping, and reading it once as row chunks or as
//! checked raw bytes. Dropping a chunk stream (or calling [`NdjsonTraversal::cancel`]) closes
//! the connection, which cancels the query on the server.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde_json::{json, Map, Value};

use crate::client::OwoxClient;
use crate::encoding::encode_json_param;
use crate::error::{ApiError, Error, Result};
use crate::http_error::content_type;
use crate::ndjson::{without_empty_lines, LineChecker, Splitter, StreamLabel};

/// One row: a JSON object with the server's key order.
pub type Row = Map<String, Value>;

/// `columns`: `*` (all native columns) or `**` (native and visible blended columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnSet {
    /// `*`
    Native,
    /// `**`
    WithBlended,
}

impl ColumnSet {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "*",
            Self::WithBlended => "**",
        }
    }
}

/// Options of a data-mart row stream. The rule parameters are JSON arrays whose element shapes
/// the server validates; `Some(Value::Null)` counts as not set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraversalOptions {
    pub columns: Option<ColumnSet>,
    pub column: Vec<String>,
    pub filter: Option<Value>,
    pub sort: Option<Value>,
    pub aggregation: Option<Value>,
    pub date_trunc: Option<Value>,
    pub limit: Option<u64>,
}

impl TraversalOptions {
    /// Checks the options (no network) and builds the query in the reference's order:
    /// `columns`, each `column`, `filter`, `sort`, `aggregation`, `dateTrunc`, `limit`.
    pub fn to_query(&self) -> Result<Vec<(String, String)>> {
        if self.columns == Some(ColumnSet::WithBlended) && !self.column.is_empty() {
            return Err(Error::api(
                "columns \"**\" cannot be combined with exact column values",
            ));
        }
        let mut query = Vec::new();
        if let Some(columns) = self.columns {
            query.push(("columns".to_owned(), columns.as_str().to_owned()));
        }
        for column in &self.column {
            query.push(("column".to_owned(), column.clone()));
        }
        for (key, value) in [
            ("filter", &self.filter),
            ("sort", &self.sort),
            ("aggregation", &self.aggregation),
            ("dateTrunc", &self.date_trunc),
        ] {
            if let Some(value) = value.as_ref().filter(|v| !v.is_null()) {
                query.push((key.to_owned(), encode_json_param(value)));
            }
        }
        if let Some(limit) = self.limit {
            query.push(("limit".to_owned(), limit.to_string()));
        }
        Ok(query)
    }
}

/// Which endpoint a traversal reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StreamKind {
    DataMart,
    Report,
}

impl StreamKind {
    fn label(self) -> &'static str {
        match self {
            Self::DataMart => "OWOX Data Mart",
            Self::Report => "OWOX report",
        }
    }

    fn id_key(self) -> &'static str {
        match self {
            Self::DataMart => "dataMartId",
            Self::Report => "reportId",
        }
    }
}

/// An opened row stream, readable once.
pub struct NdjsonTraversal {
    label: StreamLabel,
    response: Option<reqwest::Response>,
}

impl std::fmt::Debug for NdjsonTraversal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NdjsonTraversal")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl NdjsonTraversal {
    pub(crate) async fn open(
        client: &OwoxClient,
        kind: StreamKind,
        id: &str,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Self> {
        let label = StreamLabel {
            label: kind.label(),
            id_key: kind.id_key(),
            id: id.to_owned(),
            run_id: None,
        };
        let response = client
            .get_stream(path, query)
            .await
            .map_err(|e| wrap_open_error(e, &label))?;
        let run_id = response
            .headers()
            .get("x-owox-run-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if kind == StreamKind::DataMart {
            let raw = content_type(&response).map(str::to_owned);
            let media = raw.as_deref().map(|c| {
                c.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
            if media.as_deref() != Some("application/x-ndjson") {
                let status = response.status().as_u16();
                drop(response);
                let mut details = Map::new();
                details.insert(label.id_key.to_owned(), json!(id));
                details.insert("contentType".to_owned(), json!(raw));
                let error = ApiError::new(format!(
                    "{} data stream returned an unexpected content type",
                    label.label
                ))
                .with_status(status)
                .with_details(Value::Object(details));
                return Err(Error::Api(Box::new(error)));
            }
        }
        Ok(Self {
            label: StreamLabel { run_id, ..label },
            response: Some(response),
        })
    }

    /// The `x-owox-run-id` header of the answer.
    pub fn run_id(&self) -> Option<&str> {
        self.label.run_id.as_deref()
    }

    fn take(&mut self) -> Result<reqwest::Response> {
        self.response.take().ok_or_else(|| {
            self.label.error(
                format!(
                    "{} data stream can only be traversed once",
                    self.label.label
                ),
                &[],
            )
        })
    }

    /// The rows, one chunk per network read that finished at least one line.
    pub fn row_chunks(&mut self) -> Result<RowChunks> {
        let response = self.take()?;
        let checker = LineChecker::new(self.label.clone());
        Ok(RowChunks {
            inner: decode(response, checker, Mode::Rows),
        })
    }

    /// The server's bytes, checked line by line and passed through unchanged (empty lines
    /// dropped; a final unterminated line gets its `\n`). For writing NDJSON out at full speed.
    pub fn raw_chunks(&mut self) -> Result<RawChunks> {
        let response = self.take()?;
        let checker = LineChecker::new(self.label.clone());
        Ok(RawChunks {
            inner: decode(response, checker, Mode::Raw),
        })
    }

    /// Closes an unread stream; a no-op once read or cancelled.
    pub fn cancel(&mut self) {
        self.response = None;
    }
}

fn wrap_open_error(error: Error, label: &StreamLabel) -> Error {
    match error {
        Error::Config { .. } => {
            label.error(format!("Failed to open {} data stream", label.label), &[])
        }
        other => other.map_api(|mut api| {
            let mut details = label.details();
            details.remove("runId");
            match api.details.take() {
                Some(Value::Object(original)) => details.extend(original),
                Some(original) => {
                    details.insert("details".to_owned(), original);
                }
                None => {}
            }
            api.details = Some(Value::Object(details));
            api
        }),
    }
}

/// A chunk of checked raw NDJSON bytes and the number of rows in it.
#[derive(Debug, Clone)]
pub struct RawChunk {
    pub bytes: Bytes,
    pub rows: usize,
}

enum Mode {
    Rows,
    Raw,
}

enum Item {
    Rows(Vec<Row>),
    Raw(RawChunk),
}

fn decode(
    response: reqwest::Response,
    checker: LineChecker,
    mode: Mode,
) -> BoxStream<'static, Result<Item>> {
    struct State {
        body: BoxStream<'static, reqwest::Result<Bytes>>,
        splitter: Splitter,
        checker: LineChecker,
        mode: Mode,
        done: bool,
    }
    let state = State {
        body: response.bytes_stream().boxed(),
        splitter: Splitter::default(),
        checker,
        mode,
        done: false,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if state.done {
                return None;
            }
            let region = match state.body.next().await {
                Some(Ok(chunk)) => match state.splitter.push(chunk) {
                    Some(region) => region,
                    None => continue,
                },
                Some(Err(_)) => {
                    state.done = true;
                    let label = &state.checker.label;
                    let error =
                        label.error(format!("Failed to read {} data stream", label.label), &[]);
                    return Some((Err(error), state));
                }
                None => {
                    state.done = true;
                    match state.splitter.finish() {
                        Some(tail) => tail,
                        None => return None,
                    }
                }
            };
            let item = process(&mut state.checker, &state.mode, &region);
            if item.as_ref().is_err() {
                state.done = true;
            }
            match item {
                Ok(Some(item)) => return Some((Ok(item), state)),
                Ok(None) => continue,
                Err(e) => return Some((Err(e), state)),
            }
        }
    })
    .boxed()
}

fn process(checker: &mut LineChecker, mode: &Mode, region: &Bytes) -> Result<Option<Item>> {
    match mode {
        Mode::Rows => {
            let mut rows = Vec::new();
            checker.check(region, |line| rows.push(LineChecker::parse_row(line)))?;
            Ok((!rows.is_empty()).then_some(Item::Rows(rows)))
        }
        Mode::Raw => {
            let mut count = 0;
            let lines = checker.check(region, |_| count += 1)?;
            if count == 0 {
                return Ok(None);
            }
            let bytes = if lines.has_empty || !lines.bytes.ends_with(b"\n") {
                without_empty_lines(&lines.bytes)
            } else {
                lines.bytes
            };
            Ok(Some(Item::Raw(RawChunk { bytes, rows: count })))
        }
    }
}

/// Row chunks of a traversal. Dropping it closes the connection.
pub struct RowChunks {
    inner: BoxStream<'static, Result<Item>>,
}

impl Stream for RowChunks {
    type Item = Result<Vec<Row>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx).map(|item| {
            item.map(|r| {
                r.map(|item| match item {
                    Item::Rows(rows) => rows,
                    Item::Raw(_) => Vec::new(),
                })
            })
        })
    }
}

/// Checked raw chunks of a traversal. Dropping it closes the connection.
pub struct RawChunks {
    inner: BoxStream<'static, Result<Item>>,
}

impl Stream for RawChunks {
    type Item = Result<RawChunk>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx).map(|item| {
            item.map(|r| {
                r.map(|item| match item {
                    Item::Raw(chunk) => chunk,
                    Item::Rows(_) => RawChunk {
                        bytes: Bytes::new(),
                        rows: 0,
                    },
                })
            })
        })
    }
}
