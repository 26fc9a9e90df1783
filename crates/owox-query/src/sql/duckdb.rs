//! DuckDB without the ICU extension: `$n` placeholders with casts, `strpos`, RE2 regexes via
//! `regexp_matches`, and zones through a table of UTC-offset transitions computed in Rust
//! (chrono-tz) and joined with an ASOF join, so no time-zone support is needed in the engine.

use chrono_tz::Tz;
use owox_contract::http_data::{AggregateFunction, DateTruncUnit};

use super::{quote_double, unit_name, Builder, Dialect, SqlParam};
use crate::dates::transitions;
use crate::error::CompileError;
use crate::schema::TemporalKind;

/// The DuckDB dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "DuckDB"
    }

    fn quote_ident(&self, ident: &str) -> Result<String, CompileError> {
        quote_double("DuckDB", ident)
    }

    fn placeholder(&self, index: usize, param: &SqlParam) -> String {
        let ty = match param {
            SqlParam::Null | SqlParam::Text(_) => "VARCHAR",
            SqlParam::Bool(_) => "BOOLEAN",
            SqlParam::Int(_) => "BIGINT",
            SqlParam::Float(_) => "DOUBLE",
            SqlParam::Date(_) => "DATE",
            SqlParam::Timestamp(_) => "TIMESTAMP",
            SqlParam::TimestampTz(_) => "TIMESTAMPTZ",
        };
        format!("CAST(${index} AS {ty})")
    }

    fn temporal_type(&self, kind: TemporalKind) -> &'static str {
        match kind {
            TemporalKind::Date => "DATE",
            TemporalKind::Timestamp => "TIMESTAMP",
            TemporalKind::TimestampTz => "TIMESTAMPTZ",
            TemporalKind::Time => "TIME",
            TemporalKind::TimeTz => "TIMETZ",
        }
    }

    fn contains(&self, column: &str, needle: &str) -> String {
        format!("strpos({column}, {needle}) > 0")
    }

    fn starts_with(&self, column: &str, prefix: &str) -> String {
        format!("starts_with({column}, {prefix})")
    }

    fn ends_with(&self, column: &str, suffix: &str) -> String {
        format!("ends_with({column}, {suffix})")
    }

    fn regex_match(&self, column: &str, pattern: &str) -> String {
        format!("regexp_matches({column}, {pattern})")
    }

    fn trim_blank(&self, column: &str) -> String {
        format!("trim({column}, chr(32) || chr(9) || chr(10) || chr(13))")
    }

    fn aggregate(&self, function: AggregateFunction, c: &str) -> String {
        use AggregateFunction::*;
        match function {
            Sum => format!("SUM({c})"),
            Min => format!("MIN({c})"),
            Max => format!("MAX({c})"),
            Avg => format!("AVG({c})"),
            Count => format!("COUNT({c})"),
            CountDistinct => format!("COUNT(DISTINCT {c})"),
            AnyValue => format!("any_value({c})"),
            StringAgg => format!("string_agg(CAST({c} AS VARCHAR), ', ')"),
            P25 => format!("quantile_cont({c}, 0.25)"),
            P50 => format!("quantile_cont({c}, 0.5)"),
            P75 => format!("quantile_cont({c}, 0.75)"),
            P95 => format!("quantile_cont({c}, 0.95)"),
        }
    }

    fn date_trunc(
        &self,
        b: &mut Builder<'_>,
        unit: DateTruncUnit,
        c: &str,
        kind: TemporalKind,
        tz: Option<Tz>,
    ) -> Result<String, CompileError> {
        let u = unit_name(unit);
        let utc = format!("CAST({c} AS TIMESTAMP)");
        Ok(match (kind, tz) {
            (TemporalKind::Date, _) => format!("CAST(date_trunc('{u}', {c}) AS DATE)"),
            (_, None) => format!("date_trunc('{u}', {utc})"),
            (_, Some(z)) => {
                // A table of (UTC start, offset seconds) rows over 1900–2100, ASOF-joined on the
                // instant: local wall time = UTC + the offset in force. The rows are computed
                // from the zone database, never user text; the zone name is not in the SQL.
                let alias = b.ident(&format!("_tz{}", b.joins.len()))?;
                let rows: Vec<String> = transitions(z)
                    .iter()
                    .map(|t| {
                        format!(
                            "(TIMESTAMP '{}', {})",
                            t.start.format("%Y-%m-%d %H:%M:%S"),
                            t.offset_seconds
                        )
                    })
                    .collect();
                b.add_join(format!(
                    "ASOF LEFT JOIN (VALUES {}) AS {alias}(\"start\", \"off\") ON {utc} >= {alias}.\"start\"",
                    rows.join(", ")
                ));
                format!("date_trunc('{u}', {utc} + to_seconds(CAST({alias}.\"off\" AS BIGINT)))")
            }
        })
    }
}
