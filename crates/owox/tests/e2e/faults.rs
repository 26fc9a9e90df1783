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
