//! The joined source of an HTTP Data stream (http-data.md §6.1, §11.8): the related data marts
//! a caller may use, as the query compiler's [`owox_query::Blend`].

use std::sync::Arc;

use owox_query::{Blend, BlendSource, BlendedField, Source};
use owox_storage::Storage;

use super::load::load_blend_inputs;
use crate::auth::Caller;
use crate::engines::read_failure;
use crate::error::ApiError;
use crate::http::definitions::{definition_ref, stored_definition};
use crate::state::AppState;
use crate::store::DataMartRow;

/// One related data mart of a stream, with its rows as trusted SQL.
struct StreamSource {
    alias_path: String,
    parent: Option<usize>,
    sql: String,
    join: Vec<(String, String)>,
}

/// What a stream joins: owned, so that [`StreamBlend::blend`] can lend it to the compiler.
pub struct StreamBlend {
    sources: Vec<StreamSource>,
    fields: Vec<BlendedField>,
}

impl StreamBlend {
    /// No related data marts (and no joined fields).
    pub fn none() -> StreamBlend {
        StreamBlend {
            sources: Vec::new(),
            fields: Vec::new(),
        }
    }

    /// The compiler's view.
    pub fn blend(&self) -> Blend<'_> {
        Blend {
            sources: self
                .sources
                .iter()
                .map(|s| BlendSource {
                    alias_path: s.alias_path.clone(),
                    parent: s.parent,
                    relation: Source::Subquery(&s.sql),
                    join: s.join.clone(),
                })
                .collect(),
            fields: self.fields.clone(),
        }
    }
}

/// Loads the joined fields of `root` that `caller` may use and the related data marts they come
/// from (with their ancestors), each as the SQL `engine` reads it. A soft-deleted target on a
/// joinable path is the reference's 400; a related data mart whose definition the engine
/// cannot read fails like the root's would (424).
pub async fn load_stream_blend(
    state: &AppState,
    caller: &Caller,
    root: &DataMartRow,
    engine: &Arc<dyn Storage>,
) -> Result<StreamBlend, ApiError> {
    let inputs = load_blend_inputs(&state.store, caller, root).await?;
    let visible = inputs.visible_fields()?;
    if visible.is_empty() {
        return Ok(StreamBlend::none());
    }
    let joinable = inputs.sources(false)?;
    // Keep the sources of visible fields and every source above them, in the joinable
    // (depth-first, parents first) order.
    let mut keep = vec![false; joinable.len()];
    let index_of = |path: &str| joinable.iter().position(|s| s.alias_path == path);
    for field in &visible {
        let mut at = index_of(&field.alias_path);
        while let Some(i) = at {
            if keep[i] {
                break;
            }
            keep[i] = true;
            at = joinable[i].parent_alias_path.as_deref().and_then(&index_of);
        }
    }
    let mut sources: Vec<StreamSource> = Vec::new();
    for (i, joined) in joinable.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        let target = state
            .store
            .get_data_mart(&caller.project_id, &joined.target_data_mart_id)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!("related data mart {} vanished", joined.target_data_mart_id)
            })?;
        let unreadable = || {
            read_failure(
                format!(
                    "Related Data Mart \"{}\" ({}) is not properly configured",
                    target.title, joined.alias_path
                ),
                engine.storage_type(),
            )
        };
        let (definition_type, definition) = stored_definition(&target).ok_or_else(unreadable)?;
        let def = definition_ref(&definition_type, &definition).ok_or_else(unreadable)?;
        let sql = engine
            .source_sql(def)
            .await
            .map_err(|e| read_failure(e, engine.storage_type()))?;
        let parent = match &joined.parent_alias_path {
            None => None,
            Some(p) => sources.iter().position(|s| &s.alias_path == p),
        };
        sources.push(StreamSource {
            alias_path: joined.alias_path.clone(),
            parent,
            sql: sql.trim_end_matches(';').to_string(),
            join: joined
                .join_conditions
                .iter()
                .map(|c| (c.source_field_name.clone(), c.target_field_name.clone()))
                .collect(),
        });
    }
    let fields = visible
        .iter()
        .filter_map(|f| {
            let source = sources.iter().position(|s| s.alias_path == f.alias_path)?;
            Some(BlendedField {
                name: f.name.clone(),
                source,
                field: f.field_name.clone(),
                type_name: f.field_type.clone(),
                dedup: f.aggregate_function,
                allowed_aggregations: f.post_join_aggregations.clone(),
            })
        })
        .collect();
    Ok(StreamBlend { sources, fields })
}
