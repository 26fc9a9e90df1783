//! The one error type of the HTTP layer and the reference's error envelopes (auth.md §2).
//!
//! Handlers return [`ApiError`]. Its `IntoResponse` sets the status and attaches the envelope
//! as a response extension; [`render_envelopes`], the outermost middleware, then writes the JSON
//! body, because only it knows the request's original URL (`path`) and `x-request-id`
//! (`requestId`). The same middleware turns axum's 405 into the reference's
//! `404 Cannot <METHOD> <path>` and logs every 500 with its request id.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// Everything a handler can fail with. Each variant is one of the reference's body shapes.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A Nest `HttpException`: `{message, error, statusCode, details?, timestamp, path, requestId?}`.
    #[error("{message}")]
    Http {
        status: StatusCode,
        message: String,
        details: Option<Value>,
    },
    /// A class-validator failure: 400 "Request validation failed" with one entry per constraint.
    #[error("request validation failed")]
    Validation(Vec<String>),
    /// Authentication, authorization and other bare errors: `{statusCode, message, timestamp, path, requestId?}`.
    #[error("{message}")]
    Plain { status: StatusCode, message: String },
    /// A `BusinessViolationException`: 400 `{statusCode, timestamp, path, message, code?, errorDetails?}`.
    #[error("{message}")]
    Business {
        message: String,
        code: Option<String>,
        error_details: Option<Value>,
    },
    /// A storage failed: 424 `{code, message, details: {dependency: "storage", …}, statusCode, …}`.
    #[error("{message}")]
    Storage {
        code: &'static str,
        message: String,
        provider_message: String,
        provider_name: &'static str,
        storage_type: String,
    },
    /// A Nest exception built from an object: the object is the body (then `timestamp`,
    /// `path`, `requestId?`), e.g. a failed trigger's stored result.
    #[error("{status}")]
    Object {
        status: StatusCode,
        body: Map<String, Value>,
    },
    /// Too many failed attempts: 429 in the bare shape, with `Retry-After`.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// Anything unexpected: 500 without internals in the body; the cause is logged.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::Http {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            details: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Http {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            details: None,
        }
    }

    /// The reference's answer for a route it does not have.
    pub fn no_route(method: &Method, original_url: &str) -> Self {
        Self::not_found(format!("Cannot {method} {original_url}"))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Plain {
            status: StatusCode::UNAUTHORIZED,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Plain {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    /// A business-rule violation without code or details.
    pub fn business(message: impl Into<String>) -> Self {
        Self::Business {
            message: message.into(),
            code: None,
            error_details: None,
        }
    }

    pub fn body_too_large() -> Self {
        Self::Plain {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: "Request body too large".into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Http { status, .. }
            | Self::Plain { status, .. }
            | Self::Object { status, .. } => *status,
            Self::Validation(_) | Self::Business { .. } => StatusCode::BAD_REQUEST,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Storage { .. } => StatusCode::FAILED_DEPENDENCY,
            Self::Internal(e) if store_unreachable(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

/// The request-independent part of an error body, carried from the handler to
/// [`render_envelopes`] as a response extension.
#[derive(Clone, Debug)]
struct Envelope {
    /// Fields before `timestamp`/`path`, in order.
    head: Map<String, Value>,
    /// Fields after `timestamp`/`path`, in order.
    tail: Map<String, Value>,
    /// Whether the reference appends `requestId` to this shape.
    with_request_id: bool,
    /// The internal cause of a 500, logged and never sent.
    cause: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut head = Map::new();
        let mut tail = Map::new();
        let mut with_request_id = true;
        let mut cause = None;
        let mut retry_after = None;
        match self {
            Self::Http {
                message, details, ..
            } => {
                head.insert("message".into(), message.into());
                head.insert("error".into(), reason(status).into());
                head.insert("statusCode".into(), status.as_u16().into());
                if let Some(d) = details {
                    head.insert("details".into(), d);
                }
            }
            Self::Validation(messages) => {
                head.insert("message".into(), "Request validation failed".into());
                head.insert("error".into(), "Bad Request".into());
                head.insert("statusCode".into(), 400.into());
                let errors: Vec<Value> = messages
                    .iter()
                    .map(|m| json!({ "message": constraint_sentence(m) }))
                    .collect();
                head.insert("details".into(), json!({ "errors": errors }));
            }
            Self::Plain { message, .. } => {
                head.insert("statusCode".into(), status.as_u16().into());
                head.insert("message".into(), message.into());
            }
            Self::Object { body, .. } => head = body,
            Self::TooManyRequests { retry_after_secs } => {
                head.insert("statusCode".into(), 429.into());
                head.insert(
                    "message".into(),
                    "Too many failed attempts, try again later".into(),
                );
                retry_after = Some(retry_after_secs);
            }
            Self::Storage {
                code,
                message,
                provider_message,
                provider_name,
                storage_type,
            } => {
                head.insert("code".into(), code.into());
                head.insert("message".into(), message.into());
                head.insert(
                    "details".into(),
                    json!({
                        "dependency": "storage",
                        "providerMessage": provider_message,
                        "providerName": provider_name,
                        "storageType": storage_type,
                    }),
                );
                head.insert("statusCode".into(), 424.into());
            }
            Self::Business {
                message,
                code,
                error_details,
            } => {
                head.insert("statusCode".into(), 400.into());
                tail.insert("message".into(), message.into());
                if let Some(c) = code {
                    tail.insert("code".into(), c.into());
                }
                if let Some(d) = error_details {
                    tail.insert("errorDetails".into(), d);
                }
                with_request_id = false;
            }
            Self::Internal(e) if store_unreachable(&e) => {
                // Not a bug: the metadata database is down or cut off. Clients may retry.
                head.insert("statusCode".into(), 503.into());
                head.insert(
                    "message".into(),
                    "The metadata store cannot be reached; try again shortly".into(),
                );
                retry_after = Some(1);
                cause = Some(format!("{e:#}"));
            }
            Self::Internal(e) => {
                head.insert("statusCode".into(), 500.into());
                cause = Some(format!("{e:#}"));
            }
        }
        let mut response = status.into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Envelope {
            head,
            tail,
            with_request_id,
            cause,
        });
        response
    }
}

/// Whether an internal error is the metadata store being unreachable (connection refused or
/// reset, pool exhausted waiting for a connection) rather than a bug.
fn store_unreachable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Tls(_)
            )
        )
    })
}

/// class-validator constraint texts end with a period unless they already end in `.`, `!` or `?`.
fn constraint_sentence(message: &str) -> String {
    let trimmed = message.trim();
    if trimmed.ends_with(['.', '!', '?']) {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// `2024-01-01T12:00:00.000Z`, the reference's timestamp format.
pub fn iso_now() -> String {
    iso(chrono::Utc::now())
}

pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Outermost middleware: renders [`Envelope`]s with `timestamp`, `path` and `requestId`.
pub async fn render_envelopes(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let original_url = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && response.extensions().get::<Envelope>().is_none()
    {
        // Keep the headers other layers set (cache headers, request id), not the 405's own.
        let mut headers = std::mem::take(response.headers_mut());
        headers.remove(header::ALLOW);
        response = ApiError::no_route(&method, &original_url).into_response();
        response.headers_mut().extend(headers);
    }
    let Some(envelope) = response.extensions_mut().remove::<Envelope>() else {
        return response;
    };
    if let Some(cause) = &envelope.cause {
        tracing::error!(
            request_id = request_id.as_deref().unwrap_or("-"),
            %method,
            path = %original_url,
            error = %cause,
            "request failed"
        );
    }
    let mut body = envelope.head;
    body.insert("timestamp".into(), iso_now().into());
    body.insert("path".into(), original_url.into());
    body.extend(envelope.tail);
    if envelope.with_request_id {
        if let Some(id) = request_id {
            body.insert("requestId".into(), id.into());
        }
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(
        parts,
        axum::body::Body::from(Value::Object(body).to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_sentences() {
        assert_eq!(
            constraint_sentence("a must be a string"),
            "a must be a string."
        );
        assert_eq!(constraint_sentence(" done. "), "done.");
        assert_eq!(constraint_sentence("why?"), "why?");
    }
}
