//! The HTTP Data query compiler: request parameters → validated plan → SQL with bound
//! parameters, per dialect.
//!
//! This crate is the pure core of `GET /api/external/http-data/data-marts/{id}.ndjson`
//! (spec `http-data.md` §4–§7, §11). It takes a data mart's output schema ([`Field`]s) and the
//! request's query pairs, and returns either the reference's validation error, word for word
//! ([`QueryError`], which also says which HTTP body it maps to), or a [`CompiledQuery`]: the
//! output keys in order, the row statement and the totals statement, for a [`Dialect`]
//! ([`DuckDb`], [`Postgres`]).
//!
//! The server calls the stages in the order the reference runs them, because what happens in
//! between (the data mart lookup, the project balance gate, seeding the run record) decides
//! which error wins and whether a run is recorded:
//!
//! 1. [`parse_query`] — §3.1 step 2, before any lookup;
//! 2. [`resolve_columns`] — step 6 (columns and the existence check);
//! 3. [`validate`] — step 8, output-controls validation (a FAILED run is recorded);
//! 4. [`compile`] — SQL for one dialect, given the source relation and the caller's clock.
//!
//! What this crate is not: it does no I/O, reads no clock and no environment, knows nothing of
//! HTTP, auth, run records or storages, and never executes SQL. Every user-given value reaches
//! the SQL as a bound parameter and every identifier through the dialect's quoting; the only
//! text spliced in verbatim is the caller's trusted source SQL ([`Source::Subquery`]).
//! Joined (blended) columns come in as a [`Blend`] that the server builds from the data mart's
//! relationships; [`resolve_blended_columns`], [`validate_blended`] and [`compile_blended`]
//! take it (the plain functions are the same with no related data marts).

mod blend;
mod blend_names;
mod dates;
mod error;
mod params;
mod resolve;
mod schema;
mod sql;
mod validate;

pub use blend::{default_dedup_function, Blend, BlendSource, BlendedField};
pub use blend_names::blended_field_name;
pub use dates::{relative_range, start_of_day, transitions, Transition};
pub use error::{BodyKind, CompileError, QueryError, ValidationError};
pub use params::{parse_query, HttpDataQuery};
pub use resolve::{resolve_blended_columns, resolve_columns, ResolvedColumns};
pub use schema::{
    aggregate_label, allowed_aggregations, effective_type, Field, FieldCategory, TemporalKind,
    ROW_COUNT_LABEL, UNIQUE_COUNT_LABEL,
};
pub use sql::{
    compile, compile_blended, quote_double, Builder, CompileContext, CompiledQuery, Dialect,
    DuckDb, Postgres, Source, SqlParam, Statement, TotalsQuery,
};
pub use validate::{validate, validate_blended, ValidatedQuery};

/// Runs every stage at once: parse, resolve, validate and compile. Convenient for tests and for
/// callers that do nothing between the stages.
pub fn compile_request(
    fields: &[Field],
    pairs: &[(String, String)],
    dialect: &dyn Dialect,
    source: Source<'_>,
    ctx: &CompileContext,
) -> Result<CompiledQuery, QueryError> {
    let query = parse_query(pairs)?;
    let resolved = resolve_columns(fields, &query)?;
    let validated = validate(fields, &query, &resolved)?;
    Ok(compile(&validated, dialect, source, ctx)?)
}
