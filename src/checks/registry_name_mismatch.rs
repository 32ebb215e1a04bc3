use super::unregistered_migration::{by_stem, entry_migration, stem};
use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a registry entry whose `id` or `version` disagrees with the file name of the
    /// module it imports: `{version}_{description}.ts` must be registered with
    /// `id: "{version}_{description}"` and `version: {version}` (`initial.ts`: `id: "initial"`,
    /// `version: 1`).
    ///
    /// ## Why is this bad
    /// The applied-migrations table then tells a different story than the files: the next
    /// person numbers their migration after the wrong version, or looks for the wrong file when
    /// a migration fails.
    ///
    /// ## Example
    /// ```ts
    /// import { up as settingsUp } from "./003_add_user_settings";
    /// { id: "003_add_user_settings", version: 4, up: settingsUp },   // file says 3
    /// ```
    ///
    /// ## How to fix
    /// Make the entry's `id` and `version` those of its file name (or rename the file if it was
    /// never applied anywhere).
    pub static RULE = ("MC026", "registry-name-mismatch", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(registry) = &set.registry else { return };
    let stems = by_stem(set);
    for e in &registry.entries {
        let Some(m) = entry_migration(&stems, e).map(|i| &set.migrations[i]) else {
            continue;
        };
        let name = stem(set, m);
        let mut problems = Vec::new();
        if let Some(id) = &e.id
            && id != name
        {
            problems.push(format!("its id is `{id}`"));
        }
        if let (Some(v), Some(n)) = (e.version, m.version.as_number())
            && u128::from(v) != n
        {
            problems.push(format!("its version is {v}"));
        }
        if problems.is_empty() {
            continue;
        }
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, registry.file, e.span.clone()),
                format!(
                    "the entry for `{name}.ts` (version {}) does not match its file: {}",
                    m.version,
                    problems.join(" and ")
                ),
            )
            .label("disagrees with the file name")
            .help(format!(
                "register it as `id: \"{name}\", version: {}`",
                m.version
                    .as_number()
                    .map_or_else(|| m.version.to_string(), |n| n.to_string())
            ))
            .related(Location::in_file(set, m.primary_file(), 0..0), "the module"),
        );
    }
}
