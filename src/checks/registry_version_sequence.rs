use std::collections::BTreeSet;

use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Checks the `version`s of the registry (`index.ts`'s `migrations` array) in list order:
    /// each entry has a numeric version, the first is 1 (`initial.ts`), and each next one is
    /// exactly one more than the one before: no version reused, none going back, none skipped.
    ///
    /// ## Why is this bad
    /// The runner runs the list in order and records versions; a reused or decreasing version
    /// breaks "latest applied version" queries, and a skipped one usually means a migration was
    /// lost in a merge. The registry's own documentation forbids both.
    ///
    /// ## Example
    /// ```ts
    /// { id: "initial", version: 1, … },
    /// { id: "003_add_user_settings", version: 3, … },   // where is 2?
    /// ```
    ///
    /// ## How to fix
    /// Number the entries 1, 2, 3, … in the order they run, matching their file names.
    pub static RULE = ("MC025", "registry-version-sequence", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(registry) = &set.registry else { return };
    let mut seen = BTreeSet::new();
    let mut prev: Option<u64> = None;
    for e in &registry.entries {
        let at = Location::in_file(set, registry.file, e.span.clone());
        let Some(v) = e.version else {
            out.push(
                Finding::new(&RULE, at, "a registry entry has no numeric `version`")
                    .label("no version")
                    .help("add `version: N`, one more than the entry before"),
            );
            continue;
        };
        let problem = if !seen.insert(v) {
            Some(format!("version {v} is registered twice"))
        } else {
            match prev {
                None if v != 1 => Some(format!("the first registered version is {v}, not 1")),
                Some(p) if v <= p => Some(format!("version {v} comes after {p}: versions must increase")),
                Some(p) if v > p + 1 => Some(if v == p + 2 {
                    format!("version {v} follows {p}: {} is skipped", p + 1)
                } else {
                    format!("version {v} follows {p}: {} to {} are skipped", p + 1, v - 1)
                }),
                _ => None,
            }
        };
        if let Some(problem) = problem {
            out.push(
                Finding::new(&RULE, at, problem)
                    .label("out of sequence")
                    .help("number the entries 1, 2, 3, … in the order they run"),
            );
        }
        prev = Some(prev.map_or(v, |p| p.max(v)));
    }
}
