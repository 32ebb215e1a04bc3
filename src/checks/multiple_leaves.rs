use std::collections::BTreeSet;

use super::{Finding, Location, graph};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a parents graph (sourcegraph's `metadata.yaml`) with more than one leaf, a
    /// migration no other migration lists as a parent.
    ///
    /// ## Why is this bad
    /// Two leaves are two heads, usually two branches that each added "the next" migration.
    /// Both run, in no defined order relative to each other; the next migration should take
    /// both as parents to join them again.
    ///
    /// ## Example
    /// ```yaml
    /// # 1700000001_a/metadata.yaml: parents: [1690000000]
    /// # 1700000002_b/metadata.yaml: parents: [1690000000]
    /// ```
    ///
    /// ## How to fix
    /// If the two may run in either order, add a migration (or change the newest) whose
    /// `parents` lists both leaves. This is a warning: a short-lived fork is normal.
    pub static RULE = ("MC031", "multiple-leaves", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(nodes) = graph::nodes(set) else { return };
    // With a parents list unreadable the leaves are unknown (`invalid-metadata` says why).
    if nodes.values().any(|m| m.parents.is_none()) {
        return;
    }
    let referenced: BTreeSet<_> = nodes.values().flat_map(|m| graph::parents(m)).collect();
    let leaves: Vec<_> = nodes
        .iter()
        .filter(|(v, _)| !referenced.contains(*v))
        .map(|(_, m)| m)
        .collect();
    if leaves.len() < 2 {
        return;
    }
    let list: Vec<String> = leaves.iter().map(|m| m.version.to_string()).collect();
    for m in &leaves[1..] {
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, m.primary_file(), 0..0),
                format!(
                    "the graph has {} leaves ({}): migration {} is one of them",
                    leaves.len(),
                    list.join(", "),
                    m.version
                ),
            )
            .label("another leaf")
            .help("have the next migration list every leaf as a parent"),
        );
    }
}
