//! Compiles `src/duckdb_driver/evict.cpp` against the bundled DuckDB's headers (published by
//! libduckdb-sys as `DEP_DUCKDB_INCLUDE`), the one call the table cache needs that DuckDB's
//! C API lacks.

fn main() {
    let include = std::env::var("DEP_DUCKDB_INCLUDE")
        .expect("libduckdb-sys (bundled) publishes its include directory as DEP_DUCKDB_INCLUDE");
    println!("cargo:rerun-if-changed=src/duckdb_driver/evict.cpp");
    cc::Build::new()
        .cpp(true)
        .file("src/duckdb_driver/evict.cpp")
        .include(&include)
        .flag_if_supported("-std=c++17")
        // libduckdb-sys compiles DuckDB with NDEBUG whenever its own profile has no debug
        // info, which ours never asks for (`[profile.dev.package."*"] debug = false`); some
        // of DuckDB's structures differ under DEBUG.
        .define("NDEBUG", None)
        .warnings(false)
        .flag_if_supported("-w")
        .compile("owox_duckdb_evict");
}
