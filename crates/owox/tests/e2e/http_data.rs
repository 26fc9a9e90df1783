//! Issue: HTTP Data NDJSON streams (first slice: the data-mart endpoint).

use serde_json::{json, Value};

use crate::support::{client, Server, Session};

pub fn b64(v: Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

pub async fn stream(s: &Session, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", s.base))
        .header("x-owox-authorization", format!("Bearer {}", s.token))
        .header("x-owox-api-key-id", &s.key_id)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn streams_rows_with_output_controls() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let sql = "SELECT i AS id, 'name ' || i AS \"full, name\", CAST(i AS DECIMAL(10,2)) / 4 AS amount, 9007199254740993 + i AS big, DATE '2024-01-01' + CAST(i AS INTEGER) AS day FROM range(10) t(i)";
    let id = s.published_mart("stream", sql).await;

    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/x-ndjson; charset=utf-8"
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers().get("content-encoding").is_none(),
        "NDJSON is never compressed"
    );
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    assert_eq!(run_id.len(), 36);
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10);
    assert!(text.ends_with('\n'));
    let first: Value = serde_json::from_str(lines[0]).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "full, name", "amount", "big", "day"]);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"big\":9007199254740993,")),
        "exact beyond 2^53: {text}"
    );
    let run = wait_for_run(&server, &run_id).await;
    assert_eq!(run.0, "SUCCESS");
    let params: Value = serde_json::from_str(run.2.as_deref().unwrap()).unwrap();
    assert_eq!(params["httpData"]["rowCount"], 10);
    assert!(params["httpData"]["executionSqlQuery"]
        .as_str()
        .unwrap()
        .contains("SELECT"));
    assert_eq!(params["httpData"]["bytesWritten"], text.len());

    // The run history shows the stream.
    let (status, list) = s.get(&format!("/api/data-marts/{id}/runs")).await;
    assert_eq!(status, 200, "{list}");
    let latest = &list["runs"][0];
    assert_eq!(latest["id"], run_id.as_str());
    assert_eq!(
        (
            latest["status"].as_str(),
            latest["type"].as_str(),
            latest["runType"].as_str()
        ),
        (Some("SUCCESS"), Some("HTTP_DATA"), Some("manual"))
    );
    assert_eq!(latest["additionalParams"]["httpData"]["format"], "ndjson");
    // Totals are computed after the last byte and shown at the top level.
    let totals = latest["totals"]
        .as_object()
        .unwrap_or_else(|| panic!("{latest}"));
    assert_eq!(totals["id | SUM"], json!(45), "{totals:?}");
    // No limit and no grouping: the streamed rows are the totals' rows, so no second query.
    assert_eq!(
        latest["additionalParams"]["httpData"]["totalsSource"],
        "stream"
    );
    assert_eq!(
        totals["big | MAX"],
        json!(9007199254741002u64),
        "{totals:?}"
    );
    // The same request with a limit computes the same totals by the totals query: the two
    // paths agree value for value and type for type.
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?limit=1"),
    )
    .await;
    let queried_run = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    assert_eq!(r.text().await.unwrap().lines().count(), 1);
    wait_for_run(&server, &queried_run).await;
    let (_, queried) = s
        .get(&format!("/api/data-marts/{id}/runs/{queried_run}"))
        .await;
    assert_eq!(
        queried["additionalParams"]["httpData"]["totalsSource"],
        "query"
    );
    assert_eq!(&queried["totals"], &latest["totals"]);
    assert_eq!(totals.len(), 12, "{totals:?}");
    assert!(latest["additionalParams"]["httpData"]
        .get("totals")
        .is_none());
    let (status, detail) = s.get(&format!("/api/data-marts/{id}/runs/{run_id}")).await;
    assert_eq!((status, &detail["id"]), (200, &json!(run_id)));
    assert!(detail.as_object().unwrap().contains_key("dataQuality"));
    let (status, history) = s.get("/api/data-marts/runs?limit=5").await;
    assert_eq!(status, 200);
    assert_eq!(history["runs"][0]["dataMart"]["title"], "stream");
    let (status, _) = s.get(&format!("/api/data-marts/{id}/runs/nope")).await;
    assert_eq!(status, 404);

    // Columns, filter, sort and limit.
    let filter = b64(json!([{"column": "id", "operator": "gte", "value": 3}]));
    let sort = b64(json!([{"column": "id", "direction": "desc"}]));
    let path = format!("/api/external/http-data/data-marts/{id}.ndjson?column=id&column=full,%20name&filter={filter}&sort={sort}&limit=2");
    let r = stream(&s, &path).await;
    let limited_run = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    let text = r.text().await.unwrap();
    assert_eq!(
        text,
        "{\"id\":9,\"full, name\":\"name 9\"}\n{\"id\":8,\"full, name\":\"name 8\"}\n"
    );
    // With a limit the totals still cover every filtered row: they come from the query.
    wait_for_run(&server, &limited_run).await;
    let (_, run) = s
        .get(&format!("/api/data-marts/{id}/runs/{limited_run}"))
        .await;
    assert_eq!(
        run["additionalParams"]["httpData"]["totalsSource"], "query",
        "{run}"
    );
    assert_eq!(run["totals"]["id | SUM"], json!(42), "{run}");

    // Aggregation labels.
    let aggregation = b64(json!([{"column": "id", "function": "SUM"}]));
    let text = stream(
        &s,
        &format!(
            "/api/external/http-data/data-marts/{id}.ndjson?column=id&aggregation={aggregation}"
        ),
    )
    .await
    .text()
    .await
    .unwrap();
    let row: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(row["id | SUM"], json!(45), "{text}");
    assert_eq!(row["Row Count"], json!(10), "{text}");
}

#[tokio::test]
async fn stream_errors_follow_the_reference() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = s.published_mart("stream", "SELECT 1 AS a").await;

    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?offset=1"),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?column=nope"),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["message"], "Unknown column: nope");
    let r = stream(
        &s,
        "/api/external/http-data/data-marts/does-not-exist.ndjson",
    )
    .await;
    assert_eq!(r.status(), 404);
    let r = stream(&s, &format!("/api/external/http-data/data-marts/{id}")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        format!("Cannot GET /api/external/http-data/data-marts/{id}")
    );
    let r = client()
        .get(format!(
            "{}/api/external/http-data/data-marts/{id}.ndjson",
            s.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let draft_id = s.draft_mart("draft").await;
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{draft_id}.NDJSON"),
    )
    .await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"],
        format!("Data Mart {draft_id} not found")
    );
}

#[tokio::test]
async fn a_client_that_goes_away_does_not_hold_the_server() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = huge_mart(&s).await;
    for _ in 0..3 {
        let (mut r, run_id) = open_stream(&s, &id).await;
        let chunk = r.chunk().await.unwrap().unwrap();
        assert!(!chunk.is_empty());
        drop(r);
        let run = wait_for_run(&server, &run_id).await;
        assert_eq!(run.0, "FAILED");
        assert_eq!(
            run.1.as_deref(),
            Some(r#"["Client disconnected before stream completion"]"#)
        );
    }
    // The server still answers promptly after abandoning three 100M-row streams.
    let (status, _) = s.get("/api/auth/context").await;
    assert_eq!(status, 200);
}

/// The run record once the stream has ended it (it is RUNNING until then).
pub async fn wait_for_run(
    server: &Server,
    run_id: &str,
) -> (String, Option<String>, Option<String>) {
    let store = server.store().await;
    for _ in 0..400 {
        if let Some(run) = store.get_run("0", run_id).await.unwrap() {
            if run.0 != "RUNNING" {
                return run;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("run {run_id} was not recorded");
}

#[tokio::test]
async fn a_running_stream_can_be_cancelled() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = huge_mart(&s).await;
    let (mut r, run_id) = open_stream(&s, &id).await;
    assert!(!r.chunk().await.unwrap().unwrap().is_empty());
    let (status, run) = s.get(&format!("/api/data-marts/{id}/runs/{run_id}")).await;
    assert_eq!(
        (status, run["status"].as_str()),
        (200, Some("RUNNING")),
        "{run}"
    );

    let (status, body) = s
        .post(
            &format!("/api/data-marts/{id}/runs/{run_id}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(
        ends_truncated(&mut r).await,
        "a cancelled stream must not end cleanly"
    );
    let (_, run) = s.get(&format!("/api/data-marts/{id}/runs/{run_id}")).await;
    assert_eq!(run["status"], "CANCELLED");
    assert_eq!(run["errors"], json!(["Cancelled by user"]));
    let (status, _) = s
        .post(
            &format!("/api/data-marts/{id}/runs/{run_id}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = s
        .post(&format!("/api/data-marts/{id}/runs/nope/cancel"), json!({}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_query_that_runs_too_long_is_stopped() {
    let server = Server::start(&[("QUERY_TIMEOUT_SECONDS", "1")]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = huge_mart(&s).await;
    let (mut r, run_id) = open_stream(&s, &id).await;
    assert!(
        ends_truncated(&mut r).await,
        "a stopped query must not end cleanly"
    );
    let run = wait_for_run(&server, &run_id).await;
    assert_eq!(run.0, "FAILED");
    assert_eq!(
        run.1.as_deref(),
        Some(r#"["Query timeout of 1 s exceeded (QUERY_TIMEOUT_SECONDS)"]"#)
    );
}

/// Reads a body to its end; true when it ended without a clean end (an error), as a stream
/// stopped after its status does.
pub async fn ends_truncated(r: &mut reqwest::Response) -> bool {
    loop {
        match r.chunk().await {
            Ok(Some(_)) => continue,
            Ok(None) => return false,
            Err(_) => return true,
        }
    }
}

#[tokio::test]
async fn shutdown_ends_running_streams_and_the_server_exits() {
    let mut server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = huge_mart(&s).await;
    let (mut r, _) = open_stream(&s, &id).await;
    assert!(!r.chunk().await.unwrap().unwrap().is_empty());
    let pid = server.pid().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(
        ends_truncated(&mut r).await,
        "a stream cut by shutdown must not end cleanly"
    );
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}

/// A published data mart of 100 million rows: more than any test reads, so its streams are
/// still running when the test cancels, times out, disconnects or shuts down.
async fn huge_mart(s: &Session) -> String {
    s.published_mart(
        "stream",
        "SELECT i, repeat('x', 100) AS pad FROM range(100000000) t(i)",
    )
    .await
}

/// Starts streaming a data mart: the 200 response and its run id.
async fn open_stream(s: &Session, id: &str) -> (reqwest::Response, String) {
    let r = stream(
        s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    (r, run_id)
}

#[tokio::test]
async fn streams_are_counted_in_the_metrics() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let id = s
        .published_mart("counted", "SELECT i FROM range(5000) t(i)")
        .await;
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson"),
    )
    .await;
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    let body = r.bytes().await.unwrap();
    assert_eq!(wait_for_run(&server, &run_id).await.0, "SUCCESS");
    let huge = huge_mart(&s).await;
    let (mut r, abandoned) = open_stream(&s, &huge).await;
    r.chunk().await.unwrap().unwrap();
    drop(r);
    assert_eq!(wait_for_run(&server, &abandoned).await.0, "FAILED");

    // The counters move right after the run record is written: poll briefly.
    let mut metrics = server.metrics().await;
    for _ in 0..40 {
        if metrics.get(r#"http_data_stream_duration_seconds_count{status="FAILED"}"#) == Some(&1.0)
            && metrics.get("http_data_active_streams") == Some(&0.0)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        metrics = server.metrics().await;
    }
    let value = |series: &str| {
        *metrics
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {metrics:?}"))
    };
    for status in ["SUCCESS", "FAILED"] {
        assert_eq!(
            value(&format!(r#"http_data_streams_total{{status="{status}"}}"#)),
            1.0
        );
        assert_eq!(
            value(&format!(
                r#"http_data_stream_duration_seconds_count{{status="{status}"}}"#
            )),
            1.0
        );
    }
    assert!(value(r#"http_data_stream_duration_seconds_sum{status="SUCCESS"}"#) > 0.0);
    assert_eq!(value("http_data_active_streams"), 0.0);
    // Both streams' rows and bytes: all of the first, some of the abandoned one.
    assert!(value("http_data_rows_total") > 5000.0);
    assert!(value("http_data_bytes_total") > body.len() as f64);
}

/// Over several batches (the first is sent before the status, the rest as they come), with a
/// column of every numeric kind the in-flight totals add up: the totals still come from the
/// stream, and they equal the totals query's value for value and type for type.
#[tokio::test]
async fn in_flight_totals_span_batches_of_every_numeric_kind() {
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let sql = "SELECT i AS id, CAST(i AS FLOAT) / 3 AS f32, CAST(i AS DOUBLE) / 7 AS f64, \
               CAST(i AS DECIMAL(12,2)) / 4 AS dec, 9007199254740993 + i AS big \
               FROM range(5000) t(i)";
    let id = s.published_mart("batches", sql).await;
    let path = format!("/api/external/http-data/data-marts/{id}.ndjson");
    let mut runs = Vec::new();
    for query in ["", "?limit=5000"] {
        let r = stream(&s, &format!("{path}{query}")).await;
        let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
        assert_eq!(r.text().await.unwrap().lines().count(), 5000);
        assert_eq!(wait_for_run(&server, &run_id).await.0, "SUCCESS");
        let (_, run) = s.get(&format!("/api/data-marts/{id}/runs/{run_id}")).await;
        runs.push(run);
    }
    let source = |run: &Value| run["additionalParams"]["httpData"]["totalsSource"].clone();
    assert_eq!(source(&runs[0]), "stream", "{}", runs[0]);
    assert_eq!(source(&runs[1]), "query", "{}", runs[1]);
    assert_eq!(runs[0]["totals"], runs[1]["totals"]);
    assert_eq!(runs[0]["totals"]["id | SUM"], json!(12497500));
}
