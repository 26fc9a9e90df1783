//! The API-key transport: token exchange, in-memory token cache, one re-exchange and retry on
//! 401, both auth headers on every request, redirects refused (ctl-client.md §2.1–§2.2).

use std::sync::Arc;
use std::time::Duration;

use owox_contract::api_key::ApiKeyParts;
use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::Mutex;
use url::Url;

use crate::error::{ApiError, Error, Result};
use crate::http_error::{create_http_error, read_body, status_text};
use crate::path::{build_url, QueryMode};

/// Header carrying the API key id on every request.
pub const API_KEY_ID_HEADER: &str = "x-owox-api-key-id";
/// Header carrying `Bearer <accessToken>` (not `Authorization`).
pub const AUTHORIZATION_HEADER: &str = "x-owox-authorization";
/// The exchange endpoint.
pub const EXCHANGE_PATH: &str = "/api/auth/api-keys/exchange";
/// Media type of the row streams.
pub const NDJSON: &str = "application/x-ndjson";
const JSON: &str = "application/json";

pub(crate) struct Transport {
    http: reqwest::Client,
    origin: Url,
    origin_text: String,
    key_id: HeaderValue,
    secret: String,
    /// The cached access token. Held across an exchange, so concurrent first calls share one.
    token: Mutex<Option<Arc<str>>>,
}

/// One request's description, replayable after a re-exchange.
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub mode: QueryMode,
    pub body: Option<&'a Value>,
    pub accept: &'a str,
    /// Streams have no overall timeout; JSON calls get the reference's 300 s.
    pub stream: bool,
}

impl Transport {
    pub(crate) fn new(parts: &ApiKeyParts) -> Result<Self> {
        let origin = Url::parse(&parts.api_origin)
            .map_err(|_| Error::config("OWOX API origin must be a valid http or https URL"))?;
        let key_id = HeaderValue::from_str(&parts.api_key_id).map_err(|_| {
            Error::config("OWOX_API_KEY must include apiOrigin, apiKeyId, and apiKeySecret")
        })?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                attempt.error("redirects are refused for OWOX API requests")
            }))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::config(format!("Failed to create the HTTP client: {e}")))?;
        Ok(Self {
            http,
            origin,
            origin_text: parts.api_origin.clone(),
            key_id,
            secret: parts.api_key_secret.clone(),
            token: Mutex::new(None),
        })
    }

    pub(crate) fn origin(&self) -> &str {
        &self.origin_text
    }

    fn network_error(&self, cause: reqwest::Error) -> Error {
        Error::Api(Box::new(ApiError {
            message: format!(
                "Unable to reach OWOX Data Marts API at {}. Check the apiOrigin inside OWOX_API_KEY and network connectivity.",
                self.origin_text
            ),
            code: Some("NETWORK_ERROR".to_owned()),
            cause: Some(Arc::new(cause)),
            ..ApiError::default()
        }))
    }

    /// Exchanges the key for a token unless one is cached.
    pub(crate) async fn authenticate(&self) -> Result<()> {
        self.token().await.map(drop)
    }

    async fn token(&self) -> Result<Arc<str>> {
        let mut guard = self.token.lock().await;
        if let Some(token) = guard.as_ref() {
            return Ok(token.clone());
        }
        let token: Arc<str> = self.exchange().await?.into();
        *guard = Some(token.clone());
        Ok(token)
    }

    async fn exchange(&self) -> Result<String> {
        let url = self.origin.join(EXCHANGE_PATH).expect("constant path");
        let response = self
            .http
            .post(url)
            .header(ACCEPT, JSON)
            .header(API_KEY_ID_HEADER, self.key_id.clone())
            .header(CONTENT_TYPE, JSON)
            .body(json!({ "apiKeySecret": self.secret }).to_string())
            .timeout(Duration::from_secs(300))
            .send()
            .await
            .map_err(|e| self.network_error(e))?;
        let status = response.status();
        let text = status_text(&response);
        let body = read_body(response)
            .await
            .map_err(|e| self.network_error(e))?;
        if !status.is_success() {
            return Err(create_http_error(status.as_u16(), &text, body, true));
        }
        match body
            .as_ref()
            .and_then(|b| b.get("accessToken"))
            .and_then(Value::as_str)
        {
            Some(token) if !token.is_empty() => Ok(token.to_owned()),
            _ => Err(Error::Auth(Box::new(ApiError {
                message: "OWOX authentication response did not include an access token".to_owned(),
                status: Some(status.as_u16()),
                details: body,
                ..ApiError::default()
            }))),
        }
    }

    /// Drops `used` from the cache (unless another call already replaced it).
    async fn forget(&self, used: &Arc<str>) {
        let mut guard = self.token.lock().await;
        if guard.as_ref().is_some_and(|t| Arc::ptr_eq(t, used)) {
            *guard = None;
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        url: &Url,
        token: &str,
    ) -> Result<reqwest::Response> {
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .header(ACCEPT, call.accept)
            .header(API_KEY_ID_HEADER, self.key_id.clone())
            .header(AUTHORIZATION_HEADER, format!("Bearer {token}"));
        if let Some(body) = call.body {
            request = request.header(CONTENT_TYPE, JSON).body(body.to_string());
        }
        if !call.stream {
            request = request.timeout(Duration::from_secs(300));
        }
        request.send().await.map_err(|e| self.network_error(e))
    }

    /// Sends an authenticated request: path check first, then token, then the request; a 401 drops
    /// the token, re-exchanges once and replays. Any status is returned to the caller.
    pub(crate) async fn send(&self, call: &Call<'_>) -> Result<reqwest::Response> {
        let url = build_url(&self.origin, call.path, call.query, call.mode)?;
        let token = self.token().await?;
        let response = self.send_once(call, &url, &token).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        drop(response);
        self.forget(&token).await;
        let token = self.token().await?;
        self.send_once(call, &url, &token).await
    }

    /// Sends and reads a JSON answer: `None` for an empty body; non-2xx → error.
    pub(crate) async fn json(&self, call: &Call<'_>) -> Result<Option<Value>> {
        let response = self.send(call).await?;
        let status = response.status();
        let text = status_text(&response);
        let body = read_body(response)
            .await
            .map_err(|e| self.network_error(e))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(create_http_error(status.as_u16(), &text, body, false))
        }
    }

    /// Opens a stream: returns the response after the OK check.
    pub(crate) async fn stream(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<reqwest::Response> {
        let call = Call {
            method: Method::GET,
            path,
            query,
            mode: QueryMode::Append,
            body: None,
            accept: NDJSON,
            stream: true,
        };
        let response = self.send(&call).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = status_text(&response);
        let body = read_body(response)
            .await
            .map_err(|e| self.network_error(e))?;
        Err(create_http_error(status.as_u16(), &text, body, false))
    }
}
