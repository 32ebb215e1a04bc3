//! diesel: one directory per migration, `{version}_{name}/up.sql` + `down.sql`, with an
//! optional `metadata.toml` (`run_in_transaction = false`).
//!
//! The version is the part of the directory name before the first `_` with the `-` removed, so
//! `20140924113530_`, `2017-08-31-230457_`, `2025-11-19-091444-0000_` and `00000000000000_` can
//! live side by side; diesel compares the resulting digit strings as strings, which is what
//! [`Version::digit_string`] does. Directory names may contain spaces. Files directly in the
//! migrations directory are not migrations to diesel: a top-level file that looks like a
//! migration is reported, anything else (a data script) is left alone.
//!
//! Every migration runs in a transaction unless its `metadata.toml` says otherwise.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format, NOT_MIGRATIONS};
use crate::model::{FormatRules, MetadataProblem, Migration, MigrationSet, Script, StrayFile, Version};

pub struct Diesel;

/// `{version}_{name}` where the version is digits and dashes.
static DIR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9][0-9-]*)_(.*)$").unwrap());

/// The version and name of a diesel migration directory.
pub(super) fn parse_dir(name: &str) -> Option<(Version, String)> {
    let c = DIR.captures(name)?;
    Some((Version::digit_string(&c[1])?, c[2].to_string()))
}

/// Subdirectories that are diesel migrations: versioned names holding an `up.sql`.
fn migration_dirs(dir: &DirListing) -> Vec<&String> {
    dir.dirs
        .iter()
        .filter(|d| parse_dir(d).is_some() && dir.has_file(&format!("{d}/up.sql")))
        .collect()
}

impl Format for Diesel {
    fn name(&self) -> &'static str {
        "diesel"
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = migration_dirs(dir).len();
        Detection::if_found(n, 30, || {
            format!("{n} subdirectories named `{{version}}_{{name}}` holding `up.sql`")
        })
    }

    fn claims_subdirectories(&self) -> bool {
        true
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            // diesel runs a migration without `down.sql`; it cannot revert it.
            down_required: false,
            wraps_in_transaction: true,
            apply: crate::model::Apply::Transaction,
            ..FormatRules::default()
        };
        for name in &dir.dirs {
            if name.starts_with('.') || NOT_MIGRATIONS.contains(&name.as_str()) {
                continue;
            }
            let Some((version, title)) = parse_dir(name) else {
                if dir.has_file(&format!("{name}/up.sql")) {
                    set.stray.push(StrayFile {
                        display: dir.child_display(name),
                        reason: "is a directory with `up.sql` whose name does not start with a `{version}_` \
                                 of digits and `-`"
                            .to_string(),
                    });
                }
                continue;
            };
            let sub = match dir.subdir(name) {
                Ok(sub) => sub,
                Err(_) => {
                    set.stray.push(StrayFile {
                        display: dir.child_display(name),
                        reason: "is a migration directory that cannot be listed".to_string(),
                    });
                    continue;
                }
            };
            load_migration(&mut set, &sub, version, title);
        }
        for name in &dir.files {
            if looks_like_migration(name) {
                set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason: "is a file directly in the migrations directory; diesel only runs \
                             `{version}_{name}/up.sql` directories"
                        .to_string(),
                });
            }
        }
        set.sort();
        set
    }
}

/// A top-level file that was probably meant as a migration: `up.sql`, `down.sql`, or a
/// versioned `.sql` name. Other files (README, data scripts) are not diesel's business.
fn looks_like_migration(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "up.sql" || lower == "down.sql" || (lower.ends_with(".sql") && parse_dir(name).is_some())
}

fn load_migration(set: &mut MigrationSet, sub: &DirListing, version: Version, title: String) {
    let mut no_transaction = false;
    if sub.files.iter().any(|f| f == "metadata.toml") {
        let id = set.add_file(sub.read_file("metadata.toml"));
        no_transaction = read_metadata(set, id);
    }
    let script = |set: &mut MigrationSet, name: &str| {
        sub.files.iter().any(|f| f == name).then(|| {
            let id = set.add_file(sub.read_file(name));
            let mut s = Script::whole(id, set.file(id).text());
            s.no_transaction = no_transaction;
            s
        })
    };
    let up = script(set, "up.sql");
    let down = script(set, "down.sql");
    for name in &sub.files {
        if !matches!(name.as_str(), "up.sql" | "down.sql" | "metadata.toml")
            && let Some(reason) = stray_reason(name)
        {
            set.stray.push(StrayFile {
                display: sub.child_display(name),
                reason,
            });
        }
    }
    if up.is_none() && down.is_none() {
        return;
    }
    set.migrations.push(Migration::new(version, title, up, down, true));
}

/// Why diesel would not run a file found in a migration directory, when it looks meant to run.
fn stray_reason(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    if name.starts_with('.') || !lower.contains(".sql") && !lower.ends_with(".toml") {
        return None;
    }
    Some(if lower.ends_with(".toml") {
        "is not `metadata.toml`, the only settings file diesel reads".to_string()
    } else {
        "is not `up.sql` or `down.sql`, so diesel never runs it".to_string()
    })
}

/// Reads a `metadata.toml`; returns whether the migration runs outside a transaction.
/// A file diesel cannot use is recorded as a metadata problem.
fn read_metadata(set: &mut MigrationSet, id: usize) -> bool {
    let Ok(text) = set.file(id).text.clone() else {
        return false;
    };
    let problem = |set: &mut MigrationSet, span: std::ops::Range<usize>, message: String| {
        set.metadata_problems.push(MetadataProblem {
            file: id,
            span,
            message,
        });
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            problem(set, span, format!("is not valid TOML: {}", e.message()));
            return false;
        }
    };
    match table.get("run_in_transaction") {
        None => false,
        Some(toml::Value::Boolean(b)) => !b,
        Some(other) => {
            let at = text.find("run_in_transaction").unwrap_or(0);
            problem(
                set,
                at..at + "run_in_transaction".len(),
                format!(
                    "`run_in_transaction` must be `true` or `false`, not a {}",
                    other.type_str()
                ),
            );
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_digit_strings() {
        let v = |s: &str| parse_dir(s).unwrap().0;
        assert_eq!(v("2017-08-31-230457_x"), v("20170831230457_y"));
        assert!(v("2017-08-31-230457_x") > v("20170505070309_y"));
        // A suffixed version is a different, later string than its prefix.
        assert!(v("2026-05-27-120000_a") < v("2026-05-27-120000-0000_b"));
        assert_ne!(v("2026-05-27-120000_a"), v("2026-05-27-120000-0000_b"));
        assert!(v("2025-11-19-091444-0000_a") < v("2026-05-27-120000_b"));
        assert_eq!(parse_dir("2019-11-15-182353_Add email").unwrap().1, "Add email");
        assert!(parse_dir("data_oauth").is_none());
    }
}
