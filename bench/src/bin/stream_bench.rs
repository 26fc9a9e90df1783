//! `stream-bench`: the HTTP Data stream benchmark (issue 7).
//!
//! In one run, side by side: a generated DuckDB table of `--rows` rows and a dozen mixed
//! columns exported by DuckDB itself (`COPY (SELECT …) TO '/dev/null' (FORMAT JSON)`, the same
//! engine build, linked into this binary) against the same rows streamed as NDJSON by the real
//! `owox` binary over loopback to `stream-probe`; the server's RSS at 1/10 of the rows and at
//! all of them; the time to first byte; `--concurrent` simultaneous streams; and the same table
//! on the local PostgreSQL (`--pg-rows`) against `COPY (SELECT row_to_json(…)) TO STDOUT`.
//! Prints figures and ratios; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use owox_bench::load::http_client;
use owox_bench::machine::rss_mib;
use owox_bench::server::{locate_owox, OwoxServer};
use owox_storage::{DuckDbAdmin, DuckDbConfig};
use serde_json::{json, Value};

/// Benchmarks HTTP Data streams against the real `owox` binary.
///
/// Build first, with the same profile and CARGO_TARGET_DIR: `cargo build --workspace --bins`,
/// then `cargo run -p owox-bench --bin stream-bench` (the README of bench/ has the figures).
#[derive(Parser, Debug)]
#[command(name = "stream-bench")]
struct Args {
    /// Rows of the generated table.
    #[arg(long, default_value_t = 10_000_000)]
    rows: u64,
    /// Concurrent streams in the concurrency phase (0 skips it).
    #[arg(long, default_value_t = 50)]
    concurrent: usize,
    /// Rows of each concurrent stream.
    #[arg(long, default_value_t = 100_000)]
    concurrent_rows: u64,
    /// Rows of the PostgreSQL table (0 skips the PostgreSQL phase).
    #[arg(long, default_value_t = 1_000_000)]
    pg_rows: u64,
    /// libpq-style connection string of the PostgreSQL the phase uses.
    #[arg(
        long,
        default_value = "host=127.0.0.1 port=5432 user=postgres dbname=test"
    )]
    pg: String,
    /// The stream-probe tool (default: ../shared/tools/stream-probe from the repository).
    #[arg(long)]
    probe: Option<PathBuf>,
    /// The `owox` binary to start (default: `owox` next to this executable).
    #[arg(long)]
    owox_bin: Option<PathBuf>,
    /// Extra settings for the server, `NAME=value` (repeatable), e.g. `DUCKDB_MEMORY_LIMIT=512MB`.
    #[arg(long = "server-env", value_name = "NAME=value")]
    server_env: Vec<String>,
    /// Skip the 1/10 and full-size single streams (e.g. to measure only concurrency).
    #[arg(long)]
    skip_single: bool,
    /// Also read the full stream with curl (C, no per-chunk work): when the server outruns
    /// stream-probe (a Python reader, ~0.2 of a core), this shows what the server alone can do.
    #[arg(long)]
    curl: bool,
    /// Also time aggregations, sorts and distinct counts over the table through the server
    /// (what a smaller `DUCKDB_MEMORY_LIMIT` may slow down by spilling).
    #[arg(long)]
    aggregations: bool,
}

/// Queries that need operator memory (hash tables, sorts) over the `wide` table.
const AGGREGATIONS: &[(&str, &str)] = &[
    (
        "group by customer (50k groups)",
        "SELECT customer, count(*) AS n, sum(amount) AS amount, avg(price) AS price FROM wide GROUP BY customer",
    ),
    (
        "group by id % (rows/5) (many groups)",
        "SELECT id % (SELECT count(*) // 5 FROM wide) AS k, sum(qty) AS qty, max(note) AS note FROM wide GROUP BY k",
    ),
    (
        "count distinct note",
        "SELECT count(DISTINCT note) AS notes FROM wide",
    ),
    (
        "order by note, top 100",
        "SELECT * FROM wide ORDER BY note DESC LIMIT 100",
    ),
    (
        "full sort by price, last 10",
        "SELECT id, price FROM (SELECT id, price, row_number() OVER (ORDER BY price DESC) AS r FROM wide) WHERE r > (SELECT count(*) - 10 FROM wide)",
    ),
];

/// The generated columns: integers (one beyond 2^53), a decimal, floats, strings, a date, a
/// timestamp with zone, a boolean and a nullable string.
const SELECT_WIDE: &str = "SELECT i AS id, 9007199254740993 + i AS big, CAST(i % 1000 AS INTEGER) AS qty, \
     CAST(i % 100000 AS DECIMAL(12,2)) / 4 AS amount, i / 7.0 AS price, CAST(i % 97 AS FLOAT) / 8 AS ratio, \
     'customer ' || (i % 50000) AS customer, ['DE','FR','US','GB','PL'][1 + i % 5] AS country, \
     DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS day, \
     to_timestamp(1577836800 + i) AS created_at, i % 3 = 0 AS paid, \
     CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note FROM range(?) t(i)";

fn probe(probe: &Path, url: &str, token: &str, key_id: &str, pid: u32) -> anyhow::Result<Value> {
    let cpu_before = owox_bench::machine::cpu_seconds(pid);
    let out = Command::new(probe)
        .args([
            url,
            "-H",
            &format!("x-owox-authorization: Bearer {token}"),
            "-H",
            &format!("x-owox-api-key-id: {key_id}"),
            "--pid",
            &pid.to_string(),
            "--json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", probe.display()))?;
    let v: Value = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "stream-probe printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        )
    })?;
    if v["clean_end"] != json!(true) || v["status"] != json!(200) {
        bail!("the stream did not end cleanly: {v}");
    }
    let mut v = v;
    v["server_cpu_s"] = json!(owox_bench::machine::cpu_seconds(pid) - cpu_before);
    Ok(v)
}

/// `RssAnon` / `RssFile` of a process (heap vs. mapped files).
fn memory_breakdown(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("RssAnon") || l.starts_with("RssFile"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

struct Api {
    base: String,
    token: String,
    key_id: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let r = http_client()
            .request(method.parse()?, format!("{}{path}", self.base))
            .header("x-owox-authorization", format!("Bearer {}", self.token))
            .header("x-owox-api-key-id", &self.key_id)
            .timeout(Duration::from_secs(600))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {v}");
        }
        Ok(v)
    }

    /// Waits until no run of `mart` is RUNNING and then until the server's RSS has settled:
    /// a stream's run ends after its totals query, which runs after the last byte (a full
    /// scan when the stream had a limit), and the engine frees that query's memory just
    /// after; the next stream's memory and CPU are measured without either.
    async fn wait_runs_done(&self, mart: &str, pid: u32) -> anyhow::Result<()> {
        self.wait_no_running_run(mart).await?;
        // Settled: under 1 MiB of change over 200 ms (at most 5 s).
        let until = Instant::now() + Duration::from_secs(5);
        let mut last = rss_mib(pid);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = rss_mib(pid);
            if (now - last).abs() < 1.0 {
                break;
            }
            last = now;
        }
        Ok(())
    }

    async fn wait_no_running_run(&self, mart: &str) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(300);
        loop {
            let runs = self
                .call(
                    "GET",
                    &format!("/api/data-marts/{mart}/runs?limit=5"),
                    Value::Null,
                )
                .await?;
            let running = runs["runs"]
                .as_array()
                .is_some_and(|r| r.iter().any(|run| run["status"] == "RUNNING"));
            if !running {
                return Ok(());
            }
            if Instant::now() > until {
                bail!("a run of {mart} is still RUNNING after 300 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A published SQL data mart on storage `storage_id`; the mart's id.
    async fn sql_mart(&self, storage_id: &str, sql: &str) -> anyhow::Result<String> {
        let mart = self
            .call(
                "POST",
                "/api/data-marts",
                json!({"title": "probe", "storageId": storage_id}),
            )
            .await?;
        let id = mart["id"].as_str().context("mart id")?.to_string();
        self.call(
            "PUT",
            &format!("/api/data-marts/{id}/definition"),
            json!({"definitionType": "SQL", "definition": {"sqlQuery": sql}}),
        )
        .await?;
        self.call("PUT", &format!("/api/data-marts/{id}/publish"), json!({}))
            .await?;
        Ok(id)
    }

    /// The body of a (small) stream.
    async fn stream_text(&self, mart: &str) -> anyhow::Result<String> {
        Ok(http_client()
            .get(format!(
                "{}/api/external/http-data/data-marts/{mart}.ndjson",
                self.base
            ))
            .header("x-owox-authorization", format!("Bearer {}", self.token))
            .header("x-owox-api-key-id", &self.key_id)
            .send()
            .await?
            .text()
            .await?)
    }

    /// A storage of `storage_type` configured with `config` (and credentials), and a published
    /// TABLE data mart over `table` on it; the mart's id.
    async fn table_mart(
        &self,
        storage_type: &str,
        config: Value,
        credentials: Value,
        table: &str,
    ) -> anyhow::Result<String> {
        let storage = self
            .call("POST", "/api/data-storages", json!({"type": storage_type}))
            .await?;
        let sid = storage["id"].as_str().context("storage id")?;
        self.call(
            "PUT",
            &format!("/api/data-storages/{sid}"),
            json!({"title": "bench", "config": config, "credentials": credentials}),
        )
        .await?;
        let mart = self
            .call(
                "POST",
                "/api/data-marts",
                json!({"title": table, "storageId": sid}),
            )
            .await?;
        let id = mart["id"].as_str().context("mart id")?.to_string();
        self.call(
            "PUT",
            &format!("/api/data-marts/{id}/definition"),
            json!({"definitionType": "TABLE", "definition": {"fullyQualifiedName": table}}),
        )
        .await?;
        self.call("PUT", &format!("/api/data-marts/{id}/publish"), json!({}))
            .await?;
        Ok(id)
    }
}

fn line(label: &str, v: &Value) {
    let rows = v["rows"].as_f64().unwrap_or(f64::NAN);
    let cpu = v["server_cpu_s"].as_f64().unwrap_or(f64::NAN);
    let wall = v["wall_s"].as_f64().unwrap_or(f64::NAN);
    println!(
        "  {label:<34} {:>9} rows/s {:>7} MB/s  first byte {:>7.1} ms  peak RSS {:>6} MiB  server CPU {:.2} s ({:.2} µs/row, {:.2} cores)",
        v["rows_per_s"],
        v["mb_per_s"],
        v["first_byte_s"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        v["server_peak_rss_mib"],
        cpu,
        cpu / rows * 1e6,
        cpu / wall,
    );
}

/// The full stream read by curl into /dev/null: rows/s (from the known row count), MB/s, time
/// to first byte, server CPU, and the ratio to DuckDB's export.
fn curl_line(
    url: &str,
    token: &str,
    key_id: &str,
    pid: u32,
    rows: u64,
    baseline_rps: f64,
) -> anyhow::Result<()> {
    let cpu_before = owox_bench::machine::cpu_seconds(pid);
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{time_starttransfer} %{time_total}",
            "-H",
            &format!("x-owox-authorization: Bearer {token}"),
            "-H",
            &format!("x-owox-api-key-id: {key_id}"),
            url,
        ])
        .output()
        .context("curl is needed for --curl")?;
    let cpu = owox_bench::machine::cpu_seconds(pid) - cpu_before;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let f: Vec<&str> = text.split_whitespace().collect();
    if f.first() != Some(&"200") || !out.status.success() {
        bail!("curl: {text}");
    }
    let num = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    let (bytes, first, total) = (num(1), num(2), num(3));
    let rps = rows as f64 / total;
    println!(
        "  {:<34} {rps:>9.0} rows/s {:>7.1} MB/s  first byte {:>7.1} ms  server CPU {cpu:.2} s ({:.2} cores); ratio {:.2}",
        format!("{rows} rows, curl"),
        bytes / total / 1e6,
        first * 1000.0,
        cpu / total,
        rps / baseline_rps
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let owox = locate_owox(args.owox_bin.clone())?;
    let probe_bin = args.probe.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/stream-probe")
    });
    if !probe_bin.is_file() {
        bail!(
            "stream-probe not found at {} (pass --probe)",
            probe_bin.display()
        );
    }
    let dir = tempfile::tempdir()?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));

    // 1. The table, and DuckDB's own JSON export of it as the baseline.
    println!("Generating {} rows with 12 columns…", args.rows);
    let duck = DuckDbConfig {
        database_path: dir.path().join("bench").join("bench.duckdb"),
        imports_dir: dir.path().join("imports"),
        memory_limit: "1GB".into(),
        threads,
        temp_dir: dir.path().join("duckdb").join("tmp"),
        table_cache_limit: None,
    };
    let baseline_rps = {
        let admin = DuckDbAdmin::open(&duck)?;
        let create = SELECT_WIDE.replace('?', &args.rows.to_string());
        admin.execute_batch(&format!("CREATE TABLE wide AS {create}"))?;
        let started = Instant::now();
        let cpu = owox_bench::machine::cpu_seconds(std::process::id());
        admin.execute_batch("COPY (SELECT * FROM wide) TO '/dev/null' (FORMAT JSON)")?;
        let secs = started.elapsed().as_secs_f64();
        let cpu = owox_bench::machine::cpu_seconds(std::process::id()) - cpu;
        println!(
            "DuckDB COPY … (FORMAT JSON) of all rows, {threads} threads: {:.0} rows/s, CPU {cpu:.2} s ({:.2} µs/row)",
            args.rows as f64 / secs,
            cpu / args.rows as f64 * 1e6
        );
        args.rows as f64 / secs
    };

    // 2. The server on that data directory.
    let duck_threads = threads.to_string();
    let mut env: Vec<(&str, &str)> = vec![
        ("DUCKDB_THREADS", duck_threads.as_str()),
        ("QUERY_TIMEOUT_SECONDS", "0"),
    ];
    for setting in &args.server_env {
        let (name, value) = setting
            .split_once('=')
            .with_context(|| format!("--server-env wants NAME=value, got {setting:?}"))?;
        env.push((name, value));
    }
    let mut server = OwoxServer::start_in(&owox, dir, &env)?;
    server.wait_ready(Duration::from_secs(120)).await?;
    let key = server.create_key()?;
    let exchanged: Value = http_client()
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("x-owox-api-key-id", &key.id)
        .json(&json!({"apiKeySecret": key.secret}))
        .send()
        .await?
        .json()
        .await?;
    let api = Api {
        base: server.base.clone(),
        token: exchanged["accessToken"].as_str().context("token")?.into(),
        key_id: key.id.clone(),
    };
    let mart = api
        .table_mart(
            "DUCKDB",
            json!({"databasePath": "bench/bench.duckdb", "importsPath": "imports"}),
            Value::Null,
            "wide",
        )
        .await?;
    let pid = server.pid();
    let url = |query: &str| {
        server.url(&format!(
            "/api/external/http-data/data-marts/{mart}.ndjson{query}"
        ))
    };
    println!("\nDuckDB, server idle RSS {:.1} MiB:", rss_mib(pid));
    if !args.skip_single {
        let tenth = (args.rows / 10).max(1);
        let small = probe(
            &probe_bin,
            &url(&format!("?limit={tenth}")),
            &api.token,
            &api.key_id,
            pid,
        )?;
        line(&format!("{tenth} rows"), &small);
        api.wait_runs_done(&mart, pid).await?;
        let full = probe(&probe_bin, &url(""), &api.token, &api.key_id, pid)?;
        line(&format!("{} rows (columns=*)", args.rows), &full);
        api.wait_runs_done(&mart, pid).await?;
        if args.curl {
            curl_line(
                &url(""),
                &api.token,
                &api.key_id,
                pid,
                args.rows,
                baseline_rps,
            )?;
        }
        println!("  after it: {}", memory_breakdown(pid));
        let storage_id = api
            .call("GET", &format!("/api/data-marts/{mart}"), Value::Null)
            .await?["storage"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let probe_mart = api
        .sql_mart(
            &storage_id,
            "SELECT current_setting('memory_limit') AS memory_limit, sum(memory_usage_bytes) AS duckdb_memory_bytes, \
             string_agg(tag || ' ' || (memory_usage_bytes // 1048576) || ' MiB', ', ' ORDER BY memory_usage_bytes DESC) \
               FILTER (WHERE memory_usage_bytes >= 1048576) AS by_tag FROM duckdb_memory()",
        )
        .await?;
        println!(
            "  DuckDB says: {}",
            api.stream_text(&probe_mart).await?.trim()
        );
        let rps = full["rows_per_s"].as_f64().unwrap_or(0.0);
        let (rss_small, rss_full) = (
            small["server_peak_rss_mib"].as_f64().unwrap_or(0.0),
            full["server_peak_rss_mib"].as_f64().unwrap_or(0.0),
        );
        println!(
        "  ratio to DuckDB's own export: {:.2} (target ≥ 0.8); RSS {} vs {} rows: {:+.1}% (target within 10%, ≤ 150 MB)",
        rps / baseline_rps,
        args.rows,
        tenth,
        (rss_full - rss_small) / rss_small * 100.0
    );
    }

    // 2b. Queries that need operator memory.
    if args.aggregations {
        let storage_id = api
            .call("GET", &format!("/api/data-marts/{mart}"), Value::Null)
            .await?["storage"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        println!("\nAggregations through the server (whole answer, wall time):");
        for (label, sql) in AGGREGATIONS {
            let id = api.sql_mart(&storage_id, sql).await?;
            let started = Instant::now();
            let text = api.stream_text(&id).await?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "  {label:<40} {secs:>7.2} s  {} lines  peak RSS so far {:.1} MiB",
                text.lines().count(),
                owox_bench::machine::peak_rss_mib(pid)
            );
        }
    }

    // 3. Concurrent streams.
    if args.concurrent > 0 {
        let before = rss_mib(pid);
        let started = Instant::now();
        let children: Vec<_> = (0..args.concurrent)
            .map(|_| {
                Command::new(&probe_bin)
                    .args([
                        url(&format!("?limit={}", args.concurrent_rows)).as_str(),
                        "-H",
                        &format!("x-owox-authorization: Bearer {}", api.token),
                        "-H",
                        &format!("x-owox-api-key-id: {}", api.key_id),
                        "--json",
                    ])
                    .stdout(Stdio::piped())
                    .spawn()
            })
            .collect::<Result<_, _>>()?;
        let sampler = std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            let until = Instant::now() + Duration::from_secs(600);
            while Instant::now() < until {
                let r = rss_mib(pid);
                if r == 0.0 {
                    break;
                }
                peak = peak.max(r);
                std::thread::sleep(Duration::from_millis(20));
                if std::fs::read_to_string("/tmp/owox-stream-bench-done").is_ok() {
                    break;
                }
            }
            peak
        });
        let _ = std::fs::remove_file("/tmp/owox-stream-bench-done");
        let mut clean = 0;
        let mut rows = 0u64;
        for child in children {
            let out = child.wait_with_output()?;
            if let Ok(v) = serde_json::from_slice::<Value>(&out.stdout) {
                if v["clean_end"] == json!(true) && v["status"] == json!(200) {
                    clean += 1;
                    rows += v["rows"].as_u64().unwrap_or(0);
                }
            }
        }
        let wall = started.elapsed().as_secs_f64();
        std::fs::write("/tmp/owox-stream-bench-done", b"")?;
        let peak = sampler.join().unwrap_or(0.0);
        let _ = std::fs::remove_file("/tmp/owox-stream-bench-done");
        println!(
            "\n{} concurrent streams of {} rows: {clean} ended cleanly, {rows} rows in {wall:.1} s ({:.0} rows/s in all); server RSS {before:.1} MiB before, peak {peak:.1} MiB",
            args.concurrent,
            args.concurrent_rows,
            rows as f64 / wall
        );
    }

    // 4. PostgreSQL.
    if args.pg_rows > 0 {
        let (client, connection) = tokio_postgres::connect(&args.pg, tokio_postgres::NoTls)
            .await
            .context("the PostgreSQL phase needs --pg (or --pg-rows 0)")?;
        tokio::spawn(connection);
        let schema = format!("owox_bench_{}", std::process::id());
        println!(
            "\nPostgreSQL: generating {} rows in schema {schema}…",
            args.pg_rows
        );
        client
            .batch_execute(&format!(
                "CREATE SCHEMA {schema}; CREATE TABLE {schema}.wide AS SELECT i AS id, 9007199254740993 + i AS big, (i % 1000)::int AS qty, \
                 ((i % 100000)::numeric(12,2) / 4)::numeric(12,2) AS amount, i / 7.0::float8 AS price, ((i % 97) / 8.0)::real AS ratio, \
                 'customer ' || (i % 50000) AS customer, (ARRAY['DE','FR','US','GB','PL'])[1 + i % 5] AS country, \
                 date '2020-01-01' + (i % 2000)::int AS day, timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second' AS created_at, \
                 i % 3 = 0 AS paid, CASE WHEN i % 10 = 0 THEN NULL ELSE 'note ' || i END AS note \
                 FROM generate_series(0, {}) i; ANALYZE {schema}.wide;",
                args.pg_rows - 1
            ))
            .await?;
        // Baseline: PostgreSQL's own JSON of every row, through psql to /dev/null.
        let started = Instant::now();
        let status = Command::new("psql")
            .args([
                &args.pg,
                "-q",
                "-c",
                &format!("\\copy (SELECT row_to_json(w) FROM {schema}.wide w) TO '/dev/null'"),
            ])
            .status()
            .context("psql is needed for the PostgreSQL baseline")?;
        if !status.success() {
            bail!("psql failed");
        }
        let pg_baseline = args.pg_rows as f64 / started.elapsed().as_secs_f64();
        println!("  PostgreSQL COPY (SELECT row_to_json(…)) via psql: {pg_baseline:.0} rows/s");
        let pg_mart = api
            .table_mart(
                "POSTGRES",
                json!({"host": "127.0.0.1", "port": 5432, "database": "test", "schema": schema, "sslmode": "disable"}),
                json!({"username": "postgres", "password": "unused"}),
                "wide",
            )
            .await?;
        let pg_url = server.url(&format!(
            "/api/external/http-data/data-marts/{pg_mart}.ndjson"
        ));
        let v = probe(&probe_bin, &pg_url, &api.token, &api.key_id, pid)?;
        line(&format!("{} rows", args.pg_rows), &v);
        println!(
            "  ratio to PostgreSQL's own JSON export: {:.2}",
            v["rows_per_s"].as_f64().unwrap_or(0.0) / pg_baseline
        );
        client
            .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
            .await?;
    }
    drop(server);
    Ok(())
}
