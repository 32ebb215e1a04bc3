//! What happens to findings after the offline checks: the git-aware comparison with `--base`
//! and the limiting of offline findings to what changed.

use crate::base;
use crate::checks::Finding;
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
}

/// Turns each set's offline findings (`offline[i]` belongs to `sets[i]`) into the findings
/// to report.
pub fn finish(sets: &[MigrationSet], offline: Vec<Vec<Finding>>, options: &Options) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    for (set, mut set_findings) in sets.iter().zip(offline) {
        if let Some(name) = &options.base {
            let base = git::resolve(&set.path, &set.display, name)?;
            let at_base = base::load(set, &base)?;
            let mut git_findings = Vec::new();
            let changed = base::compare(set, &at_base, &mut git_findings);
            if !options.all {
                set_findings.retain(|f| base::involves(f, &changed));
            }
            set_findings.extend(git_findings);
        }
        findings.extend(set_findings);
    }
    Ok(findings)
}
