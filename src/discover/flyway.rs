//! Flyway: `V{version}__{description}.sql` versioned migrations, `U{version}__…` undo
//! migrations (the down of the `V` with the same version), `R__{description}.sql` repeatable
//! migrations (no version: re-run when they change, after the versioned ones) and
//! `B{version}__…` baseline migrations (replace the versioned ones up to that version on a new
//! database).
//!
//! Versions are parts separated by `.` or `_` (`1`, `1.1`, `1_1`, `17.1`), compared part by
//! part as numbers. Undo migrations are optional (and a paid feature): when a directory has no
//! `U` file at all, it does not use them and no down is expected; when it has some, a `V`
//! without its `U` is a warning. A `V1__x.sql.conf` file with `executeInTransaction=false`
//! runs that script outside a transaction.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, pairs};
use crate::model::{FormatRules, Migration, MigrationSet, Script, StrayFile, Unversioned, UnversionedKind, Version};

pub struct Flyway;

/// A Flyway (or refinery) file name, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlywayName {
    /// `V`, `U`, `R` or `B`.
    pub prefix: char,
    /// `None` for repeatables.
    pub version: Option<Version>,
    pub description: String,
    pub ext: String,
}

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:([VUB])([0-9]+(?:[._][0-9]+)*)|(R))__(.+)\.(sql|rs)$").unwrap());

/// Parses `V17.1__open_lineage.sql`, `U2__x.sql`, `R__views.sql`, `B5__base.sql` (and `.rs`,
/// which only refinery uses).
pub fn parse_name(name: &str) -> Option<FlywayName> {
    let c = NAME.captures(name)?;
    let (prefix, version) = match (c.get(1), c.get(2)) {
        (Some(p), Some(v)) => (p.as_str().chars().next()?, Some(Version::parse(v.as_str())?)),
        _ => ('R', None),
    };
    Some(FlywayName {
        prefix,
        version,
        description: c[4].to_string(),
        ext: c[5].to_string(),
    })
}

/// Files that look like migrations but that Flyway would never pick up.
fn stray_reason(name: &str) -> Option<String> {
    if pairs::always_ignored(name) || name.ends_with(".sql.conf") {
        return None;
    }
    if pairs::is_leftover(name) {
        return Some("is an editor or merge leftover; Flyway does not run it".to_string());
    }
    if name.to_ascii_lowercase().ends_with(".sql") && parse_name(name).filter(|n| n.ext == "sql").is_none() {
        return Some(
            "does not match `V{version}__{description}.sql` (two underscores), `U…`, `R__…` or `B…`, so Flyway never runs it"
                .to_string(),
        );
    }
    None
}

/// Whether a `.sql.conf` beside the script turns its transaction off.
fn conf_no_transaction(dir: &DirListing, name: &str) -> bool {
    let conf = format!("{name}.conf");
    dir.files.contains(&conf)
        && std::fs::read_to_string(dir.path.join(&conf)).is_ok_and(|t| {
            t.lines().any(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l.eq_ignore_ascii_case("executeInTransaction=false")
            })
        })
}

impl Format for Flyway {
    fn name(&self) -> &'static str {
        "flyway"
    }

    fn names_file(&self, name: &str) -> bool {
        parse_name(name).is_some()
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir
            .files
            .iter()
            .filter(|f| parse_name(f).is_some_and(|n| n.ext == "sql"))
            .count();
        Detection::if_found(n, 30, || {
            format!("{n} files named `V{{version}}__{{description}}.sql` (or `U`, `R__`, `B`)")
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let names: Vec<(String, FlywayName)> = dir
            .files
            .iter()
            .filter_map(|f| parse_name(f).filter(|n| n.ext == "sql").map(|n| (f.clone(), n)))
            .collect();
        let uses_undo = names.iter().any(|(_, n)| n.prefix == 'U');
        let rules = FormatRules {
            has_downs: uses_undo,
            down_required: false,
            apply: crate::model::Apply::Statements { transaction: true },
            strips_bom: true,
            unpadded_versions: true,
            down_hint: crate::model::DownHint::FlywayUndo,
            ..FormatRules::default()
        };
        let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), self.name(), rules);
        let mut undos = Vec::new();
        for (file, name) in names {
            let id = set.add_file(dir.read_file(&file));
            let mut script = Script::whole(id, set.file(id).text());
            script.no_transaction = conf_no_transaction(dir, &file);
            match (name.prefix, name.version) {
                ('V', Some(version)) => {
                    set.migrations
                        .push(Migration::new(version, name.description, Some(script), None, uses_undo))
                }
                ('U', Some(version)) => undos.push((version, name.description, script)),
                (prefix, version) => set.others.push(Unversioned {
                    name: match version {
                        Some(v) => format!("{prefix}{v}__{}", name.description),
                        None => name.description,
                    },
                    kind: if prefix == 'B' {
                        UnversionedKind::Baseline
                    } else {
                        UnversionedKind::Repeatable
                    },
                    script,
                }),
            }
        }
        attach_downs(&mut set, undos);
        for name in &dir.files {
            if let Some(reason) = stray_reason(name) {
                set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason,
                });
            }
        }
        set.sort();
        set
    }
}

/// Gives each versioned migration its down (matched by version); a down without a versioned
/// migration becomes a migration of its own with no up (an orphan).
pub fn attach_downs(set: &mut MigrationSet, downs: Vec<(Version, String, Script)>) {
    for (version, description, script) in downs {
        let target = set
            .migrations
            .iter_mut()
            .find(|m| m.version == version && m.down.is_none() && m.up.is_some());
        match target {
            Some(m) => {
                if m.name != description {
                    m.down_name = Some(description);
                }
                m.down = Some(script);
            }
            None => set
                .migrations
                .push(Migration::new(version, description, None, Some(script), true)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_prefix() {
        let v = parse_name("V17.1__unique_version_constraint.sql").unwrap();
        assert_eq!((v.prefix, v.version.unwrap()), ('V', Version::parse("17.1").unwrap()));
        assert_eq!(parse_name("V1_1__x.sql").unwrap().version, Version::parse("1.1"));
        assert_eq!(parse_name("U3__x.sql").unwrap().prefix, 'U');
        let r = parse_name("R__Datasets_view.sql").unwrap();
        assert_eq!(
            (r.prefix, r.version, r.description.as_str()),
            ('R', None, "Datasets_view")
        );
        assert_eq!(parse_name("B5__base.sql").unwrap().prefix, 'B');
        assert!(parse_name("V1_x.sql").is_none());
        assert!(parse_name("V__x.sql").is_none());
        assert!(parse_name("R1__x.sql").is_none());
    }

    #[test]
    fn strays() {
        assert!(stray_reason("V1_create.sql").is_some());
        assert!(stray_reason("V2__x.sql~").is_some());
        assert!(stray_reason("V57__readme.md").is_none());
        assert!(stray_reason("V1__x.sql.conf").is_none());
        assert!(stray_reason("V1__x.sql").is_none());
    }
}
