//! A schema snapshot: one catalog query ([`QUERY`]) read into a map keyed by object identity
//! (kind, owning relation, name), never by OID, so two snapshots of equal schemas are equal
//! whatever order the objects were created in.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use postgres::{Client, Statement};
use regex::Regex;

/// The catalog query: one row per object, `(kind, parent, name, definition, position)`.
pub const QUERY: &str = include_str!("snapshot.sql");

/// Separates the attributes of a column's definition (and an enum's labels) in [`Object::def`].
pub const SEP: char = '\u{1f}';

/// What identifies an object: its kind, the relation it belongs to (or ""), and its name.
pub type Key = (String, String, String);

/// One object's definition as the catalogs render it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// The definition, with `'now'` timestamps masked; for columns, [`SEP`]-separated
    /// attributes (type, not null, default, identity, generated, collation).
    pub def: String,
    /// What equality is judged on: `def` with whitespace and comments normalised where they do
    /// not matter (function bodies).
    pub cmp: String,
    /// Column position (attnum); 0 for other objects.
    pub ord: i32,
}

/// A whole schema.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: BTreeMap<Key, Object>,
}

impl Snapshot {
    /// Reads the schema through `statement` (a prepared [`QUERY`]). Timestamps from `since`
    /// (`YYYY-MM-DD HH:MM:SS`, UTC) to the moment of the snapshot are masked: they are what
    /// `'now'` folded into a default or a view while the migrations ran.
    ///
    /// The query runs with `search_path` set to `pg_catalog` alone (the migrations' own setting
    /// is put back after): a migration that puts its own schema before `pg_catalog` and defines
    /// an `=` on `oid` there must not be able to change what the snapshot sees.
    pub fn take(client: &mut Client, statement: &Statement, since: &str) -> Result<Snapshot, postgres::Error> {
        let saved: String = client.query_one("SHOW search_path", &[])?.get(0);
        client.batch_execute("SET search_path = pg_catalog, pg_temp")?;
        let rows = client.query(statement, &[]);
        client.execute("SELECT pg_catalog.set_config('search_path', $1, false)", &[&saved])?;
        let rows = rows?;
        let mut raw = Vec::with_capacity(rows.len());
        let mut clock = String::new();
        for row in rows {
            let kind: String = row.get(0);
            let def: Option<String> = row.get(3);
            if kind == "clock" {
                clock = def.unwrap_or_default();
                continue;
            }
            let ord: Option<i32> = row
                .try_get::<_, i32>(4)
                .ok()
                .or_else(|| row.try_get::<_, i16>(4).ok().map(i32::from));
            raw.push((
                kind,
                row.get::<_, Option<String>>(1).unwrap_or_default(),
                row.get::<_, Option<String>>(2).unwrap_or_default(),
                def.unwrap_or_default(),
                ord.unwrap_or(0),
            ));
        }
        Ok(Snapshot::from_rows(raw, since, &clock))
    }

    /// Builds a snapshot from query rows (also what the unit tests use).
    pub fn from_rows(rows: Vec<(String, String, String, String, i32)>, since: &str, until: &str) -> Snapshot {
        let mut objects = BTreeMap::new();
        for (kind, parent, name, def, ord) in rows {
            let def = mask_now(&def, since, until);
            let cmp = match kind.as_str() {
                "function" | "procedure" => normalize_sql(&def),
                _ => def.clone(),
            };
            objects.insert((kind, parent, name), Object { def, cmp, ord });
        }
        Snapshot { objects }
    }

    /// The server clock (UTC, to the second), for [`Snapshot::take`]'s `since`.
    pub fn clock(client: &mut Client) -> Result<String, postgres::Error> {
        let row = client.query_one(
            "SELECT pg_catalog.to_char(pg_catalog.clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
            &[],
        )?;
        Ok(row.get(0))
    }
}

static TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"'(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:[+-]\d{2}(?::\d{2})?)?)?'").unwrap()
});

/// Replaces timestamp and date literals that fall between `since` and `until` (both
/// `YYYY-MM-DD HH:MM:SS`) with `'<now>'`: a literal from that window can only be `'now'` folded
/// into a constant while migproof ran, and it differs from one application to the next.
pub fn mask_now(def: &str, since: &str, until: &str) -> String {
    if since.is_empty() || until.is_empty() || !def.contains('\'') {
        return def.to_string();
    }
    TIMESTAMP
        .replace_all(def, |c: &regex::Captures| {
            let date = &c[1];
            let inside = match c.get(2) {
                Some(time) => {
                    let at = format!("{date} {}", time.as_str());
                    since <= at.as_str() && at.as_str() <= until
                }
                None => (&since[..10] <= date) && (date <= &until[..10]),
            };
            if inside {
                "'<now>'".to_string()
            } else {
                c[0].to_string()
            }
        })
        .into_owned()
}

/// SQL text with comments removed and whitespace reduced to what separates two words, so
/// function bodies that differ only in layout or comments compare equal. Quoted strings and
/// identifiers are kept as they are (dollar quotes are transparent: function bodies live in
/// them).
pub fn normalize_sql(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut pending_space = false;
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'\'' | b'"' | b'$') || c >= 0x80;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            pending_space = true;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = crate::sql::lexer::block_comment_end(b, i);
            pending_space = true;
            continue;
        }
        if c.is_ascii_whitespace() {
            pending_space = true;
            i += 1;
            continue;
        }
        if pending_space {
            if out.as_bytes().last().is_some_and(|&l| word(l)) && word(c) {
                out.push(' ');
            }
            pending_space = false;
        }
        if c == b'\'' || c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() {
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push_str(&text[start..i]);
            continue;
        }
        let start = i;
        i += 1;
        while i < b.len() && !text.is_char_boundary(i) {
            i += 1;
        }
        out.push_str(&text[start..i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing_ignores_layout_and_comments_but_not_strings() {
        let a = "BEGIN\n  -- bump it\n  NEW.x := now();  RETURN NEW;\nEND;";
        let b = "BEGIN NEW.x:=now(); /* c */ RETURN   NEW; END;";
        assert_eq!(normalize_sql(a), normalize_sql(b));
        assert_ne!(normalize_sql("SELECT 'a  b'"), normalize_sql("SELECT 'a b'"));
        assert_ne!(normalize_sql("RETURN NEW"), normalize_sql("RETURN OLD"));
        assert_eq!(
            normalize_sql("select  'it''s -- not a comment'"),
            "select 'it''s -- not a comment'"
        );
    }

    #[test]
    fn now_is_masked_only_inside_the_run() {
        let since = "2026-01-02 10:00:00";
        let until = "2026-01-02 10:05:00";
        assert_eq!(
            mask_now("'2026-01-02 10:01:02.123+00'::timestamp with time zone", since, until),
            "'<now>'::timestamp with time zone"
        );
        assert_eq!(mask_now("'2026-01-02'::date", since, until), "'<now>'::date");
        assert_eq!(
            mask_now("'2020-01-01 00:00:00+00'::timestamp with time zone", since, until),
            "'2020-01-01 00:00:00+00'::timestamp with time zone"
        );
    }
}
