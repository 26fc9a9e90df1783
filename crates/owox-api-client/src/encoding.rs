//! Encoding of the HTTP Data rule parameters (`filter`, `sort`, `aggregation`, `dateTrunc`):
//! unpadded base64url of the UTF-8 of `JSON.stringify(value)` (http-data.md §12).
//!
//! Kept local to the client for now; it can switch to `owox_contract::http_data` once that
//! module exposes the same encoder.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// `base64url(JSON.stringify(value))`, no padding.
pub fn encode_json_param(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(js_stringify(value))
}

/// Compact JSON close to JavaScript's `JSON.stringify`: integral floats below 1e21 lose their
/// fraction (`1.0` → `1`, `-0` → `0`) and exponents carry a sign (`1e+21`). Key order is kept as
/// given (JavaScript would move integer-like keys first).
pub fn js_stringify(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
        Value::Number(n) if n.is_f64() => out.push_str(&js_number(n.as_f64().unwrap_or(0.0))),
        other => out.push_str(&other.to_string()),
    }
}

fn js_number(n: f64) -> String {
    if !n.is_finite() {
        return "null".to_owned();
    }
    if n == 0.0 {
        return "0".to_owned();
    }
    if n.fract() == 0.0 && n.abs() < 1e21 {
        return format!("{n:.0}");
    }
    let text = serde_json::Number::from_f64(n)
        .map(|n| n.to_string())
        .unwrap_or_default();
    match text.find('e') {
        Some(i) if !text[i + 1..].starts_with(['-', '+']) => {
            format!("{}e+{}", &text[..i], &text[i + 1..])
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_the_documented_examples() {
        let filter = json!([{"column":"date","operator":"gte","value":"2026-01-01"}]);
        assert_eq!(
            encode_json_param(&filter),
            "W3siY29sdW1uIjoiZGF0ZSIsIm9wZXJhdG9yIjoiZ3RlIiwidmFsdWUiOiIyMDI2LTAxLTAxIn1d"
        );
        let aggregation = json!([{"column":"revenue","function":"SUM"}]);
        assert_eq!(
            encode_json_param(&aggregation),
            "W3siY29sdW1uIjoicmV2ZW51ZSIsImZ1bmN0aW9uIjoiU1VNIn1d"
        );
        assert_eq!(encode_json_param(&json!([])), "W10");
    }

    #[test]
    fn numbers_follow_javascript() {
        let v: Value =
            serde_json::from_str("[1.0,-0.0,1e21,2.5,1e-7,12345678901234567890]").unwrap();
        assert_eq!(
            js_stringify(&v),
            "[1,0,1e+21,2.5,1e-7,12345678901234567890]"
        );
        assert_eq!(
            js_stringify(&json!({"a":"x\u{1}\"/\u{2028}"})),
            "{\"a\":\"x\\u0001\\\"/\u{2028}\"}"
        );
    }
}
