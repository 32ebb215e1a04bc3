//! sqlx: reversible pairs `{version}_{desc}.up.sql` / `.down.sql` (14-digit timestamps by
//! default) and simple, irreversible `{version}_{desc}.sql` files. A script whose first line is
//! `-- no-transaction` runs outside a transaction.
//!
//! A directory of pairs alone is indistinguishable from golang-migrate (which checks the same
//! way); sqlx is chosen when it has a simple migration beside timestamp versions, or a
//! `-- no-transaction` marker.

use std::sync::LazyLock;

use regex::Regex;

use super::golang_migrate::new_set;
use super::pairs::{self, parse_pair_name};
use super::{Detection, DirListing, Format, Mark, Template};
use crate::model::{Apply, Migration, MigrationSet, Script, Version};

pub struct Sqlx;

static SIMPLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.+)\.sql$").unwrap());

pub(super) const NO_TRANSACTION: &str = "-- no-transaction";

/// A simple migration's version and description, unless the name is an up/down file.
pub(super) fn parse_simple(name: &str) -> Option<(Version, String)> {
    if parse_pair_name(name).is_some() {
        return None;
    }
    let c = SIMPLE.captures(name)?;
    Some((Version::parse(&c[1])?, c[2].to_string()))
}

/// sqlx runs a script inside a transaction; with `-- no-transaction` it sends it as one query.
fn apply_mode(no_transaction: bool) -> Apply {
    if no_transaction {
        Apply::OneQuery
    } else {
        Apply::Transaction
    }
}

impl Format for Sqlx {
    fn name(&self) -> &'static str {
        "sqlx"
    }

    fn template(&self) -> Option<Template> {
        Some(Template::PairOrSingle)
    }

    /// sqlx's `-- no-transaction` first line.
    fn marks(&self, _name: &str, text: &str, _marked: &[(&'static str, Mark)]) -> Option<Mark> {
        text.starts_with(NO_TRANSACTION).then_some(Mark::Suits)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let versions: Vec<&str> = dir
            .files
            .iter()
            .filter(|f| f.ends_with(".sql"))
            .filter_map(|f| f.split('_').next())
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .collect();
        let simple = dir.files.iter().filter(|f| parse_simple(f).is_some()).count();
        let timestamps = !versions.is_empty() && versions.iter().all(|v| v.len() >= 14);
        if simple > 0 && timestamps {
            return Some(Detection {
                score: 20,
                reason: format!("{simple} simple `{{timestamp}}_{{desc}}.sql` migrations beside timestamp versions"),
            });
        }
        let marked = !versions.is_empty()
            && dir
                .sniff()
                .iter()
                .any(|s| s.has(self.name()) && s.name.starts_with(|c: char| c.is_ascii_digit()));
        marked.then(|| Detection {
            score: 20,
            reason: "a `-- no-transaction` first line".to_string(),
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = new_set(dir, self.name());
        set.rules.wraps_in_transaction = true;
        set.rules.apply = Apply::Transaction;
        set.rules.family = Some("golang-migrate");
        let mut named = Vec::new();
        for name in &dir.files {
            if let Some(p) = parse_pair_name(name).filter(|p| p.ext == "sql") {
                let id = set.add_file(dir.read_file(name));
                named.push((id, p));
            } else if let Some((version, desc)) = parse_simple(name) {
                let id = set.add_file(dir.read_file(name));
                let mut up = Script::whole(id, set.file(id).text());
                up.no_transaction = set.file(id).text().starts_with(NO_TRANSACTION);
                up.apply = apply_mode(up.no_transaction);
                // A simple migration is irreversible by design: it has no down and needs none.
                set.migrations
                    .push(Migration::new(version, desc, Some(up), None, false));
            }
        }
        pairs::pair(&mut set, named);
        for m in &mut set.migrations {
            for script in m.up.iter_mut().chain(m.down.iter_mut()) {
                script.no_transaction = set.files[script.file].text().starts_with(NO_TRANSACTION);
                script.apply = apply_mode(script.no_transaction);
            }
        }
        pairs::collect_strays(&mut set, dir, |name| {
            if parse_simple(name).is_some() {
                None
            } else {
                pairs::stray_reason(name, "sql")
            }
        });
        set.sort();
        set
    }
}
