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

/// Reads a `metadata.yaml`; a file that cannot be used is a metadata problem (and `None`).
fn read_metadata(set: &mut MigrationSet, id: FileId) -> Option<Metadata> {
    let text = set.file(id).text.clone().ok()?;
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
