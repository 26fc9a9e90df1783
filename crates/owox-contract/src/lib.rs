//! The OWOX Data Marts wire contract, shared by the server and the clients so they cannot drift.
//!
//! What is here: request and response types as they travel over HTTP (field names, key order,
//! enum spellings), the `owox_key_…` API key codec, and the HTTP Data query parameters with their
//! base64url JSON encoding.
//!
//! What is not here: any I/O, any SQL, any storage access. With the `openapi` feature the types
//! also derive their OpenAPI schemas (the server turns it on; clients do not pay for it).

pub mod api_key;
pub mod auth;
pub mod http_data;
pub mod resources;
