use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a file in a migration directory that looks like a migration but that the
    /// format's runner would silently skip: a missing `.up`/`.down`, a `-` instead of `_` after
    /// the version, `_up` instead of `.up`, editor and merge leftovers (`~`, `.bak`, `.orig`,
    /// `.swp`). Docs (`*.md`, `*.txt`), `.gitkeep`, hidden files and source code are ignored.
    ///
    /// ## Why is this bad
    /// A migration that is never run is a schema change that never happens, and nothing says so.
    ///
    /// ## Example
    /// ```text
    /// 003-add_users.up.sql      (should be 003_add_users.up.sql)
    /// 004_add_orders_up.sql     (should be 004_add_orders.up.sql)
    /// ```
    ///
    /// ## How to fix
    /// Rename the file to the format's pattern, or delete the leftover.
    pub static RULE = ("MC003", "unrecognized-file", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for stray in &set.stray {
        out.push(
            Finding::new(
                &RULE,
                Location::path_only(&stray.display),
                format!("`{}` {}", file_name(&stray.display), stray.reason),
            )
            .help(format!(
                "rename it to the {} pattern, or delete it if it is a leftover",
                set.format
            )),
        );
    }
}

fn file_name(display: &str) -> &str {
    display.rsplit('/').next().unwrap_or(display)
}
