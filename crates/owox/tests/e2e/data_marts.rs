//! Issue: storages and data marts on the embedded DuckDB storage, and `owox serve --demo`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{client, Server, Session};

async fn admin_session(server: &Server) -> Session {
    Session::new(server, &server.create_key(&[])).await
}

async fn default_storage(s: &Session) -> String {
    let (status, list) = s.get("/api/data-storages").await;
    assert_eq!(status, 200, "{list}");
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["type"], "DUCKDB");
    items[0]["id"].as_str().unwrap().to_string()
}

async fn create_mart(s: &Session, storage: &str, title: &str) -> String {
    let (status, body) = s
        .post(
            "/api/data-marts",
            json!({"title": title, "storageId": storage}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "title"]);
    body["id"].as_str().unwrap().to_string()
}

async fn define(s: &Session, id: &str, definition_type: &str, definition: Value) -> (u16, Value) {
    s.put(
        &format!("/api/data-marts/{id}/definition"),
        json!({"definitionType": definition_type, "definition": definition}),
    )
    .await
}

#[tokio::test]
async fn storages_are_created_listed_and_refused_for_missing_drivers() {
    let server = Server::start(&[]);
    let s = admin_session(&server).await;
    let default = default_storage(&s).await;
    let (status, detail) = s.get(&format!("/api/data-storages/{default}")).await;
    assert_eq!(status, 200);
    let keys: Vec<&str> = detail
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "title",
            "type",
            "projectId",
            "config",
            "createdAt",
            "modifiedAt",
            "credentialId",
            "createdByUser",
            "ownerUsers",
            "availableForUse",
            "availableForMaintenance",
            "contexts"
        ]
    );
    assert_eq!(detail["title"], "DuckDB");

    let (status, body) = s.post("/api/data-storages", json!({"type": "NOPE"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["errors"][0]["message"],
        "type must be one of the following values: GOOGLE_BIGQUERY, AWS_ATHENA, SNOWFLAKE, AWS_REDSHIFT, DATABRICKS, LEGACY_GOOGLE_BIGQUERY, DUCKDB, POSTGRES."
    );
    for t in ["GOOGLE_BIGQUERY", "SNOWFLAKE", "DATABRICKS"] {
        let (status, body) = s.post("/api/data-storages", json!({"type": t})).await;
        assert_eq!(status, 400, "{t}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("not available in this build"),
            "{body}"
        );
    }
    let (status, created) = s
        .post("/api/data-storages", json!({"type": "DUCKDB"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, body) = s
        .put(
            &format!("/api/data-storages/{id}"),
            json!({"title": "Scratch", "config": {"databasePath": "/etc/passwd"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = s
        .put(
            &format!("/api/data-storages/{id}"),
            json!({"title": "Scratch", "config": {"databasePath": "scratch/db.duckdb"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "Scratch");
    let (status, body) = s
        .post(
            &format!("/api/data-storages/{id}/validate-access"),
            json!({}),
        )
        .await;
    assert_eq!((status, &body["valid"]), (200, &json!(true)), "{body}");
    assert_eq!(
        s.get("/api/data-storages")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (status, _) = s.delete(&format!("/api/data-storages/{id}")).await;
    assert_eq!(status, 200);
    let (status, body) = s.get(&format!("/api/data-storages/{id}")).await;
    assert_eq!(status, 404);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Data Storage with id"));
}

#[tokio::test]
async fn data_mart_lifecycle_on_duckdb() {
    let server = Server::start(&[]);
    let s = admin_session(&server).await;
    let storage = default_storage(&s).await;

    let (status, body) = s
        .post(
            "/api/data-marts",
            json!({"title": "x", "storageId": "nope"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        "Data Storage with id nope and projectId 0 not found"
    );
    let (status, body) = s.get("/api/data-marts?limit=5").await;
    assert_eq!(
        (status, &body["details"]["errors"][0]["message"]),
        (400, &json!("property limit should not exist."))
    );
    assert_eq!(
        s.get("/api/data-marts").await.1,
        json!({"items": [], "total": 0, "nextOffset": null})
    );

    let id = create_mart(&s, &storage, "Numbers").await;
    let (status, body) = s
        .put(&format!("/api/data-marts/{id}/publish"), json!({}))
        .await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("DataMart has no definition"))
    );
    let (status, body) = define(&s, &id, "SQL", json!({"sqlQuery": "SELECT i AS \"n, with comma\", i * 1.5 AS half, 'x' || i AS label, DATE '2024-01-01' + CAST(i AS INTEGER) AS day FROM range(3) t(i)"})).await;
    assert_eq!(status, 200, "{body}");
    let fields = body["schema"]["fields"].as_array().unwrap();
    assert_eq!(body["schema"]["type"], "duckdb-data-mart-schema");
    let types: Vec<(&str, &str)> = fields
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(types[0].0, "n, with comma");
    assert_eq!(types.len(), 4, "{types:?}");
    assert!(fields.iter().all(|f| f["status"] == "CONNECTED"));

    let (status, body) = s
        .put(&format!("/api/data-marts/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "PUBLISHED");
    let (status, body) = s
        .put(&format!("/api/data-marts/{id}/publish"), json!({}))
        .await;
    assert_eq!(
        (status, &body["message"]),
        (400, &json!("DataMart is not in DRAFT status"))
    );

    let (status, body) = s
        .put(
            &format!("/api/data-marts/{id}/title"),
            json!({"title": "Zahlen ✓"}),
        )
        .await;
    assert_eq!((status, &body["title"]), (200, &json!("Zahlen ✓")));
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{id}/description"),
            json!({"description": "d"}),
        )
        .await;
    assert_eq!((status, &body["description"]), (200, &json!("d")));
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{id}/description"),
            json!({"description": null}),
        )
        .await;
    assert_eq!((status, &body["description"]), (200, &Value::Null));

    // Schema metadata survives rediscovery; a changed definition marks missing fields.
    let mut schema = body["schema"].clone();
    schema["fields"][1]["alias"] = json!("Half");
    let (status, body) = s
        .put(
            &format!("/api/data-marts/{id}/schema"),
            json!({"schema": schema}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = define(&s, &id, "SQL", json!({"sqlQuery": "SELECT 1.5 AS half"})).await;
    assert_eq!(status, 200, "{body}");
    let fields = body["schema"]["fields"].as_array().unwrap();
    let half = fields.iter().find(|f| f["name"] == "half").unwrap();
    assert_eq!(half["alias"], "Half");
    assert_eq!(
        fields.iter().find(|f| f["name"] == "label").unwrap()["status"],
        "DISCONNECTED"
    );

    let (status, body) = s
        .post(
            &format!("/api/data-marts/{id}/validate-definition"),
            json!({}),
        )
        .await;
    assert_eq!((status, &body["valid"]), (201, &json!(true)), "{body}");

    // The storage cannot be deleted while a data mart uses it.
    let (status, body) = s.delete(&format!("/api/data-storages/{storage}")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Cannot delete the storage because it is referenced by existing data marts."
    );
    assert_eq!(
        body["errorDetails"]["referencedDataMarts"][0]["id"],
        id.as_str()
    );

    let (status, _) = s.delete(&format!("/api/data-marts/{id}")).await;
    assert_eq!(status, 200);
    let (status, body) = s.get(&format!("/api/data-marts/{id}")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        format!("Data Mart with id {id} and projectId 0 not found")
    );
}

#[tokio::test]
async fn definitions_are_locked_down() {
    let server = Server::start(&[]);
    let s = admin_session(&server).await;
    let storage = default_storage(&s).await;
    let id = create_mart(&s, &storage, "Hostile").await;
    for sql in [
        "COPY (SELECT 1) TO 'out.csv'",
        "ATTACH 'other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA version",
        "SET memory_limit = '100GB'",
        "SELECT 1; SELECT 2",
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE shop.orders",
    ] {
        let (status, body) = define(&s, &id, "SQL", json!({"sqlQuery": sql})).await;
        assert_eq!(status, 400, "{sql}: {body}");
        assert!(body["message"].is_string(), "{sql}: {body}");
    }
    for sql in [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv('~/../../../etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM no_such_table",
    ] {
        let (status, body) = define(&s, &id, "SQL", json!({"sqlQuery": sql})).await;
        assert_eq!(status, 400, "{sql}: {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid definition"),
            "{body}"
        );
    }
    let (_, mart) = s.get(&format!("/api/data-marts/{id}")).await;
    assert_eq!(mart["definition"], Value::Null, "nothing was saved");
    for (t, d) in [
        ("TABLE", json!({"fullyQualifiedName": "a.b.c.d"})),
        ("TABLE", json!({"fullyQualifiedName": ""})),
        ("TABLE_PATTERN", json!({"pattern": "events_"})),
        ("CONNECTOR", json!({"connector": {}})),
        ("SQL", json!({"sqlQuery": ""})),
        ("NOPE", json!({})),
    ] {
        let (status, body) = define(&s, &id, t, d.clone()).await;
        assert_eq!(status, 400, "{t} {d}: {body}");
    }
}

#[tokio::test]
async fn viewers_cannot_edit_and_see_only_shared_marts() {
    let server = Server::start(&[]);
    let admin = admin_session(&server).await;
    let storage = default_storage(&admin).await;
    create_mart(&admin, &storage, "Shared").await;
    assert!(server
        .owox(&["members", "add", "v@example.com", "--role", "viewer"])
        .status
        .success());
    let viewer = Session::new(&server, &server.create_key(&["--member", "v@example.com"])).await;
    let (status, body) = viewer
        .post(
            "/api/data-marts",
            json!({"title": "x", "storageId": storage}),
        )
        .await;
    assert_eq!(
        (status, &body["message"]),
        (403, &json!("Access denied. Required role: Technical User"))
    );
    assert_eq!(
        viewer.get("/api/data-storages").await.1,
        json!([]),
        "viewers see no storages"
    );
    let (status, list) = viewer.get("/api/data-marts").await;
    assert_eq!((status, &list["total"]), (200, &json!(1)));
}

#[tokio::test]
async fn the_list_pages_by_1000() {
    let server = Server::start(&[]);
    let s = admin_session(&server).await;
    let storage = default_storage(&s).await;
    for i in 0..1001 {
        let (status, _) = s
            .post(
                "/api/data-marts",
                json!({"title": format!("m{i}"), "storageId": storage}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (_, first) = s.get("/api/data-marts").await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1000);
    assert_eq!(
        (first["total"].as_u64(), first["nextOffset"].as_u64()),
        (Some(1001), Some(1000))
    );
    let (_, second) = s.get("/api/data-marts?offset=1000").await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["nextOffset"], Value::Null);
    // Newest first (ties within a millisecond by id), every data mart exactly once.
    let all: Vec<&Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .collect();
    let created: Vec<&str> = all
        .iter()
        .map(|m| m["createdAt"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let titles: std::collections::HashSet<&str> =
        all.iter().map(|m| m["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 1001);
    let (status, _) = s.get("/api/data-marts?offset=-1").await;
    assert_eq!(status, 400);
    let (_, none) = s.get("/api/data-marts?ownerFilter=no_owners").await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn demo_serves_published_marts_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let env = |d: &tempfile::TempDir| {
        vec![
            ("OWOX_DATA_DIR".to_string(), d.path().display().to_string()),
            ("LOG_LEVEL".to_string(), "warn".to_string()),
        ]
    };
    let mut first = Server::start_demo(env(&dir));
    let key = first.printed_key();
    let s = Session::new(&first, &key).await;
    let (status, list) = s.get("/api/data-marts").await;
    assert_eq!(status, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{list}");
    assert!(items.iter().all(|m| m["status"] == "PUBLISHED"));
    let (_, ctx) = s.get("/api/auth/context").await;
    assert_eq!(ctx["roles"], json!(["viewer"]));
    // The printed curl commands run as printed.
    let printed = first.printed();
    let at = printed
        .iter()
        .position(|l| l.trim() == "Or with curl:")
        .expect("curl commands printed");
    let script = format!("{}\n{}", printed[at + 1].trim(), printed[at + 2].trim());
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5, "{text}");
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(
        keys.contains(&"amount_eur") && keys.contains(&"ordered_at"),
        "{keys:?}"
    );
    // So does the printed owox-ctl stream command, with the printed key.
    let command = printed
        .iter()
        .find(|l| l.contains("owox-ctl data-marts stream"))
        .expect("owox-ctl stream command printed");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let ctl = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("owox-ctl");
    let out = std::process::Command::new(ctl)
        .args(&args)
        .env("OWOX_API_KEY", &key.api_key)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 10);
    assert!(dir.path().join("imports/marketing_spend.csv").exists());
    assert!(dir.path().join("imports/exchange_rates.parquet").exists());
    first.stop();
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let second = Server::start_demo(env(&dir));
    let s = Session::new(&second, &second.printed_key()).await;
    let (_, list) = s.get("/api/data-marts").await;
    assert_eq!(list["total"], 6, "starting twice duplicates nothing");
    let r = client()
        .get(second.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
