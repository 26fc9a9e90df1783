use chrono::{TimeZone, Utc};
use owox_query::*;

pub fn fields() -> Vec<Field> {
    vec![
        Field::new("name", "STRING"),
        Field::new("amount", "NUMERIC"),
        Field::new("qty", "INTEGER"),
        Field::new("day", "DATE"),
        Field::new("ts", "TIMESTAMP"),
        Field::new("tstz", "TIMESTAMPTZ"),
        Field::new("flag", "BOOLEAN"),
        Field::new("meta", "JSON"),
    ]
}

pub fn ctx() -> CompileContext {
    CompileContext {
        now: Utc.with_ymd_and_hms(2026, 5, 13, 12, 0, 0).unwrap(),
        time_zone: chrono_tz::UTC,
    }
}

/// Unpadded base64url of the raw JSON text (so even `1e999` can be sent).
pub fn enc(json: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.as_bytes())
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn parse_err(list: &[(&str, &str)]) -> String {
    match parse_query(&pairs(list)) {
        Err(QueryError::InvalidQuery { message }) => message,
        other => panic!("expected InvalidQuery, got {other:?}"),
    }
}
