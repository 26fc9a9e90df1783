//! Query-parameter parsing of the Data Mart stream (§4), with the reference's messages and their
//! order: fields in the schema's order (`columns`, `column`, `filter`, `sort`, `aggregation`,
//! `dateTrunc`, `limit`), then — only when no field failed with a type error — the
//! cross-parameter rules (`pageToken`, `offset`, `**` with `column`, the grouping guard).

use owox_contract::http_data::{
    decode_param, parse_aggregation_config, parse_date_trunc_config, parse_filter_config,
    parse_sort_config, AggregationRule, ColumnsSelector, DateTruncRule, FilterRule, JsValue,
    SortRule, MAX_ENCODED_PARAM_LENGTH,
};

use crate::error::QueryError;

/// A parsed, first-stage-valid Data Mart stream query.
///
/// The configs are `None` when absent or JSON `null`, and `Some(vec![])` for `[]` (the run
/// metadata keeps `[]` and leaves `null` out, §10.2).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpDataQuery {
    pub columns: Option<ColumnsSelector>,
    pub column: Vec<String>,
    pub filter: Option<Vec<FilterRule>>,
    pub sort: Option<Vec<SortRule>>,
    pub aggregation: Option<Vec<AggregationRule>>,
    pub date_trunc: Option<Vec<DateTruncRule>>,
    /// `limit` as given; values above `i64::MAX` are kept saturated.
    pub limit: Option<u64>,
    /// Reports only (`uniqueCountConfig`): the main data mart's primary-key columns whose
    /// distinct tuples the `Unique Count` column counts. `Some(vec![])` (asked for, but the
    /// schema has no primary key) fails validation. Never set from a query string.
    pub unique_count: Option<Vec<String>>,
}

impl HttpDataQuery {
    pub fn filters(&self) -> &[FilterRule] {
        self.filter.as_deref().unwrap_or(&[])
    }
    pub fn sorts(&self) -> &[SortRule] {
        self.sort.as_deref().unwrap_or(&[])
    }
    pub fn aggregations(&self) -> &[AggregationRule] {
        self.aggregation.as_deref().unwrap_or(&[])
    }
    pub fn date_truncs(&self) -> &[DateTruncRule] {
        self.date_trunc.as_deref().unwrap_or(&[])
    }
    /// The primary-key columns of a requested Unique Count; empty when there is none.
    pub fn unique_count_keys(&self) -> &[String] {
        self.unique_count.as_deref().unwrap_or(&[])
    }
    /// Whether the rows are grouped: aggregations, date buckets or a Unique Count (§11.2).
    pub fn grouped(&self) -> bool {
        !self.aggregations().is_empty()
            || !self.date_truncs().is_empty()
            || !self.unique_count_keys().is_empty()
    }
}

struct Issues {
    list: Vec<String>,
    aborted: bool,
}

impl Issues {
    fn dirty(&mut self, path: &str, message: impl AsRef<str>) {
        self.list.push(format!("{path}: {}", message.as_ref()));
    }
    fn abort(&mut self, path: &str, message: impl AsRef<str>) {
        self.dirty(path, message);
        self.aborted = true;
    }
}

fn values<'a>(pairs: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Parses the query pairs of a Data Mart stream request, as decoded from the URL (repeated keys
/// kept, in order). Errors are [`QueryError::InvalidQuery`] with the joined message.
pub fn parse_query(pairs: &[(String, String)]) -> Result<HttpDataQuery, QueryError> {
    let mut iss = Issues {
        list: Vec::new(),
        aborted: false,
    };
    let mut q = HttpDataQuery::default();

    let columns = values(pairs, "columns");
    let mut columns_failed = false;
    if columns.len() > 1 {
        iss.dirty("columns", "Parameter \"columns\" cannot be repeated");
        columns_failed = true;
    } else if let Some(c) = columns.first() {
        match ColumnsSelector::parse(c) {
            Some(sel) => q.columns = Some(sel),
            None => {
                iss.dirty("columns", "\"columns\" must be \"*\" or \"**\"");
                columns_failed = true;
            }
        }
    }

    for (i, c) in values(pairs, "column").into_iter().enumerate() {
        if c.is_empty() {
            iss.dirty(&format!("column.{i}"), "column value must not be empty");
        }
        q.column.push(c.to_string());
    }

    q.filter = encoded(pairs, "filter", parse_filter_config, &mut iss);
    q.sort = encoded(pairs, "sort", parse_sort_config, &mut iss);
    q.aggregation = encoded(pairs, "aggregation", parse_aggregation_config, &mut iss);
    q.date_trunc = encoded(pairs, "dateTrunc", parse_date_trunc_config, &mut iss);

    let limits = values(pairs, "limit");
    if !limits.is_empty() {
        let n = if limits.len() == 1 {
            js_number(limits[0])
        } else {
            f64::NAN
        };
        if n.is_nan() {
            iss.abort("limit", "limit must be an integer");
        } else {
            if !(n.is_finite() && n.fract() == 0.0) {
                iss.dirty("limit", "limit must be an integer");
            }
            if n < 1.0 {
                iss.dirty("limit", "limit must be ≥ 1");
            }
            q.limit = Some(if n >= u64::MAX as f64 {
                u64::MAX
            } else {
                n.max(0.0) as u64
            });
        }
    }

    if !iss.aborted {
        for key in ["pageToken", "offset"] {
            if pairs.iter().any(|(k, _)| k == key) {
                iss.dirty(
                    key,
                    format!("Parameter \"{key}\" is not supported by HTTP Data API"),
                );
            }
        }
        if q.columns == Some(ColumnsSelector::AllBlendable) && !q.column.is_empty() {
            iss.dirty(
                "columns",
                "\"**\" cannot be combined with exact column values",
            );
        }
        let has_aggregation = !q.aggregations().is_empty();
        let has_grouping = has_aggregation || !q.date_truncs().is_empty();
        let explicit = q.columns.is_none() && !columns_failed && !q.column.is_empty();
        if has_grouping && !explicit {
            iss.dirty(
                if has_aggregation {
                    "aggregation"
                } else {
                    "dateTrunc"
                },
                "\"aggregation\" and \"dateTrunc\" require an explicit \"column\" projection and \
                 cannot combine with \"*\"/\"**\" or an empty column selection (which would group \
                 by every column)",
            );
        }
    }

    if iss.list.is_empty() {
        Ok(q)
    } else {
        Err(QueryError::InvalidQuery {
            message: iss.list.join("; "),
        })
    }
}

type ConfigParser<T> = fn(&JsValue) -> Result<Option<Vec<T>>, Vec<String>>;

fn encoded<T>(
    pairs: &[(String, String)],
    key: &str,
    parse: ConfigParser<T>,
    iss: &mut Issues,
) -> Option<Vec<T>> {
    let vals = values(pairs, key);
    let raw = match vals.as_slice() {
        [] => return None,
        [one] => *one,
        _ => {
            iss.abort(key, "Expected string, received array");
            return None;
        }
    };
    // zod measures strings in UTF-16 code units.
    let len = raw.encode_utf16().count();
    if len < 1 {
        iss.abort(key, "String must contain at least 1 character(s)");
        return None;
    }
    if len > MAX_ENCODED_PARAM_LENGTH {
        iss.abort(
            key,
            format!("String must contain at most {MAX_ENCODED_PARAM_LENGTH} character(s)"),
        );
        return None;
    }
    let json = match decode_param(raw) {
        Ok(v) => v,
        Err(e) => {
            iss.dirty(key, format!("Invalid {key}: {e}"));
            return None;
        }
    };
    match parse(&json) {
        Ok(v) => v,
        Err(messages) => {
            iss.dirty(key, format!("Invalid {key}: {}", messages.join("; ")));
            None
        }
    }
}

/// JavaScript `Number(string)`: trims whitespace, `""` → 0, decimal literals with an optional
/// sign and exponent, `0x`/`0o`/`0b` literals without sign, `Infinity`; anything else is NaN.
pub(crate) fn js_number(s: &str) -> f64 {
    let t = s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits.chars().fold(0.0, |acc, c| {
                acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0))
            });
        }
    }
    let (sign, body) = match t.as_bytes()[0] {
        b'+' => (1.0, &t[1..]),
        b'-' => (-1.0, &t[1..]),
        _ => (1.0, t),
    };
    if body == "Infinity" {
        return sign * f64::INFINITY;
    }
    // StrDecimalLiteral: digits [. digits] [e[+-]digits] | . digits [exponent]
    let b = body.as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return f64::NAN;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp_digits == 0 {
            return f64::NAN;
        }
        i += exp_digits;
    }
    if i != b.len() {
        return f64::NAN;
    }
    // Rust's parser rejects a leading or trailing '.', JavaScript accepts both.
    let normalized = body.replace(".e", ".0e").replace(".E", ".0E");
    let normalized = if normalized.starts_with('.') {
        format!("0{normalized}")
    } else {
        normalized
    };
    let normalized = if normalized.ends_with('.') {
        format!("{normalized}0")
    } else {
        normalized
    };
    sign * normalized.parse::<f64>().unwrap_or(f64::NAN)
}
