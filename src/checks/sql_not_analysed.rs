use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Notes SQL that migproof found but did not check: a template literal passed to
    /// `db.exec(…)` / `queryRunner.query(…)` that contains `${…}` interpolation (its text is
    /// only known at run time) or `\` escapes (the text sent differs from the text written).
    /// This is a note, not a problem: it never fails a run.
    ///
    /// ## Why is this bad
    /// It is not bad in itself; it says where the syntax check has a blind spot, so a reviewer
    /// (or `--roundtrip`) looks there.
    ///
    /// ## Example
    /// ```ts
    /// await db.exec(`ALTER TABLE ${table} ADD COLUMN note TEXT`);
    /// ```
    ///
    /// ## How to fix
    /// Nothing is required. Writing the SQL out in full (no interpolation) lets migproof check it.
    pub static RULE = ("MC027", "sql-not-analysed", Note);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for u in &set.unanalysed {
        let start = u.span.start;
        let text = set.file(u.file).text();
        let first_line_end = text[start..u.span.end.min(text.len())]
            .find('\n')
            .map_or(u.span.end, |i| start + i);
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, u.file, start..first_line_end),
                format!("SQL not checked: {}", u.reason),
            )
            .label("not analysed")
            .help("check this SQL by hand or with `--roundtrip`; write it without interpolation to have it checked"),
        );
    }
}
