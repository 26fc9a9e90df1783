//! SQL composition (§11): the [`Dialect`] trait, bound parameters, and [`compile`].

mod blend;
mod duckdb;
mod filters;
mod postgres;
mod query;
mod sleeves;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use owox_contract::http_data::{AggregateFunction, DateTruncUnit};

pub use self::duckdb::DuckDb;
pub use self::postgres::Postgres;
pub use self::query::{compile, compile_blended};

use crate::error::CompileError;
use crate::schema::TemporalKind;

/// A bound parameter value. Every placeholder in the SQL carries an explicit cast to the type
/// of its value, so drivers can bind each variant with its natural native type.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDate),
    /// A timestamp without zone.
    Timestamp(NaiveDateTime),
    /// An instant.
    TimestampTz(DateTime<Utc>),
}

/// SQL text with its parameters; placeholder `$n` is `params[n - 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

/// The compiled request: the output keys in order, the row query and the totals query.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledQuery {
    /// Output keys in order (§6.5): aggregate labels replace their column, `Row Count` last.
    /// The result columns of `statement` come in exactly this order.
    pub columns: Vec<String>,
    pub statement: Statement,
    /// The totals query of §11.9, `None` when no selected column is numeric or aggregated.
    pub totals: Option<TotalsQuery>,
}

/// The totals query: one row whose columns are `labels`, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalsQuery {
    pub labels: Vec<String>,
    pub statement: Statement,
    /// The `(column, function)` each label aggregates, in label order.
    pub targets: Vec<(String, AggregateFunction)>,
    /// True when the row query streams exactly the rows these totals aggregate (no limit, no
    /// grouping or date buckets, no HAVING), each target column being one of its output
    /// columns: a consumer may then compute the totals from the stream instead of running
    /// `statement`.
    pub over_streamed_rows: bool,
}

/// What the query reads from; the compiler wraps it as `… FROM <source> AS "src"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A table or view, as its name parts (`["schema", "table"]`); each part is quoted.
    Table(&'a [String]),
    /// Trusted SQL (a data mart's definition), wrapped in parentheses as a subquery. A trailing
    /// `;` should be removed by the caller.
    Subquery(&'a str),
}

/// The caller's notion of time: the compiler never reads the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileContext {
    /// Now, as an instant.
    pub now: DateTime<Utc>,
    /// The zone in which "today" is taken for `relative_date` (`OWOX_TIME_ZONE`, default UTC).
    pub time_zone: Tz,
}

impl CompileContext {
    /// The calendar day of `now` in `time_zone`.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.time_zone).date_naive()
    }
}

/// Accumulates parameters and extra FROM items while a statement is built.
pub struct Builder<'d> {
    pub(crate) dialect: &'d dyn Dialect,
    pub(crate) params: Vec<SqlParam>,
    /// Extra FROM items appended after the source (e.g. DuckDB's zone tables).
    pub(crate) joins: Vec<String>,
    /// Columns of the source carried under another SQL name (joined fields).
    pub(crate) renames: std::collections::HashMap<String, String>,
}

impl<'d> Builder<'d> {
    pub(crate) fn new(dialect: &'d dyn Dialect) -> Self {
        Builder {
            dialect,
            params: Vec::new(),
            joins: Vec::new(),
            renames: std::collections::HashMap::new(),
        }
    }

    /// Binds `param` and returns its (cast) placeholder.
    pub fn bind(&mut self, param: SqlParam) -> String {
        let text = self.dialect.placeholder(self.params.len() + 1, &param);
        self.params.push(param);
        text
    }

    /// Quotes an identifier with the dialect's rules.
    pub fn ident(&self, name: &str) -> Result<String, CompileError> {
        self.dialect.quote_ident(name)
    }

    /// Registers an extra FROM item (a join clause, written after the source).
    pub fn add_join(&mut self, clause: String) -> usize {
        self.joins.push(clause);
        self.joins.len() - 1
    }
}

/// The SQL of a relation to select from: quoted name parts, or the trusted SQL parenthesized.
pub(crate) fn relation_sql(b: &Builder<'_>, source: Source<'_>) -> Result<String, CompileError> {
    Ok(match source {
        Source::Table(parts) => parts
            .iter()
            .map(|p| b.ident(p))
            .collect::<Result<Vec<_>, _>>()?
            .join("."),
        Source::Subquery(sql) => format!("({sql})"),
    })
}

/// Double-quote quoting with embedded quotes doubled; NUL is refused.
pub fn quote_double(dialect: &'static str, ident: &str) -> Result<String, CompileError> {
    if ident.contains('\0') {
        return Err(CompileError::UnrepresentableIdentifier { dialect });
    }
    Ok(format!("\"{}\"", ident.replace('"', "\"\"")))
}

/// One SQL dialect. Implementations render the dialect-specific pieces; the query shape, the
/// operator semantics and the binding discipline are shared (`query.rs`, `filters.rs`).
/// Nothing user-given may be spliced into the returned SQL: values arrive as placeholders
/// produced by [`Builder::bind`] and identifiers through [`Dialect::quote_ident`].
pub trait Dialect: Sync {
    /// A short name for errors and logs.
    fn name(&self) -> &'static str;
    /// Quotes one identifier.
    fn quote_ident(&self, ident: &str) -> Result<String, CompileError>;
    /// The SQL alias of output column `position` (0-based) whose key is `label`. Drivers
    /// take the output keys from the plan ([`CompiledQuery::columns`]), never from these
    /// aliases, so a dialect whose identifiers are limited may alias positionally.
    fn output_alias(&self, position: usize, label: &str) -> Result<String, CompileError> {
        let _ = position;
        self.quote_ident(label)
    }
    /// The placeholder of parameter `index` (1-based), with a cast to the value's type.
    fn placeholder(&self, index: usize, param: &SqlParam) -> String;
    /// The SQL type a date/time value is cast to before comparing with a column of `kind`.
    fn temporal_type(&self, kind: TemporalKind) -> &'static str;
    /// Case-sensitive literal substring test (no LIKE).
    fn contains(&self, column: &str, needle: &str) -> String;
    /// Case-sensitive prefix test.
    fn starts_with(&self, column: &str, prefix: &str) -> String;
    /// Case-sensitive suffix test.
    fn ends_with(&self, column: &str, suffix: &str) -> String;
    /// Partial regular-expression match.
    fn regex_match(&self, column: &str, pattern: &str) -> String;
    /// The column with blanks (space, tab, LF, CR) trimmed from both ends.
    fn trim_blank(&self, column: &str) -> String;
    /// An aggregate over `column`.
    fn aggregate(&self, function: AggregateFunction, column: &str) -> String;
    /// Truncation of `column` (of `kind`) to `unit`, optionally in zone `tz`.
    fn date_trunc(
        &self,
        b: &mut Builder<'_>,
        unit: DateTruncUnit,
        column: &str,
        kind: TemporalKind,
        tz: Option<Tz>,
    ) -> Result<String, CompileError>;
}

/// The lower-case unit name used by `date_trunc` in DuckDB and PostgreSQL.
pub(crate) fn unit_name(unit: DateTruncUnit) -> &'static str {
    match unit {
        DateTruncUnit::Day => "day",
        DateTruncUnit::Week => "week",
        DateTruncUnit::Month => "month",
        DateTruncUnit::Quarter => "quarter",
        DateTruncUnit::Year => "year",
    }
}
