use owox_api_client::testing::Reply;
use serde_json::json;

use crate::{ctl, pretty, recorded, setup};

#[tokio::test]
async fn authenticated_status_prints_the_documented_object() {
    let (server, dir, key) = setup().await;
    server.on(
        "GET",
        "/api/auth/context",
        vec![Reply::json(200, recorded("authContext"))],
    );
    let out = ctl(&["status"], &[("OWOX_API_KEY", &key)], dir.path()).await;
    let expected = json!({
        "apiOrigin": server.origin, "apiKeyId": "pmk_AbCdEfGhIjKlMnOpQrStUv", "authenticated": true, "envFile": null,
        "project": {"id": "0", "title": null},
        "member": {"userId": "0", "email": "admin@localhost", "fullName": "Admin", "avatar": null, "roles": ["admin"]}
    });
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, pretty(&expected).as_str(), "")
    );
    assert!(!out.stdout.contains(&key) && !out.stdout.contains("authFlow"));
}

#[tokio::test]
async fn missing_key_is_reported_on_stdout() {
    let (_server, dir, _) = setup().await;
    let out = ctl(&["status"], &[], dir.path()).await;
    let expected = json!({"apiOrigin": null, "apiKeyId": null, "authenticated": false, "envFile": null,
        "error": {"message": "OWOX_API_KEY is required and must start with owox_key_", "name": "OWOXConfigError"}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, pretty(&expected), String::new())
    );
}

#[tokio::test]
async fn wrong_secret_is_an_auth_error_without_code() {
    let (server, dir, _) = setup().await;
    let out = ctl(
        &["status"],
        &[("OWOX_API_KEY", &server.api_key_with_secret("wrong"))],
        dir.path(),
    )
    .await;
    let expected = json!({"apiOrigin": server.origin, "apiKeyId": "pmk_AbCdEfGhIjKlMnOpQrStUv", "authenticated": false, "envFile": null,
        "error": {"message": "OWOX API request failed with 401 Unauthorized: Unauthorized", "name": "OWOXAuthError", "status": 401}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, pretty(&expected), String::new())
    );
}

#[tokio::test]
async fn a_missing_context_endpoint_falls_back_to_the_exchange() {
    let (server, dir, key) = setup().await;
    let out = ctl(&["status"], &[("OWOX_API_KEY", &key)], dir.path()).await;
    let expected = json!({"apiOrigin": server.origin, "apiKeyId": "pmk_AbCdEfGhIjKlMnOpQrStUv", "authenticated": true, "envFile": null});
    assert_eq!((out.code, out.stdout), (0, pretty(&expected)));
    assert_eq!(
        server.request_lines(),
        ["POST /api/auth/api-keys/exchange", "GET /api/auth/context"]
    );
}

#[tokio::test]
async fn env_files_load_and_the_process_environment_wins() {
    let (server, dir, key) = setup().await;
    server.on(
        "GET",
        "/api/auth/context",
        vec![Reply::json(200, recorded("authContext"))],
    );
    std::fs::write(
        dir.path().join(".env"),
        format!("# creds\nOWOX_API_KEY=\"{key}\"\n"),
    )
    .unwrap();
    let out = ctl(&["status"], &[], dir.path()).await;
    assert_eq!(out.code, 0, "{out:?}");
    let env_file = dir.path().canonicalize().unwrap().join(".env");
    assert_eq!(out.json()["envFile"], json!(env_file.to_string_lossy()));

    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join("sub/other.env"),
        "OWOX_API_KEY=owox_key_garbage\n",
    )
    .unwrap();
    let out = ctl(
        &["status", "-e", "sub/other.env"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.json()["envFile"]
        .as_str()
        .unwrap()
        .ends_with("/sub/other.env"));
    // A blank process value does not count as set.
    let out = ctl(
        &["status", "--env-file=sub/other.env"],
        &[("OWOX_API_KEY", " ")],
        dir.path(),
    )
    .await;
    assert_eq!(
        out.json()["error"]["message"],
        "OWOX_API_KEY must contain a valid JSON payload"
    );
}

#[tokio::test]
async fn a_missing_explicit_env_file_is_an_error() {
    let (_server, dir, key) = setup().await;
    let out = ctl(
        &["status", "-e", "missing.env"],
        &[("OWOX_API_KEY", &key)],
        dir.path(),
    )
    .await;
    let expected = json!({"error": {"message": "Failed to load environment file: missing.env", "name": "OWOXConfigError"}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, String::new(), pretty(&expected))
    );
}
