//! One value of a result row, exact, before any JSON rendering decision.

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// One value of a result row. Integers, decimals and timestamps are exact: the NDJSON writer
/// decides how each is written (see COMPATIBILITY-NOTES.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    /// TINYINT … BIGINT, UTINYINT … UINTEGER (exact, also beyond 2^53).
    Int(i64),
    /// UBIGINT.
    UInt(u64),
    /// HUGEINT (and UHUGEINT values that fit).
    HugeInt(i128),
    /// FLOAT (widened through its shortest decimal form, so `0.1::FLOAT` is `0.1`) and
    /// DOUBLE. NaN and ±Infinity are kept; JSON writers write them as `null` (the JS rule).
    Float(f64),
    /// A decimal as exact text with its scale (`"12.50"`, `"-0.001"`): PostgreSQL `numeric`
    /// (any precision) and decimals wider than 128 bits.
    Decimal(String),
    /// A decimal of at most 38 digits as its unscaled integer and scale: DuckDB's DECIMAL
    /// (`12.50` is `{ value: 1250, scale: 2 }`). Same JSON as [`Cell::Decimal`], without a
    /// string per value.
    ScaledDecimal {
        value: i128,
        scale: u8,
    },
    /// VARCHAR, UUID, ENUM, INTERVAL and any type without a better representation.
    Text(String),
    Date(NaiveDate),
    Time(NaiveTime),
    /// TIMESTAMP, TIMESTAMP_S, TIMESTAMP_MS, TIMESTAMP_NS (no zone).
    Timestamp(NaiveDateTime),
    /// TIMESTAMPTZ (an instant).
    TimestampTz(DateTime<Utc>),
    /// Raw JSON text: JSON columns as stored, LIST/ARRAY/STRUCT/MAP/UNION rendered as JSON.
    Json(String),
    /// BLOB.
    Bytes(Vec<u8>),
}

impl Cell {
    /// Appends this value as a JSON value, the way it appears *inside* a rendered
    /// LIST/STRUCT/MAP: numbers exact (decimals as JSON numbers), non-finite floats `null`,
    /// temporal values as DuckDB's text (`2024-01-31 10:00:00`, `…+00` for instants),
    /// JSON embedded raw, bytes as base64.
    pub fn write_json(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Cell::Null => out.push_str("null"),
            Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::UInt(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::HugeInt(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Float(v) => {
                if v.is_finite() {
                    out.push_str(
                        &serde_json::Number::from_f64(*v)
                            .map_or_else(|| "null".to_string(), |n| n.to_string()),
                    );
                } else {
                    out.push_str("null");
                }
            }
            Cell::Decimal(text) => out.push_str(text),
            Cell::ScaledDecimal { value, scale } => out.push_str(&decimal_text(*value, *scale)),
            Cell::Text(s) => write_json_string(out, s),
            Cell::Date(d) => write_json_string(out, &d.format("%Y-%m-%d").to_string()),
            Cell::Time(t) => write_json_string(out, &time_text(t)),
            Cell::Timestamp(ts) => write_json_string(out, &timestamp_text(ts)),
            Cell::TimestampTz(ts) => {
                write_json_string(out, &format!("{}+00", timestamp_text(&ts.naive_utc())))
            }
            Cell::Json(raw) => out.push_str(raw),
            Cell::Bytes(b) => {
                write_json_string(out, &base64::engine::general_purpose::STANDARD.encode(b))
            }
        }
    }
}

/// An f32 widened through its shortest decimal form (`0.1f32` → `0.1`, not
/// `0.10000000149011612`), as both drivers read `FLOAT`/`real` columns.
pub fn widen_f32(v: f32) -> f64 {
    if v.is_finite() {
        ryu::Buffer::new()
            .format_finite(v)
            .parse()
            .unwrap_or(f64::from(v))
    } else {
        f64::from(v)
    }
}

/// The exact text of an unscaled decimal: `(12345, 2)` → `"123.45"`, `(-5, 3)` → `"-0.005"`.
pub fn decimal_text(unscaled: i128, scale: u8) -> String {
    let mut out = Vec::with_capacity(42);
    write_decimal(&mut out, unscaled, scale);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends the exact text of an unscaled decimal, without allocating.
pub fn write_decimal(out: &mut Vec<u8>, unscaled: i128, scale: u8) {
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(unscaled.unsigned_abs()).as_bytes();
    if unscaled < 0 {
        out.push(b'-');
    }
    let scale = usize::from(scale);
    if scale == 0 {
        out.extend_from_slice(digits);
        return;
    }
    if digits.len() <= scale {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', scale - digits.len()));
        out.extend_from_slice(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.extend_from_slice(int);
        out.push(b'.');
        out.extend_from_slice(frac);
    }
}

/// `HH:MM:SS` with `.ffffff` (trailing zeros cut) when there is a fraction (DuckDB's form).
pub(crate) fn time_text(t: &NaiveTime) -> String {
    let base = t.format("%H:%M:%S").to_string();
    with_fraction(base, t.nanosecond())
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (DuckDB's form).
pub(crate) fn timestamp_text(ts: &NaiveDateTime) -> String {
    let base = ts.format("%Y-%m-%d %H:%M:%S").to_string();
    with_fraction(base, ts.nanosecond())
}

fn with_fraction(mut base: String, nanos: u32) -> String {
    if nanos != 0 {
        let digits = if nanos.is_multiple_of(1000) {
            format!("{:06}", nanos / 1000)
        } else {
            format!("{nanos:09}")
        };
        base.push('.');
        base.push_str(digits.trim_end_matches('0'));
    }
    base
}

pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "null".into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(c: Cell) -> String {
        let mut s = String::new();
        c.write_json(&mut s);
        s
    }

    #[test]
    fn nested_json_values() {
        assert_eq!(json(Cell::Null), "null");
        assert_eq!(json(Cell::Int(i64::MAX)), "9223372036854775807");
        assert_eq!(json(Cell::HugeInt(i128::MIN)), i128::MIN.to_string());
        assert_eq!(json(Cell::Float(f64::NAN)), "null");
        assert_eq!(json(Cell::Float(f64::INFINITY)), "null");
        assert_eq!(json(Cell::Float(1.5)), "1.5");
        assert_eq!(json(Cell::Decimal("-0.50".into())), "-0.50");
        assert_eq!(
            json(Cell::ScaledDecimal {
                value: -50,
                scale: 2
            }),
            "-0.50"
        );
        assert_eq!(decimal_text(12345, 2), "123.45");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(0, 2), "0.00");
        assert_eq!(decimal_text(42, 0), "42");
        assert_eq!(widen_f32(0.1), 0.1);
        assert_eq!(widen_f32(-3.4028235e38), -3.4028235e38);
        assert!(widen_f32(f32::NAN).is_nan());
        assert_eq!(widen_f32(f32::INFINITY), f64::INFINITY);
        assert_eq!(decimal_text(-100, 2), "-1.00");
        assert_eq!(
            decimal_text(i128::MAX, 10),
            "17014118346046923173168730371.5884105727"
        );
        assert_eq!(
            decimal_text(i128::MIN, 38),
            format!("-1.{}", &i128::MIN.unsigned_abs().to_string()[1..])
        );
        assert_eq!(json(Cell::Text("a\"é\n".into())), "\"a\\\"é\\n\"");
        let ts = NaiveDate::from_ymd_opt(2024, 1, 31)
            .unwrap()
            .and_hms_micro_opt(10, 0, 0, 120_000)
            .unwrap();
        assert_eq!(json(Cell::Timestamp(ts)), "\"2024-01-31 10:00:00.12\"");
        assert_eq!(
            json(Cell::TimestampTz(ts.and_utc())),
            "\"2024-01-31 10:00:00.12+00\""
        );
        assert_eq!(json(Cell::Bytes(vec![0, 255])), "\"AP8=\"");
        assert_eq!(json(Cell::Json("{\"a\":1}".into())), "{\"a\":1}");
    }
}
