//! PostgreSQL values → [`Cell`]: typed decoding of the binary wire format for the common
//! types, and the normalized type names of the data mart schema.
//!
//! Why typed decoding and not `to_json(col)::text` for everything: the binary format of
//! integers, floats, timestamps and numerics is exact and cheap to read (no text parsing,
//! no per-value JSON on the server), and `to_json` writes numerics as JSON numbers, which
//! would still have to be turned back into the decimal strings we write. Types whose binary
//! form is intricate (arrays, composites, ranges, intervals, network types, …) are read
//! through `to_json(col)::text` instead, which PostgreSQL renders exactly; see
//! [`needs_json`].

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use tokio_postgres::types::{FromSql, Kind, Type};

use crate::Cell;

/// A value decoded from any column type.
pub(crate) struct PgCell(pub Cell);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl<'a> FromSql<'a> for PgCell {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        decode(ty, raw).map(PgCell)
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(PgCell(Cell::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// PostgreSQL's `infinity` / `-infinity` for dates and timestamps (binary form).
fn infinity_text<T: PartialEq>(v: T, max: T, min: T) -> Option<Cell> {
    if v == max {
        Some(Cell::Text("infinity".into()))
    } else if v == min {
        Some(Cell::Text("-infinity".into()))
    } else {
        None
    }
}

fn decode(ty: &Type, raw: &[u8]) -> Result<Cell, BoxError> {
    Ok(match *ty {
        Type::BOOL => Cell::Bool(bool::from_sql(ty, raw)?),
        Type::INT2 => Cell::Int(i16::from_sql(ty, raw)?.into()),
        Type::INT4 => Cell::Int(i32::from_sql(ty, raw)?.into()),
        Type::INT8 => Cell::Int(i64::from_sql(ty, raw)?),
        Type::OID => Cell::Int(u32::from_sql(ty, raw)?.into()),
        // The shortest decimal form of the f32, read as f64 (0.1::real is 0.1, not 0.100000001…).
        Type::FLOAT4 => Cell::Float(crate::widen_f32(f32::from_sql(ty, raw)?)),
        Type::FLOAT8 => Cell::Float(f64::from_sql(ty, raw)?),
        Type::NUMERIC => numeric_cell(raw)?,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            Cell::Text(<&str>::from_sql(ty, raw)?.to_string())
        }
        Type::UUID => Cell::Text(uuid_text(raw)?),
        Type::JSON => Cell::Json(<&str>::from_sql(ty, raw)?.to_string()),
        // jsonb's binary form is a version byte (1) and the JSON text.
        Type::JSONB => match raw.split_first() {
            Some((1, text)) => Cell::Json(std::str::from_utf8(text)?.to_string()),
            _ => return Err("unsupported jsonb version".into()),
        },
        Type::BYTEA => Cell::Bytes(raw.to_vec()),
        Type::DATE => {
            let days = i32::from_sql(ty, raw)?;
            match infinity_text(days, i32::MAX, i32::MIN) {
                Some(c) => c,
                None => Cell::Date(NaiveDate::from_sql(ty, raw)?),
            }
        }
        Type::TIME => Cell::Time(NaiveTime::from_sql(ty, raw)?),
        Type::TIMESTAMP => {
            let micros = i64::from_sql(&Type::INT8, raw)?;
            match infinity_text(micros, i64::MAX, i64::MIN) {
                Some(c) => c,
                None => Cell::Timestamp(NaiveDateTime::from_sql(ty, raw)?),
            }
        }
        Type::TIMESTAMPTZ => {
            let micros = i64::from_sql(&Type::INT8, raw)?;
            match infinity_text(micros, i64::MAX, i64::MIN) {
                Some(c) => c,
                None => Cell::TimestampTz(DateTime::<Utc>::from_sql(ty, raw)?),
            }
        }
        _ => match ty.kind() {
            // An enum's binary form is its label.
            Kind::Enum(_) => Cell::Text(std::str::from_utf8(raw)?.to_string()),
            // Columns of other types are selected as `to_json(col)::text` (see `needs_json`).
            _ => Cell::Json(std::str::from_utf8(raw)?.to_string()),
        },
    })
}

/// Whether a column of this type is read through `to_json(col)::text` rather than decoded.
pub(crate) fn needs_json(ty: &Type) -> bool {
    let native = matches!(
        *ty,
        Type::BOOL
            | Type::INT2
            | Type::INT4
            | Type::INT8
            | Type::OID
            | Type::FLOAT4
            | Type::FLOAT8
            | Type::NUMERIC
            | Type::TEXT
            | Type::VARCHAR
            | Type::BPCHAR
            | Type::NAME
            | Type::UNKNOWN
            | Type::UUID
            | Type::JSON
            | Type::JSONB
            | Type::BYTEA
            | Type::DATE
            | Type::TIME
            | Type::TIMESTAMP
            | Type::TIMESTAMPTZ
    );
    !native && !matches!(ty.kind(), Kind::Enum(_))
}

/// Whether values of this type are text to the operators (string filters apply to them
/// after a cast to `text` in the trusted source SQL).
pub(crate) fn casts_to_text(ty: &Type) -> bool {
    matches!(*ty, Type::UUID | Type::NAME)
        || matches!(ty.kind(), Kind::Enum(_))
        || ty.name() == "citext"
}

/// The normalized type name stored in the data mart schema, in the vocabulary
/// `owox_query::FieldCategory::of` classifies (numbers, strings, dates, times, booleans; the
/// rest is "other").
pub(crate) fn normalized_type(ty: &Type) -> String {
    let name = match *ty {
        Type::BOOL => "BOOLEAN",
        Type::INT2 => "SMALLINT",
        Type::INT4 => "INTEGER",
        Type::INT8 | Type::OID => "BIGINT",
        Type::FLOAT4 => "REAL",
        Type::FLOAT8 => "DOUBLE PRECISION",
        Type::NUMERIC => "NUMERIC",
        Type::TEXT => "TEXT",
        Type::VARCHAR | Type::NAME | Type::UUID | Type::UNKNOWN => "VARCHAR",
        Type::BPCHAR => "CHAR",
        Type::JSON | Type::JSONB => "JSON",
        Type::BYTEA => "BYTEA",
        Type::DATE => "DATE",
        Type::TIME => "TIME",
        Type::TIMETZ => "TIMETZ",
        Type::TIMESTAMP => "TIMESTAMP",
        Type::TIMESTAMPTZ => "TIMESTAMPTZ",
        Type::INTERVAL => "INTERVAL",
        _ => match ty.kind() {
            Kind::Enum(_) => "VARCHAR",
            Kind::Array(_) => "ARRAY",
            Kind::Composite(_) => "STRUCT",
            Kind::Range(_) | Kind::Multirange(_) => "RANGE",
            Kind::Domain(base) => return normalized_type(base),
            _ if ty.name() == "citext" => "VARCHAR",
            _ => return ty.name().to_uppercase(),
        },
    };
    name.to_string()
}

/// PostgreSQL's own spelling of the type (`numeric`, `timestamp with time zone`, `_int4` is
/// written `integer[]`).
pub(crate) fn native_type(ty: &Type) -> String {
    match ty.kind() {
        Kind::Array(elem) => format!("{}[]", native_type(elem)),
        _ => match *ty {
            Type::INT2 => "smallint".into(),
            Type::INT4 => "integer".into(),
            Type::INT8 => "bigint".into(),
            Type::FLOAT4 => "real".into(),
            Type::FLOAT8 => "double precision".into(),
            Type::BOOL => "boolean".into(),
            Type::VARCHAR => "character varying".into(),
            Type::BPCHAR => "character".into(),
            Type::TIMESTAMP => "timestamp without time zone".into(),
            Type::TIMESTAMPTZ => "timestamp with time zone".into(),
            Type::TIME => "time without time zone".into(),
            Type::TIMETZ => "time with time zone".into(),
            _ => ty.name().to_string(),
        },
    }
}

fn uuid_text(raw: &[u8]) -> Result<String, BoxError> {
    if raw.len() != 16 {
        return Err("uuid value is not 16 bytes".into());
    }
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

fn numeric_cell(raw: &[u8]) -> Result<Cell, BoxError> {
    Ok(match numeric_text(raw)? {
        Numeric::Finite(text) => Cell::Decimal(text),
        Numeric::Special(text) => Cell::Text(text.into()),
    })
}

#[derive(Debug, PartialEq)]
enum Numeric {
    Finite(String),
    Special(&'static str),
}

/// Decodes PostgreSQL's binary `numeric` (base-10000 digits with a weight, a sign and the
/// display scale) into exact decimal text with exactly `dscale` fraction digits, as
/// `numeric::text` writes it.
fn numeric_text(raw: &[u8]) -> Result<Numeric, BoxError> {
    let word = |i: usize| -> Result<u16, BoxError> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric value".into())
    };
    let ndigits = word(0)? as usize;
    let weight = word(1)? as i16 as i64;
    let sign = word(2)?;
    let dscale = word(3)? as usize;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Ok(Numeric::Special("NaN")),
        0xD000 => return Ok(Numeric::Special("Infinity")),
        0xF000 => return Ok(Numeric::Special("-Infinity")),
        _ => return Err("invalid numeric sign".into()),
    }
    let digits: Vec<u16> = (0..ndigits)
        .map(|i| word(4 + i))
        .collect::<Result<_, _>>()?;
    if digits.iter().any(|d| *d >= 10000) {
        return Err("invalid numeric digit".into());
    }
    // Digit group i holds 10000^(weight - i).
    let group = |i: i64| -> u16 {
        if i < 0 || i as usize >= digits.len() {
            0
        } else {
            digits[i as usize]
        }
    };
    let mut int_part = String::new();
    if weight >= 0 {
        for i in 0..=weight {
            let g = group(i);
            if int_part.is_empty() {
                if g != 0 {
                    int_part = g.to_string();
                }
            } else {
                int_part.push_str(&format!("{g:04}"));
            }
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    let mut i = weight + 1;
    while frac.len() < dscale {
        frac.push_str(&format!("{:04}", group(i)));
        i += 1;
    }
    frac.truncate(dscale);
    let negative = sign == 0x4000 && (int_part != "0" || frac.chars().any(|c| c != '0'));
    let mut text = String::with_capacity(int_part.len() + frac.len() + 2);
    if negative {
        text.push('-');
    }
    text.push_str(&int_part);
    if dscale > 0 {
        text.push('.');
        text.push_str(&frac);
    }
    Ok(Numeric::Finite(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(ndigits: &[u16], weight: i16, sign: u16, dscale: u16) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [ndigits.len() as u16, weight as u16, sign, dscale] {
            out.extend_from_slice(&w.to_be_bytes());
        }
        for d in ndigits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    fn text(ndigits: &[u16], weight: i16, sign: u16, dscale: u16) -> String {
        match numeric_text(&encode(ndigits, weight, sign, dscale)).unwrap() {
            Numeric::Finite(t) => t,
            Numeric::Special(s) => s.to_string(),
        }
    }

    #[test]
    fn numeric_binary_form_becomes_exact_text() {
        // 12345.678 = [1][2345].[6780], weight 1, dscale 3
        assert_eq!(text(&[1, 2345, 6780], 1, 0, 3), "12345.678");
        assert_eq!(text(&[1, 2345, 6780], 1, 0x4000, 3), "-12345.678");
        // 0.0012 = .[0012], weight -1
        assert_eq!(text(&[12], -1, 0, 4), "0.0012");
        // 0.00000001 = .[0000][0001]: one digit group of weight -2
        assert_eq!(text(&[1], -2, 0, 8), "0.00000001");
        assert_eq!(text(&[100], -2, 0, 8), "0.00000100");
        // 10000 = [1][0000] stored as one digit with weight 1 (trailing zero groups dropped)
        assert_eq!(text(&[1], 1, 0, 0), "10000");
        assert_eq!(text(&[1], 1, 0, 2), "10000.00");
        // zero with a scale
        assert_eq!(text(&[], 0, 0, 2), "0.00");
        assert_eq!(text(&[], 0, 0x4000, 0), "0");
        // 2^64 = 18446744073709551616 = [1844][6744][0737][0955][1616]
        assert_eq!(
            text(&[1844, 6744, 737, 955, 1616], 4, 0, 0),
            "18446744073709551616"
        );
        assert_eq!(text(&[], 0, 0xC000, 0), "NaN");
        assert_eq!(text(&[], 0, 0xD000, 0), "Infinity");
        assert_eq!(text(&[], 0, 0xF000, 0), "-Infinity");
        assert!(numeric_text(&[0, 1]).is_err());
        assert!(numeric_text(&encode(&[10000], 0, 0, 0)).is_err());
    }

    #[test]
    fn uuid_text_is_hyphenated_lowercase() {
        let raw: Vec<u8> = (0..16).collect();
        assert_eq!(
            uuid_text(&raw).unwrap(),
            "00010203-0405-0607-0809-0a0b0c0d0e0f"
        );
        assert!(uuid_text(&raw[..15]).is_err());
    }

    #[test]
    fn type_names_fall_in_the_compiler_categories() {
        use owox_query::FieldCategory as C;
        for (ty, name, category) in [
            (Type::INT8, "BIGINT", C::Number),
            (Type::NUMERIC, "NUMERIC", C::Number),
            (Type::FLOAT8, "DOUBLE PRECISION", C::Number),
            (Type::FLOAT4, "REAL", C::Number),
            (Type::TEXT, "TEXT", C::String),
            (Type::UUID, "VARCHAR", C::String),
            (Type::BPCHAR, "CHAR", C::String),
            (Type::TIMESTAMPTZ, "TIMESTAMPTZ", C::Date),
            (Type::DATE, "DATE", C::Date),
            (Type::TIME, "TIME", C::Time),
            (Type::BOOL, "BOOLEAN", C::Boolean),
            (Type::JSONB, "JSON", C::Other),
            (Type::INT4_ARRAY, "ARRAY", C::Other),
            (Type::INTERVAL, "INTERVAL", C::Other),
        ] {
            assert_eq!(normalized_type(&ty), name);
            assert_eq!(C::of(name), category, "{name}");
        }
        assert_eq!(native_type(&Type::INT4_ARRAY), "integer[]");
        assert!(needs_json(&Type::INT4_ARRAY));
        assert!(needs_json(&Type::INTERVAL));
        assert!(!needs_json(&Type::NUMERIC));
    }
}
