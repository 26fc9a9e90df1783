//! The rule schemas of §5 with the reference's validation messages, in the order zod 3 emits
//! them. Messages carry no paths: the HTTP layer prefixes `Invalid <param>: ` and joins with `"; "`.
//!
//! zod semantics reproduced here: object keys are checked in declaration order; a type error
//! aborts its branch while a failed check (`min`, `max`, `int`, `finite`, …) only marks it dirty,
//! so refinements still run after dirty input but not after aborted input; an intersection checks
//! both sides and reports both.

use super::json::JsValue;
use super::types::*;

/// The largest `in` / `not_in` list.
pub const IN_LIST_MAX_VALUES: usize = 500;
/// The largest `n` of a relative date preset.
pub const RELATIVE_DATE_MAX_N: u32 = 3650;
/// The shape a `dateTrunc` time zone must have (a shape check only, as in the reference).
pub const IANA_TIME_ZONE_SHAPE: &str = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$";

type Issues = Vec<String>;
/// Parsed config: `None` for JSON `null`.
pub type Parsed<T> = Result<Option<Vec<T>>, Vec<String>>;

fn join_values(values: impl IntoIterator<Item = &'static str>) -> String {
    values
        .into_iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn invalid_type(expected: &str, v: Option<&JsValue>, iss: &mut Issues) {
    match v {
        None => iss.push("Required".into()),
        Some(v) => iss.push(format!("Expected {expected}, received {}", v.zod_type())),
    }
}

fn string_min1(v: Option<&JsValue>, iss: &mut Issues) -> Option<String> {
    match v {
        Some(JsValue::String(s)) => {
            if s.is_empty() {
                iss.push("String must contain at least 1 character(s)".into());
            }
            Some(s.clone())
        }
        other => {
            invalid_type("string", other, iss);
            None
        }
    }
}

fn enum_value<T: Copy>(
    v: Option<&JsValue>,
    all: &'static [T],
    name: fn(T) -> &'static str,
    optional: bool,
    iss: &mut Issues,
) -> Option<Option<T>> {
    let expected = || join_values(all.iter().map(|t| name(*t)));
    match v {
        None if optional => Some(None),
        Some(JsValue::String(s)) => match all.iter().find(|t| name(**t) == s) {
            Some(t) => Some(Some(*t)),
            None => {
                iss.push(format!(
                    "Invalid enum value. Expected {}, received '{s}'",
                    expected()
                ));
                None
            }
        },
        other => {
            invalid_type(&expected(), other, iss);
            None
        }
    }
}

fn scalar(v: Option<&JsValue>, iss: &mut Issues) -> Option<Scalar> {
    match v {
        Some(JsValue::String(s)) => Some(Scalar::String(s.clone())),
        Some(JsValue::Bool(b)) => Some(Scalar::Bool(*b)),
        Some(JsValue::Number(n)) => {
            if !n.is_finite() {
                iss.push("Number must be finite".into());
            }
            Some(Scalar::Number(*n))
        }
        _ => {
            iss.push("Invalid input".into());
            None
        }
    }
}

fn object<'a>(v: Option<&'a JsValue>, iss: &mut Issues) -> Option<&'a JsValue> {
    match v {
        Some(o @ JsValue::Object(_)) => Some(o),
        other => {
            invalid_type("object", other, iss);
            None
        }
    }
}

fn in_list(v: Option<&JsValue>, iss: &mut Issues) -> Option<Vec<Scalar>> {
    let items = match v {
        Some(JsValue::Array(items)) => items,
        other => {
            invalid_type("array", other, iss);
            return None;
        }
    };
    if items.is_empty() {
        iss.push("Array must contain at least 1 element(s)".into());
    }
    if items.len() > IN_LIST_MAX_VALUES {
        iss.push(format!(
            "Array must contain at most {IN_LIST_MAX_VALUES} element(s)"
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut aborted = false;
    for item in items {
        match scalar(Some(item), iss) {
            Some(s) => out.push(s),
            None => aborted = true,
        }
    }
    if aborted {
        return None;
    }
    if out.iter().any(|s| matches!(s, Scalar::Bool(_))) {
        iss.push(
            "in/not_in values must be strings or numbers — for boolean conditions use is_true/is_false"
                .into(),
        );
    }
    if let Some(first) = out.first() {
        if out.iter().any(|s| s.js_type() != first.js_type()) {
            iss.push(
                "in/not_in values must all be the same type (all strings or all numbers)".into(),
            );
        }
    }
    Some(out)
}

fn preset_n(v: Option<&JsValue>, iss: &mut Issues) -> Option<u32> {
    let n = match v {
        Some(JsValue::Number(n)) => *n,
        other => {
            invalid_type("number", other, iss);
            return None;
        }
    };
    if n.fract() != 0.0 || !n.is_finite() {
        iss.push("Expected integer, received float".into());
    }
    if n <= 0.0 {
        iss.push("Number must be greater than 0".into());
    }
    if n > f64::from(RELATIVE_DATE_MAX_N) {
        iss.push(format!(
            "Number must be less than or equal to {RELATIVE_DATE_MAX_N}"
        ));
    }
    Some(n.clamp(0.0, f64::from(RELATIVE_DATE_MAX_N)) as u32)
}

fn preset(v: Option<&JsValue>, iss: &mut Issues) -> Option<RelativeDatePreset> {
    use RelativeDatePreset::*;
    let o = object(v, iss)?;
    let kind = match o.get("kind") {
        Some(JsValue::String(k)) if RelativeDatePreset::KINDS.contains(&k.as_str()) => k.as_str(),
        _ => {
            iss.push(format!(
                "Invalid discriminator value. Expected {}",
                join_values(RelativeDatePreset::KINDS.iter().copied())
            ));
            return None;
        }
    };
    Some(match kind {
        "today" => Today,
        "yesterday" => Yesterday,
        "this_week" => ThisWeek,
        "last_week" => LastWeek,
        "this_month" => ThisMonth,
        "last_month" => LastMonth,
        "this_quarter" => ThisQuarter,
        "last_quarter" => LastQuarter,
        "this_year" => ThisYear,
        "last_n_days" => LastNDays(preset_n(o.get("n"), iss)?),
        "last_n_months" => LastNMonths(preset_n(o.get("n"), iss)?),
        _ => NextNDays(preset_n(o.get("n"), iss)?),
    })
}

fn filter_base(v: &JsValue, iss: &mut Issues) -> Option<(String, FilterOperator, FilterValue)> {
    use FilterOperator::*;
    let o = object(Some(v), iss)?;
    let op = match o.get("operator") {
        Some(JsValue::String(s)) => FilterOperator::parse(s),
        _ => None,
    };
    let Some(op) = op else {
        iss.push(format!(
            "Invalid discriminator value. Expected {}",
            join_values(FilterOperator::ALL.iter().map(|o| o.as_str()))
        ));
        return None;
    };
    let column = string_min1(o.get("column"), iss);
    let raw = o.get("value");
    let value = match op {
        Eq | Neq | Contains | NotContains | StartsWith | EndsWith | Gt | Lt | Gte | Lte | Regex
        | NotRegex => scalar(raw, iss).map(FilterValue::Scalar),
        IsBlank | IsNotBlank | IsEmpty | IsNotEmpty | IsNull | IsNotNull | IsTrue | IsFalse => {
            Some(FilterValue::None)
        }
        In | NotIn => in_list(raw, iss).map(FilterValue::List),
        Between => {
            let r = object(raw, iss);
            r.and_then(|r| {
                let from = scalar(r.get("from"), iss);
                let to = scalar(r.get("to"), iss);
                let (from, to) = (from?, to?);
                if from.js_type() != to.js_type() {
                    iss.push(
                        "'between' bounds must be the same type (both strings or both numbers)"
                            .into(),
                    );
                }
                Some(FilterValue::Range { from, to })
            })
        }
        RelativeDate => preset(raw, iss).map(FilterValue::RelativeDate),
    };
    Some((column?, op, value?))
}

/// Validates one filter rule (the element schema of `FilterConfig`).
pub(crate) fn parse_filter_rule(v: &JsValue) -> Result<FilterRule, Vec<String>> {
    let mut iss = Vec::new();
    let rule = filter_rule(v, &mut iss);
    match rule {
        Some(rule) if iss.is_empty() => Ok(rule),
        _ => Err(iss),
    }
}

fn filter_rule(v: &JsValue, iss: &mut Issues) -> Option<FilterRule> {
    let base = filter_base(v, iss);
    let extras = object(Some(v), iss).and_then(|o| {
        let placement = enum_value(
            o.get("placement"),
            Placement::ALL,
            Placement::as_str,
            true,
            iss,
        );
        let function = enum_value(
            o.get("function"),
            AggregateFunction::ALL,
            AggregateFunction::as_str,
            true,
            iss,
        );
        Some((placement?, function?))
    });
    let ((column, operator, value), (placement, function)) = (base?, extras?);
    Some(FilterRule {
        column,
        operator,
        value,
        placement,
        function,
    })
}

fn array_config<T>(v: &JsValue, elem: impl Fn(&JsValue, &mut Issues) -> Option<T>) -> Parsed<T> {
    let items = match v {
        JsValue::Null => return Ok(None),
        JsValue::Array(items) => items,
        other => {
            return Err(vec![format!(
                "Expected array, received {}",
                other.zod_type()
            )])
        }
    };
    let mut iss = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(x) = elem(item, &mut iss) {
            out.push(x);
        }
    }
    if iss.is_empty() && out.len() == items.len() {
        Ok(Some(out))
    } else {
        Err(iss)
    }
}

/// `FilterConfig` (§5.1): an array of rules, or `null`.
pub fn parse_filter_config(v: &JsValue) -> Parsed<FilterRule> {
    array_config(v, filter_rule)
}

/// `SortConfig` (§5.4).
pub fn parse_sort_config(v: &JsValue) -> Parsed<SortRule> {
    array_config(v, |v, iss| {
        let o = object(Some(v), iss)?;
        let column = string_min1(o.get("column"), iss);
        let direction = enum_value(
            o.get("direction"),
            SortDirection::ALL,
            SortDirection::as_str,
            false,
            iss,
        );
        Some(SortRule {
            column: column?,
            direction: direction??,
        })
    })
}

/// `AggregationConfig` (§5.5).
pub fn parse_aggregation_config(v: &JsValue) -> Parsed<AggregationRule> {
    array_config(v, |v, iss| {
        let o = object(Some(v), iss)?;
        let column = string_min1(o.get("column"), iss);
        let function = enum_value(
            o.get("function"),
            AggregateFunction::ALL,
            AggregateFunction::as_str,
            false,
            iss,
        );
        Some(AggregationRule {
            column: column?,
            function: function??,
        })
    })
}

/// True when `tz` has the IANA shape of [`IANA_TIME_ZONE_SHAPE`].
pub fn is_iana_time_zone_shape(tz: &str) -> bool {
    let seg_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
    };
    let mut parts = tz.split('/');
    let first = parts.next().unwrap_or("");
    first
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && seg_ok(first)
        && parts.all(seg_ok)
}

/// `DateTruncConfig` (§5.6).
pub fn parse_date_trunc_config(v: &JsValue) -> Parsed<DateTruncRule> {
    array_config(v, |v, iss| {
        let o = object(Some(v), iss)?;
        let column = string_min1(o.get("column"), iss);
        let unit = enum_value(
            o.get("unit"),
            DateTruncUnit::ALL,
            DateTruncUnit::as_str,
            false,
            iss,
        );
        let time_zone = match o.get("timeZone") {
            None => Some(None),
            Some(JsValue::String(s)) => {
                if s.is_empty() {
                    iss.push("String must contain at least 1 character(s)".into());
                }
                if !is_iana_time_zone_shape(s) {
                    iss.push("Invalid IANA time zone".into());
                }
                Some(Some(s.clone()))
            }
            other => {
                invalid_type("string", other, iss);
                None
            }
        };
        Some(DateTruncRule {
            column: column?,
            unit: unit??,
            time_zone: time_zone?,
        })
    })
}
