//! Integration tests of the client against the in-process fake server (feature `testing`).

mod auth;
mod errors;
mod key;
mod paths;
mod resources;
mod streams;

use owox_api_client::testing::FakeServer;
use owox_api_client::OwoxClient;
use serde_json::Value;

/// A recorded body from `fixtures/recorded.json` (cleaned 0.35.0 recordings).
pub fn recorded(name: &str) -> Value {
    let all: Value =
        serde_json::from_str(include_str!("fixtures/recorded.json")).expect("fixtures");
    all[name].clone()
}

/// A started fake server and a client with its valid key.
pub async fn setup() -> (FakeServer, OwoxClient) {
    let server = FakeServer::start().await;
    let client = OwoxClient::new(&server.api_key()).expect("client");
    (server, client)
}
