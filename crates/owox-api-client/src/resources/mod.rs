//! Typed resources, one module per endpoint family. Each validates the answer's shape the way
//! the reference client does (same messages, raw answer as `details`) and then reads it into
//! the shared wire types of `owox_contract::resources`.

mod auth;
mod data_marts;
mod destinations;
mod reports;
mod runs;
mod storages;

pub use auth::AuthApi;
pub use data_marts::{DataMartListOptions, DataMartsApi, RawPage};
pub use destinations::DestinationsApi;
pub use reports::ReportsApi;
pub use runs::{DataMartRunsApi, RunListOptions, RunsApi};
pub use storages::StoragesApi;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// Reads a shape-checked value into a typed one; a failure is the resource's shape error.
pub(crate) fn typed<T: DeserializeOwned>(value: Value, message: &str) -> Result<T> {
    serde_json::from_value(value.clone()).map_err(|_| Error::api_with_details(message, value))
}

/// Reads a shape-checked array into typed items.
pub(crate) fn typed_items<T: DeserializeOwned>(items: Vec<Value>, message: &str) -> Result<Vec<T>> {
    items.into_iter().map(|item| typed(item, message)).collect()
}

/// A resource's shape error: `OWOXApiError(message, {details: <raw answer>})`, no details for an
/// empty answer.
pub(crate) fn shape_error(message: &str, body: Option<Value>) -> Error {
    match body {
        Some(body) => Error::api_with_details(message, body),
        None => Error::api(message),
    }
}
