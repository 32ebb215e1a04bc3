use super::unregistered_migration::{by_stem, entry_migration, entry_module};
use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports an entry of the registry (`index.ts`'s `migrations` array) whose module is not a
    /// migration file of the directory: its import points to a file that does not exist, or it
    /// has neither an import nor an `id` matching a file.
    ///
    /// ## Why is this bad
    /// The application does not build, or the entry runs code that is not in the migrations
    /// directory, where nobody reviews it as a migration.
    ///
    /// ## Example
    /// ```ts
    /// import { up as settingsUp } from "./003_add_user_settings"; // no such file
    /// ```
    ///
    /// ## How to fix
    /// Add the missing module (`003_add_user_settings.ts`), or correct the import, or remove
    /// the entry.
    pub static RULE = ("MC023", "registry-entry-without-file", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(registry) = &set.registry else { return };
    let stems = by_stem(set);
    for e in &registry.entries {
        if entry_migration(&stems, e).is_some() {
            continue;
        }
        let what = match (entry_module(e), &e.id) {
            (Some(module), _) => format!("its `up` comes from `{module}`, which is not a migration file here"),
            (None, Some(id)) => format!("its id `{id}` names no migration file here"),
            (None, None) => "it has neither an imported `up` nor an `id`, so no file can be its".to_string(),
        };
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, registry.file, e.span.clone()),
                format!("a registry entry has no migration file: {what}"),
            )
            .label("no file for this entry")
            .help("add the missing module, correct the import, or remove the entry"),
        );
    }
}
