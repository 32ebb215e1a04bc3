//! Which migrations the round-trip applies, and in what order: the runner's, not the files'.
//!
//! - **Dialects** (pop/popx: `{version}_{name}.{dialect}.up.sql`): per version, the runner on
//!   PostgreSQL applies the `postgres` file, else the generic one (no dialect), never another
//!   dialect's file. The up and the down are chosen separately, so a PostgreSQL up pairs with a
//!   generic down and the other way round. Other dialects' migrations are not applied.
//! - **A parents graph** (sourcegraph's `metadata.yaml` `parents:`): the runner applies a
//!   migration only after all its parents, in a topological order of the graph
//!   (sourcegraph `internal/database/migration/definition/definition.go`: `Up` returns the
//!   ancestors of the targets in the order of the definitions, which `read.go` sorts
//!   topologically). Ties go to the lower version. Parents that name no migration of the
//!   directory are ignored (another schema's, or squashed away); a cycle keeps the file order
//!   for what is left.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Migration, MigrationSet};

/// A migration to apply: its index in the set's migrations (where its report is) and the
/// migration as the runner sees it (its up and down may come from two files).
pub struct Step {
    pub index: usize,
    pub migration: Migration,
}

/// The steps in the runner's order; migrations the runner never applies on PostgreSQL are
/// returned apart (their indices).
pub fn plan(set: &MigrationSet) -> (Vec<Step>, Vec<usize>) {
    let (steps, skipped) = choose_dialects(set);
    (order_by_parents(steps), skipped)
}

fn is_postgres(dialect: &str) -> bool {
    matches!(dialect, "postgres" | "postgresql" | "pg")
}

fn choose_dialects(set: &MigrationSet) -> (Vec<Step>, Vec<usize>) {
    if set.migrations.iter().all(|m| m.dialect.is_none()) {
        let steps = set
            .migrations
            .iter()
            .enumerate()
            .map(|(index, m)| Step {
                index,
                migration: m.clone(),
            })
            .collect();
        return (steps, Vec::new());
    }
    // Per version: the PostgreSQL migration and the generic one.
    let mut by_version: BTreeMap<&str, (Option<usize>, Option<usize>)> = BTreeMap::new();
    let mut skipped = Vec::new();
    for (i, m) in set.migrations.iter().enumerate() {
        let slot = by_version.entry(m.version.text.as_str()).or_default();
        match m.dialect.as_deref() {
            Some(d) if is_postgres(d) => slot.0 = Some(i),
            None => slot.1 = Some(i),
            Some(_) => skipped.push(i),
        }
    }
    let mut steps = Vec::new();
    for (pg, generic) in by_version.into_values() {
        let (index, other) = match (pg, generic) {
            (Some(p), g) => (p, g),
            (None, Some(g)) => (g, None),
            (None, None) => continue,
        };
        let mut migration = set.migrations[index].clone();
        if let Some(o) = other {
            let o = &set.migrations[o];
            if migration.up.is_none() {
                migration.up = o.up.clone();
            }
            if migration.down.is_none() {
                migration.down = o.down.clone();
            }
            skipped.push(other.expect("checked"));
        }
        steps.push(Step { index, migration });
    }
    steps.sort_by_key(|s| s.index);
    skipped.sort_unstable();
    (steps, skipped)
}

fn order_by_parents(steps: Vec<Step>) -> Vec<Step> {
    if steps.iter().all(|s| s.migration.parents.is_none()) {
        return steps;
    }
    let known: BTreeMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.migration.version.text.as_str(), i))
        .collect();
    let parents: Vec<BTreeSet<usize>> = steps
        .iter()
        .map(|s| {
            s.migration
                .parents
                .iter()
                .flatten()
                .filter_map(|p| known.get(p.text.as_str()).copied())
                .collect()
        })
        .collect();
    let mut waiting: Vec<usize> = parents.iter().map(BTreeSet::len).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (child, ps) in parents.iter().enumerate() {
        for &p in ps {
            children[p].push(child);
        }
    }
    // Ready steps by (version, position): the lowest version first.
    let key = |i: usize| (steps[i].migration.version.clone(), i);
    let mut ready: BTreeSet<_> = (0..steps.len()).filter(|&i| waiting[i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(steps.len());
    while let Some(next) = ready.pop_first() {
        let i = next.1;
        order.push(i);
        for &c in &children[i] {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.insert(key(c));
            }
        }
    }
    if order.len() < steps.len() {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        order.extend((0..steps.len()).filter(|i| !placed.contains(i)));
    }
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}
