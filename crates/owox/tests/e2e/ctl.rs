//! The real `owox-ctl` binary against the real server (issue: client and CLI).

use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::support::{Key, Server, Session};

/// `owox-ctl` from the same target directory as this test binary.
fn ctl(key: &str, args: &[&str]) -> Output {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("owox-ctl");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace (cargo test --workspace builds it)",
        bin.display()
    );
    let dir = tempfile::tempdir().unwrap(); // no ./.env around
    Command::new(bin)
        .args(args)
        .env("OWOX_API_KEY", key)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn status_and_lists_work_against_the_server() {
    let server = Server::start(&[]);
    let key: Key = server.create_key(&[]);
    let out = ctl(&key.api_key, &["status"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = stdout_json(&out);
    let keys: Vec<&str> = status
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "apiOrigin",
            "apiKeyId",
            "authenticated",
            "envFile",
            "project",
            "member"
        ]
    );
    assert_eq!(status["authenticated"], true);
    assert_eq!(status["apiKeyId"], key.id.as_str());
    assert_eq!(
        status["project"],
        json!({"id": "0", "title": "OWOX Data Marts"})
    );
    assert_eq!(status["member"]["roles"], json!(["admin"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains(&key.secret) && !text.contains("authFlow"),
        "{text}"
    );

    let storages = stdout_json(&ctl(&key.api_key, &["storages", "list"]));
    assert_eq!(storages[0]["type"], "DUCKDB", "{storages}");
    assert_eq!(
        stdout_json(&ctl(&key.api_key, &["destinations", "list"])),
        json!([])
    );
    assert_eq!(
        stdout_json(&ctl(&key.api_key, &["data-marts", "list"])),
        json!([])
    );
    // Our client keeps the DUCKDB storage type that the reference 0.31 client rejects.
    let session = Session::new(&server, &key).await;
    let storage = storages[0]["id"].as_str().unwrap();
    let (status, _) = session
        .post(
            "/api/data-marts",
            json!({"title": "Mart ✓", "storageId": storage}),
        )
        .await;
    assert_eq!(status, 201);
    let marts = stdout_json(&ctl(&key.api_key, &["data-marts", "list"]));
    assert_eq!(marts[0]["title"], "Mart ✓", "{marts}");
    assert_eq!(marts[0]["storage"]["type"], "DUCKDB");
}

#[test]
fn status_reports_bad_keys_with_exit_1() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let wrong = owox_contract::api_key::ApiKeyParts {
        api_origin: key.origin.clone(),
        api_key_id: key.id.clone(),
        api_key_secret: "A".repeat(43),
    }
    .encode();
    let out = ctl(&wrong, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    let status = stdout_json(&out);
    assert_eq!(status["authenticated"], false);
    assert_eq!(status["error"]["status"], 401);
    assert_eq!(status["error"]["name"], "OWOXAuthError");
    assert_eq!(
        status["error"]["message"],
        "OWOX API request failed with 401 Unauthorized: Unauthorized"
    );

    assert!(server
        .owox(&["api-keys", "revoke", &key.id])
        .status
        .success());
    let out = ctl(&key.api_key, &["storages", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["status"], 401, "{err}");

    let out = ctl("owox_key_not-base64!", &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["error"]["name"], "OWOXConfigError");
}

#[tokio::test]
async fn data_marts_stream_with_flags_and_errors() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let session = Session::new(&server, &key).await;
    let id = session
        .published_mart(
            "m",
            "SELECT i AS id, 'n' || i AS name, i % 3 AS grp FROM range(20) t(i)",
        )
        .await;

    let out = ctl(
        &key.api_key,
        &[
            "data-marts",
            "stream",
            &id,
            "--column",
            "id",
            "--column",
            "name",
            "--filter",
            r#"[{"column":"id","operator":"lt","value":5}]"#,
            "--sort",
            r#"[{"column":"id","direction":"desc"}]"#,
            "--limit",
            "3",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"id\":4,\"name\":\"n4\"}\n{\"id\":3,\"name\":\"n3\"}\n{\"id\":2,\"name\":\"n2\"}\n"
    );
    let out = ctl(
        &key.api_key,
        &[
            "data-marts",
            "stream",
            &id,
            "--column",
            "grp",
            "--column",
            "id",
            "--aggregation",
            r#"[{"column":"id","function":"SUM"}]"#,
            "--sort",
            r#"[{"column":"grp","direction":"asc"}]"#,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first, json!({"grp": 0, "id | SUM": 63, "Row Count": 7}));

    // Errors: unknown data mart, bad filter JSON, unknown column.
    let out = ctl(&key.api_key, &["data-marts", "stream", "does-not-exist"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["status"], 404, "{err}");
    let out = ctl(
        &key.api_key,
        &["data-marts", "stream", &id, "--filter", "[not json"],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--filter"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctl(
        &key.api_key,
        &["data-marts", "stream", &id, "--column", "nope"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["status"], 400, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unknown column: nope"),
        "{err}"
    );
    // No key at all.
    let out = ctl("", &["storages", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(
        err["error"]["message"],
        "OWOX_API_KEY is required and must start with owox_key_"
    );
}

#[tokio::test]
async fn runs_date_buckets_and_columns_through_the_cli() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let session = Session::new(&server, &key).await;
    let id = session
        .published_mart(
            "days",
            "SELECT DATE '2024-01-30' + CAST(i AS INTEGER) AS day, i AS n FROM range(5) t(i)",
        )
        .await;

    let out = ctl(
        &key.api_key,
        &[
            "data-marts",
            "stream",
            &id,
            "--columns",
            "*",
            "--limit",
            "2",
            "--sort",
            r#"[{"column":"n","direction":"asc"}]"#,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"day\":\"2024-01-30\",\"n\":0}\n{\"day\":\"2024-01-31\",\"n\":1}\n"
    );
    let out = ctl(
        &key.api_key,
        &[
            "data-marts",
            "stream",
            &id,
            "--column",
            "day",
            "--column",
            "n",
            "--date-bucket",
            r#"[{"column":"day","unit":"MONTH"}]"#,
            "--aggregation",
            r#"[{"column":"n","function":"SUM"}]"#,
            "--sort",
            r#"[{"column":"day","direction":"asc"}]"#,
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        rows,
        [
            json!({"day": "2024-01-01", "n | SUM": 1, "Row Count": 2}),
            json!({"day": "2024-02-01", "n | SUM": 9, "Row Count": 3})
        ]
    );

    // The streams are in the run history, through the CLI too.
    let out = ctl(&key.api_key, &["runs", "list", "--data-mart", &id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = stdout_json(&out);
    let runs = runs.as_array().unwrap_or_else(|| panic!("{runs}"));
    assert_eq!(runs.len(), 2);
    assert!(
        runs.iter()
            .all(|r| r["type"] == "HTTP_DATA" && r["status"] == "SUCCESS"),
        "{runs:?}"
    );
    let out = ctl(&key.api_key, &["runs", "list"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_id = runs[0]["id"].as_str().unwrap();
    let out = ctl(&key.api_key, &["runs", "cancel", &id, run_id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a finished run cannot be cancelled"
    );
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["status"], 409, "{err}");
}
