//! Column resolution (§6.2) and the first-stage existence check (§6.4).

use owox_contract::http_data::{ColumnsSelector, Placement};

use crate::error::QueryError;
use crate::params::HttpDataQuery;
use crate::schema::Field;

/// The columns a request selects, resolved against the schema, in output order (§6.5 before
/// aggregation renaming). This is also the run metadata's `columns` (§10.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedColumns {
    pub selected: Vec<String>,
}

/// Resolves `columns` / `column` for a data mart without joined fields, where `**` resolves
/// like `*` (the reference's behaviour for such a mart). See [`resolve_blended_columns`].
pub fn resolve_columns(
    fields: &[Field],
    query: &HttpDataQuery,
) -> Result<ResolvedColumns, QueryError> {
    resolve_blended_columns(fields, &[], query)
}

/// Resolves `columns` / `column` against the native fields and the visible joined fields
/// (`blended`, in `**` order) and checks that every referenced column exists (§6.2, §6.4).
///
/// Errors: [`QueryError::NoColumns`], [`QueryError::UnknownColumns`].
pub fn resolve_blended_columns(
    fields: &[Field],
    blended: &[Field],
    query: &HttpDataQuery,
) -> Result<ResolvedColumns, QueryError> {
    let native = || fields.iter().map(|f| f.name.clone());
    let raw: Vec<String> = match (query.columns, query.column.is_empty()) {
        (Some(ColumnsSelector::AllBlendable), _) => native()
            .chain(blended.iter().map(|f| f.name.clone()))
            .collect(),
        (Some(ColumnsSelector::AllNative), _) | (None, true) => {
            native().chain(query.column.iter().cloned()).collect()
        }
        (None, false) => query.column.clone(),
    };
    let mut selected: Vec<String> = Vec::with_capacity(raw.len());
    for c in raw {
        if !selected.contains(&c) {
            selected.push(c);
        }
    }
    if selected.is_empty() {
        return Err(QueryError::NoColumns);
    }

    let referenced = selected
        .iter()
        .chain(
            query
                .filters()
                .iter()
                .filter(|r| r.placement != Some(Placement::PreJoin))
                .map(|r| &r.column),
        )
        .chain(query.sorts().iter().map(|r| &r.column))
        .chain(query.aggregations().iter().map(|r| &r.column))
        .chain(query.date_truncs().iter().map(|r| &r.column));
    let mut unknown: Vec<String> = Vec::new();
    for c in referenced {
        let known = fields.iter().chain(blended).any(|f| &f.name == c);
        if !known && !unknown.contains(c) {
            unknown.push(c.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(QueryError::UnknownColumns { columns: unknown });
    }
    Ok(ResolvedColumns { selected })
}
