//! Configuration, start-up failures, migrations and shutdown of the real binary.

use std::process::Command;

use crate::support::{free_port, Server, BIN};

#[test]
fn invalid_configuration_is_one_clear_line_and_a_nonzero_exit() {
    for (args, env, expected) in [
        (
            vec!["serve", "--port", "abc"],
            vec![],
            "--port must be a port number",
        ),
        (
            vec!["serve"],
            vec![("PORT", "99999")],
            "PORT must be a port number",
        ),
        (
            vec!["serve"],
            vec![("DB_TYPE", "oracle")],
            "DB_TYPE must be sqlite or postgres",
        ),
        (
            vec!["serve"],
            vec![("LOG_FORMAT", "xml")],
            "LOG_FORMAT must be pretty or json",
        ),
    ] {
        let out = Command::new(BIN)
            .args(&args)
            .envs(env.clone())
            .env("OWOX_DATA_DIR", std::env::temp_dir())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("backtrace"), "{stderr}");
    }
}

#[tokio::test]
async fn port_flag_beats_environment_and_env_file_sets_the_origin() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("custom.env");
    std::fs::write(&env_file, "PUBLIC_ORIGIN=data.example.com\nPORT=1\n").unwrap();
    // Server::start_with passes --port; PORT from the environment must lose to it.
    let env = vec![
        (
            "OWOX_DATA_DIR".to_string(),
            dir.path().display().to_string(),
        ),
        ("PORT".to_string(), free_port().to_string()),
        ("LOG_LEVEL".to_string(), "warn".to_string()),
    ];
    let server = Server::start_with(env, None);
    assert_eq!(
        reqwest::get(server.url("/health/live"))
            .await
            .unwrap()
            .status(),
        200
    );
    let out = server.owox(&[
        "-e",
        &env_file.display().to_string(),
        "api-keys",
        "create",
        "--name",
        "k",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let key = owox_contract::api_key::parse_api_key(v["apiKey"].as_str().unwrap()).unwrap();
    assert_eq!(key.api_origin, "http://data.example.com");
    drop(dir);
}

#[test]
fn migrations_commands_and_run_migrations_false() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], extra: &[(&str, &str)]| {
        Command::new(BIN)
            .args(args)
            .env("OWOX_DATA_DIR", dir.path())
            .envs(extra.iter().copied())
            .output()
            .unwrap()
    };
    let out = run(
        &["serve", "--port", &free_port().to_string()],
        &[("RUN_MIGRATIONS", "false")],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("owox migrations up"));
    let out = run(&["migrations", "status"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("pending"));
    let out = run(&["migrations", "up"], &[]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        stdout.contains("applied") && !stdout.contains("pending"),
        "{stdout}"
    );
    assert!(dir.path().join("sqlite/app.db").exists());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start(&[]);
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}
