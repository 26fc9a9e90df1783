//! One NDJSON line per row: a compact JSON object with the plan's keys in order.
//!
//! Values (docs/compatibility.md): integers as JSON numbers with every digit (also beyond
//! 2^53), floats in the shortest form (NaN and infinities as `null`, as JS does), decimals as
//! strings with their exact digits, dates `YYYY-MM-DD`, timestamps ISO 8601
//! (`…T…` without zone; instants with `Z`), times `HH:MM:SS[.ffffff]`, JSON/LIST/STRUCT/MAP
//! embedded as JSON, bytes as base64.

use base64::Engine as _;
use owox_storage::Cell;

/// Appends `{"k1":v1,…}\n` for one row.
pub fn write_row(out: &mut Vec<u8>, keys: &[String], row: &[Cell]) {
    out.push(b'{');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
        out.push(b':');
        write_cell(out, row.get(i).unwrap_or(&Cell::Null));
    }
    out.extend_from_slice(b"}\n");
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly what JSON requires and leaves non-ASCII as is.
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

fn write_cell(out: &mut Vec<u8>, cell: &Cell) {
    use std::io::Write;
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Cell::Int(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::UInt(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::HugeInt(v) => {
            let _ = write!(out, "{v}");
        }
        Cell::Float(v) => write_js_number(out, *v),
        Cell::Decimal(text) | Cell::Text(text) => write_str(out, text),
        Cell::Date(d) => write_str(out, &d.format("%Y-%m-%d").to_string()),
        Cell::Time(t) => write_str(out, &t.format("%H:%M:%S%.f").to_string()),
        Cell::Timestamp(ts) => write_str(out, &ts.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Cell::TimestampTz(ts) => {
            let fmt = if ts.timestamp_subsec_nanos() % 1_000_000 == 0 {
                "%Y-%m-%dT%H:%M:%S%.3fZ"
            } else {
                "%Y-%m-%dT%H:%M:%S%.6fZ"
            };
            write_str(out, &ts.format(fmt).to_string())
        }
        Cell::Json(raw) => out.extend_from_slice(raw.as_bytes()),
        Cell::Bytes(b) => write_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// A float as JavaScript's `JSON.stringify` writes it: shortest round-trip digits, integers
/// without `.0`, exponent form from 1e21 and below 1e-6, non-finite values as `null`.
fn write_js_number(out: &mut Vec<u8>, v: f64) {
    use std::io::Write;
    if !v.is_finite() {
        out.extend_from_slice(b"null");
    } else if v != 0.0 && (v.abs() >= 1e21 || v.abs() < 1e-6) {
        let text = format!("{v:e}");
        let _ = match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => write!(out, "{mantissa}e+{exp}"),
            _ => write!(out, "{text}"),
        };
    } else {
        let _ = write!(out, "{v}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn floats_as_javascript_writes_them() {
        let js = |v: f64| {
            let mut out = Vec::new();
            write_js_number(&mut out, v);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(js(51.0), "51");
        assert_eq!(js(0.1), "0.1");
        assert_eq!(js(-2.5), "-2.5");
        assert_eq!(js(1e21), "1e+21");
        assert_eq!(js(1.5e-7), "1.5e-7");
        assert_eq!(js(f64::INFINITY), "null");
        assert_eq!(js(0.0), "0");
    }

    #[test]
    fn values_are_exact_and_keys_ordered() {
        let keys = vec![
            "b, \"quoted\"".to_string(),
            "a".into(),
            "ü".into(),
            "x".into(),
            "d".into(),
            "t".into(),
            "z".into(),
            "f".into(),
        ];
        let row = vec![
            Cell::Int(9_007_199_254_740_993),
            Cell::Decimal("12.50".into()),
            Cell::Text("naïve \"q\"\n".into()),
            Cell::Float(f64::NAN),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
            Cell::Timestamp(
                NaiveDate::from_ymd_opt(2024, 1, 2)
                    .unwrap()
                    .and_hms_milli_opt(3, 4, 5, 600)
                    .unwrap(),
            ),
            Cell::TimestampTz(Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()),
            Cell::Float(51.0),
        ];
        let mut out = Vec::new();
        write_row(&mut out, &keys, &row);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"b, \\\"quoted\\\"\":9007199254740993,\"a\":\"12.50\",\"ü\":\"naïve \\\"q\\\"\\n\",\"x\":null,\"d\":\"2024-02-29\",\"t\":\"2024-01-02T03:04:05.600\",\"z\":\"2024-01-02T03:04:05.000Z\",\"f\":51}\n"
        );
    }
}
