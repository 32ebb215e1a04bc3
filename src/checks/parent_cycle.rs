use std::collections::BTreeMap;

use super::{Finding, Location, graph};
use crate::model::{MigrationSet, Version};

declare_rule! {
    /// ## What it does
    /// Reports a cycle in the parents graph (sourcegraph's `metadata.yaml` `parents`): a
    /// migration that is, through its parents, its own ancestor.
    ///
    /// ## Why is this bad
    /// There is no order in which the migrations can run; the runner refuses the directory.
    ///
    /// ## Example
    /// ```yaml
    /// # 2_b/metadata.yaml: parents: [3]
    /// # 3_c/metadata.yaml: parents: [2]
    /// ```
    ///
    /// ## How to fix
    /// A migration's parents must be older migrations: remove the parent that points forward.
    pub static RULE = ("MC029", "parent-cycle", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(nodes) = graph::nodes(set) else { return };
    // Depth-first search, colouring nodes: 1 = on the current path, 2 = done.
    let mut colour: BTreeMap<&Version, u8> = BTreeMap::new();
    for &start in nodes.keys() {
        if colour.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&Version, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some(&(v, i)) = stack.last() {
            let parents = graph::parents(nodes[v]);
            if i == parents.len() {
                colour.insert(v, 2);
                stack.pop();
                continue;
            }
            stack.last_mut().unwrap().1 += 1;
            let Some((p, _)) = nodes.get_key_value(&parents[i]) else {
                continue;
            };
            match colour.get(p) {
                Some(1) => {
                    let from = stack.iter().position(|(x, _)| *x == *p).unwrap_or(0);
                    let cycle: Vec<String> = stack[from..].iter().map(|(x, _)| x.to_string()).collect();
                    let m = nodes[v];
                    out.push(
                        Finding::new(
                            &RULE,
                            Location::in_file(set, m.primary_file(), 0..0),
                            format!("the parents form a cycle: {} → {p}", cycle.join(" → ")),
                        )
                        .label("parent cycle")
                        .help("a migration's parents must be older migrations: remove the parent that points forward"),
                    );
                }
                Some(_) => {}
                None => {
                    colour.insert(p, 1);
                    stack.push((p, 0));
                }
            }
        }
    }
}
