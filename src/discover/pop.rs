//! pop (gobuffalo, used by ory/kratos): `{version}_{name}[.{dialect}][.autocommit].{up,down}.sql`
//! with dialects `postgres`, `cockroach`, `mysql`, `sqlite3`. A file without a dialect runs on
//! every database; a file with one replaces it on that database. Files are paired and numbered
//! per dialect; `.autocommit` runs outside a transaction. Empty files are normal (a database
//! that needs nothing for that version). `.fizz` migrations are not SQL and not read.
//!
//! A directory is pop when at least one file carries a dialect or `.autocommit`; otherwise it
//! is indistinguishable from golang-migrate and checked as such.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::pairs::{self, Direction, PairName};
use super::{Detection, DirListing, Format};
use crate::model::{FormatRules, MigrationSet, StrayFile, Version};

pub struct Pop;

/// The dialects pop knows, as written in file names.
pub const DIALECTS: &[&str] = &["postgres", "cockroach", "mysql", "sqlite3"];

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+)_([^.]+)(?:\.([a-z0-9]+))?(\.autocommit)?\.(up|down)\.sql$").unwrap());

#[derive(Debug)]
pub(super) struct PopName {
    pub(super) pair: PairName,
    pub(super) dialect: Option<String>,
    pub(super) autocommit: bool,
}

pub(super) fn parse(name: &str) -> Option<PopName> {
    let c = NAME.captures(name)?;
    let (mut dialect, mut autocommit) = (c.get(3).map(|m| m.as_str().to_string()), c.get(4).is_some());
    if dialect.as_deref() == Some("autocommit") && !autocommit {
        dialect = None;
        autocommit = true;
    }
    Some(PopName {
        pair: PairName {
            version: Version::parse(&c[1])?,
            title: c[2].to_string(),
            direction: if &c[5] == "up" { Direction::Up } else { Direction::Down },
            ext: "sql".to_string(),
        },
        dialect,
        autocommit,
    })
}

impl Format for Pop {
    fn name(&self) -> &'static str {
        "pop"
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir
            .files
            .iter()
            .filter_map(|f| parse(f))
            .filter(|p| p.autocommit || p.dialect.as_deref().is_some_and(|d| DIALECTS.contains(&d)))
            .count();
        Detection::if_found(n, 25, || {
            format!("{n} files named `{{version}}_{{name}}.{{dialect}}[.autocommit].up|down.sql`")
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            empty_allowed: true,
            apply: crate::model::Apply::Transaction,
            family: Some("golang-migrate"),
            ..FormatRules::default()
        };
        let mut groups: BTreeMap<Option<String>, Vec<(usize, PairName)>> = BTreeMap::new();
        let mut autocommit = BTreeSet::new();
        let mut known = BTreeSet::new();
        for name in &dir.files {
            let Some(p) = parse(name) else { continue };
            if let Some(d) = &p.dialect
                && !DIALECTS.contains(&d.as_str())
            {
                set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason: format!(
                        "names the database `{d}`, which pop does not know ({}), so it never runs",
                        DIALECTS.join(", ")
                    ),
                });
                continue;
            }
            known.insert(name.clone());
            let id = set.add_file(dir.read_file(name));
            if p.autocommit {
                autocommit.insert(id);
            }
            groups.entry(p.dialect).or_default().push((id, p.pair));
        }
        for (dialect, files) in groups {
            let before = set.migrations.len();
            pairs::pair(&mut set, files);
            for m in &mut set.migrations[before..] {
                m.dialect = dialect.clone();
                for s in m.up.iter_mut().chain(m.down.iter_mut()) {
                    s.no_transaction = autocommit.contains(&s.file);
                }
            }
        }
        pairs::collect_strays(&mut set, dir, |name| {
            if known.contains(name) || parse(name).is_some() || name.ends_with(".fizz") {
                None
            } else {
                pairs::stray_reason(name, "sql")
            }
        });
        set.sort();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = parse("20210410175418000000_network.cockroach.up.sql").unwrap();
        assert_eq!(p.dialect.as_deref(), Some("cockroach"));
        assert!(!p.autocommit);
        let p = parse("1_a.postgres.autocommit.down.sql").unwrap();
        assert_eq!((p.dialect.as_deref(), p.autocommit), (Some("postgres"), true));
        let p = parse("1_a.autocommit.up.sql").unwrap();
        assert_eq!((p.dialect, p.autocommit), (None, true));
        assert!(parse("1_a.b.c.up.sql").is_none());
    }
}
