use std::collections::BTreeMap;

use super::{Finding, Location};
use crate::model::{MigrationSet, UnversionedKind};

declare_rule! {
    /// ## What it does
    /// Reports two Flyway repeatable migrations (`R__{description}.sql`) with the same
    /// description. Repeatables have no version, so they are never reported as duplicate
    /// versions; their description is their identity.
    ///
    /// ## Why is this bad
    /// Flyway refuses to migrate: "Found more than one repeatable migration with description".
    ///
    /// ## Example
    /// ```text
    /// R__views.sql
    /// sub/R__views.sql   (or a copy with the same description elsewhere on the locations)
    /// ```
    ///
    /// ## How to fix
    /// Give each repeatable migration its own description, or merge them into one file.
    pub static RULE = ("MC012", "duplicate-repeatable", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for o in set.others.iter().filter(|o| o.kind == UnversionedKind::Repeatable) {
        // Flyway compares descriptions with `_` read as a space.
        by_name
            .entry(o.name.replace('_', " ").to_lowercase())
            .or_default()
            .push(o.script.file);
    }
    for files in by_name.values().filter(|f| f.len() > 1) {
        for (i, &file) in files.iter().enumerate().skip(1) {
            let mut finding = Finding::new(
                &RULE,
                Location::in_file(set, file, 0..0),
                format!(
                    "{} repeatable migrations share the description of `{}`",
                    files.len(),
                    set.file(file).file_name()
                ),
            )
            .label("same description")
            .help("give each repeatable migration its own description");
            for (j, &other) in files.iter().enumerate() {
                if j != i {
                    finding = finding.related(Location::in_file(set, other, 0..0), "same description here");
                }
            }
            out.push(finding);
        }
    }
}
