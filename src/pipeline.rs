//! What happens to findings after the offline checks: the git-aware comparison with `--base`,
//! inline ignore directives (and MC011), and the limiting of offline findings to what changed.

use crate::base;
use crate::checks::{Finding, Rule};
use crate::error::Error;
use crate::git;
use crate::model::MigrationSet;

/// How to check, beyond which paths.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--base REF`: compare with this git ref.
    pub base: Option<String>,
    /// `--all`: with a base, keep offline findings in unchanged migrations too.
    pub all: bool,
    /// `migproof.toml`: severities, checks switched off, ignore globs.
    pub config: Option<crate::config::Config>,
    /// `--format-of DIR=FORMAT`: formats given instead of detected (they win over the config).
    pub format_of: Vec<(std::path::PathBuf, String)>,
    /// `--max-file-size`: larger files are reported, not read (default
    /// [`crate::model::DEFAULT_MAX_FILE_SIZE`]).
    pub max_file_size: Option<u64>,
}

/// Turns each set's offline findings (`offline[i]` belongs to `sets[i]`) into the findings
/// to report.
pub fn finish(sets: &[MigrationSet], offline: Vec<Vec<Finding>>, options: &Options) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    let config = options.config.as_ref();
    let ran = |rule: &Rule| (options.base.is_some() || !is_git_aware(rule)) && !config.is_some_and(|c| c.is_off(rule));
    for (set, mut set_findings) in sets.iter().zip(offline) {
        let mut changed = None;
        if let Some(name) = &options.base {
            let base = git::resolve(&set.path, &set.display, name)?;
            let at_base = base::load(set, &base)?;
            changed = Some(base::compare(set, &at_base, &mut set_findings));
        }
        if let Some(config) = config {
            config.apply_levels(&mut set_findings);
        }
        crate::ignore_directives::apply(set, &mut set_findings, &ran);
        if let Some(changed) = changed.filter(|_| !options.all) {
            set_findings.retain(|f| is_git_aware(f.rule) || base::involves(f, &changed));
        }
        if let Some(config) = config {
            set_findings.retain(|f| !config.ignored(&f.location.path));
        }
        crate::limits::cap_per_file(&mut set_findings);
        findings.extend(set_findings);
    }
    Ok(findings)
}

/// The rules only `--base` reports.
fn is_git_aware(rule: &Rule) -> bool {
    use crate::checks::{deleted_applied_migration, edited_applied_migration, out_of_order_migration};
    [
        &edited_applied_migration::RULE,
        &deleted_applied_migration::RULE,
        &out_of_order_migration::RULE,
    ]
    .iter()
    .any(|r| r.code == rule.code)
}
