use super::{Finding, Location, Severity};
use crate::model::{LockProblem, MigrationSet, SetIssue};

declare_rule! {
    /// ## What it does
    /// Reports a Prisma migrations folder whose `migration_lock.toml` is missing (a warning),
    /// is not valid TOML or has no `provider` (errors), or names another provider than the
    /// schema's `datasource` (`../schema.prisma`), or than PostgreSQL when there is no schema
    /// beside it (errors).
    ///
    /// ## Why is this bad
    /// Prisma refuses to apply migrations when the lock file's provider differs from the
    /// schema's (error P3019): migrations written for one database are not run on another.
    /// Without the lock file in version control that protection is gone.
    ///
    /// ## Example
    /// ```toml
    /// # prisma/migrations/migration_lock.toml, while schema.prisma says provider = "postgresql"
    /// provider = "mysql"
    /// ```
    ///
    /// ## How to fix
    /// Commit the `migration_lock.toml` that `prisma migrate dev` writes. If the provider really
    /// changed, the old migrations do not apply: start a new migration history for it.
    pub static RULE = ("MC009", "prisma-lock-file", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for issue in &set.issues {
        let SetIssue::LockFile { path, problem } = issue else {
            continue;
        };
        let (message, help, severity) = match problem {
            LockProblem::Missing => (
                "`migration_lock.toml` is missing: nothing records which database these migrations are for".to_string(),
                "commit the migration_lock.toml that `prisma migrate dev` writes".to_string(),
                Severity::Warning,
            ),
            LockProblem::Invalid(why) => (
                format!("`migration_lock.toml` {why}"),
                "restore it as `provider = \"postgresql\"`".to_string(),
                RULE.severity,
            ),
            LockProblem::Mismatch {
                locked,
                expected,
                source,
            } => (
                format!("`migration_lock.toml` says provider `{locked}`, but {source} says `{expected}`"),
                "make the lock file and the schema agree; migrations of another provider do not apply".to_string(),
                RULE.severity,
            ),
        };
        out.push(
            Finding::new(&RULE, Location::path_only(path), message)
                .severity(severity)
                .help(help),
        );
    }
}
