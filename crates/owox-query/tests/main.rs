//! The single integration-test binary of owox-query.
mod it;
