//! Integration tests of the DuckDB storage with the real engine.

mod columnar;
mod common;
mod compiled;
mod definitions;
mod describe;
mod errors;
mod imports;
mod lockdown;
mod postgres;
mod streaming;
mod table_cache;
mod values;
