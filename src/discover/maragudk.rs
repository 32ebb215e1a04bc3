//! maragudk/migrate (`github.com/maragudk/migrate`): `{version}.up.sql` and optional
//! `{version}.down.sql`, where the version is the *whole* name before `.up.sql`.
//!
//! From the runner's source (maragudk/migrate@df070c9f and tag v0.4.3, `migrate.go`):
//! - **Matching**: ups match `^([\w-]+).up.sql$`, downs `^([\w-]+).down.sql` — the dots are
//!   unescaped, so `0021_x_up.sql` is an up of version `0021_x`, and `0157.up.sql` is valid.
//!   Other files are ignored (`getFilenames`). The directory is not recursive.
//! - **Versions** are the captured names compared as strings: `0001_a` and `0001_b` are two
//!   versions, and files run in name order (`fs.ReadDir` sorts by name; `thisVersion <=
//!   currentVersion` skips applied ones). There are no duplicates by construction.
//! - **Downs** are optional: `MigrateDown` only runs the down files that exist.
//! - **Transactions**: each file runs inside its own transaction with the version update
//!   (`inTransaction`, one `ExecContext` of the whole file).
//!
//! Its layout looks like golang-migrate's, so it is never chosen by names alone: only a project
//! whose `go.mod` requires `github.com/maragudk/migrate` is checked by these rules.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format};
use crate::model::{Apply, FormatRules, Migration, MigrationSet, Script, StrayFile, Version};

pub struct Maragudk;

/// The runner's own patterns, unescaped dots and all (the down one is not anchored at the end).
static UP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([\w-]+).up.sql$").unwrap());
static DOWN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([\w-]+).down.sql").unwrap());

/// The version (`0001_a`) and direction (`true` for up) of a file the runner takes.
pub(super) fn parse_name(name: &str) -> Option<(String, bool)> {
    if let Some(c) = UP.captures(name) {
        return Some((c[1].to_string(), true));
    }
    DOWN.captures(name).map(|c| (c[1].to_string(), false))
}

impl Format for Maragudk {
    fn name(&self) -> &'static str {
        "maragudk-migrate"
    }

    fn detect(&self, _dir: &DirListing) -> Option<Detection> {
        None
    }

    fn accepts(&self, dir: &DirListing) -> bool {
        dir.files.iter().any(|f| UP.is_match(f))
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            wraps_in_transaction: true,
            apply: Apply::Transaction,
            family: Some("golang-migrate"),
            ..FormatRules::default()
        };
        let mut by_version: BTreeMap<String, (Option<Script>, Option<Script>)> = BTreeMap::new();
        for name in &dir.files {
            let Some((version, up)) = parse_name(name) else {
                if name.to_ascii_lowercase().ends_with(".sql") {
                    set.stray.push(StrayFile {
                        display: dir.child_display(name),
                        reason: "does not match `^([\\w-]+).up.sql$` or `^([\\w-]+).down.sql`, so maragudk/migrate never runs it"
                            .to_string(),
                    });
                }
                continue;
            };
            let id = set.add_file(dir.read_file(name));
            let script = Script::whole(id, set.file(id).text());
            let slot = by_version.entry(version).or_default();
            if up {
                slot.0 = Some(script);
            } else {
                slot.1 = Some(script);
            }
        }
        for (version, (up, down)) in by_version {
            set.migrations.push(Migration {
                version: Version::named(&version),
                name: version.clone(),
                up,
                down,
                down_name: None,
                needs_down: true,
                dialect: None,
                parents: None,
            });
        }
        set.sort();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_name_is_the_version_and_dots_are_unescaped() {
        assert_eq!(parse_name("0001_a.up.sql"), Some(("0001_a".into(), true)));
        assert_eq!(parse_name("0001_b.up.sql"), Some(("0001_b".into(), true)));
        assert_eq!(parse_name("0021_x_up.sql"), Some(("0021_x".into(), true)));
        assert_eq!(parse_name("0157.up.sql"), Some(("0157".into(), true)));
        assert_eq!(parse_name("0157.down.sql"), Some(("0157".into(), false)));
        assert_eq!(parse_name("0001 a.up.sql"), None);
        assert_eq!(parse_name("README.md"), None);
    }

    #[test]
    fn same_number_is_two_versions_and_downs_are_optional() {
        let files = [
            ("0001_a.up.sql", "create table a (id int);"),
            ("0001_b.up.sql", "create table b (id int);"),
            ("0001_b.down.sql", "drop table b;"),
            ("0021_x_up.sql", "create table x (id int);"),
        ];
        let listing = DirListing::in_memory(
            std::path::Path::new("m"),
            "m",
            files
                .iter()
                .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
                .collect(),
        );
        let set = Maragudk.load(&listing);
        let versions: Vec<String> = set.migrations.iter().map(|m| m.version.text.clone()).collect();
        assert_eq!(versions, ["0001_a", "0001_b", "0021_x"]);
        assert!(set.stray.is_empty());
        assert!(!set.rules.down_required);
    }
}
