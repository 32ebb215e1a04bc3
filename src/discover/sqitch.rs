//! Sqitch: a plan file (`sqitch.plan`) lists the changes in deploy order; each change `name`
//! has `deploy/name.sql`, `revert/name.sql` and `verify/name.sql` under the top directory.
//!
//! Modelled on sqitchers/sqitch (commit 0ab857e3):
//! - **Which plan** (`lib/App/Sqitch/Target.pm` `top_dir`, `plan_file`): `sqitch.conf`'s
//!   `[core] top_dir` (default `.`) and `plan_file` (default `$top_dir/sqitch.plan`), relative
//!   to the directory of `sqitch.conf`. Another `sqitch.plan` elsewhere (a stale copy at the
//!   root) is not read.
//! - **Plan grammar** (`lib/App/Sqitch/Plan.pm` `_parse`): `%pragma=value` lines up to the
//!   first blank line (`%project` required); then changes `name [deps] 2024-05-13T17:21:58Z
//!   Planner <email> # note` and tags `@name … `; `#` starts a note. A change name may not
//!   repeat without a tag between (a repeat after a tag is a *rework*: the earlier version's
//!   scripts are `name@tag.sql`). Timestamp and planner are required. Each listed dependency
//!   must be a change planned earlier (`check_changes`: "Unknown change", "planned N changes
//!   before required change"); dependencies on other projects (`proj:change`) and conflicts
//!   (`!change`) are not checked. All of it is `plan-error`.
//! - **Order**: plan order (timestamps play no part).
//! - **Scripts** (`lib/App/Sqitch/Plan/Change.pm` `deploy_file`, `path_segments`):
//!   `deploy|revert|verify/<name>[@tag].sql`; names may contain `/` (subdirectories). A change
//!   without its deploy script fails `sqitch deploy` (`planned-file-missing`); a deploy script
//!   no change names never runs (`unplanned-file`); a missing revert script fails `sqitch
//!   revert` (`missing-down`). Verify scripts are parse-checked.
//! - **Transactions and psql** (`lib/App/Sqitch/Engine/pg.pm`): the pg engine runs each script
//!   with `psql --file … --set ON_ERROR_STOP=1`, so psql meta-commands are legal and the script
//!   decides its own transaction (`BEGIN;`…`COMMIT;`, or none).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format};
use crate::model::{
    Apply, FileId, FormatRules, Migration, MigrationSet, Script, SetIssue, Unversioned, UnversionedKind, Version,
};

pub struct Sqitch;

const PLAN: &str = "sqitch.plan";

/// `sqitch.conf`'s `[core]` settings that place the plan and scripts.
#[derive(Debug, Default)]
struct Conf {
    /// The directory of `sqitch.conf`.
    dir: PathBuf,
    top_dir: Option<String>,
    plan_file: Option<String>,
    extension: Option<String>,
}

/// The nearest `sqitch.conf` in `dir` or up to four directories above it.
fn conf_for(dir: &Path) -> Option<Conf> {
    for d in dir.ancestors().take(5) {
        let Ok(text) = std::fs::read_to_string(d.join("sqitch.conf")) else {
            continue;
        };
        let mut conf = Conf {
            dir: d.to_path_buf(),
            ..Conf::default()
        };
        let mut section = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
                continue;
            }
            if line.starts_with('[') {
                section = line.trim_matches(['[', ']']).trim().to_ascii_lowercase();
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if section != "core" {
                continue;
            }
            let value = Some(value.trim().trim_matches('"').to_string());
            match key.trim() {
                "top_dir" => conf.top_dir = value,
                "plan_file" => conf.plan_file = value,
                "extension" => conf.extension = value,
                _ => {}
            }
        }
        return Some(conf);
    }
    None
}

impl Conf {
    fn top_dir(&self) -> PathBuf {
        self.dir.join(self.top_dir.as_deref().unwrap_or("."))
    }

    fn plan_file(&self) -> PathBuf {
        match &self.plan_file {
            Some(p) => self.dir.join(p),
            None => self.top_dir().join(PLAN),
        }
    }
}

fn same(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

impl Format for Sqitch {
    fn name(&self) -> &'static str {
        "sqitch"
    }

    /// `sqitch.plan` (or `sqitch.conf`) beside `deploy/` is sqitch's own layout. Detection already requires it.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        self.detect(dir).map(|d| d.reason)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let conf = conf_for(&dir.path);
        let is_top = conf.as_ref().is_some_and(|c| same(&c.top_dir(), &dir.path));
        let has_plan = dir.files.iter().any(|f| f == PLAN);
        let has_deploy = dir.dirs.iter().any(|d| d == "deploy");
        if !(has_deploy && (has_plan || is_top)) {
            return None;
        }
        let reason = match &conf {
            Some(c) if is_top => format!(
                "the top directory of `{}` (plan: `{}`) with `deploy/`",
                c.dir.join("sqitch.conf").display(),
                c.plan_file().display()
            ),
            _ => format!("`{PLAN}` beside `deploy/`"),
        };
        Some(Detection { score: 40, reason })
    }

    fn claims_subdirectories(&self) -> bool {
        true
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            psql_meta_allowed: true,
            strips_bom: true,
            // psql sends each statement on its own; the script holds its own BEGIN/COMMIT.
            apply: Apply::Statements { transaction: false },
            // Plan order, not name order, is the order: names say nothing about it.
            unpadded_versions: true,
            down_hint: crate::model::DownHint::PairFile,
            ..FormatRules::default()
        };
        let conf = conf_for(&dir.path);
        let ext = conf
            .as_ref()
            .and_then(|c| c.extension.clone())
            .unwrap_or_else(|| "sql".to_string());
        // The effective plan: the configured one when it lies in this directory, else ours.
        let plan_rel = conf
            .as_ref()
            .filter(|c| same(&c.top_dir(), &dir.path))
            .and_then(|c| {
                c.plan_file()
                    .strip_prefix(&dir.path)
                    .ok()
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
            })
            .unwrap_or_else(|| PLAN.to_string());
        if !dir.has_file(&plan_rel) {
            return set;
        }
        let plan = set.add_file(dir.read_file(&plan_rel));
        let Ok(text) = set.file(plan).text.clone() else {
            return set;
        };
        let changes = parse(&mut set, plan, &text);
        let mut planned: BTreeSet<String> = BTreeSet::new();
        for (pos, c) in changes.iter().enumerate() {
            let stem = match &c.rework_tag {
                Some(tag) => format!("{}@{tag}", c.name),
                None => c.name.clone(),
            };
            planned.insert(format!("{stem}.{ext}"));
            let script = |set: &mut MigrationSet, kind: &str| {
                let rel = format!("{kind}/{stem}.{ext}");
                dir.has_file(&rel).then(|| {
                    let id = set.add_file(psql_variables(dir.read_file(&rel)));
                    Script::whole(id, set.file(id).text())
                })
            };
            let up = script(&mut set, "deploy");
            let down = script(&mut set, "revert");
            if let Some(verify) = script(&mut set, "verify") {
                set.others.push(Unversioned {
                    name: stem.clone(),
                    kind: UnversionedKind::Verify,
                    script: verify,
                });
            }
            if up.is_none() {
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::planned_file_missing::RULE.code,
                    file: plan,
                    span: c.span.clone(),
                    message: format!(
                        "the plan lists change `{}`, but `deploy/{stem}.{ext}` does not exist: `sqitch deploy` stops there",
                        c.name
                    ),
                    related: Vec::new(),
                });
                if down.is_none() {
                    continue;
                }
            }
            set.migrations.push(Migration {
                version: Version::parse(&format!("{:04}", pos + 1)).unwrap_or_else(|| Version::named(&stem)),
                name: stem,
                up,
                down,
                down_name: None,
                needs_down: true,
                dialect: None,
                parents: None,
            });
        }
        for rel in scripts(dir, "deploy", &ext) {
            if !planned.contains(&rel) {
                let id = set.add_file(dir.read_file(&format!("deploy/{rel}")));
                set.issues.push(SetIssue::Runner {
                    code: crate::checks::unplanned_file::RULE.code,
                    file: id,
                    span: 0..0,
                    message: format!("`deploy/{rel}` is not a change of `{plan_rel}`, so sqitch never deploys it"),
                    related: vec![(plan, 0..0, "the plan".to_string())],
                });
            }
        }
        set.sort();
        set
    }
}

/// A copy of a script with psql's variable references `:'name'` and `:"name"` turned into
/// the literal and identifier psql substitutes (the `:` becomes a space, offsets kept), so
/// `SET content = :'template_content'` is judged as the SQL psql sends.
fn psql_variables(file: crate::model::SourceFile) -> crate::model::SourceFile {
    let Ok(text) = &file.text else { return file };
    let b = text.as_bytes();
    let hits: Vec<usize> = (0..b.len().saturating_sub(1))
        .filter(|&i| b[i] == b':' && matches!(b[i + 1], b'\'' | b'"') && (i == 0 || b[i - 1] != b':'))
        .collect();
    if hits.is_empty() {
        return file;
    }
    let mut out = b.to_vec();
    for i in hits {
        out[i] = b' ';
    }
    match String::from_utf8(out) {
        Ok(s) => {
            let mut copy = file.derived(s);
            copy.derived = false;
            copy
        }
        Err(_) => file,
    }
}

/// The scripts under `kind/` (recursively), as paths relative to it.
fn scripts(dir: &DirListing, kind: &str, ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(kind.to_string(), String::new())];
    while let Some((sub, prefix)) = stack.pop() {
        let Ok(listing) = dir.subdir(&sub) else { continue };
        for f in &listing.files {
            if f.ends_with(&format!(".{ext}")) {
                out.push(format!("{prefix}{f}"));
            }
        }
        for d in &listing.dirs {
            stack.push((format!("{sub}/{d}"), format!("{prefix}{d}/")));
        }
    }
    out.sort();
    out
}

/// One change of the plan.
struct Change {
    name: String,
    /// The tag that follows this change's first version when the change is reworked later.
    rework_tag: Option<String>,
    span: Range<usize>,
}

static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[ \t]*(?P<tag>@)?(?:[ \t]*[+-][ \t]*)?(?P<name>[^ \t@#:\[\]]+)[ \t]*(?:\[(?P<deps>[^\]]+)\][ \t]*)?(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)?[ \t]*(?P<planner>[^<]+[ \t]+<[^>]+>)?[ \t]*$",
    )
    .unwrap()
});

/// Parses the plan as sqitch does, reporting what it would refuse; returns the changes in
/// plan order.
fn parse(set: &mut MigrationSet, plan: FileId, text: &str) -> Vec<Change> {
    let code = crate::checks::plan_error::RULE.code;
    let mut errors: Vec<(Range<usize>, String)> = Vec::new();
    let mut changes: Vec<Change> = Vec::new();
    // Name → index in `changes` of its latest version, and whether a tag followed it.
    let mut latest: BTreeMap<String, usize> = BTreeMap::new();
    let mut since_tag: BTreeMap<String, usize> = BTreeMap::new();
    let mut tags: BTreeSet<String> = BTreeSet::new();
    let mut last_tag: Option<String> = None;
    // Every change name the plan declares, to tell "planned later" from "unknown".
    let declared: BTreeSet<String> = text
        .lines()
        .filter_map(|l| LINE.captures(l.split('#').next().unwrap_or("")))
        .filter(|c| c.name("tag").is_none())
        .map(|c| c["name"].to_string())
        .collect();
    let mut in_header = true;
    let mut project = false;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let span = start..start + line.len();
        let code_part = line.split('#').next().unwrap_or("");
        if in_header {
            if code_part.trim().is_empty() {
                if line.trim().is_empty() {
                    in_header = false;
                }
                continue;
            }
            if let Some(pragma) = code_part.trim().strip_prefix('%') {
                if pragma.split('=').next().is_some_and(|k| k.trim() == "project") {
                    project = true;
                }
                continue;
            }
            in_header = false;
            errors.push((
                span.clone(),
                "a change comes before the blank line that must end the `%` pragmas".to_string(),
            ));
        }
        if code_part.trim().is_empty() {
            continue;
        }
        let Some(c) = LINE.captures(code_part) else {
            errors.push((
                span.clone(),
                format!("sqitch cannot read this line: `{}`", code_part.trim()),
            ));
            continue;
        };
        if c.name("ts").is_none() || c.name("planner").is_none() {
            errors.push((
                span.clone(),
                "a change or tag needs a timestamp and a planner `Name <email>`".to_string(),
            ));
            continue;
        }
        let name = c["name"].to_string();
        if c.name("tag").is_some() {
            if changes.is_empty() {
                errors.push((span.clone(), format!("tag `@{name}` comes before any change")));
            }
            if !tags.insert(name.clone()) {
                errors.push((span.clone(), format!("tag `@{name}` is declared twice")));
            }
            since_tag.clear();
            last_tag = Some(name);
            continue;
        }
        if since_tag.contains_key(&name) {
            errors.push((
                span.clone(),
                format!("change `{name}` is declared twice without a tag between"),
            ));
            continue;
        }
        // Dependencies must be planned before this change.
        for dep in c.name("deps").map_or("", |d| d.as_str()).split_whitespace() {
            if dep.starts_with('!') || dep.contains(':') {
                continue;
            }
            let (change, tag) = dep.split_once('@').map_or((dep, None), |(c, t)| (c, Some(t)));
            let known = match tag {
                Some(t) => tags.contains(t) && latest.contains_key(change),
                None => latest.contains_key(change),
            };
            if dep == name {
                errors.push((span.clone(), format!("change `{name}` requires itself")));
            } else if !known {
                let later = declared.contains(change);
                errors.push((
                    span.clone(),
                    if later {
                        format!("change `{name}` requires `{dep}`, which is planned after it: sqitch reports a dependency error")
                    } else {
                        format!("change `{name}` requires `{dep}`, which is not in the plan: sqitch reports \"Unknown change\"")
                    },
                ));
            }
        }
        if let Some(&prev) = latest.get(&name) {
            // A rework: the earlier version's scripts carry the tag that came between.
            changes[prev].rework_tag = last_tag.clone();
        }
        latest.insert(name.clone(), changes.len());
        since_tag.insert(name.clone(), changes.len());
        changes.push(Change {
            name,
            rework_tag: None,
            span,
        });
    }
    if !project {
        errors.push((
            0..0,
            "the plan has no `%project=` pragma: sqitch refuses it".to_string(),
        ));
    }
    for (span, message) in errors {
        set.issues.push(SetIssue::Runner {
            code,
            file: plan,
            span,
            message,
            related: Vec::new(),
        });
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_lines() {
        let c = LINE
            .captures("workflows [users] 2024-05-13T17:30:35Z Chris Prather <chris@prather.org> ")
            .unwrap();
        assert_eq!(&c["name"], "workflows");
        assert_eq!(&c["deps"], "users");
        assert!(
            LINE.captures("@v1.0 2024-05-13T17:30:35Z A <a@b>")
                .unwrap()
                .name("tag")
                .is_some()
        );
    }
}
