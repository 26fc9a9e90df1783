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
        let port = free_port();
        let child = Command::new(BIN)
            .args(["serve", "--port", &port.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            port,
            base: format!("http://127.0.0.1:{port}"),
            env,
            _data_dir: dir,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
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
        let api_key = v["apiKey"].as_str().unwrap().to_string();
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(api_key.strip_prefix("owox_key_").unwrap())
            .unwrap();
        let parts: Value = serde_json::from_slice(&payload).unwrap();
        Key {
            id: parts["apiKeyId"].as_str().unwrap().to_string(),
            secret: parts["apiKeySecret"].as_str().unwrap().to_string(),
            origin: parts["apiOrigin"].as_str().unwrap().to_string(),
            api_key,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
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
