//! TypeScript registries (Memorall on PGlite): modules `{version}_{description}.ts` plus
//! `initial.ts` (version 1), each exporting `up` and an optional `down` that run SQL through
//! `db.exec(`…`)`, and an `index.ts` whose `migrations` array lists them in the order they run:
//! `{ id, version, description, up, down }`.
//!
//! The SQL is read from the template literals (see [`super::typescript`]); the registry is read
//! from `index.ts` with its comments removed, so a commented-out entry is not an entry.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::typescript::{self, Direction};
use super::{Detection, DirListing, Format};
use crate::model::{
    FileId, FormatRules, MetadataProblem, Migration, MigrationSet, Registry, RegistryEntry, Script, Unanalysed, Version,
};

pub struct TsRegistry;

static MODULE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_([^.]+)\.ts$").unwrap());

/// The version and id of a migration module (`initial.ts` is version 1).
pub(super) fn parse_module(name: &str) -> Option<(Version, String)> {
    if name == "initial.ts" {
        return Some((Version::parse("1")?, "initial".to_string()));
    }
    let c = MODULE.captures(name)?;
    Some((Version::parse(&c[1])?, name.trim_end_matches(".ts").to_string()))
}

impl Format for TsRegistry {
    fn name(&self) -> &'static str {
        "ts-registry"
    }

    /// The registry `index.ts` that imports PGlite is the runner's own code.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        let text = dir.read_bytes("index.ts").ok()?;
        let text = String::from_utf8_lossy(&text);
        (text.contains("@electric-sql/pglite") && text.contains("migrations"))
            .then(|| format!("{}: a `migrations` registry for PGlite", dir.child_display("index.ts")))
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        if !dir.files.iter().any(|f| f == "index.ts") {
            return None;
        }
        // An `index.ts` without a `migrations` array is application code that calls modules
        // itself (homarr's untracked custom data migrations), not a registry.
        // An `index.ts` that cannot be read (a FIFO, a link out of the repository) still makes
        // the directory a registry candidate, so that loading reports it.
        if let Ok(index) = dir.read_bytes("index.ts")
            && !ARRAY.is_match(&typescript::without_comments(&String::from_utf8_lossy(&index)))
        {
            return None;
        }
        let n = dir.files.iter().filter(|f| parse_module(f).is_some()).count();
        Detection::if_found(n, 30, || {
            format!("`index.ts` beside {n} modules named `initial.ts` or `{{version}}_{{description}}.ts`")
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            down_required: false,
            ..FormatRules::default()
        };
        for name in &dir.files {
            let Some((version, id)) = parse_module(name) else {
                continue;
            };
            let file = set.add_file(dir.read_file(name));
            let migration = load_module(&mut set, file, version, id);
            set.migrations.push(migration);
        }
        if dir.files.iter().any(|f| f == "index.ts") {
            let file = set.add_file(dir.read_file("index.ts"));
            set.registry = read_registry(&mut set, file);
        }
        set.sort();
        set
    }
}

/// Builds the migration of one module from the SQL literals of its `up` and `down`.
pub fn load_module(set: &mut MigrationSet, file: FileId, version: Version, name: String) -> Migration {
    let text = set.file(file).text().to_string();
    let mut up: Option<Script> = None;
    let mut down: Option<Script> = None;
    let has = typescript::functions(&text);
    let literals = typescript::by_direction(&text);
    // Literals with `\` escapes are read as the text they send, from a rewritten copy of the
    // file that keeps every line (see `typescript::unescaped`).
    let sql_file = if literals.iter().any(|(_, l)| l.escaped && !l.interpolated) {
        let plain: Vec<typescript::SqlLiteral> = literals.iter().map(|(_, l)| l.clone()).collect();
        let derived = set.file(file).derived(typescript::unescaped(&text, &plain));
        set.add_file(derived)
    } else {
        file
    };
    let mut runtime = (false, false);
    for (direction, lit) in literals {
        if lit.interpolated {
            set.unanalysed.push(Unanalysed {
                file,
                span: lit.span.clone(),
                reason: "this template literal has `${…}` interpolation: its SQL is only known at run time".to_string(),
            });
            if direction == Direction::Up {
                runtime.0 = true;
            } else {
                runtime.1 = true;
            }
            continue;
        }
        let slot = if direction == Direction::Up { &mut up } else { &mut down };
        match slot {
            Some(script) => script.more_spans.push(lit.span),
            None => *slot = Some(Script::part(sql_file, lit.span)),
        }
    }
    // A function without literal SQL (or with only interpolated or escaped SQL) is still
    // there: an empty script at the function, so the migration exists (an up whose SQL could
    // not be read is no orphan down), and an empty `up` is reported unless its SQL was only
    // unreadable (`empty-migration` skips files with unanalysed SQL).
    for (at, direction) in has {
        let slot = if direction == Direction::Up { &mut up } else { &mut down };
        if slot.is_none() {
            *slot = Some(Script::part(file, at..at));
        }
    }
    if up.is_none() && down.is_none() {
        up = Some(Script::part(file, 0..0));
    }
    for (script, runtime) in [(&mut up, runtime.0), (&mut down, runtime.1)] {
        if let Some(script) = script {
            script.runtime_sql |= runtime;
        }
    }
    // The registry's `down` is optional (`down?:`): a migration without one is irreversible
    // by design, not by mistake.
    Migration::new(version, name, up, down, false)
}

static ARRAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:const|let|var)\s+migrations\b[^=;]*=\s*\[").unwrap());
static IMPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bimport\s*(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]"#).unwrap());
static IMPORT_ALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bimport\s*\*\s*as\s+([A-Za-z_$][\w$]*)\s+from\s*['"]([^'"]+)['"]"#).unwrap());
static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"\bid\s*:\s*(?:'([^']*)'|"([^"]*)"|`([^`$]*)`)"#).unwrap());
static VERSION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bversion\s*:\s*([0-9]+)\b").unwrap());
static UP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bup\s*:\s*([A-Za-z_$][\w$]*)(?:\s*\.\s*up\b)?").unwrap());

/// Reads the `migrations` array of the registry file; a file without one is a metadata problem.
fn read_registry(set: &mut MigrationSet, file: FileId) -> Option<Registry> {
    let Ok(text) = set.file(file).text.clone() else {
        return None;
    };
    let code = typescript::without_comments(&text);
    let Some(open) = ARRAY.find(&code) else {
        set.metadata_problems.push(MetadataProblem {
            file,
            span: 0..0,
            message: "has no `migrations` array (`export const migrations = [ … ]`), so no migration is registered"
                .to_string(),
        });
        return None;
    };
    // Imported names and the modules they come from.
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for c in IMPORT.captures_iter(&code) {
        for spec in c[1].split(',') {
            let local = spec.rsplit(" as ").next().unwrap_or(spec).trim();
            if !local.is_empty() {
                modules.insert(local.to_string(), c[2].to_string());
            }
        }
    }
    for c in IMPORT_ALL.captures_iter(&code) {
        modules.insert(c[1].to_string(), c[2].to_string());
    }
    // The array's objects at depth one, skipping strings.
    let bytes = code.as_bytes();
    let start = open.end();
    let mut entries = Vec::new();
    let (mut depth, mut obj_start, mut i) = (0usize, 0usize, start);
    let mut end = code.len();
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                if depth == 0 && bytes[i] == b'{' {
                    obj_start = i;
                }
                depth += 1;
            }
            b'}' | b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && bytes[i] == b'}' {
                    entries.push(entry(&code[obj_start..=i], obj_start, &modules));
                }
            }
            b']' => {
                if depth == 0 {
                    end = i + 1;
                    break;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    Some(Registry {
        file,
        span: open.start()..end,
        entries,
    })
}

/// One `{ … }` of the array.
fn entry(obj: &str, at: usize, modules: &BTreeMap<String, String>) -> RegistryEntry {
    // Only the object's own properties: nested objects are not looked into.
    let id = ID
        .captures(obj)
        .and_then(|c| c.iter().skip(1).flatten().next().map(|m| m.as_str().to_string()));
    let version = VERSION.captures(obj).and_then(|c| c[1].parse().ok());
    let module = UP.captures(obj).and_then(|c| modules.get(&c[1]).cloned());
    RegistryEntry {
        id,
        version,
        module,
        span: at..at + obj.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert_eq!(parse_module("initial.ts").unwrap().1, "initial");
        let (v, id) = parse_module("003_add_user_settings.ts").unwrap();
        assert_eq!((v.as_number(), id.as_str()), (Some(3), "003_add_user_settings"));
        assert!(parse_module("index.ts").is_none());
        assert!(parse_module("003_x.test.ts").is_none());
    }
}
