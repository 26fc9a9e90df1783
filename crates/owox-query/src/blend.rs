//! Joined ("blended") data marts as the compiler sees them (§6.1, §11.8): the related data
//! marts reachable from the root through relationships, and the fields they expose.
//!
//! The server decides what is visible (relationship graph, drafts, cycles, exclusions, access,
//! hidden fields) and hands the result over as a [`Blend`]; the compiler only renders it.

use owox_contract::http_data::AggregateFunction;

use crate::schema::{effective_type, Field};
use crate::sql::Source;

/// The root data mart's related data marts and their visible fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Blend<'a> {
    /// Related data marts, each after its parent (`parent` indexes an earlier entry).
    pub sources: Vec<BlendSource<'a>>,
    /// Every visible joined field, in the order `columns=**` lists them.
    pub fields: Vec<BlendedField>,
}

/// One related data mart, joined along one relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct BlendSource<'a> {
    /// Dot-joined target aliases from the root (`orders.items`); used in messages.
    pub alias_path: String,
    /// The source it is joined to: `None` for the root, else an index into [`Blend::sources`].
    pub parent: Option<usize>,
    /// The related data mart's rows.
    pub relation: Source<'a>,
    /// `(field of the parent, field of this data mart)` pairs; never empty (drafts are left
    /// out by the server).
    pub join: Vec<(String, String)>,
}

/// A field of a related data mart, exposed under its unified name.
#[derive(Debug, Clone, PartialEq)]
pub struct BlendedField {
    /// The unified name (`orders_items__amount`, [`crate::blended_field_name`]).
    pub name: String,
    /// Index into [`Blend::sources`].
    pub source: usize,
    /// The field's column name in its own data mart.
    pub field: String,
    /// The field's type in its own data mart.
    pub type_name: String,
    /// The function that collapses the related rows to one per join key.
    pub dedup: AggregateFunction,
    /// The field's governance override, if any.
    pub allowed_aggregations: Option<Vec<AggregateFunction>>,
}

impl BlendedField {
    /// The field as the joined rows carry it: the type after the dedup function.
    pub fn reporting_field(&self) -> Field {
        Field {
            name: self.name.clone(),
            type_name: effective_type(&self.type_name, self.dedup),
            allowed_aggregations: self.allowed_aggregations.clone(),
        }
    }

    /// The field as the related data mart's raw rows carry it (pre-join filters see these).
    pub(crate) fn raw_field(&self) -> Field {
        Field {
            name: self.name.clone(),
            type_name: self.type_name.clone(),
            allowed_aggregations: None,
        }
    }
}

impl Blend<'_> {
    /// The visible joined fields as reportable fields, in order.
    pub fn reporting_fields(&self) -> Vec<Field> {
        self.fields
            .iter()
            .map(BlendedField::reporting_field)
            .collect()
    }

    pub(crate) fn field(&self, name: &str) -> Option<&BlendedField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The default dedup function of a joined field of `type_name` (`domain.md` §1.4): SUM for
/// numbers, MAX for dates and times, STRING_AGG otherwise.
pub fn default_dedup_function(type_name: &str) -> AggregateFunction {
    use crate::schema::FieldCategory;
    match FieldCategory::of(type_name) {
        FieldCategory::Number => AggregateFunction::Sum,
        FieldCategory::Date | FieldCategory::Time => AggregateFunction::Max,
        _ => AggregateFunction::StringAgg,
    }
}
