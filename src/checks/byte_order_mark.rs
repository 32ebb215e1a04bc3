use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a migration file that starts with a UTF-8 byte-order mark (the bytes
    /// `EF BB BF`, which some Windows editors write), in formats whose runner sends the file
    /// to the server itself. psql (the `psql-rollback` format) and Flyway strip the mark, so
    /// their files are not reported.
    ///
    /// ## Why is this bad
    /// PostgreSQL's scanner takes bytes above 0x7F as letters, so the mark becomes part of the
    /// first word: `CREATE` turns into an unknown word and the server answers
    /// `syntax error at or near "﻿CREATE"`. The file looks fine in every editor, and `psql -f`
    /// runs it, which makes the failure in deployment hard to explain.
    ///
    /// ## Example
    /// ```text
    /// 000003_add_orders.up.sql   saved as "UTF-8 with BOM"
    /// ```
    ///
    /// ## How to fix
    /// Save the file as UTF-8 without a byte-order mark (`sed -i '1s/^\xEF\xBB\xBF//' FILE`).
    pub static RULE = ("MC013", "byte-order-mark", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    // The runner removes the mark before sending the text.
    if set.rules.strips_bom {
        return;
    }
    for (id, file) in set.files.iter().enumerate() {
        if file.derived || !file.text().starts_with('\u{feff}') {
            continue;
        }
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, id, 0..3),
                format!(
                    "`{}` starts with a UTF-8 byte-order mark; {} sends it to the server, which reads it as part of the first word",
                    file.file_name(),
                    set.format
                ),
            )
            .label("byte-order mark")
            .help("save the file as UTF-8 without a byte-order mark"),
        );
    }
}
