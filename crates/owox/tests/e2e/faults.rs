//! Issue: reliability. Faults the server must survive without losing what it acknowledged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::support::{Server, Session};

/// `kill -9` while clients create data marts: after a restart on the same SQLite file every
/// data mart whose creation was answered 201 is there, the store passes SQLite's integrity
/// check, and the server works.
#[tokio::test]
async fn kill_9_during_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        (
            "OWOX_DATA_DIR".to_string(),
            dir.path().display().to_string(),
        ),
        ("EXCHANGE_FAILURE_LIMIT".to_string(), "0".to_string()),
        ("LOG_LEVEL".to_string(), "error".to_string()),
    ];
    let mut server = Server::start_with(env.clone(), None);
    let key = server.create_key(&[]);
    let s = Arc::new(Session::new(&server, &key).await);
    let (_, storages) = s.get("/api/data-storages").await;
    let storage = storages[0]["id"].as_str().unwrap().to_string();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (s, storage, acknowledged) = (s.clone(), storage.clone(), acknowledged.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let body = json!({"title": format!("w{w}-{i}"), "storageId": storage});
                let r = crate::support::client()
                    .post(format!("{}/api/data-marts", s.base))
                    .header("x-owox-authorization", format!("Bearer {}", s.token))
                    .header("x-owox-api-key-id", &s.key_id)
                    .json(&body)
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() != 201 {
                    break;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    break;
                };
                acknowledged
                    .lock()
                    .unwrap()
                    .push(v["id"].as_str().unwrap().to_string());
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for w in writers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 20,
        "too few writes to mean anything: {}",
        acknowledged.len()
    );

    let server = Server::start_with(env, None);
    let store = server.store().await;
    let check = store.sqlite_integrity_check().await.unwrap();
    assert_eq!(check, "ok");
    let s = Session::new(&server, &key).await;
    for id in &acknowledged {
        let (status, body) = s.get(&format!("/api/data-marts/{id}")).await;
        assert_eq!(status, 200, "acknowledged data mart {id} was lost: {body}");
    }
    let (status, list) = s.get("/api/data-marts").await;
    assert_eq!(status, 200);
    assert!(list["total"].as_u64().unwrap() >= acknowledged.len() as u64);
    eprintln!(
        "kill -9 after {} acknowledged writes: all present after restart, integrity ok",
        acknowledged.len()
    );
    drop(dir);
}

/// A TCP proxy in the test process between the server and the local PostgreSQL, which can cut
/// every connection (open ones are closed, new ones are dropped at once) and restore.
struct CuttableProxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
}

impl CuttableProxy {
    async fn start(upstream: &'static str) -> CuttableProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, watch) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if *watch.borrow() {
                    continue; // dropped: the connection is refused in effect
                }
                let mut watch = watch.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        CuttableProxy { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.send_replace(cut);
    }
}

async fn ready_status(base: &str) -> u16 {
    match crate::support::client()
        .get(format!("{base}/health/ready"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

async fn wait_ready_status(base: &str, want: u16, within: Duration) -> Duration {
    let started = std::time::Instant::now();
    while started.elapsed() < within {
        if ready_status(base).await == want {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/health/ready did not turn {want} within {within:?}");
}

/// The metadata PostgreSQL cut off mid-traffic and restored: readiness turns 503 then 200,
/// requests meanwhile get a 503 (not a 500), and every write acknowledged before, during or
/// after the cut is there afterwards.
// Multi-threaded: the proxy's tasks must run while the test thread waits for the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_postgres_cut_and_restored_mid_traffic() {
    use crate::auth::{psql, uuid_like};
    let name = format!("owox_e2e_{}", uuid_like());
    let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
    psql(admin_url, &format!("CREATE DATABASE {name}"));
    let proxy = CuttableProxy::start("127.0.0.1:5432").await;
    let dir = tempfile::tempdir().unwrap();
    let env = vec![
        (
            "OWOX_DATA_DIR".to_string(),
            dir.path().display().to_string(),
        ),
        ("DB_TYPE".to_string(), "postgres".to_string()),
        (
            "DATABASE_URL".to_string(),
            format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port),
        ),
        ("LOG_LEVEL".to_string(), "error".to_string()),
    ];
    let server = Server::start_with(env, None);
    let key = server.create_key(&[]);
    let s = Arc::new(Session::new(&server, &key).await);
    let (_, storages) = s.get("/api/data-storages").await;
    let storage = storages[0]["id"].as_str().unwrap().to_string();

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u32>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (s, storage, acknowledged, statuses, stop) = (
            s.clone(),
            storage.clone(),
            acknowledged.clone(),
            statuses.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                i += 1;
                let r = crate::support::client()
                    .post(format!("{}/api/data-marts", s.base))
                    .header("x-owox-authorization", format!("Bearer {}", s.token))
                    .header("x-owox-api-key-id", &s.key_id)
                    .timeout(Duration::from_secs(15))
                    .json(&json!({"title": format!("m{i}"), "storageId": storage}))
                    .send()
                    .await;
                let status = r.as_ref().map_or(0, |r| r.status().as_u16());
                *statuses.lock().unwrap().entry(status).or_default() += 1;
                if status == 201 {
                    let v: serde_json::Value = r.unwrap().json().await.unwrap();
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(v["id"].as_str().unwrap().into());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before_cut = acknowledged.lock().unwrap().len();
    proxy.set_cut(true);
    let to_unready = wait_ready_status(&server.base, 503, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.set_cut(false);
    let to_ready = wait_ready_status(&server.base, 200, Duration::from_secs(30)).await;
    let at_restore = acknowledged.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();

    let acknowledged = acknowledged.lock().unwrap().clone();
    let statuses = statuses.lock().unwrap().clone();
    assert!(before_cut > 0, "no writes before the cut");
    assert!(
        acknowledged.len() > at_restore,
        "no writes after the restore: {statuses:?}"
    );
    assert!(
        statuses.keys().all(|s| [201, 503].contains(s)),
        "only 201 and 503 expected: {statuses:?}"
    );
    for id in &acknowledged {
        let (status, _) = s.get(&format!("/api/data-marts/{id}")).await;
        assert_eq!(status, 200, "acknowledged data mart {id} was lost");
    }
    eprintln!(
        "metadata cut: ready → 503 in {to_unready:?}, back to 200 in {to_ready:?} after the restore; answers {statuses:?}; {} acknowledged writes all present",
        acknowledged.len()
    );
    drop(server);
    psql(admin_url, &format!("DROP DATABASE {name} WITH (FORCE)"));
}
