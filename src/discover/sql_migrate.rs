//! sql-migrate (rubenv): any `{name}.sql`, one file per migration with `-- +migrate Up` and
//! `-- +migrate Down` sections, `-- +migrate StatementBegin`/`StatementEnd`, and the option
//! `notransaction` on a section marker (`-- +migrate Up notransaction`).
//!
//! sql-migrate orders files by their leading integer when they have one (numerically, so `9_a`
//! runs before `10_b`), then the files without one, by name. The model's versions say the same:
//! a leading integer is a numeric version, a name without one is a [`Version::named`].

use std::sync::LazyLock;

use regex::Regex;

use super::sections::{Dialect, Marker, Sectioned};
use crate::model::{FormatRules, Version};

pub static DIALECT: Dialect = Dialect {
    format: "sql-migrate",
    up_marker: "-- +migrate Up",
    classify,
    no_transaction_option: |o| o.split_whitespace().any(|w| w == "notransaction"),
};

fn classify(line: &str) -> Option<(Marker, String)> {
    let rest = line.strip_prefix("-- +migrate")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let mut words = rest.split_whitespace();
    let word = words.next().unwrap_or("");
    let marker = match word {
        "Up" => Marker::Up,
        "Down" => Marker::Down,
        "StatementBegin" => Marker::StatementBegin,
        "StatementEnd" => Marker::StatementEnd,
        other => Marker::Unknown(format!("-- +migrate {other}")),
    };
    Some((marker, words.collect::<Vec<_>>().join(" ")))
}

static LEADING: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)(.*)\.sql$").unwrap());

pub(super) fn parse_name(name: &str) -> Option<(Version, String)> {
    let stem = name.strip_suffix(".sql")?;
    if stem.is_empty() {
        return None;
    }
    Some(match LEADING.captures(name) {
        Some(c) => (Version::parse(&c[1])?, c[2].trim_start_matches(['_', '-']).to_string()),
        None => (Version::named(stem), stem.to_string()),
    })
}

pub static SQL_MIGRATE: Sectioned = Sectioned {
    dialect: &DIALECT,
    parse_name,
    rules: FormatRules {
        wraps_in_transaction: true,
        apply: crate::model::Apply::Statements { transaction: true },
        down_hint: crate::model::DownHint::Section("-- +migrate Down"),
        ..FormatRules::PAIRS
    },
    may_mark: |text| text.contains("+migrate Up"),
    template: "-- +migrate Up\n\n-- +migrate Down\n",
    detail: "",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_case_sensitive() {
        assert_eq!(classify("-- +migrate Up notransaction").unwrap().1, "notransaction");
        assert_eq!(classify("-- +migrate StatementEnd").unwrap().0, Marker::StatementEnd);
        assert!(matches!(classify("-- +migrate up").unwrap().0, Marker::Unknown(_)));
        assert!(classify("-- +migrateUp").is_none());
    }

    #[test]
    fn orders_numbers_then_names() {
        let v = |n: &str| parse_name(n).unwrap().0;
        assert!(v("9_a.sql") < v("10_b.sql"));
        assert!(v("10_b.sql") < v("init.sql"));
        assert!(v("alpha.sql") < v("beta.sql"));
    }
}
