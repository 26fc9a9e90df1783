//! The joined fields of a root data mart a caller may use (http-data.md §6.1), with their unified
//! names (§6.3) and dedup functions (§11.8).

use owox_contract::http_data::AggregateFunction;
pub use owox_query::default_dedup_function;
use owox_query::{blended_field_name, effective_type};

use super::graph::{BlendError, JoinedSource};
use super::BlendInputs;
use crate::output_schema::{FieldStatus, OutputSchema, SchemaField};

/// One joined field a caller may select, filter, sort or aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct VisibleBlendedField {
    /// The unified name (`customers_country__name`), the field's key everywhere.
    pub name: String,
    /// The alias path of its source (`customers.country`).
    pub alias_path: String,
    pub relationship_id: String,
    /// The joined data mart the field comes from.
    pub target_data_mart_id: String,
    /// The field's name in that data mart's schema.
    pub field_name: String,
    /// The field's stored type there.
    pub field_type: String,
    /// The type after the dedup function (`STRING` after `STRING_AGG`, `INTEGER` after `COUNT`).
    pub effective_type: String,
    /// The dedup (pre-join) function that collapses the source to one row per join key: the
    /// override, else [`default_dedup_function`].
    pub aggregate_function: AggregateFunction,
    /// The display alias override, if any.
    pub alias: Option<String>,
    /// The report-level aggregations override (`postJoinAggregations`), if any.
    pub post_join_aggregations: Option<Vec<AggregateFunction>>,
    /// Join hops from the root.
    pub depth: u32,
}

impl VisibleBlendedField {
    /// The field as the query compiler sees it: its unified name and effective type.
    pub fn compiler_field(&self) -> owox_query::Field {
        owox_query::Field {
            name: self.name.clone(),
            type_name: self.effective_type.clone(),
            allowed_aggregations: self.post_join_aggregations.clone(),
        }
    }
}

/// The fields a joined data mart offers, in schema order: fields hidden for reporting never;
/// disconnected ones only when `include_disconnected`.
pub fn offered_fields(
    schema: Option<&OutputSchema>,
    include_disconnected: bool,
) -> impl Iterator<Item = &SchemaField> {
    schema.into_iter().flat_map(|s| &s.fields).filter(move |f| {
        !f.is_hidden_for_reporting
            && (include_disconnected || f.status != FieldStatus::Disconnected)
    })
}

impl BlendInputs {
    /// The joined fields the caller may use, depth-first by source, each source's fields in
    /// schema order. A field is visible when its relationship chain is joinable (join conditions
    /// everywhere, published targets, no cycle; see [`BlendInputs::sources`]), its path and
    /// every path above it are not excluded by the root's `blendedFieldsConfig`, the caller has
    /// `USE` on its data mart and on every data mart above it, and it is neither hidden for
    /// reporting, disconnected, nor hidden by an override. A soft-deleted target on the way
    /// fails the whole call.
    pub fn visible_fields(&self) -> Result<Vec<VisibleBlendedField>, BlendError> {
        let mut fields = Vec::new();
        for source in self.sources(false)? {
            if source.in_excluded_subtree || !source.is_accessible {
                continue;
            }
            fields.extend(self.fields_of(&source));
        }
        Ok(fields)
    }

    fn fields_of(&self, source: &JoinedSource) -> Vec<VisibleBlendedField> {
        let schema = self
            .marts
            .get(&source.target_data_mart_id)
            .and_then(|m| m.schema.as_ref());
        offered_fields(schema, false)
            .filter_map(|f| {
                let over = self
                    .config
                    .as_ref()
                    .and_then(|c| c.field(&source.alias_path, &f.name));
                if over.is_some_and(|o| o.is_hidden == Some(true)) {
                    return None;
                }
                let function = over
                    .and_then(|o| o.aggregate_function)
                    .unwrap_or_else(|| default_dedup_function(&f.field_type));
                Some(VisibleBlendedField {
                    name: blended_field_name(&source.alias_path, &f.name),
                    alias_path: source.alias_path.clone(),
                    relationship_id: source.relationship_id.clone(),
                    target_data_mart_id: source.target_data_mart_id.clone(),
                    field_name: f.name.clone(),
                    field_type: f.field_type.clone(),
                    effective_type: effective_type(&f.field_type, function),
                    aggregate_function: function,
                    alias: over.and_then(|o| o.alias.clone()),
                    post_join_aggregations: over.and_then(|o| o.post_join_aggregations.clone()),
                    depth: source.depth,
                })
            })
            .collect()
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
