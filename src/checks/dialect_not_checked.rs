use super::{Finding, Location};
use crate::model::MigrationSet;
use crate::sql::Grammar;

declare_rule! {
    /// ## What it does
    /// Says that scripts written for a database migproof has no grammar for — CockroachDB,
    /// ClickHouse, H2, SQL Server — were split into statements but not syntax-checked. The
    /// database comes from the project: the directory names a runner selects by (`cockroachdb/`,
    /// `clickhouse/`, Flyway's `H2/`) or pop's and popx's `.cockroach.` file names.
    ///
    /// ## Why is this bad
    /// It is not: it says what was not checked. Judging CockroachDB's `t@idx` or `STORING`, or
    /// ClickHouse's `ENGINE = MergeTree`, by PostgreSQL's grammar would report errors the real
    /// database never raises.
    ///
    /// ## Example
    /// `config/migrations/cockroachdb/0_initial.up.sql`.
    ///
    /// ## How to fix
    /// Nothing to fix. Run these migrations against that database in CI to check them.
    pub static RULE = ("MC015", "dialect-not-checked", Note);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let mut databases: Vec<&str> = Vec::new();
    let mut scripts = 0;
    for m in &set.migrations {
        for script in m.up.iter().chain(&m.down) {
            let dialect = set.dialect_of(m, script);
            if Grammar::of_dialect(dialect) == Grammar::Unchecked {
                scripts += 1;
                let d = dialect.unwrap_or_default();
                if !databases.contains(&d) {
                    databases.push(d);
                }
            }
        }
    }
    databases.sort_unstable();
    if Grammar::of_dialect(set.runner.dialect.as_deref()) == Grammar::Unchecked {
        scripts += set.others.len();
        if let Some(d) = set.runner.dialect.as_deref()
            && !databases.contains(&d)
        {
            databases.push(d);
        }
    }
    if scripts == 0 {
        return;
    }
    let why = set
        .runner
        .dialect_evidence
        .as_deref()
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    out.push(Finding::new(
        &RULE,
        Location::path_only(&set.display),
        format!(
            "{scripts} scripts are written for {}{why}, which migproof has no grammar for: their syntax is not checked",
            databases.join(", ")
        ),
    ));
}
