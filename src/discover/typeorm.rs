//! TypeORM: `{13-digit milliseconds}-{Name}.ts` modules, each a class with `up` and `down`
//! methods that run SQL through `queryRunner.query(`…`)`. Migrations run in timestamp order.
//! The SQL is read from the template literals (see [`super::typescript`]).

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, DirListing, Format};
use crate::model::{FormatRules, MigrationSet, Version};

pub struct TypeOrm;

static MODULE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]{13})-([A-Za-z0-9_]+)\.ts$").unwrap());

pub(super) fn parse_module(name: &str) -> Option<(Version, String)> {
    let c = MODULE.captures(name)?;
    Some((Version::parse(&c[1])?, c[2].to_string()))
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
            apply: crate::model::Apply::Transaction,
            ..FormatRules::default()
        };
        for name in &dir.files {
            let Some((version, class)) = parse_module(name) else {
                continue;
            };
            let file = set.add_file(dir.read_file(name));
            let mut m = super::ts_registry::load_module(&mut set, file, version, class);
            // `down` is a required method of MigrationInterface; the compiler enforces it.
            m.needs_down = false;
            set.migrations.push(m);
        }
        set.sort();
        set
    }
}
