//! Inline ignores in migration files:
//!
//! - `-- migproof:ignore MC201` silences the named checks in the next statement;
//! - `-- migproof:ignore-file MC104` silences them in the whole file.
//!
//! Checks are named by code or name, separated by spaces or commas; `--` ends the list, so a
//! reason can follow (`-- migproof:ignore MC201 -- parsed by a newer server`). A directive is
//! a line comment on its own line, outside any statement. A directive, or one of its checks,
//! that silenced nothing is reported as MC011 unused-ignore.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::checks::{self, Finding, Location, Rule, unused_ignore};
use crate::model::{FileId, MigrationSet};

/// Which part of a file a directive covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The statement after the directive (its byte range), if there is one.
    Next(Option<Range<usize>>),
    File,
}

/// One `-- migproof:ignore…` comment.
#[derive(Debug, Clone)]
pub struct Directive {
    pub file: FileId,
    /// The comment's byte range in the file.
    pub span: Range<usize>,
    pub scope: Scope,
    /// What each word of the list named: a rule, or the unknown word.
    pub targets: Vec<Result<&'static Rule, String>>,
}

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^[ \t]*(--[ \t]*migproof:(ignore-file|ignore)\b([^\r\n]*))").unwrap());

/// Every directive in `set`'s migration files.
pub fn parse(set: &MigrationSet) -> Vec<Directive> {
    // Statement spans by file, to find "the next statement" and skip comments inside one.
    let mut statements: BTreeMap<FileId, Vec<Range<usize>>> = BTreeMap::new();
    for m in &set.migrations {
        for script in m.up.iter().chain(&m.down) {
            if let Some(sql) = &script.sql {
                statements
                    .entry(script.file)
                    .or_default()
                    .extend(sql.statements.iter().cloned());
            }
        }
    }
    let mut out = Vec::new();
    for (id, file) in set.files.iter().enumerate() {
        let Ok(text) = &file.text else { continue };
        let mut stmts = statements.remove(&id).unwrap_or_default();
        stmts.sort_by_key(|s| s.start);
        for c in DIRECTIVE.captures_iter(text) {
            let whole = c.get(1).expect("group 1");
            if stmts.iter().any(|s| s.start < whole.start() && whole.start() < s.end) {
                continue; // inside a statement (a string, a dollar-quoted body): not a directive
            }
            let list = c[3].split("--").next().unwrap_or("");
            let targets = list
                .split(|ch: char| ch == ',' || ch.is_whitespace())
                .filter(|w| !w.is_empty())
                .map(|w| checks::find_rule(w).ok_or_else(|| w.to_string()))
                .collect();
            let scope = if &c[2] == "ignore-file" {
                Scope::File
            } else {
                Scope::Next(stmts.iter().find(|s| s.start >= whole.end()).cloned())
            };
            out.push(Directive {
                file: id,
                span: whole.start()..whole.end(),
                scope,
                targets,
            });
        }
    }
    out
}

impl Directive {
    fn covers(&self, set: &MigrationSet, finding: &Finding) -> bool {
        if finding.location.path != set.file(self.file).display {
            return false;
        }
        match &self.scope {
            Scope::File => true,
            Scope::Next(Some(stmt)) => {
                stmt.start <= finding.location.span.start && finding.location.span.start <= stmt.end
            }
            Scope::Next(None) => false,
        }
    }
}

/// Removes the findings of `set` that a directive silences, and adds an MC011 finding for each
/// directive target that silenced nothing. `ran` tells whether a rule ran at all (a directive
/// for a rule that was switched off, a git-aware rule without `--base` or a round-trip rule
/// without `--roundtrip`, is not "unused"); a directive that names no check, or an unknown one,
/// is reported when MC011 itself ran.
pub fn apply(set: &MigrationSet, findings: &mut Vec<Finding>, ran: &dyn Fn(&Rule) -> bool) {
    let directives = parse(set);
    if directives.is_empty() {
        return;
    }
    // used[d][t]: target t of directive d silenced something.
    let mut used: Vec<Vec<bool>> = directives.iter().map(|d| vec![false; d.targets.len()]).collect();
    findings.retain(|f| {
        let mut keep = true;
        for (d, directive) in directives.iter().enumerate() {
            if !directive.covers(set, f) {
                continue;
            }
            for (t, target) in directive.targets.iter().enumerate() {
                if matches!(target, Ok(rule) if rule.code == f.rule.code) {
                    used[d][t] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    let judge_words = ran(&unused_ignore::RULE);
    let mut unused = Vec::new();
    for (directive, used) in directives.iter().zip(&used) {
        let location = Location::in_file(set, directive.file, directive.span.clone());
        let kind = match directive.scope {
            Scope::File => "migproof:ignore-file",
            Scope::Next(_) => "migproof:ignore",
        };
        if directive.targets.is_empty() && judge_words {
            unused.push(
                Finding::new(
                    &unused_ignore::RULE,
                    location.clone(),
                    format!("`{kind}` names no check"),
                )
                .label("names no check")
                .help("name the checks to ignore by code or name: `-- migproof:ignore MC201`"),
            );
        }
        for (target, used) in directive.targets.iter().zip(used) {
            let finding = match target {
                Err(word) if judge_words => Finding::new(
                    &unused_ignore::RULE,
                    location.clone(),
                    format!("`{kind} {word}` names no check"),
                )
                .label("unknown check")
                .help("`migproof rules` lists every check's code and name"),
                Ok(rule) if !*used && ran(rule) && rule.code != unused_ignore::RULE.code => {
                    let place = match &directive.scope {
                        Scope::File => "in this file",
                        Scope::Next(Some(_)) => "in the next statement",
                        Scope::Next(None) => "here: no statement follows",
                    };
                    Finding::new(
                        &unused_ignore::RULE,
                        location.clone(),
                        format!(
                            "`{kind} {}` silences nothing: {} reports nothing {place}",
                            rule.code, rule.name
                        ),
                    )
                    .label("unused ignore")
                    .help("remove the directive (or this check from it); it would hide a future problem")
                }
                Ok(_) | Err(_) => continue,
            };
            unused.push(finding);
        }
    }
    // `ignore-file MC011` silences the unused-ignore findings of its own file too.
    unused.retain(|f| {
        !directives.iter().any(|d| {
            d.scope == Scope::File
                && d.covers(set, f)
                && d.targets
                    .iter()
                    .any(|t| matches!(t, Ok(r) if r.code == unused_ignore::RULE.code))
        })
    });
    findings.extend(unused);
}
