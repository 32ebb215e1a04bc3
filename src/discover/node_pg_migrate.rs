//! node-pg-migrate: JavaScript/TypeScript modules `{prefix}_{name}.{js,ts,…}` exporting `up`
//! and `down` functions that drive a `MigrationBuilder` (`pgm.createTable(…)`, `pgm.sql(…)`).
//!
//! Modelled on salsita/node-pg-migrate (commit 55b10c22, `src/migration.ts`,
//! `src/migrationLoader.ts`, `src/runner.ts`):
//! - **Files** (`getMigrationFilePaths`): every file of the directory whose name does not
//!   match the ignore pattern (default: names starting with `.`); subdirectories are not
//!   read. Each is loaded by the loader for its extension (`.js`/`.ts` imported, `.sql` read
//!   with `-- Up Migration` markers); a file of another kind is imported too and fails, so it
//!   is reported as unrecognised.
//! - **Order** (`getNumericPrefix`, `compareFileNamesByTimestamp`): by the number before the
//!   first `_` (13 digits: milliseconds; 17 digits: a UTC date `YYYYMMDDhhmmssSSS`; otherwise
//!   its value), ties broken by the name compared numerically. A migration is known by its
//!   file name without the extension, so two files may share a prefix.
//! - **Downs**: optional. Without `down` the runner reverses `up` itself; `down = false` makes
//!   it irreversible. No missing-down finding.
//! - **SQL**: the builder's methods generate SQL that is not written in the file; only the
//!   string literals passed to `pgm.sql(…)` are SQL to parse. Literals with `${…}` or `\`
//!   escapes are reported as not analysed.
//! - **Transactions** (`Migration._apply`): each migration runs between `BEGIN;` and `COMMIT;`
//!   unless it calls `pgm.noTransaction()`; `--single-transaction` wraps the whole run.
//!   `checkOrder` (on by default) refuses a run where an applied migration follows a pending
//!   one: a git-aware question.

use std::sync::LazyLock;

use regex::Regex;

use super::typescript::{self, Direction};
use super::{Detection, DirListing, Format};
use crate::model::{Apply, FileId, FormatRules, Migration, MigrationSet, Script, StrayFile, Unanalysed, Version};

pub struct NodePgMigrate;

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_[^/]+\.(ts|js|cjs|mjs|cts|mts)$").unwrap());
static SQL_CALL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.\s*sql\s*\(\s*").unwrap());
/// A call of one of node-pg-migrate's builder methods (`pgm.createTable(…)`): SQL the runner
/// generates, which this tool cannot see.
static BUILDER_CALL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bpgm\s*\.\s*([A-Za-z_]+)\s*\(").unwrap());
static NO_TRANSACTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\.\s*noTransaction\s*\(\s*\)").unwrap());

/// The numeric prefix of a module name, when it has the runner's shape.
pub(super) fn parse_module(name: &str) -> Option<(Version, String)> {
    let c = NAME.captures(name)?;
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    Some((Version::named(stem), c[1].to_string()))
}

/// The runner's ordering key: the numeric prefix as `getNumericPrefix` reads it.
fn prefix_value(prefix: &str) -> u128 {
    if prefix.len() == 17 {
        // YYYYMMDDhhmmssSSS: ordered like the date it names.
        return prefix.parse().unwrap_or(0);
    }
    prefix.parse().unwrap_or(0)
}

impl Format for NodePgMigrate {
    fn name(&self) -> &'static str {
        "node-pg-migrate"
    }

    /// Modules that import node-pg-migrate's builder are its own. Detection already requires it.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        self.detect(dir).map(|d| d.reason)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let modules: Vec<&String> = dir.files.iter().filter(|f| NAME.is_match(f)).collect();
        let marked = modules.iter().take(8).any(|f| {
            let text = String::from_utf8_lossy(&dir.read_bytes(f).unwrap_or_default()).into_owned();
            text.contains("node-pg-migrate") || text.contains("MigrationBuilder")
        });
        let n = modules.len();
        (marked && n > 0).then(|| Detection {
            score: 35,
            reason: format!("{n} modules `{{prefix}}_{{name}}.ts|js` using node-pg-migrate's MigrationBuilder"),
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            down_required: false,
            wraps_in_transaction: true,
            // A function without `pgm.sql` literals runs builder calls: not empty, just not SQL
            // written out.
            empty_allowed: true,
            // `BEGIN;`, the builder's steps, `COMMIT;` unless `pgm.noTransaction()`.
            apply: Apply::Transaction,
            ..FormatRules::default()
        };
        let mut modules: Vec<(u128, &String, Version)> = Vec::new();
        for name in &dir.files {
            if name.starts_with('.') {
                continue;
            }
            match parse_module(name) {
                Some((version, prefix)) => modules.push((prefix_value(&prefix), name, version)),
                None if name.ends_with(".sql") || name.contains('_') && name.ends_with(".ts") => {}
                None => set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason: "is in the migrations directory, where node-pg-migrate loads every file as a migration"
                        .to_string(),
                }),
            }
        }
        modules.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        for (_, name, version) in modules {
            let file = set.add_file(dir.read_file(name));
            let stem = version.text.clone();
            let m = load_module(&mut set, file, version, stem);
            set.migrations.push(m);
        }
        set
    }
}

/// A string literal in code: its content span, and whether it is not plain SQL text.
struct Literal {
    span: std::ops::Range<usize>,
    interpolated: bool,
    escaped: bool,
}

/// The literal that starts at `at` (a quote), if any.
fn literal_at(code: &str, at: usize) -> Option<Literal> {
    let b = code.as_bytes();
    let q = *b.get(at)?;
    if !matches!(q, b'\'' | b'"' | b'`') {
        return None;
    }
    let (mut i, mut escaped, mut interpolated) = (at + 1, false, false);
    while i < b.len() && b[i] != q {
        if b[i] == b'\\' {
            escaped = true;
            i += 2;
            continue;
        }
        if q == b'`' && b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            interpolated = true;
        }
        i += 1;
    }
    (i < b.len()).then(|| Literal {
        span: at + 1..i,
        interpolated,
        escaped,
    })
}

fn load_module(set: &mut MigrationSet, file: FileId, version: Version, name: String) -> Migration {
    let text = set.file(file).text().to_string();
    let code = typescript::without_comments(&text);
    let functions = typescript::functions(&text);
    let no_transaction = NO_TRANSACTION.is_match(&code);
    let (mut up, mut down): (Option<Script>, Option<Script>) = (None, None);
    // [up, down]: some of the function's SQL is only known at run time.
    let mut runtime = [false, false];
    let direction_at = |at: usize| functions.iter().rev().find(|(f, _)| *f < at).map(|(_, d)| *d);
    for call in BUILDER_CALL.captures_iter(&code) {
        let method = &call[1];
        if !matches!(method, "sql" | "noTransaction" | "func")
            && let Some(direction) = direction_at(call.get(0).map_or(0, |m| m.start()))
        {
            runtime[usize::from(direction == Direction::Down)] = true;
        }
    }
    for call in SQL_CALL.find_iter(&code) {
        let Some(lit) = literal_at(&code, call.end()) else {
            continue;
        };
        let Some(direction) = functions
            .iter()
            .rev()
            .find(|(at, _)| *at < call.start())
            .map(|(_, d)| *d)
        else {
            continue;
        };
        if lit.interpolated || lit.escaped {
            runtime[usize::from(direction == Direction::Down)] = true;
            set.unanalysed.push(Unanalysed {
                file,
                span: lit.span.clone(),
                reason: if lit.interpolated {
                    "this `pgm.sql` template literal has `${…}` interpolation: its SQL is only known at run time"
                        .to_string()
                } else {
                    "this `pgm.sql` literal has `\\` escapes: the SQL sent differs from the text here".to_string()
                },
            });
            continue;
        }
        let slot = if direction == Direction::Up { &mut up } else { &mut down };
        match slot {
            Some(s) => s.more_spans.push(lit.span),
            None => *slot = Some(Script::part(file, lit.span)),
        }
    }
    // Builder calls are SQL this tool cannot see: the migration is there, its SQL is not
    // written out. Keep an empty script only where the function exists and has no literal.
    for (at, direction) in &functions {
        let slot = if *direction == Direction::Up {
            &mut up
        } else {
            &mut down
        };
        if slot.is_none() {
            *slot = Some(Script::part(file, *at..*at));
        }
    }
    // A module without `up` still is a migration (the runner fails on it): an empty script
    // at its start keeps it in the set.
    if up.is_none() && down.is_none() {
        up = Some(Script::part(file, 0..0));
    }
    for s in up.iter_mut().chain(down.iter_mut()) {
        s.no_transaction = no_transaction;
    }
    for (script, runtime) in [(&mut up, runtime[0]), (&mut down, runtime[1])] {
        if let Some(script) = script {
            script.runtime_sql |= runtime;
        }
    }
    Migration {
        version,
        name,
        up,
        down,
        down_name: None,
        needs_down: false,
        dialect: None,
        parents: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_and_literals() {
        assert!(parse_module("1600000000000_blocks.ts").is_some());
        assert!(parse_module("index.ts").is_none());
        let code = "pgm.sql('INSERT INTO t VALUES(1)'); pgm.sql(`SELECT ${x}`)";
        let first = literal_at(code, 8).unwrap();
        assert_eq!(&code[first.span.clone()], "INSERT INTO t VALUES(1)");
        assert!(literal_at(code, 44).unwrap().interpolated);
    }
}
