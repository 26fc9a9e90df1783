//! A report's `destinationConfig`, checked for its destination's type as the reference's
//! destination access validators do (400 `Invalid configuration` with the issues), and
//! normalized as zod leaves it (unknown keys dropped; a legacy e-mail `messageTemplate` moved
//! into `templateSource`). Nothing here calls an outside service: a Google Sheets sheet is not
//! looked up (there is no delivery in this build).

use serde_json::{json, Map, Value};

use crate::error::ApiError;

const REPORT_CONDITIONS: [&str; 3] = ["ALWAYS", "RESULT_IS_EMPTY", "RESULT_IS_NOT_EMPTY"];

/// Collects zod-like issues: `{path, message}`.
#[derive(Default)]
struct Issues(Vec<Value>);

impl Issues {
    fn push(&mut self, path: &[&str], message: impl Into<String>) {
        self.0
            .push(json!({ "path": path, "message": message.into() }));
    }

    fn literal(&mut self, o: &Map<String, Value>, expected: &str) {
        if o.get("type").and_then(Value::as_str) != Some(expected) {
            self.push(
                &["type"],
                format!("Invalid literal value, expected \"{expected}\""),
            );
        }
    }

    /// A required non-empty string (`empty` is the message for `""`).
    fn string(&mut self, path: &[&str], value: Option<&Value>, empty: &str) -> Option<String> {
        match value {
            Some(Value::String(s)) if s.is_empty() => {
                self.push(path, empty);
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            None | Some(Value::Null) => {
                self.push(path, "Required");
                None
            }
            Some(other) => {
                self.push(
                    path,
                    format!("Expected string, received {}", type_name(other)),
                );
                None
            }
        }
    }

    /// A required finite number of at least `min`.
    fn number(&mut self, path: &[&str], value: Option<&Value>, min: f64) -> Option<Value> {
        match value {
            Some(Value::Number(n)) => {
                if n.as_f64().is_some_and(|x| x >= min) {
                    Some(Value::Number(n.clone()))
                } else {
                    self.push(
                        path,
                        format!("Number must be greater than or equal to {min}"),
                    );
                    None
                }
            }
            None | Some(Value::Null) => {
                self.push(path, "Required");
                None
            }
            Some(other) => {
                self.push(
                    path,
                    format!("Expected number, received {}", type_name(other)),
                );
                None
            }
        }
    }

    fn finish(self, normalized: Value) -> Result<Value, ApiError> {
        if self.0.is_empty() {
            return Ok(normalized);
        }
        Err(ApiError::Business {
            message: "Invalid configuration".into(),
            code: None,
            error_details: Some(json!({ "errors": self.0 })),
        })
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks `config` for a destination of `destination_type` whose credentials are configured
/// (`has_credentials`); the normalized config, or the reference's 400.
pub fn check_destination_config(
    destination_type: &str,
    has_credentials: bool,
    config: &Value,
) -> Result<Value, ApiError> {
    if destination_type == "EXCEL" {
        return Err(ApiError::business(
            "Reports on EXCEL destinations are not supported by this server: the reference documents no report configuration for them",
        ));
    }
    if !has_credentials {
        return Err(ApiError::business("Credentials are not configured"));
    }
    let empty = Map::new();
    let o = config.as_object().unwrap_or(&empty);
    let mut issues = Issues::default();
    match destination_type {
        "GOOGLE_SHEETS" => {
            issues.literal(o, "google-sheets-config");
            let spreadsheet = issues.string(
                &["spreadsheetId"],
                o.get("spreadsheetId"),
                "String must contain at least 1 character(s)",
            );
            let sheet = issues.number(&["sheetId"], o.get("sheetId"), 0.0);
            issues.finish(json!({
                "type": "google-sheets-config",
                "spreadsheetId": spreadsheet,
                "sheetId": sheet,
            }))
        }
        "LOOKER_STUDIO" => {
            issues.literal(o, "looker-studio-config");
            let lifetime = issues.number(&["cacheLifetime"], o.get("cacheLifetime"), 60.0);
            issues.finish(json!({ "type": "looker-studio-config", "cacheLifetime": lifetime }))
        }
        _ => email_config(o, issues),
    }
}

/// The e-mail family (EMAIL, SLACK, MS_TEAMS, GOOGLE_CHAT): `{type: "email-config", subject,
/// reportCondition, templateSource}`, or the legacy form with `messageTemplate`, stored in the
/// new form.
fn email_config(o: &Map<String, Value>, mut issues: Issues) -> Result<Value, ApiError> {
    issues.literal(o, "email-config");
    let subject = issues.string(&["subject"], o.get("subject"), "Subject is required");
    let template = match o.get("templateSource") {
        None => issues
            .string(
                &["messageTemplate"],
                o.get("messageTemplate"),
                "Message template is required",
            )
            .map(|m| json!({ "type": "CUSTOM_MESSAGE", "config": { "messageTemplate": m } })),
        Some(source) => {
            let config = source.get("config");
            match source.get("type").and_then(Value::as_str) {
                Some("CUSTOM_MESSAGE") => issues
                    .string(
                        &["templateSource", "config", "messageTemplate"],
                        config.and_then(|c| c.get("messageTemplate")),
                        "Message template is required",
                    )
                    .map(|m| json!({ "type": "CUSTOM_MESSAGE", "config": { "messageTemplate": m } })),
                Some("INSIGHT_TEMPLATE") => {
                    return Err(ApiError::business(
                        "Insight templates are not available in this server: use a CUSTOM_MESSAGE template source",
                    ))
                }
                _ => {
                    issues.push(
                        &["templateSource", "type"],
                        "Invalid discriminator value. Expected 'CUSTOM_MESSAGE' | 'INSIGHT_TEMPLATE'",
                    );
                    None
                }
            }
        }
    };
    let condition = match o.get("reportCondition") {
        Some(Value::String(c)) if REPORT_CONDITIONS.contains(&c.as_str()) => Some(c.clone()),
        None | Some(Value::Null) => {
            issues.push(&["reportCondition"], "Required");
            None
        }
        Some(other) => {
            let received = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            issues.push(
                &["reportCondition"],
                format!(
                    "Invalid enum value. Expected 'ALWAYS' | 'RESULT_IS_EMPTY' | 'RESULT_IS_NOT_EMPTY', received '{received}'"
                ),
            );
            None
        }
    };
    issues.finish(json!({
        "type": "email-config",
        "subject": subject,
        "templateSource": template,
        "reportCondition": condition,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_by_type() {
        let sheets = json!({"type": "google-sheets-config", "spreadsheetId": "abc", "sheetId": 0, "extra": 1});
        assert_eq!(
            check_destination_config("GOOGLE_SHEETS", true, &sheets).unwrap(),
            json!({"type": "google-sheets-config", "spreadsheetId": "abc", "sheetId": 0})
        );
        let bad = check_destination_config(
            "GOOGLE_SHEETS",
            true,
            &json!({"type": "looker-studio-config", "spreadsheetId": "", "sheetId": -1}),
        )
        .unwrap_err();
        let ApiError::Business { error_details, .. } = bad else {
            panic!()
        };
        assert_eq!(
            error_details.unwrap()["errors"].as_array().unwrap().len(),
            3
        );
        assert!(check_destination_config(
            "LOOKER_STUDIO",
            true,
            &json!({"type": "looker-studio-config", "cacheLifetime": 59})
        )
        .is_err());
        assert!(check_destination_config(
            "LOOKER_STUDIO",
            false,
            &json!({"type": "looker-studio-config", "cacheLifetime": 300})
        )
        .is_err());
        let legacy = json!({"type": "email-config", "subject": "s", "messageTemplate": "m", "reportCondition": "ALWAYS"});
        assert_eq!(
            check_destination_config("SLACK", true, &legacy).unwrap()["templateSource"],
            json!({"type": "CUSTOM_MESSAGE", "config": {"messageTemplate": "m"}})
        );
        assert!(check_destination_config("EMAIL", true, &json!({})).is_err());
        assert!(check_destination_config("EXCEL", true, &json!({})).is_err());
    }
}
