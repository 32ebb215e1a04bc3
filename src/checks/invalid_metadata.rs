use super::{Finding, Location};
use crate::model::MigrationSet;

declare_rule! {
    /// ## What it does
    /// Reports a settings file next to the SQL that the runner cannot use: a diesel
    /// `metadata.toml` that is not valid TOML or whose `run_in_transaction` is not a boolean, a
    /// sourcegraph `metadata.yaml` that is not valid YAML or whose `parents` is not a list of
    /// versions, a TypeScript registry whose migration list cannot be found.
    ///
    /// ## Why is this bad
    /// The runner refuses the whole directory when it reads the file, or (worse) falls back to
    /// a default: a migration meant to run outside a transaction runs inside one and fails.
    ///
    /// ## Example
    /// ```toml
    /// # 2024-03-05-120032_add_index/metadata.toml
    /// run_in_transaction = "no"
    /// ```
    ///
    /// ## How to fix
    /// Write the file as the runner documents it (`run_in_transaction = false`,
    /// `parents: [1648051770]`).
    pub static RULE = ("MC020", "invalid-metadata", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for p in &set.metadata_problems {
        let name = set.file(p.file).file_name().to_string();
        out.push(
            Finding::new(
                &RULE,
                Location::in_file(set, p.file, p.span.clone()),
                format!("`{name}` {}", p.message),
            )
            .label("not usable by the runner")
            .help(format!("fix `{name}` so the {} runner can read it", set.format)),
        );
    }
}
