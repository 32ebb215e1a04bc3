use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports an up and a down that share a version but not a title.
    ///
    /// ## Why is this bad
    /// Runners pair by version, so this works, but one of the two names is wrong: a reviewer
    /// reading the down cannot tell which change it reverses, and it is often a sign that the
    /// down belongs to a different migration.
    ///
    /// ## Example
    /// ```text
    /// 0026_drop_job_id.up.sql
    /// 0026_drop_join_id.down.sql
    /// ```
    ///
    /// ## How to fix
    /// Rename one file so both carry the same title.
    pub static RULE = ("MC103", "pair-name-mismatch", Warning);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for m in &set.migrations {
        let (Some(up), Some(down), Some(down_name)) = (&m.up, &m.down, &m.down_name) else {
            continue;
        };
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, down.file, 0..0),
                format!(
                    "version {} is titled `{}` in its up but `{down_name}` in its down",
                    m.version, m.name
                ),
            )
            .label("title differs from the up's")
            .help("rename one of the two files so the titles match")
            .related(Location::in_file(set, up.file, 0..0), "the up"),
        );
    }
}
