//! The one road every finding takes to the report, whatever reported it (an offline check,
//! `--base`, `--roundtrip`): inline ignores (reporting MC011 for those that silence nothing),
//! configured levels and `off`, the limit to what changed since `--base`, and the ignore globs
//! of the configuration file. Each step is a function of the findings; a new step is one more
//! line in [`funnel`].

use std::collections::BTreeSet;

use crate::base;
use crate::config::Config;
use crate::finding::{Finding, Kind, Rule};
use crate::ignore_directives;
use crate::model::MigrationSet;

/// Which kinds of rules ran in this batch of findings. A directive that names a rule that did
/// not run (a `--base` rule without `--base`, a round-trip rule without `--roundtrip`) is not
/// judged unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ran {
    /// The offline checks (and with them the funnel's own MC011 on unknown or empty directives).
    pub offline: bool,
    pub base: bool,
    pub roundtrip: bool,
}

impl Ran {
    pub fn rule(&self, rule: &Rule) -> bool {
        match rule.kind {
            Kind::Offline | Kind::Funnel => self.offline,
            Kind::Base => self.base,
            Kind::Roundtrip => self.roundtrip,
        }
    }
}

/// What the funnel needs beyond the findings.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// `migproof.toml`: levels, checks switched off, ignore globs.
    pub config: Option<&'a Config>,
    /// With `--base` (and without `--all`): the display paths of the files added or changed since
    /// the base; findings of kinds [`Kind::limited_to_changes`] must involve one of them.
    pub changed_only: Option<&'a BTreeSet<String>>,
    pub ran: Ran,
}

/// Turns the findings a set's stages reported into the findings to render.
pub fn funnel(set: &MigrationSet, mut findings: Vec<Finding>, cx: &Context) -> Vec<Finding> {
    let judged = |rule: &Rule| cx.ran.rule(rule) && !cx.config.is_some_and(|c| c.is_off(rule));
    ignore_directives::apply(set, &mut findings, &judged);
    if let Some(config) = cx.config {
        config.apply_levels(&mut findings);
    }
    if let Some(changed) = cx.changed_only {
        findings.retain(|f| !f.rule.kind.limited_to_changes() || base::involves(f, changed));
    }
    if let Some(config) = cx.config {
        findings.retain(|f| !config.ignored(&f.location.path));
    }
    findings
}
