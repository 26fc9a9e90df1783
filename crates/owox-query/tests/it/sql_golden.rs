//! SQL text and parameters per dialect.
use super::common::*;
use owox_query::*;

fn compile_pg(list: &[(&str, &str)]) -> CompiledQuery {
    compile_with(&Postgres, list)
}

pub fn compile_with(d: &dyn Dialect, list: &[(&str, &str)]) -> CompiledQuery {
    let table = vec!["public".to_string(), "t".to_string()];
    compile_request(&fields(), &pairs(list), d, Source::Table(&table), &ctx()).unwrap()
}

#[test]
fn flat_query_with_every_clause() {
    let c = compile_pg(&[
        ("column", "name"),
        ("column", "qty"),
        (
            "filter",
            &enc(
                r#"[{"column":"name","operator":"neq","value":"x"},{"column":"qty","operator":"in","value":[1,2.5]}]"#,
            ),
        ),
        ("sort", &enc(r#"[{"column":"qty","direction":"desc"}]"#)),
        ("limit", "10"),
    ]);
    assert_eq!(c.columns, vec!["name", "qty"]);
    assert_eq!(
        c.statement.sql,
        "SELECT \"src\".\"name\" AS \"c0\", \"src\".\"qty\" AS \"c1\" FROM \"public\".\"t\" AS \"src\" \
         WHERE (\"src\".\"name\" IS NULL OR \"src\".\"name\" <> $1::text) AND \"src\".\"qty\" IN ($2::bigint, $3::double precision) \
         ORDER BY \"src\".\"qty\" DESC LIMIT $4::bigint"
    );
    assert_eq!(
        c.statement.params,
        vec![
            SqlParam::Text("x".into()),
            SqlParam::Int(1),
            SqlParam::Float(2.5),
            SqlParam::Int(10)
        ]
    );
    let totals = c.totals.unwrap();
    assert_eq!(
        totals.labels,
        vec!["qty | SUM", "qty | AVG", "qty | MIN", "qty | MAX"]
    );
    assert_eq!(
        totals.statement.sql,
        "SELECT SUM(\"src\".\"qty\") AS \"c0\", AVG(\"src\".\"qty\") AS \"c1\", MIN(\"src\".\"qty\") AS \"c2\", MAX(\"src\".\"qty\") AS \"c3\" \
         FROM \"public\".\"t\" AS \"src\" WHERE (\"src\".\"name\" IS NULL OR \"src\".\"name\" <> $1::text) AND \"src\".\"qty\" IN ($2::bigint, $3::double precision)"
    );
}

#[test]
fn aggregated_query_labels_having_and_order() {
    let c = compile_pg(&[
        ("column", "name"),
        ("column", "day"),
        ("column", "amount"),
        (
            "aggregation",
            &enc(
                r#"[{"column":"amount","function":"SUM"},{"column":"amount","function":"AVG"},{"column":"name","function":"COUNT_DISTINCT"}]"#,
            ),
        ),
        ("dateTrunc", &enc(r#"[{"column":"day","unit":"MONTH"}]"#)),
        (
            "filter",
            &enc(r#"[{"column":"amount","operator":"gt","value":10,"function":"SUM"}]"#),
        ),
        (
            "sort",
            &enc(r#"[{"column":"amount","direction":"asc"},{"column":"day","direction":"desc"}]"#),
        ),
    ]);
    assert_eq!(
        c.columns,
        vec![
            "name | COUNTUNIQUE",
            "day",
            "amount | SUM",
            "amount | AVG",
            "Row Count"
        ]
    );
    assert_eq!(
        c.statement.sql,
        "SELECT COUNT(DISTINCT \"src\".\"name\") AS \"c0\", CAST(date_trunc('month', CAST(\"src\".\"day\" AS timestamp)) AS date) AS \"c1\", \
         SUM(\"src\".\"amount\") AS \"c2\", AVG(\"src\".\"amount\") AS \"c3\", COUNT(*) AS \"c4\" \
         FROM \"public\".\"t\" AS \"src\" GROUP BY CAST(date_trunc('month', CAST(\"src\".\"day\" AS timestamp)) AS date) \
         HAVING SUM(\"src\".\"amount\") > $1::bigint ORDER BY \"c2\" ASC, \"c1\" DESC"
    );
    let t = c.totals.unwrap();
    assert_eq!(
        t.labels,
        vec![
            "name | COUNT",
            "name | COUNTUNIQUE",
            "amount | SUM",
            "amount | AVG",
            "amount | MIN",
            "amount | MAX"
        ]
    );
    assert!(t.statement.sql.starts_with("WITH \"_rows\" AS (SELECT \"src\".*, CAST(date_trunc('month', CAST(\"src\".\"day\" AS timestamp)) AS date) AS \"__owox_k0\" FROM"));
    assert!(t
        .statement
        .sql
        .contains("HAVING SUM(\"src\".\"amount\") > $1::bigint"));
    assert_eq!(t.statement.params, vec![SqlParam::Int(10)]);
    assert!(
        !t.over_streamed_rows,
        "grouped rows are not the totals' rows"
    );
}

#[test]
fn totals_know_when_the_stream_carries_their_rows() {
    let flat = compile_pg(&[("column", "name"), ("column", "qty")]);
    let t = flat.totals.unwrap();
    assert!(t.over_streamed_rows);
    assert_eq!(
        t.targets,
        vec![
            (
                "qty".to_string(),
                owox_contract::http_data::AggregateFunction::Sum
            ),
            (
                "qty".to_string(),
                owox_contract::http_data::AggregateFunction::Avg
            ),
            (
                "qty".to_string(),
                owox_contract::http_data::AggregateFunction::Min
            ),
            (
                "qty".to_string(),
                owox_contract::http_data::AggregateFunction::Max
            ),
        ]
    );
    let limited = compile_pg(&[("column", "qty"), ("limit", "5")]);
    assert!(!limited.totals.unwrap().over_streamed_rows);
    let bucketed = compile_pg(&[
        ("column", "day"),
        ("column", "qty"),
        ("dateTrunc", &enc(r#"[{"column":"day","unit":"MONTH"}]"#)),
    ]);
    assert!(!bucketed.totals.unwrap().over_streamed_rows);
}

#[test]
fn operators_per_dialect() {
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"column":"name","operator":"contains","value":"a%"}"#, "strpos(\"src\".\"name\", $1::text) > 0", "strpos(\"src\".\"name\", CAST($1 AS VARCHAR)) > 0"),
        (r#"{"column":"name","operator":"not_contains","value":5}"#, "(\"src\".\"name\" IS NULL OR NOT strpos(\"src\".\"name\", $1::text) > 0)", "(\"src\".\"name\" IS NULL OR NOT strpos(\"src\".\"name\", CAST($1 AS VARCHAR)) > 0)"),
        (r#"{"column":"name","operator":"starts_with","value":"a"}"#, "starts_with(\"src\".\"name\", $1::text)", "starts_with(\"src\".\"name\", CAST($1 AS VARCHAR))"),
        (r#"{"column":"name","operator":"ends_with","value":"a"}"#, "right(\"src\".\"name\", length($1::text)) = $1::text", "ends_with(\"src\".\"name\", CAST($1 AS VARCHAR))"),
        (r#"{"column":"name","operator":"regex","value":"^a"}"#, "\"src\".\"name\" ~ $1::text", "regexp_matches(\"src\".\"name\", CAST($1 AS VARCHAR))"),
        (r#"{"column":"name","operator":"not_regex","value":"^a"}"#, "(\"src\".\"name\" IS NULL OR NOT \"src\".\"name\" ~ $1::text)", "(\"src\".\"name\" IS NULL OR NOT regexp_matches(\"src\".\"name\", CAST($1 AS VARCHAR)))"),
        (r#"{"column":"name","operator":"is_blank"}"#, "(\"src\".\"name\" IS NULL OR btrim(\"src\".\"name\", chr(32) || chr(9) || chr(10) || chr(13)) = '')", "(\"src\".\"name\" IS NULL OR trim(\"src\".\"name\", chr(32) || chr(9) || chr(10) || chr(13)) = '')"),
        (r#"{"column":"qty","operator":"is_not_blank"}"#, "\"src\".\"qty\" IS NOT NULL", "\"src\".\"qty\" IS NOT NULL"),
        (r#"{"column":"name","operator":"is_empty"}"#, "(\"src\".\"name\" IS NULL OR \"src\".\"name\" = '')", "(\"src\".\"name\" IS NULL OR \"src\".\"name\" = '')"),
        (r#"{"column":"flag","operator":"is_true"}"#, "\"src\".\"flag\" = TRUE", "\"src\".\"flag\" = TRUE"),
        (r#"{"column":"day","operator":"between","value":{"from":"2026-01-01","to":"2026-01-31"}}"#, "\"src\".\"day\" BETWEEN CAST($1::text AS date) AND CAST($2::text AS date)", "\"src\".\"day\" BETWEEN CAST(CAST($1 AS VARCHAR) AS DATE) AND CAST(CAST($2 AS VARCHAR) AS DATE)"),
        (r#"{"column":"name","operator":"not_in","value":["a","b"]}"#, "(\"src\".\"name\" IS NULL OR \"src\".\"name\" NOT IN ($1::text, $2::text))", "(\"src\".\"name\" IS NULL OR \"src\".\"name\" NOT IN (CAST($1 AS VARCHAR), CAST($2 AS VARCHAR)))"),
        (r#"{"column":"day","operator":"relative_date","value":{"kind":"this_week"}}"#, "(\"src\".\"day\" >= $1::date AND \"src\".\"day\" < $2::date)", "(\"src\".\"day\" >= CAST($1 AS DATE) AND \"src\".\"day\" < CAST($2 AS DATE))"),
    ];
    for (rule, pg, duck) in cases {
        let f = enc(&format!("[{rule}]"));
        for (d, expected) in [
            (&Postgres as &dyn Dialect, pg),
            (&DuckDb as &dyn Dialect, duck),
        ] {
            let c = compile_with(d, &[("column", "name"), ("filter", &f)]);
            let sql = &c.statement.sql;
            let where_ = sql.split(" WHERE ").nth(1).unwrap();
            assert_eq!(&where_, expected, "{} {rule}", d.name());
        }
    }
    // this_week of Wednesday 2026-05-13 is Monday 11th .. Monday 18th (exclusive).
    let c = compile_pg(&[
        ("column", "name"),
        (
            "filter",
            &enc(r#"[{"column":"day","operator":"relative_date","value":{"kind":"this_week"}}]"#),
        ),
    ]);
    let d = |s: &str| SqlParam::Date(s.parse().unwrap());
    assert_eq!(c.statement.params, vec![d("2026-05-11"), d("2026-05-18")]);
}

#[test]
fn hostile_identifiers_are_quoted() {
    let f = vec![Field::new("a\"; DROP TABLE x; --", "STRING")];
    let q = parse_query(&pairs(&[])).unwrap();
    let v = validate(&f, &q, &resolve_columns(&f, &q).unwrap()).unwrap();
    let c = compile(&v, &DuckDb, Source::Subquery("SELECT 1"), &ctx()).unwrap();
    assert_eq!(c.statement.sql, "SELECT \"src\".\"a\"\"; DROP TABLE x; --\" AS \"a\"\"; DROP TABLE x; --\" FROM (SELECT 1) AS \"src\"");
    // PostgreSQL aliases output columns by position (its identifiers stop at 63 bytes).
    let c = compile(&v, &Postgres, Source::Subquery("SELECT 1"), &ctx()).unwrap();
    assert_eq!(
        c.statement.sql,
        "SELECT \"src\".\"a\"\"; DROP TABLE x; --\" AS \"c0\" FROM (SELECT 1) AS \"src\""
    );
    let f = vec![Field::new("a\0b", "STRING")];
    let v = validate(&f, &q, &resolve_columns(&f, &q).unwrap()).unwrap();
    assert!(matches!(
        compile(&v, &DuckDb, Source::Subquery("SELECT 1"), &ctx()),
        Err(CompileError::UnrepresentableIdentifier { .. })
    ));
}

#[test]
fn duckdb_zone_table() {
    let c = compile_with(
        &DuckDb,
        &[
            ("column", "ts"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"ts","unit":"DAY","timeZone":"Europe/Berlin"}]"#),
            ),
        ],
    );
    assert!(c
        .statement
        .sql
        .contains("ASOF LEFT JOIN (VALUES (TIMESTAMP '0001-01-01 00:00:00', "));
    assert!(
        c.statement
            .sql
            .contains("(TIMESTAMP '2026-03-29 01:00:00', 7200)"),
        "{}",
        &c.statement.sql[..200]
    );
    assert!(!c.statement.sql.contains("Berlin"));
    let pg = compile_with(
        &Postgres,
        &[
            ("column", "ts"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"ts","unit":"DAY","timeZone":"Europe/Berlin"}]"#),
            ),
        ],
    );
    assert_eq!(
        pg.statement.params,
        vec![SqlParam::Text("Europe/Berlin".into())]
    );
    let table = vec!["t".to_string()];
    let err = compile_request(
        &fields(),
        &pairs(&[
            ("column", "ts"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"ts","unit":"DAY","timeZone":"Mars/Base"}]"#),
            ),
        ]),
        &DuckDb,
        Source::Table(&table),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(err.status(), 424);
}
