//! The §4.5 message catalogue, byte for byte.
use super::common::*;
use owox_query::*;

fn filter_msg(json: &str) -> String {
    parse_err(&[("filter", &enc(json))])
}

#[test]
fn catalogue_top_level() {
    let big = "A".repeat(8193);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("column", "")],
            "column.0: column value must not be empty",
        ),
        (
            vec![("column", "a"), ("column", "")],
            "column.1: column value must not be empty",
        ),
        (
            vec![("columns", "*"), ("columns", "**")],
            "columns: Parameter \"columns\" cannot be repeated",
        ),
        (
            vec![("columns", "foo")],
            "columns: \"columns\" must be \"*\" or \"**\"",
        ),
        (
            vec![("columns", "")],
            "columns: \"columns\" must be \"*\" or \"**\"",
        ),
        (
            vec![("columns", "**"), ("column", "x")],
            "columns: \"**\" cannot be combined with exact column values",
        ),
        (
            vec![("pageToken", "x")],
            "pageToken: Parameter \"pageToken\" is not supported by HTTP Data API",
        ),
        (
            vec![("offset", "")],
            "offset: Parameter \"offset\" is not supported by HTTP Data API",
        ),
        (vec![("limit", "0")], "limit: limit must be ≥ 1"),
        (vec![("limit", "")], "limit: limit must be ≥ 1"),
        (vec![("limit", "-1")], "limit: limit must be ≥ 1"),
        (vec![("limit", "1.5")], "limit: limit must be an integer"),
        (vec![("limit", "abc")], "limit: limit must be an integer"),
        (
            vec![("limit", "1"), ("limit", "2")],
            "limit: limit must be an integer",
        ),
        (
            vec![("filter", "")],
            "filter: String must contain at least 1 character(s)",
        ),
        (
            vec![("aggregation", &big)],
            "aggregation: String must contain at most 8192 character(s)",
        ),
        (
            vec![("filter", "a"), ("filter", "b")],
            "filter: Expected string, received array",
        ),
        (
            vec![("filter", "!!!")],
            "filter: Invalid filter: value is not valid JSON",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_err(&input), expected, "input {input:?}");
    }
}

#[test]
fn limit_coercion_like_js_number() {
    for (raw, n) in [
        ("1e3", 1000),
        ("0x10", 16),
        (" 5 ", 5),
        ("+7", 7),
        ("5.", 5),
        ("1E2", 100),
    ] {
        let q = parse_query(&pairs(&[("limit", raw)])).unwrap();
        assert_eq!(q.limit, Some(n), "{raw}");
    }
    assert_eq!(
        parse_err(&[("limit", "-1.5")]),
        "limit: limit must be an integer; limit: limit must be ≥ 1"
    );
}

#[test]
fn grouping_guard() {
    let agg = enc(r#"[{"column":"amount","function":"SUM"}]"#);
    let dt = enc(r#"[{"column":"day","unit":"DAY"}]"#);
    let msg = "\"aggregation\" and \"dateTrunc\" require an explicit \"column\" projection and cannot combine with \"*\"/\"**\" or an empty column selection (which would group by every column)";
    assert_eq!(
        parse_err(&[("aggregation", &agg)]),
        format!("aggregation: {msg}")
    );
    assert_eq!(
        parse_err(&[("dateTrunc", &dt)]),
        format!("dateTrunc: {msg}")
    );
    assert_eq!(
        parse_err(&[
            ("columns", "*"),
            ("column", "amount"),
            ("aggregation", &agg)
        ]),
        format!("aggregation: {msg}")
    );
    assert!(parse_query(&pairs(&[("column", "amount"), ("aggregation", &agg)])).is_ok());
    assert!(parse_query(&pairs(&[("aggregation", &enc("[]"))])).is_ok());
}

#[test]
fn joined_issues_and_unknown_keys() {
    assert_eq!(
        parse_err(&[("column", ""), ("limit", "0"), ("pageToken", "1"), ("offset", "2"), ("x", "y")]),
        "column.0: column value must not be empty; limit: limit must be ≥ 1; pageToken: Parameter \"pageToken\" is not supported by HTTP Data API; offset: Parameter \"offset\" is not supported by HTTP Data API"
    );
    // A type error aborts: the cross-parameter rules are not reported.
    assert_eq!(
        parse_err(&[("filter", "a"), ("filter", "b"), ("pageToken", "1")]),
        "filter: Expected string, received array"
    );
    assert!(parse_query(&pairs(&[("column[]", "a"), ("foo", "bar")])).is_ok());
}

#[test]
fn filter_schema_messages() {
    let ops = "'eq' | 'neq' | 'contains' | 'not_contains' | 'starts_with' | 'ends_with' | 'gt' | 'lt' | 'gte' | 'lte' | 'regex' | 'not_regex' | 'is_blank' | 'is_not_blank' | 'is_empty' | 'is_not_empty' | 'is_null' | 'is_not_null' | 'is_true' | 'is_false' | 'in' | 'not_in' | 'between' | 'relative_date'";
    let fns = "'STRING_AGG' | 'MAX' | 'MIN' | 'SUM' | 'AVG' | 'COUNT' | 'COUNT_DISTINCT' | 'ANY_VALUE' | 'P25' | 'P50' | 'P75' | 'P95'";
    let presets = "'today' | 'yesterday' | 'this_week' | 'last_week' | 'this_month' | 'last_month' | 'this_quarter' | 'last_quarter' | 'this_year' | 'last_n_days' | 'last_n_months' | 'next_n_days'";
    let values: Vec<String> = (0..501).map(|i| i.to_string()).collect();
    let big_in = format!(
        r#"[{{"column":"a","operator":"in","value":[{}]}}]"#,
        values.join(",")
    );
    let cases: Vec<(String, String)> = vec![
        (r#"[{"column":"a","operator":"like","value":1}]"#.into(), format!("Invalid discriminator value. Expected {ops}")),
        (r#"[{"column":"a","operator":"eq"}]"#.into(), "Invalid input".into()),
        (r#"[{"column":"a","operator":"eq","value":null}]"#.into(), "Invalid input".into()),
        (r#"[{"column":"a","operator":"eq","value":{}}]"#.into(), "Invalid input".into()),
        (r#"[{"column":"","operator":"is_null"}]"#.into(), "String must contain at least 1 character(s)".into()),
        (r#"[{"column":"a","operator":"in","value":"x"}]"#.into(), "Expected array, received string".into()),
        (r#"[{"column":"a","operator":"in","value":[]}]"#.into(), "Array must contain at least 1 element(s)".into()),
        (big_in, "Array must contain at most 500 element(s)".into()),
        (r#"[{"column":"a","operator":"in","value":["a",1]}]"#.into(), "in/not_in values must all be the same type (all strings or all numbers)".into()),
        (r#"[{"column":"a","operator":"in","value":[true]}]"#.into(), "in/not_in values must be strings or numbers — for boolean conditions use is_true/is_false".into()),
        (r#"[{"column":"a","operator":"between","value":{"from":"a","to":1}}]"#.into(), "'between' bounds must be the same type (both strings or both numbers)".into()),
        (r#"[{"column":"a","operator":"between","value":5}]"#.into(), "Expected object, received number".into()),
        (r#"[{"column":"a","operator":"relative_date","value":{"kind":"last_n_days","n":0}}]"#.into(), "Number must be greater than 0".into()),
        (r#"[{"column":"a","operator":"relative_date","value":{"kind":"last_n_days","n":3651}}]"#.into(), "Number must be less than or equal to 3650".into()),
        (r#"[{"column":"a","operator":"relative_date","value":{"kind":"last_n_days"}}]"#.into(), "Required".into()),
        (r#"[{"column":"a","operator":"relative_date","value":{"kind":"last_n_days","n":1.5}}]"#.into(), "Expected integer, received float".into()),
        (r#"[{"column":"a","operator":"relative_date","value":{"kind":"soon"}}]"#.into(), format!("Invalid discriminator value. Expected {presets}")),
        (r#"[{"column":"a","operator":"is_null","placement":"x"}]"#.into(), "Invalid enum value. Expected 'pre-join' | 'post-join', received 'x'".into()),
        (r#"[{"column":"a","operator":"is_null","function":"sum"}]"#.into(), format!("Invalid enum value. Expected {fns}, received 'sum'")),
        (r#"[{"column":"a","operator":"eq","value":1e999}]"#.into(), "Number must be finite".into()),
        (r#"{"column":"a"}"#.into(), "Expected array, received object".into()),
    ];
    for (json, expected) in cases {
        assert_eq!(
            filter_msg(&json),
            format!("filter: Invalid filter: {expected}"),
            "{json}"
        );
    }
    assert_eq!(
        filter_msg(r#"[{"column":"a","operator":"eq"},{"column":"","operator":"is_null"}]"#),
        "filter: Invalid filter: Invalid input; String must contain at least 1 character(s)"
    );
    assert_eq!(
        parse_err(&[("sort", &enc(r#"[{"column":"a","direction":"ASC"}]"#))]),
        "sort: Invalid sort: Invalid enum value. Expected 'asc' | 'desc', received 'ASC'"
    );
    assert_eq!(
        parse_err(&[("sort", &enc(r#"[{"column":"a"}]"#))]),
        "sort: Invalid sort: Required"
    );
    assert_eq!(
        parse_err(&[("column", "day"), ("dateTrunc", &enc(r#"[{"column":"day","unit":"day"}]"#))]),
        "dateTrunc: Invalid dateTrunc: Invalid enum value. Expected 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR', received 'day'"
    );
    assert_eq!(
        parse_err(&[
            ("column", "ts"),
            (
                "dateTrunc",
                &enc(r#"[{"column":"ts","unit":"DAY","timeZone":"Europe/Ber lin"}]"#)
            )
        ]),
        "dateTrunc: Invalid dateTrunc: Invalid IANA time zone"
    );
    // null is absent, [] is kept.
    let q = parse_query(&pairs(&[("filter", &enc("null")), ("sort", &enc("[]"))])).unwrap();
    assert_eq!(q.filter, None);
    assert_eq!(q.sort, Some(vec![]));
}

#[test]
fn resolution_and_existence() {
    let f = fields();
    let q = parse_query(&pairs(&[
        ("column", "qty"),
        ("column", "name"),
        ("column", "qty"),
    ]))
    .unwrap();
    assert_eq!(
        resolve_columns(&f, &q).unwrap().selected,
        vec!["qty", "name"]
    );
    let q = parse_query(&pairs(&[("columns", "*"), ("column", "name")])).unwrap();
    assert_eq!(resolve_columns(&f, &q).unwrap().selected.len(), f.len());
    let q = parse_query(&pairs(&[
        ("column", "*"),
        ("column", "nope"),
        ("sort", &enc(r#"[{"column":"x","direction":"asc"}]"#)),
    ]))
    .unwrap();
    let err = resolve_columns(&f, &q).unwrap_err();
    assert_eq!(err.to_string(), "Unknown columns: *, nope, x");
    assert_eq!(
        err.error_details().unwrap(),
        serde_json::json!({"columns": ["*", "nope", "x"]})
    );
    let q = parse_query(&pairs(&[("column", "nope")])).unwrap();
    assert_eq!(
        resolve_columns(&f, &q).unwrap_err().to_string(),
        "Unknown column: nope"
    );
    assert_eq!(
        resolve_columns(&[], &HttpDataQuery::default()).unwrap_err(),
        QueryError::NoColumns
    );
}

fn second_stage(list: &[(&str, &str)]) -> serde_json::Value {
    let f = fields();
    let q = parse_query(&pairs(list)).unwrap();
    let r = resolve_columns(&f, &q).unwrap();
    let e = validate(&f, &q, &r).unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(e.to_string(), "Output controls validation failed");
    e.details().unwrap()["errors"].clone()
}

#[test]
fn second_stage_codes() {
    use serde_json::json;
    let e = second_stage(&[
        ("column", "name"),
        ("column", "qty"),
        ("column", "flag"),
        (
            "filter",
            &enc(
                r#"[{"column":"qty","operator":"contains","value":"1"},{"column":"name","operator":"regex","value":"("},{"column":"qty","operator":"gt","value":1,"function":"SUM"},{"column":"name","operator":"gt","value":1,"function":"COUNT"}]"#,
            ),
        ),
        ("sort", &enc(r#"[{"column":"amount","direction":"asc"}]"#)),
        (
            "aggregation",
            &enc(
                r#"[{"column":"qty","function":"P50"},{"column":"qty","function":"P50"},{"column":"name","function":"SUM"},{"column":"day","function":"MIN"},{"column":"name","function":"COUNT"}]"#,
            ),
        ),
    ]);
    assert_eq!(
        e,
        json!([
            {"code":"INVALID_OPERATOR_FOR_TYPE","column":"qty","type":"INTEGER","operator":"contains"},
            {"code":"INVALID_REGEX_PATTERN","column":"name","pattern":"("},
            {"code":"HAVING_FILTER_NOT_AGGREGATED","column":"qty","function":"SUM"},
            {"code":"SORT_COLUMN_NOT_SELECTED","column":"amount"},
            {"code":"AGGREGATION_FUNCTION_NOT_ALLOWED_FOR_FIELD","column":"qty","function":"P50"},
            {"code":"DUPLICATE_AGGREGATION","column":"qty","function":"P50"},
            {"code":"AGGREGATION_FUNCTION_NOT_ALLOWED_FOR_TYPE","column":"name","function":"SUM","type":"STRING"},
            {"code":"AGGREGATION_COLUMN_NOT_SELECTED","column":"day"},
            {"code":"OUTPUT_COLUMN_NAME_COLLISION","label":"qty | MEDIAN"},
        ])
    );
    let e = second_stage(&[
        ("column", "day"),
        ("column", "name"),
        ("column", "amount"),
        (
            "dateTrunc",
            &enc(
                r#"[{"column":"day","unit":"DAY","timeZone":"UTC"},{"column":"name","unit":"DAY"},{"column":"amount","unit":"DAY"},{"column":"qty","unit":"DAY"}]"#,
            ),
        ),
        (
            "aggregation",
            &enc(r#"[{"column":"amount","function":"SUM"}]"#),
        ),
    ]);
    assert_eq!(
        e,
        json!([
            {"code":"DATE_TRUNC_TIMEZONE_REQUIRES_TIMESTAMP","column":"day","type":"DATE"},
            {"code":"DATE_TRUNC_REQUIRES_DATE_COLUMN","column":"name","type":"STRING"},
            {"code":"DATE_TRUNC_COLUMN_IS_AGGREGATED","column":"amount"},
            {"code":"DATE_TRUNC_COLUMN_NOT_SELECTED","column":"qty"},
        ])
    );
    let e = second_stage(&[(
        "filter",
        &enc(
            r#"[{"column":"name","operator":"is_null","function":"COUNT","placement":"pre-join"}]"#,
        ),
    )]);
    assert_eq!(
        e,
        json!([{"code":"HAVING_FILTER_INVALID_PLACEMENT","column":"name","function":"COUNT"}])
    );
}

#[test]
fn output_name_collision() {
    let f = vec![
        Field::new("a", "STRING"),
        Field::new("A", "STRING"),
        Field::new("Row Count", "INTEGER"),
        Field::new("x", "INTEGER"),
    ];
    let q = parse_query(&pairs(&[("column", "a"), ("column", "A")])).unwrap();
    let e = validate(&f, &q, &resolve_columns(&f, &q).unwrap()).unwrap_err();
    assert_eq!(
        e.details().unwrap()["errors"],
        serde_json::json!([{"code":"OUTPUT_COLUMN_NAME_COLLISION","label":"A"}])
    );
    let q = parse_query(&pairs(&[
        ("column", "Row Count"),
        ("column", "x"),
        ("aggregation", &enc(r#"[{"column":"x","function":"SUM"}]"#)),
    ]))
    .unwrap();
    let e = validate(&f, &q, &resolve_columns(&f, &q).unwrap()).unwrap_err();
    assert_eq!(
        e.details().unwrap()["errors"],
        serde_json::json!([{"code":"OUTPUT_COLUMN_NAME_COLLISION","label":"Row Count"}])
    );
}

#[test]
fn pre_join_without_joins() {
    let f = fields();
    let q = parse_query(&pairs(&[(
        "filter",
        &enc(r#"[{"column":"other__x","operator":"is_null","placement":"pre-join"}]"#),
    )]))
    .unwrap();
    let e = validate(&f, &q, &resolve_columns(&f, &q).unwrap()).unwrap_err();
    assert_eq!(e, QueryError::PreJoinFiltersRequireJoinedDataMart);
    assert_eq!(e.code(), Some("PRE_JOIN_FILTERS_REQUIRE_JOINED_DATA_MART"));
}

#[test]
fn client_encoding_examples() {
    use owox_contract::http_data::*;
    let f = vec![FilterRule {
        column: "date".into(),
        operator: FilterOperator::Gte,
        value: FilterValue::Scalar(Scalar::String("2026-01-01".into())),
        placement: None,
        function: None,
    }];
    assert_eq!(
        encode_param(&f),
        "W3siY29sdW1uIjoiZGF0ZSIsIm9wZXJhdG9yIjoiZ3RlIiwidmFsdWUiOiIyMDI2LTAxLTAxIn1d"
    );
    let a = vec![AggregationRule {
        column: "revenue".into(),
        function: AggregateFunction::Sum,
    }];
    assert_eq!(
        encode_param(&a),
        "W3siY29sdW1uIjoicmV2ZW51ZSIsImZ1bmN0aW9uIjoiU1VNIn1d"
    );
    let back: Vec<FilterRule> =
        serde_json::from_str(r#"[{"column":"date","operator":"gte","value":"2026-01-01"}]"#)
            .unwrap();
    assert_eq!(back, f);
}
