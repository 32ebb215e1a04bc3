use super::{Finding, Location, graph};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a parent listed in a migration's `metadata.yaml` (`parents: [...]`, sourcegraph)
    /// that is no migration of the directory.
    ///
    /// ## Why is this bad
    /// The runner cannot place the migration in the graph and refuses to run anything. It
    /// usually means a parent was renamed, squashed away, or lives on another branch.
    ///
    /// ## Example
    /// ```yaml
    /// # 1686315964_add_index/metadata.yaml
    /// name: add index
    /// parents: [1686315000]   # no 1686315000_* directory
    /// ```
    ///
    /// ## How to fix
    /// List the versions of the current leaves as parents (the migrations nothing depends on
    /// yet), or restore the missing migration.
    pub static RULE = ("MC028", "unknown-parent", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(nodes) = graph::nodes(set) else { return };
    for m in &set.migrations {
        for p in graph::parents(m) {
            if nodes.contains_key(p) {
                continue;
            }
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, m.primary_file(), 0..0),
                    format!(
                        "migration {} lists parent {p}, which is not a migration here",
                        m.version
                    ),
                )
                .label("unknown parent")
                .help("list existing versions as parents (the current leaves), or restore the missing migration"),
            );
        }
    }
}
