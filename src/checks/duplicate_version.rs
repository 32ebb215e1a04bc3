use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports two or more migrations that share a version, also when they only differ in
    /// zero-padding (`1_a` and `001_b` are both version 1).
    ///
    /// ## Why is this bad
    /// Runners refuse to start (golang-migrate: "duplicate migration file") or, worse, run only
    /// one of them. It usually happens when two branches each add "the next" number.
    ///
    /// ## Example
    /// ```text
    /// 056_add_orders.up.sql
    /// 056_add_invoices.up.sql
    /// ```
    ///
    /// ## How to fix
    /// Renumber the migration that was merged last so it comes after every existing one.
    pub static RULE = ("MC001", "duplicate-version", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    if set.rules.named_ids {
        return;
    }
    // Migrations are sorted by version, so equal versions are adjacent.
    // Per dialect: a migration for one database and one for another (or for all) are
    // alternatives, not duplicates.
    let mut dialects: Vec<Option<&str>> = set.migrations.iter().map(|m| m.dialect.as_deref()).collect();
    dialects.sort();
    dialects.dedup();
    for dialect in dialects {
        let of_dialect: Vec<&crate::model::Migration> = set
            .migrations
            .iter()
            .filter(|m| m.dialect.as_deref() == dialect)
            .collect();
        report(set, &of_dialect, out);
    }
}

fn report(set: &MigrationSet, migrations: &[&crate::model::Migration], out: &mut Vec<Finding>) {
    for group in migrations.chunk_by(|a, b| a.version == b.version) {
        if group.len() < 2 {
            continue;
        }
        let names: Vec<&str> = group.iter().map(|m| set.file(m.primary_file()).file_name()).collect();
        for (i, m) in group.iter().enumerate().skip(1) {
            let file = m.primary_file();
            let mut finding = Finding::new(
                &RULE,
                Location::in_file(set, file, 0..0),
                format!(
                    "version {} is used by {} migrations: {}",
                    m.version,
                    group.len(),
                    names.join(", ")
                ),
            )
            .label("duplicate version")
            .help(
                "give every migration its own version: renumber the one merged last after the highest existing version",
            );
            for (j, other) in group.iter().enumerate() {
                if j != i {
                    for f in other.files() {
                        finding = finding.related(
                            Location::in_file(set, f, 0..0),
                            format!("version {} also here", other.version),
                        );
                    }
                }
            }
            out.push(finding);
        }
    }
}
