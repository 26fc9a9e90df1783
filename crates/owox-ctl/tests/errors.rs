use serde_json::json;

use crate::{ctl, pretty, setup};

#[tokio::test]
async fn missing_and_malformed_keys() {
    let (server, dir, _) = setup().await;
    let out = ctl(&["data-marts", "list"], &[], dir.path()).await;
    let expected = json!({"error": {"message": "OWOX_API_KEY is required and must start with owox_key_", "name": "OWOXConfigError"}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, String::new(), pretty(&expected))
    );
    let out = ctl(
        &["storages", "list"],
        &[("OWOX_API_KEY", "owox_key_abc=")],
        dir.path(),
    )
    .await;
    let expected = json!({"error": {"message": "OWOX_API_KEY must contain a valid base64url payload", "name": "OWOXConfigError"}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, String::new(), pretty(&expected))
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn wrong_secret_on_a_list() {
    let (server, dir, _) = setup().await;
    let out = ctl(
        &["destinations", "list"],
        &[("OWOX_API_KEY", &server.api_key_with_secret("nope"))],
        dir.path(),
    )
    .await;
    assert_eq!(out.code, 1);
    let error = &out.error()["error"];
    assert_eq!(
        error["message"],
        "OWOX API request failed with 401 Unauthorized: Unauthorized"
    );
    assert_eq!(error["status"], 401);
    assert_eq!(error["name"], "OWOXAuthError");
    assert_eq!(error["details"]["statusCode"], 401);
    let keys: Vec<_> = error.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["message", "status", "name", "details"]);
}

#[tokio::test]
async fn parse_errors_are_json_except_for_streams_and_unknown_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = ctl(&["data-marts", "list", "--unknown"], &[], dir.path()).await;
    let expected = json!({"error": {"message": "Nonexistent flag: --unknown\nSee more help with --help", "name": "Error"}});
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (1, String::new(), pretty(&expected))
    );
    let out = ctl(&["nope"], &[], dir.path()).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (2, " ›   Error: command nope not found\n")
    );
    let out = ctl(&["status", "extra"], &[], dir.path()).await;
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (2, " ›   Error: command status:extra not found\n")
    );
    let out = ctl(&["-v"], &[], dir.path()).await;
    assert_eq!(out.code, 2);
    for args in [
        &["data-marts", "stream"][..],
        &["data-marts", "stream", "dm", "--limit", "0"][..],
        &["data-marts", "stream", "dm", "--columns", "x"][..],
    ] {
        let out = ctl(args, &[], dir.path()).await;
        assert_eq!((out.code, out.stdout.as_str()), (2, ""), "{args:?}");
        assert!(out.stderr.starts_with("error:"), "{args:?}: {}", out.stderr);
    }
}
