//! Every way a request can fail in the compiler, and the HTTP body each one maps to.
//!
//! | Variant | Stage (spec §3.1) | HTTP body |
//! |---|---|---|
//! | [`QueryError::InvalidQuery`] | step 2, before any lookup; no run | 400 BusinessViolation (§8.1): `{statusCode:400, timestamp, path, message}` |
//! | [`QueryError::NoColumns`] | step 6; no run | 400 BusinessViolation, `message` = `No columns available for the requested Data Mart` |
//! | [`QueryError::UnknownColumns`] | step 6 (§6.4); no run | 400 BusinessViolation, `message` = `Unknown column: a` / `Unknown columns: a, b`, `errorDetails: {columns}` |
//! | [`QueryError::OutputControls`] | step 8 (§5.7); FAILED run | 400 Nest HttpException: `{message:"Output controls validation failed", details:{errors:[…]}, statusCode:400, timestamp, path}` |
//! | [`QueryError::PreJoinFiltersRequireJoinedDataMart`] | step 8; FAILED run | 400 BusinessViolation with `code` = `PRE_JOIN_FILTERS_REQUIRE_JOINED_DATA_MART` (§5.7 notes) |
//! | [`QueryError::Compile`] | step 8 (SQL composition); FAILED run | see [`CompileError`]: 424 `STORAGE_READ_FAILED` for what the reference's warehouse would reject, 500 otherwise |

use serde::Serialize;
use serde_json::{json, Value};

/// A second-stage validation error: one entry of `details.errors[]` (§5.3–§5.7), serialized
/// with `code` first and the other keys in the reference's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValidationError {
    FilterColumnUnknown {
        column: String,
    },
    InvalidOperatorForType {
        column: String,
        r#type: String,
        operator: String,
    },
    InvalidRegexPattern {
        column: String,
        pattern: String,
    },
    SortColumnNotSelected {
        column: String,
    },
    AggregationColumnNotSelected {
        column: String,
    },
    AggregationFunctionNotAllowedForType {
        column: String,
        function: String,
        r#type: String,
    },
    AggregationFunctionNotAllowedForField {
        column: String,
        function: String,
    },
    DuplicateAggregation {
        column: String,
        function: String,
    },
    DateTruncColumnNotSelected {
        column: String,
    },
    DateTruncRequiresDateColumn {
        column: String,
        r#type: String,
    },
    DateTruncColumnIsAggregated {
        column: String,
    },
    DateTruncInvalidTimezone {
        column: String,
        #[serde(rename = "timeZone")]
        time_zone: String,
    },
    DateTruncTimezoneRequiresTimestamp {
        column: String,
        r#type: String,
    },
    HavingFilterNotAggregated {
        column: String,
        function: String,
    },
    HavingFilterInvalidPlacement {
        column: String,
        function: String,
    },
    OutputColumnNameCollision {
        label: String,
    },
    /// HAVING on a joined column with a function other than COUNT or ANY_VALUE (§5.7).
    HavingOnBlendedSleeveMetricNotSupported {
        column: String,
        function: String,
        message: String,
    },
}

impl ValidationError {
    /// The JSON object of `details.errors[]`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A failure while composing SQL for an already validated request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// A column name the dialect cannot quote (PostgreSQL and DuckDB cannot hold NUL in an
    /// identifier). Map to 424 `STORAGE_READ_FAILED`: the reference's warehouse would fail too.
    #[error("identifier cannot be represented in {dialect}: contains NUL")]
    UnrepresentableIdentifier { dialect: &'static str },
    /// A `dateTrunc` time zone with the right shape that is not in the time-zone database.
    /// Map to 424 `STORAGE_READ_FAILED` (the reference passes it to the warehouse, which fails).
    #[error("unknown time zone: {0}")]
    UnknownTimeZone(String),
    /// A relative date bound outside the representable calendar (only with an absurd "today").
    /// Map to 500.
    #[error("relative date out of range")]
    DateOutOfRange,
    /// A broken invariant of the input (a [`crate::Blend`] the server built wrongly). Map to
    /// 500.
    #[error("internal compiler error: {0}")]
    Internal(&'static str),
}

/// Everything the compiler can reject; see the module docs for the HTTP mapping.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// Query-parameter validation failed (§4). `message` is the joined `"; "` form.
    #[error("{message}")]
    InvalidQuery { message: String },
    /// The resolved column list is empty (§6.2).
    #[error("No columns available for the requested Data Mart")]
    NoColumns,
    /// Referenced columns that are not in the schema (§6.4), in reference order, deduplicated.
    #[error("{}", unknown_columns_message(.columns))]
    UnknownColumns { columns: Vec<String> },
    /// Output-controls validation failed (§5.7).
    #[error("Output controls validation failed")]
    OutputControls { errors: Vec<ValidationError> },
    /// Pre-join filters on columns that are not visible joined columns (§5.7 notes). The
    /// server adds the data mart id to `errorDetails`.
    #[error("{}", disconnected_columns_message(.columns))]
    DisconnectedColumns { columns: Vec<String> },
    /// A report's Unique Count on a data mart whose schema marks no primary key.
    #[error("Unique Count needs a primary key: mark at least one field of the Data Mart's output schema as a primary key")]
    UniqueCountWithoutPrimaryKey,
    /// A pre-join filter on a data mart without relationships.
    #[error("Pre-join filters are only applicable to joined data marts")]
    PreJoinFiltersRequireJoinedDataMart,
    /// SQL composition failed.
    #[error(transparent)]
    Compile(#[from] CompileError),
}

fn disconnected_columns_message(columns: &[String]) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "Cannot build report SQL. Disconnected columns: {}. They are missing from the current \
         Data Mart output schema. Uncheck them to remove them from the report, or contact your \
         analyst to restore the schema.",
        quoted.join(", ")
    )
}

fn unknown_columns_message(columns: &[String]) -> String {
    if columns.len() == 1 {
        format!("Unknown column: {}", columns[0])
    } else {
        format!("Unknown columns: {}", columns.join(", "))
    }
}

/// Which envelope of §8.1 an error is written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `{statusCode, timestamp, path, message, code?, errorDetails?}`.
    BusinessViolation,
    /// `{message, details?, statusCode, timestamp, path, requestId?}`.
    HttpException,
    /// 424 storage error: `{code:"STORAGE_READ_FAILED", message, details:{dependency:"storage", …}, …}`.
    Storage,
    /// 500 `{statusCode:500, timestamp, path}`.
    Internal,
}

impl QueryError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            QueryError::Compile(CompileError::DateOutOfRange) => 500,
            QueryError::Compile(_) => 424,
            _ => 400,
        }
    }

    /// The body envelope.
    pub fn body_kind(&self) -> BodyKind {
        match self {
            QueryError::OutputControls { .. } => BodyKind::HttpException,
            QueryError::Compile(CompileError::DateOutOfRange | CompileError::Internal(_)) => {
                BodyKind::Internal
            }
            QueryError::Compile(_) => BodyKind::Storage,
            _ => BodyKind::BusinessViolation,
        }
    }

    /// The BusinessViolation `code`, when there is one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            QueryError::PreJoinFiltersRequireJoinedDataMart => {
                Some("PRE_JOIN_FILTERS_REQUIRE_JOINED_DATA_MART")
            }
            _ => None,
        }
    }

    /// The BusinessViolation `errorDetails`, when there are some.
    pub fn error_details(&self) -> Option<Value> {
        match self {
            QueryError::UnknownColumns { columns } => Some(json!({ "columns": columns })),
            QueryError::DisconnectedColumns { columns } => {
                Some(json!({ "unknownColumns": columns }))
            }
            _ => None,
        }
    }

    /// The HttpException `details`, when there are some.
    pub fn details(&self) -> Option<Value> {
        match self {
            QueryError::OutputControls { errors } => Some(json!({
                "errors": errors.iter().map(ValidationError::to_json).collect::<Vec<_>>()
            })),
            _ => None,
        }
    }

    /// Whether a FAILED run is recorded for this error (§3.1: steps 1–7 record none).
    pub fn records_failed_run(&self) -> bool {
        !matches!(
            self,
            QueryError::InvalidQuery { .. }
                | QueryError::NoColumns
                | QueryError::UnknownColumns { .. }
        )
    }
}
