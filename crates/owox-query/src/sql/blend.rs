//! The joined source of a data mart with relationships (§11.8): the root's rows with the
//! referenced joined fields as extra columns, each related data mart collapsed to one row per
//! join key before it is LEFT JOINed, so the root's row count never grows.
//!
//! ```sql
//! (WITH "__owox_j0_raw" AS (SELECT * FROM <orders> AS "t" WHERE <pre-join filters>),
//!       "__owox_j0" AS (SELECT "t"."id" AS "k0", SUM("t"."amount") AS "v0"
//!                       FROM "__owox_j0_raw" AS "t" GROUP BY "t"."id")
//!  SELECT "__owox_main".*, "__owox_j0"."v0" AS "__owox_b3"
//!  FROM <root> AS "__owox_main"
//!  LEFT JOIN "__owox_j0" ON "__owox_main"."order_id" = "__owox_j0"."k0")
//! ```
//!
//! Names inside are positional (`k<n>`, `v<n>`, `__owox_b<field index>`): unified names can
//! exceed PostgreSQL's 63-byte identifiers, and positional ones cannot collide.

use std::collections::BTreeSet;

use owox_contract::http_data::{AggregateFunction, Placement};

use super::filters::render_rule;
use super::{relation_sql, Builder, CompileContext, Source};
use crate::blend::Blend;
use crate::error::CompileError;
use crate::validate::ValidatedQuery;

const MAIN: &str = "__owox_main";

/// The SQL column a joined field is carried under in the joined source.
pub(super) fn carried_name(field_index: usize) -> String {
    format!("__owox_b{field_index}")
}

/// The SQL column that carries key `n` of joined source `source` in the joined source.
pub(super) fn key_name(source: usize, n: usize) -> String {
    format!("__owox_s{source}_k{n}")
}

/// The number of key columns of a joined source (its distinct join target fields).
pub(super) fn key_count(source: &crate::blend::BlendSource<'_>) -> usize {
    let mut seen: Vec<&str> = Vec::new();
    for (_, key) in &source.join {
        if !seen.contains(&key.as_str()) {
            seen.push(key);
        }
    }
    seen.len()
}

/// The names of every joined field the query references, mapped to their carried names.
pub(super) fn renames(blend: &Blend<'_>) -> Vec<(String, String)> {
    blend
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), carried_name(i)))
        .collect()
}

/// One related data mart's collapsed CTE: the aliases of its columns.
#[derive(Default)]
struct Collapsed {
    /// `(field, alias)` of the join keys it is grouped by.
    keys: Vec<(String, String)>,
    /// `(joined field index, alias)` of the referenced fields, each through its dedup function.
    outputs: Vec<(usize, String)>,
    /// `(field, alias)` of the fields deeper sources join on, through MIN.
    links: Vec<(String, String)>,
}

fn by_field<'a>(list: &'a [(String, String)], field: &str) -> Option<&'a str> {
    list.iter()
        .find(|(f, _)| f == field)
        .map(|(_, a)| a.as_str())
}

impl Collapsed {
    fn key(&self, field: &str) -> Option<&str> {
        by_field(&self.keys, field)
    }
    /// The column of joined field `index` (its own field `field`).
    fn output(&self, index: usize, field: &str) -> Option<&str> {
        self.key(field).or_else(|| {
            self.outputs
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, a)| a.as_str())
        })
    }
    /// The column a deeper source joins on.
    fn link(&self, field: &str) -> Option<&str> {
        self.key(field).or_else(|| by_field(&self.links, field))
    }
}

/// Renders the joined source, parenthesized, for [`super::query::compile_blended`].
pub(super) fn render(
    b: &mut Builder<'_>,
    root: Source<'_>,
    blend: &Blend<'_>,
    v: &ValidatedQuery,
    ctx: &CompileContext,
) -> Result<String, CompileError> {
    let q = &v.query;
    let referenced: BTreeSet<&str> = v
        .selected
        .iter()
        .map(String::as_str)
        .chain(q.filters().iter().map(|r| r.column.as_str()))
        .chain(q.sorts().iter().map(|r| r.column.as_str()))
        .chain(q.aggregations().iter().map(|r| r.column.as_str()))
        .chain(q.date_truncs().iter().map(|r| r.column.as_str()))
        .collect();
    let fields: Vec<usize> = (0..blend.fields.len())
        .filter(|&i| referenced.contains(blend.fields[i].name.as_str()))
        .collect();
    // A source is joined when one of its fields is referenced, or a descendant's is.
    let mut needed = vec![false; blend.sources.len()];
    for &i in &fields {
        let mut s = Some(blend.fields[i].source);
        while let Some(idx) = s {
            if needed[idx] {
                break;
            }
            needed[idx] = true;
            s = blend.sources[idx].parent;
        }
    }

    let mut ctes = Vec::new();
    let mut collapsed: Vec<Option<Collapsed>> = (0..blend.sources.len()).map(|_| None).collect();
    let t = b.ident("t")?;
    for (si, source) in blend.sources.iter().enumerate() {
        if !needed[si] {
            continue;
        }
        if source.join.is_empty() {
            return Err(CompileError::Internal(
                "relationship without join conditions",
            ));
        }
        let raw = b.ident(&format!("__owox_j{si}_raw"))?;
        let mut wheres = Vec::new();
        for rule in q.filters() {
            if rule.placement != Some(Placement::PreJoin) || rule.function.is_some() {
                continue;
            }
            let Some(f) = blend.fields.iter().find(|f| f.name == rule.column) else {
                continue;
            };
            if f.source != si {
                continue;
            }
            let column = format!("{t}.{}", b.ident(&f.field)?);
            wheres.push(render_rule(b, rule, &column, &f.type_name, ctx)?);
        }
        let where_sql = if wheres.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", wheres.join(" AND "))
        };
        ctes.push(format!(
            "{raw} AS (SELECT * FROM {} AS {t}{where_sql})",
            relation_sql(b, source.relation)?
        ));

        // Keys first: one row per distinct join key.
        let mut c = Collapsed::default();
        let mut select = Vec::new();
        let mut group = Vec::new();
        for (_, key) in &source.join {
            if c.key(key).is_some() {
                continue;
            }
            let alias = format!("k{}", group.len());
            let expr = format!("{t}.{}", b.ident(key)?);
            select.push(format!("{expr} AS {}", b.ident(&alias)?));
            group.push(expr);
            c.keys.push((key.clone(), alias));
        }
        // Then the referenced fields, collapsed with their dedup function, and the fields the
        // children join on, collapsed with MIN (a join key must stay one of its values).
        let mut n = 0;
        for &i in &fields {
            let f = &blend.fields[i];
            if f.source != si || c.key(&f.field).is_some() {
                continue;
            }
            let alias = format!("v{n}");
            n += 1;
            let expr = b
                .dialect
                .aggregate(f.dedup, &format!("{t}.{}", b.ident(&f.field)?));
            select.push(format!("{expr} AS {}", b.ident(&alias)?));
            c.outputs.push((i, alias));
        }
        for child in blend
            .sources
            .iter()
            .enumerate()
            .filter_map(|(ci, c)| (needed[ci] && c.parent == Some(si)).then_some(c))
        {
            for (parent_field, _) in &child.join {
                if c.link(parent_field).is_some() {
                    continue;
                }
                let alias = format!("v{n}");
                n += 1;
                let expr = b.dialect.aggregate(
                    AggregateFunction::Min,
                    &format!("{t}.{}", b.ident(parent_field)?),
                );
                select.push(format!("{expr} AS {}", b.ident(&alias)?));
                c.links.push((parent_field.clone(), alias));
            }
        }
        ctes.push(format!(
            "{} AS (SELECT {} FROM {raw} AS {t} GROUP BY {})",
            b.ident(&format!("__owox_j{si}"))?,
            select.join(", "),
            group.join(", ")
        ));
        collapsed[si] = Some(c);
    }

    let main = b.ident(MAIN)?;
    let mut select = vec![format!("{main}.*")];
    for &i in &fields {
        let f = &blend.fields[i];
        let alias = collapsed[f.source]
            .as_ref()
            .and_then(|c| c.output(i, &f.field))
            .ok_or(CompileError::Internal("joined field without its column"))?;
        select.push(format!(
            "{}.{} AS {}",
            b.ident(&format!("__owox_j{}", f.source))?,
            b.ident(alias)?,
            b.ident(&carried_name(i))?
        ));
    }
    // Each joined source's key, for metrics de-duplicated per related row (`query.rs`).
    for (si, c) in collapsed.iter().enumerate() {
        let Some(c) = c else { continue };
        for (n, (_, alias)) in c.keys.iter().enumerate() {
            select.push(format!(
                "{}.{} AS {}",
                b.ident(&format!("__owox_j{si}"))?,
                b.ident(alias)?,
                b.ident(&key_name(si, n))?
            ));
        }
    }
    let mut joins = Vec::new();
    for (si, source) in blend.sources.iter().enumerate() {
        let Some(c) = &collapsed[si] else { continue };
        let me = b.ident(&format!("__owox_j{si}"))?;
        let mut on = Vec::new();
        for (parent_field, key) in &source.join {
            let left = match source.parent {
                None => format!("{main}.{}", b.ident(parent_field)?),
                Some(p) => {
                    let alias = collapsed[p]
                        .as_ref()
                        .and_then(|pc| pc.link(parent_field))
                        .ok_or(CompileError::Internal("joined field without its column"))?;
                    format!("{}.{}", b.ident(&format!("__owox_j{p}"))?, b.ident(alias)?)
                }
            };
            let right = c
                .key(key)
                .ok_or(CompileError::Internal("joined field without its column"))?;
            on.push(format!("{left} = {me}.{}", b.ident(right)?));
        }
        joins.push(format!("LEFT JOIN {me} ON {}", on.join(" AND ")));
    }
    let with = if ctes.is_empty() {
        String::new()
    } else {
        format!("WITH {} ", ctes.join(", "))
    };
    Ok(format!(
        "({with}SELECT {} FROM {} AS {main}{})",
        select.join(", "),
        relation_sql(b, root)?,
        joins.iter().map(|j| format!(" {j}")).collect::<String>()
    ))
}
