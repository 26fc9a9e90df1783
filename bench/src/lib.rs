//! Benchmarks for the `owox` server. Each benchmark is a binary that starts the real `owox`
//! binary as a child process on a loopback port with a temporary data directory and drives it
//! over HTTP from its own tokio runtime, so the load generator never shares a runtime (or an
//! allocator, or a process) with the server it measures.
//!
//! - [`load`]: the closed-loop load generator and latency percentiles.
//! - [`server`]: finding, starting and stopping `owox`, and creating a key on it.
//! - [`machine`]: how busy the rest of the machine was while a phase ran.

pub mod load;
pub mod machine;
pub mod server;
