//! Validation of authenticated API paths (ctl-client.md §2.3) and query building.
//!
//! Every authenticated call goes through [`build_url`] before any network traffic, so an unsafe
//! path never reaches the exchange either.

use url::Url;

use crate::error::{Error, Result};

/// The reference's single message for every rejected path.
pub const UNSAFE_PATH_MESSAGE: &str =
    "OWOX API path must be an absolute /api/ path without traversal or encoded separators";

/// Longest accepted path (query included), in UTF-16 code units like JavaScript's `length`.
pub const MAX_PATH_LENGTH: usize = 2048;

/// How query parameters are added to the path's own query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryMode {
    /// `URLSearchParams.set`: replaces an existing key (JSON calls with a string map).
    Set,
    /// `URLSearchParams.append`: repeated keys are kept (streams).
    Append,
}

fn unsafe_path() -> Error {
    Error::config(UNSAFE_PATH_MESSAGE)
}

/// Checks `path` against the reference's rules without building a URL.
pub fn validate_api_path(path: &str) -> Result<()> {
    if path.encode_utf16().count() > MAX_PATH_LENGTH {
        return Err(unsafe_path());
    }
    let before = &path[..path.find(['?', '#']).unwrap_or(path.len())];
    if !before.starts_with("/api/") || before.contains('\\') {
        return Err(unsafe_path());
    }
    let bytes = before.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            decoded.push(bytes[i]);
            i += 1;
            continue;
        }
        let hex = bytes.get(i + 1..i + 3).ok_or_else(unsafe_path)?;
        let value = std::str::from_utf8(hex)
            .ok()
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(unsafe_path)?;
        if matches!(value, b'%' | b'/' | b'\\') {
            return Err(unsafe_path());
        }
        decoded.push(value);
        i += 3;
    }
    let decoded = String::from_utf8(decoded).map_err(|_| unsafe_path())?;
    if has_dot_segment(&decoded) {
        return Err(unsafe_path());
    }
    Ok(())
}

fn has_dot_segment(path: &str) -> bool {
    path.split('/')
        .any(|segment| segment == "." || segment == "..")
}

/// Validates `path`, resolves it against `origin` like `new URL(path, origin)`, re-checks the
/// result and adds `query`.
pub fn build_url(
    origin: &Url,
    path: &str,
    query: &[(String, String)],
    mode: QueryMode,
) -> Result<Url> {
    validate_api_path(path)?;
    let mut url = origin.join(path).map_err(|_| unsafe_path())?;
    if url.origin() != origin.origin()
        || !url.path().starts_with("/api/")
        || url.path().contains('\\')
        || has_dot_segment(url.path())
    {
        return Err(unsafe_path());
    }
    url.set_fragment(None);
    if !query.is_empty() {
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (key, value) in query {
            match mode {
                QueryMode::Append => pairs.push((key.clone(), value.clone())),
                QueryMode::Set => match pairs.iter().position(|(k, _)| k == key) {
                    Some(first) => {
                        pairs[first].1 = value.clone();
                        let mut index = 0;
                        pairs.retain(|(k, _)| {
                            index += 1;
                            k != key || index - 1 == first
                        });
                    }
                    None => pairs.push((key.clone(), value.clone())),
                },
            }
        }
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    Ok(url)
}

/// `encodeURIComponent` for one path segment (ids in resource paths).
pub fn encode_component(value: &str) -> String {
    const KEEP: &[u8] = b"-_.!~*'()";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || KEEP.contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
