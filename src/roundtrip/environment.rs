//! Telling a migration's failure from the server's: a rejection that means the server lacks
//! an extension, a role, a language or a file is MC306 (not verified), with how to get it.

use std::sync::LazyLock;

use regex::Regex;

use super::apply::Rejection;

/// Whether a rejection means the server (PostgreSQL `major`) lacks something (MC306): the
/// message and the help.
pub fn lacking(r: &Rejection, major: u32) -> Option<(String, String)> {
    static EXTENSION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"extension control file "[^"]*/([^/"]+)\.control"|extension "([^"]+)" is not available|extension "([^"]+)" has no installation script"#).unwrap()
    });
    static ROLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^role "([^"]+)" does not exist"#).unwrap());
    static LANGUAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#"^language "([^"]+)" does not exist"#).unwrap());
    let elsewhere = "or pass --database-url (or MIGPROOF_DATABASE_URL) to run on a server that has it";
    if let Some(c) = EXTENSION.captures(&r.message) {
        let ext = c.get(1).or(c.get(2)).or(c.get(3)).map_or("", |m| m.as_str());
        let install = match debian_package(ext, major) {
            Some(pkg) => {
                format!(
                    "install it: Debian/Ubuntu package `{pkg}` (`apt-get install {pkg}`; from the PGDG apt \
                     repository where the distribution lacks it), {elsewhere}"
                )
            }
            None => format!("install the package that provides it for PostgreSQL {major}, {elsewhere}"),
        };
        return Some((
            format!("extension `{ext}` is not installed on the round-trip server (PostgreSQL {major})"),
            install,
        ));
    }
    if let Some(c) = ROLE.captures(&r.message) {
        return Some((
            format!("role `{}` does not exist on the round-trip server", &c[1]),
            format!(
                "the platform provides it: create it in a --setup FILE (`CREATE ROLE {};`), {elsewhere}",
                &c[1]
            ),
        ));
    }
    if let Some(c) = LANGUAGE.captures(&r.message) {
        let lang = &c[1];
        let install = match debian_package(lang, major) {
            Some(pkg) => format!("install `{pkg}`, {elsewhere}"),
            None => format!("install the language for PostgreSQL {major}, {elsewhere}"),
        };
        return Some((
            format!("language `{lang}` is not installed on the round-trip server"),
            install,
        ));
    }
    if r.code == "58P01" {
        return Some((
            format!("the round-trip server lacks a file the migration needs: {}", r.message),
            format!("install the package that provides it, {elsewhere}"),
        ));
    }
    None
}

/// The Debian/Ubuntu (PGDG) package that ships an extension or language, where it is known.
pub fn debian_package(name: &str, major: u32) -> Option<String> {
    let suffix = match name {
        "vector" => "pgvector",
        "postgis" | "postgis_topology" | "postgis_raster" | "postgis_tiger_geocoder" | "address_standardizer" => {
            "postgis-3"
        }
        "pg_cron" => "cron",
        "pg_partman" => "partman",
        "pgaudit" => "pgaudit",
        "pg_repack" => "repack",
        "hypopg" => "hypopg",
        "pgtap" => "pgtap",
        "pgrouting" => "pgrouting",
        "orafce" => "orafce",
        "ip4r" => "ip4r",
        "pg_hint_plan" => "pg-hint-plan",
        "timescaledb" => return Some(format!("timescaledb-2-postgresql-{major}")),
        "plpython3u" => return Some(format!("postgresql-plpython3-{major}")),
        "plperl" | "plperlu" => return Some(format!("postgresql-plperl-{major}")),
        "pltcl" | "pltclu" => return Some(format!("postgresql-pltcl-{major}")),
        _ => return None,
    };
    Some(format!("postgresql-{major}-{suffix}"))
}
