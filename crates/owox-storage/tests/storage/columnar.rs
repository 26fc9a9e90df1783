//! The columnar batches of the DuckDB driver: read in place, they give exactly the values of
//! the row path (`Batch::into_rows`), for every type, NULL and edge value.

use futures::future::poll_fn;
use owox_storage::{Batch, Cell, CellRef, ColumnBatch, Storage};

use crate::common::*;

/// A value as text, a FLOAT read in place as the widened double the row path holds (Debug
/// text compares NaN with NaN and tells -0 from 0).
fn text(v: CellRef<'_>) -> String {
    match v {
        CellRef::Float32(f) => format!("{:?}", CellRef::Float(owox_storage::widen_f32(f))),
        other => format!("{other:?}"),
    }
}

/// Every DuckDB type the tests, the demo and the benchmark use, with NULLs and edge values,
/// over 5000 rows (several engine chunks).
pub const EVERY_TYPE: &str = "SELECT
    i AS id, 9007199254740993 + i AS big, CAST(i % 1000 AS INTEGER) AS qty,
    CAST(i % 100000 AS DECIMAL(12,2)) / 4 AS amount, i / 7.0 AS price, CAST(i % 97 AS FLOAT) / 8 AS ratio,
    'customer ' || (i % 50000) AS customer, ['DE','FR','US','GB','PL'][1 + i % 5] AS country,
    DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS day, to_timestamp(1577836800 + i) AS created_at,
    i % 3 = 0 AS paid, CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note,
    CASE WHEN i % 7 = 0 THEN NULL ELSE CAST(i % 128 AS TINYINT) END AS tiny, CAST(i AS SMALLINT) AS small,
    CAST(i % 256 AS UTINYINT) AS utiny, CAST(i AS USMALLINT) AS usmall, CAST(i AS UINTEGER) AS uint,
    18446744073709551615::UBIGINT - CAST(i AS UBIGINT) AS ubig, CAST(i AS HUGEINT) * 170141183460469231731687303715 AS huge,
    CAST(i AS UHUGEINT) AS uhuge,
    CASE i % 5 WHEN 0 THEN 'NaN'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE WHEN 2 THEN '-inf'::DOUBLE
        WHEN 3 THEN NULL ELSE i * 1e-9 END AS dbl,
    CAST(i AS FLOAT) / 3 AS flt, (i * 1.5e300)::DOUBLE AS huge_dbl, CAST(i AS DOUBLE) / 1e7 AS small_dbl,
    CAST(i AS DECIMAL(4,0)) AS dec4, CAST(i AS DECIMAL(9,3)) / -7 AS dec9,
    CAST(i AS DECIMAL(38,10)) * 12345678901234567.89 AS dec38, -CAST(i % 3 AS DECIMAL(3,2)) / 100 AS small_dec,
    'héllo \"wörld\"\\n\t' || i || chr(1) AS escaped, '日本 ' || i AS cjk,
    '6f1e3c8a-3b0e-4d0f-9c67-0c1f2d3e4f5a'::UUID AS uuid, ('{\"a\": [1, 2.50, null], \"n\": ' || i || '}')::JSON AS js,
    CASE WHEN i % 4 = 0 THEN NULL ELSE '\\x00\\xFFab'::BLOB END AS blob,
    TIME '23:59:59.123456' AS tm, TIMESTAMP '2024-01-31 10:20:30.123456' + to_seconds(i) AS ts,
    '2024-01-31 10:20:30'::TIMESTAMP_S AS ts_s, '2024-01-31 10:20:30.123'::TIMESTAMP_MS AS ts_ms,
    '2024-01-31 10:20:30.123456789'::TIMESTAMP_NS AS ts_ns, to_timestamp(1706689230.5 + i * 0.001001) AS tstz,
    INTERVAL '1 year 2 months 3 days 04:05:06.5' AS iv, '12:34:56+02'::TIMETZ AS ttz, '0101'::BIT AS bits,
    [1, 2, 3]::INTEGER[3] AS arr,
    CASE i % 3 WHEN 0 THEN 'infinity'::TIMESTAMP WHEN 1 THEN '-infinity'::TIMESTAMP ELSE TIMESTAMP '1970-01-01' END AS ts_inf,
    CASE i % 3 WHEN 0 THEN 'infinity'::DATE WHEN 1 THEN '-infinity'::DATE ELSE DATE '0007-01-02' END AS date_inf,
    DATE '2024-01-01' + INTERVAL (i % 24) MONTH AS month_ts,
    [1, 2, NULL]::INTEGER[] AS list, {'a': i, 'd': 1.50::DECIMAL(5,2)} AS st, MAP {'k': i} AS mp,
    NULL AS nothing, NULL::VARCHAR AS null_text
FROM range(5000) t(i)";

/// The batches of `sql`, with the storage they came from (kept open while they are read).
async fn column_batches(sql: &str) -> (Env, Vec<ColumnBatch>) {
    let env = open_with("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');");
    let mut stream = env.storage.query(stmt(sql)).await.unwrap();
    let mut batches = Vec::new();
    while let Some(batch) = poll_fn(|cx| stream.poll_next_batch(cx)).await {
        match batch.unwrap() {
            Batch::Columns(c) => batches.push(c),
            Batch::Rows(_) => panic!("the DuckDB driver sends columnar batches"),
        }
    }
    drop(stream);
    (env, batches)
}

#[tokio::test]
async fn columnar_values_are_the_row_values() {
    let (_env, batches) = column_batches(EVERY_TYPE).await;
    assert_eq!(
        batches.iter().map(ColumnBatch::num_rows).sum::<usize>(),
        5000
    );
    for batch in &batches {
        let rows = batch.to_rows();
        let readers = batch.readers();
        assert_eq!(readers.len(), rows[0].len());
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let columnar = readers[c].with(r, text);
                assert_eq!(columnar, text(cell.as_ref()), "row {r} column {c}");
            }
        }
    }
    // And the row path is what it was: a few spot checks.
    let first = batches[0].to_rows();
    assert_eq!(first[0][1], Cell::Int(9007199254740993));
    assert_eq!(first[1][11], Cell::Text("note 1".into()));
    assert_eq!(first[0][11], Cell::Null);
}

#[tokio::test]
async fn enums_and_empty_results() {
    let (_env, batches) =
        column_batches("SELECT CAST(['sad','ok','happy'][1 + i % 3] AS mood) AS m, CASE WHEN i % 2 = 0 THEN NULL ELSE CAST('ok' AS mood) END AS n FROM range(3000) t(i)").await;
    for batch in &batches {
        let rows = batch.to_rows();
        let readers = batch.readers();
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                assert_eq!(readers[c].with(r, text), text(cell.as_ref()));
            }
        }
    }
    assert!(column_batches("SELECT 1 AS x WHERE false")
        .await
        .1
        .is_empty());
}
