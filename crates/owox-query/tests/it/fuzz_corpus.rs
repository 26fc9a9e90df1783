//! Replays the cargo-fuzz corpora (fuzz/corpus/<target>/) through the same checks the fuzz
//! targets run (fuzz/checks.rs), so every input the fuzzer kept, crashes it found included,
//! stays a regression test in CI without cargo-fuzz.

#[path = "../../../../fuzz/checks.rs"]
mod checks;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        count += 1;
    }
    assert!(count > 0, "the {target} corpus is empty");
}

#[test]
fn api_key_corpus() {
    replay("api_key", checks::api_key);
}

#[test]
fn http_data_params_corpus() {
    replay("http_data_params", checks::http_data_params);
}

#[test]
fn compile_corpus() {
    replay("compile", checks::compile);
}
