//! Execution on the local PostgreSQL (127.0.0.1:5432, user postgres, database test), in a
//! uniquely named schema dropped afterwards. Skipped with a note when the server is absent.
use super::common::*;
use owox_query::*;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

pub(super) fn to_sql(p: &SqlParam) -> Box<dyn ToSql + Sync + Send> {
    match p {
        SqlParam::Null => Box::new(Option::<String>::None),
        SqlParam::Bool(b) => Box::new(*b),
        SqlParam::Int(i) => Box::new(*i),
        SqlParam::Float(f) => Box::new(*f),
        SqlParam::Text(s) => Box::new(s.clone()),
        SqlParam::Date(d) => Box::new(*d),
        SqlParam::Timestamp(t) => Box::new(*t),
        SqlParam::TimestampTz(t) => Box::new(*t),
    }
}

/// Runs a statement and renders every value as text (NULL as "∅").
pub(super) async fn run(client: &Client, st: &Statement) -> Vec<Vec<String>> {
    let boxed: Vec<_> = st.params.iter().map(to_sql).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let wrapped = format!("SELECT to_json(x)::text FROM ({}) AS x", st.sql);
    let rows = client
        .query(&wrapped, &refs)
        .await
        .unwrap_or_else(|e| panic!("{e}: {}", st.sql));
    rows.iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.get::<_, String>(0)).unwrap();
            v.as_object()
                .unwrap()
                .values()
                .map(|x| match x {
                    serde_json::Value::Null => "∅".to_string(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

const FIXTURE: &str = "
CREATE TABLE t (name text, amount numeric, qty integer, day date, ts timestamp, tstz timestamptz, flag boolean, meta jsonb);
INSERT INTO t VALUES
 ('apple', 10.5, 1, '2026-05-13', '2026-05-13 23:30:00', '2026-05-13 22:30:00+00', true, '{}'),
 ('Apple pie', 20, 2, '2026-05-11', '2026-05-11 00:00:00', '2026-03-29 00:30:00+00', false, NULL),
 ('a%b_c', 30, 3, '2026-04-30', '2026-04-30 12:00:00', '2026-01-01 00:00:00+00', NULL, NULL),
 ('  ', NULL, 4, '2026-01-01', '2025-12-31 23:00:00', NULL, true, NULL),
 (NULL, 40, NULL, NULL, NULL, NULL, NULL, NULL);";

async fn connect() -> Option<(Client, String)> {
    connect_with(
        "owox_query_it",
        &format!("SET TimeZone TO 'UTC'; {FIXTURE}"),
    )
    .await
}

/// Connects and runs `fixture` in a new schema `<prefix>_<pid>_<micros>` (the search path).
pub(super) async fn connect_with(prefix: &str, fixture: &str) -> Option<(Client, String)> {
    let (client, conn) =
        tokio_postgres::connect("host=127.0.0.1 port=5432 user=postgres dbname=test", NoTls)
            .await
            .ok()?;
    tokio::spawn(conn);
    let schema = format!(
        "{prefix}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}; {fixture}"
        ))
        .await
        .unwrap();
    Some((client, schema))
}

async fn q(client: &Client, list: &[(&str, &str)]) -> Vec<Vec<String>> {
    let table = vec!["t".to_string()];
    let c = compile_request(
        &fields(),
        &pairs(list),
        &Postgres,
        Source::Table(&table),
        &ctx(),
    )
    .unwrap();
    run(client, &c.statement).await
}

fn names(rows: Vec<Vec<String>>) -> Vec<String> {
    rows.into_iter().map(|r| r[0].clone()).collect()
}

async fn filtered(client: &Client, rule: &str) -> Vec<String> {
    // Sorted here, byte-wise, so the database collation does not matter ("∅" sorts last).
    let mut out = names(
        q(
            client,
            &[("column", "name"), ("filter", &enc(&format!("[{rule}]")))],
        )
        .await,
    );
    out.sort();
    out
}

#[tokio::test]
async fn postgres_known_answers() {
    let Some((client, schema)) = connect().await else {
        eprintln!("PostgreSQL at 127.0.0.1:5432 not reachable: execution test skipped");
        return;
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // Operators.
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"contains","value":"%b_"}"#
        )
        .await,
        s(&["a%b_c"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"contains","value":"pple"}"#
        )
        .await,
        s(&["Apple pie", "apple"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"not_contains","value":"pple"}"#
        )
        .await,
        s(&["  ", "a%b_c", "∅"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"starts_with","value":"A"}"#
        )
        .await,
        s(&["Apple pie"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"ends_with","value":"_c"}"#
        )
        .await,
        s(&["a%b_c"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"regex","value":"^a.p"}"#
        )
        .await,
        s(&["apple"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"not_regex","value":"p"}"#
        )
        .await,
        s(&["  ", "a%b_c", "∅"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"name","operator":"neq","value":"apple"}"#
        )
        .await,
        s(&["  ", "Apple pie", "a%b_c", "∅"])
    );
    assert_eq!(
        filtered(&client, r#"{"column":"name","operator":"is_blank"}"#).await,
        s(&["  ", "∅"])
    );
    assert_eq!(
        filtered(&client, r#"{"column":"name","operator":"is_empty"}"#).await,
        s(&["∅"])
    );
    assert_eq!(
        filtered(&client, r#"{"column":"qty","operator":"in","value":[1,3]}"#).await,
        s(&["a%b_c", "apple"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"qty","operator":"not_in","value":[1,3]}"#
        )
        .await,
        s(&["  ", "Apple pie", "∅"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"amount","operator":"between","value":{"from":10.5,"to":30}}"#
        )
        .await,
        s(&["Apple pie", "a%b_c", "apple"])
    );
    assert_eq!(
        filtered(&client, r#"{"column":"flag","operator":"is_false"}"#).await,
        s(&["Apple pie"])
    );
    assert_eq!(
        filtered(
            &client,
            r#"{"column":"day","operator":"gte","value":"2026-05-01"}"#
        )
        .await,
        s(&["Apple pie", "apple"])
    );
    // Presets for today = 2026-05-13 (a Wednesday).
    for (preset, expected) in [
        (r#"{"kind":"today"}"#, vec!["apple"]),
        (r#"{"kind":"this_week"}"#, vec!["Apple pie", "apple"]),
        (r#"{"kind":"last_month"}"#, vec!["a%b_c"]),
        (
            r#"{"kind":"this_quarter"}"#,
            vec!["Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"kind":"this_year"}"#,
            vec!["  ", "Apple pie", "a%b_c", "apple"],
        ),
        (
            r#"{"kind":"last_n_days","n":2}"#,
            vec!["Apple pie", "apple"],
        ),
        (r#"{"kind":"next_n_days","n":1}"#, vec!["apple"]),
    ] {
        let rule = format!(r#"{{"column":"day","operator":"relative_date","value":{preset}}}"#);
        assert_eq!(filtered(&client, &rule).await, s(&expected), "{preset}");
        // "  " has ts 2025-12-31 23:00, outside this year; every other ts is on its row's day.
        let expected: Vec<&str> = expected
            .into_iter()
            .filter(|n| !(preset.contains("this_year") && *n == "  "))
            .collect();
        let rule = format!(r#"{{"column":"ts","operator":"relative_date","value":{preset}}}"#);
        assert_eq!(filtered(&client, &rule).await, s(&expected), "ts {preset}");
    }
    // Aggregates, labels and Row Count.
    let rows = q(&client, &[("column", "amount"), ("column", "name"),
        ("aggregation", &enc(r#"[{"column":"amount","function":"SUM"},{"column":"amount","function":"AVG"},{"column":"name","function":"COUNT"},{"column":"name","function":"COUNT_DISTINCT"},{"column":"name","function":"STRING_AGG"}]"#))]).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            rows[0][0].as_str(),
            rows[0][2].as_str(),
            rows[0][3].as_str(),
            rows[0][5].as_str()
        ),
        ("100.5", "4", "4", "5")
    );
    let mut agg: Vec<&str> = rows[0][4].split(", ").collect();
    agg.sort();
    assert_eq!(agg, vec!["  ", "Apple pie", "a%b_c", "apple"]);
    let table = vec!["t".to_string()];
    let c = compile_request(&fields(), &pairs(&[("column", "amount"),
        ("aggregation", &enc(r#"[{"column":"amount","function":"SUM"},{"column":"amount","function":"AVG"}]"#))]), &Postgres, Source::Table(&table), &ctx()).unwrap();
    assert_eq!(c.columns, vec!["amount | SUM", "amount | AVG", "Row Count"]);
    let r = run(&client, &c.statement).await;
    assert_eq!((r[0][0].as_str(), r[0][2].as_str()), ("100.5", "5"));
    // Percentile and ANY_VALUE with a governance override.
    let mut f = fields();
    f[2].allowed_aggregations = Some(vec![
        owox_contract::http_data::AggregateFunction::P50,
        owox_contract::http_data::AggregateFunction::AnyValue,
    ]);
    let c = compile_request(
        &f,
        &pairs(&[
            ("column", "qty"),
            (
                "aggregation",
                &enc(r#"[{"column":"qty","function":"P50"}]"#),
            ),
        ]),
        &Postgres,
        Source::Table(&table),
        &ctx(),
    )
    .unwrap();
    let direct = client.query(&c.statement.sql, &[]).await.unwrap();
    assert_eq!(direct[0].get::<_, f64>(0), 2.5);
    // Units and zones.
    let trunc = |unit: &str, col: &str, tz: Option<&str>| {
        let tz = tz
            .map(|z| format!(r#","timeZone":"{z}""#))
            .unwrap_or_default();
        (
            col.to_string(),
            enc(&format!(r#"[{{"column":"{col}","unit":"{unit}"{tz}}}]"#)),
        )
    };
    for (unit, col, tz, expected) in [
        (
            "WEEK",
            "day",
            None,
            vec!["2025-12-29", "2026-04-27", "2026-05-11", "∅"],
        ),
        (
            "QUARTER",
            "day",
            None,
            vec!["2026-01-01", "2026-04-01", "∅"],
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
            "YEAR",
            "ts",
            None,
            vec!["2025-01-01T00:00:00", "2026-01-01T00:00:00", "∅"],
        ),
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
    ] {
        let (c, dt) = trunc(unit, col, tz);
        let rows = q(
            &client,
            &[
                ("column", &c),
                ("dateTrunc", &dt),
                (
                    "sort",
                    &enc(&format!(r#"[{{"column":"{c}","direction":"asc"}}]"#)),
                ),
            ],
        )
        .await;
        assert_eq!(names(rows), s(&expected), "{unit} {col} {tz:?}");
    }
    // Totals with HAVING through _kept_groups.
    let c = compile_request(
        &fields(),
        &pairs(&[
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
        ]),
        &Postgres,
        Source::Table(&table),
        &ctx(),
    )
    .unwrap();
    let t = c.totals.unwrap();
    let boxed: Vec<_> = t.statement.params.iter().map(to_sql).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let row = client
        .query_one(&t.statement.sql, &refs)
        .await
        .unwrap_or_else(|e| panic!("{e}: {}", t.statement.sql));
    // Groups: true → 1+4=5, false → 2, NULL → 3 (+NULL qty) = 3; kept: true (5), NULL (3).
    assert_eq!(row.get::<_, Option<i64>>(0), Some(8));
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
}
