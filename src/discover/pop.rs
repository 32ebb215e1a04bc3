//! pop (gobuffalo/pop v6): `{version}_{name}[.{dialect}].{up,down}.{sql,fizz}`.
//!
//! From the runner's source (gobuffalo/pop@c9b1c55d):
//! - **Matching** (`migrator.go` `mrx`): `^(\d+)_([^.]+)(\.[a-z0-9]+)?\.(up|down)\.(sql|fizz)$`.
//!   The dialect is canonicalised (`CanonicalDialect`: `sqlite` is `sqlite3`, `postgresql` and
//!   `pg` are `postgres`, `cockroachdb` and `crdb` are `cockroach`); a dialect pop does not
//!   support makes the file skipped. Other names are ignored. `.fizz` files are not SQL and are
//!   not read.
//! - **Versions** are strings compared with `<` (`migration_info.go` `Less`), so they are
//!   modelled as digit strings ([`Version::digit_string`]).
//! - **Dialect fallback**: per version and direction, a file for the connection's dialect
//!   replaces the file without one (`Less` pushes `all` back; the first match runs), so
//!   `1_a.up.sql` + `1_a.mysql.up.sql` + `1_a.down.sql` is complete for every database.
//! - **Downs** are looked up only when migrating down: optional.
//! - **Templates**: SQL goes through Go's `text/template` before it runs
//!   (`migration_content.go`; supabase/auth writes `{{ index .Options "Namespace" }}.users`), so
//!   the analysed text is the file with every `{{…}}` action rendered ([`render_template`]).
//! - **Transactions**: each migration runs inside `c.Transaction` (`migrator.go`).
//!
//! ory's popx ([`super::popx`]) shares this loader with its own differences.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::pairs::{self, Direction, PairName};
use super::{Detection, DirListing, Format};
use crate::model::{FormatRules, MigrationSet, StrayFile, Version};

pub struct Pop;

/// The dialects pop knows, as written in file names (after [`canonical`]).
pub const DIALECTS: &[&str] = &["postgres", "cockroach", "mysql", "sqlite3"];

static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9]+)_([^.]+)(?:\.([a-z0-9]+))?(\.autocommit)?\.(up|down)\.sql$").unwrap());

/// pop's `CanonicalDialect`: the synonyms of a dialect name.
pub fn canonical(dialect: &str) -> String {
    match dialect {
        "postgresql" | "pg" | "pgx" => "postgres",
        "cockroachdb" | "crdb" => "cockroach",
        "sqlite" => "sqlite3",
        other => other,
    }
    .to_string()
}

#[derive(Debug)]
pub(super) struct PopName {
    pub(super) pair: PairName,
    pub(super) dialect: Option<String>,
    pub(super) autocommit: bool,
}

pub(super) fn parse(name: &str) -> Option<PopName> {
    let c = NAME.captures(name)?;
    let (mut dialect, mut autocommit) = (c.get(3).map(|m| canonical(m.as_str())), c.get(4).is_some());
    if dialect.as_deref() == Some("autocommit") && !autocommit {
        dialect = None;
        autocommit = true;
    }
    Some(PopName {
        pair: PairName {
            version: Version::digit_string(&c[1])?,
            title: c[2].to_string(),
            direction: if &c[5] == "up" { Direction::Up } else { Direction::Down },
            ext: "sql".to_string(),
        },
        dialect,
        autocommit,
    })
}

static ACTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\{\{.*?\}\}").unwrap());
static CONTROL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\{\{-?\s*(?:/\*|if\b|else\b|end\b|range\b|with\b|define\b|template\b|block\b|break\b|continue\b|\$\w*\s*:?=)").unwrap()
});

/// The text as `text/template` would hand it to the server, for analysis: every action that
/// prints a value (`{{ index .Options "Namespace" }}`) becomes a name of the same length
/// (`xxxx…`), every control action and comment (`{{ if … }}`, `{{ end }}`, `{{/* … */}}`)
/// becomes spaces. Byte offsets and lines stay those of the file. `None` when there is no
/// action.
pub fn render_template(text: &str) -> Option<String> {
    if !text.contains("{{") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in ACTION.find_iter(text) {
        out.push_str(&text[last..m.start()]);
        let action = m.as_str();
        let newlines = action.matches('\n').count();
        let width = action.len() - newlines;
        let fill = if CONTROL.is_match(action) { ' ' } else { 'x' };
        out.extend(std::iter::repeat_n(fill, width));
        out.extend(std::iter::repeat_n('\n', newlines));
        last = m.end();
    }
    out.push_str(&text[last..]);
    Some(out)
}

/// How pop and popx differ.
pub(super) struct Flavour {
    pub format: &'static str,
    /// popx refuses to start when a version has an up and no down at all (`MigrationBox.check`).
    pub down_required: bool,
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

    fn accepts(&self, dir: &DirListing) -> bool {
        dir.files.iter().any(|f| parse(f).is_some())
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        load(
            dir,
            &Flavour {
                format: "pop",
                down_required: false,
            },
        )
    }
}

/// Loads a pop or popx directory.
pub(super) fn load(dir: &DirListing, flavour: &Flavour) -> MigrationSet {
    let mut set = super::golang_migrate::new_set(dir, flavour.format);
    set.rules = FormatRules {
        empty_allowed: true,
        wraps_in_transaction: true,
        down_required: flavour.down_required,
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
                    "names the database `{d}`, which {} does not know ({}), so it never runs",
                    flavour.format,
                    DIALECTS.join(", ")
                ),
            });
            continue;
        }
        known.insert(name.clone());
        let file = dir.read_file(name);
        let rendered = file.text.as_ref().ok().and_then(|t| render_template(t));
        let mut id = set.add_file(file);
        if let Some(text) = rendered {
            // The scripts read the rendered copy (same path and offsets).
            let derived = set.file(id).derived(text);
            id = set.add_file(derived);
        }
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
    mark_replaced_on_postgres(&mut set);
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

/// Records, for every file for all databases that a `.postgres.` file of the same version and
/// direction replaces, the database it still runs on (the first of the directory's other
/// databases without a file of their own there; `other databases` when none).
fn mark_replaced_on_postgres(set: &mut MigrationSet) {
    let used: BTreeSet<&str> = set.migrations.iter().filter_map(|m| m.dialect.as_deref()).collect();
    let mut marks = Vec::new();
    for m in set.migrations.iter().filter(|m| m.dialect.is_none()) {
        for up in [true, false] {
            let Some(script) = (if up { &m.up } else { &m.down }) else {
                continue;
            };
            let specific = |d: &str| {
                set.migrations.iter().any(|o| {
                    o.version == m.version
                        && o.dialect.as_deref() == Some(d)
                        && (if up { o.up.is_some() } else { o.down.is_some() })
                })
            };
            if !specific("postgres") {
                continue;
            }
            let still = DIALECTS
                .iter()
                .find(|d| **d != "postgres" && used.contains(**d) && !specific(d))
                .map_or("other databases", |d| d);
            marks.push((script.file, still.to_string()));
        }
    }
    set.runs_on.extend(marks);
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
        // `sqlite` is pop's synonym of `sqlite3`.
        assert_eq!(parse("1_a.sqlite.up.sql").unwrap().dialect.as_deref(), Some("sqlite3"));
        // Versions compare as strings, as pop's `Less` does.
        let v = |n: &str| parse(n).unwrap().pair.version;
        assert!(v("20230101000000_a.up.sql") > v("20210101000000000000_b.up.sql"));
    }

    #[test]
    fn templates_render_to_the_same_layout() {
        let text =
            "CREATE TABLE {{ index .Options \"Namespace\" }}.users (id int);\n{{ if .X }}\nSELECT 1;\n{{ end }}\n";
        let out = render_template(text).unwrap();
        assert_eq!(out.len(), text.len());
        assert!(out.starts_with("CREATE TABLE xxxxxxxx"));
        assert!(out.contains("x.users (id int);\n"));
        assert!(!out.contains("if"));
        assert_eq!(out.matches('\n').count(), text.matches('\n').count());
        assert!(render_template("SELECT 1;").is_none());
    }
}
