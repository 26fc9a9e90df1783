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

/// Resolves `columns` / `column` against the native fields and checks that every referenced
/// column exists. A data mart without relationships has no joined fields, so `**` resolves
/// like `*` (the reference's behaviour for such a mart).
///
/// Errors: [`QueryError::NoColumns`], [`QueryError::UnknownColumns`].
pub fn resolve_columns(
    fields: &[Field],
    query: &HttpDataQuery,
) -> Result<ResolvedColumns, QueryError> {
    let native = || fields.iter().map(|f| f.name.clone());
    let raw: Vec<String> = match (query.columns, query.column.is_empty()) {
        (Some(ColumnsSelector::AllBlendable), _) => native().collect(),
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
        if !fields.iter().any(|f| &f.name == c) && !unknown.contains(c) {
            unknown.push(c.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(QueryError::UnknownColumns { columns: unknown });
    }
    Ok(ResolvedColumns { selected })
}
