//! Joined metrics at the report's grain (§11.8, "metric sleeves"): a SUM, AVG, STRING_AGG or
//! percentile of a joined column counts each related row once per group, however many root
//! rows it is joined to. Each such metric is computed in its own CTE from the distinct
//! `(group keys, related row key, value)` tuples of the filtered rows and joined back to the
//! groups NULL-safe:
//!
//! ```sql
//! WITH "_rows" AS (SELECT "src".*, <dim 0> AS "__owox_g0" FROM <source> WHERE …),
//!      "_sleeve0" AS (SELECT "__owox_g0", SUM("v") AS "m" FROM (SELECT DISTINCT "__owox_g0",
//!                     "__owox_s0_k0", "src"."__owox_b3" AS "v" FROM "_rows" AS "src") AS "d"
//!                     GROUP BY "__owox_g0")
//! SELECT "src"."__owox_g0" AS …, MAX("_sleeve0"."m") AS …, COUNT(*) AS "Row Count"
//! FROM "_rows" AS "src" LEFT JOIN "_sleeve0" ON "_sleeve0"."__owox_g0" IS NOT DISTINCT FROM
//! "src"."__owox_g0" GROUP BY "src"."__owox_g0" HAVING …
//! ```
//!
//! MIN, MAX and COUNT_DISTINCT give the same result either way, and COUNT and ANY_VALUE read
//! the joined rows (as the reference), so they stay plain aggregates.

use owox_contract::http_data::AggregateFunction;

use super::blend::{key_count, key_name};
use super::query::{col, group_by, null_safe_join, Parts};
use super::Builder;
use crate::blend::Blend;
use crate::error::CompileError;
use crate::schema::aggregate_label;
use crate::validate::ValidatedQuery;

/// Whether `function` over a joined column is computed per related row.
fn per_related_row(function: AggregateFunction) -> bool {
    use AggregateFunction::*;
    matches!(function, Sum | Avg | StringAgg | P25 | P50 | P75 | P95)
}

/// The grouped statement without ORDER BY and LIMIT when some metric needs a sleeve, else
/// `None` (the plain shape applies).
pub(super) fn sleeved(
    b: &Builder<'_>,
    p: &Parts,
    v: &ValidatedQuery,
    blend: &Blend<'_>,
    from_sql: &str,
) -> Result<Option<String>, CompileError> {
    // (output label, joined field index, function)
    let sleeves: Vec<(String, usize, AggregateFunction)> = v
        .query
        .aggregations()
        .iter()
        .filter(|a| per_related_row(a.function))
        .filter_map(|a| {
            let i = blend.fields.iter().position(|f| f.name == a.column)?;
            Some((aggregate_label(&a.column, a.function), i, a.function))
        })
        .collect();
    if sleeves.is_empty() {
        return Ok(None);
    }
    let src = b.ident("src")?;
    let rows = b.ident("_rows")?;
    let groups: Vec<String> = (0..p.dims.len())
        .map(|i| b.ident(&format!("__owox_g{i}")))
        .collect::<Result<_, _>>()?;
    let mut rows_select = vec![format!("{src}.*")];
    for ((expr, _), g) in p.dims.iter().zip(&groups) {
        rows_select.push(format!("{expr} AS {g}"));
    }
    let where_sql = if p.wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", p.wheres.join(" AND "))
    };
    let mut ctes = vec![format!(
        "{rows} AS (SELECT {} FROM {from_sql}{where_sql})",
        rows_select.join(", ")
    )];
    let mut joins = Vec::new();
    let mut sleeve_exprs: Vec<(String, String)> = Vec::new();
    for (n, (label, field, function)) in sleeves.iter().enumerate() {
        let source = blend.fields[*field].source;
        let keys: Vec<String> = (0..key_count(&blend.sources[source]))
            .map(|k| b.ident(&key_name(source, k)))
            .collect::<Result<_, _>>()?;
        let name = b.ident(&format!("_sleeve{n}"))?;
        let value = b.ident("v")?;
        let m = b.ident("m")?;
        let distinct: Vec<String> = groups
            .iter()
            .chain(&keys)
            .cloned()
            .chain([format!(
                "{} AS {value}",
                col(b, &blend.fields[*field].name)?
            )])
            .collect();
        let group_by = group_by(&groups);
        let select: Vec<String> = groups
            .iter()
            .cloned()
            .chain([format!("{} AS {m}", b.dialect.aggregate(*function, &value))])
            .collect();
        ctes.push(format!(
            "{name} AS (SELECT {} FROM (SELECT DISTINCT {} FROM {rows} AS {src}) AS {}{group_by})",
            select.join(", "),
            distinct.join(", "),
            b.ident("d")?
        ));
        joins.push(null_safe_join("LEFT JOIN", &name, &name, &src, &groups));
        sleeve_exprs.push((label.clone(), format!("MAX({name}.{m})")));
    }
    // The outer select: dimensions from their group columns, sleeve metrics from their CTEs,
    // everything else (native aggregates, Row Count, Unique Count) as compiled.
    let mut select = Vec::new();
    for (k, (label, alias)) in p.aliases.iter().enumerate() {
        if let Some(i) = p.dims.iter().position(|(_, name)| name == label) {
            select.push(format!("{src}.{} AS {alias}", groups[i]));
        } else if let Some((_, expr)) = sleeve_exprs.iter().find(|(l, _)| l == label) {
            select.push(format!("{expr} AS {alias}"));
        } else {
            select.push(p.select[k].clone());
        }
    }
    let mut sql = format!(
        "WITH {} SELECT {} FROM {rows} AS {src} {}",
        ctes.join(", "),
        select.join(", "),
        joins.join(" ")
    );
    let qualified: Vec<String> = groups.iter().map(|g| format!("{src}.{g}")).collect();
    sql.push_str(&group_by(&qualified));
    if !p.havings.is_empty() {
        sql.push_str(&format!(" HAVING {}", p.havings.join(" AND ")));
    }
    Ok(Some(sql))
}
