//! One NDJSON line per row: a compact JSON object with the plan's keys in order.
//!
//! Values (docs/compatibility.md): integers as JSON numbers with every digit (also beyond
//! 2^53), floats in the shortest form (NaN and infinities as `null`, as JS does), decimals as
//! strings with their exact digits, dates `YYYY-MM-DD`, timestamps ISO 8601
//! (`…T…` without zone; instants with `Z`), times `HH:MM:SS[.ffffff]`, JSON/LIST/STRUCT/MAP
//! embedded as JSON, bytes as base64.

use base64::Engine as _;
use owox_storage::{Batch, Cell, CellRef, ColumnBatch};

/// Writes rows whose columns are `keys`: each key is escaped once, not once per row.
/// Rows come as cells ([`RowEncoder::write`]) or as a columnar batch, read in place
/// ([`RowEncoder::write_batch`]); every value goes through the one writer of [`CellRef`]s,
/// so both give the same bytes.
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
            write_cell(out, row.get(i).map_or(CellRef::Null, Cell::as_ref));
        }
        out.extend_from_slice(b"}\n");
    }

    /// Appends one line per row of `batch`.
    pub fn write_batch(&self, out: &mut Vec<u8>, batch: &Batch) {
        match batch {
            Batch::Rows(b) => {
                for row in &b.rows {
                    self.write(out, row);
                }
            }
            Batch::Columns(c) => self.write_columns(out, c),
        }
    }

    /// Appends one line per row of a columnar batch: each column's layout is resolved once,
    /// then values are read in place, row by row (a column the batch lacks is `null`, as a
    /// missing cell is in [`RowEncoder::write`]).
    fn write_columns(&self, out: &mut Vec<u8>, batch: &ColumnBatch) {
        let rows = batch.num_rows();
        if self.prefixes.is_empty() {
            for _ in 0..rows {
                out.extend_from_slice(b"{}\n");
            }
            return;
        }
        let readers = batch.readers();
        let columns: Vec<_> = self
            .prefixes
            .iter()
            .enumerate()
            .map(|(i, prefix)| (prefix.as_slice(), readers.get(i)))
            .collect();
        for row in 0..rows {
            for (prefix, reader) in &columns {
                out.extend_from_slice(prefix);
                match reader {
                    Some(reader) => reader.with(row, |value| write_cell(out, value)),
                    None => out.extend_from_slice(b"null"),
                }
            }
            out.extend_from_slice(b"}\n");
        }
    }
}

/// Appends `{"k1":v1,…}\n` for one row (for single rows; streams keep a [`RowEncoder`]).
pub fn write_row(out: &mut Vec<u8>, keys: &[String], row: &[Cell]) {
    RowEncoder::new(keys).write(out, row);
}

/// A JSON string exactly as serde_json writes it (the quote, the backslash and control
/// characters escaped, `\b \f \n \r \t` in their short forms, other controls as `\u00xx`;
/// non-ASCII and DEL as they are), with runs of plain bytes copied at once.
#[inline]
fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xF)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// serde_json's table: the escape letter of each byte, 0 for bytes written as they are.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0A] = b'n';
    table[0x0C] = b'f';
    table[0x0D] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

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
    let (month, day) = (d.month(), d.day());
    // Digits by constant divisions (multiplications), not a loop: two dates per row on
    // stream-bench's table made `write_day` ~5% of a stream's CPU.
    let digit = |n: u32| b'0' + (n % 10) as u8;
    out.extend_from_slice(&[
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ]);
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
    let (second, nanos) = if t.nanosecond() >= 1_000_000_000 {
        (60, t.nanosecond() - 1_000_000_000)
    } else {
        (t.second(), t.nanosecond())
    };
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let (hour, minute) = (t.hour(), t.minute());
    out.extend_from_slice(&[
        digit(hour / 10),
        digit(hour),
        b':',
        digit(minute / 10),
        digit(minute),
        b':',
        digit(second / 10),
        digit(second),
    ]);
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

#[inline(always)]
fn write_cell(out: &mut Vec<u8>, cell: CellRef<'_>) {
    match cell {
        CellRef::Null => out.extend_from_slice(b"null"),
        CellRef::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        CellRef::Int(v) => write_int(out, v),
        CellRef::UInt(v) => write_int(out, v),
        CellRef::HugeInt(v) => write_int(out, v),
        CellRef::Float(v) => write_js_number(out, v),
        CellRef::Float32(v) => write_js_number_f32(out, v),
        CellRef::Decimal(text) | CellRef::Text(text) => write_str(out, text),
        CellRef::ScaledDecimal { value, scale } => {
            out.push(b'"');
            owox_storage::write_decimal(out, value, scale);
            out.push(b'"');
        }
        CellRef::Date(d) => {
            out.push(b'"');
            write_day(out, &d);
            out.push(b'"');
        }
        CellRef::Time(t) => {
            out.push(b'"');
            write_time(out, &t);
            out.push(b'"');
        }
        CellRef::Timestamp(ts) => {
            out.push(b'"');
            write_day(out, &ts.date());
            out.push(b'T');
            write_time(out, &ts.time());
            out.push(b'"');
        }
        CellRef::TimestampTz(ts) => {
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
        CellRef::Json(raw) => out.extend_from_slice(raw.as_bytes()),
        CellRef::Bytes(b) => write_str(out, &base64::engine::general_purpose::STANDARD.encode(b)),
    }
}

/// A float as JavaScript's `JSON.stringify` writes it (`Number.prototype.toString`): the
/// shortest round-trip digits (from zmij), integers without `.0`, plain notation for decimal
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
    write_shortest_as_js(out, zmij::Buffer::new().format_finite(v));
}

/// An f32 as [`write_js_number`] writes it widened (`widen_f32`): the widened double's
/// shortest digits are the f32's own (a decimal of at most 9 digits is the shortest form of
/// the double nearest to it), so the f32's shortest digits are laid out directly.
fn write_js_number_f32(out: &mut Vec<u8>, v: f32) {
    if !v.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    if v == 0.0 {
        out.push(b'0');
        return;
    }
    write_shortest_as_js(out, zmij::Buffer::new().format_finite(v));
}

/// The shortest round-trip text (zmij's, the same digits as ryu's, about twice as fast) as
/// `Number#toString` writes the number. Without an exponent it is a plain decimal (`142.5`,
/// `100.0`, `0.00125`) inside JS's plain range (decimal exponents -6…21), with the same
/// shortest digits, so it differs from JS at most by a `.0` after an integer: the common
/// case needs no re-layout (this runs for every float streamed); a test checks both ways.
#[inline]
fn write_shortest_as_js(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if bytes.contains(&b'e') {
        write_js_layout(out, text);
    } else {
        out.extend_from_slice(bytes.strip_suffix(b".0").unwrap_or(bytes));
    }
}

/// Lays out a shortest text (`[-]d.ddd[e[-+]x]`, or plain) as `Number#toString` does.
fn write_js_layout(out: &mut Vec<u8>, text: &str) {
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

    /// Every DuckDB type the tests, the demo and the benchmark use, with NULLs and edge
    /// values, over several engine chunks (as in owox-storage's `tests/storage/columnar.rs`).
    pub(crate) const EVERY_TYPE: &str = "SELECT
        i AS id, 9007199254740993 + i AS big, CAST(i % 1000 AS INTEGER) AS qty,
        CAST(i % 100000 AS DECIMAL(12,2)) / 4 AS amount, i / 7.0 AS price, CAST(i % 97 AS FLOAT) / 8 AS ratio,
        'customer ' || (i % 50000) AS customer, ['DE','FR','US','GB','PL'][1 + i % 5] AS country,
        DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS day, to_timestamp(1577836800 + i) AS created_at,
        i % 3 = 0 AS paid, CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note,
        CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(i % 128 AS TINYINT) END AS tiny, CAST(i AS SMALLINT) AS small,
        CAST(i % 256 AS UTINYINT) AS utiny, CAST(i AS USMALLINT) AS usmall, CAST(i AS UINTEGER) AS uint,
        18446744073709551615::UBIGINT - CAST(i AS UBIGINT) AS ubig,
        CAST(i AS HUGEINT) * 170141183460469231731687303715 AS huge, CAST(i AS UHUGEINT) AS uhuge,
        CASE i % 5 WHEN 0 THEN 'NaN'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
            WHEN 3 THEN NULL ELSE i * 1e-9 END AS dbl,
        CAST(i AS FLOAT) / 3 AS flt, CAST(i AS FLOAT) * 1e30 AS big_flt, -CAST(i AS FLOAT) / 1e9 AS tiny_flt,
        (i * 1.5e300)::DOUBLE AS huge_dbl, CAST(i AS DOUBLE) / 1e7 AS small_dbl, -0.0::DOUBLE AS neg_zero,
        CAST(i AS DECIMAL(4,0)) AS dec4, CAST(i AS DECIMAL(9,3)) / -7 AS dec9,
        CAST(i AS DECIMAL(38,10)) * 12345678901234567.89 AS dec38, -CAST(i % 3 AS DECIMAL(3,2)) / 100 AS small_dec,
        'héllo \"wörld\"\\n\t' || i || chr(1) || chr(127) AS escaped, '日本 ' || i AS cjk,
        '6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a'::UUID AS uuid, CAST(['sad','ok','happy'][1 + i % 3] AS mood) AS mood,
        ('{\"a\": [1, 2.50, null], \"n\": ' || i || '}')::JSON AS js,
        CASE WHEN i % 4 = 0 THEN NULL ELSE '\\x00\\xFFab'::BLOB END AS blob,
        TIME '23:59:59.123456' AS tm, TIMESTAMP '2024-01-31 10:20:30.123456' + to_seconds(i) AS ts,
        '2024-01-31 10:20:30'::TIMESTAMP_S AS ts_s, '2024-01-31 10:20:30.123'::TIMESTAMP_MS AS ts_ms,
        '2024-01-31 10:20:30.123456789'::TIMESTAMP_NS AS ts_ns,
        to_timestamp(1706689230.5 + i * 0.001001) AS tstz,
        INTERVAL '1 year 2 months 3 days 04:05:06.5' AS iv, '12:34:56+02'::TIMETZ AS ttz, '0101'::BIT AS bits,
        CASE i % 3 WHEN 0 THEN 'infinity'::TIMESTAMP WHEN 1 THEN '-infinity'::TIMESTAMP ELSE TIMESTAMP '1970-01-01' END AS ts_inf,
        CASE i % 3 WHEN 0 THEN 'infinity'::DATE WHEN 1 THEN '-infinity'::DATE ELSE DATE '0007-01-02' END AS date_inf,
        DATE '2024-01-01' + INTERVAL (i % 24) MONTH AS month_ts,
        [1, 2, NULL]::INTEGER[] AS list, [1, 2, 3]::INTEGER[3] AS arr, {'a': i, 'd': 1.50::DECIMAL(5,2)} AS st,
        MAP {'k': i} AS mp, NULL AS nothing, NULL::VARCHAR AS null_text
    FROM range(5000) t(i)";

    /// The columnar path writes exactly the bytes of the row path (cells, as before), for
    /// every type; the in-flight totals agree too.
    #[tokio::test]
    async fn columnar_batches_write_the_bytes_of_cells() {
        use futures::future::poll_fn;
        use owox_storage::Storage as _;
        let dir = tempfile::tempdir().unwrap();
        let admin = owox_storage::DuckDbAdmin::open(&owox_storage::DuckDbConfig::under(dir.path()))
            .unwrap();
        admin
            .execute_batch("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');")
            .unwrap();
        let storage = admin.lock().unwrap();
        let mut stream = storage
            .query(owox_query::Statement {
                sql: EVERY_TYPE.into(),
                params: vec![],
            })
            .await
            .unwrap();
        let keys = stream.columns().to_vec();
        let encoder = RowEncoder::new(&keys);
        let (mut columnar, mut cells) = (Vec::new(), Vec::new());
        let mut batches = 0;
        while let Some(batch) = poll_fn(|cx| stream.poll_next_batch(cx)).await {
            let batch = batch.unwrap();
            assert!(matches!(batch, Batch::Columns(_)));
            encoder.write_batch(&mut columnar, &batch);
            for row in &batch.into_rows().rows {
                encoder.write(&mut cells, row);
            }
            batches += 1;
        }
        assert!(batches > 1);
        let (columnar, cells) = (
            String::from_utf8(columnar).unwrap(),
            String::from_utf8(cells).unwrap(),
        );
        assert_eq!(columnar.lines().count(), 5000);
        for (a, b) in columnar.lines().zip(cells.lines()) {
            assert_eq!(a, b);
            serde_json::from_str::<serde_json::Value>(a).unwrap_or_else(|e| panic!("{a}: {e}"));
        }
        assert_eq!(columnar, cells);
        // A few values as the compatibility notes give them.
        let first = columnar.lines().nth(1).unwrap();
        for part in [
            "\"big\":9007199254740994,",
            "\"amount\":0.25,",
            "\"dec38\":\"12345678901234567.890000000000\",",
            "\"flt\":0.33333334,",
            "\"tstz\":\"2024-01-31T08:20:30.501001Z\",",
            "\"dbl\":null",
            "\"day\":\"2020-01-02\"",
            "\"created_at\":\"2020-01-01T00:00:01.000Z\"",
            "\"ts_inf\":\"-infinity\"",
            "\"neg_zero\":0,",
            "\"list\":[1,2,null]",
        ] {
            assert!(first.contains(part), "{part} in {first}");
        }
    }

    /// A FLOAT written from its own digits is what the row path writes for its widened value.
    #[test]
    fn f32_written_as_its_widened_double() {
        let both = |v: f32| {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            write_js_number_f32(&mut a, v);
            write_js_number(&mut b, owox_storage::widen_f32(v));
            assert_eq!(a, b, "{v:e}");
        };
        let mut bits: u32 = 0;
        while bits < 0x7F80_0000 {
            both(f32::from_bits(bits));
            both(-f32::from_bits(bits));
            bits += 4099;
        }
        for v in [
            0.0,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::MAX,
            f32::MIN_POSITIVE,
            1e-45,
            0.1,
            1e21,
            1e-7,
            123456.79,
            16777217.0,
        ] {
            both(v);
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let mut samples: Vec<String> = (0u32..0x800)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples.extend(
            [
                "",
                "plain",
                "\"\\\"",
                "naïve \"q\"\n\t\r\u{8}\u{c}\u{0}\u{1f}\u{7f}",
                "日本\u{1F600}",
                "\\\\",
            ]
            .map(String::from),
        );
        for s in samples {
            let mut ours = Vec::new();
            write_str(&mut ours, &s);
            assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }

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
                // Only a tie between two shortest forms may differ: zmij and ryu (and the JS spec)
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

    /// The plain-text shortcut gives the full layout's bytes for every text it takes, and
    /// zmij's digits are ryu's.
    #[test]
    fn shortest_plain_texts_need_no_layout() {
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut checked = 0;
        for i in 0..300_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = match i % 4 {
                0 => f64::from_bits(state),
                1 => (state % 2_000_000) as f64 / 1000.0 - 1000.0,
                2 => (state >> 11) as f64 * 10f64.powi((i % 44) as i32 - 22),
                _ => (state % 100_000) as f64 * 10f64.powi((i % 30) as i32 - 8),
            };
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let mut texts = vec![(
                zmij::Buffer::new().format_finite(v).to_string(),
                ryu::Buffer::new().format_finite(v).to_string(),
            )];
            // Zeros and non-finite values never reach the formatter (the writers answer them
            // first).
            let narrow = v as f32;
            if narrow.is_finite() && narrow != 0.0 {
                texts.push((
                    zmij::Buffer::new().format_finite(narrow).to_string(),
                    ryu::Buffer::new().format_finite(narrow).to_string(),
                ));
            }
            for (text, ryu_text) in texts {
                let (mut fast, mut full, mut from_ryu) = (Vec::new(), Vec::new(), Vec::new());
                write_shortest_as_js(&mut fast, &text);
                write_js_layout(&mut full, &text);
                write_js_layout(&mut from_ryu, &ryu_text);
                assert_eq!(fast, full, "{text}");
                assert_eq!(fast, from_ryu, "{text} vs ryu's {ryu_text}");
                checked += usize::from(!text.contains('e'));
            }
        }
        assert!(checked > 100_000, "too few plain texts: {checked}");
    }

    #[test]
    fn temporal_values_match_chrono_forms() {
        let text = |c: Cell| {
            let mut out = Vec::new();
            write_cell(&mut out, c.as_ref());
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
