//! Drives the real `owox-ctl` binary against the in-process fake server.

mod commands;
mod errors;
mod status;
mod stream;

use std::path::Path;
use std::process::Stdio;

use owox_api_client::testing::FakeServer;
use serde_json::Value;

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).expect("stdout is JSON")
    }

    pub fn error(&self) -> Value {
        serde_json::from_str(&self.stderr).expect("stderr is JSON")
    }
}

/// A `tokio::process::Command` for the binary, in `cwd`, without any inherited `OWOX_API_KEY`.
pub fn command(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_owox-ctl"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("OWOX_API_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs the binary to the end.
pub async fn ctl(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Out {
    let output = command(args, env, cwd)
        .output()
        .await
        .expect("run owox-ctl");
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// `JSON.stringify(value, null, 2) + "\n"`.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

/// A fake server, an empty working directory and the valid key.
pub async fn setup() -> (FakeServer, tempfile::TempDir, String) {
    let server = FakeServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let key = server.api_key();
    (server, dir, key)
}

/// A recorded body shared with the client's tests.
pub fn recorded(name: &str) -> Value {
    let all: Value = serde_json::from_str(include_str!(
        "../../owox-api-client/tests/fixtures/recorded.json"
    ))
    .unwrap();
    all[name].clone()
}
