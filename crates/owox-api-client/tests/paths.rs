use owox_api_client::path::{validate_api_path, UNSAFE_PATH_MESSAGE};
use owox_api_client::Error;

use crate::setup;

#[test]
fn the_reference_conformance_list() {
    let long_ok = format!("/api/{}", "a".repeat(2043));
    for path in [
        "/api/data-marts",
        "/api/data-marts?limit=10",
        "/api/%E2%9C%93",
        long_ok.as_str(),
    ] {
        assert!(validate_api_path(path).is_ok(), "{path}");
    }
    let long_bad = format!("/api/{}", "a".repeat(2044));
    let rejected = [
        "//evil.example/x",
        "https://evil.example/x",
        "https://127.0.0.1/api/data-marts",
        "/auth/context",
        "/api",
        "/api/../auth/context",
        "/api/data-marts/../auth/context",
        "/api/%2e%2e/auth/context",
        "/api/%25%32%65%25%32%65/auth/context",
        "/api/%252e%252e/auth/context",
        "/api/%zz/auth/context",
        "/api/%E0%A4%A",
        "/api/data%2fmarts",
        "/api/data%5cmarts",
        "/api\\data-marts",
        long_bad.as_str(),
    ];
    for path in rejected {
        match validate_api_path(path) {
            Err(Error::Config { message }) => assert_eq!(message, UNSAFE_PATH_MESSAGE, "{path}"),
            other => panic!("{path} should be rejected, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_unsafe_path_never_reaches_the_network() {
    let (server, client) = setup().await;
    let error = client
        .get_json("/api/../auth/context", &[])
        .await
        .unwrap_err();
    assert_eq!(error.name(), "OWOXConfigError");
    assert_eq!(error.message(), UNSAFE_PATH_MESSAGE);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn query_values_use_form_encoding() {
    let (server, client) = setup().await;
    let query = [("q".to_owned(), "a b:c,d*".to_owned())];
    let _ = client.get_json("/api/search?x=1", &query).await;
    assert_eq!(
        server.requests()[1].target(),
        "/api/search?x=1&q=a+b%3Ac%2Cd*"
    );
}
