//! Shared by the parents-graph rules: the graph of a set whose migrations declare parents.

use std::collections::BTreeMap;

use crate::model::{Migration, MigrationSet, Version};

/// The migrations of a graph-ordered set by version (`None` when the set is not one).
pub fn nodes(set: &MigrationSet) -> Option<BTreeMap<&Version, &Migration>> {
    if !set.migrations.iter().any(|m| m.parents.is_some()) {
        return None;
    }
    Some(set.migrations.iter().map(|m| (&m.version, m)).collect())
}

/// The known parents of a migration.
pub fn parents(m: &Migration) -> &[Version] {
    m.parents.as_deref().unwrap_or(&[])
}
