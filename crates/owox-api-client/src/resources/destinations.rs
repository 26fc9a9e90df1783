//! `destinations.list()`: `GET /api/data-destinations`.

use owox_contract::resources::Destination;
use serde_json::Value;

use super::{shape_error, typed_items};
use crate::client::OwoxClient;
use crate::error::Result;

const SHAPE: &str = "OWOX Data Destinations API returned an unexpected response shape";

/// The destinations resource.
pub struct DestinationsApi<'a> {
    client: &'a OwoxClient,
}

impl<'a> DestinationsApi<'a> {
    pub(crate) fn new(client: &'a OwoxClient) -> Self {
        Self { client }
    }

    /// The answer as received, after the reference's check (an array; elements unchecked).
    pub async fn list_json(&self) -> Result<Vec<Value>> {
        match self.client.get_json("/api/data-destinations", &[]).await? {
            Some(Value::Array(items)) => Ok(items),
            other => Err(shape_error(SHAPE, other)),
        }
    }

    /// Typed destinations. Stricter than the reference: each element must read as
    /// [`Destination`] (unknown destination types are kept, not rejected).
    pub async fn list(&self) -> Result<Vec<Destination>> {
        typed_items(self.list_json().await?, SHAPE)
    }
}
