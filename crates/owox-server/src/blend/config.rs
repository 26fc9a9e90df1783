//! The `blendedFieldsConfig` of a source data mart (domain.md §1.4): per alias path a display
//! label, an exclusion flag, a description override and per-field overrides.

use std::collections::BTreeMap;

use owox_contract::http_data::AggregateFunction;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The dedup (pre-join) functions a field override may name.
pub const DEDUP_FUNCTIONS: &[AggregateFunction] = &[
    AggregateFunction::StringAgg,
    AggregateFunction::Max,
    AggregateFunction::Min,
    AggregateFunction::Sum,
    AggregateFunction::Avg,
    AggregateFunction::Count,
    AggregateFunction::CountDistinct,
    AggregateFunction::AnyValue,
];

/// The longest path, label and field alias.
const MAX_LABEL: usize = 255;
/// The longest description override.
const MAX_DESCRIPTION: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlendedFieldsConfig {
    pub sources: Vec<BlendedSource>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlendedSource {
    /// The alias path this entry configures (`orders.items`).
    pub path: String,
    /// The display label of the source.
    pub alias: String,
    #[serde(default)]
    pub is_excluded: Option<bool>,
    /// Overrides the relationship's description for this join.
    #[serde(default)]
    pub description: Option<String>,
    /// Overrides keyed by the original field name.
    #[serde(default)]
    pub fields: BTreeMap<String, BlendedFieldOverride>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlendedFieldOverride {
    pub alias: Option<String>,
    pub is_hidden: Option<bool>,
    /// The dedup function, instead of the type's default.
    pub aggregate_function: Option<AggregateFunction>,
    /// The report-level aggregations allowed after the join.
    pub post_join_aggregations: Option<Vec<AggregateFunction>>,
}

impl BlendedFieldsConfig {
    pub fn from_value(value: &Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }

    /// Reads the stored column; `None` when empty or unreadable.
    pub fn from_stored(text: Option<&str>) -> Option<Self> {
        text.and_then(|t| serde_json::from_str(t).ok())
    }

    /// The entry for an alias path (the first, if several name it).
    pub fn source(&self, path: &str) -> Option<&BlendedSource> {
        self.sources.iter().find(|s| s.path == path)
    }

    /// The override of `field` on `path`, if any.
    pub fn field(&self, path: &str, field: &str) -> Option<&BlendedFieldOverride> {
        self.source(path).and_then(|s| s.fields.get(field))
    }
}

/// The stored configuration with `old` renamed to `new` as the first segment of every path
/// (a relationship of this data mart changed its alias); `None` when nothing changes.
pub fn rename_first_segment(stored: &str, old: &str, new: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(stored).ok()?;
    let mut changed = false;
    for source in value.get_mut("sources")?.as_array_mut()? {
        let Some(Value::String(path)) = source.get_mut("path") else {
            continue;
        };
        let renamed = if path == old {
            Some(new.to_string())
        } else {
            path.strip_prefix(old)
                .filter(|rest| rest.starts_with('.'))
                .map(|rest| format!("{new}{rest}"))
        };
        if let Some(renamed) = renamed {
            *path = renamed;
            changed = true;
        }
    }
    changed.then(|| value.to_string())
}

/// Whether `text` is an alias path: segments of `[a-z0-9_]+` joined by dots.
pub fn is_alias_path(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(is_alias_segment)
}

/// Whether `text` is a relationship alias (`^[a-z0-9_]+$`).
pub fn is_alias_segment(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks a `blendedFieldsConfig` request value (an object, not `null`) and returns it as it
/// will be stored (descriptions trimmed), or the class-validator style messages.
pub fn validate(value: &Value) -> Result<Value, Vec<String>> {
    let mut errors = Vec::new();
    let Value::Object(config) = value else {
        return Err(vec![
            "nested property blendedFieldsConfig must be either object or array".into(),
        ]);
    };
    let prefix = "blendedFieldsConfig.";
    unknown_keys(config, &["sources"], prefix, &mut errors);
    let mut sources_out = Vec::new();
    match config.get("sources") {
        Some(Value::Array(sources)) => {
            for (i, source) in sources.iter().enumerate() {
                let at = format!("{prefix}sources.{i}.");
                match source {
                    Value::Object(source) => sources_out.push(check_source(source, &at, &mut errors)),
                    _ => errors.push(format!(
                        "{prefix}each value in nested property sources must be either object or array"
                    )),
                }
            }
        }
        _ => errors.push(format!("{prefix}sources must be an array")),
    }
    if errors.is_empty() {
        let mut out = Map::new();
        out.insert("sources".into(), Value::Array(sources_out));
        Ok(Value::Object(out))
    } else {
        Err(errors)
    }
}

fn unknown_keys(object: &Map<String, Value>, allowed: &[&str], at: &str, errors: &mut Vec<String>) {
    for key in object.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(format!("{at}property {key} should not exist"));
    }
}

/// `@IsString @MinLength(1) @MaxLength(max)`, messages in class-validator's order.
fn check_string(value: Option<&Value>, name: &str, max: usize, errors: &mut Vec<String>) -> bool {
    let len = match value {
        Some(Value::String(s)) => Some(s.chars().count()),
        _ => None,
    };
    let before = errors.len();
    if len.is_none_or(|l| l > max) {
        errors.push(format!(
            "{name} must be shorter than or equal to {max} characters"
        ));
    }
    if len.is_none_or(|l| l < 1) {
        errors.push(format!(
            "{name} must be longer than or equal to 1 characters"
        ));
    }
    if len.is_none() {
        errors.push(format!("{name} must be a string"));
    }
    errors.len() == before
}

fn check_optional_bool(value: Option<&Value>, name: &str, errors: &mut Vec<String>) {
    if !matches!(value, None | Some(Value::Null) | Some(Value::Bool(_))) {
        errors.push(format!("{name} must be a boolean value"));
    }
}

fn check_source(source: &Map<String, Value>, at: &str, errors: &mut Vec<String>) -> Value {
    unknown_keys(
        source,
        &["path", "alias", "isExcluded", "description", "fields"],
        at,
        errors,
    );
    let mut out = source.clone();
    let path = source.get("path");
    if !path.and_then(Value::as_str).is_some_and(is_alias_path) {
        errors.push(format!(
            "{at}path must be a dot-separated chain where each segment must contain only lowercase letters, numbers, and underscores"
        ));
    }
    check_string(path, &format!("{at}path"), MAX_LABEL, errors);
    check_string(
        source.get("alias"),
        &format!("{at}alias"),
        MAX_LABEL,
        errors,
    );
    check_optional_bool(source.get("isExcluded"), &format!("{at}isExcluded"), errors);
    match source.get("description") {
        None | Some(Value::Null) => {
            out.remove("description");
        }
        Some(Value::String(text)) => {
            let trimmed = Value::String(text.trim().to_string());
            if check_string(
                Some(&trimmed),
                &format!("{at}description"),
                MAX_DESCRIPTION,
                errors,
            ) {
                out.insert("description".into(), trimmed);
            }
        }
        other => {
            check_string(other, &format!("{at}description"), MAX_DESCRIPTION, errors);
        }
    }
    match source.get("fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            for (name, entry) in fields {
                let at = format!("{at}fields.{name}.");
                match entry {
                    Value::Object(entry) => check_override(entry, &at, errors),
                    _ => errors.push(format!("{at}must be an object")),
                }
            }
        }
        Some(_) => errors.push(format!("{at}fields must be an object")),
    }
    Value::Object(out)
}

fn check_override(entry: &Map<String, Value>, at: &str, errors: &mut Vec<String>) {
    unknown_keys(
        entry,
        &[
            "alias",
            "isHidden",
            "aggregateFunction",
            "postJoinAggregations",
        ],
        at,
        errors,
    );
    if let Some(alias) = entry.get("alias").filter(|v| !v.is_null()) {
        check_string(Some(alias), &format!("{at}alias"), MAX_LABEL, errors);
    }
    check_optional_bool(entry.get("isHidden"), &format!("{at}isHidden"), errors);
    if let Some(f) = entry.get("aggregateFunction").filter(|v| !v.is_null()) {
        let known = f
            .as_str()
            .and_then(AggregateFunction::parse)
            .is_some_and(|f| DEDUP_FUNCTIONS.contains(&f));
        if !known {
            errors.push(format!(
                "{at}aggregateFunction must be one of the following values: {}",
                names(DEDUP_FUNCTIONS)
            ));
        }
    }
    match entry.get("postJoinAggregations") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if !items
                .iter()
                .all(|i| i.as_str().and_then(AggregateFunction::parse).is_some())
            {
                errors.push(format!(
                    "{at}each value in postJoinAggregations must be one of the following values: {}",
                    names(AggregateFunction::ALL)
                ));
            }
        }
        Some(_) => errors.push(format!("{at}postJoinAggregations must be an array")),
    }
}

fn names(functions: &[AggregateFunction]) -> String {
    functions
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_and_normalizes() {
        let v = json!({"sources": [{"path": "orders.items", "alias": "Items", "isExcluded": false,
            "description": "  lines  ", "fields": {"price": {"alias": "Price", "isHidden": true,
            "aggregateFunction": "AVG", "postJoinAggregations": ["SUM", "P50"]}}}]});
        let stored = validate(&v).unwrap();
        assert_eq!(stored["sources"][0]["description"], "lines");
        let config = BlendedFieldsConfig::from_value(&stored).unwrap();
        let over = config.field("orders.items", "price").unwrap();
        assert_eq!(over.aggregate_function, Some(AggregateFunction::Avg));
        assert_eq!(over.is_hidden, Some(true));
        assert!(config.field("orders", "price").is_none());
        assert!(validate(&json!({"sources": []})).is_ok());
    }

    #[test]
    fn reports_every_problem() {
        let v = json!({"extra": 1, "sources": [{"path": "Orders..x", "alias": "", "isExcluded": "yes",
            "description": "   ", "fields": {"a": {"aggregateFunction": "P50", "isHidden": 1,
            "postJoinAggregations": ["NOPE"], "color": 1}, "b": 3}}, 7]});
        let errors = validate(&v).unwrap_err();
        let p = "blendedFieldsConfig.";
        let s = "blendedFieldsConfig.sources.0.";
        assert_eq!(
            errors,
            vec![
                format!("{p}property extra should not exist"),
                format!("{s}path must be a dot-separated chain where each segment must contain only lowercase letters, numbers, and underscores"),
                format!("{s}alias must be longer than or equal to 1 characters"),
                format!("{s}isExcluded must be a boolean value"),
                format!("{s}description must be longer than or equal to 1 characters"),
                format!("{s}fields.a.property color should not exist"),
                format!("{s}fields.a.isHidden must be a boolean value"),
                format!("{s}fields.a.aggregateFunction must be one of the following values: STRING_AGG, MAX, MIN, SUM, AVG, COUNT, COUNT_DISTINCT, ANY_VALUE"),
                format!("{s}fields.a.each value in postJoinAggregations must be one of the following values: STRING_AGG, MAX, MIN, SUM, AVG, COUNT, COUNT_DISTINCT, ANY_VALUE, P25, P50, P75, P95"),
                format!("{s}fields.b.must be an object"),
                format!("{p}each value in nested property sources must be either object or array"),
            ]
        );
        assert_eq!(
            validate(&json!({})).unwrap_err(),
            vec!["blendedFieldsConfig.sources must be an array"]
        );
        assert_eq!(validate(&json!([1])).unwrap_err().len(), 1);
        let long = "a".repeat(256);
        let errors = validate(&json!({"sources": [{"path": long, "alias": 5}]})).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn renames_move_paths() {
        let stored = json!({"sources": [{"path": "orders", "alias": "O"},
            {"path": "orders.items", "alias": "I"}, {"path": "orders_x", "alias": "X"},
            {"path": "users.orders", "alias": "U"}]})
        .to_string();
        let renamed: Value =
            serde_json::from_str(&rename_first_segment(&stored, "orders", "sales").unwrap())
                .unwrap();
        let paths: Vec<&str> = renamed["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["path"].as_str().unwrap())
            .collect();
        assert_eq!(paths, ["sales", "sales.items", "orders_x", "users.orders"]);
        assert_eq!(rename_first_segment(&stored, "nope", "x"), None);
        assert_eq!(rename_first_segment("not json", "a", "b"), None);
    }

    #[test]
    fn alias_rules() {
        assert!(is_alias_segment("orders_2"));
        assert!(!is_alias_segment("Orders"));
        assert!(!is_alias_segment("a.b"));
        assert!(!is_alias_segment(""));
        assert!(is_alias_path("a.b_c.d1"));
        assert!(!is_alias_path("a..b"));
        assert!(!is_alias_path(".a"));
    }
}
