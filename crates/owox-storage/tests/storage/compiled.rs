//! The query compiler's DuckDB SQL executed on the real engine: a small fixture (the same as
//! owox-query's PostgreSQL execution test) with known answers for every filter operator,
//! `relative_date` preset, aggregate, `dateTrunc` unit and time zone (through the compiler's
//! offset-transition ASOF join: this DuckDB has no ICU), and the totals statement.

use chrono::{TimeZone, Utc};
use owox_query::*;
use owox_storage::{Cell, DuckDbStorage};

use crate::common::*;

const FIXTURE: &str = "
CREATE TABLE t (name VARCHAR, amount DECIMAL(18, 2), qty INTEGER, day DATE, ts TIMESTAMP, tstz TIMESTAMPTZ, flag BOOLEAN, meta JSON);
INSERT INTO t VALUES
 ('apple', 10.5, 1, '2026-05-13', '2026-05-13 23:30:00', TIMESTAMPTZ '2026-05-13 22:30:00+00', true, '{}'),
 ('Apple pie', 20, 2, '2026-05-11', '2026-05-11 00:00:00', TIMESTAMPTZ '2026-03-29 00:30:00+00', false, NULL),
 ('a%b_c', 30, 3, '2026-04-30', '2026-04-30 12:00:00', TIMESTAMPTZ '2026-01-01 00:00:00+00', NULL, NULL),
 ('  ', NULL, 4, '2026-01-01', '2025-12-31 23:00:00', NULL, true, NULL),
 (NULL, 40, NULL, NULL, NULL, NULL, NULL, NULL);";

fn fields() -> Vec<Field> {
    vec![
        Field::new("name", "STRING"),
        Field::new("amount", "NUMERIC"),
        Field::new("qty", "INTEGER"),
        Field::new("day", "DATE"),
        Field::new("ts", "TIMESTAMP"),
        Field::new("tstz", "TIMESTAMPTZ"),
        Field::new("flag", "BOOLEAN"),
        Field::new("meta", "JSON"),
    ]
}

/// Today is 2026-05-13 (a Wednesday) in UTC.
fn ctx() -> CompileContext {
    CompileContext {
        now: Utc.with_ymd_and_hms(2026, 5, 13, 12, 0, 0).unwrap(),
        time_zone: "UTC".parse().unwrap(),
    }
}

/// Unpadded base64url of the raw JSON text.
fn enc(json: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.as_bytes())
}

fn compile_with(fields: &[Field], list: &[(&str, &str)]) -> CompiledQuery {
    compile_on("t", fields, list, &ctx())
}

fn compile_on(
    table: &str,
    fields: &[Field],
    list: &[(&str, &str)],
    ctx: &CompileContext,
) -> CompiledQuery {
    let pairs: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let table = vec![table.to_string()];
    compile_request(fields, &pairs, &DuckDb, Source::Table(&table), ctx)
        .unwrap_or_else(|e| panic!("{e:?}: {list:?}"))
}

fn compile(list: &[(&str, &str)]) -> CompiledQuery {
    compile_with(&fields(), list)
}

/// Runs a compiled statement on the engine; the result columns and cells.
async fn exec(s: &DuckDbStorage, st: &Statement) -> (Vec<String>, Vec<Vec<Cell>>) {
    rows_of(s, st.clone())
        .await
        .unwrap_or_else(|e| panic!("{e:?}: {} {:?}", st.sql, st.params))
}

/// A cell as text (NULL as "∅", timestamps as `YYYY-MM-DDTHH:MM:SS`).
fn text(c: &Cell) -> String {
    match c {
        Cell::Null => "∅".into(),
        Cell::Bool(b) => b.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::UInt(i) => i.to_string(),
        Cell::HugeInt(i) => i.to_string(),
        Cell::Float(f) => f.to_string(),
        Cell::Decimal(s) | Cell::Text(s) | Cell::Json(s) => s.clone(),
        Cell::ScaledDecimal { value, scale } => owox_storage::decimal_text(*value, *scale),
        Cell::Date(d) => d.to_string(),
        Cell::Time(t) => t.to_string(),
        Cell::Timestamp(t) => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        Cell::TimestampTz(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Cell::Bytes(b) => format!("{b:?}"),
    }
}

async fn first_column(s: &DuckDbStorage, list: &[(&str, &str)]) -> Vec<String> {
    let (_, rows) = exec(s, &compile(list).statement).await;
    rows.iter().map(|r| text(&r[0])).collect()
}

/// The names of the rows a filter keeps, sorted byte-wise ("∅" last).
async fn filtered(s: &DuckDbStorage, rule: &str) -> Vec<String> {
    let mut out = first_column(
        s,
        &[("column", "name"), ("filter", &enc(&format!("[{rule}]")))],
    )
    .await;
    out.sort();
    out
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[tokio::test]
async fn every_operator() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    let all = ["  ", "Apple pie", "a%b_c", "apple", "∅"];
    for (rule, expected) in [
        // Substring tests are literal (no LIKE wildcards) and case-sensitive.
        (
            r#"{"column":"name","operator":"contains","value":"%b_"}"#,
            vec!["a%b_c"],
        ),
        (
            r#"{"column":"name","operator":"contains","value":"pple"}"#,
            vec!["Apple pie", "apple"],
        ),
        (
            r#"{"column":"name","operator":"not_contains","value":"pple"}"#,
            vec!["  ", "a%b_c", "∅"],
        ),
        (
            r#"{"column":"name","operator":"starts_with","value":"A"}"#,
            vec!["Apple pie"],
        ),
        (
            r#"{"column":"name","operator":"starts_with","value":"a%"}"#,
            vec!["a%b_c"],
        ),
        (
            r#"{"column":"name","operator":"ends_with","value":"_c"}"#,
            vec!["a%b_c"],
        ),
        (
            r#"{"column":"name","operator":"ends_with","value":"e"}"#,
            vec!["Apple pie", "apple"],
        ),
        (r#"{"column":"name","operator":"is_null"}"#, vec!["∅"]),
        (r#"{"column":"qty","operator":"is_null"}"#, vec!["∅"]),
        (
            r#"{"column":"qty","operator":"is_not_null"}"#,
            vec!["  ", "Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"column":"meta","operator":"is_not_null"}"#,
            vec!["apple"],
        ),
        (
            r#"{"column":"name","operator":"regex","value":"^a.p"}"#,
            vec!["apple"],
        ),
        (
            r#"{"column":"name","operator":"not_regex","value":"p"}"#,
            vec!["  ", "a%b_c", "∅"],
        ),
        (
            r#"{"column":"name","operator":"eq","value":"apple"}"#,
            vec!["apple"],
        ),
        (
            r#"{"column":"name","operator":"neq","value":"apple"}"#,
            vec!["  ", "Apple pie", "a%b_c", "∅"],
        ),
        (
            r#"{"column":"name","operator":"is_blank"}"#,
            vec!["  ", "∅"],
        ),
        (
            r#"{"column":"name","operator":"is_not_blank"}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
        (r#"{"column":"name","operator":"is_empty"}"#, vec!["∅"]),
        (
            r#"{"column":"name","operator":"is_not_empty"}"#,
            vec!["  ", "Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"column":"name","operator":"in","value":["apple","a%b_c"]}"#,
            vec!["a%b_c", "apple"],
        ),
        (
            r#"{"column":"qty","operator":"in","value":[1,3]}"#,
            vec!["a%b_c", "apple"],
        ),
        (
            r#"{"column":"qty","operator":"not_in","value":[1,3]}"#,
            vec!["  ", "Apple pie", "∅"],
        ),
        (
            r#"{"column":"qty","operator":"gt","value":2}"#,
            vec!["  ", "a%b_c"],
        ),
        (
            r#"{"column":"qty","operator":"lt","value":2}"#,
            vec!["apple"],
        ),
        (
            r#"{"column":"qty","operator":"lte","value":2}"#,
            vec!["Apple pie", "apple"],
        ),
        (
            r#"{"column":"amount","operator":"between","value":{"from":10.5,"to":30}}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"column":"amount","operator":"gte","value":30}"#,
            vec!["a%b_c", "∅"],
        ),
        (
            r#"{"column":"flag","operator":"is_true"}"#,
            vec!["  ", "apple"],
        ),
        (
            r#"{"column":"flag","operator":"is_false"}"#,
            vec!["Apple pie"],
        ),
        (
            r#"{"column":"day","operator":"gte","value":"2026-05-01"}"#,
            vec!["Apple pie", "apple"],
        ),
        (
            r#"{"column":"day","operator":"lt","value":"2026-05-01"}"#,
            vec!["  ", "a%b_c"],
        ),
        (
            r#"{"column":"day","operator":"between","value":{"from":"2026-04-30","to":"2026-05-11"}}"#,
            vec!["Apple pie", "a%b_c"],
        ),
    ] {
        assert_eq!(filtered(s, rule).await, strs(&expected), "{rule}");
    }
    // Sanity: no filter keeps everything.
    let mut everything = first_column(s, &[("column", "name")]).await;
    everything.sort();
    assert_eq!(everything, strs(&all));
}

#[tokio::test]
async fn every_relative_date_preset() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    // Today = 2026-05-13 (a Wednesday, ISO week from Monday 2026-05-11).
    for (preset, expected) in [
        (r#"{"kind":"today"}"#, vec!["apple"]),
        (r#"{"kind":"yesterday"}"#, vec![]),
        (r#"{"kind":"this_week"}"#, vec!["Apple pie", "apple"]),
        (r#"{"kind":"last_week"}"#, vec![]),
        (r#"{"kind":"this_month"}"#, vec!["Apple pie", "apple"]),
        (r#"{"kind":"last_month"}"#, vec!["a%b_c"]),
        (
            r#"{"kind":"this_quarter"}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
        (r#"{"kind":"last_quarter"}"#, vec!["  "]),
        (
            r#"{"kind":"this_year"}"#,
            vec!["  ", "Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"kind":"last_n_months","n":1}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"kind":"last_n_months","n":5}"#,
            vec!["  ", "Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"kind":"last_n_days","n":2}"#,
            vec!["Apple pie", "apple"],
        ),
        (r#"{"kind":"next_n_days","n":1}"#, vec!["apple"]),
    ] {
        let rule = format!(r#"{{"column":"day","operator":"relative_date","value":{preset}}}"#);
        assert_eq!(filtered(s, &rule).await, strs(&expected), "day {preset}");
        // "  " has ts 2025-12-31 23:00 (day 2026-01-01): outside this year and last quarter,
        // inside the last 5 months (from 2025-12-13); every other ts is on its row's day.
        let expected: Vec<&str> = if preset.contains("this_year") || preset.contains("last_quarter")
        {
            expected.into_iter().filter(|n| *n != "  ").collect()
        } else {
            expected
        };
        let rule = format!(r#"{{"column":"ts","operator":"relative_date","value":{preset}}}"#);
        assert_eq!(filtered(s, &rule).await, strs(&expected), "ts {preset}");
    }
}

#[tokio::test]
async fn every_aggregate_with_labels_and_row_count() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    let c = compile(&[
        ("column", "amount"),
        ("column", "name"),
        (
            "aggregation",
            &enc(
                r#"[{"column":"amount","function":"SUM"},{"column":"amount","function":"AVG"},{"column":"name","function":"COUNT"},{"column":"name","function":"COUNT_DISTINCT"},{"column":"name","function":"STRING_AGG"}]"#,
            ),
        ),
    ]);
    assert_eq!(
        c.columns,
        vec![
            "amount | SUM",
            "amount | AVG",
            "name | COUNT",
            "name | COUNTUNIQUE",
            "name | STRINGAGG",
            "Row Count"
        ]
    );
    let (_, rows) = exec(s, &c.statement).await;
    assert_eq!(rows.len(), 1);
    let r: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        (
            r[0].as_str(),
            r[1].as_str(),
            r[2].as_str(),
            r[3].as_str(),
            r[5].as_str()
        ),
        ("100.50", "25.125", "4", "4", "5")
    );
    let mut agg: Vec<&str> = r[4].split(", ").collect();
    agg.sort();
    assert_eq!(agg, vec!["  ", "Apple pie", "a%b_c", "apple"]);

    // MIN / MAX on numbers, decimals and dates, grouped by flag, sorted by the group.
    let c = compile(&[
        ("column", "flag"),
        ("column", "qty"),
        ("column", "day"),
        ("column", "amount"),
        (
            "aggregation",
            &enc(
                r#"[{"column":"qty","function":"MIN"},{"column":"qty","function":"MAX"},{"column":"day","function":"MAX"},{"column":"amount","function":"MIN"}]"#,
            ),
        ),
        ("sort", &enc(r#"[{"column":"flag","direction":"asc"}]"#)),
    ]);
    assert_eq!(
        c.columns,
        vec![
            "flag",
            "qty | MIN",
            "qty | MAX",
            "day | MAX",
            "amount | MIN",
            "Row Count"
        ]
    );
    let (_, rows) = exec(s, &c.statement).await;
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(
        rows,
        vec![
            strs(&["false", "2", "2", "2026-05-11", "20.00", "1"]),
            strs(&["true", "1", "4", "2026-05-13", "10.50", "2"]),
            strs(&["∅", "3", "3", "2026-04-30", "30.00", "2"]),
        ]
    );

    // Percentiles and ANY_VALUE with a governance override.
    let mut f = fields();
    f[2].allowed_aggregations =
        Some(serde_json::from_str(r#"["P25","P50","P75","P95","ANY_VALUE"]"#).unwrap());
    let c = compile_with(
        &f,
        &[
            ("column", "qty"),
            (
                "aggregation",
                &enc(
                    r#"[{"column":"qty","function":"P25"},{"column":"qty","function":"P50"},{"column":"qty","function":"P75"},{"column":"qty","function":"P95"}]"#,
                ),
            ),
        ],
    );
    let (_, rows) = exec(s, &c.statement).await;
    assert_eq!(
        rows[0][..4],
        [
            Cell::Float(1.75),
            Cell::Float(2.5),
            Cell::Float(3.25),
            // 3 + (0.95 × 3 − 2): the engine interpolates in binary floating point.
            Cell::Float(3.8499999999999996)
        ]
    );
    let c = compile_with(
        &f,
        &[
            ("column", "qty"),
            (
                "aggregation",
                &enc(r#"[{"column":"qty","function":"ANY_VALUE"}]"#),
            ),
            (
                "filter",
                &enc(r#"[{"column":"qty","operator":"eq","value":3}]"#),
            ),
        ],
    );
    let (_, rows) = exec(s, &c.statement).await;
    assert_eq!(rows, vec![vec![Cell::Int(3), Cell::Int(1)]]);
}

#[tokio::test]
async fn every_unit_and_zone() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    let cases: Vec<(&str, &str, Option<&str>, Vec<&str>)> = vec![
        (
            "DAY",
            "day",
            None,
            vec!["2026-01-01", "2026-04-30", "2026-05-11", "2026-05-13", "∅"],
        ),
        (
            "WEEK",
            "day",
            None,
            vec!["2025-12-29", "2026-04-27", "2026-05-11", "∅"],
        ),
        (
            "MONTH",
            "day",
            None,
            vec!["2026-01-01", "2026-04-01", "2026-05-01", "∅"],
        ),
        (
            "QUARTER",
            "day",
            None,
            vec!["2026-01-01", "2026-04-01", "∅"],
        ),
        ("YEAR", "day", None, vec!["2026-01-01", "∅"]),
        (
            "DAY",
            "ts",
            None,
            vec![
                "2025-12-31T00:00:00",
                "2026-04-30T00:00:00",
                "2026-05-11T00:00:00",
                "2026-05-13T00:00:00",
                "∅",
            ],
        ),
        (
            "WEEK",
            "ts",
            None,
            vec![
                "2025-12-29T00:00:00",
                "2026-04-27T00:00:00",
                "2026-05-11T00:00:00",
                "∅",
            ],
        ),
        (
            "MONTH",
            "ts",
            None,
            vec![
                "2025-12-01T00:00:00",
                "2026-04-01T00:00:00",
                "2026-05-01T00:00:00",
                "∅",
            ],
        ),
        (
            "QUARTER",
            "ts",
            None,
            vec!["2025-10-01T00:00:00", "2026-04-01T00:00:00", "∅"],
        ),
        (
            "YEAR",
            "ts",
            None,
            vec!["2025-01-01T00:00:00", "2026-01-01T00:00:00", "∅"],
        ),
        // TIMESTAMPTZ without a zone: the UTC wall time.
        (
            "DAY",
            "tstz",
            None,
            vec![
                "2026-01-01T00:00:00",
                "2026-03-29T00:00:00",
                "2026-05-13T00:00:00",
                "∅",
            ],
        ),
        // Zones: local wall time = UTC + the offset in force at the instant (ASOF join).
        // 2026-03-29 00:30Z is 01:30 CET, half an hour before Berlin's spring-forward.
        (
            "DAY",
            "tstz",
            Some("Europe/Berlin"),
            vec![
                "2026-01-01T00:00:00",
                "2026-03-29T00:00:00",
                "2026-05-14T00:00:00",
                "∅",
            ],
        ),
        (
            "WEEK",
            "tstz",
            Some("Europe/Berlin"),
            vec![
                "2025-12-29T00:00:00",
                "2026-03-23T00:00:00",
                "2026-05-11T00:00:00",
                "∅",
            ],
        ),
        (
            "MONTH",
            "tstz",
            Some("America/New_York"),
            vec![
                "2025-12-01T00:00:00",
                "2026-03-01T00:00:00",
                "2026-05-01T00:00:00",
                "∅",
            ],
        ),
        (
            "DAY",
            "tstz",
            Some("Asia/Kathmandu"),
            vec![
                "2026-01-01T00:00:00",
                "2026-03-29T00:00:00",
                "2026-05-14T00:00:00",
                "∅",
            ],
        ),
        (
            "YEAR",
            "tstz",
            Some("Pacific/Honolulu"),
            vec!["2025-01-01T00:00:00", "2026-01-01T00:00:00", "∅"],
        ),
        // TIMESTAMP values are taken as UTC instants.
        (
            "DAY",
            "ts",
            Some("America/New_York"),
            vec![
                "2025-12-31T00:00:00",
                "2026-04-30T00:00:00",
                "2026-05-10T00:00:00",
                "2026-05-13T00:00:00",
                "∅",
            ],
        ),
        (
            "WEEK",
            "ts",
            Some("Asia/Tokyo"),
            vec![
                "2025-12-29T00:00:00",
                "2026-04-27T00:00:00",
                "2026-05-11T00:00:00",
                "∅",
            ],
        ),
        (
            "DAY",
            "ts",
            Some("UTC"),
            vec![
                "2025-12-31T00:00:00",
                "2026-04-30T00:00:00",
                "2026-05-11T00:00:00",
                "2026-05-13T00:00:00",
                "∅",
            ],
        ),
    ];
    for (unit, col, tz, expected) in cases {
        let tz_json = tz
            .map(|z| format!(r#","timeZone":"{z}""#))
            .unwrap_or_default();
        let got = first_column(
            s,
            &[
                ("column", col),
                (
                    "dateTrunc",
                    &enc(&format!(
                        r#"[{{"column":"{col}","unit":"{unit}"{tz_json}}}]"#
                    )),
                ),
                (
                    "sort",
                    &enc(&format!(r#"[{{"column":"{col}","direction":"asc"}}]"#)),
                ),
            ],
        )
        .await;
        assert_eq!(got, strs(&expected), "{unit} {col} {tz:?}");
    }
    // Two zoned columns in one statement (two ASOF joins), rows kept one to one.
    let (_, rows) = exec(
        s,
        &compile(&[
            ("column", "name"),
            ("column", "ts"),
            ("column", "tstz"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"ts","unit":"DAY","timeZone":"Asia/Tokyo"},{"column":"tstz","unit":"DAY","timeZone":"America/Los_Angeles"}]"#),
            ),
            ("sort", &enc(r#"[{"column":"name","direction":"asc"}]"#)),
        ])
        .statement,
    )
    .await;
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(
        rows,
        vec![
            strs(&["  ", "2026-01-01T00:00:00", "∅"]),
            strs(&["Apple pie", "2026-05-11T00:00:00", "2026-03-28T00:00:00"]),
            strs(&["a%b_c", "2026-04-30T00:00:00", "2025-12-31T00:00:00"]),
            strs(&["apple", "2026-05-14T00:00:00", "2026-05-13T00:00:00"]),
            strs(&["∅", "∅", "∅"]),
        ]
    );
}

#[tokio::test]
async fn totals_with_having() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    let c = compile(&[
        ("column", "flag"),
        ("column", "qty"),
        (
            "aggregation",
            &enc(r#"[{"column":"qty","function":"SUM"}]"#),
        ),
        (
            "filter",
            &enc(r#"[{"column":"qty","operator":"gt","value":2,"function":"SUM"}]"#),
        ),
        ("sort", &enc(r#"[{"column":"flag","direction":"asc"}]"#)),
    ]);
    // Groups: true → 1+4=5, false → 2, NULL → 3 (+NULL qty) = 3; kept: true (5), NULL (3).
    let (_, rows) = exec(s, &c.statement).await;
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(
        rows,
        vec![strs(&["true", "5", "2"]), strs(&["∅", "3", "2"])]
    );
    let t = c.totals.expect("a totals statement");
    let (_, rows) = exec(s, &t.statement).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(text(&rows[0][0]), "8");
}

/// "Today" in a configured zone far from UTC: at 2026-05-13 12:00Z it is already 2026-05-14 in
/// Pacific/Kiritimati (+14). DATE bounds are that zone's dates; TIMESTAMPTZ bounds are the
/// instants at which those local days start.
#[tokio::test]
async fn relative_dates_in_a_configured_zone() {
    let env = open_with(FIXTURE);
    let s = &env.storage;
    let kiritimati = CompileContext {
        now: Utc.with_ymd_and_hms(2026, 5, 13, 12, 0, 0).unwrap(),
        time_zone: "Pacific/Kiritimati".parse().unwrap(),
    };
    for (ctx, col, preset, expected) in [
        (kiritimati, "day", r#"{"kind":"today"}"#, vec![]),
        (kiritimati, "day", r#"{"kind":"yesterday"}"#, vec!["apple"]),
        (
            kiritimati,
            "day",
            r#"{"kind":"this_week"}"#,
            vec!["Apple pie", "apple"],
        ),
        // [2026-05-13 10:00Z, 2026-05-14 10:00Z)
        (kiritimati, "tstz", r#"{"kind":"today"}"#, vec!["apple"]),
        (kiritimati, "tstz", r#"{"kind":"yesterday"}"#, vec![]),
        // From 2026-03-30 local = 2026-03-29 10:00Z: excludes 2026-03-29 00:30Z ...
        (
            kiritimati,
            "tstz",
            r#"{"kind":"last_n_days","n":45}"#,
            vec!["apple"],
        ),
        // ... which the same preset in UTC (from 2026-03-29 00:00Z) includes.
        (
            ctx(),
            "tstz",
            r#"{"kind":"last_n_days","n":45}"#,
            vec!["Apple pie", "apple"],
        ),
        (ctx(), "tstz", r#"{"kind":"today"}"#, vec!["apple"]),
        (ctx(), "tstz", r#"{"kind":"this_quarter"}"#, vec!["apple"]),
        (
            ctx(),
            "tstz",
            r#"{"kind":"last_quarter"}"#,
            vec!["Apple pie", "a%b_c"],
        ),
        (
            kiritimati,
            "tstz",
            r#"{"kind":"this_year"}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
    ] {
        let rule = format!(r#"[{{"column":"{col}","operator":"relative_date","value":{preset}}}]"#);
        let c = compile_on(
            "t",
            &fields(),
            &[("column", "name"), ("filter", &enc(&rule))],
            &ctx,
        );
        let (_, rows) = exec(s, &c.statement).await;
        let mut got: Vec<String> = rows.iter().map(|r| text(&r[0])).collect();
        got.sort();
        assert_eq!(got, strs(&expected), "{col} {preset} in {}", ctx.time_zone);
    }
}

/// The ASOF join at daylight-saving transitions that fall on local midnight (São Paulo, 2018-19:
/// -03 → -02 at 2018-11-04 03:00Z, back to -03 at 2019-02-16 22:00Z), where taking the wrong
/// offset moves a value to another day.
#[tokio::test]
async fn zone_offsets_at_transitions() {
    let env = open_with(
        "CREATE TABLE z (id INTEGER, tstz TIMESTAMPTZ);
         INSERT INTO z VALUES
          (1, TIMESTAMPTZ '2018-11-04 02:59:59+00'),
          (2, TIMESTAMPTZ '2018-11-04 03:00:00+00'),
          (3, TIMESTAMPTZ '2019-01-10 02:30:00+00'),
          (4, TIMESTAMPTZ '2019-02-16 21:59:59+00'),
          (5, TIMESTAMPTZ '2019-02-17 02:30:00+00'),
          (6, TIMESTAMPTZ '2019-07-01 02:30:00+00');",
    );
    let s = &env.storage;
    let fields = vec![
        Field::new("id", "INTEGER"),
        Field::new("tstz", "TIMESTAMPTZ"),
    ];
    let c = compile_on(
        "z",
        &fields,
        &[
            ("column", "id"),
            ("column", "tstz"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"tstz","unit":"DAY","timeZone":"America/Sao_Paulo"}]"#),
            ),
            ("sort", &enc(r#"[{"column":"id","direction":"asc"}]"#)),
        ],
        &ctx(),
    );
    let (_, rows) = exec(s, &c.statement).await;
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(
        rows,
        vec![
            strs(&["1", "2018-11-03T00:00:00"]), // 23:59:59 -03
            strs(&["2", "2018-11-04T00:00:00"]), // 01:00:00 -02
            strs(&["3", "2019-01-10T00:00:00"]), // 00:30 -02 (23:30 the day before at -03)
            strs(&["4", "2019-02-16T00:00:00"]), // 23:59:59 -02
            strs(&["5", "2019-02-16T00:00:00"]), // 23:30 -03 (00:30 the next day at -02)
            strs(&["6", "2019-06-30T00:00:00"]), // 23:30 -03
        ]
    );
}
