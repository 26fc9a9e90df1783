//! Rust client for the OWOX Data Marts API, wire-compatible with the reference
//! `@owox/api-client` 0.31 (see `ctl-client.md` in the contract).
//!
//! What it is for: programs that talk to an OWOX Data Marts server with an `owox_key_…` API
//! key. It parses the key with the reference's validation and messages, exchanges it for an
//! access token (kept in memory only, renewed once on a 401), sends both auth headers on every
//! request, refuses redirects and unsafe paths, checks response shapes with the reference's
//! messages, and returns typed results built from the wire types in
//! [`owox_contract::resources`]. Row streams (data marts and reports) come as async chunks of
//! rows, or as checked raw NDJSON bytes for writing out unchanged; dropping a stream closes the
//! connection and so cancels the query.
//!
//! What it is not: a server, a storage driver or a query builder. It does not persist tokens,
//! has no retries beyond the single 401 re-exchange, and leaves rule validation (filters,
//! sorts, aggregations) to the server. Enum-like fields are read leniently (unknown values are
//! kept) so a newer server does not break it; the server validates strictly.
//!
//! ```no_run
//! # async fn demo() -> owox_api_client::Result<()> {
//! use futures::TryStreamExt;
//! use owox_api_client::{OwoxClient, TraversalOptions};
//!
//! let client = OwoxClient::new(&std::env::var("OWOX_API_KEY").unwrap_or_default())?;
//! let marts = client.data_marts().list(Default::default()).await?;
//! let mut stream = client.data_marts().traverse_data(&marts[0].id, &TraversalOptions::default()).await?;
//! let mut chunks = stream.row_chunks()?;
//! while let Some(rows) = chunks.try_next().await? {
//!     println!("{} rows", rows.len());
//! }
//! # Ok(()) }
//! ```

mod client;
pub mod encoding;
mod error;
mod http_error;
mod json_check;
mod ndjson;
pub mod path;
pub mod resources;
mod transport;
mod traversal;
mod validate;
pub use validate::is_rfc3339;

#[cfg(feature = "testing")]
pub mod testing;

pub use client::OwoxClient;
pub use error::{ApiError, Error, Result};
pub use owox_contract::api_key::{ApiKeyParts, API_KEY_PREFIX};
pub use owox_contract::resources as types;
pub use resources::{
    AuthApi, DataMartListOptions, DataMartRunsApi, DataMartsApi, DestinationsApi, RawPage,
    ReportsApi, RunListOptions, RunsApi, StoragesApi,
};
pub use transport::{API_KEY_ID_HEADER, AUTHORIZATION_HEADER, EXCHANGE_PATH, NDJSON};
pub use traversal::{
    ColumnSet, NdjsonTraversal, RawChunk, RawChunks, Row, RowChunks, TraversalOptions,
};

/// `parseOWOXApiKey`: the three parts of an `owox_key_…` string, or an `OWOXConfigError` with
/// the reference's message.
pub fn parse_api_key(value: &str) -> Result<ApiKeyParts> {
    Ok(owox_contract::api_key::parse_api_key(value)?)
}
