use owox_api_client::testing::Reply;
use serde_json::json;

use crate::{recorded, setup};

#[tokio::test]
async fn nest_404_uses_error_as_code_and_the_body_as_details() {
    let (server, client) = setup().await;
    let body = recorded("dataMart404");
    server.on(
        "GET",
        "/api/data-marts/does-not-exist",
        vec![Reply::json(404, body.clone())],
    );
    let error = client
        .get_json("/api/data-marts/does-not-exist", &[])
        .await
        .unwrap_err();
    assert_eq!(error.name(), "OWOXApiError");
    assert_eq!(
        error.message(),
        "OWOX API request failed with 404 Not Found: Data Mart with id does-not-exist and projectId 0 not found"
    );
    assert_eq!(error.code(), Some("Not Found"));
    assert_eq!(error.details(), Some(&body));
}

#[tokio::test]
async fn business_violation_uses_error_details() {
    let (server, client) = setup().await;
    let body = recorded("businessViolation");
    server.on("GET", "/api/x", vec![Reply::json(400, body.clone())]);
    let error = client.get_json("/api/x", &[]).await.unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX API request failed with 400 Bad Request: Invalid credentials"
    );
    assert_eq!(error.code(), None);
    assert_eq!(error.details(), Some(&body["errorDetails"]));
}

#[tokio::test]
async fn storage_envelope_with_code_and_details() {
    let (server, client) = setup().await;
    let body = json!({"code": "STORAGE_PERMISSION_DENIED", "message": "Storage dependency failed", "details": {"providerStatusCode": 403}, "statusCode": 424});
    server.on("GET", "/api/x", vec![Reply::json(424, body)]);
    let error = client.get_json("/api/x", &[]).await.unwrap_err();
    assert_eq!(
        error.message(),
        "OWOX API request failed with 424 Failed Dependency: Storage dependency failed"
    );
    assert_eq!(error.code(), Some("STORAGE_PERMISSION_DENIED"));
    assert_eq!(error.details(), Some(&json!({"providerStatusCode": 403})));
}

#[tokio::test]
async fn validation_arrays_and_text_bodies() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/a",
        vec![Reply::json(
            400,
            json!({"message": ["x must be a string"], "error": "Bad Request"}),
        )],
    );
    server.on(
        "GET",
        "/api/b",
        vec![Reply::bytes(500, "text/plain", "boom")],
    );
    server.on(
        "GET",
        "/api/c",
        vec![Reply::bytes(502, "application/json", "{not json")],
    );
    server.on(
        "GET",
        "/api/d",
        vec![Reply::json(
            500,
            json!({"message": "m", "details": null, "errorDetails": 1}),
        )],
    );
    let a = client.get_json("/api/a", &[]).await.unwrap_err();
    assert_eq!(a.message(), "OWOX API request failed with 400 Bad Request");
    assert_eq!(a.code(), Some("Bad Request"));
    let b = client.get_json("/api/b", &[]).await.unwrap_err();
    assert_eq!(
        b.message(),
        "OWOX API request failed with 500 Internal Server Error"
    );
    assert_eq!(b.details(), Some(&json!("boom")));
    let c = client.get_json("/api/c", &[]).await.unwrap_err();
    assert_eq!(c.details(), Some(&json!("{not json")));
    let d = client.get_json("/api/d", &[]).await.unwrap_err();
    assert_eq!(d.details(), Some(&json!(null)));
}

#[tokio::test]
async fn empty_and_text_success_bodies() {
    let (server, client) = setup().await;
    server.on("DELETE", "/api/x", vec![Reply::no_content()]);
    server.on(
        "GET",
        "/api/t",
        vec![Reply::bytes(200, "text/html", "<p>hi</p>")],
    );
    assert_eq!(client.delete_json("/api/x").await.unwrap(), None);
    assert_eq!(
        client.get_json("/api/t", &[]).await.unwrap(),
        Some(json!("<p>hi</p>"))
    );
}
