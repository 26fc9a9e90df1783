//! The `owox_key_…` API key format (auth.md §6).
//!
//! A key is `owox_key_` followed by the unpadded base64url encoding of the compact JSON object
//! `{"apiOrigin":…,"apiKeyId":…,"apiKeySecret":…}` in exactly that key order. The id and the
//! secret have fixed shapes that both the server and the clients check.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Prefix of every encoded API key.
pub const API_KEY_PREFIX: &str = "owox_key_";
/// Prefix of every API key id.
pub const API_KEY_ID_PREFIX: &str = "pmk_";

/// The three parts of an API key, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyParts {
    pub api_origin: String,
    pub api_key_id: String,
    pub api_key_secret: String,
}

impl ApiKeyParts {
    /// Encodes the parts as the user-facing `owox_key_…` string.
    pub fn encode(&self) -> String {
        let json = serde_json::to_string(self).expect("three strings always serialize");
        format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
    }
}

/// Why a string is not a usable API key. The messages are the reference client's, word for word
/// (`OWOXConfigError` in `@owox/api-client`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiKeyParseError {
    #[error("OWOX_API_KEY is required and must start with owox_key_")]
    MissingPrefix,
    #[error("OWOX_API_KEY must contain a valid base64url payload")]
    InvalidBase64,
    #[error("OWOX_API_KEY must contain a valid JSON payload")]
    InvalidJson,
    #[error("OWOX_API_KEY must contain a JSON object")]
    NotAnObject,
    #[error("OWOX_API_KEY must include apiOrigin, apiKeyId, and apiKeySecret")]
    MissingField,
    #[error("OWOX_API_KEY apiOrigin must be a valid http or https origin")]
    InvalidOrigin,
}

/// Parses an `owox_key_…` string as the reference client does (ctl-client.md §1): prefix (no
/// trimming of the raw value, so a trailing newline fails the base64url check), base64url
/// payload decoded leniently like `atob` (a failing decode is a JSON-payload error), UTF-8
/// decoded non-fatally, JSON object, three non-blank string fields (trimmed like JS `trim`), and
/// an http(s) origin. The origin comes back normalized like WHATWG `URL.origin` (lower-case
/// scheme and host, default port dropped, no trailing slash).
pub fn parse_api_key(raw: &str) -> Result<ApiKeyParts, ApiKeyParseError> {
    let payload = raw
        .strip_prefix(API_KEY_PREFIX)
        .ok_or(ApiKeyParseError::MissingPrefix)?;
    if payload.is_empty() || !is_base64url(payload) {
        return Err(ApiKeyParseError::InvalidBase64);
    }
    let bytes = LENIENT_BASE64URL
        .decode(payload)
        .map_err(|_| ApiKeyParseError::InvalidJson)?;
    let text = String::from_utf8_lossy(&bytes);
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| ApiKeyParseError::InvalidJson)?;
    let object = value.as_object().ok_or(ApiKeyParseError::NotAnObject)?;
    let field = |name: &str| -> Result<String, ApiKeyParseError> {
        match object.get(name).and_then(|v| v.as_str()).map(js_trim) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(ApiKeyParseError::MissingField),
        }
    };
    let (origin, id, secret) = (
        field("apiOrigin")?,
        field("apiKeyId")?,
        field("apiKeySecret")?,
    );
    Ok(ApiKeyParts {
        api_origin: normalize_origin(&origin).ok_or(ApiKeyParseError::InvalidOrigin)?,
        api_key_id: id,
        api_key_secret: secret,
    })
}

/// `atob` semantics over the URL-safe alphabet: non-zero trailing bits are ignored and padding
/// is optional (a length of 4n+1 still fails).
const LENIENT_BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// JavaScript `String.prototype.trim`: Unicode `Zs`, tab, VT, FF, BOM and line terminators.
pub fn js_trim(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(
            c,
            '\u{9}'
                | '\u{a}'
                | '\u{b}'
                | '\u{c}'
                | '\u{d}'
                | ' '
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    })
}

/// Normalizes an http(s) origin to the WHATWG `URL.origin` form; `None` when the value is not
/// `scheme://host[:port]` with an optional path of `/` (dot segments allowed, as the URL parser
/// removes them), or has userinfo, a query or a fragment.
///
/// Follows the WHATWG parser for what matters here: tabs and newlines are removed, `\` counts
/// as `/`, any number of slashes may follow the scheme, the port loses leading zeros. Not
/// covered: IDNA (a non-ASCII host is only lower-cased, not punycoded) and numeric IPv4 forms
/// such as `0x7f.1`.
pub fn normalize_origin(input: &str) -> Option<String> {
    let cleaned: String = input
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, rest) = cleaned.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return None,
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !is_root_path(tail)
        || authority.is_empty()
        || authority.contains(['@', ' ', '%', '<', '>', '^', '|'])
    {
        return None;
    }
    let (host, port) = split_host_port(authority)?;
    if host.is_empty() {
        return None;
    }
    let host = host.to_lowercase();
    Some(match port {
        Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// `true` when what follows the authority parses to the pathname `/` with no query or fragment.
fn is_root_path(tail: &str) -> bool {
    if tail.contains(['?', '#']) {
        return false;
    }
    let Some(path) = tail.strip_prefix(['/', '\\']) else {
        return tail.is_empty();
    };
    let segments: Vec<&str> = path.split(['/', '\\']).collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, segment)| {
        let dots = segment.to_ascii_lowercase().replace("%2e", ".");
        dots == "." || dots == ".." || (segment.is_empty() && i == last)
    })
}

fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    // An IPv6 literal keeps its brackets in the origin.
    let (host, after) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        (&authority[..=end], &authority[end + 1..])
    } else {
        // The host ends at the first `:` (WHATWG's host state); everything after is the port.
        match authority.find(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    if after.is_empty() {
        return Some((host, None));
    }
    let port = after.strip_prefix(':')?;
    if port.is_empty() {
        return Some((host, None));
    }
    if port.len() > 5
        || !port.bytes().all(|b| b.is_ascii_digit())
        || port.parse::<u32>().ok()? > 65535
    {
        return None;
    }
    // `URL` drops leading zeros from the port.
    let trimmed = port.trim_start_matches('0');
    Some((host, Some(if trimmed.is_empty() { "0" } else { trimmed })))
}

/// `^pmk_[A-Za-z0-9_-]{22}$`
pub fn is_valid_api_key_id(id: &str) -> bool {
    id.strip_prefix(API_KEY_ID_PREFIX)
        .is_some_and(|rest| rest.len() == 22 && is_base64url(rest))
}

/// `^[A-Za-z0-9_-]{43}$`
pub fn is_valid_api_key_secret(secret: &str) -> bool {
    secret.len() == 43 && is_base64url(secret)
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_KEY: &str = "owox_key_eyJhcGlPcmlnaW4iOiJodHRwczovL2FwcC5vd294LmNvbSIsImFwaUtleUlkIjoicG1rX0FiQ2RFZkdoSWpLbE1uT3BRclN0VXYiLCJhcGlLZXlTZWNyZXQiOiJ2anFtTTVHZko2UWtsVjhtRnFNNUlvcjJoSzZ2SzRtWThwRTlUN2FacjZRIn0";

    fn vector_parts() -> ApiKeyParts {
        ApiKeyParts {
            api_origin: "https://app.owox.com".into(),
            api_key_id: "pmk_AbCdEfGhIjKlMnOpQrStUv".into(),
            api_key_secret: "vjqmM5GfJ6QklV8mFqM5Ior2hK6vK4mY8pE9T7aZr6Q".into(),
        }
    }

    #[test]
    fn encodes_the_spec_test_vector() {
        assert_eq!(vector_parts().encode(), VECTOR_KEY);
    }

    #[test]
    fn parses_the_spec_test_vector() {
        assert_eq!(parse_api_key(VECTOR_KEY).unwrap(), vector_parts());
    }

    fn key_of(json: &str) -> String {
        format!("owox_key_{}", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn rejects_bad_keys_with_the_reference_messages() {
        use ApiKeyParseError::*;
        let cases: Vec<(String, ApiKeyParseError)> = vec![
            ("".into(), MissingPrefix),
            ("pmk_abc".into(), MissingPrefix),
            ("owox_key_".into(), InvalidBase64),
            ("owox_key_abc=".into(), InvalidBase64),
            ("owox_key_a".into(), InvalidJson),
            ("owox_key_YQ\n".into(), InvalidBase64),
            (" owox_key_YQ".into(), MissingPrefix),
            (key_of("not json"), InvalidJson),
            (key_of("[1,2]"), NotAnObject),
            (key_of("\"s\""), NotAnObject),
            (
                key_of(r#"{"apiOrigin":"http://a","apiKeyId":"x"}"#),
                MissingField,
            ),
            (
                key_of(r#"{"apiOrigin":"http://a","apiKeyId":" ","apiKeySecret":"s"}"#),
                MissingField,
            ),
            (
                key_of(r#"{"apiOrigin":"http://a","apiKeyId":1,"apiKeySecret":"s"}"#),
                MissingField,
            ),
            (
                key_of(r#"{"apiOrigin":"ftp://a","apiKeyId":"i","apiKeySecret":"s"}"#),
                InvalidOrigin,
            ),
            (
                key_of(r#"{"apiOrigin":"http://a/x","apiKeyId":"i","apiKeySecret":"s"}"#),
                InvalidOrigin,
            ),
            (
                key_of(r#"{"apiOrigin":"http://u@a","apiKeyId":"i","apiKeySecret":"s"}"#),
                InvalidOrigin,
            ),
            (
                key_of(r#"{"apiOrigin":"http://a?q","apiKeyId":"i","apiKeySecret":"s"}"#),
                InvalidOrigin,
            ),
        ];
        for (key, expected) in cases {
            assert_eq!(parse_api_key(&key), Err(expected.clone()), "{key}");
        }
        assert_eq!(
            MissingField.to_string(),
            "OWOX_API_KEY must include apiOrigin, apiKeyId, and apiKeySecret"
        );
    }

    #[test]
    fn normalizes_origins_like_url_origin() {
        assert_eq!(
            normalize_origin("HTTP://Example.COM:80/").as_deref(),
            Some("http://example.com")
        );
        assert_eq!(
            normalize_origin("https://h:8443").as_deref(),
            Some("https://h:8443")
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:3100").as_deref(),
            Some("http://127.0.0.1:3100")
        );
        assert_eq!(
            normalize_origin("http://[::1]:3000/").as_deref(),
            Some("http://[::1]:3000")
        );
        assert_eq!(normalize_origin("http://h:99999"), None);
        assert_eq!(normalize_origin("http://"), None);
        assert_eq!(normalize_origin("localhost:3000"), None);
        assert_eq!(normalize_origin("http://a/.").as_deref(), Some("http://a"));
        assert_eq!(
            normalize_origin("http:\\\\a\\").as_deref(),
            Some("http://a")
        );
        assert_eq!(normalize_origin("http://a/b"), None);
        assert_eq!(normalize_origin("http://a//"), None);
        assert_eq!(normalize_origin("http://a#x"), None);
        assert_eq!(
            normalize_origin("https://h:0443").as_deref(),
            Some("https://h")
        );
        // Found by the api_key fuzz target: the host ends at the first `:`, so a second one
        // makes the port invalid (as `new URL` refuses it), and a normalized origin always
        // normalizes to itself.
        assert_eq!(normalize_origin("http://host:3,0:"), None);
        assert_eq!(normalize_origin("http://a:1:2"), None);
        assert_eq!(normalize_origin("http://host:"), Some("http://host".into()));
    }

    #[test]
    fn id_and_secret_shapes() {
        assert!(is_valid_api_key_id("pmk_AbCdEfGhIjKlMnOpQrStUv"));
        assert!(!is_valid_api_key_id("pmk_AbCdEfGhIjKlMnOpQrStU"));
        assert!(!is_valid_api_key_id("pmk_AbCdEfGhIjKlMnOpQrSt=v"));
        assert!(!is_valid_api_key_id("nope"));
        assert!(is_valid_api_key_secret(
            "vjqmM5GfJ6QklV8mFqM5Ior2hK6vK4mY8pE9T7aZr6Q"
        ));
        assert!(!is_valid_api_key_secret("short"));
    }
}
