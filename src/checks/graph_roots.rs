use super::{Finding, Location, graph};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a parents graph (sourcegraph's `metadata.yaml`) that does not have exactly one
    /// root, the one migration without parents that everything else descends from.
    ///
    /// ## Why is this bad
    /// A second root is a migration that forgot its `parents`: the runner may run it before
    /// the tables it needs exist. No root at all means every migration waits for another.
    ///
    /// ## Example
    /// ```yaml
    /// # 1648051770_squashed/metadata.yaml: parents: []
    /// # 1686315964_add_index/metadata.yaml: (no parents)
    /// ```
    ///
    /// ## How to fix
    /// Give every migration but the first (squashed) one its parents: the leaves at the time
    /// it was written.
    pub static RULE = ("MC030", "graph-roots", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(nodes) = graph::nodes(set) else { return };
    let roots: Vec<_> = nodes
        .values()
        .filter(|m| m.parents.as_ref().is_some_and(|p| p.is_empty()))
        .collect();
    if roots.len() == 1 || nodes.is_empty() {
        return;
    }
    if roots.is_empty() {
        let first = nodes.values().next().unwrap();
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, first.primary_file(), 0..0),
                "no migration is a root (has no parents): the graph has no start",
            )
            .label("no root")
            .help("the first migration must have `parents: []`"),
        );
        return;
    }
    let list: Vec<String> = roots.iter().map(|m| m.version.to_string()).collect();
    for m in roots.iter().skip(1) {
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, m.primary_file(), 0..0),
                format!(
                    "migration {} has no parents, so the graph has {} roots ({})",
                    m.version,
                    roots.len(),
                    list.join(", ")
                ),
            )
            .label("a second root")
            .help(format!(
                "give it the leaves it was written after as parents; only {} should have none",
                roots[0].version
            )),
        );
    }
}
