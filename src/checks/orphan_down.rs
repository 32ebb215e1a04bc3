use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a down migration with no up of the same version.
    ///
    /// ## Why is this bad
    /// The down can never run in step with its up. Usually the up was renamed or renumbered
    /// and the down was forgotten, or the version was mistyped in one of the two names.
    ///
    /// ## Example
    /// ```text
    /// 20240325143100_add_table.up.sql
    /// 20240325133100_add_table.down.sql   (14 vs 13: a typo)
    /// ```
    ///
    /// ## How to fix
    /// Rename the down to its up's version and title, or delete it if the up is gone.
    pub static RULE = ("MC102", "orphan-down", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for m in &set.migrations {
        let (None, Some(down)) = (&m.up, &m.down) else { continue };
        // pop: a down for every database pairs with a database's own up of the same version
        // (the runner picks each direction per database: the specific file, else the generic).
        if m.dialect.is_none()
            && set
                .migrations
                .iter()
                .any(|o| o.version == m.version && o.dialect.is_some() && o.up.is_some())
        {
            continue;
        }
        let name = set.file(down.file).file_name();
        let mut finding = Finding::new(
            &RULE,
            Location::in_file(set, down.file, 0..0),
            format!("`{name}` has no up migration with version {}", m.version),
        )
        .label("no up for this down")
        .help("rename it to match its up migration's version and title, or delete it if the up is gone");
        // The most likely partner: an up with the same title and no down of its own.
        if let Some(partner) = set
            .migrations
            .iter()
            .find(|o| o.name == m.name && o.up.is_some() && o.down.is_none())
        {
            let up = partner.up.as_ref().expect("checked above").file;
            finding = finding.related(
                Location::in_file(set, up, 0..0),
                format!("an up with the same title has version {}", partner.version),
            );
        }
        out.push(finding);
    }
}
