//! An in-process fake OWOX server for tests (feature `testing`).
//!
//! It implements the exchange (one key id and secret, fresh tokens `token-<n>`) and the guard
//! of every other `/api/...` route (bearer in `x-owox-authorization`, key id binding), records
//! every request, and answers routes with canned replies: JSON, raw bytes, NDJSON sent in
//! separate timed chunks, an endless stream that reports when the client hung up, or a body
//! cut off mid-way. Unknown routes get the reference's Nest 404.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

/// The key id the fake server accepts.
pub const KEY_ID: &str = "pmk_AbCdEfGhIjKlMnOpQrStUv";
/// The secret the fake server accepts.
pub const SECRET: &str = "vjqmM5GfJ6QklV8mFqM5Ior2hK6vK4mY8pE9T7aZr6Q";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `path?query`.
    pub fn target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }
}

/// The body of a canned reply.
#[derive(Clone)]
pub enum ReplyBody {
    Bytes(Vec<u8>),
    /// Sent as separate writes with a pause before each.
    Chunks(Vec<(Duration, Vec<u8>)>),
    /// The same chunk forever; the flag turns true when the client has gone.
    Endless(Vec<u8>, Arc<AtomicBool>),
    /// These bytes, then the connection is cut (a transport error for the client).
    Truncated(Vec<u8>),
}

/// A canned reply.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: ReplyBody,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: Value) -> Self {
        Self::bytes(status, "application/json; charset=utf-8", body.to_string())
    }

    /// `status` with a body of some content type.
    pub fn bytes(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: ReplyBody::Bytes(body.into()),
        }
    }

    /// 204 with no body.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: vec![],
            body: ReplyBody::Bytes(vec![]),
        }
    }

    /// A 200 NDJSON stream sent in the given chunks, 30 ms apart, with `x-owox-run-id`.
    pub fn ndjson_chunks<I: IntoIterator<Item = S>, S: Into<Vec<u8>>>(chunks: I) -> Self {
        let chunks = chunks
            .into_iter()
            .map(|c| (Duration::from_millis(30), c.into()))
            .collect();
        Self::ndjson(ReplyBody::Chunks(chunks))
    }

    /// A 200 NDJSON answer with this body.
    pub fn ndjson(body: ReplyBody) -> Self {
        Self {
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "application/x-ndjson; charset=utf-8".into(),
                ),
                ("x-owox-run-id".into(), "run-42".into()),
            ],
            body,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A Nest-style error body (`{message, error, statusCode, timestamp, path}`).
pub fn nest_error(status: u16, error: &str, message: &str, path: &str) -> Value {
    json!({"message": message, "error": error, "statusCode": status, "timestamp": "2026-01-01T00:00:00.000Z", "path": path})
}

/// The guard/exchange 401 body (no `code`, no `error`).
pub fn guard_error(status: u16, message: &str, path: &str) -> Value {
    json!({"statusCode": status, "message": message, "timestamp": "2026-01-01T00:00:00.000Z", "path": path})
}

#[derive(Default)]
struct State {
    routes: Mutex<HashMap<(String, String), VecDeque<Reply>>>,
    log: Mutex<Vec<Recorded>>,
    tokens: Mutex<HashSet<String>>,
    issued: AtomicUsize,
}

/// A running fake server; stops when dropped.
pub struct FakeServer {
    /// `http://127.0.0.1:<port>`
    pub origin: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = state.clone();
        let app = axum::Router::new()
            .fallback(move |request: Request<Body>| handle(shared.clone(), request));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        Self {
            origin,
            state,
            task,
        }
    }

    /// An API key for this server with the accepted id and `secret`.
    pub fn api_key_with_secret(&self, secret: &str) -> String {
        owox_contract::api_key::ApiKeyParts {
            api_origin: self.origin.clone(),
            api_key_id: KEY_ID.into(),
            api_key_secret: secret.into(),
        }
        .encode()
    }

    /// The valid API key for this server.
    pub fn api_key(&self) -> String {
        self.api_key_with_secret(SECRET)
    }

    /// Answers `method target` (target = path, or path?query for an exact query match) with
    /// `replies` in order; the last one repeats.
    pub fn on(&self, method: &str, target: &str, replies: Vec<Reply>) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert((method.into(), target.into()), replies.into());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.log.lock().unwrap().clone()
    }

    /// `"METHOD path?query"` of every request so far.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target()))
            .collect()
    }

    /// Makes every issued token invalid (the next authenticated request gets a 401).
    pub fn expire_tokens(&self) {
        self.state.tokens.lock().unwrap().clear();
    }
}

async fn handle(state: Arc<State>, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
        .to_vec();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let method = parts.method.as_str().to_owned();
    state.log.lock().unwrap().push(Recorded {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let exchange_override = state
        .routes
        .lock()
        .unwrap()
        .get(&(method.clone(), path.clone()))
        .and_then(|q| q.front().cloned());
    if let (Some(canned), "/api/auth/api-keys/exchange") = (exchange_override, path.as_str()) {
        return reply(canned);
    }
    if method == "POST" && path == "/api/auth/api-keys/exchange" {
        let secret = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| b["apiKeySecret"].as_str().map(str::to_owned));
        if header("x-owox-api-key-id").as_deref() == Some(KEY_ID)
            && secret.as_deref() == Some(SECRET)
        {
            let token = format!("token-{}", state.issued.fetch_add(1, Ordering::SeqCst) + 1);
            state.tokens.lock().unwrap().insert(token.clone());
            return reply(Reply::json(200, json!({ "accessToken": token })));
        }
        return reply(Reply::json(401, guard_error(401, "Unauthorized", &path)));
    }
    let bearer =
        header("x-owox-authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned));
    if !bearer.is_some_and(|t| state.tokens.lock().unwrap().contains(&t)) {
        return reply(Reply::json(
            401,
            guard_error(401, "Authentication failed", &path),
        ));
    }
    if header("x-owox-api-key-id").as_deref() != Some(KEY_ID) {
        return reply(Reply::json(
            403,
            guard_error(403, "Access denied by api key", &path),
        ));
    }
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let canned = {
        let mut routes = state.routes.lock().unwrap();
        let key = if routes.contains_key(&(method.clone(), target.clone())) {
            target
        } else {
            path.clone()
        };
        routes.get_mut(&(method.clone(), key)).and_then(|queue| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        })
    };
    match canned {
        Some(canned) => reply(canned),
        None => reply(Reply::json(
            404,
            nest_error(404, "Not Found", &format!("Cannot {method} {path}"), &path),
        )),
    }
}

struct OnDrop(Arc<AtomicBool>);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn reply(canned: Reply) -> Response {
    let body = match canned.body {
        ReplyBody::Bytes(bytes) => Body::from(bytes),
        ReplyBody::Chunks(chunks) => Body::from_stream(futures::stream::unfold(
            chunks.into_iter(),
            |mut it| async move {
                let (pause, bytes) = it.next()?;
                tokio::time::sleep(pause).await;
                Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), it))
            },
        )),
        ReplyBody::Endless(chunk, gone) => {
            let guard = OnDrop(gone);
            Body::from_stream(futures::stream::unfold(
                (guard, Bytes::from(chunk)),
                |(guard, chunk)| async move {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    Some((Ok::<_, std::io::Error>(chunk.clone()), (guard, chunk)))
                },
            ))
        }
        ReplyBody::Truncated(bytes) => {
            Body::from_stream(futures::stream::unfold(Some(bytes), |state| async move {
                match state {
                    Some(bytes) => Some((Ok(Bytes::from(bytes)), None)),
                    None => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Some((Err(std::io::Error::other("cut")), None))
                    }
                }
            }))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(canned.status).expect("status");
    for (name, value) in canned.headers {
        response.headers_mut().append(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(&value).expect("header value"),
        );
    }
    response
}
