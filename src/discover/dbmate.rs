//! dbmate: `{version}{anything}.sql` (the version is the leading digits, so
//! `20220404205710_name.sql` and `00000000000000-initial-schema.sql` both count), one file per
//! migration with `-- migrate:up` and `-- migrate:down` sections. A marker can carry options
//! (`-- migrate:up transaction:false`). dbmate refuses a file without `-- migrate:up` and SQL
//! outside the two sections; an empty down section makes the migration irreversible.

use std::sync::LazyLock;

use regex::Regex;

use super::sections::{Dialect, Marker, Sectioned};
use crate::model::{FormatRules, Version};

pub static DIALECT: Dialect = Dialect {
    format: "dbmate",
    up_marker: "-- migrate:up",
    classify,
    no_transaction_option,
};

static MARKER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^--\s*migrate:(\w+)(.*)$").unwrap());

fn classify(line: &str) -> Option<(Marker, String)> {
    let c = MARKER.captures(line.trim_end())?;
    let marker = match &c[1] {
        "up" => Marker::Up,
        "down" => Marker::Down,
        other => Marker::Unknown(format!("-- migrate:{other}")),
    };
    Some((marker, c[2].trim().to_string()))
}

/// `transaction:false` among the marker's `key:value` options.
fn no_transaction_option(options: &str) -> bool {
    options
        .split_whitespace()
        .any(|o| o.eq_ignore_ascii_case("transaction:false"))
}

static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([0-9]+)(.*)\.sql$").unwrap());

pub(super) fn parse_name(name: &str) -> Option<(Version, String)> {
    let c = NAME.captures(name)?;
    let title = c[2].trim_start_matches(['_', '-']).to_string();
    Some((Version::parse(&c[1])?, title))
}

pub static DBMATE: Sectioned = Sectioned {
    dialect: &DIALECT,
    parse_name,
    rules: FormatRules {
        wraps_in_transaction: true,
        apply: crate::model::Apply::Transaction,
        down_hint: crate::model::DownHint::Section("-- migrate:down"),
        ..FormatRules::PAIRS
    },
    may_mark: |text| text.contains("migrate:up"),
    template: "-- migrate:up\n\n-- migrate:down\n",
    detail: "",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_options() {
        assert_eq!(classify("-- migrate:up").unwrap().0, Marker::Up);
        let (m, opts) = classify("--migrate:down transaction:false").unwrap();
        assert_eq!(m, Marker::Down);
        assert!(no_transaction_option(&opts));
        assert!(!no_transaction_option("transaction:true"));
        assert!(classify("  -- migrate:up").is_none());
        assert!(matches!(classify("-- migrate:sideways").unwrap().0, Marker::Unknown(_)));
    }

    #[test]
    fn names_with_dashes() {
        let (v, t) = parse_name("00000000000000-initial-schema.sql").unwrap();
        assert_eq!(v, Version::parse("0").unwrap());
        assert_eq!(t, "initial-schema");
        assert!(parse_name("schema.sql").is_none());
    }
}
