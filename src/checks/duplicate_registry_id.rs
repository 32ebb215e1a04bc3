use std::collections::BTreeMap;

use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports two entries of the registry (`index.ts`'s `migrations` array) with the same `id`.
    ///
    /// ## Why is this bad
    /// The runner records applied migrations by `id`: the second one is taken as already
    /// applied and silently never runs.
    ///
    /// ## Example
    /// ```ts
    /// { id: "003_add_user_settings", version: 3, … },
    /// { id: "003_add_user_settings", version: 4, … },
    /// ```
    ///
    /// ## How to fix
    /// Give every entry the id of its own module file.
    pub static RULE = ("MC024", "duplicate-registry-id", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(registry) = &set.registry else { return };
    let mut first: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, e) in registry.entries.iter().enumerate() {
        let Some(id) = e.id.as_deref() else { continue };
        match first.get(id) {
            None => {
                first.insert(id, i);
            }
            Some(&j) => out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, registry.file, e.span.clone()),
                    format!("the id `{id}` is registered twice: this entry is never run"),
                )
                .label("duplicate id")
                .help("give every entry the id of its own module file")
                .related(
                    Location::in_file(set, registry.file, registry.entries[j].span.clone()),
                    "first registered here",
                ),
            ),
        }
    }
}
