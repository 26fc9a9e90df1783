//! The request bodies of the relationship endpoints, checked as the reference's DTOs are
//! (class-validator messages, unknown properties refused).

use serde_json::{Map, Value};

use crate::blend::config::is_alias_segment;
use crate::blend::JoinCondition;
use crate::error::ApiError;
use crate::http::body::Validator;

/// `POST …/relationships`.
#[derive(Debug)]
pub struct CreateRelationship {
    pub target_data_mart_id: String,
    pub target_alias: String,
    pub join_conditions: Vec<JoinCondition>,
    pub description: Option<String>,
}

/// `PATCH …/relationships/:id`: `None` leaves a field as it is.
#[derive(Debug)]
pub struct UpdateRelationship {
    pub target_alias: Option<String>,
    pub join_conditions: Option<Vec<JoinCondition>>,
    /// `Some(None)` clears the description (`null` or a blank string).
    pub description: Option<Option<String>>,
}

const FIELDS: &[&str] = &[
    "targetDataMartId",
    "targetAlias",
    "joinConditions",
    "description",
];

pub fn parse_create(body: Map<String, Value>) -> Result<CreateRelationship, ApiError> {
    let mut v = Validator::new(body, FIELDS);
    let target = match v.peek("targetDataMartId") {
        Some(Value::String(s)) => Some(s.clone()),
        _ => {
            v.error("targetDataMartId must be a string");
            None
        }
    };
    let alias = target_alias(&mut v);
    let joins = join_conditions(&mut v);
    let description = match v.peek("description") {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Some(_) => {
            v.error("description must be a string");
            None
        }
    };
    v.finish()?;
    Ok(CreateRelationship {
        target_data_mart_id: target.unwrap_or_default(),
        target_alias: alias.unwrap_or_default(),
        join_conditions: joins.unwrap_or_default(),
        description,
    })
}

pub fn parse_update(body: Map<String, Value>) -> Result<UpdateRelationship, ApiError> {
    let mut v = Validator::new(body, &FIELDS[1..]);
    let alias = match v.peek("targetAlias") {
        None | Some(Value::Null) => None,
        Some(_) => target_alias(&mut v),
    };
    let joins = match v.peek("joinConditions") {
        None | Some(Value::Null) => None,
        Some(_) => join_conditions(&mut v),
    };
    let description = match v.peek("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(_) => {
            v.error("description must be a string");
            None
        }
    };
    v.finish()?;
    Ok(UpdateRelationship {
        target_alias: alias,
        join_conditions: joins,
        description,
    })
}

/// `@IsString @MinLength(1) @Matches(^[a-z0-9_]+$)`.
fn target_alias(v: &mut Validator) -> Option<String> {
    let value = v.peek("targetAlias").cloned();
    let text = value.as_ref().and_then(Value::as_str);
    if !text.is_some_and(is_alias_segment) {
        v.error("targetAlias must contain only lowercase letters, numbers, and underscores");
    }
    if text.is_none_or(str::is_empty) {
        v.error("targetAlias must be longer than or equal to 1 characters");
    }
    if text.is_none() {
        v.error("targetAlias must be a string");
    }
    text.filter(|t| is_alias_segment(t)).map(str::to_string)
}

/// `@IsArray @ValidateNested({each})` of `{sourceFieldName, targetFieldName}` (each
/// `@IsString @MinLength(1)`). `[]` is allowed: a draft relationship.
fn join_conditions(v: &mut Validator) -> Option<Vec<JoinCondition>> {
    let Some(Value::Array(items)) = v.peek("joinConditions").cloned() else {
        v.error("joinConditions must be an array");
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(item) = item else {
            v.error("each value in nested property joinConditions must be either object or array");
            continue;
        };
        let at = format!("joinConditions.{i}.");
        for key in item.keys() {
            if key != "sourceFieldName" && key != "targetFieldName" {
                v.error(format!("{at}property {key} should not exist"));
            }
        }
        let mut side = |name: &str| -> Option<String> {
            match item.get(name) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::String(_)) => {
                    v.error(format!(
                        "{at}{name} must be longer than or equal to 1 characters"
                    ));
                    None
                }
                _ => {
                    v.error(format!(
                        "{at}{name} must be longer than or equal to 1 characters"
                    ));
                    v.error(format!("{at}{name} must be a string"));
                    None
                }
            }
        };
        let source = side("sourceFieldName");
        let target = side("targetFieldName");
        if let (Some(source_field_name), Some(target_field_name)) = (source, target) {
            out.push(JoinCondition {
                source_field_name,
                target_field_name,
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn create_bodies() {
        let ok = parse_create(obj(
            json!({"targetDataMartId": "t", "targetAlias": "orders_1",
            "joinConditions": [{"sourceFieldName": "a", "targetFieldName": "b"}],
            "description": "  why  "}),
        ))
        .unwrap();
        assert_eq!(ok.join_conditions.len(), 1);
        assert_eq!(ok.description.as_deref(), Some("why"));
        let draft = parse_create(obj(
            json!({"targetDataMartId": "t", "targetAlias": "o", "joinConditions": []}),
        ))
        .unwrap();
        assert!(draft.join_conditions.is_empty());
        assert_eq!(
            errors(parse_create(obj(json!({"x": 1})))),
            vec![
                "property x should not exist",
                "targetDataMartId must be a string",
                "targetAlias must contain only lowercase letters, numbers, and underscores",
                "targetAlias must be longer than or equal to 1 characters",
                "targetAlias must be a string",
                "joinConditions must be an array",
            ]
        );
        assert_eq!(
            errors(parse_create(obj(
                json!({"targetDataMartId": "t", "targetAlias": "Orders",
                "joinConditions": [{"sourceFieldName": "", "y": 1}, 3], "description": 5})
            ))),
            vec![
                "targetAlias must contain only lowercase letters, numbers, and underscores",
                "joinConditions.0.property y should not exist",
                "joinConditions.0.sourceFieldName must be longer than or equal to 1 characters",
                "joinConditions.0.targetFieldName must be longer than or equal to 1 characters",
                "joinConditions.0.targetFieldName must be a string",
                "each value in nested property joinConditions must be either object or array",
                "description must be a string",
            ]
        );
    }

    #[test]
    fn update_bodies() {
        let none = parse_update(Map::new()).unwrap();
        assert!(none.target_alias.is_none() && none.join_conditions.is_none());
        assert!(none.description.is_none());
        let clear = parse_update(obj(json!({"description": "   "}))).unwrap();
        assert_eq!(clear.description, Some(None));
        let clear = parse_update(obj(json!({"description": null, "joinConditions": []}))).unwrap();
        assert_eq!(clear.description, Some(None));
        assert_eq!(clear.join_conditions, Some(vec![]));
        assert_eq!(
            errors(parse_update(obj(
                json!({"targetAlias": "", "targetDataMartId": "x"})
            ))),
            vec![
                "property targetDataMartId should not exist",
                "targetAlias must contain only lowercase letters, numbers, and underscores",
                "targetAlias must be longer than or equal to 1 characters",
            ]
        );
    }
}
