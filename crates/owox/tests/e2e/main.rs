//! End-to-end tests: each starts the real `owox` binary on a free port with its own data
//! directory and talks HTTP to it, as a user's tools would.

mod auth;
mod blended_streams;
mod blending;
mod config;
mod ctl;
mod data_marts;
mod destinations;
mod faults;
mod foundation;
mod hostile;
mod http_data;
mod postgres;
mod relationships;
mod report_lists;
mod report_streams;
mod report_updates;
mod reports;
mod support;
