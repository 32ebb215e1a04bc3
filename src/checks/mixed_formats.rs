use super::{Finding, Location};
use crate::model::{MigrationSet, SetIssue};

declare_rule! {
    /// ## What it does
    /// Reports files in a migration directory that carry another format's marks than the one
    /// the directory is checked as: goose `-- +goose Up` files beside dbmate `-- migrate:up`
    /// files, golang-migrate `.up.sql` pairs beside Flyway `V1__x.sql` files, and so on.
    /// One finding per foreign format, listing its files.
    ///
    /// ## Why is this bad
    /// A runner only understands its own layout. The other files are skipped silently, or run
    /// with the wrong sections (a goose file run by golang-migrate runs its down right after its
    /// up), or make the runner refuse the whole directory.
    ///
    /// ## Example
    /// ```text
    /// 20240101000000_init.sql          -- +goose Up / -- +goose Down
    /// 20240201000000_users.up.sql      golang-migrate pair
    /// 20240201000000_users.down.sql
    /// ```
    ///
    /// ## How to fix
    /// Convert the odd files to the directory's format, or move them to a directory of their own.
    /// If migproof picked the wrong format, say which one with `--format-of DIR=FORMAT`.
    pub static RULE = ("MC006", "mixed-formats", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for issue in &set.issues {
        let SetIssue::MixedFormats { format, files } = issue else {
            continue;
        };
        let Some((first, rest)) = files.split_first() else {
            continue;
        };
        let mut finding = Finding::new(
            &RULE,
            Location::path_only(first),
            format!(
                "{} file{} here follow{} the {format} layout, but the directory is checked as {}",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                if files.len() == 1 { "s" } else { "" },
                set.format
            ),
        )
        .help(format!(
            "convert them to {} or move them to their own directory; if {} is the wrong guess, pass `--format-of {}={format}`",
            set.format, set.format, set.display
        ));
        for f in rest {
            finding = finding.related(Location::path_only(f), format!("also {format}"));
        }
        out.push(finding);
    }
}
