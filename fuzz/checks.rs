#![allow(dead_code)] // each target uses one check
                     // The properties the fuzz targets check, shared with the corpus replay tests
                     // (crates/owox-query/tests/it/fuzz_corpus.rs), so CI replays exactly what the fuzzer ran.
                     // Each function must not panic on any input; a panic is a finding.

use chrono::TimeZone as _;
use owox_query::{compile_request, parse_query, CompileContext, DuckDb, Field, Postgres, Source};

/// The key codec: any text parses or is refused; a parsed key encodes to a key that parses
/// to the same parts.
pub fn api_key(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parts) = owox_contract::api_key::parse_api_key(text) {
        let again =
            owox_contract::api_key::parse_api_key(&parts.encode()).expect("an encoded key parses");
        assert_eq!(again, parts);
    }
}

/// HTTP Data parameters, one `key=value` pair per line (already percent-decoded, as the
/// server hands them over).
pub fn pairs(data: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(data)
        .split('\n')
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (line.to_string(), String::new()),
        })
        .collect()
}

/// Parameter decoding: any pairs decode or are refused with a message.
pub fn http_data_params(data: &[u8]) {
    let _ = parse_query(&pairs(data));
}

fn fields() -> Vec<Field> {
    vec![
        Field::new("name", "STRING"),
        Field::new("amount", "NUMERIC"),
        Field::new("qty", "INTEGER"),
        Field::new("day", "DATE"),
        Field::new("ts", "TIMESTAMP"),
        Field::new("tstz", "TIMESTAMPTZ"),
        Field::new("flag", "BOOLEAN"),
        Field::new("meta", "JSON"),
        Field::new("a \"quoted\", odd $1 name", "STRING"),
    ]
}

/// The compiler: any request compiles or is refused; compiled SQL binds exactly its
/// parameters (`$1…$n`, each used) and never contains a user value.
pub fn compile(data: &[u8]) {
    let pairs = pairs(data);
    let ctx = CompileContext {
        now: chrono::Utc.with_ymd_and_hms(2026, 5, 13, 12, 0, 0).unwrap(),
        time_zone: chrono_tz::UTC,
    };
    let table = ["public".to_string(), "t".to_string()];
    for dialect in [&DuckDb as &dyn owox_query::Dialect, &Postgres] {
        let Ok(compiled) = compile_request(&fields(), &pairs, dialect, Source::Table(&table), &ctx)
        else {
            continue;
        };
        let statements = std::iter::once(&compiled.statement)
            .chain(compiled.totals.as_ref().map(|t| &t.statement));
        for statement in statements {
            assert!(!statement.sql.contains('\0'));
            // Every placeholder index is one of the parameters, and every parameter is used.
            let sql = statement.sql.replace("odd $1 name", "");
            let mut used = vec![false; statement.params.len()];
            let bytes = sql.as_bytes();
            for (i, b) in bytes.iter().enumerate() {
                if *b != b'$' {
                    continue;
                }
                let digits: String = sql[i + 1..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                let n: usize = digits.parse().expect("a placeholder has an index");
                assert!(
                    n >= 1 && n <= used.len(),
                    "placeholder ${n} without a parameter"
                );
                used[n - 1] = true;
            }
            assert!(
                used.iter().all(|u| *u),
                "a parameter is never used: {}",
                statement.sql
            );
        }
    }
}
