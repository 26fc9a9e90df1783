//! In-process tests of the server library: the metadata store on both backends, and the
//! auth extractor's role checks. End-to-end tests of the real binary live in `crates/owox`.

mod extractor;
mod store_conformance;
mod support;
