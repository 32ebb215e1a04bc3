//! TypeORM: TypeScript modules, each exporting a class with `up` and `down` methods that run SQL
//! through `queryRunner.query(…)` (string or template literals, see [`super::typescript`]).
//!
//! The rules, from TypeORM's source (`src/migration/MigrationExecutor.ts`, `getMigrations` and
//! `checkForDuplicateMigrations`; `src/util/DirectoryExportedClassesLoader.ts`):
//! - The migrations are the classes the DataSource's `migrations` option names: a glob of
//!   module files (every class a matching module exports) or an array of classes. **File names
//!   play no role**, so every `.ts` module of the directory that declares such a class is a
//!   migration (`index.ts`, declaration and test files are not).
//! - A migration's name is its `name` property if it sets one, else its class name; its
//!   timestamp is `parseInt(name.substr(-13), 10)` — the last 13 characters. A name whose last
//!   13 characters do not start with a non-zero number makes TypeORM throw ("migration name is
//!   wrong") before anything runs: reported as invalid metadata.
//! - Migrations run sorted by timestamp; two classes may share one (the sort keeps their order),
//!   only equal *names* throw. So a shared timestamp is not a duplicate version.
//! - `down` is required by `MigrationInterface` (the compiler enforces it), so it is never missing.
//! - Transactions: `migrationsTransactionMode` (default `all`: one transaction around every
//!   pending migration; `each`: one per migration), unless a class sets `transaction = false`.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format};
use crate::model::{FormatRules, MetadataProblem, MigrationSet, Version};

pub struct TypeOrm;

static MODULE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]{13})-([A-Za-z0-9_]+)\.ts$").unwrap());

/// The version and name of a module named the way `typeorm migration:create` names it.
pub(super) fn parse_module(name: &str) -> Option<(Version, String)> {
    let c = MODULE.captures(name)?;
    Some((Version::parse(&c[1])?, c[2].to_string()))
}

/// A module TypeORM could load: TypeScript, not a declaration, test or barrel file.
fn is_module(name: &str) -> bool {
    name.ends_with(".ts") && name != "index.ts" && ![".d.ts", ".spec.ts", ".test.ts"].iter().any(|s| name.ends_with(s))
}

/// `class Name … {` of a class with an `up(` method.
static CLASS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bclass\s+([A-Za-z_$][\w$]*)[^{]*\{").unwrap());
static UP_METHOD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\basync\s+up\s*\(|\bup\s*\(\s*\w+\s*:").unwrap());
/// A `name = '…'` (or `public name = …`) property, which TypeORM prefers to the class name.
static NAME_PROPERTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^\s*(?:public\s+|readonly\s+)*name\s*(?::\s*string\s*)?=\s*['"`]([^'"`]*)['"`]"#).unwrap()
});

/// The migration class a module declares: its name as TypeORM takes it and where it is.
fn migration_class(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    let code = super::typescript::without_comments(text);
    let class = CLASS
        .captures_iter(&code)
        .find(|c| UP_METHOD.is_match(&code[c.get(0).unwrap().end()..]))?;
    let m = class.get(1)?;
    if let Some(p) = NAME_PROPERTY.captures(&code[m.end()..]) {
        let g = p.get(1)?;
        return Some((g.as_str().to_string(), m.end() + g.start()..m.end() + g.end()));
    }
    Some((m.as_str().to_string(), m.range()))
}

/// TypeORM's timestamp of a migration name: `parseInt(name.substr(-13), 10)`, when it is a
/// number other than 0.
pub fn timestamp(name: &str) -> Option<u64> {
    let chars: Vec<char> = name.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(13)..].iter().collect();
    let tail = tail.trim_start();
    let (sign, digits) = match tail.strip_prefix(['+', '-']) {
        Some(rest) => (&tail[..1], rest),
        None => ("", tail),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    // `-0…` and `0…` are falsy or negative: a negative timestamp still sorts, but none of the
    // corpus has one, and TypeORM rejects 0.
    (n != 0 && sign != "-").then_some(n)
}

impl Format for TypeOrm {
    fn name(&self) -> &'static str {
        "typeorm"
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir.files.iter().filter(|f| parse_module(f).is_some()).count();
        Detection::if_found(n, 30, || {
            format!("{n} modules named `{{13-digit timestamp}}-{{Name}}.ts`")
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            down_required: false,
            named_ids: true,
            apply: crate::model::Apply::Transaction,
            ..FormatRules::default()
        };
        for name in dir.files.iter().filter(|f| is_module(f)) {
            let source = dir.read_file(name);
            let Some((class, span)) = migration_class(source.text()) else {
                continue;
            };
            let file = set.add_file(source);
            let Some(version) = timestamp(&class).and_then(|t| Version::parse(&t.to_string())) else {
                set.metadata_problems.push(MetadataProblem {
                    file,
                    span,
                    message: format!(
                        "migration `{class}` does not end in a timestamp: TypeORM takes the last 13 characters of the name as one and refuses to run any migration (\"migration name is wrong\")"
                    ),
                });
                continue;
            };
            let mut m = super::ts_registry::load_module(&mut set, file, version, class);
            // `down` is a required method of MigrationInterface; the compiler enforces it.
            m.needs_down = false;
            set.migrations.push(m);
        }
        set.sort();
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_parse_int_of_the_last_13_characters() {
        assert_eq!(timestamp("AddUsers1700000000000"), Some(1_700_000_000_000));
        // 14 digits: the first is cut off (a real ordering trap).
        assert_eq!(timestamp("Unified20260720000001"), Some(260_720_000_001));
        assert_eq!(timestamp("AddUsers"), None);
        assert_eq!(timestamp("X0000000000000"), None);
        assert_eq!(timestamp("Abc12xyz1234567"), None);
        assert_eq!(timestamp("A1234567890xyz"), Some(1_234_567_890));
        assert_eq!(timestamp("Ab1234567890xy"), None);
    }

    #[test]
    fn the_class_names_the_migration_not_the_file() {
        let ts = "import { MigrationInterface, QueryRunner } from 'typeorm'\n\
            // class Old1 {}\n\
            export class AddVariableEntity1699325775451 implements MigrationInterface {\n\
              public async up(queryRunner: QueryRunner): Promise<void> {}\n\
              public async down(queryRunner: QueryRunner): Promise<void> {}\n}\n";
        assert_eq!(migration_class(ts).unwrap().0, "AddVariableEntity1699325775451");
        let named = "export class A implements MigrationInterface {\n    name = 'Init1700000000001'\n    async up(q: QueryRunner) {}\n}\n";
        assert_eq!(migration_class(named).unwrap().0, "Init1700000000001");
        assert!(migration_class("export const x = 1;").is_none());
        assert!(is_module("AddUsers.ts") && !is_module("index.ts") && !is_module("a.d.ts"));
    }
}
