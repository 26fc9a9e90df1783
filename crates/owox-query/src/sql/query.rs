//! The flat query shape (§11.2, §11.7) and the totals query (§11.9).

use owox_contract::http_data::{AggregateFunction, Placement, SortDirection};

use super::filters::render_rule;
use super::{
    relation_sql, Builder, CompileContext, CompiledQuery, Dialect, Source, SqlParam, Statement,
    TotalsQuery,
};
use crate::blend::Blend;
use crate::error::CompileError;
use crate::schema::{
    aggregate_label, allowed_aggregations, effective_type, FieldCategory, TemporalKind,
    ROW_COUNT_LABEL, UNIQUE_COUNT_LABEL,
};
use crate::validate::{output_names, ValidatedQuery};

const SRC: &str = "src";

/// The largest LIMIT every supported engine accepts (DuckDB's 2^62).
const MAX_LIMIT: i64 = 1 << 62;

pub(super) struct Parts {
    /// `(expression, alias)` of each dimension (grouped queries) or column (flat queries).
    pub(super) dims: Vec<(String, String)>,
    /// `(expression, label)` of each aggregate, in output order.
    pub(super) metrics: Vec<(String, String)>,
    pub(super) select: Vec<String>,
    pub(super) wheres: Vec<String>,
    pub(super) havings: Vec<String>,
    pub(super) grouped: bool,
    /// `(label, SQL alias)` of each output column, in output order.
    pub(super) aliases: Vec<(String, String)>,
}

impl Parts {
    /// Adds `expr` as the next output column, named as the dialect names output columns.
    fn push_output(
        &mut self,
        b: &Builder<'_>,
        expr: &str,
        label: &str,
    ) -> Result<(), CompileError> {
        let alias = b.dialect.output_alias(self.select.len(), label)?;
        self.select.push(format!("{expr} AS {alias}"));
        self.aliases.push((label.to_string(), alias));
        Ok(())
    }
}

/// What a statement reads from: the data mart's own rows, or its rows joined with the
/// referenced fields of its related data marts.
#[derive(Clone, Copy)]
struct FromItem<'a> {
    source: Source<'a>,
    blend: Option<&'a Blend<'a>>,
}

fn from_clause(
    b: &mut Builder<'_>,
    from: FromItem<'_>,
    v: &ValidatedQuery,
    ctx: &CompileContext,
) -> Result<String, CompileError> {
    let src = match from.blend {
        Some(blend) => super::blend::render(b, from.source, blend, v, ctx)?,
        None => relation_sql(b, from.source)?,
    };
    let mut out = format!("{src} AS {}", b.ident(SRC)?);
    for j in &b.joins {
        out.push(' ');
        out.push_str(j);
    }
    Ok(out)
}

pub(super) fn col(b: &Builder<'_>, name: &str) -> Result<String, CompileError> {
    let name = b.renames.get(name).map_or(name, String::as_str);
    Ok(format!("{}.{}", b.ident(SRC)?, b.ident(name)?))
}

fn build_parts(
    b: &mut Builder<'_>,
    v: &ValidatedQuery,
    ctx: &CompileContext,
    with_columns: bool,
) -> Result<Parts, CompileError> {
    let q = &v.query;
    let aggs = q.aggregations();
    let grouped = q.grouped();
    let mut p = Parts {
        dims: Vec::new(),
        metrics: Vec::new(),
        select: Vec::new(),
        wheres: Vec::new(),
        havings: Vec::new(),
        grouped,
        aliases: Vec::new(),
    };
    let projected: &[String] = if with_columns { &v.selected } else { &[] };
    for name in projected {
        let c = col(b, name)?;
        let fns: Vec<AggregateFunction> = aggs
            .iter()
            .filter(|a| &a.column == name)
            .map(|a| a.function)
            .collect();
        if !fns.is_empty() {
            for f in fns {
                let label = aggregate_label(name, f);
                let expr = b.dialect.aggregate(f, &c);
                p.push_output(b, &expr, &label)?;
                p.metrics.push((expr, label));
            }
            continue;
        }
        let expr = match q.date_truncs().iter().find(|d| &d.column == name) {
            Some(rule) => {
                let kind = v
                    .field(name)
                    .and_then(|f| TemporalKind::of(&f.type_name))
                    .unwrap_or(TemporalKind::Timestamp);
                let tz = match &rule.time_zone {
                    Some(z) => Some(
                        z.parse::<chrono_tz::Tz>()
                            .map_err(|_| CompileError::UnknownTimeZone(z.clone()))?,
                    ),
                    None => None,
                };
                let d: &dyn Dialect = b.dialect;
                d.date_trunc(b, rule.unit, &c, kind, tz)?
            }
            None => c,
        };
        p.push_output(b, &expr, name)?;
        p.dims.push((expr, name.clone()));
    }
    if !aggs.is_empty() && with_columns {
        p.push_output(b, "COUNT(*)", ROW_COUNT_LABEL)?;
    }
    let keys = q.unique_count_keys();
    if !keys.is_empty() && with_columns {
        let expr = unique_count(b, keys)?;
        p.push_output(b, &expr, UNIQUE_COUNT_LABEL)?;
    }
    for rule in q.filters() {
        if rule.placement == Some(Placement::PreJoin) {
            continue; // rendered inside the joined source
        }
        let type_name = v
            .field(&rule.column)
            .map(|f| f.type_name.clone())
            .unwrap_or_default();
        let c = col(b, &rule.column)?;
        match rule.function {
            None => p.wheres.push(render_rule(b, rule, &c, &type_name, ctx)?),
            Some(f) => {
                let expr = b.dialect.aggregate(f, &c);
                let t = effective_type(&type_name, f);
                p.havings.push(render_rule(b, rule, &expr, &t, ctx)?);
            }
        }
    }
    Ok(p)
}

/// `COUNT(DISTINCT pk)`, or for a composite key the distinct concatenations of the key values
/// as text joined with U+241F (NULL as empty), as the reference writes it (§11.5).
fn unique_count(b: &Builder<'_>, keys: &[String]) -> Result<String, CompileError> {
    if let [key] = keys {
        return Ok(format!("COUNT(DISTINCT {})", col(b, key)?));
    }
    let parts = keys
        .iter()
        .map(|k| Ok(format!("COALESCE(CAST({} AS VARCHAR), '')", col(b, k)?)))
        .collect::<Result<Vec<_>, CompileError>>()?;
    Ok(format!(
        "COUNT(DISTINCT {})",
        parts.join(" || '\u{241F}' || ")
    ))
}

/// ` GROUP BY k, …`, or nothing without keys.
pub(super) fn group_by(keys: &[String]) -> String {
    if keys.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", keys.join(", "))
    }
}

/// `<join> <table> ON right.k IS NOT DISTINCT FROM left.k AND …` on the key columns `keys`
/// both sides carry, or a CROSS JOIN without keys (one grand-total group).
pub(super) fn null_safe_join(
    join: &str,
    table: &str,
    right: &str,
    left: &str,
    keys: &[String],
) -> String {
    if keys.is_empty() {
        return format!("CROSS JOIN {table}");
    }
    let on: Vec<String> = keys
        .iter()
        .map(|k| format!("{left}.{k} IS NOT DISTINCT FROM {right}.{k}"))
        .collect();
    format!("{join} {table} ON {}", on.join(" AND "))
}

/// `SELECT … FROM … [WHERE] [GROUP BY] [HAVING]` of the flat and grouped shapes (§11.2).
fn plain_select(p: &Parts, from_sql: &str) -> String {
    let mut sql = format!("SELECT {} FROM {from_sql}", p.select.join(", "));
    if !p.wheres.is_empty() {
        sql.push_str(&format!(" WHERE {}", p.wheres.join(" AND ")));
    }
    if p.grouped && !p.dims.is_empty() {
        let keys: Vec<&str> = p.dims.iter().map(|(e, _)| e.as_str()).collect();
        sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
    }
    if !p.havings.is_empty() {
        sql.push_str(&format!(" HAVING {}", p.havings.join(" AND ")));
    }
    sql
}

/// Compiles a validated request for `dialect`, reading from `source`.
pub fn compile(
    v: &ValidatedQuery,
    dialect: &dyn Dialect,
    source: Source<'_>,
    ctx: &CompileContext,
) -> Result<CompiledQuery, CompileError> {
    compile_from(
        v,
        dialect,
        FromItem {
            source,
            blend: None,
        },
        ctx,
    )
}

/// Compiles a validated request for `dialect`, reading from `source` joined with the
/// referenced fields of the related data marts in `blend` (§11.8). The request must have been
/// validated with the same blend ([`crate::validate_blended`]).
pub fn compile_blended(
    v: &ValidatedQuery,
    dialect: &dyn Dialect,
    source: Source<'_>,
    blend: &Blend<'_>,
    ctx: &CompileContext,
) -> Result<CompiledQuery, CompileError> {
    let blend = (!blend.sources.is_empty()).then_some(blend);
    compile_from(v, dialect, FromItem { source, blend }, ctx)
}

fn builder<'d>(dialect: &'d dyn Dialect, from: FromItem<'_>) -> Builder<'d> {
    let mut b = Builder::new(dialect);
    if let Some(blend) = from.blend {
        b.renames = super::blend::renames(blend).into_iter().collect();
    }
    b
}

fn compile_from(
    v: &ValidatedQuery,
    dialect: &dyn Dialect,
    from: FromItem<'_>,
    ctx: &CompileContext,
) -> Result<CompiledQuery, CompileError> {
    let q = &v.query;
    let mut b = builder(dialect, from);
    let p = build_parts(&mut b, v, ctx, true)?;
    let from_sql = from_clause(&mut b, from, v, ctx)?;
    let sleeved = match from.blend {
        Some(blend) if p.grouped => super::sleeves::sleeved(&b, &p, v, blend, &from_sql)?,
        _ => None,
    };
    let mut sql = match sleeved {
        Some(sql) => sql,
        None => plain_select(&p, &from_sql),
    };
    let mut order = Vec::new();
    for s in q.sorts() {
        let target = if p.grouped {
            let alias = q
                .aggregations()
                .iter()
                .find(|a| a.column == s.column)
                .map(|a| aggregate_label(&a.column, a.function))
                .unwrap_or_else(|| s.column.clone());
            match p.aliases.iter().find(|(label, _)| *label == alias) {
                Some((_, sql_alias)) => sql_alias.clone(),
                None => b.ident(&alias)?,
            }
        } else {
            col(&b, &s.column)?
        };
        let dir = if s.direction == SortDirection::Asc {
            "ASC"
        } else {
            "DESC"
        };
        order.push(format!("{target} {dir}"));
    }
    if !order.is_empty() {
        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    if let Some(limit) = q.limit {
        // The reference has no upper bound; engines do (DuckDB: 2^62), and no result comes
        // near it, so larger limits are clamped there.
        let ph = b.bind(SqlParam::Int(
            i64::try_from(limit).unwrap_or(MAX_LIMIT).min(MAX_LIMIT),
        ));
        sql.push_str(&format!(" LIMIT {ph}"));
    }
    let statement = Statement {
        sql,
        params: b.params,
    };
    let totals = totals(v, dialect, from, ctx)?;
    Ok(CompiledQuery {
        columns: output_names(&v.selected, q),
        statement,
        totals,
    })
}

/// §11.9: every selected column that is numeric or explicitly aggregated, with each of its
/// governance-allowed functions except ANY_VALUE and STRING_AGG, over the filtered rows (and,
/// with HAVING rules, only the rows of the surviving groups).
fn totals(
    v: &ValidatedQuery,
    dialect: &dyn Dialect,
    from: FromItem<'_>,
    ctx: &CompileContext,
) -> Result<Option<TotalsQuery>, CompileError> {
    let q = &v.query;
    let mut b = builder(dialect, from);
    let mut targets: Vec<(String, AggregateFunction)> = Vec::new();
    for name in &v.selected {
        let Some(field) = v.field(name) else { continue };
        let aggregated = q.aggregations().iter().any(|a| &a.column == name);
        if field.category() != FieldCategory::Number && !aggregated {
            continue;
        }
        for f in allowed_aggregations(field) {
            if !matches!(
                f,
                AggregateFunction::AnyValue | AggregateFunction::StringAgg
            ) {
                targets.push((name.clone(), f));
            }
        }
    }
    if targets.is_empty() {
        return Ok(None);
    }
    let has_having = q.filters().iter().any(|r| r.function.is_some());
    let p = build_parts(&mut b, v, ctx, has_having)?;
    let mut select = Vec::new();
    let mut labels = Vec::new();
    for (name, f) in &targets {
        let label = aggregate_label(name, *f);
        select.push(format!(
            "{} AS {}",
            dialect.aggregate(*f, &col(&b, name)?),
            dialect.output_alias(select.len(), &label)?
        ));
        labels.push(label);
    }
    let where_sql = if p.wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", p.wheres.join(" AND "))
    };
    let from_sql = from_clause(&mut b, from, v, ctx)?;
    let sql = if p.havings.is_empty() {
        format!("SELECT {} FROM {from_sql}{where_sql}", select.join(", "))
    } else {
        // _rows: the filtered rows with their group keys; _kept_groups: the keys that pass HAVING.
        let src = b.ident(SRC)?;
        let keys: Vec<String> = (0..p.dims.len())
            .map(|i| b.ident(&format!("__owox_k{i}")))
            .collect::<Result<_, _>>()?;
        let mut rows_select = vec![format!("{src}.*")];
        for ((expr, _), k) in p.dims.iter().zip(&keys) {
            rows_select.push(format!("{expr} AS {k}"));
        }
        let rows = b.ident("_rows")?;
        let kept = b.ident("_kept_groups")?;
        let kg = b.ident("_kg")?;
        let kept_select = if keys.is_empty() {
            "1 AS \"__owox_one\"".to_string()
        } else {
            keys.join(", ")
        };
        let group_by = group_by(&keys);
        let join = null_safe_join("JOIN", &format!("{kept} AS {kg}"), &kg, &src, &keys);
        format!(
            "WITH {rows} AS (SELECT {} FROM {}{where_sql}), {kept} AS (SELECT {kept_select} FROM \
             {rows} AS {src}{group_by} HAVING {}) SELECT {} FROM {rows} AS {src} {join}",
            rows_select.join(", "),
            from_sql,
            p.havings.join(" AND "),
            select.join(", ")
        )
    };
    let grouped = q.grouped();
    Ok(Some(TotalsQuery {
        labels,
        statement: Statement {
            sql,
            params: b.params,
        },
        over_streamed_rows: q.limit.is_none() && !grouped && !has_having,
        targets,
    }))
}
