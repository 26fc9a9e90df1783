use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use owox_api_client::testing::{nest_error, Reply, ReplyBody};
use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::{command, ctl, pretty, setup};

const PATH: &str = "/api/external/http-data/data-marts/dm1.ndjson";

#[tokio::test]
async fn rows_are_written_through_byte_for_byte() {
    let (server, dir, key) = setup().await;
    let body =
        "{\"id\":1,\"v\":1.0,\"big\":123456789012345678901}\n{\"id\":2,\"s\":\"\\u00e9\\/\"}\n";
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson_chunks([&body[..20], &body[20..]])],
    );
    let out = ctl(
        &["data-marts", "stream", "dm1"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, body, "")
    );
}

#[tokio::test]
async fn flags_become_the_reference_query() {
    let (server, dir, key) = setup().await;
    server.on("GET", PATH, vec![Reply::ndjson_chunks(["{}\n"])]);
    let args = [
        "data-marts",
        "stream",
        "dm1",
        "--columns",
        "*",
        "--column",
        "Revenue: net = USD",
        "--column",
        "date",
        "--filter",
        r#"[{"column":"date","operator":"gte","value":"2026-01-01"}]"#,
        "--sort",
        "[]",
        "--aggregation",
        r#"[{"column":"revenue","function":"SUM"}]"#,
        "--date-bucket",
        r#"[{"column":"date","unit":"MONTH"}]"#,
        "--limit",
        "5",
    ];
    let out = ctl(&args, &[("OWOX_API_KEY", &key)], dir.path()).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        server.requests()[1].query.as_deref(),
        Some("columns=*&column=Revenue%3A+net+%3D+USD&column=date&filter=W3siY29sdW1uIjoiZGF0ZSIsIm9wZXJhdG9yIjoiZ3RlIiwidmFsdWUiOiIyMDI2LTAxLTAxIn1d&sort=W10&aggregation=W3siY29sdW1uIjoicmV2ZW51ZSIsImZ1bmN0aW9uIjoiU1VNIn1d&dateTrunc=W3siY29sdW1uIjoiZGF0ZSIsInVuaXQiOiJNT05USCJ9XQ&limit=5")
    );
}

#[tokio::test]
async fn bad_filters_and_columns_fail_before_any_request() {
    let (server, dir, key) = setup().await;
    let env = [("OWOX_API_KEY", key.as_str())];
    let cases = [
        (
            vec!["--filter", "{bad"],
            json!({"message": "--filter must be valid JSON", "name": "OWOXConfigError"}),
        ),
        (
            vec!["--sort", "null"],
            json!({"message": "--sort must be a JSON array", "name": "OWOXConfigError"}),
        ),
        (
            vec!["--date-bucket", "{}"],
            json!({"message": "--date-bucket must be a JSON array", "name": "OWOXConfigError"}),
        ),
        (
            vec!["--columns", "**", "--column", "a"],
            json!({"message": "columns \"**\" cannot be combined with exact column values", "name": "OWOXApiError"}),
        ),
    ];
    for (flags, error) in cases {
        let mut args = vec!["data-marts", "stream", "dm1"];
        args.extend(flags);
        let out = ctl(&args, &env, dir.path()).await;
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (1, String::new(), pretty(&json!({"error": error})))
        );
    }
    assert!(server.requests().is_empty());
    // A bad key is reported before a bad filter.
    let out = ctl(
        &["data-marts", "stream", "dm1", "--filter", "{bad"],
        &[],
        dir.path(),
    )
    .await;
    assert_eq!(out.error()["error"]["name"], "OWOXConfigError");
    assert_eq!(
        out.error()["error"]["message"],
        "OWOX_API_KEY is required and must start with owox_key_"
    );
}

#[tokio::test]
async fn unknown_data_mart_is_a_404_with_the_id() {
    let (server, dir, key) = setup().await;
    let path = "/api/external/http-data/data-marts/missing.ndjson";
    server.on(
        "GET",
        path,
        vec![Reply::json(
            404,
            nest_error(404, "Not Found", "Data Mart not found", path),
        )],
    );
    let out = ctl(
        &["data-marts", "stream", "missing"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    let expected = json!({"error": {"message": "OWOX API request failed with 404 Not Found: Data Mart not found", "status": 404, "code": "Not Found", "name": "OWOXApiError",
        "details": {"dataMartId": "missing", "message": "Data Mart not found", "error": "Not Found", "statusCode": 404, "timestamp": "2026-01-01T00:00:00.000Z", "path": path}}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, String::new(), pretty(&expected))
    );
}

#[tokio::test]
async fn a_bad_line_keeps_earlier_rows_and_reports_the_error() {
    let (server, dir, key) = setup().await;
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson_chunks(["{\"a\":1}\n", "{bad json}\n"])],
    );
    let out = ctl(
        &["data-marts", "stream", "dm1"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!((out.code, out.stdout.as_str()), (1, "{\"a\":1}\n"));
    assert_eq!(
        out.error(),
        json!({"error": {"message": "Malformed NDJSON line 2 in OWOX Data Mart data stream", "name": "OWOXApiError",
            "details": {"dataMartId": "dm1", "runId": "run-42", "lineNumber": 2, "linePreview": "{bad json}"}}})
    );
}

#[tokio::test]
async fn wrong_content_type_is_an_error() {
    let (server, dir, key) = setup().await;
    server.on("GET", PATH, vec![Reply::json(200, json!({}))]);
    let out = ctl(
        &["data-marts", "stream", "dm1"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(
        out.error(),
        json!({"error": {"message": "OWOX Data Mart data stream returned an unexpected content type", "status": 200, "name": "OWOXApiError",
            "details": {"dataMartId": "dm1", "contentType": "application/json; charset=utf-8"}}})
    );
}

#[tokio::test]
async fn a_closed_stdout_ends_quietly_and_drops_the_request() {
    let (server, dir, key) = setup().await;
    let gone = Arc::new(AtomicBool::new(false));
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson(ReplyBody::Endless(
            b"{\"x\":1}\n".repeat(100),
            gone.clone(),
        ))],
    );
    let mut child = command(
        &["data-marts", "stream", "dm1"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .spawn()
    .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).await.unwrap();
    drop(stdout);
    let output = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    for _ in 0..100 {
        if gone.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the request was not dropped");
}
