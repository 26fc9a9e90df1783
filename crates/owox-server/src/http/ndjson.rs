//! One NDJSON line per row: a compact JSON object with the plan's keys in order.
//!
//! Values (docs/compatibility.md): integers as JSON numbers with every digit (also beyond
//! 2^53), floats in the shortest form (NaN and infinities as `null`, as JS does), decimals as
//! strings with their exact digits, dates `YYYY-MM-DD`, timestamps ISO 8601
//! (`…T…` without zone; instants with `Z`), times `HH:MM:SS[.ffffff]`, JSON/LIST/STRUCT/MAP
//! embedded as JSON, bytes as base64.

use base64::Engine as _;
use owox_storage::Cell;

/// Writes rows whose columns are `keys`: each key is escaped once, not once per row.
pub struct RowEncoder {
    /// `{"k0":` for the first column, `,"ki":` for the others.
    prefixes: Vec<Vec<u8>>,
}

impl RowEncoder {
    pub fn new(keys: &[String]) -> RowEncoder {
        let prefixes = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                let mut p = vec![if i == 0 { b'{' } else { b',' }];
                write_str(&mut p, key);
                p.push(b':');
                p
            })
            .collect();
        RowEncoder { prefixes }
    }

    /// Appends `{"k1":v1,…}\n` for one row.
    pub fn write(&self, out: &mut Vec<u8>, row: &[Cell]) {
        if self.prefixes.is_empty() {
            out.extend_from_slice(b"{}\n");
            return;
        }
        for (i, prefix) in self.prefixes.iter().enumerate() {
            out.extend_from_slice(prefix);
            write_cell(out, row.get(i).unwrap_or(&Cell::Null));
        }
        out.extend_from_slice(b"}\n");
    }
}

/// Appends `{"k1":v1,…}\n` for one row (for single rows; streams keep a [`RowEncoder`]).
pub fn write_row(out: &mut Vec<u8>, keys: &[String], row: &[Cell]) {
    RowEncoder::new(keys).write(out, row);
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // serde_json escapes exactly what JSON requires and leaves non-ASCII as is.
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// `n` as exactly `width` digits (n < 10^width).
fn write_padded(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut n = n;
    for i in (0..width).rev() {
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits[..width]);
}

/// `YYYY-MM-DD` for years 0…9999; `None` outside (the caller falls back to chrono's form).
fn write_date(out: &mut Vec<u8>, d: &chrono::NaiveDate) -> Option<()> {
    use chrono::Datelike;
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    write_padded(out, year, 4);
    out.push(b'-');
    write_padded(out, d.month(), 2);
    out.push(b'-');
    write_padded(out, d.day(), 2);
    Some(())
}

/// The day as chrono's `%Y-%m-%d` writes it.
fn write_day(out: &mut Vec<u8>, d: &chrono::NaiveDate) {
    if write_date(out, d).is_none() {
        out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes());
    }
}

/// `HH:MM:SS` (a leap second as second 60, as chrono writes it); returns the nanoseconds
/// within the second.
fn write_hms(out: &mut Vec<u8>, t: &chrono::NaiveTime) -> u32 {
    use chrono::Timelike;
    write_padded(out, t.hour(), 2);
    out.push(b':');
    write_padded(out, t.minute(), 2);
    out.push(b':');
    let (second, nanos) = if t.nanosecond() >= 1_000_000_000 {
        (60, t.nanosecond() - 1_000_000_000)
    } else {
        (t.second(), t.nanosecond())
    };
    write_padded(out, second, 2);
    nanos
}

/// `HH:MM:SS` and chrono's `%.f`: nothing for whole seconds, else 3, 6 or 9 digits.
fn write_time(out: &mut Vec<u8>, t: &chrono::NaiveTime) {
    let nanos = write_hms(out, t);
    write_fraction(out, nanos, None);
}

/// `.fff`, `.ffffff` or `.fffffffff` by the precision `nanos` needs (`min_digits` forces at
/// least that many); nothing for 0 unless `min_digits` is set.
fn write_fraction(out: &mut Vec<u8>, nanos: u32, min_digits: Option<usize>) {
    let digits = if nanos.is_multiple_of(1_000_000) {
        if nanos == 0 && min_digits.is_none() {
            return;
        }
        3
    } else if nanos.is_multiple_of(1000) {
        6
    } else {
        9
    }
    .max(min_digits.unwrap_or(0));
    out.push(b'.');
    write_padded(out, nanos / 10u32.pow(9 - digits as u32), digits);
}

fn write_cell(out: &mut Vec<u8>, cell: &Cell) {
    match cell {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Cell::Int(v) => write_int(out, *v),
        Cell::UInt(v) => write_int(out, *v),
        Cell::HugeInt(v) => write_int(out, *v),
        Cell::Float(v) => write_js_number(out, *v),
        Cell::Decimal(text) | Cell::Text(text) => write_str(out, text),
        Cell::ScaledDecimal { value, scale } => {
            out.push(b'"');
            owox_storage::write_decimal(out, *value, *scale);
            out.push(b'"');
        }
        Cell::Date(d) => {
            out.push(b'"');
            write_day(out, d);
            out.push(b'"');
        }
        Cell::Time(t) => {
            out.push(b'"');
            write_time(out, t);
            out.push(b'"');
        }
        Cell::Timestamp(ts) => {
            out.push(b'"');
            write_day(out, &ts.date());
            out.push(b'T');
            write_time(out, &ts.time());
            out.push(b'"');
        }
        Cell::TimestampTz(ts) => {
            // Milliseconds always, microseconds when present; then `Z`.
            let naive = ts.naive_utc();
            out.push(b'"');
            write_day(out, &naive.date());
            out.push(b'T');
            let nanos = write_hms(out, &naive.time());
            // `%.3f` when the fraction is whole milliseconds, else `%.6f` (truncating).
            let digits: u32 = if nanos.is_multiple_of(1_000_000) {
                3
            } else {
                6
            };
            out.push(b'.');
            write_padded(out, nanos / 10u32.pow(9 - digits), digits as usize);
            out.extend_from_slice(b"Z\"");
        }
        Cell::Json(raw) => out.extend_from_slice(raw.as_bytes()),
        Cell::Bytes(b) => write_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// A float as JavaScript's `JSON.stringify` writes it (`Number.prototype.toString`): the
/// shortest round-trip digits (from ryu), integers without `.0`, plain notation for decimal
/// exponents -6…20, exponent form (`1e+21`, `1.5e-7`) outside, non-finite values as `null`.
fn write_js_number(out: &mut Vec<u8>, v: f64) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if v == 0.0 {
        out.push(b'0'); // -0 too, as JS writes it
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(v);
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The significant digits and where the decimal point goes: value = 0.DIGITS × 10^point.
    let mut digits = [0u8; 40];
    let mut len = 0;
    for b in int.bytes().chain(frac.bytes()) {
        if len < digits.len() {
            digits[len] = b;
            len += 1;
        }
    }
    let mut point = int.len() as i32 + exponent;
    let lead = digits[..len].iter().take_while(|d| **d == b'0').count();
    let digits = &digits[lead..len];
    point -= lead as i32;
    let k = digits.len() - digits.iter().rev().take_while(|d| **d == b'0').count();
    let digits = &digits[..k];
    let k = k as i32;
    if negative {
        out.push(b'-');
    }
    if k <= point && point <= 21 {
        out.extend_from_slice(digits);
        out.extend(std::iter::repeat_n(b'0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.extend_from_slice(&digits[..point as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(digits);
    } else {
        out.push(digits[0]);
        if k > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        let e = point - 1;
        out.push(if e < 0 { b'-' } else { b'+' });
        out.extend_from_slice(itoa::Buffer::new().format(e.unsigned_abs()).as_bytes());
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
        assert_eq!(js(-0.0), "0");
        assert_eq!(js(1e20), "100000000000000000000");
        assert_eq!(js(123456789012345680000.0), "123456789012345680000");
        assert_eq!(js(1.5e300), "1.5e+300");
        assert_eq!(js(1e-6), "0.000001");
        assert_eq!(js(1.25e-6), "0.00000125");
        assert_eq!(js(9.9e-7), "9.9e-7");
        assert_eq!(js(-1234.5678), "-1234.5678");
        assert_eq!(js(5e-324), "5e-324");
        assert_eq!(js(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(js(0.1 + 0.2), "0.30000000000000004");
        // 1764387612836927.25 exactly: a tie between .2 and .3.
        assert_eq!(js(1_764_387_612_836_927.0 + 0.25), "1764387612836927.2");
    }

    /// The digit-by-digit form agrees with Rust's own shortest formatting (the previous
    /// implementation) over a wide spread of values, except for ties between two shortest
    /// forms, where it takes the even digit as ECMAScript's Number::toString requires
    /// (`1764387612836927.25` is written `1764387612836927.2`).
    #[test]
    fn floats_agree_with_std_formatting() {
        fn reference(v: f64) -> String {
            if v != 0.0 && (v.abs() >= 1e21 || v.abs() < 1e-6) {
                let text = format!("{v:e}");
                match text.split_once('e') {
                    Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
                    _ => text,
                }
            } else {
                format!("{v}")
            }
        }
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = match i % 3 {
                0 => f64::from_bits(state),
                1 => (state % 2_000_000) as f64 / 1000.0 - 1000.0,
                _ => (state as f64) * 10f64.powi((i % 60) as i32 - 30),
            };
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let mut out = Vec::new();
            write_js_number(&mut out, v);
            let ours = String::from_utf8(out).unwrap();
            let theirs = reference(v);
            if ours != theirs {
                // Only a tie between two shortest forms may differ: ryu (and the JS spec)
                // take the even digit, Rust's formatter the upper one.
                let significant = |t: &str| {
                    t.split('e')
                        .next()
                        .unwrap()
                        .replace(['-', '.'], "")
                        .trim_matches('0')
                        .len()
                };
                assert_eq!(ours.parse::<f64>().unwrap(), v, "{ours} vs {theirs}");
                assert_eq!(
                    significant(&ours),
                    significant(&theirs),
                    "{ours} vs {theirs}"
                );
                assert_eq!(
                    ours.contains('e'),
                    theirs.contains('e'),
                    "{ours} vs {theirs}"
                );
                assert_eq!(ours.len(), theirs.len(), "{ours} vs {theirs}");
            }
        }
    }

    #[test]
    fn temporal_values_match_chrono_forms() {
        let text = |c: Cell| {
            let mut out = Vec::new();
            write_cell(&mut out, &c);
            String::from_utf8(out).unwrap()
        };
        let day = NaiveDate::from_ymd_opt(2024, 2, 9).unwrap();
        for (nanos, frac) in [
            (0, ""),
            (500_000_000, ".500"),
            (120_000, ".000120"),
            (7, ".000000007"),
        ] {
            let ts = day.and_hms_nano_opt(3, 4, 5, nanos).unwrap();
            assert_eq!(
                text(Cell::Timestamp(ts)),
                format!("\"2024-02-09T03:04:05{frac}\"")
            );
            assert_eq!(
                text(Cell::Timestamp(ts)),
                format!("\"{}\"", ts.format("%Y-%m-%dT%H:%M:%S%.f"))
            );
            assert_eq!(
                text(Cell::Time(ts.time())),
                format!("\"{}\"", ts.time().format("%H:%M:%S%.f"))
            );
        }
        let tz =
            |nanos| Cell::TimestampTz(day.and_hms_nano_opt(23, 59, 1, nanos).unwrap().and_utc());
        assert_eq!(text(tz(0)), "\"2024-02-09T23:59:01.000Z\"");
        assert_eq!(text(tz(1_000_000)), "\"2024-02-09T23:59:01.001Z\"");
        assert_eq!(text(tz(1_000)), "\"2024-02-09T23:59:01.000001Z\"");
        assert_eq!(
            text(Cell::Date(NaiveDate::from_ymd_opt(7, 1, 2).unwrap())),
            "\"0007-01-02\""
        );
        let far = NaiveDate::from_ymd_opt(12345, 1, 2).unwrap();
        assert_eq!(
            text(Cell::Date(far)),
            format!("\"{}\"", far.format("%Y-%m-%d"))
        );
        assert_eq!(text(Cell::Int(i64::MIN)), i64::MIN.to_string());
        assert_eq!(text(Cell::HugeInt(i128::MAX)), i128::MAX.to_string());
        assert_eq!(
            {
                let mut out = Vec::new();
                RowEncoder::new(&[]).write(&mut out, &[]);
                out
            },
            b"{}\n"
        );
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
