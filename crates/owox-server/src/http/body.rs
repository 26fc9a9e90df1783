//! Request bodies the way the reference's body parsers and `ValidationPipe` see them, and the
//! class-validator messages for the constraints our DTOs use (auth.md §2.4).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest accepted body (the reference's 2 MiB).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A request body as a JSON object: JSON and form bodies are parsed; an absent body, another
/// content type, or a JSON value that is not an object count as `{}`, as in the reference.
/// Malformed JSON is 400; a body over [`BODY_LIMIT`] is 413.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::body_too_large()
            } else {
                ApiError::bad_request(rejection.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        let value = if content_type == "application/json" || content_type.ends_with("+json") {
            serde_json::from_slice::<Value>(&bytes)
                .map_err(|e| ApiError::bad_request(json_error_message(&e)))?
        } else if content_type == "application/x-www-form-urlencoded" {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            Value::Object(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )
        } else {
            Value::Null
        };
        Ok(Self(match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }))
    }
}

fn json_error_message(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Eof => "Unexpected end of JSON input".to_string(),
        _ => e.to_string(),
    }
}

/// Checks a body against a DTO's constraints, collecting every failure as class-validator
/// would: unknown properties first, then each field in declaration order, and per field the
/// constraints in reverse decorator order.
pub struct Validator {
    body: Map<String, Value>,
    errors: Vec<String>,
}

impl Validator {
    pub fn new(body: Map<String, Value>, allowed: &[&str]) -> Self {
        let errors = body
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .map(|k| format!("property {k} should not exist"))
            .collect();
        Self { body, errors }
    }

    /// `@IsString @IsNotEmpty [@MaxLength(max)]`.
    pub fn required_string(&mut self, name: &str, max_len: Option<usize>) -> Option<String> {
        let value = self.body.get(name);
        if let Some(max) = max_len {
            let too_long = match value {
                Some(Value::String(s)) => s.encode_utf16().count() > max,
                _ => true,
            };
            if too_long {
                self.errors.push(format!(
                    "{name} must be shorter than or equal to {max} characters"
                ));
            }
        }
        if matches!(value, None | Some(Value::Null)) || value == Some(&Value::String(String::new()))
        {
            self.errors.push(format!("{name} should not be empty"));
        }
        match value {
            Some(Value::String(s)) => Some(s.clone()),
            _ => {
                self.errors.push(format!("{name} must be a string"));
                None
            }
        }
    }

    /// The raw value of a field.
    pub fn peek(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    /// Records a failure found by the caller.
    pub fn error(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    /// `@IsOptional @IsArray @ArrayMaxSize(max) @IsString({each})`.
    pub fn optional_string_array(&mut self, name: &str, max: usize) -> Option<Vec<String>> {
        match self.body.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.errors
                        .push(format!("{name} must contain no more than {max} elements"));
                }
                if items.iter().any(|i| !i.is_string()) {
                    self.errors
                        .push(format!("each value in {name} must be a string"));
                }
                Some(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                )
            }
            Some(_) => {
                self.errors.push(format!("{name} must be an array"));
                None
            }
        }
    }

    /// Ends validation: the collected failures as a 400, or the body.
    pub fn finish(self) -> Result<Map<String, Value>, ApiError> {
        if self.errors.is_empty() {
            Ok(self.body)
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(body: Value, allowed: &[&str], max: Option<usize>) -> Vec<String> {
        let Value::Object(map) = body else { panic!() };
        let mut v = Validator::new(map, allowed);
        v.required_string("name", max);
        match v.finish() {
            Ok(_) => vec![],
            Err(ApiError::Validation(m)) => m,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn reference_message_orders() {
        assert_eq!(
            messages(json!({}), &["name"], Some(100)),
            vec![
                "name must be shorter than or equal to 100 characters",
                "name should not be empty",
                "name must be a string"
            ]
        );
        assert_eq!(
            messages(json!({"name": 5}), &["name"], Some(100)),
            vec![
                "name must be shorter than or equal to 100 characters",
                "name must be a string"
            ]
        );
        assert_eq!(
            messages(json!({"name": 5}), &["name"], None),
            vec!["name must be a string"]
        );
        assert_eq!(
            messages(json!({"name": "x", "extra": 1}), &["name"], None),
            vec!["property extra should not exist"]
        );
        assert!(messages(json!({"name": "   "}), &["name"], Some(100)).is_empty());
        let emoji_50 = "😀".repeat(50);
        assert!(messages(json!({ "name": emoji_50 }), &["name"], Some(100)).is_empty());
        let emoji_51 = "😀".repeat(51);
        assert_eq!(
            messages(json!({ "name": emoji_51 }), &["name"], Some(100)).len(),
            1
        );
    }
}
