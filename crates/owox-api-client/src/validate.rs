//! The reference's shared response validators (ctl-client.md §3.2), on raw JSON.

use serde_json::{Map, Value};

/// A non-null, non-array object.
pub(crate) fn record(value: &Value) -> Option<&Map<String, Value>> {
    value.as_object()
}

/// `Number.isInteger(v) && v >= 0` (JSON `1.0` counts).
pub(crate) fn non_negative_int(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_f64)
        .is_some_and(|n| n >= 0.0 && n.fract() == 0.0 && n.is_finite())
}

/// `Number.isSafeInteger(v) && v >= min`.
pub(crate) fn safe_int_at_least(value: Option<&Value>, min: f64) -> bool {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    value
        .and_then(Value::as_f64)
        .is_some_and(|n| n.fract() == 0.0 && n.abs() <= MAX_SAFE && n >= min)
}

pub(crate) fn is_string(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(_)))
}

/// Present and string or null.
pub(crate) fn string_or_null(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::String(_) | Value::Null))
}

/// Absent, null or string.
pub(crate) fn optional_string(value: Option<&Value>) -> bool {
    matches!(value, None | Some(Value::String(_) | Value::Null))
}

/// Present and null or a record.
pub(crate) fn record_or_null(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Null | Value::Object(_)))
}

pub(crate) fn is_bool(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(_)))
}

pub(crate) fn one_of(value: Option<&Value>, allowed: &[&str]) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| allowed.contains(&s))
}

pub(crate) fn string_array(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().all(Value::is_string))
}

/// User projection: `userId` string; `fullName`, `email`, `avatar` absent, null or string.
pub(crate) fn user(value: &Value) -> bool {
    record(value).is_some_and(|o| {
        is_string(o.get("userId"))
            && ["fullName", "email", "avatar"]
                .iter()
                .all(|k| optional_string(o.get(*k)))
    })
}

pub(crate) fn user_or_null(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Null)) || value.is_some_and(user)
}

pub(crate) fn timestamp(value: Option<&Value>) -> bool {
    value.and_then(Value::as_str).is_some_and(is_rfc3339)
}

pub(crate) fn timestamp_or_null(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Null)) || timestamp(value)
}

/// `YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|±HH:MM)`, uppercase `T`/`Z`, real calendar dates, no leap
/// second.
pub fn is_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = b.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        digits(0..4),
        digits(5..7),
        digits(8..10),
        digits(11..13),
        digits(14..16),
        digits(17..19),
    ) else {
        return false;
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return false;
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 {
            return false;
        }
        rest = &fraction[len..];
    }
    if rest == "Z" {
        return true;
    }
    let ob = rest.as_bytes();
    ob.len() == 6
        && (ob[0] == b'+' || ob[0] == b'-')
        && ob[3] == b':'
        && ob[1..3].iter().chain(&ob[4..6]).all(u8::is_ascii_digit)
        && rest[1..3].parse::<u32>().is_ok_and(|h| h <= 23)
        && rest[4..6].parse::<u32>().is_ok_and(|m| m <= 59)
}

#[cfg(test)]
mod tests {
    use super::is_rfc3339;

    #[test]
    fn rfc3339_rules() {
        for ok in [
            "2024-02-29T00:00:00Z",
            "2026-01-01T23:59:59.123+05:30",
            "2026-01-01T00:00:00.1-23:59",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:60Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01T00:00:00",
            "2026-01-01",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
