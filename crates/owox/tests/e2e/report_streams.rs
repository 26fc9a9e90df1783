//! Issue 8 (part): `GET /api/external/http-data/reports/{id}.ndjson`. A report streams, row for
//! row, what the data mart stream gives for the same controls, on DuckDB and PostgreSQL
//! storages; only `limit` may be passed and it overrides the saved limit; every request is one
//! HTTP_DATA run naming the report, with its SQL.

use serde_json::{json, Value};

use crate::http_data::{b64, stream, wait_for_run};
use crate::postgres::{postgres_storage, published, Fixture};
use crate::reports::{body, destination, SQL};
use crate::support::{Server, Session};

/// One report's controls, and the same as data mart stream parameters.
struct Case {
    report: Value,
    query: String,
    sorted: bool,
}

fn case(report: Value) -> Case {
    let mut q: Vec<String> = Vec::new();
    if let Some(columns) = report["columnConfig"].as_array() {
        for c in columns {
            q.push(format!("column={}", c.as_str().unwrap()));
        }
    }
    for (field, param) in [
        ("filterConfig", "filter"),
        ("sortConfig", "sort"),
        ("aggregationConfig", "aggregation"),
        ("dateTruncConfig", "dateTrunc"),
    ] {
        if !report[field].is_null() {
            q.push(format!("{param}={}", b64(report[field].clone())));
        }
    }
    if let Some(limit) = report["limitConfig"].as_u64() {
        q.push(format!("limit={limit}"));
    }
    Case {
        sorted: !report["sortConfig"].is_null(),
        report,
        query: q.join("&"),
    }
}

/// Lines of a 200 stream; sorted when the order is not fixed by a sort.
async fn lines(s: &Session, path: &str, sorted: bool) -> (Vec<String>, String) {
    let r = stream(s, path).await;
    assert_eq!(r.status(), 200, "{path}");
    let run = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    let mut out: Vec<String> = r
        .text()
        .await
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    if !sorted {
        out.sort();
    }
    (out, run)
}

/// Creates each case's report and checks its stream against the data mart stream.
async fn report_equals_data_mart(
    server: &Server,
    s: &Session,
    mart: &str,
    dest: &str,
    cases: Vec<Case>,
) {
    for case in cases {
        let (status, report) = s
            .post("/api/reports", body(mart, dest, case.report.clone()))
            .await;
        assert_eq!(status, 201, "{}: {report}", case.report);
        let id = report["id"].as_str().unwrap();
        let (from_report, run) = lines(
            s,
            &format!("/api/external/http-data/reports/{id}.ndjson"),
            case.sorted,
        )
        .await;
        let (from_mart, _) = lines(
            s,
            &format!(
                "/api/external/http-data/data-marts/{mart}.ndjson?{}",
                case.query
            ),
            case.sorted,
        )
        .await;
        assert!(!from_report.is_empty(), "{}", case.report);
        assert_eq!(from_report, from_mart, "{}", case.report);
        let (status, _, params) = wait_for_run(server, &run).await;
        assert_eq!(status, "SUCCESS");
        let params: Value = serde_json::from_str(params.as_deref().unwrap()).unwrap();
        assert!(params["httpData"]["executionSqlQuery"]
            .as_str()
            .unwrap()
            .contains("SELECT"));
        assert_eq!(params["httpData"]["rowCount"], from_report.len());
    }
}

#[tokio::test]
async fn report_streams_match_data_mart_streams_on_duckdb() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let mart = s.published_mart("orders", SQL).await;
    let email = destination(&s, "EMAIL").await;
    let cases = vec![
        case(json!({})),
        case(json!({"columnConfig": ["country", "amount", "id"],
            "filterConfig": [{"column": "amount", "operator": "gte", "value": 3}, {"column": "country", "operator": "in", "value": ["DE", "PL"]}],
            "sortConfig": [{"column": "amount", "direction": "desc"}], "limitConfig": 7})),
        case(json!({"columnConfig": ["country", "amount"],
            "aggregationConfig": [{"column": "amount", "function": "SUM"}, {"column": "amount", "function": "MAX"}],
            "sortConfig": [{"column": "country", "direction": "asc"}]})),
        case(
            json!({"columnConfig": ["day", "id"], "dateTruncConfig": [{"column": "day", "unit": "MONTH"}],
            "aggregationConfig": [{"column": "id", "function": "SUM"}],
            "filterConfig": [{"column": "id", "operator": "gt", "value": 3, "function": "SUM"}],
            "sortConfig": [{"column": "day", "direction": "desc"}]}),
        ),
    ];
    report_equals_data_mart(&server, &s, &mart, &email, cases).await;

    // `limit` overrides the saved limit; nothing else may be passed.
    let (_, report) = s
        .post("/api/reports", body(&mart, &email, json!({"columnConfig": ["id"], "sortConfig": [{"column": "id", "direction": "asc"}], "limitConfig": 5})))
        .await;
    let id = report["id"].as_str().unwrap().to_string();
    let base = format!("/api/external/http-data/reports/{id}.ndjson");
    let (saved, _) = lines(&s, &base, true).await;
    assert_eq!(saved.len(), 5);
    let (two, run) = lines(&s, &format!("{base}?limit=2"), true).await;
    assert_eq!(two, ["{\"id\":0}", "{\"id\":1}"]);
    let (_, _, params) = wait_for_run(&server, &run).await;
    let params: Value = serde_json::from_str(params.as_deref().unwrap()).unwrap();
    assert_eq!(params["httpData"]["columns"], json!(["id"]));
    let (more, _) = lines(&s, &format!("{base}?limit=30"), true).await;
    assert_eq!(more.len(), 30, "the override may exceed the saved limit");
    for (query, message) in [
        ("filter=abc", "Unrecognized key(s) in object: 'filter'"),
        (
            "column=a&pageToken=1&column=b",
            "Unrecognized key(s) in object: 'column', 'pageToken'",
        ),
        ("limit=0", "limit: limit must be ≥ 1"),
        (
            "limit=x&sort=y",
            "limit: limit must be an integer; Unrecognized key(s) in object: 'sort'",
        ),
    ] {
        let r = stream(&s, &format!("{base}?{query}")).await;
        assert_eq!(r.status(), 400, "{query}");
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["message"], message, "{err}");
        assert!(err.get("errorDetails").is_none());
    }

    // The run is in the history, naming the report; a report without saved columns records
    // the header names it streamed.
    let (_, all) = s
        .post(
            "/api/reports",
            body(&mart, &email, json!({"limitConfig": 1})),
        )
        .await;
    let all_id = all["id"].as_str().unwrap();
    let (rows, run) = lines(
        &s,
        &format!("/api/external/http-data/reports/{all_id}.ndjson"),
        true,
    )
    .await;
    assert_eq!(rows.len(), 1);
    wait_for_run(&server, &run).await;
    let (status, detail) = s.get(&format!("/api/data-marts/{mart}/runs/{run}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        (&detail["reportId"], &detail["type"], &detail["status"]),
        (&json!(all_id), &json!("HTTP_DATA"), &json!("SUCCESS"))
    );
    assert_eq!(
        detail["additionalParams"]["httpData"]["columns"],
        json!(["id", "country", "amount", "day"])
    );
    assert!(detail["additionalParams"]["httpData"]["executionSqlQuery"]
        .as_str()
        .unwrap()
        .contains("LIMIT"));

    // Unknown or deleted reports: 404 and no run.
    let (_, before) = s
        .get(&format!("/api/data-marts/{mart}/runs?limit=100"))
        .await;
    let r = stream(&s, "/api/external/http-data/reports/nope.ndjson").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        "Report with id nope not found"
    );
    s.delete(&format!("/api/reports/{id}")).await;
    let r = stream(&s, &format!("/api/external/http-data/reports/{id}.ndjson")).await;
    assert_eq!(r.status(), 404);
    let (_, after) = s
        .get(&format!("/api/data-marts/{mart}/runs?limit=100"))
        .await;
    assert_eq!(
        before["runs"].as_array().unwrap().len(),
        after["runs"].as_array().unwrap().len()
    );
    let r = crate::support::client()
        .get(format!(
            "{}/api/external/http-data/reports/{all_id}.ndjson",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn report_streams_match_data_mart_streams_on_postgres() {
    let fixture = Fixture::new(
        "CREATE TABLE orders (id bigint, amount numeric(12,2), created_at timestamptz, country text);
         INSERT INTO orders SELECT g, g * 1.25, timestamptz '2024-01-01 00:00:00+00' + g * interval '9 day', (ARRAY['DE','FR','PL'])[1 + g % 3] FROM generate_series(1, 60) g;",
    )
    .await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let storage = postgres_storage(&s, &fixture).await;
    let (mart, _) = published(
        &s,
        &storage,
        "pg orders",
        json!({"definitionType": "SQL", "definition": {"sqlQuery": "SELECT id, amount, created_at, country FROM orders"}}),
    )
    .await;
    let email = destination(&s, "EMAIL").await;
    let cases = vec![
        case(json!({})),
        case(json!({"columnConfig": ["id", "amount", "created_at"],
            "filterConfig": [{"column": "amount", "operator": "between", "value": {"from": 10, "to": 50}}],
            "sortConfig": [{"column": "created_at", "direction": "desc"}], "limitConfig": 9})),
        case(json!({"columnConfig": ["country", "amount"],
            "aggregationConfig": [{"column": "amount", "function": "SUM"}, {"column": "amount", "function": "AVG"}],
            "sortConfig": [{"column": "country", "direction": "desc"}]})),
        case(json!({"columnConfig": ["created_at", "amount"],
            "dateTruncConfig": [{"column": "created_at", "unit": "QUARTER", "timeZone": "Europe/Berlin"}],
            "aggregationConfig": [{"column": "amount", "function": "MIN"}],
            "sortConfig": [{"column": "created_at", "direction": "asc"}], "limitConfig": 3})),
    ];
    report_equals_data_mart(&server, &s, &mart, &email, cases).await;
    let (_, report) = s
        .post("/api/reports", body(&mart, &email, json!({"columnConfig": ["id"], "sortConfig": [{"column": "id", "direction": "asc"}], "limitConfig": 4})))
        .await;
    let (rows, _) = lines(
        &s,
        &format!(
            "/api/external/http-data/reports/{}.ndjson?limit=2",
            report["id"].as_str().unwrap()
        ),
        true,
    )
    .await;
    assert_eq!(rows, ["{\"id\":1}", "{\"id\":2}"]);
    drop(server);
    fixture.drop_schema().await;
}
