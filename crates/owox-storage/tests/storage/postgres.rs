//! The PostgreSQL storage against the local server (127.0.0.1:5432, user postgres, database
//! `test`), each test in a schema of its own.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use owox_query::SqlParam;
use owox_storage::{
    Cell, DefinitionRef, PostgresConfig, PostgresStorage, SslMode, Storage, StorageError,
};
use tokio_postgres::NoTls;

use crate::common::{stmt, stmt_with};

pub struct PgEnv {
    pub storage: PostgresStorage,
    pub admin: tokio_postgres::Client,
    pub schema: String,
}

pub fn config(schema: &str) -> PostgresConfig {
    PostgresConfig {
        host: "127.0.0.1".into(),
        port: 5432,
        database: "test".into(),
        schema: Some(schema.into()),
        ssl_mode: SslMode::Prefer,
        username: "postgres".into(),
        password: "unused-with-trust-auth".into(),
        statement_timeout: Some(Duration::from_secs(60)),
        connect_timeout: Duration::from_secs(5),
        max_connections: 4,
    }
}

async fn admin() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test",
        NoTls,
    )
    .await
    .expect("the local PostgreSQL (127.0.0.1:5432, user postgres, database test) must be running");
    tokio::spawn(connection);
    client
}

/// A fresh schema with `setup` run in it, and a storage reading it.
pub async fn pg_with(setup: &str) -> PgEnv {
    pg_with_config(setup, |_| {}).await
}

pub async fn pg_with_config(setup: &str, tweak: impl FnOnce(&mut PostgresConfig)) -> PgEnv {
    let admin = admin().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!("owox_t_{}_{nanos}", std::process::id());
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA \"{schema}\"; SET search_path = \"{schema}\"; {setup}"
        ))
        .await
        .unwrap();
    let mut config = config(&schema);
    tweak(&mut config);
    PgEnv {
        storage: PostgresStorage::new(&config).unwrap(),
        admin,
        schema,
    }
}

impl PgEnv {
    pub async fn cleanup(self) {
        self.admin
            .batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.schema))
            .await
            .unwrap();
    }
}

pub async fn pg_rows(
    storage: &PostgresStorage,
    statement: owox_query::Statement,
) -> Result<Vec<Vec<Cell>>, StorageError> {
    let mut stream = storage.query(statement).await?;
    let mut rows = Vec::new();
    while let Some(batch) = stream.next().await {
        rows.extend(batch?.rows);
    }
    Ok(rows)
}

fn provider_message(e: StorageError) -> String {
    match e {
        StorageError::Provider { message } => message,
        other => panic!("expected a provider error, got {other:?}"),
    }
}

const TYPES: &str = "
    CREATE TYPE mood AS ENUM ('happy', 'sad');
    CREATE TABLE t (
        i2 smallint, i4 integer, i8 bigint, n numeric, n2 numeric(12,2), r real,
        d double precision, b boolean, tx text, vc varchar(10), ch char(3), u uuid,
        dt date, tm time, ts timestamp, tz timestamptz, j json, jb jsonb, by bytea,
        arr integer[], iv interval, m mood
    );
    INSERT INTO t VALUES (
        -32768, 2147483647, 9007199254740993, 123456789012345678901234567890.000000001, -0.50,
        0.1, 1.5, true, 'a\"é', 'vc', 'ab', '00010203-0405-0607-0809-0a0b0c0d0e0f',
        '2024-02-29', '10:11:12.5', '2024-01-31 10:00:00.123456', '2024-01-31 10:00:00+02',
        '{\"a\": [1, 2.50]}', '{\"b\": 1}', '\\x00ff', '{1,NULL,3}', '1 day 02:00:00', 'sad'
    );
    INSERT INTO t (i2) VALUES (NULL);
";

#[tokio::test]
async fn every_common_type_is_exact() {
    let env = pg_with(TYPES).await;
    let rows = pg_rows(&env.storage, stmt("SELECT * FROM t ORDER BY i2 NULLS LAST"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let ts = NaiveDate::from_ymd_opt(2024, 1, 31)
        .unwrap()
        .and_hms_micro_opt(10, 0, 0, 123_456)
        .unwrap();
    let expected = vec![
        Cell::Int(-32768),
        Cell::Int(2147483647),
        Cell::Int(9007199254740993),
        Cell::Decimal("123456789012345678901234567890.000000001".into()),
        Cell::Decimal("-0.50".into()),
        Cell::Float(0.1),
        Cell::Float(1.5),
        Cell::Bool(true),
        Cell::Text("a\"é".into()),
        Cell::Text("vc".into()),
        Cell::Text("ab ".into()),
        Cell::Text("00010203-0405-0607-0809-0a0b0c0d0e0f".into()),
        Cell::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()),
        Cell::Time(chrono::NaiveTime::from_hms_milli_opt(10, 11, 12, 500).unwrap()),
        Cell::Timestamp(ts),
        Cell::TimestampTz(Utc.with_ymd_and_hms(2024, 1, 31, 8, 0, 0).unwrap()),
        Cell::Json("{\"a\": [1, 2.50]}".into()),
        Cell::Json("{\"b\": 1}".into()),
        Cell::Bytes(vec![0, 255]),
        Cell::Json("[1,null,3]".into()),
        Cell::Json("\"1 day 02:00:00\"".into()),
        Cell::Text("sad".into()),
    ];
    assert_eq!(rows[0], expected);
    assert!(rows[1].iter().all(|c| *c == Cell::Null), "{:?}", rows[1]);
    env.cleanup().await;
}

#[tokio::test]
async fn infinities_and_special_numerics_are_text() {
    let env = pg_with("").await;
    let rows = pg_rows(
        &env.storage,
        stmt("SELECT 'infinity'::timestamp, '-infinity'::timestamptz, 'infinity'::date, 'NaN'::numeric, 0.000::numeric"),
    )
    .await
    .unwrap();
    assert_eq!(
        rows[0],
        vec![
            Cell::Text("infinity".into()),
            Cell::Text("-infinity".into()),
            Cell::Text("infinity".into()),
            Cell::Text("NaN".into()),
            Cell::Decimal("0.000".into()),
        ]
    );
    env.cleanup().await;
}

#[tokio::test]
async fn schema_discovery_normalizes_types() {
    let env = pg_with(TYPES).await;
    let fields = env
        .storage
        .describe(DefinitionRef::Table("t"))
        .await
        .unwrap();
    let got: Vec<(&str, &str, &str)> = fields
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.type_name.as_str(),
                f.native_type.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("i2", "SMALLINT", "smallint"),
            ("i4", "INTEGER", "integer"),
            ("i8", "BIGINT", "bigint"),
            ("n", "NUMERIC", "numeric"),
            ("n2", "NUMERIC", "numeric"),
            ("r", "REAL", "real"),
            ("d", "DOUBLE PRECISION", "double precision"),
            ("b", "BOOLEAN", "boolean"),
            ("tx", "TEXT", "text"),
            ("vc", "VARCHAR", "character varying"),
            ("ch", "CHAR", "character"),
            ("u", "VARCHAR", "uuid"),
            ("dt", "DATE", "date"),
            ("tm", "TIME", "time without time zone"),
            ("ts", "TIMESTAMP", "timestamp without time zone"),
            ("tz", "TIMESTAMPTZ", "timestamp with time zone"),
            ("j", "JSON", "json"),
            ("jb", "JSON", "jsonb"),
            ("by", "BYTEA", "bytea"),
            ("arr", "ARRAY", "integer[]"),
            ("iv", "INTERVAL", "interval"),
            ("m", "VARCHAR", "mood"),
        ]
    );
    // SQL definitions are described without running them (a sleeping query returns at once).
    let started = Instant::now();
    let fields = env
        .storage
        .describe(DefinitionRef::Sql(
            "SELECT pg_sleep(30) AS s, 1::int8 AS n;",
        ))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(fields.len(), 2);
    env.cleanup().await;
}

#[tokio::test]
async fn uuid_and_enum_columns_become_text_in_the_source() {
    let env = pg_with(TYPES).await;
    let source = env
        .storage
        .source_sql(DefinitionRef::Table("t"))
        .await
        .unwrap();
    assert!(source.contains("\"u\"::text"), "{source}");
    // The string operators of the compiler now apply to them.
    let sql = format!(
        "SELECT count(*) FROM ({source}) AS \"src\" WHERE strpos(\"src\".\"u\", $1::text) > 0 AND \"src\".\"m\" = $2::text"
    );
    let rows = pg_rows(
        &env.storage,
        stmt_with(
            &sql,
            vec![SqlParam::Text("0a0b".into()), SqlParam::Text("sad".into())],
        ),
    )
    .await
    .unwrap();
    assert_eq!(rows, vec![vec![Cell::Int(1)]]);
    env.cleanup().await;
}

#[tokio::test]
async fn definitions_are_checked_and_injection_is_a_name() {
    let env =
        pg_with("CREATE TABLE orders AS SELECT 1 AS id; CREATE SCHEMA IF NOT EXISTS other;").await;
    let s = &env.storage;
    assert_eq!(
        s.source_sql(DefinitionRef::Sql("  SELECT id FROM orders -- note"))
            .await
            .unwrap(),
        "SELECT id FROM orders -- note\n"
    );
    assert_eq!(
        s.source_sql(DefinitionRef::Sql("SELECT id FROM orders ;; "))
            .await
            .unwrap(),
        "SELECT id FROM orders\n"
    );
    for bad in [
        "SELECT 1; SELECT 2",
        "DELETE FROM orders",
        "SELECT 1); DROP TABLE orders; --",
        "",
    ] {
        let e = s.source_sql(DefinitionRef::Sql(bad)).await.unwrap_err();
        assert!(matches!(e, StorageError::Provider { .. }), "{bad}: {e:?}");
    }
    let msg = provider_message(
        s.source_sql(DefinitionRef::Table("\"orders; DROP TABLE orders\""))
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("does not exist"), "{msg}");
    assert!(matches!(
        s.source_sql(DefinitionRef::Table("a.b.c"))
            .await
            .unwrap_err(),
        StorageError::InvalidDefinition(_)
    ));
    // The table is still there.
    let rows = pg_rows(s, stmt("SELECT count(*) FROM orders"))
        .await
        .unwrap();
    assert_eq!(rows, vec![vec![Cell::Int(1)]]);
    env.cleanup().await;
}

#[tokio::test]
async fn queries_run_in_read_only_transactions() {
    let env = pg_with("CREATE TABLE orders AS SELECT 1 AS id; CREATE SEQUENCE s;").await;
    let s = &env.storage;
    let msg = provider_message(pg_rows(s, stmt("SELECT nextval('s')")).await.unwrap_err());
    assert!(msg.contains("read-only transaction"), "{msg}");
    let msg = provider_message(
        pg_rows(
            s,
            stmt("WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d"),
        )
        .await
        .unwrap_err(),
    );
    assert!(msg.contains("read-only transaction"), "{msg}");
    let rows = pg_rows(s, stmt("SELECT count(*) FROM orders"))
        .await
        .unwrap();
    assert_eq!(rows, vec![vec![Cell::Int(1)]]);
    env.cleanup().await;
}

#[tokio::test]
async fn statement_timeout_stops_long_queries() {
    let env = pg_with_config("", |c| {
        c.statement_timeout = Some(Duration::from_millis(300))
    })
    .await;
    let started = Instant::now();
    let e = pg_rows(&env.storage, stmt("SELECT pg_sleep(20)"))
        .await
        .unwrap_err();
    assert!(provider_message(e).contains("statement timeout"));
    assert!(started.elapsed() < Duration::from_secs(10));
    env.cleanup().await;
}

async fn running_sleeps(admin: &tokio_postgres::Client, marker: &str) -> i64 {
    admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'owox-data-marts' AND state = 'active' AND strpos(query, $1) > 0",
            &[&marker],
        )
        .await
        .unwrap()
        .get(0)
}

async fn wait_for(admin: &tokio_postgres::Client, marker: &str, want: i64) -> bool {
    for _ in 0..100 {
        if running_sleeps(admin, marker).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn giving_up_on_a_query_cancels_the_backend_query() {
    let env = pg_with("").await;
    // Before the first rows: the driver waits for the server's first output, and dropping
    // that wait cancels the backend.
    let marker = format!("start_marker_{}", env.schema);
    let sql = format!("SELECT pg_sleep(30) AS \"{marker}\"");
    let started = tokio::time::timeout(Duration::from_millis(500), env.storage.query(stmt(&sql)));
    assert!(
        started.await.is_err(),
        "the sleep cannot have produced a row yet"
    );
    assert!(
        wait_for(&env.admin, &marker, 0).await,
        "the backend still runs the query after the caller gave up"
    );
    // After the first rows: dropping the stream cancels the backend.
    let marker = format!("drop_marker_{}", env.schema);
    let sql = format!("SELECT g, pg_sleep(CASE WHEN g = 3000 THEN 30 ELSE 0 END) AS \"{marker}\" FROM generate_series(1, 6000) g");
    let mut stream = env.storage.query(stmt(&sql)).await.unwrap();
    assert_eq!(stream.next().await.unwrap().unwrap().rows.len(), 1024);
    assert!(wait_for(&env.admin, &marker, 1).await, "query never ran");
    drop(stream);
    assert!(
        wait_for(&env.admin, &marker, 0).await,
        "the backend still runs the query after the stream was dropped"
    );
    // The pool still works (the cancelled connections were discarded, not reused).
    for _ in 0..6 {
        let rows = pg_rows(&env.storage, stmt("SELECT 1")).await.unwrap();
        assert_eq!(rows, vec![vec![Cell::Int(1)]]);
    }
    env.cleanup().await;
}

#[tokio::test]
async fn cancel_handle_ends_the_stream_with_cancelled() {
    let env = pg_with("").await;
    let marker = format!("handle_marker_{}", env.schema);
    let sql = format!("SELECT g, pg_sleep(CASE WHEN g = 5000 THEN 30 ELSE 0 END) AS \"{marker}\" FROM generate_series(1, 6000) g");
    let mut stream = env.storage.query(stmt(&sql)).await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.rows.len(), 1024);
    let handle = stream.cancel_handle();
    assert!(wait_for(&env.admin, &marker, 1).await);
    handle.cancel();
    let mut ended_with = None;
    while let Some(item) = stream.next().await {
        if let Err(e) = item {
            ended_with = Some(e);
            break;
        }
    }
    assert_eq!(ended_with, Some(StorageError::Cancelled));
    assert!(wait_for(&env.admin, &marker, 0).await);
    env.cleanup().await;
}

#[tokio::test]
async fn large_results_stream_in_batches() {
    let env = pg_with("").await;
    let mut stream = env
        .storage
        .query(stmt_with(
            "SELECT g, md5(g::text) FROM generate_series(1, $1::bigint) g",
            vec![SqlParam::Int(300_000)],
        ))
        .await
        .unwrap();
    let (mut rows, mut batches, mut last) = (0usize, 0usize, 0i64);
    while let Some(batch) = stream.next().await {
        let batch = batch.unwrap();
        assert!(batch.rows.len() <= 1024);
        rows += batch.rows.len();
        batches += 1;
        if let Some(Cell::Int(v)) = batch.rows.last().map(|r| r[0].clone()) {
            last = v;
        }
    }
    assert_eq!((rows, last), (300_000, 300_000));
    assert!(batches >= 293);
    env.cleanup().await;
}

#[tokio::test]
async fn unreachable_servers_and_bad_roles_are_provider_errors() {
    let mut refused = config("public");
    refused.port = 1;
    let e = PostgresStorage::new(&refused)
        .unwrap()
        .check_access()
        .await
        .unwrap_err();
    let msg = provider_message(e);
    assert!(msg.to_lowercase().contains("connect"), "{msg}");

    let mut nobody = config("public");
    nobody.username = "owox_no_such_role".into();
    nobody.password = "s3cret-password".into();
    let msg = provider_message(
        PostgresStorage::new(&nobody)
            .unwrap()
            .check_access()
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("owox_no_such_role"), "{msg}");
    assert!(!msg.contains("s3cret-password"));

    let mut no_db = config("public");
    no_db.database = "owox_no_such_database".into();
    let msg = provider_message(
        PostgresStorage::new(&no_db)
            .unwrap()
            .check_access()
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("owox_no_such_database"), "{msg}");

    // The local server's certificate is self-signed: verify-full refuses it, require takes it.
    let mut verified = config("public");
    verified.ssl_mode = SslMode::VerifyFull;
    assert!(PostgresStorage::new(&verified)
        .unwrap()
        .check_access()
        .await
        .is_err());
    let mut required = config("public");
    required.ssl_mode = SslMode::Require;
    PostgresStorage::new(&required)
        .unwrap()
        .check_access()
        .await
        .unwrap();
    assert!(!format!("{nobody:?}").contains("s3cret"));
}

#[tokio::test]
async fn permission_denied_is_the_providers_message() {
    let env = pg_with("CREATE TABLE secret AS SELECT 1 AS id;").await;
    env.admin
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE owox_t_limited LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
        )
        .await
        .unwrap();
    let mut limited = config(&env.schema);
    limited.username = "owox_t_limited".into();
    let storage = PostgresStorage::new(&limited).unwrap();
    storage.check_access().await.unwrap();
    // Without USAGE on the schema, PostgreSQL skips it in the search path…
    let qualified = format!("{}.secret", env.schema);
    let msg = provider_message(
        storage
            .describe(DefinitionRef::Table(&qualified))
            .await
            .unwrap_err(),
    );
    // …and a qualified name gets the refusal itself.
    assert!(msg.contains("permission denied"), "{msg}");
    env.cleanup().await;
}
