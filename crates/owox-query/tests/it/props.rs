//! Property tests: no panics, and nothing hostile reaches the SQL unquoted.
use super::common::*;
use owox_query::*;
use proptest::prelude::*;

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'; DROP TABLE t; --".to_string()),
        Just("\"quoted\"".to_string()),
        Just("back\\slash".to_string()),
        Just("nul\0byte".to_string()),
        Just("/* c */".to_string()),
        Just("SELECT".to_string()),
        Just("ünï©ødé 🦀".to_string()),
        "\\PC{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_pairs_never_panic(keys in prop::collection::vec(prop_oneof![
        Just("columns"), Just("column"), Just("filter"), Just("sort"), Just("aggregation"),
        Just("dateTrunc"), Just("limit"), Just("pageToken"), Just("x")], 0..6),
        vals in prop::collection::vec("\\PC{0,40}", 6)) {
        let list: Vec<(String, String)> = keys.iter().zip(vals.iter()).map(|(k, v)| (k.to_string(), v.clone())).collect();
        let table = vec!["t".to_string()];
        for d in [&Postgres as &dyn Dialect, &DuckDb] {
            let _ = compile_request(&fields(), &list, d, Source::Table(&table), &ctx());
        }
    }

    #[test]
    fn random_json_configs_never_panic(json in "[\\[\\]{}\":,a-z0-9 .eE+-]{0,80}") {
        for key in ["filter", "sort", "aggregation", "dateTrunc"] {
            let list = pairs(&[("column", "name"), (key, &owox_contract::http_data::encode_param(&json))]);
            let _ = parse_query(&list);
            let raw = owox_contract::http_data::decode_base64url_lenient(&json);
            let _ = raw;
            let _ = owox_contract::http_data::parse_js_json(&json);
        }
    }

    #[test]
    fn hostile_values_are_bound_and_names_quoted(name in hostile(), value in hostile()) {
        let f = vec![Field::new(name.clone(), "STRING"), Field::new("n", "INTEGER")];
        let filter = serde_json::json!([
            {"column": name, "operator": "contains", "value": value},
            {"column": name, "operator": "in", "value": [value, "x"]},
            {"column": name, "operator": "regex", "value": "a"},
        ]);
        let list = pairs(&[("column", &name), ("column", "n"), ("filter", &owox_contract::http_data::encode_param(&filter)),
            ("aggregation", &enc(r#"[{"column":"n","function":"SUM"}]"#))]);
        for d in [&Postgres as &dyn Dialect, &DuckDb] {
            let table = vec!["t".to_string()];
            match compile_request(&f, &list, d, Source::Table(&table), &ctx()) {
                Ok(c) => {
                    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
                    // Remove every quoted occurrence of the name; the value must not appear at all.
                    let stripped = c.statement.sql.replace(&quoted, "");
                    let special = ["'", "/*", "\\", "\0", "🦀", "\""].iter().any(|s| value.contains(s));
                    if special && !quoted.contains(&value) {
                        prop_assert!(!stripped.contains(&value), "value spliced: {}", c.statement.sql);
                    }
                    prop_assert!(c.statement.params.contains(&SqlParam::Text(value.clone())));
                }
                Err(e) => {
                    let expected = name.contains('\0') || name.is_empty() || matches!(e, QueryError::OutputControls { .. });
                    prop_assert!(expected, "unexpected error {:?}", e);
                }
            }
        }
    }
}
