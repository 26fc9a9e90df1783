//! Reading response bodies and turning non-2xx answers into errors (ctl-client.md §2.4).

use serde_json::Value;

use crate::error::{ApiError, Error};

/// Reads the whole body as the reference does: empty text → `None`; a `content-type` containing
/// `application/json` is parsed, falling back to the raw text; anything else stays text.
pub(crate) async fn read_body(
    response: reqwest::Response,
) -> Result<Option<Value>, reqwest::Error> {
    let is_json = content_type(&response).is_some_and(|c| c.contains("application/json"));
    let bytes = response.bytes().await?;
    Ok(parse_body(&bytes, is_json))
}

pub(crate) fn parse_body(bytes: &[u8], is_json: bool) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    if is_json {
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            return Some(value);
        }
    }
    Some(Value::String(text.into_owned()))
}

/// The raw `content-type` header, if any.
pub(crate) fn content_type(response: &reqwest::Response) -> Option<&str> {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
}

/// The reason phrase the server sent (hyper keeps non-canonical ones), else the canonical one;
/// `HTTP error` when empty, like the reference's fallback for an empty `statusText`.
pub(crate) fn status_text(response: &reqwest::Response) -> String {
    let text = match response.extensions().get::<hyper::ext::ReasonPhrase>() {
        Some(reason) => String::from_utf8_lossy(reason.as_bytes()).into_owned(),
        None => response
            .status()
            .canonical_reason()
            .unwrap_or("")
            .to_owned(),
    };
    if text.is_empty() {
        "HTTP error".to_owned()
    } else {
        text
    }
}

fn non_empty_string(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `createHttpError`: message, code and details picked from the body; `OWOXAuthError` for a 401
/// or any failure of the token exchange.
pub(crate) fn create_http_error(
    status: u16,
    status_text: &str,
    body: Option<Value>,
    exchange: bool,
) -> Error {
    let record = body.as_ref().and_then(Value::as_object);
    let mut message = format!("OWOX API request failed with {status} {status_text}");
    if let Some(text) = non_empty_string(record.and_then(|o| o.get("message"))) {
        message.push_str(": ");
        message.push_str(&text);
    }
    let code = record
        .and_then(|o| non_empty_string(o.get("code")).or_else(|| non_empty_string(o.get("error"))));
    let details = match record {
        None => body.clone(),
        Some(o) => o
            .get("details")
            .or_else(|| o.get("errorDetails"))
            .cloned()
            .or_else(|| body.clone()),
    };
    let error = ApiError {
        message,
        status: Some(status),
        code,
        details,
        cause: None,
    };
    if status == 401 || exchange {
        Error::Auth(Box::new(error))
    } else {
        Error::Api(Box::new(error))
    }
}
