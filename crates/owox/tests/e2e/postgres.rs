//! Issue: PostgreSQL storages (config, sealed credentials, discovery, publish, streams) and the
//! trigger protocols for SQL dry runs and schema refreshes, against the local PostgreSQL.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_postgres::NoTls;

use crate::http_data::{b64, ends_truncated, stream, wait_for_run};
use crate::support::{Server, Session};

const PASSWORD: &str = "pw-Secret-4711-never-shown";
/// 62 bytes, within PostgreSQL's 63-byte identifiers; its aggregate labels (`… | SUM`,
/// `… | MAX`) are not, and truncated they would collide.
const LONG: &str = "a_column_name_that_is_long_enough_to_overflow_postgres_limit_x";

/// A schema of its own in the local `test` database, dropped at the end.
pub struct Fixture {
    admin: tokio_postgres::Client,
    schema: String,
}

impl Fixture {
    pub async fn new(setup: &str) -> Fixture {
        let (admin, connection) = tokio_postgres::connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test",
            NoTls,
        )
        .await
        .expect(
            "the local PostgreSQL (127.0.0.1:5432, user postgres, database test) must be running",
        );
        tokio::spawn(connection);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let schema = format!("owox_e2e_{}_{nanos}", std::process::id());
        admin
            .batch_execute(&format!(
                "CREATE SCHEMA \"{schema}\"; SET search_path = \"{schema}\"; {setup}"
            ))
            .await
            .unwrap();
        Fixture { admin, schema }
    }

    fn config(&self) -> Value {
        json!({"host": "127.0.0.1", "port": 5432, "database": "test", "schema": self.schema, "sslmode": "disable"})
    }

    pub async fn drop_schema(self) {
        self.admin
            .batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
            .await
            .unwrap();
    }

    /// Active backend queries of the server whose text contains `marker`.
    async fn running(&self, marker: &str) -> i64 {
        self.admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'owox-data-marts' AND state = 'active' AND strpos(query, $1) > 0",
                &[&marker],
            )
            .await
            .unwrap()
            .get(0)
    }

    async fn wait_running(&self, marker: &str, want: i64) -> bool {
        for _ in 0..200 {
            if self.running(marker).await == want {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

fn orders_sql() -> String {
    format!(
        "CREATE TABLE orders (id bigint, amount numeric(12,2), big bigint, created_at timestamptz, country text, \"{LONG}\" integer, uid uuid);
         CREATE SEQUENCE order_numbers;
         INSERT INTO orders SELECT g, g * 1.25, 9007199254740993 + g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 day', CASE WHEN g % 2 = 0 THEN 'DE' ELSE 'FR' END, g, ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid FROM generate_series(1, 10) g;"
    )
}

/// A POSTGRES storage configured for the fixture; its id.
pub async fn postgres_storage(s: &Session, fixture: &Fixture) -> String {
    let (status, created) = s
        .post("/api/data-storages", json!({"type": "POSTGRES"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .put(
            &format!("/api/data-storages/{id}"),
            json!({"title": "Shop DB", "config": fixture.config(), "credentials": {"username": "postgres", "password": PASSWORD}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

pub async fn published(
    s: &Session,
    storage: &str,
    title: &str,
    definition: Value,
) -> (String, Value) {
    let (status, created) = s
        .post(
            "/api/data-marts",
            json!({"title": title, "storageId": storage}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .put(&format!("/api/data-marts/{id}/definition"), definition)
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s
        .put(&format!("/api/data-marts/{id}/publish"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    (id, body)
}

#[tokio::test]
async fn postgres_storage_configure_publish_and_stream() {
    let fixture = Fixture::new(&orders_sql()).await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;

    let (status, created) = s
        .post("/api/data-storages", json!({"type": "POSTGRES"}))
        .await;
    assert_eq!(status, 201, "{created}");
    let storage = created["id"].as_str().unwrap().to_string();
    let path = format!("/api/data-storages/{storage}");

    // Bad config and unknown roles are refused with the reason, never with the password.
    let (status, body) = s
        .put(&path, json!({"title": "x", "config": {"host": "127.0.0.1", "database": "test", "sslmode": "maybe"}, "credentials": {"username": "postgres", "password": PASSWORD}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("sslmode"));
    let (status, body) = s
        .put(&path, json!({"title": "x", "config": fixture.config(), "credentials": {"username": "owox_nobody", "password": PASSWORD}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Storage access validation failed"));
    assert!(body.to_string().contains("owox_nobody"), "{body}");
    assert!(!body.to_string().contains(PASSWORD));
    let (status, body) = s
        .put(&path, json!({"title": "x", "config": fixture.config()}))
        .await;
    assert_eq!(status, 400, "credentials are needed the first time: {body}");

    // Good settings: saved, credentials echoed without the password.
    let (status, body) = s
        .put(&path, json!({"title": "Shop DB", "config": fixture.config(), "credentials": {"username": "postgres", "password": PASSWORD}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credentials"], json!({"username": "postgres"}));
    assert_eq!(body["config"]["schema"], fixture.schema.as_str());
    assert!(!body.to_string().contains(PASSWORD));
    let (_, got) = s.get(&path).await;
    assert_eq!(got["credentials"], json!({"username": "postgres"}));
    assert!(!got.to_string().contains(PASSWORD));
    let (_, list) = s.get("/api/data-storages").await;
    assert!(!list.to_string().contains(PASSWORD));
    // Omitting credentials keeps them.
    let (status, body) = s
        .put(
            &path,
            json!({"title": "Shop DB 2", "config": fixture.config()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = s.post(&format!("{path}/validate-access"), json!({})).await;
    assert_eq!((status, &body["valid"]), (200, &json!(true)), "{body}");

    // Stored sealed: neither the metadata row nor the SQLite file holds the password.
    let store = server.store().await;
    let detail = store.get_storage("0", &storage).await.unwrap().unwrap();
    let credential = store
        .get_credential("0", detail.credential_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(credential.sealed.starts_with("v1."));
    assert!(!credential.sealed.contains(PASSWORD));
    assert_eq!(
        credential.identity.as_deref(),
        Some("{\"username\":\"postgres\"}")
    );
    assert!(
        !server.metadata_files_contain(PASSWORD.as_bytes()),
        "the password is in the metadata files"
    );

    // A TABLE data mart: discovery, publish, stream.
    let (id, mart) = published(
        &s,
        &storage,
        "Orders",
        json!({"definitionType": "TABLE", "definition": {"fullyQualifiedName": "orders"}}),
    )
    .await;
    assert_eq!(mart["schema"]["type"], "postgres-data-mart-schema");
    let types: Vec<(&str, &str)> = mart["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("id", "BIGINT"),
            ("amount", "NUMERIC"),
            ("big", "BIGINT"),
            ("created_at", "TIMESTAMPTZ"),
            ("country", "TEXT"),
            (LONG, "INTEGER"),
            ("uid", "VARCHAR"),
        ]
    );

    let filter = b64(json!([
        {"column": "country", "operator": "eq", "value": "DE"},
        {"column": "uid", "operator": "contains", "value": "0006"}
    ]));
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?column=id&column=amount&column=big&column=created_at&column=uid&filter={filter}"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    let text = r.text().await.unwrap();
    assert_eq!(
        text,
        "{\"id\":6,\"amount\":\"7.50\",\"big\":9007199254740999,\"created_at\":\"2024-01-07T00:00:00.000Z\",\"uid\":\"00000000-0000-0000-0000-000000000006\"}\n"
    );
    let run = wait_for_run(&server, &run_id).await;
    assert_eq!(run.0, "SUCCESS", "{run:?}");

    // Aggregates over a column whose labels exceed PostgreSQL's identifier limit, sorted by one.
    let aggregation = b64(json!([
        {"column": LONG, "function": "SUM"},
        {"column": LONG, "function": "MAX"}
    ]));
    let sort = b64(json!([{"column": "country", "direction": "asc"}]));
    let text = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson?column=country&column={LONG}&aggregation={aggregation}&sort={sort}"),
    )
    .await
    .text()
    .await
    .unwrap();
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0]["country"], "DE");
    // SUM(integer) is a bigint in PostgreSQL: an exact JSON number.
    assert_eq!(rows[0][format!("{LONG} | SUM")], json!(30), "{text}");
    assert_eq!(rows[0][format!("{LONG} | MAX")], json!(10), "{text}");
    assert_eq!(rows[0]["Row Count"], json!(5));

    // A write hidden in an SQL definition fails: every query is read-only. (Data-modifying
    // CTEs cannot even be prepared: the definition is always a subquery.)
    let (status, body) = s
        .post(
            "/api/data-marts",
            json!({"title": "writer", "storageId": storage}),
        )
        .await;
    assert_eq!(status, 201);
    let writer = body["id"].as_str().unwrap().to_string();
    s.put(
        &format!("/api/data-marts/{writer}/definition"),
        json!({"definitionType": "SQL", "definition": {"sqlQuery": "SELECT nextval('order_numbers') AS n"}}),
    )
    .await;
    let (status, body) = s
        .put(&format!("/api/data-marts/{writer}/publish"), json!({}))
        .await;
    // Preparing is not running: the DELETE is only refused when it runs.
    assert_eq!(status, 200, "{body}");
    let r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{writer}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 424);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["details"]["providerMessage"]
            .as_str()
            .unwrap()
            .contains("read-only transaction"),
        "{body}"
    );
    assert_eq!(body["details"]["storageType"], "POSTGRES");
    let advanced: bool = fixture
        .admin
        .query_one(
            &format!("SELECT is_called FROM \"{}\".order_numbers", fixture.schema),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!advanced, "the sequence moved");

    // The server unreachable after publishing: 424 with the provider's message.
    let (status, _) = s
        .put(&path, json!({"title": "Shop DB", "config": {"host": "127.0.0.1", "port": 1, "database": "test"}}))
        .await;
    assert_eq!(status, 400, "a config that does not connect is not saved");

    fixture.drop_schema().await;
}

async fn trigger_result(s: &Session, base: &str, trigger: &str) -> (u16, Value) {
    for _ in 0..200 {
        let (status, body) = s.get(&format!("{base}/{trigger}/status")).await;
        assert_eq!(status, 200, "{body}");
        if ["SUCCESS", "ERROR", "CANCELLED"].contains(&body["status"].as_str().unwrap()) {
            return s.get(&format!("{base}/{trigger}")).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("trigger {trigger} did not finish");
}

#[tokio::test]
async fn trigger_protocols_on_both_storages() {
    let fixture = Fixture::new(&orders_sql()).await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let storage = postgres_storage(&s, &fixture).await;
    let (pg_mart, _) = published(
        &s,
        &storage,
        "Orders",
        json!({"definitionType": "TABLE", "definition": {"fullyQualifiedName": "orders"}}),
    )
    .await;
    let duck_mart = s.published_mart("duck", "SELECT 1 AS one").await;

    for (mart, bad_sql) in [(&pg_mart, "SELEC 1"), (&duck_mart, "SELECT * FROM nowhere")] {
        let base = format!("/api/data-marts/{mart}/sql-dry-run-triggers");
        let (status, body) = s
            .post(
                &base,
                json!({"sql": "SELECT count(*) FROM ${DATA_MART_TABLE} AS t"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let trigger = body["triggerId"].as_str().unwrap().to_string();
        assert_eq!(trigger.len(), 36);
        assert_eq!(
            trigger_result(&s, &base, &trigger).await,
            (200, json!({"isValid": true}))
        );
        // The result is handed over once.
        let (status, body) = s.get(&format!("{base}/{trigger}")).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(
            body["message"],
            format!("Trigger with id {trigger} not found")
        );

        let (_, body) = s.post(&base, json!({"sql": bad_sql})).await;
        let trigger = body["triggerId"].as_str().unwrap().to_string();
        let (status, result) = trigger_result(&s, &base, &trigger).await;
        assert_eq!(
            (status, &result["isValid"]),
            (200, &json!(false)),
            "{result}"
        );
        assert!(result["error"].as_str().unwrap().len() > 3);

        let (status, body) = s.post(&base, json!({})).await;
        assert_eq!(status, 400, "{body}");

        let base = format!("/api/data-marts/{mart}/schema-actualize-triggers");
        let (status, body) = s.post(&base, json!({})).await;
        assert_eq!(status, 201, "{body}");
        let trigger = body["triggerId"].as_str().unwrap().to_string();
        assert_eq!(
            trigger_result(&s, &base, &trigger).await,
            (200, json!({"success": true}))
        );
        // Kinds do not mix.
        let (status, _) = s
            .get(&format!(
                "/api/data-marts/{mart}/sql-dry-run-triggers/{trigger}/status"
            ))
            .await;
        assert_eq!(status, 404);
    }

    // A dry run that cannot finish yet: 408, then cancelled by its creator.
    fixture
        .admin
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE \"{}\".orders IN ACCESS EXCLUSIVE MODE;",
            fixture.schema
        ))
        .await
        .unwrap();
    let base = format!("/api/data-marts/{pg_mart}/sql-dry-run-triggers");
    let (_, body) = s.post(&base, json!({"sql": "SELECT * FROM orders"})).await;
    let trigger = body["triggerId"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = s.get(&format!("{base}/{trigger}/status")).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("PROCESSING")));
    let (status, body) = s.get(&format!("{base}/{trigger}")).await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["message"], "Trigger response is not ready");
    let (status, body) = s.delete(&format!("{base}/{trigger}")).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = s.get(&format!("{base}/{trigger}/status")).await;
    assert_eq!(body["status"], "CANCELLING");
    fixture.admin.batch_execute("COMMIT").await.unwrap();
    let (status, body) = trigger_result(&s, &base, &trigger).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "Request was cancelled by user");
    let (status, _) = s.delete(&format!("{base}/{trigger}")).await;
    assert_eq!(status, 404);

    // Another member's triggers are invisible.
    let (_, body) = s.post(&base, json!({"sql": "SELECT 1"})).await;
    let trigger = body["triggerId"].as_str().unwrap().to_string();
    let out = server.owox(&["members", "add", "other@example.com", "--role", "admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let other = server.create_key(&["--member", "other@example.com"]);
    let o = Session::new(&server, &other).await;
    let (status, _) = o.get(&format!("{base}/{trigger}/status")).await;
    assert_eq!(status, 404);
    let (status, _) = o.delete(&format!("{base}/{trigger}")).await;
    assert_eq!(status, 404);
    assert_eq!(trigger_result(&s, &base, &trigger).await.0, 200);

    fixture.drop_schema().await;
}

#[tokio::test]
async fn postgres_streams_stop_the_backend_when_the_client_goes_away() {
    let fixture = Fixture::new("").await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let storage = postgres_storage(&s, &fixture).await;
    let marker = format!("m_{}", fixture.schema);
    let (id, _) = published(
        &s,
        &storage,
        "endless",
        // Two small series joined: PostgreSQL materializes each function's rows, not the join.
        json!({"definitionType": "SQL", "definition": {"sqlQuery": format!("SELECT a * 100000 + b AS \"{marker}\", md5(b::text) AS h FROM generate_series(1, 100000) a, generate_series(1, 100000) b")}}),
    )
    .await;
    let mut r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{id}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    assert!(!r.chunk().await.unwrap().unwrap().is_empty());
    assert!(
        fixture.wait_running(&marker, 1).await,
        "the query is not running"
    );
    drop(r);
    assert!(
        fixture.wait_running(&marker, 0).await,
        "the backend still runs the query after the client left"
    );
    let run = wait_for_run(&server, &run_id).await;
    assert_eq!(run.0, "FAILED", "{run:?}");
    assert!(
        run.1.as_deref().unwrap_or("").contains("disconnected"),
        "{run:?}"
    );
    fixture.drop_schema().await;
}

/// The rows of a stream, parsed.
async fn rows(s: &Session, path: &str) -> Vec<Value> {
    let r = stream(s, path).await;
    let status = r.status();
    if status != 200 {
        panic!("{path}: {status} {}", r.text().await.unwrap());
    }
    r.text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn postgres_streams_operators_date_buckets_and_failures() {
    let fixture = Fixture::new(&orders_sql()).await;
    let server = Server::start(&[]);
    let s = Session::new(&server, &server.create_key(&[])).await;
    let storage = postgres_storage(&s, &fixture).await;
    let (id, _) = published(
        &s,
        &storage,
        "Orders",
        json!({"definitionType": "TABLE", "definition": {"fullyQualifiedName": "orders"}}),
    )
    .await;
    let base = format!("/api/external/http-data/data-marts/{id}.ndjson");
    let ids =
        |rows: &[Value]| -> Vec<i64> { rows.iter().map(|r| r["id"].as_i64().unwrap()).collect() };
    let sort = b64(json!([{"column": "id", "direction": "asc"}]));
    for (filter, expected) in [
        (
            json!([{"column": "amount", "operator": "gt", "value": 5}]),
            vec![5, 6, 7, 8, 9, 10],
        ),
        (
            json!([{"column": "amount", "operator": "between", "value": {"from": 2.5, "to": 3.75}}]),
            vec![2, 3],
        ),
        (
            json!([{"column": "country", "operator": "in", "value": ["FR"]}, {"column": "id", "operator": "lte", "value": 5}]),
            vec![1, 3, 5],
        ),
        (
            json!([{"column": "country", "operator": "starts_with", "value": "D"}, {"column": "id", "operator": "lt", "value": 5}]),
            vec![2, 4],
        ),
        (
            json!([{"column": "country", "operator": "regex", "value": "^F"}, {"column": "id", "operator": "gte", "value": 8}]),
            vec![9],
        ),
        (
            json!([{"column": "uid", "operator": "ends_with", "value": "10"}]),
            vec![10],
        ),
        (
            json!([{"column": "created_at", "operator": "gte", "value": "2024-01-10"}]),
            vec![9, 10],
        ),
        (
            json!([{"column": "big", "operator": "eq", "value": 9007199254741002u64}]),
            vec![9],
        ),
    ] {
        let path = format!(
            "{base}?column=id&filter={}&sort={sort}",
            b64(filter.clone())
        );
        assert_eq!(ids(&rows(&s, &path).await), expected, "{filter}");
    }

    // Week buckets of an instant, with aggregates; 2024-01-01 is a Monday.
    let path = format!(
        "{base}?column=created_at&column=id&dateTrunc={}&aggregation={}&sort={}",
        b64(json!([{"column": "created_at", "unit": "WEEK"}])),
        b64(json!([{"column": "id", "function": "SUM"}, {"column": "id", "function": "AVG"}])),
        b64(json!([{"column": "created_at", "direction": "asc"}]))
    );
    let weeks = rows(&s, &path).await;
    assert_eq!(weeks.len(), 2, "{weeks:?}");
    assert_eq!(
        (
            weeks[0]["id | SUM"].as_str(),
            weeks[0]["Row Count"].as_i64()
        ),
        (Some("21"), Some(6)),
        "SUM(bigint) is numeric in PostgreSQL: {weeks:?}"
    );
    assert_eq!(weeks[1]["id | SUM"], json!("34"));
    assert!(
        weeks[0]["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2024-01-01"),
        "{weeks:?}"
    );

    // A failure after the first rows: the body ends without a clean end, the run says why.
    let (failing, _) = published(
        &s,
        &storage,
        "fails late",
        json!({"definitionType": "SQL", "definition": {"sqlQuery": "SELECT g, 1 / (g - 60000) AS x FROM generate_series(1, 100000) g"}}),
    )
    .await;
    let mut r = stream(
        &s,
        &format!("/api/external/http-data/data-marts/{failing}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    assert!(
        ends_truncated(&mut r).await,
        "a failed stream must not end cleanly"
    );
    let run = wait_for_run(&server, &run_id).await;
    assert_eq!(run.0, "FAILED");
    assert!(
        run.1.as_deref().unwrap_or("").contains("division by zero"),
        "{run:?}"
    );

    fixture.drop_schema().await;
}

/// Two instances on one PostgreSQL metadata database: a run cancelled through the instance
/// that does not stream it still stops the stream (and the PostgreSQL query) on the other.
#[tokio::test]
async fn a_cancel_through_another_instance_stops_the_stream() {
    use crate::auth::{psql, uuid_like};
    let fixture = Fixture::new("").await;
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
            // Shared by every instance of a deployment, or credentials sealed by one would not
            // open on the other.
            (
                "OWOX_SECRET_KEY".to_string(),
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string(),
            ),
        ]
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = Server::start_with(env(&d1), Some(d1));
    let two = Server::start_with(env(&d2), Some(d2));
    let key = one.create_key(&[]);
    let s1 = Session::new(&one, &key).await;
    let s2 = Session::new(&two, &key).await;
    let storage = postgres_storage(&s1, &fixture).await;
    let marker = format!("x_{}", fixture.schema);
    let (id, _) = published(
        &s1,
        &storage,
        "endless",
        json!({"definitionType": "SQL", "definition": {"sqlQuery": format!("SELECT a * 100000 + b AS \"{marker}\" FROM generate_series(1, 100000) a, generate_series(1, 100000) b")}}),
    )
    .await;
    let mut r = stream(
        &s1,
        &format!("/api/external/http-data/data-marts/{id}.ndjson"),
    )
    .await;
    assert_eq!(r.status(), 200);
    let run_id = r.headers()["x-owox-run-id"].to_str().unwrap().to_string();
    assert!(!r.chunk().await.unwrap().unwrap().is_empty());
    let (status, body) = s2
        .post(
            &format!("/api/data-marts/{id}/runs/{run_id}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let ended = tokio::time::timeout(Duration::from_secs(10), ends_truncated(&mut r)).await;
    assert_eq!(
        ended,
        Ok(true),
        "the stream on the other instance did not stop"
    );
    assert!(
        fixture.wait_running(&marker, 0).await,
        "the query still runs"
    );
    let (_, run) = s1.get(&format!("/api/data-marts/{id}/runs/{run_id}")).await;
    assert_eq!(run["status"], "CANCELLED", "{run}");
    drop((one, two));
    psql(admin_url, &format!("DROP DATABASE {name} WITH (FORCE)"));
    fixture.drop_schema().await;
}
