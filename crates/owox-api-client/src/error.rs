//! The client's error type, mirroring the reference's three classes (ctl-client.md §2.5).

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// Every failure of the client.
///
/// * [`Error::Config`] — `OWOXConfigError`: local misconfiguration or unsafe input, raised before
///   any network traffic.
/// * [`Error::Api`] — `OWOXApiError`: anything involving the server, including response-shape
///   checks and network failures (`code == "NETWORK_ERROR"`).
/// * [`Error::Auth`] — `OWOXAuthError`: exchange failures and 401 answers.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("{message}")]
    Config { message: String },
    #[error("{}", .0.message)]
    Api(Box<ApiError>),
    #[error("{}", .0.message)]
    Auth(Box<ApiError>),
}

/// The fields of `OWOXApiError` / `OWOXAuthError`.
#[derive(Clone, Default)]
pub struct ApiError {
    pub message: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub details: Option<Value>,
    /// The underlying failure (network errors); its text is never part of `message`.
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("message", &self.message)
            .field("status", &self.status)
            .field("code", &self.code)
            .field("details", &self.details)
            .field("cause", &self.cause.as_ref().map(|c| c.to_string()))
            .finish()
    }
}

impl ApiError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }

    /// Sets `details`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Sets `status`.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
}

impl Error {
    /// `OWOXConfigError` with `message`.
    pub fn config(message: impl Into<String>) -> Self {
        Self::Config {
            message: message.into(),
        }
    }

    /// `OWOXApiError` with only a message.
    pub fn api(message: impl Into<String>) -> Self {
        Self::Api(Box::new(ApiError::new(message)))
    }

    /// `OWOXApiError(message, {details})`: the resource shape and option failures.
    pub fn api_with_details(message: impl Into<String>, details: Value) -> Self {
        Self::Api(Box::new(ApiError::new(message).with_details(details)))
    }

    /// The reference class name: `OWOXConfigError`, `OWOXApiError` or `OWOXAuthError`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Config { .. } => "OWOXConfigError",
            Self::Api(_) => "OWOXApiError",
            Self::Auth(_) => "OWOXAuthError",
        }
    }

    /// The message, as the reference builds it.
    pub fn message(&self) -> &str {
        match self {
            Self::Config { message } => message,
            Self::Api(e) | Self::Auth(e) => &e.message,
        }
    }

    /// API and auth error fields; `None` for configuration errors.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Config { .. } => None,
            Self::Api(e) | Self::Auth(e) => Some(e),
        }
    }

    /// HTTP status, when the error came from an answer.
    pub fn status(&self) -> Option<u16> {
        self.api_error().and_then(|e| e.status)
    }

    /// `code` (`body.code`, else `body.error`, or `NETWORK_ERROR`).
    pub fn code(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.code.as_deref())
    }

    /// `details` (see ctl-client.md §2.4 for how it is picked from an error body).
    pub fn details(&self) -> Option<&Value> {
        self.api_error().and_then(|e| e.details.as_ref())
    }

    /// `true` for `OWOXAuthError`.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth(_))
    }

    /// `true` for the network failure (`code == "NETWORK_ERROR"`).
    pub fn is_network(&self) -> bool {
        self.code() == Some("NETWORK_ERROR")
    }

    /// Same class and fields with other details (used when stream errors gain their id).
    pub(crate) fn map_api(self, f: impl FnOnce(ApiError) -> ApiError) -> Self {
        match self {
            Self::Api(e) => Self::Api(Box::new(f(*e))),
            Self::Auth(e) => Self::Auth(Box::new(f(*e))),
            config => config,
        }
    }
}

impl From<owox_contract::api_key::ApiKeyParseError> for Error {
    fn from(error: owox_contract::api_key::ApiKeyParseError) -> Self {
        Self::config(error.to_string())
    }
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
