use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports migrations whose file names do not sort in the same order as their versions:
    /// mixed zero-padding widths (`09_a` beside `0010_b`) or unpadded numbers (`9_a` beside `10_b`).
    ///
    /// Not reported for Flyway and refinery, whose convention is unpadded `V1`, `V2`, `V10`.
    ///
    /// ## Why is this bad
    /// Runners order by the number, but people, `ls`, editors and scripts that sort by name see a
    /// different order, and tools that apply files in name order (psql loops, Docker entrypoints)
    /// run them in the wrong order.
    ///
    /// ## Example
    /// ```text
    /// 0010_add_index.up.sql   <- sorts first by name, but is version 10
    /// 09_create_table.up.sql
    /// ```
    ///
    /// ## How to fix
    /// Pad every version to the same width (`0009_create_table`, `0010_add_index`).
    pub static RULE = ("MC002", "version-order", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    // Unpadded versions (`V1`, `V2`, `V10`) are the convention, and the files are only ever run
    // by a runner that sorts by version.
    if set.rules.unpadded_versions {
        return;
    }
    let mut by_name: Vec<(&str, &crate::model::Migration)> = set
        .migrations
        .iter()
        .map(|m| (set.file(m.primary_file()).file_name(), m))
        // A name without digits (`initial.ts`, diesel's `up.sql`) does not carry the version,
        // so its place in name order says nothing.
        .filter(|(name, _)| name.bytes().any(|b| b.is_ascii_digit()))
        .collect();
    by_name.sort_by(|a, b| a.0.cmp(b.0));
    for pair in by_name.windows(2) {
        let ((name_a, a), (name_b, b)) = (pair[0], pair[1]);
        if a.version > b.version {
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, a.primary_file(), 0..0),
                    format!(
                        "`{name_a}` sorts before `{name_b}` by name, but its version {} comes after {}",
                        a.version, b.version
                    ),
                )
                .label("out of name order")
                .help("pad all versions to the same number of digits so name order and version order agree")
                .related(Location::in_file(set, b.primary_file(), 0..0), "sorts after by name"),
            );
        }
    }
}
