//! golang-migrate: `{version}_{title}.up.{ext}` and `{version}_{title}.down.{ext}`.
//!
//! The version is any run of digits and is compared as a number (`1_a` and `001_b` are the same
//! version). Each file is sent to the server as one simple query ([`crate::model::Apply::OneQuery`],
//! the default of [`crate::model::Script::whole`]). The directory is not recursive.

use super::pairs::{self, parse_pair_name};
use super::{Detection, DirListing, Format, Template};
use crate::model::{FormatRules, MigrationSet};

pub struct GolangMigrate;

impl Format for GolangMigrate {
    fn name(&self) -> &'static str {
        "golang-migrate"
    }

    fn template(&self) -> Option<Template> {
        Some(Template::Pair)
    }

    fn names_file(&self, name: &str) -> bool {
        parse_pair_name(name).is_some()
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        let n = dir.files.iter().filter(|f| parse_pair_name(f).is_some()).count();
        Detection::if_found(n, 10, || {
            format!("{n} files named `{{version}}_{{title}}.up|down.{{ext}}`")
        })
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        let ext = pairs::main_extension(dir);
        let mut set = new_set(dir, self.name());
        let mut named = Vec::new();
        for name in &dir.files {
            match parse_pair_name(name) {
                Some(p) if p.ext == ext => {
                    let id = set.add_file(dir.read_file(name));
                    named.push((id, p));
                }
                _ => {}
            }
        }
        pairs::pair(&mut set, named);
        pairs::collect_strays(&mut set, dir, |name| pairs::stray_reason(name, &ext));
        set.sort();
        set
    }
}

/// An empty set for `dir` with the pair layout's rules.
pub fn new_set(dir: &DirListing, format: &'static str) -> MigrationSet {
    MigrationSet::new(dir.display.clone(), dir.path.clone(), format, FormatRules::default())
}
