//! `auth-bench`: the API-key authentication benchmark (issue 3).
//!
//! Measures, in one run and side by side: the bare scrypt ceiling of this machine; `GET
//! /api/auth/context` alone; the same while clients exchange keys continuously (p99 against the
//! unloaded p99 and the 10 ms target); and exchanges per second at saturation against the
//! scrypt ceiling. The server is the real `owox` binary in a child process on 127.0.0.1.

use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use owox_bench::load::{http_client, ms, run_load, Stats, Window};
use owox_bench::machine::{self, CpuUse};
use owox_bench::server::{locate_owox, Key, OwoxServer};

/// Benchmarks API-key authentication against the real `owox` binary.
///
/// Build the server first, with the same profile and CARGO_TARGET_DIR as this bench:
/// `cargo build -p owox`, then `cargo run -p owox-bench --bin auth-bench`. The bench starts
/// `owox serve` from its own target directory on a free 127.0.0.1 port with a temporary data
/// directory, drives it from this process and stops it at the end.
#[derive(Parser, Debug)]
#[command(name = "auth-bench")]
struct Args {
    /// Measured seconds per HTTP phase (after the warm-up).
    #[arg(long, env = "AUTH_BENCH_SECS", default_value_t = 5.0)]
    secs: f64,
    /// Warm-up seconds before each HTTP phase is measured.
    #[arg(long, env = "AUTH_BENCH_WARMUP_SECS", default_value_t = 1.0)]
    warmup_secs: f64,
    /// Seconds for each bare-scrypt measurement (one thread, then one thread per core).
    #[arg(long, env = "AUTH_BENCH_HASH_SECS", default_value_t = 3.0)]
    hash_secs: f64,
    /// Concurrent connections sending `GET /api/auth/context`.
    #[arg(long, default_value_t = 32)]
    context_clients: usize,
    /// Concurrent clients exchanging keys in the background of the loaded phase.
    #[arg(long, default_value_t = 20)]
    exchange_load: usize,
    /// Concurrent clients exchanging keys in the saturation phase.
    #[arg(long, default_value_t = 32)]
    exchange_clients: usize,
    /// Requests/s of the paced (open-loop) `GET /api/auth/context` runs, spread over the same
    /// connections; 0 skips them.
    #[arg(long, env = "AUTH_BENCH_PACED_RATE", default_value_t = 500.0)]
    paced_rate: f64,
    /// Worker threads of the load generator's tokio runtime (it shares the cores with the server).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Most requests recorded per phase (bounds memory on long runs).
    #[arg(long, default_value_t = 2_000_000)]
    max_requests: u64,
    /// The p99 target of `GET /api/auth/context` under exchange load, in milliseconds.
    #[arg(long, default_value_t = 10.0)]
    target_p99_ms: f64,
    /// The `owox` binary to start (default: `owox` next to this executable).
    #[arg(long, env = "OWOX_BIN")]
    owox_bin: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("auth-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn seconds(name: &str, v: f64) -> anyhow::Result<Duration> {
    if !(0.0..=3600.0).contains(&v) {
        bail!("{name} must be between 0 and 3600 seconds");
    }
    Ok(Duration::from_secs_f64(v))
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let window = Window {
        warmup: seconds("--warmup-secs", args.warmup_secs)?,
        measure: seconds("--secs", args.secs)?.max(Duration::from_millis(100)),
        max_requests: args.max_requests,
    };
    let hash_time = seconds("--hash-secs", args.hash_secs)?;
    if [
        args.context_clients,
        args.exchange_clients,
        args.client_threads,
    ]
    .contains(&0)
    {
        bail!("client counts and --client-threads must be at least 1");
    }
    let bin = locate_owox(args.owox_bin.clone())?;
    let cores = machine::cores();
    println!("auth-bench: {}", bin.display());
    println!(
        "machine: {cores} cores, load average {} at start; each HTTP phase: {:.1} s warm-up + \
         {:.1} s measured; load generator: {} tokio thread(s) in this process",
        machine::load_average(),
        window.warmup.as_secs_f64(),
        window.measure.as_secs_f64(),
        args.client_threads
    );

    println!("\n[1] bare scrypt ceiling (scrypt 0.11, N=16384 r=8 p=1, 64 bytes)");
    let me = [std::process::id()];
    let (single, cpu) = with_cpu_sync(&me, || scrypt_rate(1, hash_time));
    println!(
        "    1 thread             {single:7.1} hashes/s  ({} per hash){}",
        ms(Duration::from_secs_f64(1.0 / single)),
        others(cpu)
    );
    let (multi, cpu) = with_cpu_sync(&me, || scrypt_rate(cores, hash_time));
    println!(
        "    {cores} threads (1/core)   {multi:7.1} hashes/s  (x{:.2} of 1 thread){}",
        multi / single,
        others(cpu)
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()?;
    let clean = rt.block_on(http_phases(args, &bin, window, hash_time, (single, multi)))?;
    println!("\nload average at end: {}", machine::load_average());
    Ok(clean)
}

async fn http_phases(
    args: &Args,
    bin: &std::path::Path,
    window: Window,
    hash_time: Duration,
    (single, multi): (f64, f64),
) -> anyhow::Result<bool> {
    let mut server = OwoxServer::start(bin)?;
    server.wait_ready(Duration::from_secs(30)).await?;
    let key = Arc::new(server.create_key()?);
    let token = exchange_token(&server, &key).await?;
    let pids = [std::process::id(), server.pid()];
    let context = context_op(&server, &key, &token);
    let exchange = exchange_op(&server, &key);

    let n = args.context_clients;
    let paced = (args.paced_rate > 0.0).then_some(args.paced_rate);
    let mut runs = vec![(format!("{n} connections, closed loop"), None)];
    if let Some(r) = paced {
        runs.push((format!("{n} connections, paced at {r} req/s"), Some(r)));
    }
    println!("\n[2] GET /api/auth/context alone");
    let mut alone = Vec::new();
    for (label, rate) in &runs {
        let (s, cpu) = with_cpu(&pids, run_load(n, window, *rate, context.clone())).await;
        println!("    {label}:\n    {}{}", line(&s, "req/s"), cpu_line(cpu));
        alone.push(s);
    }

    let e = args.exchange_load;
    println!("\n[3] GET /api/auth/context while {e} clients exchange keys continuously");
    let mut loaded = Vec::new();
    for ((label, rate), unloaded) in runs.iter().zip(&alone) {
        let both = async {
            tokio::join!(
                run_load(n, window, *rate, context.clone()),
                run_load(e, window, None, exchange.clone())
            )
        };
        let ((s, background), cpu) = with_cpu(&pids, both).await;
        println!("    {label}:\n    {}{}", line(&s, "req/s"), cpu_line(cpu));
        let (p99, p99_alone) = (s.percentile(99.0), unloaded.percentile(99.0));
        let met = p99.as_secs_f64() * 1000.0 <= args.target_p99_ms;
        println!(
            "    p99 x{:.2} of unloaded ({}), req/s x{:.2} of unloaded; target p99 <= {} ms: {}",
            p99.as_secs_f64() / p99_alone.as_secs_f64().max(1e-9),
            ms(p99_alone),
            s.per_sec() / unloaded.per_sec().max(1e-9),
            args.target_p99_ms,
            if met { "met" } else { "MISSED" }
        );
        println!(
            "    exchanges meanwhile: {}",
            line(&background, "exchanges/s")
        );
        loaded.push(s);
        loaded.push(background);
    }

    let x = args.exchange_clients;
    println!("\n[4] POST /api/auth/api-keys/exchange at saturation, {x} clients");
    // The ceiling again, right before, so a change in machine load since [1] shows.
    let cores = machine::cores();
    let again = tokio::task::spawn_blocking(move || scrypt_rate(cores, hash_time)).await?;
    let (sat, cpu) = with_cpu(&pids, run_load(x, window, None, exchange)).await;
    println!("    {}{}", line(&sat, "exchanges/s"), cpu_line(cpu));
    println!(
        "    x{:.2} of the {cores}-thread scrypt ceiling re-measured just before ({again:.1}/s)\n    \
         x{:.2} of the {cores}-thread ceiling in [1] ({multi:.1}/s), x{:.2} of 1 thread ({single:.1}/s)",
        sat.per_sec() / again,
        sat.per_sec() / multi,
        sat.per_sec() / single
    );

    let errors: u64 = alone
        .iter()
        .chain(&loaded)
        .chain([&sat])
        .map(|s| s.errors)
        .sum();
    if errors > 0 {
        println!("\n{errors} requests failed (non-200 or transport error); figures are suspect");
    }
    Ok(errors == 0)
}

/// One `GET /api/auth/context` with both auth headers; success is a 200 with its body read.
fn context_op(
    server: &OwoxServer,
    key: &Arc<Key>,
    token: &str,
) -> impl Fn(reqwest::Client) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Clone {
    let url: Arc<str> = server.url("/api/auth/context").into();
    let bearer: Arc<str> = format!("Bearer {token}").into();
    let key = key.clone();
    move |client: reqwest::Client| {
        let req = client
            .get(&*url)
            .header("x-owox-authorization", &*bearer)
            .header("x-owox-api-key-id", &key.id);
        Box::pin(async move { ok_200(req).await })
    }
}

/// One key exchange; success is a 200 with its body read.
fn exchange_op(
    server: &OwoxServer,
    key: &Arc<Key>,
) -> impl Fn(reqwest::Client) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send>> + Clone {
    let url: Arc<str> = server.url("/api/auth/api-keys/exchange").into();
    let body: Arc<str> = serde_json::json!({ "apiKeySecret": key.secret })
        .to_string()
        .into();
    let key = key.clone();
    move |client: reqwest::Client| {
        let req = client
            .post(&*url)
            .header("x-owox-api-key-id", &key.id)
            .header("content-type", "application/json")
            .body(body.to_string());
        Box::pin(async move { ok_200(req).await })
    }
}

async fn ok_200(req: reqwest::RequestBuilder) -> bool {
    match req.send().await {
        Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
        Err(_) => false,
    }
}

async fn exchange_token(server: &OwoxServer, key: &Key) -> anyhow::Result<String> {
    let r = http_client()
        .post(server.url("/api/auth/api-keys/exchange"))
        .header("x-owox-api-key-id", &key.id)
        .json(&serde_json::json!({ "apiKeySecret": key.secret }))
        .send()
        .await?;
    if r.status() != 200 {
        bail!("the first exchange answered {}", r.status());
    }
    let v: serde_json::Value = r.json().await?;
    v["accessToken"]
        .as_str()
        .map(str::to_string)
        .context("no accessToken in the exchange response")
}

/// Hashes per second of bare scrypt at the server's parameters on `threads` threads.
fn scrypt_rate(threads: usize, time: Duration) -> f64 {
    let params = scrypt::Params::new(14, 8, 1, 64).expect("the reference parameters are valid");
    let params = &params;
    let start = Instant::now();
    let deadline = start + time;
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let (mut n, mut out) = (0u64, [0u8; 64]);
                    while n == 0 || Instant::now() < deadline {
                        let material = format!("owox_pmkey:pmk_bench{t}:{n}");
                        scrypt::scrypt(material.as_bytes(), b"auth-bench-salt", params, &mut out)
                            .expect("a 64-byte output is valid");
                        std::hint::black_box(&out);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("no panic"))
            .sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

async fn with_cpu<T>(pids: &[u32], f: impl Future<Output = T>) -> (T, Option<CpuUse>) {
    let before = machine::snapshot(pids);
    let out = f.await;
    let after = machine::snapshot(pids);
    (
        out,
        before
            .zip(after)
            .and_then(|(a, b)| machine::between(&a, &b)),
    )
}

fn with_cpu_sync<T>(pids: &[u32], f: impl FnOnce() -> T) -> (T, Option<CpuUse>) {
    let before = machine::snapshot(pids);
    let out = f();
    let after = machine::snapshot(pids);
    (
        out,
        before
            .zip(after)
            .and_then(|(a, b)| machine::between(&a, &b)),
    )
}

fn line(s: &Stats, unit: &str) -> String {
    format!(
        "{:8.1} {unit}  p50 {}  p99 {}  max {}  ({} ok, {} failed)",
        s.per_sec(),
        ms(s.percentile(50.0)),
        ms(s.percentile(99.0)),
        ms(s.max()),
        s.ok,
        s.errors
    )
}

fn others(cpu: Option<CpuUse>) -> String {
    cpu.map(|c| format!("  [other processes: {:.2} cores]", c.others))
        .unwrap_or_default()
}

fn cpu_line(cpu: Option<CpuUse>) -> String {
    cpu.map(|c| {
        format!(
            "\n    cpu (cores): load generator {:.2}, server {:.2}, other processes {:.2}",
            c.pids.first().unwrap_or(&0.0),
            c.pids.get(1).unwrap_or(&0.0),
            c.others
        )
    })
    .unwrap_or_default()
}
