use std::collections::{HashMap, HashSet};

use super::{Finding, Location};
use crate::model::{Migration, MigrationSet, Registry, RegistryEntry};

declare_rule! {
    /// ## What it does
    /// Reports a migration module that the registry (`index.ts`'s `migrations` array) does not
    /// list. An entry that is commented out does not count.
    ///
    /// ## Why is this bad
    /// The runner only runs what the registry lists: the module is never applied, and nothing
    /// says so until someone looks for its table.
    ///
    /// ## Example
    /// ```ts
    /// // 003_add_user_settings.ts exists, but index.ts has:
    /// export const migrations: Migration[] = [
    ///   { id: "initial", version: 1, description: "Initial schema", up: initialUp },
    /// ];
    /// ```
    ///
    /// ## How to fix
    /// Import the module in the registry and add its entry (`id`, `version`, `description`,
    /// `up`, `down`), or delete the module if it is not meant to run.
    pub static RULE = ("MC022", "unregistered-migration", Error);
}

/// The file name of a migration module without `.ts` (`003_add_user_settings`).
pub fn stem<'a>(set: &'a MigrationSet, m: &Migration) -> &'a str {
    let name = set.file(m.primary_file()).file_name();
    name.strip_suffix(".ts").unwrap_or(name)
}

/// The module name an entry's import points to (`./003_x` → `003_x`), if known.
pub fn entry_module(e: &RegistryEntry) -> Option<&str> {
    let module = e.module.as_deref()?;
    let base = module.rsplit('/').next().unwrap_or(module);
    Some(
        base.strip_suffix(".ts")
            .or_else(|| base.strip_suffix(".js"))
            .unwrap_or(base),
    )
}

/// The migrations of a set by module name (`003_x`, the first of a name), built once per
/// check so that finding an entry's migration is not a scan of every migration.
pub fn by_stem(set: &MigrationSet) -> HashMap<&str, usize> {
    let mut stems = HashMap::new();
    for (i, m) in set.migrations.iter().enumerate() {
        stems.entry(stem(set, m)).or_insert(i);
    }
    stems
}

/// The migration an entry refers to (its index): by its imported module, else by its `id`.
pub fn entry_migration(stems: &HashMap<&str, usize>, e: &RegistryEntry) -> Option<usize> {
    let key = entry_module(e).or(e.id.as_deref())?;
    stems.get(key).copied()
}

/// Where the registry's list is.
pub fn list_location(set: &MigrationSet, r: &Registry) -> Location {
    Location::in_file(set, r.file, r.span.start..r.span.start)
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let Some(registry) = &set.registry else { return };
    let stems = by_stem(set);
    let registered: HashSet<usize> = registry
        .entries
        .iter()
        .filter_map(|e| entry_migration(&stems, e))
        .collect();
    for (i, m) in set.migrations.iter().enumerate() {
        let name = stem(set, m);
        if registered.contains(&i) {
            continue;
        }
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, m.primary_file(), 0..0),
                format!(
                    "`{name}.ts` (version {}) is not listed in `{}`, so it never runs",
                    m.version,
                    set.file(registry.file).file_name()
                ),
            )
            .label("not registered")
            .help(format!(
                "import it in the registry and add `{{ id: \"{name}\", version: {}, … }}` to `migrations`, or delete it",
                m.version.as_number().map_or_else(|| m.version.to_string(), |n| n.to_string())
            ))
            .related(list_location(set, registry), "the registry's list"),
        );
    }
}
