//! Arrow arrays (DuckDB's streaming chunks) → exact [`Cell`]s.
//!
//! The DuckDB logical type decides what a value *is* (a JSON column and a VARCHAR are both
//! Arrow strings; a HUGEINT and a DECIMAL(38,0) are both Arrow decimals); the Arrow array says
//! how it is laid out.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use duckdb::arrow::array::{AnyDictionaryArray, Array, AsArray};
use duckdb::arrow::datatypes::*;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::types::DuckType;
use crate::cell::write_json_string;
use crate::Cell;

/// The value at `row` of a column of DuckDB type `ty`.
pub(crate) fn cell(array: &dyn Array, row: usize, ty: &DuckType) -> Cell {
    if is_null(array, row) {
        return Cell::Null;
    }
    let fallback = || Cell::Text(display(array, row));
    match ty {
        DuckType::Boolean => match array.as_boolean_opt() {
            Some(a) => Cell::Bool(a.value(row)),
            None => fallback(),
        },
        DuckType::TinyInt
        | DuckType::SmallInt
        | DuckType::Integer
        | DuckType::BigInt
        | DuckType::UTinyInt
        | DuckType::USmallInt
        | DuckType::UInteger => match integer(array, row).and_then(|v| i64::try_from(v).ok()) {
            Some(v) => Cell::Int(v),
            None => fallback(),
        },
        DuckType::UBigInt => match integer(array, row).and_then(|v| u64::try_from(v).ok()) {
            Some(v) => Cell::UInt(v),
            None => fallback(),
        },
        DuckType::HugeInt | DuckType::UHugeInt | DuckType::BigNum => match integer(array, row) {
            Some(v) => Cell::HugeInt(v),
            None => fallback(),
        },
        DuckType::Float | DuckType::Double => match float(array, row) {
            Some(v) => Cell::Float(v),
            None => fallback(),
        },
        DuckType::Decimal { .. } => decimal(array, row).unwrap_or_else(fallback),
        DuckType::Varchar | DuckType::Uuid | DuckType::Enum => match string(array, row) {
            Some(s) => Cell::Text(s),
            None => fallback(),
        },
        DuckType::Json => match string(array, row) {
            Some(s) => Cell::Json(s),
            None => fallback(),
        },
        DuckType::Blob => match bytes(array, row) {
            Some(b) => Cell::Bytes(b),
            None => fallback(),
        },
        DuckType::Date => date(array, row).unwrap_or_else(fallback),
        DuckType::Time | DuckType::TimeNs | DuckType::TimeTz => match time(array, row) {
            Some(t) => Cell::Time(t),
            None => fallback(),
        },
        DuckType::Timestamp
        | DuckType::TimestampS
        | DuckType::TimestampMs
        | DuckType::TimestampNs => match timestamp(array, row) {
            Some(Ok(ts)) => Cell::Timestamp(ts.naive_utc()),
            Some(Err(text)) => Cell::Text(text),
            None => fallback(),
        },
        DuckType::TimestampTz | DuckType::TimestampTzNs => match timestamp(array, row) {
            Some(Ok(ts)) => Cell::TimestampTz(ts),
            Some(Err(text)) => Cell::Text(text),
            None => fallback(),
        },
        DuckType::Interval => match interval(array, row) {
            Some(s) => Cell::Text(s),
            None => fallback(),
        },
        DuckType::List(_)
        | DuckType::Array(_)
        | DuckType::Struct(_)
        | DuckType::Map(..)
        | DuckType::Union(_) => {
            let mut out = String::new();
            write_json(&mut out, array, row, ty);
            Cell::Json(out)
        }
        DuckType::Bit
        | DuckType::Geometry
        | DuckType::Variant
        | DuckType::Null
        | DuckType::Unknown(_) => match string(array, row) {
            Some(s) => Cell::Text(s),
            None => fallback(),
        },
    }
}

fn is_null(array: &dyn Array, row: usize) -> bool {
    // A NullArray (DuckDB's `NULL` type, `SELECT NULL AS x`) has no validity buffer: every
    // value is null without `is_null` saying so.
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return true;
    }
    if let Some(d) = array.as_any_dictionary_opt() {
        return match dictionary_key(d, row) {
            Some(key) => d.values().is_null(key),
            None => true,
        };
    }
    false
}

/// Writes the value as JSON (nested types become arrays and objects).
fn write_json(out: &mut String, array: &dyn Array, row: usize, ty: &DuckType) {
    if is_null(array, row) {
        out.push_str("null");
        return;
    }
    let unknown = DuckType::Unknown(0);
    match array.data_type() {
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let child_ty = match ty {
                DuckType::List(c) | DuckType::Array(c) => c.as_ref(),
                _ => &unknown,
            };
            let values = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(row),
                DataType::LargeList(_) => array.as_list::<i64>().value(row),
                _ => array.as_fixed_size_list().value(row),
            };
            out.push('[');
            for i in 0..values.len() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, values.as_ref(), i, child_ty);
            }
            out.push(']');
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            out.push('{');
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, field.name());
                out.push(':');
                let child_ty = match ty {
                    DuckType::Struct(members) => members.get(i).map_or(&unknown, |(_, t)| t),
                    _ => &unknown,
                };
                write_json(out, s.column(i).as_ref(), row, child_ty);
            }
            out.push('}');
        }
        DataType::Map(..) => {
            let (key_ty, value_ty) = match ty {
                DuckType::Map(k, v) => (k.as_ref(), v.as_ref()),
                _ => (&unknown, &unknown),
            };
            let entries = array.as_map().value(row);
            out.push('{');
            for i in 0..entries.len() {
                if i > 0 {
                    out.push(',');
                }
                let key = match cell(entries.column(0).as_ref(), i, key_ty) {
                    Cell::Text(s) => s,
                    other => {
                        let mut k = String::new();
                        other.write_json(&mut k);
                        serde_json::from_str::<String>(&k).unwrap_or(k)
                    }
                };
                write_json_string(out, &key);
                out.push(':');
                write_json(out, entries.column(1).as_ref(), i, value_ty);
            }
            out.push('}');
        }
        DataType::Union(..) => {
            let u = array.as_union();
            let type_id = u.type_id(row);
            let child = u.child(type_id);
            let offset = u.value_offset(row);
            let member_ty = match ty {
                DuckType::Union(members) => {
                    // Arrow type ids follow the member order.
                    members.get(type_id as usize).map_or(&unknown, |(_, t)| t)
                }
                _ => &unknown,
            };
            write_json(out, child.as_ref(), offset, member_ty);
        }
        _ => {
            let c = if matches!(ty, DuckType::Unknown(_)) {
                guess_cell(array, row)
            } else {
                cell(array, row, ty)
            };
            c.write_json(out)
        }
    }
}

/// A cell for an array whose DuckDB type is not known (only inside nested values whose
/// member types could not be matched): decided by the Arrow type alone.
fn guess_cell(array: &dyn Array, row: usize) -> Cell {
    let ty = match array.data_type() {
        DataType::Boolean => DuckType::Boolean,
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => DuckType::BigInt,
        DataType::UInt64 => DuckType::UBigInt,
        DataType::Float32 | DataType::Float64 => DuckType::Double,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => DuckType::Decimal { width: 0, scale: 0 },
        DataType::Date32 | DataType::Date64 => DuckType::Date,
        DataType::Time32(_) | DataType::Time64(_) => DuckType::Time,
        DataType::Timestamp(_, Some(_)) => DuckType::TimestampTz,
        DataType::Timestamp(_, None) => DuckType::Timestamp,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => DuckType::Blob,
        DataType::Interval(_) => DuckType::Interval,
        _ => DuckType::Varchar,
    };
    cell(array, row, &ty)
}

fn display(array: &dyn Array, row: usize) -> String {
    match ArrayFormatter::try_new(array, &FormatOptions::default()) {
        Ok(f) => f.value(row).to_string(),
        Err(e) => format!("<unrepresentable value: {e}>"),
    }
}

fn integer(array: &dyn Array, row: usize) -> Option<i128> {
    Some(match array.data_type() {
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Decimal128(_, 0) => array.as_primitive::<Decimal128Type>().value(row),
        DataType::Decimal64(_, 0) => array.as_primitive::<Decimal64Type>().value(row).into(),
        DataType::Decimal32(_, 0) => array.as_primitive::<Decimal32Type>().value(row).into(),
        _ => return None,
    })
}

fn float(array: &dyn Array, row: usize) -> Option<f64> {
    Some(match array.data_type() {
        DataType::Float32 => crate::widen_f32(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row),
        DataType::Float16 => array.as_primitive::<Float16Type>().value(row).to_f64(),
        _ => return None,
    })
}

fn decimal(array: &dyn Array, row: usize) -> Option<Cell> {
    let scaled = |value: i128, scale: i8| match u8::try_from(scale) {
        Ok(scale) => Cell::ScaledDecimal { value, scale },
        // A negative scale (never from DuckDB): the digits, then zeros.
        Err(_) => Cell::Decimal(format!(
            "{value}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        )),
    };
    Some(match array.data_type() {
        DataType::Decimal128(_, s) => scaled(array.as_primitive::<Decimal128Type>().value(row), *s),
        DataType::Decimal64(_, s) => {
            scaled(array.as_primitive::<Decimal64Type>().value(row).into(), *s)
        }
        DataType::Decimal32(_, s) => {
            scaled(array.as_primitive::<Decimal32Type>().value(row).into(), *s)
        }
        DataType::Decimal256(..) => Cell::Decimal(display(array, row)),
        DataType::Int16 | DataType::Int32 | DataType::Int64 => Cell::ScaledDecimal {
            value: integer(array, row)?,
            scale: 0,
        },
        _ => return None,
    })
}

fn string(array: &dyn Array, row: usize) -> Option<String> {
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => array.as_string_view().value(row).to_string(),
        DataType::Dictionary(..) => {
            let d = array.as_any_dictionary();
            let key = dictionary_key(d, row)?;
            return string(d.values().as_ref(), key);
        }
        DataType::FixedSizeBinary(16) => {
            let b = array.as_fixed_size_binary().value(row);
            let bytes: [u8; 16] = b.try_into().ok()?;
            let h = u128::from_be_bytes(bytes);
            let x = format!("{h:032x}");
            format!(
                "{}-{}-{}-{}-{}",
                &x[0..8],
                &x[8..12],
                &x[12..16],
                &x[16..20],
                &x[20..32]
            )
        }
        _ => return None,
    })
}

fn dictionary_key(d: &dyn AnyDictionaryArray, row: usize) -> Option<usize> {
    integer(d.keys(), row).and_then(|k| usize::try_from(k).ok())
}

fn bytes(array: &dyn Array, row: usize) -> Option<Vec<u8>> {
    Some(match array.data_type() {
        DataType::Binary => array.as_binary::<i32>().value(row).to_vec(),
        DataType::LargeBinary => array.as_binary::<i64>().value(row).to_vec(),
        DataType::BinaryView => array.as_binary_view().value(row).to_vec(),
        DataType::FixedSizeBinary(_) => array.as_fixed_size_binary().value(row).to_vec(),
        _ => return None,
    })
}

fn date(array: &dyn Array, row: usize) -> Option<Cell> {
    let days: i64 = match array.data_type() {
        DataType::Date32 => array.as_primitive::<Date32Type>().value(row).into(),
        DataType::Date64 => array.as_primitive::<Date64Type>().value(row) / 86_400_000,
        _ => return None,
    };
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    Some(
        match i32::try_from(days)
            .ok()
            .and_then(|d| epoch.checked_add_signed(chrono::Duration::days(d.into())))
        {
            Some(d) => Cell::Date(d),
            None => Cell::Text(infinity(days)),
        },
    )
}

fn infinity(v: i64) -> String {
    if v < 0 { "-infinity" } else { "infinity" }.to_string()
}

fn time(array: &dyn Array, row: usize) -> Option<NaiveTime> {
    let nanos: i64 = match array.data_type() {
        DataType::Time64(TimeUnit::Microsecond) => {
            array.as_primitive::<Time64MicrosecondType>().value(row) * 1_000
        }
        DataType::Time64(TimeUnit::Nanosecond) => {
            array.as_primitive::<Time64NanosecondType>().value(row)
        }
        DataType::Time32(TimeUnit::Millisecond) => {
            i64::from(array.as_primitive::<Time32MillisecondType>().value(row)) * 1_000_000
        }
        DataType::Time32(TimeUnit::Second) => {
            i64::from(array.as_primitive::<Time32SecondType>().value(row)) * 1_000_000_000
        }
        _ => return None,
    };
    let secs = u32::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    let frac = nanos.rem_euclid(1_000_000_000) as u32;
    if secs == 86_400 && frac == 0 {
        // DuckDB allows 24:00:00; chrono represents it as a leap second of 23:59:59.
        return NaiveTime::from_hms_nano_opt(23, 59, 59, 1_000_000_000);
    }
    NaiveTime::from_num_seconds_from_midnight_opt(secs, frac)
}

/// An instant, or the engine's text for values chrono cannot hold (`infinity`).
fn timestamp(array: &dyn Array, row: usize) -> Option<Result<DateTime<Utc>, String>> {
    let (value, ts) = match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            let v = array.as_primitive::<TimestampSecondType>().value(row);
            (v, DateTime::from_timestamp(v, 0))
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            let v = array.as_primitive::<TimestampMillisecondType>().value(row);
            (v, DateTime::from_timestamp_millis(v))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let v = array.as_primitive::<TimestampMicrosecondType>().value(row);
            (v, DateTime::from_timestamp_micros(v))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let v = array.as_primitive::<TimestampNanosecondType>().value(row);
            (v, Some(DateTime::from_timestamp_nanos(v)))
        }
        _ => return None,
    };
    // DuckDB's ±infinity are the extreme values of the representation.
    if value == i64::MAX || value == -i64::MAX {
        return Some(Err(infinity(value)));
    }
    Some(ts.ok_or_else(|| infinity(value)))
}

fn interval(array: &dyn Array, row: usize) -> Option<String> {
    let (months, days, nanos) = match array.data_type() {
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            (v.months, v.days, v.nanoseconds)
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(row);
            (0, v.days, i64::from(v.milliseconds) * 1_000_000)
        }
        DataType::Interval(IntervalUnit::YearMonth) => (
            array.as_primitive::<IntervalYearMonthType>().value(row),
            0,
            0,
        ),
        _ => return None,
    };
    Some(interval_text(months, days, nanos / 1_000))
}

/// DuckDB's interval text: `1 year 2 months 3 days 04:05:06.5`, `00:00:00` for zero.
pub(crate) fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut parts: Vec<String> = Vec::new();
    let unit = |n: i64, one: &str| {
        if n == 1 || n == -1 {
            format!("{n} {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (years, months) = (months / 12, months % 12);
    if years != 0 {
        parts.push(unit(years.into(), "year"));
    }
    if months != 0 {
        parts.push(unit(months.into(), "month"));
    }
    if days != 0 {
        parts.push(unit(days.into(), "day"));
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let abs = micros.unsigned_abs();
        let secs = abs / 1_000_000;
        let frac = (abs % 1_000_000) as u32;
        let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
        let mut t = format!("{sign}{h:02}:{m:02}:{s:02}");
        if frac != 0 {
            t.push('.');
            t.push_str(format!("{frac:06}").trim_end_matches('0'));
        }
        parts.push(t);
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_as_duckdb_writes_them() {
        assert_eq!(interval_text(0, 0, 0), "00:00:00");
        assert_eq!(
            interval_text(14, 3, 4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000),
            "1 year 2 months 3 days 04:05:06.5"
        );
        assert_eq!(interval_text(1, 1, 0), "1 month 1 day");
        assert_eq!(interval_text(-24, 0, -1), "-2 years -00:00:00.000001");
    }

    #[test]
    fn floats_widen_through_shortest_text() {
        assert_eq!(crate::widen_f32(0.1), 0.1);
        assert!(crate::widen_f32(f32::NAN).is_nan());
        assert_eq!(crate::widen_f32(f32::INFINITY), f64::INFINITY);
    }
}
