//! Issue: API keys, exchange and authorization, against the real binary.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{assert_body_matches, client, vectors, Key, Server};

/// Replays every recorded exchange vector with our own keys substituted.
#[tokio::test]
async fn exchange_vectors() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let revoked = server.create_key(&[]);
    assert!(server
        .owox(&["api-keys", "revoke", &revoked.id])
        .status
        .success());
    for v in vectors("exchange.json") {
        let name = v["name"].as_str().unwrap();
        let req = &v["request"];
        let mut builder = client().request(
            req["method"].as_str().unwrap().parse().unwrap(),
            server.url(req["path"].as_str().unwrap()),
        );
        let recorded_id = "pmk_0c-EmAOvAFh6AaB6ywsfaw";
        let revoked_id = "pmk_14jpubq6W2rvQ4mPO9jrAA";
        for (h, value) in req["headers"].as_object().unwrap() {
            let value = value
                .as_str()
                .unwrap()
                .replace(recorded_id, &key.id)
                .replace(revoked_id, &revoked.id);
            builder = builder.header(h.as_str(), value);
        }
        if let Some(body) = req.get("body") {
            let text = body
                .to_string()
                .replace("{{apiKeySecret}}", &key.secret)
                .replace("{{revokedKeySecret}}", &revoked.secret);
            builder = builder.body(text);
        }
        let r = builder.send().await.unwrap();
        let expected = &v["response"];
        assert_eq!(
            r.status().as_u16() as u64,
            expected["status"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            r.status().canonical_reason(),
            expected["reason"].as_str(),
            "{name}"
        );
        let body: Value = r.json().await.unwrap();
        if expected["status"] == 200 {
            // Ours is a signed token with its lifetime (the Null IdP's was a fixed string).
            let keys: Vec<&str> = body
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, ["accessToken", "accessTokenExpiresIn"], "{name}");
            assert_eq!(body["accessTokenExpiresIn"], 900);
            continue;
        }
        assert_body_matches(&body, &expected["body"]);
    }
}

#[tokio::test]
async fn auth_context_and_key_binding() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let token = server.exchange(&key).await;
    let (status, body) = server
        .get_authed("/api/auth/context", &token, &key.id)
        .await;
    assert_eq!(status, 200);
    assert_body_matches(
        &body,
        &json!({"userId":"0","projectId":"0","email":"admin@localhost","fullName":"Admin","roles":["admin"],"projectTitle":"OWOX Data Marts","authFlow":"api_key","apiKeyId": key.id}),
    );
    assert_eq!(key.origin, format!("http://localhost:{}", server.port));
    let parsed = owox_contract::api_key::parse_api_key(&key.api_key).unwrap();
    assert_eq!(
        (parsed.api_key_id, parsed.api_key_secret),
        (key.id.clone(), key.secret.clone())
    );

    // A bare token (no `Bearer `) is accepted, as by the reference.
    let r = client()
        .get(server.url("/api/auth/context"))
        .header("x-owox-authorization", &token)
        .header("x-owox-api-key-id", &key.id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Binding: header missing or wrong is 403 with the recorded bodies.
    for v in vectors("auth-context-and-binding.json")
        .into_iter()
        .filter(|v| v["name"].as_str().unwrap().starts_with("binding-403"))
    {
        let mut b = client().get(server.url("/api/auth/context"));
        b = b.header("x-owox-authorization", format!("Bearer {token}"));
        if let Some(id) = v["request"]["headers"].get("X-OWOX-Api-Key-Id") {
            b = b.header("x-owox-api-key-id", id.as_str().unwrap());
        }
        let r = b.send().await.unwrap();
        assert_eq!(r.status(), 403, "{}", v["name"]);
        let mut expected = v["response"]["body"].clone();
        expected["path"] = "/api/auth/context".into();
        assert_body_matches(&r.json().await.unwrap(), &expected);
    }
    // Repeated key-id headers never match.
    let r = client()
        .get(server.url("/api/auth/context"))
        .header("x-owox-authorization", format!("Bearer {token}"))
        .header("x-owox-api-key-id", &key.id)
        .header("x-owox-api-key-id", &key.id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Unlike the reference's single-user mode, no credentials means 401.
    for headers in [
        vec![],
        vec![(
            "x-owox-authorization",
            "Bearer not-a-real-token".to_string(),
        )],
    ] {
        let mut b = client().get(server.url("/api/auth/context"));
        for (h, v) in headers {
            b = b.header(h, v).header("x-owox-api-key-id", &key.id);
        }
        let r = b.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_body_matches(
            &r.json().await.unwrap(),
            &json!({"statusCode":401,"message":"Authentication failed","timestamp":"{{timestamp}}","path":"/api/auth/context"}),
        );
    }
}

#[tokio::test]
async fn revocation_expiry_removal_and_role_changes_apply_to_issued_tokens() {
    let server = Server::start(&[]);
    let key = server.create_key(&[]);
    let token = server.exchange(&key).await;
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token, &key.id)
            .await
            .0,
        200
    );
    assert!(server
        .owox(&["api-keys", "revoke", &key.id])
        .status
        .success());
    let (status, body) = server
        .get_authed("/api/auth/context", &token, &key.id)
        .await;
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Authentication failed"))
    );

    // Expiry: the key stops working when it expires, tokens included.
    let expires = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let short = server.create_key(&["--expires-at", &expires]);
    let token = server.exchange(&short).await;
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token, &short.id)
            .await
            .0,
        200
    );
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token, &short.id)
            .await
            .0,
        401
    );
    let r = client()
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("x-owox-api-key-id", &short.id)
        .json(&json!({ "apiKeySecret": short.secret }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Role change and removal of the member.
    let out = server.owox(&[
        "members",
        "add",
        "ed@example.com",
        "--role",
        "editor",
        "--name",
        "Ed",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ed = server.create_key(&["--member", "ed@example.com"]);
    let token = server.exchange(&ed).await;
    let (_, body) = server.get_authed("/api/auth/context", &token, &ed.id).await;
    assert_eq!(body["roles"], json!(["editor"]));
    assert!(server
        .owox(&["members", "set-role", "ed@example.com", "viewer"])
        .status
        .success());
    let (_, body) = server.get_authed("/api/auth/context", &token, &ed.id).await;
    assert_eq!(body["roles"], json!(["viewer"]));
    assert!(server
        .owox(&["members", "remove", "ed@example.com"])
        .status
        .success());
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token, &ed.id)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn keys_are_scoped_to_their_project() {
    let server = Server::start(&[]);
    let out = server.owox(&["projects", "create", "Second", "--json"]);
    assert!(out.status.success());
    let project: Value = serde_json::from_slice(&out.stdout).unwrap();
    let project_id = project["id"].as_str().unwrap();
    let out = server.owox(&[
        "members",
        "add",
        "b@example.com",
        "--role",
        "admin",
        "--project",
        project_id,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key_b = server.create_key(&["--project", project_id]);
    let key_a = server.create_key(&[]);
    let token_b = server.exchange(&key_b).await;
    let (status, body) = server
        .get_authed("/api/auth/context", &token_b, &key_b.id)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["projectId"], project_id);
    assert_eq!(body["projectTitle"], "Second");
    // Project B's token presented as project A's key is refused.
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token_b, &key_a.id)
            .await
            .0,
        403
    );
    // Project A's data mart does not exist for project B's key.
    let session_a = crate::support::Session::new(&server, &key_a).await;
    let (_, storages) = session_a.get("/api/data-storages").await;
    let (status, mart) = session_a
        .post(
            "/api/data-marts",
            json!({"title": "A only", "storageId": storages[0]["id"]}),
        )
        .await;
    assert_eq!(status, 201);
    let path = format!("/api/data-marts/{}", mart["id"].as_str().unwrap());
    let (status, body) = server.get_authed(&path, &token_b, &key_b.id).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["message"],
        format!(
            "Data Mart with id {} and projectId {project_id} not found",
            mart["id"].as_str().unwrap()
        )
    );
    let (_, list_b) = server
        .get_authed("/api/data-marts", &token_b, &key_b.id)
        .await;
    assert_eq!(list_b["total"], 0);
    // Revoking in the wrong project does nothing and says so.
    let out = server.owox(&["api-keys", "revoke", &key_b.id]);
    assert!(!out.status.success());
    assert_eq!(
        server
            .get_authed("/api/auth/context", &token_b, &key_b.id)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn failed_exchanges_are_rate_limited() {
    let server = Server::start(&[("EXCHANGE_FAILURE_LIMIT", "3")]);
    let key = server.create_key(&[]);
    let attempt = |secret: String| {
        let id = key.id.clone();
        let url = server.url("/api/auth/api-keys/exchange");
        async move {
            client()
                .post(url)
                .header("x-owox-api-key-id", id)
                .json(&json!({ "apiKeySecret": secret }))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("A".repeat(43)).await.status(), 401);
    }
    let r = attempt(key.secret.clone()).await;
    assert_eq!(
        r.status(),
        429,
        "even the right secret waits once the limit is hit"
    );
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=61).contains(&retry));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["statusCode"], 429);
}

#[tokio::test]
async fn admin_cli_validates_and_never_shows_secrets_again() {
    let server = Server::start(&[]);
    for (args, expected) in [
        (
            vec!["api-keys", "create", "--name", ""],
            "must not be blank",
        ),
        (
            vec!["api-keys", "create", "--name", &"x".repeat(101)],
            "at most 100",
        ),
        (
            vec![
                "api-keys",
                "create",
                "--name",
                "k",
                "--member",
                "no@example.com",
            ],
            "not a member",
        ),
        (
            vec!["api-keys", "create", "--name", "k", "--expires-at", "soon"],
            "RFC 3339",
        ),
        (
            vec!["api-keys", "create", "--name", "k", "--project", "nope"],
            "no project",
        ),
        (
            vec!["members", "add", "x@example.com", "--role", "boss"],
            "unknown role",
        ),
    ] {
        let out = server.owox(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let key: Key = server.create_key(&["--role", "viewer"]);
    let out = server.owox(&["api-keys", "list", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(&key.secret));
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "bad input stored nothing"
    );
    assert_eq!(list[0]["status"], "active");
    assert_eq!(list[0]["roleCap"], "viewer");
    server.owox(&["api-keys", "revoke", &key.id]);
    let list: Value =
        serde_json::from_slice(&server.owox(&["api-keys", "list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["status"], "revoked");
}

/// Two instances on one PostgreSQL metadata database agree on tokens and revocation.
#[tokio::test]
async fn two_instances_share_tokens_and_revocation_through_postgres() {
    let name = format!("owox_e2e_{}", uuid_like());
    let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
    psql(admin_url, &format!("CREATE DATABASE {name}"));
    let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
    let env = |dir: &tempfile::TempDir| {
        vec![
            (
                "OWOX_DATA_DIR".to_string(),
                dir.path().display().to_string(),
            ),
            ("DB_TYPE".to_string(), "postgres".to_string()),
            ("DATABASE_URL".to_string(), url.clone()),
            ("LOG_LEVEL".to_string(), "warn".to_string()),
        ]
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = Server::start_with(env(&d1), Some(d1));
    let two = Server::start_with(env(&d2), Some(d2));
    let key = one.create_key(&[]);
    let token = one.exchange(&key).await;
    assert_eq!(
        two.get_authed("/api/auth/context", &token, &key.id).await.0,
        200
    );
    assert!(two.owox(&["api-keys", "revoke", &key.id]).status.success());
    assert_eq!(
        one.get_authed("/api/auth/context", &token, &key.id).await.0,
        401
    );
    assert_eq!(
        two.get_authed("/api/auth/context", &token, &key.id).await.0,
        401
    );
    drop((one, two));
    psql(admin_url, &format!("DROP DATABASE {name} WITH (FORCE)"));
}

pub fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

pub fn psql(url: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql is needed for the PostgreSQL tests");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
