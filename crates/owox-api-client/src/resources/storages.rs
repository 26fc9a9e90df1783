//! `storages.list()`: `GET /api/data-storages`.

use owox_contract::resources::StorageListItem;
use serde_json::Value;

use super::{shape_error, typed_items};
use crate::client::OwoxClient;
use crate::error::Result;

const SHAPE: &str = "OWOX Data Storages API returned an unexpected response shape";

/// The storages resource.
pub struct StoragesApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> StoragesApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// The answer as received, after the reference's check (an array; elements unchecked).
    pub async fn list_json(&self) -> Result<Vec<Value>> {
        match self.client.get_json("/api/data-storages", &[]).await? {
            Some(Value::Array(items)) => Ok(items),
            other => Err(shape_error(SHAPE, other)),
        }
    }

    /// Typed storages. Stricter than the reference: each element must read as
    /// [`StorageListItem`] (unknown storage types are kept, not rejected).
    pub async fn list(&self) -> Result<Vec<StorageListItem>> {
        typed_items(self.list_json().await?, SHAPE)
    }
}
