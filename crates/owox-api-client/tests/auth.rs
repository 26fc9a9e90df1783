use owox_api_client::testing::{FakeServer, Reply, KEY_ID};
use owox_api_client::OwoxClient;
use serde_json::json;

use crate::setup;

#[tokio::test]
async fn exchanges_once_and_sends_both_headers_everywhere() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(200, json!([]))],
    );
    client.storages().list_json().await.unwrap();
    client.storages().list_json().await.unwrap();
    assert_eq!(
        server.request_lines(),
        [
            "POST /api/auth/api-keys/exchange",
            "GET /api/data-storages",
            "GET /api/data-storages"
        ]
    );
    let requests = server.requests();
    let exchange = &requests[0];
    assert_eq!(exchange.header("x-owox-api-key-id"), Some(KEY_ID));
    assert_eq!(exchange.header("x-owox-authorization"), None);
    assert_eq!(exchange.header("content-type"), Some("application/json"));
    assert_eq!(exchange.header("accept"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&exchange.body).unwrap();
    assert_eq!(
        body,
        json!({"apiKeySecret": owox_api_client::testing::SECRET})
    );
    for get in &requests[1..] {
        assert_eq!(get.header("x-owox-api-key-id"), Some(KEY_ID));
        assert_eq!(get.header("x-owox-authorization"), Some("Bearer token-1"));
        assert_eq!(get.header("accept"), Some("application/json"));
        assert_eq!(get.header("content-type"), None);
        assert!(get.body.is_empty());
        assert_eq!(get.header("authorization"), None);
    }
}

#[tokio::test]
async fn authenticate_is_lazy_and_idempotent() {
    let (server, client) = setup().await;
    assert!(server.requests().is_empty());
    client.authenticate().await.unwrap();
    client.authenticate().await.unwrap();
    assert_eq!(server.request_lines(), ["POST /api/auth/api-keys/exchange"]);
}

#[tokio::test]
async fn tokens_are_not_shared_between_clients() {
    let (server, client) = setup().await;
    client.authenticate().await.unwrap();
    OwoxClient::new(&server.api_key())
        .unwrap()
        .authenticate()
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_401_re_exchanges_once_and_replays() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(200, json!([{"id": "s1"}]))],
    );
    client.authenticate().await.unwrap();
    server.expire_tokens();
    let items = client.storages().list_json().await.unwrap();
    assert_eq!(items, vec![json!({"id": "s1"})]);
    assert_eq!(
        server.request_lines(),
        [
            "POST /api/auth/api-keys/exchange",
            "GET /api/data-storages",
            "POST /api/auth/api-keys/exchange",
            "GET /api/data-storages"
        ]
    );
    assert_eq!(
        server.requests()[3].header("x-owox-authorization"),
        Some("Bearer token-2")
    );
}

#[tokio::test]
async fn a_second_401_is_an_auth_error() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(
            401,
            json!({"statusCode": 401, "message": "Authentication failed"}),
        )],
    );
    let error = client.storages().list_json().await.unwrap_err();
    assert_eq!(error.name(), "OWOXAuthError");
    assert_eq!(
        error.message(),
        "OWOX API request failed with 401 Unauthorized: Authentication failed"
    );
    assert_eq!(error.status(), Some(401));
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_403_is_not_retried() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(
            403,
            json!({"statusCode": 403, "message": "Access denied by api key"}),
        )],
    );
    let error = client.storages().list_json().await.unwrap_err();
    assert_eq!(error.name(), "OWOXApiError");
    assert_eq!(
        error.message(),
        "OWOX API request failed with 403 Forbidden: Access denied by api key"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn wrong_secret_fails_the_exchange_with_the_recorded_body() {
    let server = FakeServer::start().await;
    let client = OwoxClient::new(&server.api_key_with_secret("wrong")).unwrap();
    let error = client.storages().list_json().await.unwrap_err();
    assert_eq!(error.name(), "OWOXAuthError");
    assert_eq!(
        error.message(),
        "OWOX API request failed with 401 Unauthorized: Unauthorized"
    );
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.code(), None);
    assert_eq!(
        error.details().unwrap()["path"],
        "/api/auth/api-keys/exchange"
    );
    assert_eq!(server.request_lines(), ["POST /api/auth/api-keys/exchange"]);
}

#[tokio::test]
async fn unreachable_origin_is_a_network_error() {
    let client = OwoxClient::new(
        &owox_api_client::ApiKeyParts {
            api_origin: "http://127.0.0.1:1".into(),
            api_key_id: KEY_ID.into(),
            api_key_secret: "s".into(),
        }
        .encode(),
    )
    .unwrap();
    let error = client.authenticate().await.unwrap_err();
    assert_eq!(error.name(), "OWOXApiError");
    assert_eq!(error.code(), Some("NETWORK_ERROR"));
    assert_eq!(error.status(), None);
    assert_eq!(
        error.message(),
        "Unable to reach OWOX Data Marts API at http://127.0.0.1:1. Check the apiOrigin inside OWOX_API_KEY and network connectivity."
    );
}

#[tokio::test]
async fn redirects_are_refused() {
    let (server, client) = setup().await;
    server.on(
        "GET",
        "/api/data-storages",
        vec![Reply::json(302, json!({})).header("location", "/api/elsewhere")],
    );
    let error = client.storages().list_json().await.unwrap_err();
    assert_eq!(error.code(), Some("NETWORK_ERROR"));
    assert_eq!(
        server.request_lines(),
        ["POST /api/auth/api-keys/exchange", "GET /api/data-storages"]
    );
}

#[tokio::test]
async fn an_exchange_without_a_token_is_an_auth_error() {
    let (server, client) = setup().await;
    server.on(
        "POST",
        "/api/auth/api-keys/exchange",
        vec![Reply::json(200, json!({"accessTokenExpiresIn": 900}))],
    );
    let error = client.authenticate().await.unwrap_err();
    assert_eq!(error.name(), "OWOXAuthError");
    assert_eq!(
        error.message(),
        "OWOX authentication response did not include an access token"
    );
    assert_eq!(error.status(), Some(200));
    assert_eq!(error.details(), Some(&json!({"accessTokenExpiresIn": 900})));
    server.on(
        "POST",
        "/api/auth/api-keys/exchange",
        vec![Reply::json(500, json!({"message": "boom"}))],
    );
    let error = client.authenticate().await.unwrap_err();
    assert_eq!(error.name(), "OWOXAuthError");
    assert_eq!(
        error.message(),
        "OWOX API request failed with 500 Internal Server Error: boom"
    );
}
