//! `soak`: mixed load on the real `owox` binary for a while, from this separate process over
//! loopback: small JSON endpoints and NDJSON streams at once. Reports requests, errors, p50/p99
//! per kind, and the server's RSS over time (start, peak, end) so a leak shows as growth.
//! Exits 1 on any error. A short run is in CI (`.ci/run`); the long one is documented in
//! bench/README.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use owox_bench::load::{http_client, ms, run_load, Stats, Window};
use owox_bench::machine::rss_mib;
use owox_bench::server::{locate_owox, OwoxServer};
use serde_json::{json, Value};

/// Mixed load (JSON endpoints and streams) against the real `owox` binary.
#[derive(Parser, Debug)]
#[command(name = "soak")]
struct Args {
    /// Seconds of load (after a 2-second warm-up).
    #[arg(long, default_value_t = 300.0)]
    secs: f64,
    /// Concurrent clients on the JSON endpoints (context, data-mart list and detail, runs).
    #[arg(long, default_value_t = 16)]
    json_clients: usize,
    /// Concurrent clients streaming the seeded data mart back to back.
    #[arg(long, default_value_t = 8)]
    stream_clients: usize,
    /// Rows per stream (the seeded mart has 100,000).
    #[arg(long, default_value_t = 20_000)]
    stream_rows: u64,
    /// The `owox` binary to start (default: `owox` next to this executable).
    #[arg(long)]
    owox_bin: Option<PathBuf>,
}

fn line(kind: &str, s: &Stats) {
    println!(
        "  {kind:<28} {:>8} ok {:>4} errors {:>9.1} req/s  p50 {:>9}  p99 {:>9}  max {:>9}",
        s.ok,
        s.errors,
        s.per_sec(),
        ms(s.percentile(50.0)),
        ms(s.percentile(99.0)),
        ms(s.max())
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let owox = locate_owox(args.owox_bin.clone())?;
    let mut server = OwoxServer::start(&owox)?;
    server.wait_ready(Duration::from_secs(60)).await?;
    let key = server.create_key()?;
    let client = http_client();
    let exchanged: Value = client
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("x-owox-api-key-id", &key.id)
        .json(&json!({"apiKeySecret": key.secret}))
        .send()
        .await?
        .json()
        .await?;
    let token = exchanged["accessToken"]
        .as_str()
        .context("no access token")?
        .to_string();
    let base = server.base.clone();
    let call = |method: &str, path: &str, body: Value| {
        client
            .request(method.parse().expect("a method"), format!("{base}{path}"))
            .header("x-owox-authorization", format!("Bearer {token}"))
            .header("x-owox-api-key-id", &key.id)
            .json(&body)
            .send()
    };
    // Seed: a published data mart of 100,000 rows on the embedded storage.
    let storages: Value = call("GET", "/api/data-storages", Value::Null)
        .await?
        .json()
        .await?;
    let storage = storages[0]["id"].as_str().context("no storage")?;
    let mart: Value = call(
        "POST",
        "/api/data-marts",
        json!({"title": "soak", "storageId": storage}),
    )
    .await?
    .json()
    .await?;
    let mart = mart["id"].as_str().context("no mart id")?.to_string();
    let sql = "SELECT i AS id, 'customer ' || (i % 1000) AS customer, CAST(i % 10000 AS DECIMAL(10,2)) / 4 AS amount, DATE '2024-01-01' + CAST(i % 365 AS INTEGER) AS day FROM range(100000) t(i)";
    call(
        "PUT",
        &format!("/api/data-marts/{mart}/definition"),
        json!({"definitionType": "SQL", "definition": {"sqlQuery": sql}}),
    )
    .await?
    .error_for_status()?;
    call("PUT", &format!("/api/data-marts/{mart}/publish"), json!({}))
        .await?
        .error_for_status()?;

    let pid = server.pid();
    let rss_start = rss_mib(pid);
    let samples = Arc::new(Mutex::new(Vec::<f64>::new()));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (samples, done) = (samples.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                samples.lock().expect("sampler lock").push(rss_mib(pid));
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    let window = Window {
        warmup: Duration::from_secs(2),
        measure: Duration::from_secs_f64(args.secs),
        max_requests: 50_000_000,
    };
    println!(
        "soak: {} s, {} JSON clients, {} stream clients ({} rows each), server RSS {rss_start:.1} MiB at start",
        args.secs, args.json_clients, args.stream_clients, args.stream_rows
    );
    let auth = (token.clone(), key.id.clone(), base.clone(), mart.clone());
    let json_load = {
        let (token, key_id, base, mart) = auth.clone();
        run_load(args.json_clients, window, None, move |client| {
            let (token, key_id, base, mart) =
                (token.clone(), key_id.clone(), base.clone(), mart.clone());
            async move {
                // Rotate over the small endpoints by the clock.
                let path = match std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_micros() % 4)
                {
                    0 => "/api/auth/context".to_string(),
                    1 => "/api/data-marts".to_string(),
                    2 => format!("/api/data-marts/{mart}"),
                    _ => format!("/api/data-marts/{mart}/runs?limit=10"),
                };
                client
                    .get(format!("{base}{path}"))
                    .header("x-owox-authorization", format!("Bearer {token}"))
                    .header("x-owox-api-key-id", &key_id)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            }
        })
    };
    let stream_load = {
        let (token, key_id, base, mart) = auth.clone();
        let rows = args.stream_rows;
        run_load(args.stream_clients, window, None, move |client| {
            let (token, key_id, base, mart) =
                (token.clone(), key_id.clone(), base.clone(), mart.clone());
            async move {
                let Ok(r) = client
                    .get(format!(
                        "{base}/api/external/http-data/data-marts/{mart}.ndjson?limit={rows}"
                    ))
                    .header("x-owox-authorization", format!("Bearer {token}"))
                    .header("x-owox-api-key-id", &key_id)
                    .timeout(Duration::from_secs(120))
                    .send()
                    .await
                else {
                    return false;
                };
                if r.status() != 200 {
                    return false;
                }
                // A complete body of exactly `rows` lines.
                r.bytes()
                    .await
                    .is_ok_and(|b| b.iter().filter(|c| **c == b'\n').count() as u64 == rows)
            }
        })
    };
    let (json_stats, stream_stats) = tokio::join!(json_load, stream_load);
    done.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    let samples = samples.lock().expect("sampler lock").clone();
    let peak = samples.iter().copied().fold(0.0, f64::max);
    let tail: Vec<f64> = samples.iter().rev().take(10).copied().collect();
    let end = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
    let first: Vec<f64> = samples.iter().skip(10).take(10).copied().collect();
    let early = first.iter().sum::<f64>() / first.len().max(1) as f64;
    line("JSON endpoints", &json_stats);
    line(
        &format!("streams of {} rows", args.stream_rows),
        &stream_stats,
    );
    println!(
        "  server RSS: {rss_start:.1} MiB at start, {early:.1} MiB early in the load, peak {peak:.1} MiB, {end:.1} MiB at the end ({:+.1}% from early to end)",
        (end - early) / early.max(1.0) * 100.0
    );
    drop(server);
    let errors = json_stats.errors + stream_stats.errors;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("soak: {errors} failed requests");
        ExitCode::FAILURE
    })
}
