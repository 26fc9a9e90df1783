use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use owox_api_client::testing::{nest_error, Reply, ReplyBody};
use owox_api_client::{ColumnSet, TraversalOptions};
use serde_json::json;

use crate::setup;

const PATH: &str = "/api/external/http-data/data-marts/dm%201.ndjson";

#[tokio::test]
async fn rows_come_in_chunks_per_read_and_split_lines_join() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson_chunks([
            "{\"a\":1}\n{\"a\":2}\n{\"a\"",
            ":3}\n\n{\"b\":\"x\"}",
        ])],
    );
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    assert_eq!(traversal.run_id(), Some("run-42"));
    let chunks: Vec<_> = traversal.row_chunks().unwrap().try_collect().await.unwrap();
    let sizes: Vec<_> = chunks.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 1, 1]);
    assert_eq!(
        serde_json::to_value(&chunks[2][0]).unwrap(),
        json!({"b": "x"})
    );
    let request = &server.requests()[1];
    assert_eq!(request.header("accept"), Some("application/x-ndjson"));
    assert_eq!(request.query, None);
    let again = traversal.row_chunks().err().unwrap();
    assert_eq!(
        again.message(),
        "OWOX Data Mart data stream can only be traversed once"
    );
    assert_eq!(
        again.details(),
        Some(&json!({"dataMartId": "dm 1", "runId": "run-42"}))
    );
}

#[tokio::test]
async fn raw_chunks_pass_bytes_through_unchanged() {
    let (server, client) = setup().await;
    let body = "{\"n\":1.0,\"big\":12345678901234567890123}\n{\"s\":\"\\u00e9\"}\n";
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson_chunks([body, "{\"tail\":true}"])],
    );
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    let chunks: Vec<_> = traversal.raw_chunks().unwrap().try_collect().await.unwrap();
    let bytes: Vec<u8> = chunks.iter().flat_map(|c| c.bytes.to_vec()).collect();
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        format!("{body}{{\"tail\":true}}\n")
    );
    assert_eq!(chunks.iter().map(|c| c.rows).sum::<usize>(), 3);
}

#[tokio::test]
async fn malformed_and_non_object_lines() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson_chunks(["{\"a\":1}\n\n{bad json}\n"])],
    );
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    let error = traversal
        .row_chunks()
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "Malformed NDJSON line 2 in OWOX Data Mart data stream"
    );
    assert_eq!(
        error.details(),
        Some(
            &json!({"dataMartId": "dm 1", "runId": "run-42", "lineNumber": 2, "linePreview": "{bad json}"})
        )
    );
    server.on("GET", PATH, vec![Reply::ndjson_chunks(["[1]\n"])]);
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    let error = traversal
        .raw_chunks()
        .unwrap()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(error.message(), "NDJSON line 1 is not a JSON object");
    assert_eq!(
        error.details(),
        Some(&json!({"dataMartId": "dm 1", "runId": "run-42", "lineNumber": 1}))
    );
}

#[tokio::test]
async fn wrong_content_type_is_rejected_for_data_marts_only() {
    let (server, client) = setup().await;
    server.on("GET", PATH, vec![Reply::json(200, json!({"rows": []}))]);
    let error = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX Data Mart data stream returned an unexpected content type"
    );
    assert_eq!(error.status(), Some(200));
    assert_eq!(
        error.details(),
        Some(&json!({"dataMartId": "dm 1", "contentType": "application/json; charset=utf-8"}))
    );
    server.on(
        "GET",
        "/api/external/http-data/reports/r1.ndjson?limit=2",
        vec![Reply::bytes(200, "text/plain", "{\"r\":1}\n")],
    );
    let mut traversal = client.reports().traverse_data("r1", Some(2)).await.unwrap();
    let rows: Vec<_> = traversal.row_chunks().unwrap().try_collect().await.unwrap();
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn open_errors_gain_the_id() {
    let (server, client) = setup().await;
    server.on("GET", PATH, vec![Reply::json(424, json!({"code": "STORAGE_PERMISSION_DENIED", "message": "Storage dependency failed", "details": {"providerStatusCode": 403}}))]);
    let error = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX API request failed with 424 Failed Dependency: Storage dependency failed"
    );
    assert_eq!(
        error.details(),
        Some(&json!({"dataMartId": "dm 1", "providerStatusCode": 403}))
    );
    let path = "/api/external/http-data/data-marts/nope.ndjson";
    let body = nest_error(404, "Not Found", "Data Mart not found", path);
    server.on("GET", path, vec![Reply::json(404, body.clone())]);
    let error = client
        .data_marts()
        .traverse_data("nope", &TraversalOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert_eq!(error.details().unwrap()["dataMartId"], "nope");
    assert_eq!(error.details().unwrap()["error"], "Not Found");
    server.on(
        "GET",
        "/api/external/http-data/reports/r.ndjson",
        vec![Reply::bytes(500, "text/plain", "oops")],
    );
    let error = client.reports().traverse_data("r", None).await.unwrap_err();
    assert_eq!(
        error.details(),
        Some(&json!({"reportId": "r", "details": "oops"}))
    );
}

#[tokio::test]
async fn the_query_is_built_in_order_and_checked_before_the_network() {
    let (server, client) = setup().await;
    let bad = TraversalOptions {
        columns: Some(ColumnSet::WithBlended),
        column: vec!["a".into()],
        ..Default::default()
    };
    let error = client
        .data_marts()
        .traverse_data("dm 1", &bad)
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        "columns \"**\" cannot be combined with exact column values"
    );
    assert_eq!(error.name(), "OWOXApiError");
    assert!(server.requests().is_empty());
    server.on("GET", PATH, vec![Reply::ndjson_chunks(["{}\n"])]);
    let options = TraversalOptions {
        columns: Some(ColumnSet::Native),
        column: vec!["Revenue: net = USD".into(), "".into()],
        filter: Some(json!([{"column":"date","operator":"gte","value":"2026-01-01"}])),
        sort: Some(json!(null)),
        aggregation: Some(json!([{"column":"revenue","function":"SUM"}])),
        date_trunc: Some(json!([])),
        limit: Some(10),
    };
    client
        .data_marts()
        .traverse_data("dm 1", &options)
        .await
        .unwrap()
        .cancel();
    assert_eq!(
        server.requests()[1].query.as_deref(),
        Some("columns=*&column=Revenue%3A+net+%3D+USD&column=&filter=W3siY29sdW1uIjoiZGF0ZSIsIm9wZXJhdG9yIjoiZ3RlIiwidmFsdWUiOiIyMDI2LTAxLTAxIn1d&aggregation=W3siY29sdW1uIjoicmV2ZW51ZSIsImZ1bmN0aW9uIjoiU1VNIn1d&dateTrunc=W10&limit=10")
    );
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let (server, client) = setup().await;
    let gone = Arc::new(AtomicBool::new(false));
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson(ReplyBody::Endless(
            b"{\"x\":1}\n".to_vec(),
            gone.clone(),
        ))],
    );
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    let mut chunks = traversal.row_chunks().unwrap();
    assert!(!chunks.try_next().await.unwrap().unwrap().is_empty());
    drop(chunks);
    for _ in 0..100 {
        if gone.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the server never saw the client go");
}

#[tokio::test]
async fn a_cut_connection_is_a_read_failure_and_a_401_retries() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        PATH,
        vec![Reply::ndjson(ReplyBody::Truncated(
            b"{\"x\":1}\n{\"x\"".to_vec(),
        ))],
    );
    client.authenticate().await.unwrap();
    server.expire_tokens();
    let mut traversal = client
        .data_marts()
        .traverse_data("dm 1", &TraversalOptions::default())
        .await
        .unwrap();
    let mut chunks = traversal.row_chunks().unwrap();
    let mut rows = 0;
    let error = loop {
        match chunks.try_next().await {
            Ok(Some(chunk)) => rows += chunk.len(),
            Ok(None) => panic!("expected a read failure"),
            Err(error) => break error,
        }
    };
    assert_eq!(rows, 1);
    assert_eq!(error.message(), "Failed to read OWOX Data Mart data stream");
    assert_eq!(
        error.details(),
        Some(&json!({"dataMartId": "dm 1", "runId": "run-42"}))
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn an_unsafe_id_fails_to_open_without_traffic() {
    let (server, client) = setup().await;
    let error = client
        .data_marts()
        .traverse_data("a/b", &TraversalOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.message(), "Failed to open OWOX Data Mart data stream");
    assert_eq!(error.details(), Some(&json!({"dataMartId": "a/b"})));
    assert!(server.requests().is_empty());
}
