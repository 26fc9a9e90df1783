//! `data-marts list`, `storages list`, `destinations list`: one call, pretty JSON.

use serde_json::Value;

use super::client;
use crate::output::{print_json, CliError};

/// Which list.
pub enum ListKind {
    DataMarts,
    Storages,
    Destinations,
}

pub async fn run(kind: ListKind, env_file: Option<&str>) -> Result<(), CliError> {
    let (_, client) = client(env_file)?;
    let items = match kind {
        ListKind::DataMarts => client.data_marts().list_json(Default::default()).await?,
        ListKind::Storages => client.storages().list_json().await?,
        ListKind::Destinations => client.destinations().list_json().await?,
    };
    print_json(&Value::Array(items));
    Ok(())
}
