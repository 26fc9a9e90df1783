//! The `owox` binary under test: found next to the bench in the same target directory, started
//! on a free loopback port with a temporary data directory (SQLite metadata), killed on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// `explicit`, or `owox` in the directory of the running executable (the same target directory
/// and profile that `cargo build -p owox` writes to).
pub fn locate_owox(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(p) => p,
        None => {
            let exe = std::env::current_exe().context("cannot find the bench's own executable")?;
            let dir = exe
                .parent()
                .context("the bench's executable has no directory")?;
            dir.join(format!("owox{}", std::env::consts::EXE_SUFFIX))
        }
    };
    if !path.is_file() {
        bail!(
            "the owox binary is not at {}; build it first with the same profile and \
             CARGO_TARGET_DIR as this bench: `cargo build -p owox` (or pass --owox-bin PATH)",
            path.display()
        );
    }
    Ok(path)
}

/// A running `owox serve` on 127.0.0.1.
pub struct OwoxServer {
    child: Child,
    bin: PathBuf,
    env: Vec<(String, String)>,
    pub base: String,
    _data_dir: tempfile::TempDir,
}

/// An API key's id and secret.
pub struct Key {
    pub id: String,
    pub secret: String,
}

impl OwoxServer {
    /// Starts `owox serve` on a free loopback port with a fresh data directory; failed exchanges
    /// are not rate-limited and tokens live for a day, so long runs keep working.
    pub fn start(bin: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("cannot create a temporary data directory")?;
        Self::start_in(bin, dir, &[])
    }

    /// The same on a data directory the caller prepared, with extra settings.
    pub fn start_in(
        bin: &Path,
        dir: tempfile::TempDir,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let env: Vec<(String, String)> = [
            ("OWOX_DATA_DIR", dir.path().display().to_string()),
            ("DB_TYPE", "sqlite".into()),
            ("HOST", "127.0.0.1".into()),
            ("PORT", port.to_string()),
            ("PUBLIC_ORIGIN", format!("http://127.0.0.1:{port}")),
            ("EXCHANGE_FAILURE_LIMIT", "0".into()),
            ("ACCESS_TOKEN_TTL_SECONDS", "86400".into()),
            ("LOG_LEVEL", "warn".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .collect();
        let child = Command::new(bin)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("SQLITE_DB_PATH")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        Ok(Self {
            child,
            bin: bin.to_path_buf(),
            env,
            base: format!("http://127.0.0.1:{port}"),
            _data_dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until `/health/ready` answers 200, the server exits, or `timeout` passes.
    pub async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let client = crate::load::http_client();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("owox serve exited during start-up ({status})");
            }
            let probe = client.get(self.url("/health/ready")).send().await;
            if probe.is_ok_and(|r| r.status() == 200) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("owox serve was not ready after {timeout:?}")
    }

    /// Creates a key with `owox api-keys create --json` on this server's store.
    pub fn create_key(&self) -> anyhow::Result<Key> {
        let out = Command::new(&self.bin)
            .args(["api-keys", "create", "--name", "auth-bench", "--json"])
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env_remove("SQLITE_DB_PATH")
            .current_dir(self._data_dir.path())
            .output()?;
        if !out.status.success() {
            bail!(
                "owox api-keys create failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: Value = serde_json::from_slice(&out.stdout)?;
        let key = v["apiKey"].as_str().context("no apiKey in the output")?;
        let payload = key
            .strip_prefix("owox_key_")
            .context("the key lacks owox_key_")?;
        let parts: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
        let field = |name: &str| {
            parts[name]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("no {name} in the key"))
        };
        Ok(Key {
            id: field("apiKeyId")?,
            secret: field("apiKeySecret")?,
        })
    }
}

impl Drop for OwoxServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
