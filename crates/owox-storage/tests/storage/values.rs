//! Exact values for every type, and parameter binding.

use chrono::{NaiveDate, NaiveTime};
use owox_query::SqlParam;
use owox_storage::Cell;

use crate::common::*;

fn ts(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_micro_opt(h, mi, s, micro)
        .unwrap()
}

#[tokio::test]
async fn scalars_are_exact() {
    let env = open_with("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');");
    let row = one_row(
        &env.storage,
        "SELECT
            true, 9007199254740993::BIGINT, (-9223372036854775808)::BIGINT, 255::UTINYINT,
            4294967295::UINTEGER, 18446744073709551615::UBIGINT,
            170141183460469231731687303715884105727::HUGEINT, -170141183460469231731687303715884105727::HUGEINT,
            12345678901234567890::UHUGEINT,
            0.1::FLOAT, 0.1::DOUBLE, 'NaN'::DOUBLE, 'inf'::DOUBLE, '-inf'::FLOAT,
            1234567890123456.78::DECIMAL(18,2), -0.05::DECIMAL(4,2),
            '12345678901234567890123456.0123456789'::DECIMAL(38,10), 0::DECIMAL(10,3), 12.5::DECIMAL(3,1),
            'héllo \"wörld\"\n', '6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a'::UUID, 'happy'::mood,
            '{\"a\": [1, 2.50, null], \"b\": \"x\"}'::JSON, '\\x00\\xFFab'::BLOB,
            DATE '2024-02-29', TIME '23:59:59.123456',
            TIMESTAMP '2024-01-31 10:20:30.123456', '2024-01-31 10:20:30'::TIMESTAMP_S,
            '2024-01-31 10:20:30.123'::TIMESTAMP_MS, '2024-01-31 10:20:30.123456789'::TIMESTAMP_NS,
            TIMESTAMPTZ '2024-01-31 10:20:30.5+02', INTERVAL '1 year 2 months 3 days 04:05:06.5',
            NULL::INTEGER, NULL::VARCHAR, 'infinity'::TIMESTAMP, 'infinity'::DATE",
    )
    .await;
    let expected = vec![
        Cell::Bool(true),
        Cell::Int(9007199254740993),
        Cell::Int(i64::MIN),
        Cell::Int(255),
        Cell::Int(4294967295),
        Cell::UInt(u64::MAX),
        Cell::HugeInt(i128::MAX),
        Cell::HugeInt(-i128::MAX),
        Cell::HugeInt(12345678901234567890),
        Cell::Float(0.1),
        Cell::Float(0.1),
        Cell::Null, // placeholder for NaN, checked below
        Cell::Float(f64::INFINITY),
        Cell::Float(f64::NEG_INFINITY),
        dec("1234567890123456.78"),
        dec("-0.05"),
        dec("12345678901234567890123456.0123456789"),
        dec("0.000"),
        dec("12.5"),
        Cell::Text("héllo \"wörld\"\n".into()),
        Cell::Text("6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a".into()),
        Cell::Text("happy".into()),
        Cell::Json("{\"a\": [1, 2.50, null], \"b\": \"x\"}".into()),
        Cell::Bytes(vec![0, 255, b'a', b'b']),
        Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        Cell::Time(NaiveTime::from_hms_micro_opt(23, 59, 59, 123456).unwrap()),
        Cell::Timestamp(ts(2024, 1, 31, 10, 20, 30, 123456)),
        Cell::Timestamp(ts(2024, 1, 31, 10, 20, 30, 0)),
        Cell::Timestamp(ts(2024, 1, 31, 10, 20, 30, 123000)),
        Cell::Timestamp(
            NaiveDate::from_ymd_opt(2024, 1, 31)
                .unwrap()
                .and_hms_nano_opt(10, 20, 30, 123456789)
                .unwrap(),
        ),
        Cell::TimestampTz(ts(2024, 1, 31, 8, 20, 30, 500000).and_utc()),
        Cell::Text("1 year 2 months 3 days 04:05:06.5".into()),
        Cell::Null,
        Cell::Null,
        Cell::Text("infinity".into()),
        Cell::Text("infinity".into()),
    ];
    assert_eq!(row.len(), expected.len());
    for (i, (got, want)) in row.iter().zip(&expected).enumerate() {
        if i == 11 {
            assert!(matches!(got, Cell::Float(f) if f.is_nan()), "{got:?}");
            continue;
        }
        assert_eq!(got, want, "column {i}");
    }
}

#[tokio::test]
async fn nested_values_are_json_text() {
    let env = open();
    let row = one_row(
        &env.storage,
        "SELECT
            [1, 2, NULL]::INTEGER[], ['a\"b', 'é']::VARCHAR[], [1, 2, 3]::INTEGER[3],
            {'a': 1, 'B b': 'x', 'n': NULL::INTEGER, 'd': 1.50::DECIMAL(5,2), 'big': 9007199254740993::BIGINT},
            MAP {'k1': 1, 'k2': 2}, MAP {1: 'one'},
            [{'x': [DATE '2024-01-01'], 'ts': TIMESTAMP '2024-01-01 10:00:00', 'f': 'NaN'::DOUBLE}],
            [[1.5, 2]], []::INTEGER[], [NULL]::VARCHAR[],
            {'j': '{\"a\":1}'::JSON}, [TIMESTAMPTZ '2024-01-01 00:00:00+00']",
    )
    .await;
    let json: Vec<String> = row
        .into_iter()
        .map(|c| match c {
            Cell::Json(j) => j,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        json,
        [
            "[1,2,null]",
            "[\"a\\\"b\",\"é\"]",
            "[1,2,3]",
            "{\"a\":1,\"B b\":\"x\",\"n\":null,\"d\":1.50,\"big\":9007199254740993}",
            "{\"k1\":1,\"k2\":2}",
            "{\"1\":\"one\"}",
            "[{\"x\":[\"2024-01-01\"],\"ts\":\"2024-01-01 10:00:00\",\"f\":null}]",
            "[[1.5,2.0]]",
            "[]",
            "[null]",
            "{\"j\":{\"a\":1}}",
            "[\"2024-01-01 00:00:00+00\"]",
        ]
    );
    for j in &json {
        serde_json::from_str::<serde_json::Value>(j).unwrap_or_else(|e| panic!("{j}: {e}"));
    }
}

#[tokio::test]
async fn parameters_bind_by_type() {
    let env = open();
    let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let t = ts(2024, 3, 1, 12, 30, 0, 250000);
    let (_, rows) = rows_of(
        &env.storage,
        stmt_with(
            "SELECT CAST($1 AS VARCHAR), CAST($2 AS BOOLEAN), CAST($3 AS BIGINT), CAST($4 AS DOUBLE),
                    CAST($5 AS VARCHAR), CAST($6 AS DATE), CAST($7 AS TIMESTAMP), CAST($8 AS TIMESTAMPTZ),
                    CAST($3 AS BIGINT) = 9007199254740993",
            vec![
                SqlParam::Null,
                SqlParam::Bool(true),
                SqlParam::Int(9007199254740993),
                SqlParam::Float(-1.25),
                SqlParam::Text("it's \"x\" ✓".into()),
                SqlParam::Date(d),
                SqlParam::Timestamp(t),
                SqlParam::TimestampTz(t.and_utc()),
            ],
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![vec![
            Cell::Null,
            Cell::Bool(true),
            Cell::Int(9007199254740993),
            Cell::Float(-1.25),
            Cell::Text("it's \"x\" ✓".into()),
            Cell::Date(d),
            Cell::Timestamp(t),
            Cell::TimestampTz(t.and_utc()),
            Cell::Bool(true),
        ]]
    );
}

/// Without the ICU extension, TIMESTAMPTZ values are UTC instants; offsets in literals are
/// applied, named zones (and the TimeZone setting) do not exist.
#[tokio::test]
async fn timestamptz_without_icu() {
    let env = open();
    let row = one_row(
        &env.storage,
        "SELECT TIMESTAMPTZ '2024-06-01 12:00:00-05', CAST(TIMESTAMPTZ '2024-06-01 12:00:00-05' AS VARCHAR),
                CAST(TIMESTAMP '2024-06-01 12:00:00' AS TIMESTAMPTZ)",
    )
    .await;
    eprintln!("{row:?}");
    assert_eq!(
        row[0],
        Cell::TimestampTz(ts(2024, 6, 1, 17, 0, 0, 0).and_utc())
    );
    assert_eq!(row[1], Cell::Text("2024-06-01 17:00:00+00".into()));
    assert_eq!(
        row[2],
        Cell::TimestampTz(ts(2024, 6, 1, 12, 0, 0, 0).and_utc())
    );
    let err = rows_of(
        &env.storage,
        stmt("SELECT TIMESTAMPTZ '2024-06-01 12:00:00' AT TIME ZONE 'Europe/Berlin'"),
    )
    .await
    .unwrap_err();
    eprintln!("AT TIME ZONE without ICU: {err:?}");
    let err = rows_of(
        &env.storage,
        stmt("SELECT '2024-06-01 12:00:00 Europe/Berlin'::TIMESTAMPTZ"),
    )
    .await
    .unwrap_err();
    eprintln!("named zone literal without ICU: {err:?}");
    let err = rows_of(&env.storage, stmt("SELECT current_setting('TimeZone')"))
        .await
        .unwrap_err();
    assert!(provider_message(err).contains("icu"));
}

#[tokio::test]
async fn a_column_of_the_null_type_is_null() {
    // `SELECT NULL AS x` has DuckDB's NULL type (an Arrow NullArray without a validity
    // buffer); it used to come out as an empty string.
    let env = open();
    let row = one_row(&env.storage, "SELECT NULL AS x, 1 AS y").await;
    assert_eq!(row, vec![Cell::Null, Cell::Int(1)]);
}
