//! NDJSON line splitting and checking for the row streams (ctl-client.md §3.5).
//!
//! Bytes are split on `\n` only; empty lines are skipped and not counted; every other line must
//! be a JSON object. Each network read yields the complete lines it finished; a final
//! unterminated line is handled at the end.

use bytes::{Bytes, BytesMut};
use serde_json::{json, Map, Value};

use crate::error::Error;
use crate::json_check::{classify, LineKind};

/// What a line-check failure needs to build the reference's error.
#[derive(Debug, Clone)]
pub(crate) struct StreamLabel {
    pub label: &'static str,
    pub id_key: &'static str,
    pub id: String,
    pub run_id: Option<String>,
}

impl StreamLabel {
    pub(crate) fn details(&self) -> Map<String, Value> {
        let mut details = Map::new();
        details.insert(self.id_key.to_owned(), json!(self.id));
        if let Some(run_id) = &self.run_id {
            details.insert("runId".to_owned(), json!(run_id));
        }
        details
    }

    pub(crate) fn error(&self, message: String, extra: &[(&str, Value)]) -> Error {
        let mut details = self.details();
        for (key, value) in extra {
            details.insert((*key).to_owned(), value.clone());
        }
        Error::api_with_details(message, Value::Object(details))
    }
}

/// A region of complete lines from one read.
pub(crate) struct Lines {
    /// The bytes of the complete lines, exactly as received.
    pub bytes: Bytes,
    /// Whether any of them was empty (then `bytes` must be filtered before being written).
    pub has_empty: bool,
}

/// Splits reads into complete-line regions, keeping only the unfinished tail.
#[derive(Default)]
pub(crate) struct Splitter {
    carry: BytesMut,
}

impl Splitter {
    /// The complete lines finished by `chunk`, if any.
    pub(crate) fn push(&mut self, chunk: Bytes) -> Option<Bytes> {
        let Some(last) = memchr::memrchr(b'\n', &chunk) else {
            self.carry.extend_from_slice(&chunk);
            return None;
        };
        let complete = if self.carry.is_empty() {
            chunk.slice(..=last)
        } else {
            self.carry.extend_from_slice(&chunk[..=last]);
            self.carry.split().freeze()
        };
        self.carry.extend_from_slice(&chunk[last + 1..]);
        Some(complete)
    }

    /// The final unterminated line, if any.
    pub(crate) fn finish(&mut self) -> Option<Bytes> {
        (!self.carry.is_empty()).then(|| self.carry.split().freeze())
    }
}

/// Numbers and checks lines across a whole stream.
pub(crate) struct LineChecker {
    pub label: StreamLabel,
    line_number: u64,
}

impl LineChecker {
    pub(crate) fn new(label: StreamLabel) -> Self {
        Self {
            label,
            line_number: 0,
        }
    }

    /// Checks every line of `region`, calling `row` with each non-empty line. Returns the
    /// region's line statistics.
    pub(crate) fn check(
        &mut self,
        region: &Bytes,
        mut row: impl FnMut(&[u8]),
    ) -> Result<Lines, Error> {
        let mut has_empty = false;
        let body = region.strip_suffix(b"\n").unwrap_or(region);
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
        for end in ends {
            let line = &body[start..end];
            start = end + 1;
            if line.is_empty() {
                has_empty = true;
                continue;
            }
            self.line_number += 1;
            self.check_line(line)?;
            row(line);
        }
        Ok(Lines {
            bytes: region.clone(),
            has_empty,
        })
    }

    fn check_line(&self, line: &[u8]) -> Result<(), Error> {
        match classify(line) {
            LineKind::Object => Ok(()),
            LineKind::OtherValue => Err(self.label.error(
                format!("NDJSON line {} is not a JSON object", self.line_number),
                &[("lineNumber", json!(self.line_number))],
            )),
            LineKind::Malformed => {
                let text = String::from_utf8_lossy(line);
                Err(self.label.error(
                    format!(
                        "Malformed NDJSON line {} in {} data stream",
                        self.line_number, self.label.label
                    ),
                    &[
                        ("lineNumber", json!(self.line_number)),
                        ("linePreview", json!(preview(&text))),
                    ],
                ))
            }
        }
    }

    /// Parses a checked line into a row.
    pub(crate) fn parse_row(line: &[u8]) -> Map<String, Value> {
        serde_json::from_slice(line)
            .or_else(|_| serde_json::from_str(&String::from_utf8_lossy(line)))
            .unwrap_or_default()
    }
}

/// The first 200 UTF-16 code units (never splitting a surrogate pair).
fn preview(text: &str) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in text.chars() {
        units += c.len_utf16();
        if units > 200 {
            break;
        }
        out.push(c);
    }
    out
}

/// `region` without its empty lines (rarely needed: servers do not send them).
pub(crate) fn without_empty_lines(region: &Bytes) -> Bytes {
    let mut out = BytesMut::with_capacity(region.len());
    for line in region.split(|&b| b == b'\n') {
        if !line.is_empty() {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\n");
        }
    }
    out.freeze()
}
