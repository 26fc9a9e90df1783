//! DuckDB chunks in columnar form: the Arrow arrays of one engine chunk, read in place.
//!
//! The row path ([`ColumnBatch::to_rows`], `convert::cell`) downcasts the array of every cell
//! and allocates a `String` per text value. A [`ColumnReader`] resolves its column once per
//! batch (the DuckDB type and the Arrow layout decide a [`Kind`]) and then reads values as
//! [`CellRef`]s borrowing the array's bytes. For every layout it does not read itself, it
//! falls back to `convert::cell`, so both paths give the same values by construction; the
//! tests below compare them value by value for every type.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use duckdb::arrow::array::{
    Array, AsArray, BinaryArray, BooleanArray, LargeStringArray, StringArray, StringViewArray,
};
use duckdb::arrow::buffer::NullBuffer;
use duckdb::arrow::datatypes::*;
use duckdb::arrow::record_batch::RecordBatch;

use super::convert;
use super::types::DuckType;
use crate::{Cell, CellRef};

/// One engine chunk (≤ 2048 rows) as typed columns, with each column's DuckDB type.
pub struct ColumnBatch {
    batch: RecordBatch,
    types: Arc<[DuckType]>,
}

impl std::fmt::Debug for ColumnBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColumnBatch")
            .field("rows", &self.num_rows())
            .field("types", &self.types)
            .finish()
    }
}

impl ColumnBatch {
    pub(crate) fn new(batch: RecordBatch, types: Arc<[DuckType]>) -> ColumnBatch {
        ColumnBatch { batch, types }
    }

    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    pub fn num_columns(&self) -> usize {
        self.batch.num_columns().min(self.types.len())
    }

    /// One reader per column, in order (each column's layout resolved once).
    pub fn readers(&self) -> Vec<ColumnReader<'_>> {
        self.batch
            .columns()
            .iter()
            .zip(self.types.iter())
            .map(|(array, ty)| ColumnReader::new(array.as_ref(), ty))
            .collect()
    }

    /// The rows as cells (the row path: one value per cell).
    pub fn to_rows(&self) -> Vec<Vec<Cell>> {
        let n = self.num_rows();
        let mut rows: Vec<Vec<Cell>> = (0..n)
            .map(|_| Vec::with_capacity(self.types.len()))
            .collect();
        for (col, ty) in self.batch.columns().iter().zip(self.types.iter()) {
            let array: &dyn Array = col.as_ref();
            for (r, row) in rows.iter_mut().enumerate() {
                row.push(convert::cell(array, r, ty));
            }
        }
        rows
    }
}

/// Reads one column's values without a downcast or an allocation per value.
pub struct ColumnReader<'a> {
    /// The validity bitmap of the layouts read here (`None`: no NULLs, or [`Kind::Other`],
    /// which checks NULLs itself).
    nulls: Option<&'a NullBuffer>,
    kind: Kind<'a>,
    /// The last day read (days since 1970-01-01) and its date: consecutive dates and
    /// timestamps mostly fall on one day, and the calendar computation is the costly part.
    last_day: std::cell::Cell<Option<(i64, NaiveDate)>>,
}

/// How a column is read: decided once per batch from the DuckDB type and the Arrow layout,
/// exactly as `convert::cell` decides per value.
enum Kind<'a> {
    Bool(&'a BooleanArray),
    /// Integers, floats and decimals (also what [`ColumnReader::numbers`] hands out).
    Number(Numbers<'a>),
    Str(&'a StringArray, bool),
    LargeStr(&'a LargeStringArray, bool),
    StrView(&'a StringViewArray, bool),
    Binary(&'a BinaryArray),
    Date32(&'a [i32]),
    Timestamp {
        values: &'a [i64],
        unit: TimeUnit,
        tz: bool,
    },
    /// Everything else (nested types, dictionaries, intervals, times, rare layouts): the row
    /// path's conversion, one value at a time.
    Other(&'a dyn Array, &'a DuckType),
}

impl<'a> ColumnReader<'a> {
    fn new(array: &'a dyn Array, ty: &'a DuckType) -> ColumnReader<'a> {
        let kind = Self::kind(array, ty);
        let nulls = match kind {
            Kind::Other(..) => None,
            _ => array.nulls(),
        };
        ColumnReader {
            nulls,
            kind,
            last_day: std::cell::Cell::new(None),
        }
    }

    fn kind(array: &'a dyn Array, ty: &'a DuckType) -> Kind<'a> {
        use DuckType as D;
        let other = Kind::Other(array, ty);
        let dt = array.data_type();
        match ty {
            D::Boolean => match dt {
                DataType::Boolean => Kind::Bool(array.as_boolean()),
                _ => other,
            },
            D::TinyInt
            | D::SmallInt
            | D::Integer
            | D::BigInt
            | D::UTinyInt
            | D::USmallInt
            | D::UInteger => match dt {
                DataType::Int8 => {
                    Kind::Number(Numbers::I8(array.as_primitive::<Int8Type>().values()))
                }
                DataType::Int16 => {
                    Kind::Number(Numbers::I16(array.as_primitive::<Int16Type>().values()))
                }
                DataType::Int32 => {
                    Kind::Number(Numbers::I32(array.as_primitive::<Int32Type>().values()))
                }
                DataType::Int64 => {
                    Kind::Number(Numbers::I64(array.as_primitive::<Int64Type>().values()))
                }
                DataType::UInt8 => {
                    Kind::Number(Numbers::U8(array.as_primitive::<UInt8Type>().values()))
                }
                DataType::UInt16 => {
                    Kind::Number(Numbers::U16(array.as_primitive::<UInt16Type>().values()))
                }
                DataType::UInt32 => {
                    Kind::Number(Numbers::U32(array.as_primitive::<UInt32Type>().values()))
                }
                _ => other,
            },
            D::UBigInt => match dt {
                DataType::UInt64 => {
                    Kind::Number(Numbers::U64(array.as_primitive::<UInt64Type>().values()))
                }
                _ => other,
            },
            D::HugeInt | D::UHugeInt | D::BigNum => match dt {
                DataType::Decimal128(_, 0) => Kind::Number(Numbers::I128(
                    array.as_primitive::<Decimal128Type>().values(),
                )),
                _ => other,
            },
            D::Float | D::Double => match dt {
                DataType::Float32 => {
                    Kind::Number(Numbers::F32(array.as_primitive::<Float32Type>().values()))
                }
                DataType::Float64 => {
                    Kind::Number(Numbers::F64(array.as_primitive::<Float64Type>().values()))
                }
                _ => other,
            },
            D::Decimal { .. } => match *dt {
                DataType::Decimal128(_, s) if s >= 0 => Kind::Number(Numbers::Dec128(
                    array.as_primitive::<Decimal128Type>().values(),
                    s as u8,
                )),
                DataType::Decimal64(_, s) if s >= 0 => Kind::Number(Numbers::Dec64(
                    array.as_primitive::<Decimal64Type>().values(),
                    s as u8,
                )),
                DataType::Decimal32(_, s) if s >= 0 => Kind::Number(Numbers::Dec32(
                    array.as_primitive::<Decimal32Type>().values(),
                    s as u8,
                )),
                _ => other,
            },
            D::Varchar | D::Uuid | D::Enum | D::Json => {
                let json = matches!(ty, D::Json);
                match dt {
                    DataType::Utf8 => Kind::Str(array.as_string::<i32>(), json),
                    DataType::LargeUtf8 => Kind::LargeStr(array.as_string::<i64>(), json),
                    DataType::Utf8View => Kind::StrView(array.as_string_view(), json),
                    _ => other,
                }
            }
            D::Blob => match dt {
                DataType::Binary => Kind::Binary(array.as_binary::<i32>()),
                _ => other,
            },
            D::Date => match dt {
                DataType::Date32 => Kind::Date32(array.as_primitive::<Date32Type>().values()),
                _ => other,
            },
            D::Timestamp
            | D::TimestampS
            | D::TimestampMs
            | D::TimestampNs
            | D::TimestampTz
            | D::TimestampTzNs => {
                let tz = matches!(ty, D::TimestampTz | D::TimestampTzNs);
                let values: &[i64] = match dt {
                    DataType::Timestamp(TimeUnit::Second, _) => {
                        array.as_primitive::<TimestampSecondType>().values()
                    }
                    DataType::Timestamp(TimeUnit::Millisecond, _) => {
                        array.as_primitive::<TimestampMillisecondType>().values()
                    }
                    DataType::Timestamp(TimeUnit::Microsecond, _) => {
                        array.as_primitive::<TimestampMicrosecondType>().values()
                    }
                    DataType::Timestamp(TimeUnit::Nanosecond, _) => {
                        array.as_primitive::<TimestampNanosecondType>().values()
                    }
                    _ => return other,
                };
                let DataType::Timestamp(unit, _) = dt else {
                    return other;
                };
                Kind::Timestamp {
                    values,
                    unit: *unit,
                    tz,
                }
            }
            _ => other,
        }
    }

    /// Whether the value at `row` is NULL.
    #[inline(always)]
    pub fn is_null(&self, row: usize) -> bool {
        match self.nulls {
            Some(nulls) => nulls.is_null(row),
            None => matches!(self.kind, Kind::Other(array, _) if array.is_null(row)),
        }
    }

    /// The column as a typed slice when it is an integer, float or decimal layout read here
    /// (values at NULL rows are unspecified: check [`ColumnReader::is_null`]), for loops over
    /// a whole column that would otherwise match the layout per value; `None` otherwise.
    pub fn numbers(&self) -> Option<Numbers<'_>> {
        match self.kind {
            Kind::Number(numbers) => Some(numbers),
            _ => None,
        }
    }

    /// Calls `f` with the value at `row` (what `convert::cell` gives, borrowed).
    #[inline(always)]
    pub fn with<R>(&self, row: usize, f: impl FnOnce(CellRef<'_>) -> R) -> R {
        if let Some(nulls) = self.nulls {
            if nulls.is_null(row) {
                return f(CellRef::Null);
            }
        }
        match self.kind {
            Kind::Bool(a) => f(CellRef::Bool(a.value(row))),
            Kind::Number(Numbers::I8(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::I16(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::I32(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::I64(v)) => f(CellRef::Int(v[row])),
            Kind::Number(Numbers::U8(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::U16(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::U32(v)) => f(CellRef::Int(v[row].into())),
            Kind::Number(Numbers::U64(v)) => f(CellRef::UInt(v[row])),
            Kind::Number(Numbers::I128(v)) => f(CellRef::HugeInt(v[row])),
            Kind::Number(Numbers::F32(v)) => f(CellRef::Float32(v[row])),
            Kind::Number(Numbers::F64(v)) => f(CellRef::Float(v[row])),
            Kind::Number(Numbers::Dec128(v, scale)) => f(CellRef::ScaledDecimal {
                value: v[row],
                scale,
            }),
            Kind::Number(Numbers::Dec64(v, scale)) => f(CellRef::ScaledDecimal {
                value: v[row].into(),
                scale,
            }),
            Kind::Number(Numbers::Dec32(v, scale)) => f(CellRef::ScaledDecimal {
                value: v[row].into(),
                scale,
            }),
            Kind::Str(a, json) => f(text(a.value(row), json)),
            Kind::LargeStr(a, json) => f(text(a.value(row), json)),
            Kind::StrView(a, json) => f(text(a.value(row), json)),
            Kind::Binary(a) => f(CellRef::Bytes(a.value(row))),
            Kind::Date32(v) => f(self.date(v[row])),
            Kind::Timestamp { values, unit, tz } => f(self.timestamp(values[row], unit, tz)),
            Kind::Other(array, ty) => {
                let cell = convert::cell(array, row, ty);
                f(cell.as_ref())
            }
        }
    }
}

/// A numeric column's values as [`ColumnReader::with`] reads them: `I*`/`U*` are
/// `CellRef::Int` (`U64`: `UInt`, `I128`: `HugeInt`), `F32` `Float32`, `F64` `Float`, `Dec*`
/// `ScaledDecimal` with the scale.
#[derive(Debug, Clone, Copy)]
pub enum Numbers<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    I128(&'a [i128]),
    F32(&'a [f32]),
    F64(&'a [f64]),
    Dec32(&'a [i32], u8),
    Dec64(&'a [i64], u8),
    Dec128(&'a [i128], u8),
}

#[inline(always)]
fn text(s: &str, json: bool) -> CellRef<'_> {
    if json {
        CellRef::Json(s)
    } else {
        CellRef::Text(s)
    }
}

fn infinity(v: i64) -> CellRef<'static> {
    CellRef::Text(if v < 0 { "-infinity" } else { "infinity" })
}

/// Days from 0001-01-01 (chrono's "CE" day 1) to 1970-01-01.
const UNIX_EPOCH_DAY: i64 = 719_163;

impl ColumnReader<'_> {
    /// The date `days` after 1970-01-01 (`None` outside chrono's range), the last one cached.
    #[inline]
    fn day(&self, days: i64) -> Option<NaiveDate> {
        if let Some((last, date)) = self.last_day.get() {
            if last == days {
                return Some(date);
            }
        }
        let ce = i32::try_from(days.checked_add(UNIX_EPOCH_DAY)?).ok()?;
        let date = NaiveDate::from_num_days_from_ce_opt(ce)?;
        self.last_day.set(Some((days, date)));
        Some(date)
    }

    /// As `convert::date` for `Date32` (`1970-01-01 + days`, ±infinity out of range).
    #[inline]
    fn date(&self, days: i32) -> CellRef<'static> {
        match self.day(days.into()) {
            Some(d) => CellRef::Date(d),
            None => infinity(days.into()),
        }
    }

    /// As `convert::timestamp`: DuckDB's ±infinity are the extreme values; otherwise the
    /// seconds and nanoseconds as chrono's `DateTime::from_timestamp_*` split them, the day
    /// through the cache.
    #[inline]
    fn timestamp(&self, value: i64, unit: TimeUnit, tz: bool) -> CellRef<'static> {
        if value == i64::MAX || value == -i64::MAX {
            return infinity(value);
        }
        let (secs, nanos) = match unit {
            TimeUnit::Second => (value, 0),
            TimeUnit::Millisecond => (
                value.div_euclid(1000),
                value.rem_euclid(1000) as u32 * 1_000_000,
            ),
            TimeUnit::Microsecond => (
                value.div_euclid(1_000_000),
                value.rem_euclid(1_000_000) as u32 * 1000,
            ),
            TimeUnit::Nanosecond => (
                value.div_euclid(1_000_000_000),
                value.rem_euclid(1_000_000_000) as u32,
            ),
        };
        let seconds_of_day = secs.rem_euclid(86_400) as u32;
        let (Some(date), Some(time)) = (
            self.day(secs.div_euclid(86_400)),
            NaiveTime::from_num_seconds_from_midnight_opt(seconds_of_day, nanos),
        ) else {
            return infinity(value);
        };
        let ts = date.and_time(time);
        if tz {
            CellRef::TimestampTz(ts.and_utc())
        } else {
            CellRef::Timestamp(ts)
        }
    }
}
