//! The OWOX Data Marts HTTP server as a library.
//!
//! What is here: configuration ([`config`]), the metadata store ([`store`]: projects, members,
//! API keys; SQLite or PostgreSQL), authentication and authorization ([`auth`]), the HTTP
//! routes with their OpenAPI description ([`http`]), and start-up/shutdown ([`server`]).
//!
//! What is not here: the wire types (`owox-contract`), SQL generation for data queries
//! (`owox-query`), storage drivers (`owox-storage`), and command-line parsing (the `owox`
//! binary). Nothing in this crate formats a user-given value into SQL text.

pub mod access;
pub mod admin;
pub mod auth;
pub mod blend;
pub mod config;
pub mod demo;
pub mod engines;
pub mod error;
pub mod http;
pub mod output_schema;
pub mod secrets;
pub mod server;
pub mod state;
pub mod store;
