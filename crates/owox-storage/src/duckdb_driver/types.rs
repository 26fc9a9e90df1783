//! DuckDB logical types: the engine's spelling and the normalized vocabulary of the data mart
//! schema (what `owox_query::FieldCategory::of` classifies).

use duckdb::core::{LogicalTypeHandle, LogicalTypeId};

/// A DuckDB column type, as reported by the engine for a prepared statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuckType {
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    UTinyInt,
    USmallInt,
    UInteger,
    UBigInt,
    HugeInt,
    UHugeInt,
    /// VARINT / BIGNUM (arbitrary precision integer).
    BigNum,
    Float,
    Double,
    Decimal {
        width: u8,
        scale: u8,
    },
    Varchar,
    /// VARCHAR with the `JSON` alias.
    Json,
    Uuid,
    Enum,
    Blob,
    Bit,
    Date,
    Time,
    TimeNs,
    TimeTz,
    Timestamp,
    TimestampS,
    TimestampMs,
    TimestampNs,
    TimestampTz,
    TimestampTzNs,
    Interval,
    List(Box<DuckType>),
    /// A fixed-size ARRAY (its size is not reported by the driver API).
    Array(Box<DuckType>),
    Struct(Vec<(String, DuckType)>),
    Map(Box<DuckType>, Box<DuckType>),
    Union(Vec<(String, DuckType)>),
    Geometry,
    Variant,
    /// The type of a bare `NULL`.
    Null,
    /// Anything newer than this driver; the engine's type id.
    Unknown(u32),
}

impl DuckType {
    /// Reads a logical type from the engine.
    pub(crate) fn from_handle(t: &LogicalTypeHandle) -> DuckType {
        use LogicalTypeId as L;
        if t.get_alias().as_deref() == Some("JSON") {
            return DuckType::Json;
        }
        match t.id() {
            L::Boolean => DuckType::Boolean,
            L::Tinyint => DuckType::TinyInt,
            L::Smallint => DuckType::SmallInt,
            L::Integer => DuckType::Integer,
            L::Bigint => DuckType::BigInt,
            L::UTinyint => DuckType::UTinyInt,
            L::USmallint => DuckType::USmallInt,
            L::UInteger => DuckType::UInteger,
            L::UBigint => DuckType::UBigInt,
            L::Hugeint => DuckType::HugeInt,
            L::UHugeint => DuckType::UHugeInt,
            L::Float => DuckType::Float,
            L::Double => DuckType::Double,
            L::Decimal => DuckType::Decimal {
                width: t.decimal_width(),
                scale: t.decimal_scale(),
            },
            L::Varchar => DuckType::Varchar,
            L::Uuid => DuckType::Uuid,
            L::Enum => DuckType::Enum,
            L::Blob => DuckType::Blob,
            L::Bit => DuckType::Bit,
            L::Date => DuckType::Date,
            L::Time => DuckType::Time,
            L::TimeNs => DuckType::TimeNs,
            L::TimeTZ => DuckType::TimeTz,
            L::Timestamp => DuckType::Timestamp,
            L::TimestampS => DuckType::TimestampS,
            L::TimestampMs => DuckType::TimestampMs,
            L::TimestampNs => DuckType::TimestampNs,
            L::TimestampTZ => DuckType::TimestampTz,
            L::Interval => DuckType::Interval,
            L::List => DuckType::List(Box::new(DuckType::from_handle(&t.child(0)))),
            L::Array => DuckType::Array(Box::new(DuckType::from_handle(&t.child(0)))),
            L::Map => DuckType::Map(
                Box::new(DuckType::from_handle(&t.child(0))),
                Box::new(DuckType::from_handle(&t.child(1))),
            ),
            L::Struct => DuckType::Struct(
                (0..t.num_children())
                    .map(|i| (t.child_name(i), DuckType::from_handle(&t.child(i))))
                    .collect(),
            ),
            L::Union => DuckType::Union(
                (0..t.num_children())
                    .map(|i| (t.child_name(i), DuckType::from_handle(&t.child(i))))
                    .collect(),
            ),
            L::Geometry => DuckType::Geometry,
            L::Variant => DuckType::Variant,
            L::SqlNull => DuckType::Null,
            L::Bignum => DuckType::BigNum,
            _ => match t.raw_id() {
                id if id == duckdb::ffi::DUCKDB_TYPE_DUCKDB_TYPE_TIMESTAMP_TZ_NS => {
                    DuckType::TimestampTzNs
                }
                id => DuckType::Unknown(id),
            },
        }
    }

    /// The normalized type name stored in the data mart schema. Every name is one that
    /// `owox_query::FieldCategory::of` puts in the intended category:
    /// integers, decimals and floats → number; VARCHAR/UUID/ENUM → string; DATE and all
    /// timestamps → date; TIME → time; BOOLEAN → boolean; the rest → other.
    pub fn normalized(&self) -> &'static str {
        match self {
            DuckType::Boolean => "BOOLEAN",
            DuckType::TinyInt => "TINYINT",
            DuckType::SmallInt => "SMALLINT",
            DuckType::Integer => "INTEGER",
            DuckType::BigInt => "BIGINT",
            // Unsigned types: the smallest signed name whose range holds them.
            DuckType::UTinyInt => "SMALLINT",
            DuckType::USmallInt => "INTEGER",
            DuckType::UInteger => "BIGINT",
            // Beyond 64 bits: an exact integer, i.e. a NUMERIC with scale 0.
            DuckType::UBigInt | DuckType::HugeInt | DuckType::UHugeInt | DuckType::BigNum => {
                "NUMERIC"
            }
            DuckType::Float => "FLOAT",
            DuckType::Double => "DOUBLE",
            DuckType::Decimal { .. } => "DECIMAL",
            DuckType::Varchar | DuckType::Uuid | DuckType::Enum => "VARCHAR",
            DuckType::Json => "JSON",
            DuckType::Blob => "BLOB",
            DuckType::Bit => "BIT",
            DuckType::Date => "DATE",
            DuckType::Time | DuckType::TimeNs => "TIME",
            DuckType::TimeTz => "TIMETZ",
            DuckType::Timestamp
            | DuckType::TimestampS
            | DuckType::TimestampMs
            | DuckType::TimestampNs => "TIMESTAMP",
            DuckType::TimestampTz | DuckType::TimestampTzNs => "TIMESTAMPTZ",
            DuckType::Interval => "INTERVAL",
            DuckType::List(_) => "LIST",
            DuckType::Array(_) => "ARRAY",
            DuckType::Struct(_) => "STRUCT",
            DuckType::Map(..) => "MAP",
            DuckType::Union(_) => "UNION",
            DuckType::Geometry => "GEOMETRY",
            DuckType::Variant => "VARIANT",
            DuckType::Null => "NULL",
            DuckType::Unknown(_) => "UNKNOWN",
        }
    }

    /// The engine's spelling of the type (as `typeof()` / `DESCRIBE` write it, except that
    /// ENUM members are not listed).
    pub fn native(&self) -> String {
        match self {
            DuckType::Decimal { width, scale } => format!("DECIMAL({width},{scale})"),
            DuckType::UBigInt => "UBIGINT".into(),
            DuckType::UTinyInt => "UTINYINT".into(),
            DuckType::USmallInt => "USMALLINT".into(),
            DuckType::UInteger => "UINTEGER".into(),
            DuckType::HugeInt => "HUGEINT".into(),
            DuckType::UHugeInt => "UHUGEINT".into(),
            DuckType::BigNum => "BIGNUM".into(),
            DuckType::Uuid => "UUID".into(),
            DuckType::Enum => "ENUM".into(),
            DuckType::TimeNs => "TIME_NS".into(),
            DuckType::TimeTz => "TIME WITH TIME ZONE".into(),
            DuckType::TimestampS => "TIMESTAMP_S".into(),
            DuckType::TimestampMs => "TIMESTAMP_MS".into(),
            DuckType::TimestampNs => "TIMESTAMP_NS".into(),
            DuckType::TimestampTz => "TIMESTAMP WITH TIME ZONE".into(),
            DuckType::TimestampTzNs => "TIMESTAMP_TZ_NS".into(),
            DuckType::List(child) => format!("{}[]", child.native()),
            DuckType::Array(child) => format!("ARRAY({})", child.native()),
            DuckType::Map(k, v) => format!("MAP({}, {})", k.native(), v.native()),
            DuckType::Struct(fields) => format!("STRUCT({})", members(fields)),
            DuckType::Union(fields) => format!("UNION({})", members(fields)),
            DuckType::Unknown(id) => format!("UNKNOWN({id})"),
            other => other.normalized().into(),
        }
    }
}

fn members(fields: &[(String, DuckType)]) -> String {
    fields
        .iter()
        .map(|(name, t)| format!("{} {}", struct_member_name(name), t.native()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Struct member names are written bare when they are plain lower-case identifiers, quoted
/// otherwise (DuckDB's rule).
fn struct_member_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        crate::quote_ident(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use owox_query::FieldCategory as C;

    /// Every type the driver normalizes lands in the intended `FieldCategory`.
    #[test]
    fn every_type_lands_in_its_category() {
        let b = |t: DuckType| Box::new(t);
        let cases: Vec<(DuckType, &str, C)> = vec![
            (DuckType::Boolean, "BOOLEAN", C::Boolean),
            (DuckType::TinyInt, "TINYINT", C::Number),
            (DuckType::SmallInt, "SMALLINT", C::Number),
            (DuckType::Integer, "INTEGER", C::Number),
            (DuckType::BigInt, "BIGINT", C::Number),
            (DuckType::UTinyInt, "SMALLINT", C::Number),
            (DuckType::USmallInt, "INTEGER", C::Number),
            (DuckType::UInteger, "BIGINT", C::Number),
            (DuckType::UBigInt, "NUMERIC", C::Number),
            (DuckType::HugeInt, "NUMERIC", C::Number),
            (DuckType::UHugeInt, "NUMERIC", C::Number),
            (DuckType::BigNum, "NUMERIC", C::Number),
            (DuckType::Float, "FLOAT", C::Number),
            (DuckType::Double, "DOUBLE", C::Number),
            (
                DuckType::Decimal {
                    width: 18,
                    scale: 2,
                },
                "DECIMAL",
                C::Number,
            ),
            (DuckType::Varchar, "VARCHAR", C::String),
            (DuckType::Uuid, "VARCHAR", C::String),
            (DuckType::Enum, "VARCHAR", C::String),
            (DuckType::Date, "DATE", C::Date),
            (DuckType::Timestamp, "TIMESTAMP", C::Date),
            (DuckType::TimestampS, "TIMESTAMP", C::Date),
            (DuckType::TimestampMs, "TIMESTAMP", C::Date),
            (DuckType::TimestampNs, "TIMESTAMP", C::Date),
            (DuckType::TimestampTz, "TIMESTAMPTZ", C::Date),
            (DuckType::TimestampTzNs, "TIMESTAMPTZ", C::Date),
            (DuckType::Time, "TIME", C::Time),
            (DuckType::TimeNs, "TIME", C::Time),
            (DuckType::TimeTz, "TIMETZ", C::Time),
            (DuckType::Json, "JSON", C::Other),
            (DuckType::List(b(DuckType::Integer)), "LIST", C::Other),
            (DuckType::Array(b(DuckType::Integer)), "ARRAY", C::Other),
            (
                DuckType::Struct(vec![("a".into(), DuckType::Integer)]),
                "STRUCT",
                C::Other,
            ),
            (
                DuckType::Map(b(DuckType::Varchar), b(DuckType::Integer)),
                "MAP",
                C::Other,
            ),
            (
                DuckType::Union(vec![("a".into(), DuckType::Integer)]),
                "UNION",
                C::Other,
            ),
            (DuckType::Blob, "BLOB", C::Other),
            (DuckType::Bit, "BIT", C::Other),
            (DuckType::Interval, "INTERVAL", C::Other),
            (DuckType::Geometry, "GEOMETRY", C::Other),
            (DuckType::Variant, "VARIANT", C::Other),
            (DuckType::Null, "NULL", C::Other),
            (DuckType::Unknown(99), "UNKNOWN", C::Other),
        ];
        for (t, name, category) in cases {
            assert_eq!(t.normalized(), name, "{t:?}");
            assert_eq!(C::of(t.normalized()), category, "{t:?}");
        }
    }

    #[test]
    fn native_names() {
        let t = DuckType::Struct(vec![
            ("a".into(), DuckType::List(Box::new(DuckType::Integer))),
            (
                "Big Name".into(),
                DuckType::Map(Box::new(DuckType::Varchar), Box::new(DuckType::Json)),
            ),
            (
                "d".into(),
                DuckType::Decimal {
                    width: 18,
                    scale: 2,
                },
            ),
            ("t".into(), DuckType::TimestampTz),
        ]);
        assert_eq!(
            t.native(),
            "STRUCT(a INTEGER[], \"Big Name\" MAP(VARCHAR, JSON), d DECIMAL(18,2), t TIMESTAMP WITH TIME ZONE)"
        );
        assert_eq!(DuckType::TimestampMs.native(), "TIMESTAMP_MS");
        assert_eq!(DuckType::Uuid.native(), "UUID");
    }
}
