//! Relationships and blending (domain.md §1.4, http-data.md §6.1, §6.3, §11.8).
//!
//! The pure core is here, without I/O, so the relationship endpoints, the blendable schema and
//! the HTTP Data stream compiler all read the same rules:
//!
//! - [`graph`]: the depth-first walk of the relationships from a root data mart: alias paths,
//!   depths, cycle stubs, blocked flags, and which relationships blending may join
//!   ([`BlendInputs::sources`]);
//! - [`fields`]: the joined fields a caller may use ([`BlendInputs::visible_fields`]) with
//!   their unified names and dedup aggregate functions;
//! - [`config`]: the `blendedFieldsConfig` of a source data mart (validation and lookups);
//! - [`joins`]: which columns may be join keys.
//!
//! [`load`] gathers a [`BlendInputs`] for one caller from the metadata store; it is the only
//! part that does I/O.

pub mod config;
pub mod fields;
pub mod graph;
pub mod joins;
pub mod load;
pub mod stream;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::output_schema::OutputSchema;

pub use config::{BlendedFieldOverride, BlendedFieldsConfig, BlendedSource};
pub use fields::{default_dedup_function, VisibleBlendedField};
pub use graph::{traverse, BlendError, Edge, GraphNode, Issue, JoinedSource, MartState};
pub use load::{load_blend_inputs, visible_blended_fields};
pub use stream::{load_stream_blend, StreamBlend};

/// One join condition: a top-level column of the source and one of the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinCondition {
    pub source_field_name: String,
    pub target_field_name: String,
}

impl JoinCondition {
    /// Reads a stored `joinConditions` column; unreadable text counts as no conditions.
    pub fn parse_list(text: &str) -> Vec<JoinCondition> {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// A data mart as blending sees it.
#[derive(Debug, Clone)]
pub struct BlendMart {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub state: MartState,
    /// The stored output schema; `None` when the data mart has none (or it is unreadable).
    pub schema: Option<OutputSchema>,
    /// Whether the caller has `USE` on this data mart.
    pub caller_can_use: bool,
}

/// Everything the blending rules read for one root data mart and one caller: the root's
/// `blendedFieldsConfig`, the relationships on its storage (oldest first) and the data marts
/// at their ends.
#[derive(Debug, Clone)]
pub struct BlendInputs {
    pub root_id: String,
    pub config: Option<BlendedFieldsConfig>,
    pub edges: Vec<Edge>,
    pub marts: HashMap<String, BlendMart>,
}

impl BlendInputs {
    /// The state of a data mart; one that is not known counts as deleted.
    pub fn state_of(&self, id: &str) -> MartState {
        self.marts.get(id).map_or(MartState::Deleted, |m| m.state)
    }

    /// The full relationship graph below the root, depth-first (see [`traverse`]).
    pub fn graph(&self) -> Vec<GraphNode> {
        traverse(&self.root_id, &self.edges, |id| self.state_of(id))
    }
}
