//! `status`: validates the credentials and prints the status object (ctl-client.md §5.4).

use std::process::ExitCode;

use owox_api_client::{Error, OwoxClient};
use serde_json::{json, Map, Value};

use super::load_env;
use crate::output::{print_error, print_json};

pub async fn run(env_file: Option<&str>) -> ExitCode {
    let env = match load_env(env_file) {
        Ok(env) => env,
        Err(error) => {
            print_error(&error);
            return ExitCode::FAILURE;
        }
    };
    let env_path = json!(env
        .env_file
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned()));
    let client = match OwoxClient::new(&env.get("OWOX_API_KEY").unwrap_or_default()) {
        Ok(client) => client,
        Err(error) => {
            return finish(
                object(Value::Null, Value::Null, false, env_path),
                Some(&error),
                None,
            );
        }
    };
    let base = object(
        json!(client.api_origin()),
        json!(client.api_key_id()),
        true,
        env_path,
    );
    match client.auth().get_context().await {
        Ok(context) => {
            let mut out = base;
            out.insert("project".into(), json!(context.project));
            out.insert("member".into(), json!(context.member));
            finish(out, None, None)
        }
        Err(error) if error.status() == Some(404) && !error.is_auth() => {
            match client.authenticate().await {
                Ok(()) => finish(base, None, None),
                Err(error) => finish(base, Some(&error), Some(false)),
            }
        }
        Err(error) => finish(base, Some(&error), Some(false)),
    }
}

fn object(
    origin: Value,
    key_id: Value,
    authenticated: bool,
    env_file: Value,
) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("apiOrigin".into(), origin);
    o.insert("apiKeyId".into(), key_id);
    o.insert("authenticated".into(), json!(authenticated));
    o.insert("envFile".into(), env_file);
    o
}

/// Prints the object (with `error` when failed); exit 1 unless authenticated.
fn finish(
    mut out: Map<String, Value>,
    error: Option<&Error>,
    authenticated: Option<bool>,
) -> ExitCode {
    if let Some(flag) = authenticated {
        out.insert("authenticated".into(), json!(flag));
    }
    let Some(error) = error else {
        print_json(&Value::Object(out));
        return ExitCode::SUCCESS;
    };
    out.insert("authenticated".into(), json!(false));
    let mut e = Map::new();
    e.insert("message".into(), json!(error.message()));
    e.insert("name".into(), json!(error.name()));
    if let Some(status) = error.status() {
        e.insert("status".into(), json!(status));
    }
    if let Some(code) = error.code() {
        e.insert("code".into(), json!(code));
    }
    out.insert("error".into(), Value::Object(e));
    print_json(&Value::Object(out));
    ExitCode::FAILURE
}
