//! Output conventions: pretty JSON on stdout, `{"error": …}` on stderr (ctl-client.md §5.3, §5.5).

use std::io::Write;

use owox_api_client::Error;
use serde_json::{json, Map, Value};

/// A command failure.
#[derive(Debug)]
pub enum CliError {
    /// A client error (`OWOXConfigError`, `OWOXApiError`, `OWOXAuthError`).
    Client(Error),
    /// Anything else (`name: "Error"`), e.g. a flag parse error.
    Other(String),
}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        Self::Client(error)
    }
}

/// `JSON.stringify(value, null, 2)` + `\n`.
pub fn render_json(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}

/// Prints `value` on stdout (a closed stdout is ignored).
pub fn print_json(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(render_json(value).as_bytes());
    let _ = out.flush();
}

/// The normalized error: `{message, status?, code?, name, details?}` for API errors, `{message,
/// name}` otherwise.
pub fn normalize(error: &CliError) -> Value {
    let mut o = Map::new();
    match error {
        CliError::Client(e) => {
            o.insert("message".into(), json!(e.message()));
            if let Some(status) = e.status() {
                o.insert("status".into(), json!(status));
            }
            if let Some(code) = e.code() {
                o.insert("code".into(), json!(code));
            }
            o.insert("name".into(), json!(e.name()));
            if let Some(details) = e.details() {
                o.insert("details".into(), details.clone());
            }
        }
        CliError::Other(message) => {
            o.insert("message".into(), json!(message));
            o.insert("name".into(), json!("Error"));
        }
    }
    Value::Object(o)
}

/// Prints `{"error": …}` on stderr.
pub fn print_error(error: &CliError) {
    let text = render_json(&json!({ "error": normalize(error) }));
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
