//! Second-stage ("output controls") validation (§5.3–§5.7), in the reference's order: WHERE
//! filters, HAVING filters, sort, aggregations, date truncations, output-name collisions.

use owox_contract::http_data::{FilterOperator, FilterRule, FilterValue, Placement, Scalar};

use crate::blend::Blend;
use crate::error::{QueryError, ValidationError};
use crate::params::HttpDataQuery;
use crate::resolve::ResolvedColumns;
use crate::schema::{
    aggregate_label, allowed_aggregations, effective_type, Field, FieldCategory, TemporalKind,
    ROW_COUNT_LABEL, UNIQUE_COUNT_LABEL,
};

/// A request that passed every check and can be compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedQuery {
    pub query: HttpDataQuery,
    pub selected: Vec<String>,
    pub(crate) fields: Vec<Field>,
}

impl ValidatedQuery {
    pub(crate) fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// Runs the second-stage validation for a data mart without joined fields; see
/// [`validate_blended`].
pub fn validate(
    fields: &[Field],
    query: &HttpDataQuery,
    resolved: &ResolvedColumns,
) -> Result<ValidatedQuery, QueryError> {
    validate_blended(fields, None, query, resolved)
}

/// Runs the second-stage validation against the native `fields` and, when the data mart has
/// related data marts, their visible joined fields. Errors: [`QueryError::OutputControls`]
/// (every code found, in order), then [`QueryError::PreJoinFiltersRequireJoinedDataMart`] or
/// [`QueryError::DisconnectedColumns`].
pub fn validate_blended(
    native: &[Field],
    blend: Option<&Blend<'_>>,
    query: &HttpDataQuery,
    resolved: &ResolvedColumns,
) -> Result<ValidatedQuery, QueryError> {
    let mut all = native.to_vec();
    if let Some(blend) = blend {
        all.extend(blend.reporting_fields());
    }
    let fields = all.as_slice();
    let joined = |c: &str| blend.and_then(|b| b.field(c));
    let type_of = |c: &str| {
        fields
            .iter()
            .find(|f| f.name == c)
            .map(|f| f.type_name.as_str())
    };
    let selected = &resolved.selected;
    let mut errors = Vec::new();

    for rule in query.filters() {
        if rule.function.is_some() {
            continue;
        }
        if rule.placement == Some(Placement::PreJoin) {
            // Pre-join rules see the related data mart's raw rows; unknown ones are reported
            // after this list.
            if let Some(f) = joined(&rule.column) {
                check_rule(rule, &f.raw_field().type_name, &mut errors);
            }
            continue;
        }
        match type_of(&rule.column) {
            None => errors.push(ValidationError::FilterColumnUnknown {
                column: rule.column.clone(),
            }),
            Some(t) => check_rule(rule, t, &mut errors),
        }
    }

    let aggs = query.aggregations();
    for rule in query.filters() {
        let Some(function) = rule.function else {
            continue;
        };
        if rule.placement == Some(Placement::PreJoin) {
            errors.push(ValidationError::HavingFilterInvalidPlacement {
                column: rule.column.clone(),
                function: function.as_str().into(),
            });
            continue;
        }
        if joined(&rule.column).is_some()
            && !matches!(
                function,
                owox_contract::http_data::AggregateFunction::Count
                    | owox_contract::http_data::AggregateFunction::AnyValue
            )
        {
            errors.push(ValidationError::HavingOnBlendedSleeveMetricNotSupported {
                column: rule.column.clone(),
                function: function.as_str().into(),
                message: format!(
                    "HAVING on the joined column \"{}\" with {} is not supported: joined \
                     metrics other than COUNT and ANY_VALUE cannot be filtered per group. \
                     Filter the joined rows with a pre-join filter instead.",
                    rule.column,
                    function.as_str()
                ),
            });
            continue;
        }
        if !aggs
            .iter()
            .any(|a| a.column == rule.column && a.function == function)
        {
            errors.push(ValidationError::HavingFilterNotAggregated {
                column: rule.column.clone(),
                function: function.as_str().into(),
            });
            continue;
        }
        match type_of(&rule.column) {
            None => errors.push(ValidationError::FilterColumnUnknown {
                column: rule.column.clone(),
            }),
            Some(t) => check_rule(rule, &effective_type(t, function), &mut errors),
        }
    }

    for rule in query.sorts() {
        if !selected.contains(&rule.column) {
            errors.push(ValidationError::SortColumnNotSelected {
                column: rule.column.clone(),
            });
        }
    }

    let mut seen = Vec::new();
    for rule in aggs {
        let column = rule.column.clone();
        let function = rule.function.as_str().to_string();
        if !selected.contains(&rule.column) {
            errors.push(ValidationError::AggregationColumnNotSelected { column });
            continue;
        }
        if seen.contains(&(&rule.column, rule.function)) {
            errors.push(ValidationError::DuplicateAggregation { column, function });
            continue;
        }
        seen.push((&rule.column, rule.function));
        let Some(field) = fields.iter().find(|f| f.name == rule.column) else {
            errors.push(ValidationError::AggregationFunctionNotAllowedForType {
                column,
                function,
                r#type: "unknown".into(),
            });
            continue;
        };
        use owox_contract::http_data::AggregateFunction::*;
        let category = field.category();
        let floor_fails = match rule.function {
            Sum | Avg => category != FieldCategory::Number,
            CountDistinct | StringAgg => category == FieldCategory::Other,
            _ => false,
        };
        if floor_fails {
            errors.push(ValidationError::AggregationFunctionNotAllowedForType {
                column,
                function,
                r#type: field.type_name.clone(),
            });
            continue;
        }
        if !allowed_aggregations(field).contains(&rule.function) {
            errors
                .push(ValidationError::AggregationFunctionNotAllowedForField { column, function });
        }
    }

    for rule in query.date_truncs() {
        let column = rule.column.clone();
        if !selected.contains(&rule.column) {
            errors.push(ValidationError::DateTruncColumnNotSelected { column });
            continue;
        }
        if aggs.iter().any(|a| a.column == rule.column) {
            errors.push(ValidationError::DateTruncColumnIsAggregated { column });
            continue;
        }
        let Some(t) = type_of(&rule.column) else {
            errors.push(ValidationError::DateTruncRequiresDateColumn {
                column,
                r#type: "unknown".into(),
            });
            continue;
        };
        if FieldCategory::of(t) != FieldCategory::Date {
            errors.push(ValidationError::DateTruncRequiresDateColumn {
                column,
                r#type: t.into(),
            });
            continue;
        }
        if let Some(tz) = &rule.time_zone {
            if !owox_contract::http_data::is_iana_time_zone_shape(tz) {
                errors.push(ValidationError::DateTruncInvalidTimezone {
                    column: column.clone(),
                    time_zone: tz.clone(),
                });
            }
            if TemporalKind::of(t) == Some(TemporalKind::Date) {
                errors.push(ValidationError::DateTruncTimezoneRequiresTimestamp {
                    column,
                    r#type: t.into(),
                });
            }
        }
    }

    errors.extend(output_name_collisions(selected, query));

    if !errors.is_empty() {
        return Err(QueryError::OutputControls { errors });
    }
    if query.unique_count.as_ref().is_some_and(Vec::is_empty) {
        return Err(QueryError::UniqueCountWithoutPrimaryKey);
    }
    let pre_join = query
        .filters()
        .iter()
        .filter(|r| r.placement == Some(Placement::PreJoin) && r.function.is_none());
    if blend.is_none_or(|b| b.sources.is_empty()) {
        if pre_join.clone().next().is_some() {
            return Err(QueryError::PreJoinFiltersRequireJoinedDataMart);
        }
    } else {
        let mut disconnected: Vec<String> = Vec::new();
        for rule in pre_join {
            if joined(&rule.column).is_none() && !disconnected.contains(&rule.column) {
                disconnected.push(rule.column.clone());
            }
        }
        if !disconnected.is_empty() {
            return Err(QueryError::DisconnectedColumns {
                columns: disconnected,
            });
        }
    }
    Ok(ValidatedQuery {
        query: query.clone(),
        selected: selected.clone(),
        fields: fields.to_vec(),
    })
}

fn check_rule(rule: &FilterRule, type_name: &str, errors: &mut Vec<ValidationError>) {
    if !FieldCategory::of(type_name).allows(rule.operator) {
        errors.push(ValidationError::InvalidOperatorForType {
            column: rule.column.clone(),
            r#type: type_name.into(),
            operator: rule.operator.as_str().into(),
        });
        return;
    }
    if matches!(
        rule.operator,
        FilterOperator::Regex | FilterOperator::NotRegex
    ) {
        let pattern = match &rule.value {
            FilterValue::Scalar(s) => s.to_js_string(),
            _ => Scalar::String(String::new()).to_js_string(),
        };
        if regress::Regex::with_flags(&pattern, "").is_err() {
            errors.push(ValidationError::InvalidRegexPattern {
                column: rule.column.clone(),
                pattern,
            });
        }
    }
}

/// The projected output names of the request, in order (§6.5).
pub(crate) fn output_names(selected: &[String], query: &HttpDataQuery) -> Vec<String> {
    let aggs = query.aggregations();
    let mut names = Vec::new();
    for c in selected {
        let fns: Vec<_> = aggs
            .iter()
            .filter(|a| &a.column == c)
            .map(|a| a.function)
            .collect();
        if fns.is_empty() {
            names.push(c.clone());
        } else {
            names.extend(fns.into_iter().map(|f| aggregate_label(c, f)));
        }
    }
    if !aggs.is_empty() {
        names.push(ROW_COUNT_LABEL.to_string());
    }
    if !query.unique_count_keys().is_empty() {
        names.push(UNIQUE_COUNT_LABEL.to_string());
    }
    names
}

fn output_name_collisions(selected: &[String], query: &HttpDataQuery) -> Vec<ValidationError> {
    let mut seen: Vec<String> = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for name in output_names(selected, query) {
        let key = truncate_utf8(&name, 127).to_lowercase();
        if seen.contains(&key) && !reported.contains(&key) {
            errors.push(ValidationError::OutputColumnNameCollision {
                label: name.clone(),
            });
            reported.push(key.clone());
        }
        seen.push(key);
    }
    errors
}

/// Cuts `s` to at most `max` UTF-8 bytes without splitting a character.
fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
