//! base64url JSON of the encoded parameters (§4.3, §12).

use base64::Engine;
use serde::Serialize;

use super::json::{parse_js_json, JsValue};

/// Why an encoded parameter did not decode. The reference's base64 step never fails (Node's
/// decoder skips what it does not know), so in practice only [`DecodeError::NotJson`] occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("value is not valid JSON")]
    NotJson,
}

/// Unpadded base64url of the UTF-8 JSON of `value`, as the reference client sends it.
pub fn encode_param<T: Serialize + ?Sized>(value: &T) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.as_bytes())
}

/// Node's `Buffer.from(raw, 'base64url')`: accepts both alphabets, skips any other character
/// (whitespace included), stops at the first `=`, and drops an incomplete trailing sextet.
pub fn decode_base64url_lenient(raw: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in raw.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Decodes an encoded parameter as the reference does: lenient base64url, UTF-8 with U+FFFD for
/// invalid sequences, then `JSON.parse`.
pub fn decode_param(raw: &str) -> Result<JsValue, DecodeError> {
    let bytes = decode_base64url_lenient(raw);
    let text = String::from_utf8_lossy(&bytes);
    parse_js_json(&text).ok_or(DecodeError::NotJson)
}
