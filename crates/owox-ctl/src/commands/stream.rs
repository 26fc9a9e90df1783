//! `data-marts stream` and `reports stream`: the server's NDJSON written through unchanged after
//! each line is checked to be a JSON object, one write per received chunk, in constant memory.
//! A closed stdout ends quietly (exit 0) and drops the request.

use std::io::{ErrorKind, IsTerminal, Write};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use owox_api_client::{ColumnSet, Error, NdjsonTraversal, TraversalOptions};
use serde_json::Value;

use super::client;
use crate::cli::StreamArgs;
use crate::output::CliError;

/// `data-marts stream`. Checks in the reference's order: env file, key, then the JSON flags,
/// then the column options; all before any request.
pub async fn data_marts(args: &StreamArgs) -> Result<(), CliError> {
    let (_, client) = client(args.env.env_file.as_deref())?;
    let options = TraversalOptions {
        columns: args.columns.as_deref().map(|c| {
            if c == "**" {
                ColumnSet::WithBlended
            } else {
                ColumnSet::Native
            }
        }),
        column: args.column.clone(),
        filter: json_array_flag("--filter", args.filter.as_deref())?,
        sort: json_array_flag("--sort", args.sort.as_deref())?,
        aggregation: json_array_flag("--aggregation", args.aggregation.as_deref())?,
        date_trunc: json_array_flag("--date-bucket", args.date_bucket.as_deref())?,
        limit: args.limit,
    };
    options.to_query()?;
    let traversal = client
        .data_marts()
        .traverse_data(&args.data_mart_id, &options)
        .await?;
    write_out(traversal).await
}

/// `reports stream`.
pub async fn reports(
    report_id: &str,
    limit: Option<u64>,
    env_file: Option<&str>,
) -> Result<(), CliError> {
    let (_, client) = client(env_file)?;
    let traversal = client.reports().traverse_data(report_id, limit).await?;
    write_out(traversal).await
}

fn json_array_flag(flag: &str, value: Option<&str>) -> Result<Option<Value>, CliError> {
    let Some(text) = value else { return Ok(None) };
    let parsed: Value = serde_json::from_str(text)
        .map_err(|_| Error::config(format!("{flag} must be valid JSON")))?;
    if !parsed.is_array() {
        return Err(Error::config(format!("{flag} must be a JSON array")).into());
    }
    Ok(Some(parsed))
}

/// Checks and writes chunk by chunk (one write per received chunk, so back-pressure reaches the
/// server); dropping the chunk stream on a closed stdout closes the request.
async fn write_out(mut traversal: NdjsonTraversal) -> Result<(), CliError> {
    let mut chunks = traversal.raw_chunks()?;
    let mut progress = Progress::new();
    let stdout = std::io::stdout();
    loop {
        let chunk = match chunks.try_next().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(error) => {
                progress.finish();
                return Err(error.into());
            }
        };
        let mut out = stdout.lock();
        if let Err(error) = out.write_all(&chunk.bytes).and_then(|()| out.flush()) {
            progress.finish();
            drop(chunks);
            return match error.kind() {
                ErrorKind::BrokenPipe => Ok(()),
                _ => Err(CliError::Other(error.to_string())),
            };
        }
        progress.add(chunk.rows, chunk.bytes.len());
    }
    progress.finish();
    Ok(())
}

/// A `rows, bytes, rate` line on stderr, only when stderr is a terminal.
struct Progress {
    enabled: bool,
    started: Instant,
    last: Instant,
    rows: u64,
    bytes: u64,
}

impl Progress {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            enabled: std::io::stderr().is_terminal(),
            started: now,
            last: now,
            rows: 0,
            bytes: 0,
        }
    }

    fn add(&mut self, rows: usize, bytes: usize) {
        self.rows += rows as u64;
        self.bytes += bytes as u64;
        if self.enabled && self.last.elapsed() >= Duration::from_millis(200) {
            self.last = Instant::now();
            self.draw();
        }
    }

    fn draw(&self) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "\r\x1b[2K{} rows, {}, {} rows/s, {}/s",
            self.rows,
            human_bytes(self.bytes as f64),
            (self.rows as f64 / seconds).round(),
            human_bytes(self.bytes as f64 / seconds)
        );
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn finish(&mut self) {
        if self.enabled && self.rows > 0 {
            self.draw();
            let _ = std::io::stderr().lock().write_all(b"\n");
        }
        self.enabled = false;
    }
}

fn human_bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
