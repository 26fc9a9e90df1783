//! The body of `POST /api/reports` and `PUT /api/reports/{id}` as the reference checks it:
//! class-validator constraints first (one 400 with every failure), then the shape of each rule
//! array (`<field> has invalid shape`, with the rule schemas HTTP Data uses), then the
//! destination config for the destination's type (`Invalid configuration`). The saved rules
//! become the [`HttpDataQuery`] the report streams with.

use owox_contract::http_data::{
    parse_aggregation_config, parse_date_trunc_config, parse_filter_config, parse_sort_config,
    JsValue,
};
use owox_query::HttpDataQuery;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::http::body::Validator;
use crate::store::{ReportRow, ReportWrite};

/// The largest `limitConfig`.
pub const MAX_LIMIT_CONFIG: f64 = 10_000_000.0;

/// A checked report body; the rule arrays are normalized JSON (unknown keys dropped, as zod
/// strips them).
#[derive(Debug, Clone, Default)]
pub struct ReportInput {
    pub title: String,
    /// Only on create.
    pub data_mart_id: String,
    pub data_destination_id: String,
    pub destination_config: Value,
    pub owner_ids: Option<Vec<String>>,
    pub column_config: Option<Vec<String>>,
    pub filter_config: Option<Value>,
    pub sort_config: Option<Value>,
    pub aggregation_config: Option<Value>,
    pub date_trunc_config: Option<Value>,
    pub limit_config: Option<i64>,
    pub unique_count_config: Option<Value>,
}

/// `(field, maxItems)` of the rule arrays, in the order the reference checks their shapes.
const RULE_ARRAYS: [(&str, usize); 4] = [
    ("filterConfig", 50),
    ("sortConfig", 10),
    ("aggregationConfig", 50),
    ("dateTruncConfig", 50),
];

/// Checks a create (`create`) or update body.
pub fn parse_body(body: Map<String, Value>, create: bool) -> Result<ReportInput, ApiError> {
    let mut allowed = vec![
        "title",
        "dataDestinationId",
        "destinationConfig",
        "ownerIds",
        "columnConfig",
        "filterConfig",
        "sortConfig",
        "limitConfig",
        "aggregationConfig",
        "dateTruncConfig",
        "uniqueCountConfig",
    ];
    if create {
        allowed.push("dataMartId");
    }
    let mut v = Validator::new(body, &allowed);
    let title = v.required_string("title", None);
    let data_mart_id = if create {
        v.required_string("dataMartId", None)
    } else {
        None
    };
    let data_destination_id = v.required_string("dataDestinationId", None);
    match v.peek("destinationConfig") {
        None | Some(Value::Null) => {
            v.error("destinationConfig should not be empty");
            v.error("destinationConfig must be an object");
        }
        Some(Value::Object(_)) => {}
        Some(_) => v.error("destinationConfig must be an object"),
    }
    let owner_ids = v.optional_string_array("ownerIds", 100);
    if owner_ids
        .as_ref()
        .is_some_and(|o| o.iter().any(String::is_empty))
    {
        v.error("each value in ownerIds should not be empty");
    }
    let column_config = v.optional_string_array("columnConfig", usize::MAX);
    for (name, max) in RULE_ARRAYS {
        match v.peek(name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) if items.len() > max => {
                v.error(format!("{name} must contain no more than {max} elements"))
            }
            Some(Value::Array(_)) => {}
            Some(_) => v.error(format!("{name} must be an array")),
        }
    }
    let limit_config = match v.peek("limitConfig") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let n = value.as_f64();
            if !n.is_some_and(|n| n <= MAX_LIMIT_CONFIG) {
                v.error("limitConfig must not be greater than 10000000");
            }
            if !n.is_some_and(|n| n >= 1.0) {
                v.error("limitConfig must not be less than 1");
            }
            if !n.is_some_and(|n| n.fract() == 0.0) {
                v.error("limitConfig must be an integer number");
            }
            n.filter(|n| n.fract() == 0.0 && (1.0..=MAX_LIMIT_CONFIG).contains(n))
                .map(|n| n as i64)
        }
    };
    let unique_count_config = match v.peek("uniqueCountConfig") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(Value::Bool(*b)),
        Some(Value::Array(items)) if items.len() <= 50 && items.iter().all(Value::is_string) => {
            Some(Value::Array(items.clone()))
        }
        Some(_) => {
            v.error(
                "uniqueCountConfig must be a boolean or an array of at most 50 source alias paths",
            );
            None
        }
    };
    let body = v.finish()?;

    if let Some(columns) = &column_config {
        let issues: Vec<Value> = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_empty())
            .map(|(i, _)| {
                json!({ "path": [i], "message": "String must contain at least 1 character(s)" })
            })
            .collect();
        if !issues.is_empty() {
            return Err(invalid_shape("columnConfig", issues));
        }
    }
    let mut rules: Vec<Option<Value>> = Vec::new();
    for (name, _) in RULE_ARRAYS {
        let raw = JsValue::from_serde(body.get(name).unwrap_or(&Value::Null));
        let parsed = match name {
            "filterConfig" => normalized(parse_filter_config(&raw)),
            "sortConfig" => normalized(parse_sort_config(&raw)),
            "aggregationConfig" => normalized(parse_aggregation_config(&raw)),
            _ => normalized(parse_date_trunc_config(&raw)),
        };
        match parsed {
            Ok(rule) => rules.push(rule),
            Err(messages) => {
                let issues = messages.iter().map(|m| json!({ "message": m })).collect();
                return Err(invalid_shape(name, issues));
            }
        }
    }
    let mut rules = rules.into_iter();
    Ok(ReportInput {
        title: title.unwrap_or_default(),
        data_mart_id: data_mart_id.unwrap_or_default(),
        data_destination_id: data_destination_id.unwrap_or_default(),
        destination_config: body.get("destinationConfig").cloned().unwrap_or_default(),
        owner_ids,
        column_config,
        filter_config: rules.next().flatten(),
        sort_config: rules.next().flatten(),
        aggregation_config: rules.next().flatten(),
        date_trunc_config: rules.next().flatten(),
        limit_config,
        unique_count_config,
    })
}

fn normalized<T: Serialize>(
    parsed: Result<Option<Vec<T>>, Vec<String>>,
) -> Result<Option<Value>, Vec<String>> {
    match parsed? {
        None => Ok(None),
        Some(rules) => serde_json::to_value(rules)
            .map(Some)
            .map_err(|e| vec![e.to_string()]),
    }
}

/// The reference's answer for a rule array that does not match its schema.
fn invalid_shape(field: &str, issues: Vec<Value>) -> ApiError {
    ApiError::Http {
        status: axum::http::StatusCode::BAD_REQUEST,
        message: format!("{field} has invalid shape"),
        details: Some(json!({ "errors": issues })),
    }
}

/// Whether `uniqueCountConfig` asks for a Unique Count of the main data mart: `true` (legacy)
/// or a list naming only the main data mart (`""`). Lists naming joined sources are refused:
/// counting a joined data mart's keys is not supported.
pub fn check_unique_count(config: Option<&Value>) -> Result<bool, ApiError> {
    match config {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(Value::Array(items)) if items.iter().all(|i| i == "") => Ok(!items.is_empty()),
        Some(_) => Err(ApiError::business(
            "Unique Count over joined sources is not supported by this server: uniqueCountConfig may be true, false, null, [] or [\"\"] (the main Data Mart)",
        )),
    }
}

/// The query's Unique Count request: asked for, its keys filled in from the schema later.
fn unique_count_request(config: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    Ok(check_unique_count(config)?.then(Vec::new))
}

impl ReportInput {
    /// The texts the store writes.
    pub fn texts(&self) -> ReportTexts {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        ReportTexts {
            destination_config: self.destination_config.to_string(),
            column_config: self.column_config.as_ref().map(|c| json!(c).to_string()),
            filter_config: text(&self.filter_config),
            sort_config: text(&self.sort_config),
            aggregation_config: text(&self.aggregation_config),
            date_trunc_config: text(&self.date_trunc_config),
            unique_count_config: text(&self.unique_count_config),
        }
    }

    /// The query the report would stream with (its saved `limitConfig` as the limit).
    pub fn query(&self) -> Result<HttpDataQuery, ApiError> {
        let text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
        let mut query = plan_query(
            self.column_config.clone(),
            [
                text(&self.filter_config),
                text(&self.sort_config),
                text(&self.aggregation_config),
                text(&self.date_trunc_config),
            ],
            self.limit_config,
        )?;
        query.unique_count = unique_count_request(self.unique_count_config.as_ref())?;
        Ok(query)
    }
}

/// A report's JSON columns as stored.
pub struct ReportTexts {
    pub destination_config: String,
    pub column_config: Option<String>,
    pub filter_config: Option<String>,
    pub sort_config: Option<String>,
    pub aggregation_config: Option<String>,
    pub date_trunc_config: Option<String>,
    pub unique_count_config: Option<String>,
}

impl ReportTexts {
    pub fn write<'a>(
        &'a self,
        title: &'a str,
        data_destination_id: &'a str,
        limit_config: Option<i64>,
    ) -> ReportWrite<'a> {
        ReportWrite {
            title,
            data_destination_id,
            destination_config: &self.destination_config,
            column_config: self.column_config.as_deref(),
            filter_config: self.filter_config.as_deref(),
            sort_config: self.sort_config.as_deref(),
            aggregation_config: self.aggregation_config.as_deref(),
            date_trunc_config: self.date_trunc_config.as_deref(),
            limit_config,
            unique_count_config: self.unique_count_config.as_deref(),
        }
    }
}

/// The saved columns of a report (`None`: every column of the data mart).
pub fn saved_columns(row: &ReportRow) -> Option<Vec<String>> {
    row.column_config
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
}

/// The query a saved report streams with; `limit` overrides its `limitConfig`.
pub fn saved_query(row: &ReportRow, limit: Option<u64>) -> Result<HttpDataQuery, ApiError> {
    let mut query = plan_query(
        saved_columns(row),
        [
            row.filter_config.clone(),
            row.sort_config.clone(),
            row.aggregation_config.clone(),
            row.date_trunc_config.clone(),
        ],
        row.limit_config,
    )?;
    if limit.is_some() {
        query.limit = limit;
    }
    let unique: Option<Value> = row
        .unique_count_config
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    query.unique_count = unique_count_request(unique.as_ref())?;
    Ok(query)
}

/// Builds the plan from the saved pieces: the columns in order (none: every native column),
/// the four rule arrays as JSON texts, the limit.
fn plan_query(
    columns: Option<Vec<String>>,
    [filter, sort, aggregation, date_trunc]: [Option<String>; 4],
    limit: Option<i64>,
) -> Result<HttpDataQuery, ApiError> {
    type Parser<T> = fn(&JsValue) -> Result<Option<Vec<T>>, Vec<String>>;
    fn rules<T>(text: Option<String>, parse: Parser<T>) -> Result<Option<Vec<T>>, ApiError> {
        let Some(text) = text else { return Ok(None) };
        let value: Value = serde_json::from_str(&text).map_err(anyhow::Error::from)?;
        parse(&JsValue::from_serde(&value)).map_err(|e| {
            anyhow::anyhow!("a saved report rule no longer parses: {}", e.join("; ")).into()
        })
    }
    Ok(HttpDataQuery {
        columns: None,
        column: columns.unwrap_or_default(),
        filter: rules(filter, parse_filter_config)?,
        sort: rules(sort, parse_sort_config)?,
        aggregation: rules(aggregation, parse_aggregation_config)?,
        date_trunc: rules(date_trunc, parse_date_trunc_config)?,
        limit: limit.and_then(|n| u64::try_from(n).ok()),
        unique_count: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(body: Value) -> Vec<String> {
        let Value::Object(map) = body else { panic!() };
        match parse_body(map, true) {
            Err(ApiError::Validation(m)) => m,
            Err(ApiError::Http {
                message, details, ..
            }) => vec![message, details.unwrap().to_string()],
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    fn valid() -> Value {
        json!({"title": "t", "dataMartId": "m", "dataDestinationId": "d", "destinationConfig": {"type": "x"}})
    }

    fn with(extra: Value) -> Value {
        let mut b = valid();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    }

    #[test]
    fn class_validator_messages() {
        assert_eq!(
            errors(json!({"x": 1})),
            [
                "property x should not exist",
                "title should not be empty",
                "title must be a string",
                "dataMartId should not be empty",
                "dataMartId must be a string",
                "dataDestinationId should not be empty",
                "dataDestinationId must be a string",
                "destinationConfig should not be empty",
                "destinationConfig must be an object",
            ]
        );
        assert_eq!(
            errors(with(json!({"limitConfig": "5"}))),
            [
                "limitConfig must not be greater than 10000000",
                "limitConfig must not be less than 1",
                "limitConfig must be an integer number",
            ]
        );
        assert_eq!(
            errors(with(json!({"sortConfig": vec![json!({}); 11]}))),
            ["sortConfig must contain no more than 10 elements"]
        );
        let shape = errors(with(
            json!({"dateTruncConfig": [{"column": "d", "unit": "day"}]}),
        ));
        assert_eq!(shape[0], "dateTruncConfig has invalid shape");
        assert!(shape[1].contains("Invalid enum value"), "{shape:?}");
        let shape = errors(with(json!({"columnConfig": ["a", ""]})));
        assert_eq!(shape[0], "columnConfig has invalid shape");
    }

    #[test]
    fn rules_are_normalized_and_become_the_query() {
        let Value::Object(map) = with(json!({
            "columnConfig": ["a", "b"],
            "filterConfig": [{"column": "a", "operator": "is_null", "value": 3, "aliasPath": "x"}],
            "aggregationConfig": [{"column": "b", "function": "SUM"}],
            "limitConfig": 10,
            "uniqueCountConfig": false,
        })) else {
            panic!()
        };
        let input = parse_body(map, true).unwrap();
        assert_eq!(
            input.filter_config,
            Some(json!([{"column": "a", "operator": "is_null"}]))
        );
        let query = input.query().unwrap();
        assert_eq!(query.column, ["a", "b"]);
        assert_eq!(query.limit, Some(10));
        assert_eq!(query.aggregations().len(), 1);
        assert!(!check_unique_count(input.unique_count_config.as_ref()).unwrap());
        assert!(check_unique_count(Some(&json!(true))).unwrap());
        assert!(check_unique_count(Some(&json!([""]))).unwrap());
        assert!(!check_unique_count(Some(&json!([]))).unwrap());
        assert!(check_unique_count(Some(&json!(["", "customers"]))).is_err());
    }
}
