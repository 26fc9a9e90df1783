//! The data mart's output schema as the compiler sees it, and the type tables of §5.3 and §5.5.

use owox_contract::http_data::AggregateFunction;

/// One reportable field of the data mart's output schema (already flattened: hidden and
/// disconnected fields left out, nested leaves as dotted paths, in schema order; §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The exact column name (opaque: any characters). It is also the output key.
    pub name: String,
    /// The stored type string in the reference's vocabulary (`STRING`, `INTEGER`, `DATE`,
    /// `TIMESTAMP WITH TIME ZONE`, …). Matched exactly and case-sensitively, as the reference
    /// does, so drivers must normalize their native names to these spellings.
    pub type_name: String,
    /// The per-field `allowedAggregations` override, if the data mart sets one.
    pub allowed_aggregations: Option<Vec<AggregateFunction>>,
}

impl Field {
    /// A field without a governance override.
    pub fn new(name: impl Into<String>, type_name: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            type_name: type_name.into(),
            allowed_aggregations: None,
        }
    }

    /// The field's category (§5.3).
    pub fn category(&self) -> FieldCategory {
        FieldCategory::of(&self.type_name)
    }
}

/// The type category of §5.3, decided by an exact match on the type string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldCategory {
    String,
    Number,
    Date,
    Time,
    Boolean,
    Other,
}

impl FieldCategory {
    /// Classifies a stored type string.
    pub fn of(type_name: &str) -> FieldCategory {
        match type_name {
            "STRING" | "VARCHAR" | "CHAR" | "TEXT" | "BPCHAR" => FieldCategory::String,
            "INTEGER" | "INT" | "BIGINT" | "SMALLINT" | "TINYINT" | "FLOAT" | "REAL" | "DOUBLE"
            | "DOUBLE PRECISION" | "NUMERIC" | "BIGNUMERIC" | "DECIMAL" => FieldCategory::Number,
            "DATE"
            | "DATETIME"
            | "TIMESTAMP"
            | "TIMESTAMP WITH TIME ZONE"
            | "TIMESTAMPTZ"
            | "TIMESTAMP_NTZ" => FieldCategory::Date,
            "TIME" | "TIME WITH TIME ZONE" | "TIMETZ" => FieldCategory::Time,
            "BOOLEAN" | "BOOL" => FieldCategory::Boolean,
            _ => FieldCategory::Other,
        }
    }

    /// Whether `operator` is legal on this category (§5.3, with the 0.35.0 blank operators).
    pub fn allows(self, operator: owox_contract::http_data::FilterOperator) -> bool {
        use owox_contract::http_data::FilterOperator::*;
        if matches!(operator, IsNull | IsNotNull | IsBlank | IsNotBlank) {
            return true;
        }
        match self {
            FieldCategory::String => matches!(
                operator,
                Eq | Neq
                    | Contains
                    | NotContains
                    | StartsWith
                    | EndsWith
                    | In
                    | NotIn
                    | IsEmpty
                    | IsNotEmpty
                    | Regex
                    | NotRegex
            ),
            FieldCategory::Number => {
                matches!(
                    operator,
                    Eq | Neq | Gt | Lt | Gte | Lte | Between | In | NotIn
                )
            }
            FieldCategory::Date => matches!(
                operator,
                Eq | Neq | Gt | Lt | Gte | Lte | Between | In | NotIn | RelativeDate
            ),
            FieldCategory::Time => {
                matches!(
                    operator,
                    Eq | Neq | Gt | Lt | Gte | Lte | Between | In | NotIn
                )
            }
            FieldCategory::Boolean => matches!(operator, IsTrue | IsFalse),
            FieldCategory::Other => false,
        }
    }

    /// The aggregations the category supports (the ceiling of an override; §5.5).
    pub fn supported_aggregations(self) -> &'static [AggregateFunction] {
        use AggregateFunction::*;
        match self {
            FieldCategory::Number => &[Sum, Avg, Min, Max, AnyValue, P25, P50, P75, P95],
            FieldCategory::String | FieldCategory::Date | FieldCategory::Time => {
                &[Min, Max, AnyValue, Count, CountDistinct, StringAgg]
            }
            FieldCategory::Boolean => &[Count, CountDistinct, AnyValue],
            FieldCategory::Other => &[Count, AnyValue],
        }
    }

    /// The aggregations allowed when the field has no override (§5.5).
    pub fn default_aggregations(self) -> &'static [AggregateFunction] {
        use AggregateFunction::*;
        match self {
            FieldCategory::Number => &[Sum, Avg, Min, Max],
            FieldCategory::String => &[Count, CountDistinct, StringAgg, AnyValue],
            FieldCategory::Date | FieldCategory::Time => &[Min, Max],
            FieldCategory::Boolean => &[Count, CountDistinct],
            FieldCategory::Other => &[Count],
        }
    }
}

/// The field's allowed aggregations: its override cut down to what its type supports, else the
/// category default (§5.5).
pub fn allowed_aggregations(field: &Field) -> Vec<AggregateFunction> {
    let category = field.category();
    match &field.allowed_aggregations {
        Some(requested) => requested
            .iter()
            .copied()
            .filter(|f| category.supported_aggregations().contains(f))
            .collect(),
        None => category.default_aggregations().to_vec(),
    }
}

/// How a date/time column's values are stored, which decides value casts and truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalKind {
    Date,
    /// A timestamp without zone (`TIMESTAMP`, `DATETIME`, `TIMESTAMP_NTZ`).
    Timestamp,
    /// An instant (`TIMESTAMPTZ`, `TIMESTAMP WITH TIME ZONE`).
    TimestampTz,
    Time,
    TimeTz,
}

impl TemporalKind {
    /// The temporal kind of a stored type string, if it is a date/time type.
    pub fn of(type_name: &str) -> Option<TemporalKind> {
        Some(match type_name {
            "DATE" => TemporalKind::Date,
            "DATETIME" | "TIMESTAMP" | "TIMESTAMP_NTZ" => TemporalKind::Timestamp,
            "TIMESTAMP WITH TIME ZONE" | "TIMESTAMPTZ" => TemporalKind::TimestampTz,
            "TIME" => TemporalKind::Time,
            "TIME WITH TIME ZONE" | "TIMETZ" => TemporalKind::TimeTz,
            _ => return None,
        })
    }
}

/// The label of an aggregated output column: `"<column with '.'→'_'> | <TOKEN>"` (§5.5).
pub fn aggregate_label(column: &str, function: AggregateFunction) -> String {
    format!("{} | {}", column.replace('.', "_"), function.label_token())
}

/// The synthetic `COUNT(*)` column that ends every aggregated row.
pub const ROW_COUNT_LABEL: &str = "Row Count";

/// The reports' synthetic count of distinct primary keys, after `Row Count` (§11.2).
pub const UNIQUE_COUNT_LABEL: &str = "Unique Count";

/// The type a HAVING rule is checked and cast against: the aggregate's effective type (§5.3).
pub fn effective_type(column_type: &str, function: AggregateFunction) -> String {
    use AggregateFunction::*;
    match function {
        Count | CountDistinct => "INTEGER".into(),
        Avg | P25 | P50 | P75 | P95 => "FLOAT".into(),
        StringAgg => "STRING".into(),
        Sum | Min | Max | AnyValue => column_type.into(),
    }
}
