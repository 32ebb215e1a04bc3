//! refinery (Rust): `V{n}__{name}.sql` strictly versioned and `U{n}__{name}.sql` unversioned
//! migrations (in refinery `U` means "may be applied out of order", not undo). Versions are
//! integers shared by `V` and `U` files; names are word characters only (`[A-Za-z0-9_]`);
//! there are no down migrations.
//!
//! A directory of `V{n}__` files also fits Flyway. refinery is chosen when the directory has
//! refinery's Rust migrations (`V{n}__name.rs`), or sits in a Rust crate (a `Cargo.toml` in it
//! or up to three folders above) and uses nothing only Flyway has (`R__`, `B`, dotted versions).

use std::sync::LazyLock;

use regex::Regex;

use super::flyway;
use super::{Detection, DirListing, Format, pairs};
use crate::model::{FormatRules, Migration, MigrationSet, Script, StrayFile, Version};

pub struct Refinery;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([UV])([0-9]+)__(\w+)\.(sql|rs)$").unwrap());

pub(super) fn parse_name(name: &str) -> Option<(char, Version, String, String)> {
    let c = NAME.captures(name)?;
    Some((
        c[1].chars().next()?,
        Version::parse(&c[2])?,
        c[3].to_string(),
        c[4].to_string(),
    ))
}

fn in_rust_crate(dir: &DirListing) -> bool {
    let Ok(abs) = std::fs::canonicalize(&dir.path) else {
        return false;
    };
    abs.ancestors().take(4).any(|a| a.join("Cargo.toml").is_file())
}

impl Format for Refinery {
    fn name(&self) -> &'static str {
        "refinery"
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let named: Vec<_> = dir.files.iter().filter_map(|f| parse_name(f)).collect();
        if named.is_empty() {
            return None;
        }
        let rust = named.iter().filter(|n| n.3 == "rs").count();
        if rust > 0 {
            return Some(Detection {
                score: 35,
                reason: format!("{rust} refinery Rust migrations `V{{n}}__{{name}}.rs`"),
            });
        }
        let flyway_only = dir
            .files
            .iter()
            .filter_map(|f| flyway::parse_name(f))
            .any(|n| n.prefix == 'R' || n.prefix == 'B' || n.version.is_some_and(|v| v.as_number().is_none()));
        (!flyway_only && in_rust_crate(dir)).then(|| Detection {
            score: 35,
            reason: format!(
                "{} `V{{n}}__{{name}}.sql` files inside a Rust crate (a Cargo.toml above), with nothing only Flyway has",
                named.len()
            ),
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let rules = FormatRules {
            has_downs: false,
            down_required: false,
            apply: crate::model::Apply::Transaction,
            family: Some("flyway"),
            unpadded_versions: true,
            ..FormatRules::default()
        };
        let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), self.name(), rules);
        for file in &dir.files {
            let Some((_, version, name, ext)) = parse_name(file) else {
                let reason = if pairs::always_ignored(file) {
                    None
                } else if pairs::is_leftover(file) {
                    Some("is an editor or merge leftover; refinery does not run it".to_string())
                } else if file.to_ascii_lowercase().ends_with(".sql") {
                    Some(
                        "does not match `V{n}__{name}.sql` or `U{n}__{name}.sql` (integer version, word characters only), so refinery never runs it"
                            .to_string(),
                    )
                } else {
                    None
                };
                if let Some(reason) = reason {
                    set.stray.push(StrayFile {
                        display: dir.child_display(file),
                        reason,
                    });
                }
                continue;
            };
            if ext != "sql" {
                continue;
            }
            let id = set.add_file(dir.read_file(file));
            set.migrations.push(Migration::new(
                version,
                name,
                Some(Script::whole(id, set.file(id).text())),
                None,
                false,
            ));
        }
        set.sort();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(parse_name("V1__initial.sql").unwrap().0, 'V');
        assert_eq!(parse_name("U20__later.rs").unwrap().3, "rs");
        assert!(parse_name("V1.1__x.sql").is_none());
        assert!(parse_name("V1__with-dash.sql").is_none());
    }
}
