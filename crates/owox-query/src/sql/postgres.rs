//! PostgreSQL: `$n` placeholders with casts, `strpos`, POSIX `~` regexes, zones natively
//! (`AT TIME ZONE` with the zone name bound as a parameter).

use chrono_tz::Tz;
use owox_contract::http_data::{AggregateFunction, DateTruncUnit};

use super::{quote_double, unit_name, Builder, Dialect, SqlParam};
use crate::error::CompileError;
use crate::schema::TemporalKind;

/// The PostgreSQL dialect (tested on PostgreSQL 15; needs 11+ for `starts_with`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn name(&self) -> &'static str {
        "PostgreSQL"
    }

    fn quote_ident(&self, ident: &str) -> Result<String, CompileError> {
        quote_double("PostgreSQL", ident)
    }

    /// Positional (`"c0"`, `"c1"`, …): PostgreSQL truncates identifiers at 63 bytes, so two
    /// long labels (`<long column> Sum`, `<long column> Avg`) would collide.
    fn output_alias(&self, position: usize, _label: &str) -> Result<String, CompileError> {
        Ok(format!("\"c{position}\""))
    }

    fn placeholder(&self, index: usize, param: &SqlParam) -> String {
        let ty = match param {
            SqlParam::Null | SqlParam::Text(_) => "text",
            SqlParam::Bool(_) => "boolean",
            SqlParam::Int(_) => "bigint",
            SqlParam::Float(_) => "double precision",
            SqlParam::Date(_) => "date",
            SqlParam::Timestamp(_) => "timestamp",
            SqlParam::TimestampTz(_) => "timestamptz",
        };
        format!("${index}::{ty}")
    }

    fn temporal_type(&self, kind: TemporalKind) -> &'static str {
        match kind {
            TemporalKind::Date => "date",
            TemporalKind::Timestamp => "timestamp",
            TemporalKind::TimestampTz => "timestamptz",
            TemporalKind::Time => "time",
            TemporalKind::TimeTz => "timetz",
        }
    }

    fn contains(&self, column: &str, needle: &str) -> String {
        format!("strpos({column}, {needle}) > 0")
    }

    fn starts_with(&self, column: &str, prefix: &str) -> String {
        format!("starts_with({column}, {prefix})")
    }

    fn ends_with(&self, column: &str, suffix: &str) -> String {
        format!("right({column}, length({suffix})) = {suffix}")
    }

    fn regex_match(&self, column: &str, pattern: &str) -> String {
        format!("{column} ~ {pattern}")
    }

    fn trim_blank(&self, column: &str) -> String {
        format!("btrim({column}, chr(32) || chr(9) || chr(10) || chr(13))")
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
            // any_value() arrived in PostgreSQL 16; this works everywhere and skips NULLs.
            AnyValue => format!("(array_agg({c}) FILTER (WHERE {c} IS NOT NULL))[1]"),
            StringAgg => format!("string_agg(CAST({c} AS text), ', ')"),
            P25 => format!("percentile_cont(0.25) WITHIN GROUP (ORDER BY {c})"),
            P50 => format!("percentile_cont(0.5) WITHIN GROUP (ORDER BY {c})"),
            P75 => format!("percentile_cont(0.75) WITHIN GROUP (ORDER BY {c})"),
            P95 => format!("percentile_cont(0.95) WITHIN GROUP (ORDER BY {c})"),
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
        Ok(match (kind, tz) {
            (TemporalKind::Date, _) => {
                format!("CAST(date_trunc('{u}', CAST({c} AS timestamp)) AS date)")
            }
            (TemporalKind::TimestampTz, None) => {
                format!("date_trunc('{u}', {c} AT TIME ZONE 'UTC')")
            }
            (TemporalKind::TimestampTz, Some(z)) => {
                let zone = b.bind(SqlParam::Text(z.name().to_string()));
                format!("date_trunc('{u}', {c} AT TIME ZONE {zone})")
            }
            (_, None) => format!("date_trunc('{u}', {c})"),
            (_, Some(z)) => {
                let zone = b.bind(SqlParam::Text(z.name().to_string()));
                format!("date_trunc('{u}', ({c} AT TIME ZONE 'UTC') AT TIME ZONE {zone})")
            }
        })
    }
}
