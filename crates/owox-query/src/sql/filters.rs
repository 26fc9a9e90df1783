//! Filter rule rendering (§11.3, §11.4), shared by every dialect.

use owox_contract::http_data::{FilterOperator, FilterRule, FilterValue, Scalar};

use super::{Builder, CompileContext, SqlParam};
use crate::dates::{relative_range, start_of_day};
use crate::error::CompileError;
use crate::schema::{FieldCategory, TemporalKind};

/// A scalar as a parameter: integral doubles up to 2^53 bind as integers.
pub(crate) fn scalar_param(v: &Scalar) -> SqlParam {
    match v {
        Scalar::String(s) => SqlParam::Text(s.clone()),
        Scalar::Bool(b) => SqlParam::Bool(*b),
        Scalar::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
            SqlParam::Int(*n as i64)
        }
        Scalar::Number(n) => SqlParam::Float(*n),
    }
}

/// A bound value, cast to the column's date/time type when the column has one (§11.3).
fn value(b: &mut Builder<'_>, v: &Scalar, kind: Option<TemporalKind>) -> String {
    let ph = b.bind(scalar_param(v));
    match kind {
        Some(k) => format!("CAST({ph} AS {})", b.dialect.temporal_type(k)),
        None => ph,
    }
}

fn text(b: &mut Builder<'_>, v: &FilterValue) -> String {
    let s = match v {
        FilterValue::Scalar(s) => s.to_js_string(),
        _ => String::new(),
    };
    b.bind(SqlParam::Text(s))
}

/// Renders one rule against the SQL expression `c` whose stored (or effective) type is
/// `type_name`.
pub(crate) fn render_rule(
    b: &mut Builder<'_>,
    rule: &FilterRule,
    c: &str,
    type_name: &str,
    ctx: &CompileContext,
) -> Result<String, CompileError> {
    use FilterOperator::*;
    let kind = TemporalKind::of(type_name);
    let scalar = |b: &mut Builder<'_>| match &rule.value {
        FilterValue::Scalar(s) => value(b, s, kind),
        _ => b.bind(SqlParam::Null),
    };
    let d = b.dialect;
    Ok(match rule.operator {
        Eq => format!("{c} = {}", scalar(b)),
        Gt => format!("{c} > {}", scalar(b)),
        Lt => format!("{c} < {}", scalar(b)),
        Gte => format!("{c} >= {}", scalar(b)),
        Lte => format!("{c} <= {}", scalar(b)),
        Neq => format!("({c} IS NULL OR {c} <> {})", scalar(b)),
        Contains => d.contains(c, &text(b, &rule.value)),
        NotContains => format!(
            "({c} IS NULL OR NOT {})",
            d.contains(c, &text(b, &rule.value))
        ),
        StartsWith => d.starts_with(c, &text(b, &rule.value)),
        EndsWith => d.ends_with(c, &text(b, &rule.value)),
        Regex => d.regex_match(c, &text(b, &rule.value)),
        NotRegex => format!(
            "({c} IS NULL OR NOT {})",
            d.regex_match(c, &text(b, &rule.value))
        ),
        IsEmpty => format!("({c} IS NULL OR {c} = '')"),
        IsNotEmpty => format!("({c} IS NOT NULL AND {c} <> '')"),
        IsBlank if FieldCategory::of(type_name) == FieldCategory::String => {
            format!("({c} IS NULL OR {} = '')", d.trim_blank(c))
        }
        IsNotBlank if FieldCategory::of(type_name) == FieldCategory::String => {
            format!("({c} IS NOT NULL AND {} <> '')", d.trim_blank(c))
        }
        IsNull | IsBlank => format!("{c} IS NULL"),
        IsNotNull | IsNotBlank => format!("{c} IS NOT NULL"),
        IsTrue => format!("{c} = TRUE"),
        IsFalse => format!("{c} = FALSE"),
        Between => match &rule.value {
            FilterValue::Range { from, to } => {
                let lo = value(b, from, kind);
                let hi = value(b, to, kind);
                format!("{c} BETWEEN {lo} AND {hi}")
            }
            _ => "FALSE".to_string(),
        },
        In | NotIn => {
            let list = match &rule.value {
                FilterValue::List(items) => items
                    .iter()
                    .map(|v| value(b, v, kind))
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => b.bind(SqlParam::Null),
            };
            if rule.operator == In {
                format!("{c} IN ({list})")
            } else {
                format!("({c} IS NULL OR {c} NOT IN ({list}))")
            }
        }
        RelativeDate => {
            let FilterValue::RelativeDate(preset) = &rule.value else {
                return Ok("FALSE".to_string());
            };
            let (start, end) = relative_range(*preset, ctx.today())?;
            let (lo, hi) = if kind == Some(TemporalKind::TimestampTz) {
                (
                    b.bind(SqlParam::TimestampTz(start_of_day(ctx.time_zone, start))),
                    b.bind(SqlParam::TimestampTz(start_of_day(ctx.time_zone, end))),
                )
            } else {
                (b.bind(SqlParam::Date(start)), b.bind(SqlParam::Date(end)))
            };
            format!("({c} >= {lo} AND {c} < {hi})")
        }
    })
}
