//! What happens to findings after the offline checks: the git-aware comparison with `--base`,
//! rules switched off (`--select`/`--ignore`, configuration), inline ignore directives (and
//! MC011), the limiting of offline findings to what changed, and ([`involving`]) to the files
//! given on the command line.

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
    /// `--select`: only these rules run (codes); `None`: every rule.
    pub select: Option<Vec<&'static str>>,
    /// `--ignore`: these rules are off (codes); wins over `select`.
    pub ignore: Vec<&'static str>,
    /// `check - --stdin-filename PATH`: PATH and the text read from standard input for it.
    pub stdin: Option<(std::path::PathBuf, Vec<u8>)>,
}

impl Options {
    /// Whether the command line switched `rule` off (`--select`, `--ignore`).
    pub fn is_off(&self, rule: &Rule) -> bool {
        self.ignore.contains(&rule.code) || self.select.as_ref().is_some_and(|s| !s.contains(&rule.code))
    }
}

/// The rules named by `--select`/`--ignore` values (codes or names), as codes.
pub fn rule_codes(keys: &[String]) -> Result<Vec<&'static str>, Error> {
    keys.iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            crate::checks::find_rule(k.trim())
                .map(|r| r.code)
                .ok_or_else(|| Error::UnknownRule(k.trim().to_string()))
        })
        .collect()
}

/// What the command line named: files (as pre-commit passes them) and directories, as
/// displayed in findings.
#[derive(Debug, Clone, Default)]
pub struct Given {
    pub files: Vec<String>,
    pub dirs: Vec<String>,
}

impl Given {
    /// Whether `path` (a finding's place, as displayed) is a given file or lies in a given
    /// directory.
    fn covers(&self, path: &str) -> bool {
        self.files.iter().any(|f| f == path)
            || self
                .dirs
                .iter()
                .any(|d| d == "." || d == path || path.strip_prefix(d.as_str()).is_some_and(|r| r.starts_with('/')))
    }

    /// The given files with the other files of their migrations: touching a migration's down
    /// touches the migration (its version, its pairing).
    pub fn with_migrations(mut self, sets: &[MigrationSet]) -> Given {
        let mut more = Vec::new();
        for set in sets {
            for m in &set.migrations {
                let files: Vec<&str> = m.files().iter().map(|&f| set.file(f).display.as_str()).collect();
                if files.iter().any(|f| self.files.iter().any(|g| g == f)) {
                    more.extend(files.iter().map(|f| f.to_string()));
                }
            }
        }
        self.files.extend(more);
        self.files.sort();
        self.files.dedup();
        self
    }

    /// Whether `finding` involves what was given: at its own place or one of its related places
    /// (a new file that duplicates an old file's version involves the new file).
    pub fn involves(&self, finding: &Finding) -> bool {
        self.covers(&finding.location.path) || finding.related.iter().any(|r| self.covers(&r.location.path))
    }
}

/// The last stage when files were given: keeps the findings that involve them and returns the
/// others (pre-existing findings elsewhere in their directories), which are only counted.
/// Without given files, keeps everything.
pub fn involving(findings: &mut Vec<Finding>, given: &Given) -> Vec<Finding> {
    if given.files.is_empty() {
        return Vec::new();
    }
    let (kept, rest) = std::mem::take(findings).into_iter().partition(|f| given.involves(f));
    *findings = kept;
    rest
}

/// Turns each set's offline findings (`offline[i]` belongs to `sets[i]`) into the findings
/// to report.
pub fn finish(sets: &[MigrationSet], offline: Vec<Vec<Finding>>, options: &Options) -> Result<Vec<Finding>, Error> {
    let mut findings = Vec::new();
    let config = options.config.as_ref();
    let ran = |rule: &Rule| {
        (options.base.is_some() || !is_git_aware(rule))
            && !config.is_some_and(|c| c.is_off(rule))
            && !options.is_off(rule)
    };
    for (set, mut set_findings) in sets.iter().zip(offline) {
        let mut changed = None;
        if let Some(name) = &options.base {
            // What the branch started from (applied on the base's databases) and what the base
            // has now (its highest version, for out-of-order).
            let tip = git::resolve(&set.path, &set.display, name)?;
            let fork = match git::merge_base(&set.path, &tip) {
                Ok(fork) => fork,
                Err(reason) => {
                    eprintln!(
                        "migproof: warning: {}: no merge base of HEAD and `{name}` ({reason}); comparing with `{name}` itself (fetch more history, e.g. `fetch-depth: 0`)",
                        set.display
                    );
                    tip.clone()
                }
            };
            let at_tip = base::load(set, &tip)?;
            let at_fork = if fork.commit == tip.commit {
                None
            } else {
                Some(base::load(set, &fork)?)
            };
            changed = Some(base::compare(
                set,
                at_fork.as_ref().unwrap_or(&at_tip),
                &at_tip,
                &mut set_findings,
            ));
        }
        set_findings.retain(|f| !options.is_off(f.rule));
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
