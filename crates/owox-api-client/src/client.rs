//! [`OwoxClient`]: construction from an API key and the low-level JSON/stream calls.

use std::sync::Arc;

use owox_contract::api_key::ApiKeyParts;
use reqwest::Method;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::path::QueryMode;
use crate::resources::{AuthApi, DataMartsApi, DestinationsApi, ReportsApi, RunsApi, StoragesApi};
use crate::transport::{Call, Transport};

const JSON: &str = "application/json";

/// A client for one API key. Cheap to clone (clones share the token cache).
///
/// The access token lives only in memory, is obtained lazily on the first authenticated call
/// (or by [`OwoxClient::authenticate`]) and is renewed once when a request answers 401.
#[derive(Clone)]
pub struct OwoxClient {
    transport: Arc<Transport>,
    key: Arc<ApiKeyParts>,
}

impl std::fmt::Debug for OwoxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwoxClient")
            .field("api_origin", &self.key.api_origin)
            .field("api_key_id", &self.key.api_key_id)
            .finish_non_exhaustive()
    }
}

impl OwoxClient {
    /// Parses `api_key` (ctl-client.md §1) and builds a client. No network I/O.
    pub fn new(api_key: &str) -> Result<Self> {
        Self::from_parts(crate::parse_api_key(api_key)?)
    }

    /// Builds a client from already parsed key parts.
    pub fn from_parts(parts: ApiKeyParts) -> Result<Self> {
        let transport = Transport::new(&parts)?;
        Ok(Self {
            transport: Arc::new(transport),
            key: Arc::new(parts),
        })
    }

    /// The normalized origin from the key.
    pub fn api_origin(&self) -> &str {
        self.transport.origin()
    }

    /// The key id from the key.
    pub fn api_key_id(&self) -> &str {
        &self.key.api_key_id
    }

    /// Exchanges the key for an access token unless one is cached.
    pub async fn authenticate(&self) -> Result<()> {
        self.transport.authenticate().await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        accept: &str,
    ) -> Result<Option<Value>> {
        let call = Call {
            method,
            path,
            query,
            mode: QueryMode::Set,
            body,
            accept,
            stream: false,
        };
        self.transport.json(&call).await
    }

    /// `GET path` with `query` set on the URL; the body unvalidated (`None` when empty).
    pub async fn get_json(&self, path: &str, query: &[(String, String)]) -> Result<Option<Value>> {
        self.call(Method::GET, path, query, None, JSON).await
    }

    /// `POST path` with a JSON body; `accept` defaults to `application/json`.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        accept: Option<&str>,
    ) -> Result<Option<Value>> {
        self.call(Method::POST, path, &[], Some(body), accept.unwrap_or(JSON))
            .await
    }

    /// `POST path` without a body (run cancel).
    pub async fn post_empty(&self, path: &str) -> Result<Option<Value>> {
        self.call(Method::POST, path, &[], None, JSON).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> Result<Option<Value>> {
        self.call(Method::PUT, path, &[], Some(body), JSON).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch_json(&self, path: &str, body: &Value) -> Result<Option<Value>> {
        self.call(Method::PATCH, path, &[], Some(body), JSON).await
    }

    /// `DELETE path` without a body; `None` for an empty (204) answer.
    pub async fn delete_json(&self, path: &str) -> Result<Option<Value>> {
        self.call(Method::DELETE, path, &[], None, JSON).await
    }

    /// `GET path` with `accept: application/x-ndjson`, `query` appended (repeated keys kept).
    /// Returns the raw response after the OK check.
    pub async fn get_stream(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<reqwest::Response> {
        self.transport.stream(path, query).await
    }

    /// `GET /api/auth/context`.
    pub fn auth(&self) -> AuthApi<'_> {
        AuthApi::new(self)
    }

    /// `/api/data-marts` and the data-mart row stream.
    pub fn data_marts(&self) -> DataMartsApi<'_> {
        DataMartsApi::new(self)
    }

    /// `/api/data-storages`.
    pub fn storages(&self) -> StoragesApi<'_> {
        StoragesApi::new(self)
    }

    /// `/api/data-destinations`.
    pub fn destinations(&self) -> DestinationsApi<'_> {
        DestinationsApi::new(self)
    }

    /// Run history, scoped runs, run detail and cancel.
    pub fn runs(&self) -> RunsApi<'_> {
        RunsApi::new(self)
    }

    /// The report row stream.
    pub fn reports(&self) -> ReportsApi<'_> {
        ReportsApi::new(self)
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<OwoxClient>();
    check::<Error>();
}
