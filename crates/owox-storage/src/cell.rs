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

/// A [`Cell`] borrowed: the same values, with text and bytes borrowed from wherever they are
/// (a `Cell`, or a column of a [`crate::ColumnBatch`] read in place). Writers take a
/// `CellRef`, so a value is written the same way whichever layout it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    HugeInt(i128),
    Float(f64),
    /// A FLOAT read in place: the value is `widen_f32(v)` (a [`Cell::Float`] in the row
    /// path), and its shortest decimal digits are those of the f32, so writers may start from
    /// the f32.
    Float32(f32),
    Decimal(&'a str),
    ScaledDecimal {
        value: i128,
        scale: u8,
    },
    Text(&'a str),
    Date(NaiveDate),
    Time(NaiveTime),
    Timestamp(NaiveDateTime),
    TimestampTz(DateTime<Utc>),
    Json(&'a str),
    Bytes(&'a [u8]),
}

impl Cell {
    /// The value borrowed.
    #[inline]
    pub fn as_ref(&self) -> CellRef<'_> {
        match self {
            Cell::Null => CellRef::Null,
            Cell::Bool(v) => CellRef::Bool(*v),
            Cell::Int(v) => CellRef::Int(*v),
            Cell::UInt(v) => CellRef::UInt(*v),
            Cell::HugeInt(v) => CellRef::HugeInt(*v),
            Cell::Float(v) => CellRef::Float(*v),
            Cell::Decimal(v) => CellRef::Decimal(v),
            Cell::ScaledDecimal { value, scale } => CellRef::ScaledDecimal {
                value: *value,
                scale: *scale,
            },
            Cell::Text(v) => CellRef::Text(v),
            Cell::Date(v) => CellRef::Date(*v),
            Cell::Time(v) => CellRef::Time(*v),
            Cell::Timestamp(v) => CellRef::Timestamp(*v),
            Cell::TimestampTz(v) => CellRef::TimestampTz(*v),
            Cell::Json(v) => CellRef::Json(v),
            Cell::Bytes(v) => CellRef::Bytes(v),
        }
    }
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
    if !v.is_finite() {
        return f64::from(v);
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(v);
    parse_short_decimal(text).unwrap_or_else(|| text.parse().unwrap_or(f64::from(v)))
}

/// ryu's text of an f32 (at most 9 significant digits, `[-]d[.ddd][e[-]x]`) as the nearest
/// f64, when the exact fast path applies: the digits as an integer below 2^53 and a decimal
/// exponent of at most 22, so one multiplication or division by an exact power of ten is
/// correctly rounded (Clinger's fast path, which `str::parse` takes too). `None` otherwise.
fn parse_short_decimal(text: &str) -> Option<f64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let mut digits: u64 = 0;
    let mut count = 0;
    let mut fraction = 0i32;
    let mut seen_point = false;
    for b in mantissa.bytes() {
        match b {
            b'0'..=b'9' => {
                digits = digits.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                count += 1;
                if seen_point {
                    fraction += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if count == 0 || count > 15 {
        return None;
    }
    const POWERS: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let e = exponent - fraction;
    let m = digits as f64;
    let value = match usize::try_from(e.unsigned_abs())
        .ok()
        .and_then(|i| POWERS.get(i))
    {
        Some(p) if e >= 0 => m * p,
        Some(p) => m / p,
        None => return None,
    };
    Some(if negative { -value } else { value })
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
        // The fast path gives exactly what parsing ryu's text gives.
        let parse = |v: f32| -> f64 { ryu::Buffer::new().format_finite(v).parse().unwrap() };
        let mut bits: u32 = 0;
        while bits < 0x7F80_0000 {
            for v in [f32::from_bits(bits), -f32::from_bits(bits)] {
                assert_eq!(widen_f32(v).to_bits(), parse(v).to_bits(), "{v:e}");
            }
            bits += 4099;
        }
        for v in [
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            3.4028235e38,
            16777217.0,
            0.3,
        ] {
            assert_eq!(widen_f32(v).to_bits(), parse(v).to_bits(), "{v:e}");
        }
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
