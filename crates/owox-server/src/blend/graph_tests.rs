use super::*;
use crate::blend::{BlendMart, BlendedFieldsConfig};

pub(crate) fn edge(id: &str, source: &str, target: &str, alias: &str, keyed: bool) -> Edge {
    Edge {
        id: id.into(),
        source_data_mart_id: source.into(),
        target_data_mart_id: target.into(),
        target_alias: alias.into(),
        join_conditions: if keyed {
            vec![JoinCondition {
                source_field_name: "k".into(),
                target_field_name: "k".into(),
            }]
        } else {
            vec![]
        },
        description: None,
    }
}

pub(crate) fn mart(id: &str, state: MartState, can_use: bool) -> BlendMart {
    BlendMart {
        id: id.into(),
        title: id.to_uppercase(),
        description: None,
        state,
        schema: None,
        caller_can_use: can_use,
    }
}

pub(crate) fn inputs(edges: Vec<Edge>, marts: Vec<BlendMart>) -> BlendInputs {
    BlendInputs {
        root_id: "orders".into(),
        config: None,
        edges,
        marts: marts.into_iter().map(|m| (m.id.clone(), m)).collect(),
    }
}

fn chain() -> BlendInputs {
    use MartState::Published;
    inputs(
        vec![
            edge("r1", "orders", "customers", "customers", true),
            edge("r2", "customers", "countries", "country", true),
        ],
        vec![
            mart("orders", Published, true),
            mart("customers", Published, true),
            mart("countries", Published, true),
        ],
    )
}

fn summary(nodes: &[GraphNode]) -> Vec<(String, u32, bool, bool)> {
    nodes
        .iter()
        .map(|n| (n.alias_path.clone(), n.depth, n.is_cycle_stub, n.is_blocked))
        .collect()
}

#[test]
fn three_level_chain() {
    let i = chain();
    let nodes = i.graph();
    assert_eq!(
        summary(&nodes),
        vec![
            ("customers".into(), 1, false, false),
            ("customers.country".into(), 2, false, false),
        ]
    );
    assert_eq!(nodes[1].parent, Some(0));
    let sources = i.sources(false).unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[1].parent_alias_path.as_deref(), Some("customers"));
    assert_eq!(sources[1].source_data_mart_id, "customers");
    assert!(sources.iter().all(|s| s.is_accessible && !s.is_excluded));
}

#[test]
fn depth_first_order_with_siblings() {
    use MartState::Published;
    let i = inputs(
        vec![
            edge("a", "orders", "customers", "customers", true),
            edge("b", "orders", "items", "items", true),
            edge("c", "customers", "countries", "country", true),
            edge("d", "items", "products", "product", true),
        ],
        ["orders", "customers", "items", "countries", "products"]
            .iter()
            .map(|m| mart(m, Published, true))
            .collect(),
    );
    let paths: Vec<String> = i.graph().into_iter().map(|n| n.alias_path).collect();
    assert_eq!(
        paths,
        ["customers", "customers.country", "items", "items.product"]
    );
    let nodes = i.graph();
    assert_eq!(nodes[3].parent, Some(2));
}

#[test]
fn cycles_become_stubs() {
    use MartState::Published;
    let i = inputs(
        vec![
            edge("r1", "orders", "customers", "customers", true),
            edge("r2", "customers", "countries", "country", true),
            edge("r3", "countries", "orders", "orders", true),
            edge("r4", "customers", "customers", "me", true),
        ],
        vec![
            mart("orders", Published, true),
            mart("customers", Published, true),
            mart("countries", Published, true),
        ],
    );
    let nodes = i.graph();
    assert_eq!(
        summary(&nodes),
        vec![
            ("customers".into(), 1, false, false),
            ("customers.country".into(), 2, false, false),
            ("customers.country.orders".into(), 3, true, false),
            ("customers.me".into(), 2, true, false),
        ]
    );
    let sources = i.sources(true).unwrap();
    let paths: Vec<&str> = sources.iter().map(|s| s.alias_path.as_str()).collect();
    assert_eq!(paths, ["customers", "customers.country"]);
}

#[test]
fn drafts_and_missing_conditions_block_their_subtree() {
    use MartState::*;
    let i = inputs(
        vec![
            edge("r1", "orders", "customers", "customers", true),
            edge("r2", "customers", "countries", "country", true),
            edge("r3", "orders", "items", "items", false),
            edge("r4", "items", "products", "product", true),
        ],
        vec![
            mart("orders", Published, true),
            mart("customers", Draft, true),
            mart("countries", Published, true),
            mart("items", Published, true),
            mart("products", Published, true),
        ],
    );
    let nodes = i.graph();
    assert_eq!(
        summary(&nodes),
        vec![
            ("customers".into(), 1, false, false),
            ("customers.country".into(), 2, false, true),
            ("items".into(), 1, false, false),
            ("items.product".into(), 2, false, true),
        ]
    );
    assert_eq!(nodes[0].issue, Some(Issue::TargetDraft));
    assert_eq!(nodes[2].issue, Some(Issue::NoJoinConditions));
    assert!(i.sources(false).unwrap().is_empty());
    let with_drafts: Vec<String> = i
        .sources(true)
        .unwrap()
        .into_iter()
        .map(|s| s.alias_path)
        .collect();
    assert_eq!(with_drafts, ["customers", "customers.country"]);
}

#[test]
fn a_draft_root_blocks_everything_in_the_graph() {
    let mut i = chain();
    i.marts.get_mut("orders").unwrap().state = MartState::Draft;
    assert!(i.graph().iter().all(|n| n.is_blocked));
    assert_eq!(i.sources(false).unwrap().len(), 2, "blending ignores it");
}

#[test]
fn a_deleted_target_fails_blending_unless_skipped_before() {
    let mut i = chain();
    i.marts.get_mut("countries").unwrap().state = MartState::Deleted;
    let nodes = i.graph();
    assert_eq!(nodes[1].issue, Some(Issue::TargetDeleted));
    assert_eq!(
        i.sources(false),
        Err(BlendError::TargetDeleted {
            relationship_id: "r2".into(),
            target_alias: "country".into()
        })
    );
    let message = i.sources(false).unwrap_err().to_string();
    assert!(message.starts_with(
        "Relationship \"country\" (id=r2) targets a data mart that has been deleted."
    ));
    // Without join conditions the relationship is skipped before the deletion matters.
    i.edges[1].join_conditions.clear();
    assert_eq!(i.sources(false).unwrap().len(), 1);
    // Below a draft the deleted target is never reached.
    i.edges[1] = edge("r2", "customers", "countries", "country", true);
    i.marts.get_mut("customers").unwrap().state = MartState::Draft;
    assert!(i.sources(false).unwrap().is_empty());
}

#[test]
fn deleted_targets_are_not_expanded() {
    let mut i = chain();
    i.marts.get_mut("customers").unwrap().state = MartState::Deleted;
    assert_eq!(i.graph().len(), 1);
    // An unknown data mart counts as deleted.
    i.marts.remove("customers");
    assert_eq!(i.graph()[0].issue, Some(Issue::TargetDeleted));
}

#[test]
fn exclusion_and_access_carry_down_the_path() {
    let mut i = chain();
    i.marts.get_mut("customers").unwrap().caller_can_use = false;
    let sources = i.sources(false).unwrap();
    assert!(!sources[0].is_accessible && !sources[1].is_accessible);
    i.marts.get_mut("customers").unwrap().caller_can_use = true;
    i.config = Some(
        BlendedFieldsConfig::from_value(&serde_json::json!({
            "sources": [{"path": "customers", "alias": "Buyers", "isExcluded": true}]
        }))
        .unwrap(),
    );
    let sources = i.sources(false).unwrap();
    assert!(sources[0].is_excluded && sources[0].in_excluded_subtree);
    assert!(!sources[1].is_excluded && sources[1].in_excluded_subtree);
    assert!(sources.iter().all(|s| s.is_accessible));
}

#[test]
fn diamonds_are_bounded() {
    // Every level links twice to the next: 2^n paths, cut at MAX_NODES.
    let mut edges = Vec::new();
    let mut marts = vec![mart("orders", MartState::Published, true)];
    let mut previous = "orders".to_string();
    for level in 0..20 {
        let next = format!("m{level}");
        edges.push(edge(&format!("{level}a"), &previous, &next, "a", true));
        edges.push(edge(&format!("{level}b"), &previous, &next, "b", true));
        marts.push(mart(&next, MartState::Published, true));
        previous = next;
    }
    let i = inputs(edges, marts);
    let nodes = i.graph();
    assert_eq!(nodes.len(), MAX_NODES);
    assert_eq!(nodes[19].alias_path.split('.').count(), 20);
}
