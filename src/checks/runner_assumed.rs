use super::{Finding, Location, Severity};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Says which runner a directory was checked as when nothing in the project names that
    /// runner — no manifest (`go.mod`, `Cargo.toml`, `package.json`, `pom.xml`), no runner
    /// configuration (`atlas.hcl`, `diesel.toml`, `sqitch.conf`, …), no script that invokes it —
    /// so its rules were assumed from the file names alone; or that the project names a runner
    /// whose rules migproof does not model. Either way, every verdict that depends on the
    /// runner's rules (duplicate or out-of-order versions, files it would skip, missing or
    /// orphan downs, section markers, transactions) is reported as a warning, not an error.
    /// Syntax errors stay errors: PostgreSQL rejects them whatever runs the file.
    ///
    /// ## Why is this bad
    /// Runners differ in exactly these rules: maragudk/migrate takes `0001_a` and `0001_b` as two
    /// versions where golang-migrate sees a duplicate; sql-migrate and golang-migrate run an up
    /// without a down. A gate that fails a build on an assumed rule blocks valid work.
    ///
    /// ## Example
    /// `migrations/0001_a.up.sql` and `migrations/0001_b.up.sql` in a repository whose `go.mod`
    /// is not beside it: checked as golang-migrate, the duplicate version is only a warning.
    ///
    /// ## How to fix
    /// Declare the runner: `migproof check --format-of migrations=golang-migrate`, or in
    /// `migproof.toml`: `[[directories]] path = "migrations" format = "golang-migrate"`.
    pub static RULE = ("MC014", "runner-assumed", Note);
}

/// The rules whose verdicts depend on the runner's rules (versions, file names, pairing,
/// sections, transactions, registries): errors only when the runner is known.
pub const RUNNER_RULES: &[&str] = &[
    "MC001", "MC002", "MC003", "MC004", "MC005", "MC006", "MC007", "MC008", "MC009", "MC012", "MC020", "MC021",
    "MC022", "MC023", "MC024", "MC025", "MC026", "MC028", "MC029", "MC030", "MC031", "MC101", "MC102", "MC103",
    "MC104", "MC202",
];

/// Whether `set`'s runner is known well enough for its rules to yield errors.
fn certain(set: &MigrationSet) -> bool {
    set.runner.name.is_empty() || (set.runner.certainty.is_known() && set.runner.modelled)
}

/// Reported by [`soften`], once per set whose findings it softened.
pub fn check(_set: &MigrationSet, _out: &mut Vec<Finding>) {}

fn note(set: &MigrationSet, out: &mut Vec<Finding>) {
    let r = &set.runner;
    let (message, help) = if r.modelled {
        (
            format!(
                "nothing in the project names this directory's runner; checked as {} because the file names fit it ({}), so verdicts that depend on its rules are warnings",
                set.format,
                r.evidence.join("; ")
            ),
            format!(
                "declare the runner: `--format-of {}={}`, or `format = \"{}\"` for this directory in migproof.toml",
                set.display, set.format, set.format
            ),
        )
    } else {
        (
            format!(
                "the project's runner is {} ({}), whose rules migproof does not model; the files were read as {} for their SQL, and verdicts that depend on the runner's rules are warnings",
                r.name,
                r.evidence.join("; "),
                set.format
            ),
            format!(
                "if {} does follow {}'s rules, declare it: `--format-of {}={}`",
                r.name, set.format, set.display, set.format
            ),
        )
    };
    out.push(
        Finding::new(&RULE, Location::path_only(&set.display), message)
            .severity(Severity::Note)
            .help(help),
    );
}

/// Turns the errors of runner-dependent rules into warnings when the runner is not known, and
/// adds the note that says which runner was assumed and how to declare it.
pub fn soften(set: &MigrationSet, findings: &mut Vec<Finding>) {
    if certain(set) {
        return;
    }
    let mut softened = false;
    for f in findings.iter_mut() {
        if f.severity == Severity::Error && RUNNER_RULES.contains(&f.rule.code) {
            f.severity = Severity::Warning;
            softened = true;
        }
    }
    if softened {
        note(set, findings);
    }
}
