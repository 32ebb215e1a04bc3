//! sourcegraph: one directory per migration, `{epoch}_{name}/up.sql`, `down.sql` and
//! `metadata.yaml` with `name`, `parents: [versions]` (the migrations form a graph, not a
//! line), `createIndexConcurrently` (the up runs outside a transaction) and `privileged`.
//!
//! Ordering is the parents graph, checked by the graph rules; versions are epochs.

use std::sync::LazyLock;

use regex::Regex;
use serde::Deserialize;

use super::{Detection, DirListing, Format, NOT_MIGRATIONS};
use crate::model::{FileId, FormatRules, MetadataProblem, Migration, MigrationSet, Script, StrayFile, Version};

pub struct Sourcegraph;

pub(super) static DIR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.*)$").unwrap());

fn migration_dirs(dir: &DirListing) -> Vec<&String> {
    dir.dirs
        .iter()
        .filter(|d| DIR.is_match(d) && dir.has_file(&format!("{d}/metadata.yaml")))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    parents: Vec<u64>,
    #[serde(default)]
    create_index_concurrently: bool,
}

impl Format for Sourcegraph {
    fn name(&self) -> &'static str {
        "sourcegraph"
    }

    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        let n = migration_dirs(dir).len();
        (n > 0).then(|| format!("{n} sourcegraph `metadata.yaml` files"))
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = migration_dirs(dir).len();
        Detection::if_found(n, 40, || {
            format!("{n} subdirectories named `{{epoch}}_{{name}}` holding `metadata.yaml`")
        })
    }

    fn claims_subdirectories(&self) -> bool {
        true
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let mut set = super::golang_migrate::new_set(dir, self.name());
        set.rules = FormatRules {
            wraps_in_transaction: true,
            apply: crate::model::Apply::Transaction,
            // The reader opens `down.sql` of every migration and fails without it.
            down_required: true,
            ..FormatRules::default()
        };
        for name in &dir.dirs {
            if name.starts_with('.') || NOT_MIGRATIONS.contains(&name.as_str()) {
                continue;
            }
            let Some(c) = DIR.captures(name) else { continue };
            let (Some(version), title) = (Version::parse(&c[1]), c[2].to_string()) else {
                continue;
            };
            let Ok(sub) = dir.subdir(name) else {
                set.stray.push(StrayFile {
                    display: dir.child_display(name),
                    reason: "is a migration directory that cannot be listed".to_string(),
                });
                continue;
            };
            let has = |f: &str| sub.files.iter().any(|x| x == f);
            let mut parents = Some(Vec::new());
            let mut concurrently = false;
            let mut meta_file = None;
            if has("metadata.yaml") {
                let id = set.add_file(sub.read_file("metadata.yaml"));
                meta_file = Some(id);
                match read_metadata(&mut set, id) {
                    Some(m) => {
                        parents = Some(
                            m.parents
                                .iter()
                                .filter_map(|p| Version::parse(&p.to_string()))
                                .collect(),
                        );
                        concurrently = m.create_index_concurrently;
                    }
                    None => parents = None,
                }
            }
            let script = |set: &mut MigrationSet, f: &str, no_tx: bool| {
                has(f).then(|| {
                    let id = set.add_file(sub.read_file(f));
                    let mut s = Script::whole(id, set.file(id).text());
                    s.no_transaction = no_tx;
                    s
                })
            };
            // createIndexConcurrently applies to the up migration.
            let up = script(&mut set, "up.sql", concurrently);
            let down = script(&mut set, "down.sql", false);
            if up.is_none() && down.is_none() {
                continue;
            }
            if meta_file.is_none() {
                let file = up.as_ref().or(down.as_ref()).map_or(0, |s| s.file);
                set.metadata_problems.push(MetadataProblem {
                    file,
                    span: 0..0,
                    message: "is in a migration directory without `metadata.yaml`, so its parents are unknown"
                        .to_string(),
                });
                parents = None;
            }
            set.migrations.push(Migration {
                parents,
                ..Migration::new(version, title, up, down, true)
            });
        }
        set.sort();
        set
    }
}

/// How deep a `metadata.yaml` may nest, counting flow brackets and, for block style, the
/// columns of indentation plus the `- `/`? ` indicators that open a line (an overestimate).
const MAX_YAML_DEPTH: usize = 64;

/// Where `text` first nests deeper than [`MAX_YAML_DEPTH`], if it does. One pass, no parsing:
/// brackets inside quotes and comments do not count.
fn too_deep(text: &str) -> Option<usize> {
    let mut flow = 0usize;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bytes = line.as_bytes();
        // Block depth: indentation, then `- ` / `? ` indicators (`- - - x` nests three times).
        let mut i = bytes.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        let mut block = i;
        while i + 1 < bytes.len() && matches!(bytes[i], b'-' | b'?') && matches!(bytes[i + 1], b' ' | b'\t') {
            block += 2;
            i += 2;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
        }
        if block > MAX_YAML_DEPTH {
            return Some(offset + i);
        }
        let mut quote: Option<u8> = None;
        for (j, &b) in bytes.iter().enumerate() {
            match (quote, b) {
                (Some(q), b) if b == q => quote = None,
                (Some(_), _) => {}
                (None, b'\'' | b'"') => quote = Some(b),
                (None, b'#') if j == 0 || matches!(bytes[j - 1], b' ' | b'\t') => break,
                (None, b'[' | b'{') => {
                    flow += 1;
                    if flow > MAX_YAML_DEPTH {
                        return Some(offset + j);
                    }
                }
                (None, b']' | b'}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        offset += line.len();
    }
    None
}

/// Reads a `metadata.yaml`; a file that cannot be used is a metadata problem (and `None`).
fn read_metadata(set: &mut MigrationSet, id: FileId) -> Option<Metadata> {
    let text = set.file(id).text.clone().ok()?;
    // The YAML parser takes time superlinear in the nesting depth (a 200 KB file of
    // `[[[…]]]` took 42 s): refuse deep nesting before parsing. Sourcegraph's metadata is a
    // flat map, so the bound is never near for a real file.
    if let Some(at) = too_deep(&text) {
        set.metadata_problems.push(MetadataProblem {
            file: id,
            span: at..at,
            message: format!(
                "cannot be read: it nests deeper than {MAX_YAML_DEPTH} levels here (sourcegraph's metadata is a flat \
                 map of `name`, `parents` and flags)"
            ),
        });
        return None;
    }
    match serde_yaml::from_str::<Metadata>(&text) {
        Ok(m) => Some(m),
        Err(e) => {
            let at = e.location().map_or(0, |l| l.index().min(text.len()));
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            set.metadata_problems.push(MetadataProblem {
                file: id,
                span: at..at,
                message: format!("cannot be read: {message}"),
            });
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_found_before_parsing() {
        assert_eq!(
            too_deep("name: a\nparents: [1, 2]\ncreateIndexConcurrently: false\n"),
            None
        );
        let deep = format!("parents: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(too_deep(&deep), Some(9 + MAX_YAML_DEPTH));
        assert!(too_deep(&"- ".repeat(1000)).is_some());
        assert_eq!(too_deep(&format!("name: '{}'", "[".repeat(1000))), None, "quoted");
    }
}
