//! goose: `{version}_{name}.sql`, one file per migration with `-- +goose Up` and
//! `-- +goose Down` sections, `-- +goose StatementBegin`/`StatementEnd` around statements that
//! contain semicolons, `-- +goose NO TRANSACTION` for the whole file, and
//! `-- +goose ENVSUB ON`/`OFF` to substitute `${VAR}` from the environment.
//!
//! goose reads annotations case-insensitively. A file without an Up section is refused; a
//! missing Down section only means the migration does nothing on the way down, so it is a
//! warning here. Version numbers are compared as integers.

use std::sync::LazyLock;

use regex::Regex;

use super::sections::{Dialect, Marker, Sectioned};
use crate::model::{FormatRules, Version};

pub static DIALECT: Dialect = Dialect {
    format: "goose",
    up_marker: "-- +goose Up",
    classify,
    no_transaction_option: |_| false,
};

/// Reads `-- +goose <annotation>` (any case, spaces around it allowed).
fn classify(line: &str) -> Option<(Marker, String)> {
    let rest = line.trim().strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("+goose").or_else(|| {
        rest.get(..6)
            .filter(|p| p.eq_ignore_ascii_case("+goose"))
            .map(|_| &rest[6..])
    })?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let annotation = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    let marker = match annotation.to_ascii_lowercase().as_str() {
        "up" => Marker::Up,
        "down" => Marker::Down,
        "statementbegin" => Marker::StatementBegin,
        "statementend" => Marker::StatementEnd,
        "no transaction" => Marker::NoTransaction,
        "envsub on" => Marker::EnvsubOn,
        "envsub off" => Marker::EnvsubOff,
        _ => Marker::Unknown(format!("-- +goose {annotation}")),
    };
    Some((marker, String::new()))
}

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)_(.+)\.sql$").unwrap());

pub(super) fn parse_name(name: &str) -> Option<(Version, String)> {
    let c = NAME.captures(name)?;
    Some((Version::parse(&c[1])?, c[2].to_string()))
}

pub static GOOSE: Sectioned = Sectioned {
    dialect: &DIALECT,
    parse_name,
    rules: FormatRules {
        down_required: false,
        wraps_in_transaction: true,
        apply: crate::model::Apply::Statements { transaction: true },
        down_hint: crate::model::DownHint::Section("-- +goose Down"),
        ..FormatRules::PAIRS
    },
    may_mark: |text| text.to_ascii_lowercase().contains("+goose"),
    template: "-- +goose Up\n\n-- +goose Down\n",
    detail: " (more specific than plain `{version}_{name}.sql`)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_annotations_in_any_case() {
        assert_eq!(classify("-- +goose Up").unwrap().0, Marker::Up);
        assert_eq!(classify("--  +goose   down ").unwrap().0, Marker::Down);
        assert_eq!(classify("-- +goose no transaction").unwrap().0, Marker::NoTransaction);
        assert_eq!(classify("-- +goose NO TRANSACTION").unwrap().0, Marker::NoTransaction);
        assert_eq!(classify("-- +goose StatementBegin").unwrap().0, Marker::StatementBegin);
        assert_eq!(classify("-- +goose ENVSUB ON").unwrap().0, Marker::EnvsubOn);
        assert!(matches!(classify("-- +goose Sideways").unwrap().0, Marker::Unknown(_)));
        assert!(classify("-- +gooseUp").is_none());
        assert!(classify("-- goose Up").is_none());
        assert!(classify("select 1; -- +goose Up").is_none());
    }

    #[test]
    fn names() {
        assert_eq!(parse_name("20240115180414_init.sql").unwrap().1, "init");
        assert!(parse_name("20240115180414-init.sql").is_none());
        assert!(parse_name("init.sql").is_none());
    }
}
