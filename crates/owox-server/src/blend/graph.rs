//! The relationship graph below a root data mart, and the relationships blending may join.

use std::collections::HashMap;

use super::{BlendInputs, JoinCondition};

/// The most relationships one walk visits. Paths multiply through shared targets (a diamond
/// doubles the subtree below it); past this the walk stops expanding instead of growing
/// without bound.
pub const MAX_NODES: usize = 10_000;

/// Where a data mart stands, as far as joining it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MartState {
    Published,
    Draft,
    /// Soft-deleted (or unknown).
    Deleted,
}

/// One relationship: `source` joins `target` under `target_alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub id: String,
    pub source_data_mart_id: String,
    pub target_data_mart_id: String,
    pub target_alias: String,
    pub join_conditions: Vec<JoinCondition>,
    pub description: Option<String>,
}

/// Why a relationship itself cannot be joined, in the order the blending rules test them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    /// `joinConditions` is `[]` (a draft relationship): skipped with its subtree.
    NoJoinConditions,
    /// The target is soft-deleted: blending refuses the whole request ([`BlendError`]).
    TargetDeleted,
    /// The target is not published: skipped with its subtree unless drafts are asked for.
    TargetDraft,
}

/// One relationship reached from the root, in depth-first order.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNode {
    /// Index of the relationship in the walked edges.
    pub edge: usize,
    /// Index of the node this one hangs from (`None`: a relationship of the root itself).
    pub parent: Option<usize>,
    /// Dot-joined target aliases from the root (`orders.items`).
    pub alias_path: String,
    /// Distance from the root: the root's own relationships are at depth 1.
    pub depth: u32,
    /// The target is already on the path from the root: a cycle, not expanded.
    pub is_cycle_stub: bool,
    /// The reference's cumulative flag: the root is a draft, or an ancestor relationship has
    /// no join conditions or a draft target. The node's own issue does not count.
    pub is_blocked: bool,
    /// What keeps this relationship itself from being joined.
    pub issue: Option<Issue>,
}

/// Blending cannot go on: the whole request fails (400, http-data.md §6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlendError {
    #[error("Relationship \"{target_alias}\" (id={relationship_id}) targets a data mart that has been deleted. Remove this relationship or restore the target data mart before running reports that depend on it.")]
    TargetDeleted {
        relationship_id: String,
        target_alias: String,
    },
}

struct Frame {
    mart: String,
    alias_path: String,
    depth: u32,
    /// Data marts on the path from the root, the root included.
    ancestors: Vec<String>,
    blocked: bool,
    parent: Option<usize>,
}

/// Walks the relationships depth-first from `root_id`, each data mart's relationships in the
/// order of `edges` (oldest first), and returns every relationship reached. A relationship
/// whose target is already on the path is a cycle stub; neither stubs nor soft-deleted targets
/// are expanded. `state_of` tells the state of any data mart (the root's decides whether
/// everything is blocked).
pub fn traverse(
    root_id: &str,
    edges: &[Edge],
    state_of: impl Fn(&str) -> MartState,
) -> Vec<GraphNode> {
    let mut by_source: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in edges.iter().enumerate() {
        by_source.entry(&e.source_data_mart_id).or_default().push(i);
    }
    let mut nodes = Vec::new();
    let mut stack = vec![Frame {
        mart: root_id.to_string(),
        alias_path: String::new(),
        depth: 1,
        ancestors: vec![root_id.to_string()],
        blocked: state_of(root_id) != MartState::Published,
        parent: None,
    }];
    while let Some(frame) = stack.pop() {
        let mut children = Vec::new();
        for &i in by_source.get(frame.mart.as_str()).into_iter().flatten() {
            if nodes.len() >= MAX_NODES {
                break;
            }
            let edge = &edges[i];
            let target = edge.target_data_mart_id.as_str();
            let state = state_of(target);
            let issue = if edge.join_conditions.is_empty() {
                Some(Issue::NoJoinConditions)
            } else {
                match state {
                    MartState::Deleted => Some(Issue::TargetDeleted),
                    MartState::Draft => Some(Issue::TargetDraft),
                    MartState::Published => None,
                }
            };
            let alias_path = if frame.alias_path.is_empty() {
                edge.target_alias.clone()
            } else {
                format!("{}.{}", frame.alias_path, edge.target_alias)
            };
            let is_cycle_stub = frame.ancestors.iter().any(|a| a == target);
            nodes.push(GraphNode {
                edge: i,
                parent: frame.parent,
                alias_path: alias_path.clone(),
                depth: frame.depth,
                is_cycle_stub,
                is_blocked: frame.blocked,
                issue,
            });
            if is_cycle_stub || state == MartState::Deleted {
                continue;
            }
            let mut ancestors = frame.ancestors.clone();
            ancestors.push(target.to_string());
            children.push(Frame {
                mart: target.to_string(),
                alias_path,
                depth: frame.depth + 1,
                ancestors,
                blocked: frame.blocked
                    || matches!(issue, Some(Issue::NoJoinConditions | Issue::TargetDraft)),
                parent: Some(nodes.len() - 1),
            });
        }
        // Children are expanded right after their parent, in edge order.
        stack.extend(children.into_iter().rev());
    }
    order_depth_first(nodes)
}

/// The stack above expands a data mart's children only after all its siblings were listed;
/// this puts every subtree right after its root (pre-order), fixing the parent indexes.
fn order_depth_first(nodes: Vec<GraphNode>) -> Vec<GraphNode> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match n.parent {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    let mut position = vec![0; nodes.len()];
    for (new, &old) in order.iter().enumerate() {
        position[old] = new;
    }
    order
        .iter()
        .map(|&old| {
            let mut n = nodes[old].clone();
            n.parent = n.parent.map(|p| position[p]);
            n
        })
        .collect()
}

/// A relationship blending may join: every relationship on its path has join conditions and a
/// published target (or a draft one, when asked for), and none closes a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinedSource {
    /// Index of the relationship in [`BlendInputs::edges`].
    pub edge: usize,
    pub relationship_id: String,
    pub alias_path: String,
    /// The alias path this source is joined to; `None` for the root.
    pub parent_alias_path: Option<String>,
    pub target_alias: String,
    pub depth: u32,
    /// The left side of the join (the root or the parent source's data mart).
    pub source_data_mart_id: String,
    pub target_data_mart_id: String,
    pub join_conditions: Vec<JoinCondition>,
    /// The root's `blendedFieldsConfig` excludes this very path.
    pub is_excluded: bool,
    /// This path or one above it is excluded: nothing of it reaches reports or streams.
    pub in_excluded_subtree: bool,
    /// The caller has `USE` on this target and on every target above it.
    pub is_accessible: bool,
}

impl BlendInputs {
    /// The relationships blending may join, depth-first. A relationship without join conditions,
    /// one whose target is a draft (unless `include_draft_targets`) and a cycle stub are skipped
    /// with everything below them; a soft-deleted target that would be joined fails the whole
    /// request.
    pub fn sources(&self, include_draft_targets: bool) -> Result<Vec<JoinedSource>, BlendError> {
        let nodes = self.graph();
        let mut joined: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut sources: Vec<JoinedSource> = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let parent = match node.parent {
                Some(p) => match joined[p] {
                    Some(s) => Some(s),
                    None => continue,
                },
                None => None,
            };
            let edge = &self.edges[node.edge];
            match node.issue {
                Some(Issue::NoJoinConditions) => continue,
                Some(Issue::TargetDeleted) => {
                    return Err(BlendError::TargetDeleted {
                        relationship_id: edge.id.clone(),
                        target_alias: edge.target_alias.clone(),
                    })
                }
                Some(Issue::TargetDraft) if !include_draft_targets => continue,
                _ if node.is_cycle_stub => continue,
                _ => {}
            }
            let parent_source = parent.map(|s| &sources[s]);
            let parent_alias_path = parent_source.map(|s| s.alias_path.clone());
            let parent_excluded = parent_source.is_some_and(|s| s.in_excluded_subtree);
            let parent_accessible = parent_source.is_none_or(|s| s.is_accessible);
            let is_excluded = self
                .config
                .as_ref()
                .and_then(|c| c.source(&node.alias_path))
                .is_some_and(|s| s.is_excluded == Some(true));
            let can_use = self
                .marts
                .get(&edge.target_data_mart_id)
                .is_some_and(|m| m.caller_can_use);
            joined[i] = Some(sources.len());
            sources.push(JoinedSource {
                edge: node.edge,
                relationship_id: edge.id.clone(),
                alias_path: node.alias_path.clone(),
                parent_alias_path,
                target_alias: edge.target_alias.clone(),
                depth: node.depth,
                source_data_mart_id: edge.source_data_mart_id.clone(),
                target_data_mart_id: edge.target_data_mart_id.clone(),
                join_conditions: edge.join_conditions.clone(),
                is_excluded,
                in_excluded_subtree: is_excluded || parent_excluded,
                is_accessible: can_use && parent_accessible,
            });
        }
        Ok(sources)
    }
}

#[cfg(test)]
#[path = "graph_tests.rs"]
pub(crate) mod tests;
