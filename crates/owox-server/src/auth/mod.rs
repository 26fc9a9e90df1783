//! Authentication and authorization: API key material, access tokens, the request extractor
//! that every protected handler uses, and the limiter for failed exchanges.
//!
//! Invariants kept here:
//! - secrets are never stored or logged: only scrypt hashes; comparisons are constant time;
//! - every protected request re-reads the key and the member from the store, so revocation,
//!   expiry, member removal and role changes take effect on the next request on every instance;
//! - scrypt runs on the blocking pool behind a semaphore, never on the async workers.

pub mod extractor;
pub mod keys;
pub mod rate_limit;
pub mod tokens;

pub use extractor::{Admin, Auth, Caller, Editor, Viewer};
