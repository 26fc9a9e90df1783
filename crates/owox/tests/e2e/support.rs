use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_owox");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `owox serve`, killed on drop.
pub struct Server {
    child: Child,
    stdout: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub port: u16,
    pub base: String,
    pub env: Vec<(String, String)>,
    _data_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh data directory with SQLite metadata.
    pub fn start(extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            (
                "OWOX_DATA_DIR".to_string(),
                dir.path().display().to_string(),
            ),
            ("EXCHANGE_FAILURE_LIMIT".to_string(), "0".to_string()),
            ("LOG_LEVEL".to_string(), "warn".to_string()),
        ];
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        Self::start_with(env, Some(dir))
    }

    pub fn start_with(env: Vec<(String, String)>, dir: Option<tempfile::TempDir>) -> Self {
        Self::spawn(env, dir, &[])
    }

    /// `owox serve --demo`; the data directory is the caller's (in `env`).
    pub fn start_demo(env: Vec<(String, String)>) -> Self {
        Self::spawn(env, None, &["--demo"])
    }

    fn spawn(env: Vec<(String, String)>, dir: Option<tempfile::TempDir>, extra: &[&str]) -> Self {
        use std::io::BufRead;
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["serve", "--port", &port.to_string()])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = stdout.clone();
        let pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let server = Self {
            child,
            stdout,
            port,
            base: format!("http://127.0.0.1:{port}"),
            env,
            _data_dir: dir,
        };
        server.wait_ready();
        server
    }

    /// The server's metadata store (its SQLite file), opened beside it.
    pub async fn store(&self) -> owox_server::store::Store {
        let dir = self
            .env
            .iter()
            .find(|(k, _)| k == "OWOX_DATA_DIR")
            .map(|(_, v)| v.clone())
            .unwrap();
        owox_server::store::Store::sqlite_file(&PathBuf::from(dir).join("sqlite/app.db"))
            .await
            .unwrap()
    }

    /// Whether any file of the metadata store (the SQLite database and its WAL) contains
    /// `needle`: secrets must only be stored sealed.
    pub fn metadata_files_contain(&self, needle: &[u8]) -> bool {
        let dir = self
            .env
            .iter()
            .find(|(k, _)| k == "OWOX_DATA_DIR")
            .map(|(_, v)| PathBuf::from(v).join("sqlite"))
            .unwrap();
        std::fs::read_dir(dir).unwrap().any(|entry| {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle)
        })
    }

    /// Everything the server printed on stdout so far.
    pub fn printed(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    /// The API key `--demo` printed.
    pub fn printed_key(&self) -> Key {
        let line = self
            .stdout
            .lock()
            .unwrap()
            .iter()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("export OWOX_API_KEY=")
                    .map(str::to_string)
            })
            .expect("the demo printed an API key before it was ready");
        key_from(&line)
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        let url = format!("{}/health/ready", self.base);
        while Instant::now() < deadline {
            if probe_status(&url).is_ok_and(|status| status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server on port {} did not become ready", self.port);
    }

    /// Runs an `owox` administration command against this server's store.
    pub fn owox(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("PORT", self.port.to_string())
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    }

    /// Creates a key with `owox api-keys create --json`; returns (apiKey, id, secret).
    pub fn create_key(&self, extra: &[&str]) -> Key {
        let mut args = vec!["api-keys", "create", "--name", "e2e", "--json"];
        args.extend_from_slice(extra);
        let out = self.owox(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        key_from(v["apiKey"].as_str().unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `/metrics` as `series → value` (a series with its labels, as Prometheus writes it);
    /// every sample line must be a series and a number.
    pub async fn metrics(&self) -> std::collections::HashMap<String, f64> {
        let r = client().get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let text = r.text().await.unwrap();
        text.lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|line| {
                let (series, value) = line
                    .rsplit_once(' ')
                    .unwrap_or_else(|| panic!("bad line {line}"));
                let value = value
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("bad value in {line}"));
                (series.to_string(), value)
            })
            .collect()
    }

    pub async fn exchange(&self, key: &Key) -> String {
        let r = client()
            .post(self.url("/api/auth/api-keys/exchange"))
            .header("x-owox-api-key-id", &key.id)
            .json(&serde_json::json!({ "apiKeySecret": key.secret }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["accessToken"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// `GET path` with both auth headers.
    pub async fn get_authed(&self, path: &str, token: &str, key_id: &str) -> (u16, Value) {
        let r = client()
            .get(self.url(path))
            .header("x-owox-authorization", format!("Bearer {token}"))
            .header("x-owox-api-key-id", key_id)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -9`: no shutdown at all.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn key_from(api_key: &str) -> Key {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(api_key.strip_prefix("owox_key_").unwrap())
        .unwrap();
    let parts: Value = serde_json::from_slice(&payload).unwrap();
    Key {
        id: parts["apiKeyId"].as_str().unwrap().to_string(),
        secret: parts["apiKeySecret"].as_str().unwrap().to_string(),
        origin: parts["apiOrigin"].as_str().unwrap().to_string(),
        api_key: api_key.to_string(),
    }
}

pub struct Key {
    pub api_key: String,
    pub id: String,
    pub secret: String,
    pub origin: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The status of a plain blocking `GET` (readiness probes run outside any async runtime).
fn probe_status(url: &str) -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    Ok(buf.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0))
}

/// The recorded vectors of the reference server.
pub fn vectors(file: &str) -> Vec<Value> {
    let path = spec_dir().join("vectors").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

pub fn vector(file: &str, name: &str) -> Value {
    vectors(file)
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name} in {file}"))
}

/// `../shared/spec` beside the checkout (overridable with OWOX_SPEC_DIR).
pub fn spec_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("OWOX_SPEC_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec")
}

/// Compares a body with a recorded one: same keys in the same order, same values, where
/// `{{timestamp}}` matches any ISO timestamp with milliseconds.
pub fn assert_body_matches(actual: &Value, expected: &Value) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let ak: Vec<&String> = a.keys().collect();
            let ek: Vec<&String> = e.keys().collect();
            assert_eq!(ak, ek, "key order of {actual}");
            for (k, ev) in e {
                assert_body_matches(&a[k], ev);
            }
        }
        (Value::String(a), Value::String(e)) if e == "{{timestamp}}" => {
            assert!(is_iso_millis(a), "timestamp {a}");
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{actual} vs {expected}");
            for (x, y) in a.iter().zip(e) {
                assert_body_matches(x, y);
            }
        }
        _ => assert_eq!(actual, expected),
    }
}

pub fn is_iso_millis(s: &str) -> bool {
    s.len() == 24
        && s.ends_with('Z')
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
        && s.as_bytes()[19] == b'.'
}

/// An authenticated client of one server: every call sends both auth headers.
pub struct Session {
    pub base: String,
    pub token: String,
    pub key_id: String,
}

impl Session {
    pub async fn new(server: &Server, key: &Key) -> Self {
        Self {
            base: server.base.clone(),
            token: server.exchange(key).await,
            key_id: key.id.clone(),
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut b = client()
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("x-owox-authorization", format!("Bearer {}", self.token))
            .header("x-owox-api-key-id", &self.key_id);
        if let Some(body) = body {
            b = b.json(&body);
        }
        let r = b.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a draft data mart (no definition) on the default storage; its id.
    pub async fn draft_mart(&self, title: &str) -> String {
        let (_, storages) = self.get("/api/data-storages").await;
        let storage = storages[0]["id"].as_str().unwrap();
        let (status, created) = self
            .post(
                "/api/data-marts",
                serde_json::json!({"title": title, "storageId": storage}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap().to_string()
    }

    /// Creates a data mart on the default storage with an SQL definition and publishes it.
    pub async fn published_mart(&self, title: &str, sql: &str) -> String {
        let id = self.draft_mart(title).await;
        let definition =
            serde_json::json!({"definitionType": "SQL", "definition": {"sqlQuery": sql}});
        let (status, body) = self
            .put(&format!("/api/data-marts/{id}/definition"), definition)
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, body) = self
            .put(
                &format!("/api/data-marts/{id}/publish"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        id
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("PUT", path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, None).await
    }
}
