//! Atlas versioned migrations: a directory of `{version}_{name}.sql` files with an `atlas.sum`
//! integrity file, applied by `atlas migrate apply`.
//!
//! Modelled on ariga/atlas (commit a5e0aecc):
//! - **Files** (`sql/migrate/dir.go` `LocalDir.Files`): `*.sql` directly in the directory,
//!   sorted by name (byte order). Version = the name up to the first `_` (`LocalFile.Version`),
//!   compared as a string; order is file-name order.
//! - **Integrity** (`dir.go` `NewHashFile`, `HashFile.Sum`, `UnmarshalText`, `Validate`): one
//!   SHA-256 runs over the files in order; for each file it takes the name, then the content
//!   (unless the file's first line is an `atlas:sum ignore` directive), and the file's line in
//!   `atlas.sum` holds the base64 of the hash *so far*, so every line chains all files before
//!   it. The first line `h1:…` is the SHA-256 of all names and line hashes. `atlas migrate
//!   validate` (and `apply`, `lint`, `diff`) fail with "checksum mismatch" when either
//!   differs; this format recomputes both and names the first edited file, every file added
//!   without re-hashing, and every listed file that is gone (`atlas-sum-mismatch`).
//! - **golang-migrate directories authored by Atlas** (`atlas.hcl`'s `migration { format =
//!   golang-migrate }`, `sql/sqltool/tool.go` `GolangMigrateDir.Files`): Atlas hashes only the
//!   `*.up.sql` files. Such a directory is run by golang-migrate, so it is checked as
//!   golang-migrate, and that format verifies its `atlas.sum` with [`verify_sum`].
//! - **Downs**: none (Atlas plans rollbacks itself); no down is expected.
//! - **Transactions** (`cmd/atlas/internal/cmdapi/migrate.go`, `--tx-mode`, default `file`):
//!   each file in its own transaction, statement by statement; a file-level directive
//!   `-- atlas:txmode none` runs it without one. `-- atlas:delimiter X` makes `X` the statement
//!   separator; each piece is then parsed on its own.
//! - `-- atlas:nolint …` and other `atlas:` directives are comments to PostgreSQL.

use std::collections::BTreeSet;
use std::ops::Range;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::{Detection, DirListing, Format};
use crate::model::{Apply, FileId, FormatRules, Migration, MigrationSet, Script, SetIssue, Version};

pub struct Atlas;

/// Atlas's integrity file.
pub const SUM_FILE: &str = "atlas.sum";

/// Which files Atlas hashes in a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `*.sql` (Atlas's own format).
    Native,
    /// `*.up.sql` (golang-migrate format).
    GolangMigrate,
}

/// Whether Atlas treats `dir` as a golang-migrate directory: its `atlas.sum` lists only
/// `.up.sql` files while `.down.sql` files sit beside them, or an `atlas.hcl` above it says so.
pub fn layout(dir: &DirListing) -> Layout {
    let sum = dir
        .read_bytes(SUM_FILE)
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let listed: Vec<String> = sum
        .map(|s| entries(&s).into_iter().map(|(n, _, _)| n).collect())
        .unwrap_or_default();
    let downs = dir.files.iter().any(|f| f.ends_with(".down.sql"));
    // What the sum lists decides; only an empty or unreadable sum defers to `atlas.hcl`.
    if !listed.is_empty() {
        return if downs && listed.iter().all(|n| n.ends_with(".up.sql")) {
            Layout::GolangMigrate
        } else {
            Layout::Native
        };
    }
    if config_says_golang_migrate(dir) {
        return Layout::GolangMigrate;
    }
    Layout::Native
}

/// An `atlas.hcl` in the directory or up to four levels above it that names the
/// golang-migrate format.
fn config_says_golang_migrate(dir: &DirListing) -> bool {
    dir.path
        .ancestors()
        .take(5)
        .filter_map(|p| std::fs::read_to_string(p.join("atlas.hcl")).ok())
        .any(|hcl| hcl.contains("\"golang-migrate\""))
}

impl Format for Atlas {
    fn name(&self) -> &'static str {
        "atlas"
    }

    /// `atlas.sum` is Atlas's own file. Detection already requires it.
    fn content_evidence(&self, dir: &DirListing) -> Option<String> {
        self.detect(dir).map(|d| d.reason)
    }

    fn detect(&self, dir: &DirListing) -> Option<Detection> {
        if !dir.files.iter().any(|f| f == SUM_FILE) || layout(dir) == Layout::GolangMigrate {
            return None;
        }
        let n = dir.files.iter().filter(|f| f.ends_with(".sql")).count();
        Detection::if_found(n, 40, || format!("`{SUM_FILE}` beside {n} `.sql` files"))
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        // (Not golang-migrate's `new_set`: that format calls `verify_sum` here.)
        let rules = FormatRules {
            has_downs: false,
            down_required: false,
            wraps_in_transaction: true,
            // txmode `file`: the file's statements one by one in one transaction.
            apply: Apply::Statements { transaction: true },
            ..FormatRules::default()
        };
        let mut set = MigrationSet::new(dir.display.clone(), dir.path.clone(), self.name(), rules);
        for name in dir.files.iter().filter(|f| f.ends_with(".sql")) {
            let stem = name.trim_end_matches(".sql");
            let (v, title) = stem.split_once('_').unwrap_or((stem, ""));
            let version = Version::digit_string(v)
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or_else(|| Version::named(v));
            let file = set.add_file(dir.read_file(name));
            let text = set.file(file).text().to_string();
            let mut up = split(file, &text);
            up.no_transaction = directive(&text, "txmode").is_some_and(|m| m == "none");
            set.migrations.push(Migration {
                version,
                name: title.to_string(),
                up: Some(up),
                down: None,
                down_name: None,
                needs_down: false,
                dialect: None,
                parents: None,
            });
        }
        verify_sum(&mut set, dir, Layout::Native);
        set.sort();
        set
    }
}

/// The value of the file-level directive `-- atlas:<name> <value>` among the comment lines
/// that open the file (`LocalFile.Directive`).
fn directive<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let needle = format!("atlas:{name}");
    text.lines()
        .take_while(|l| l.starts_with("--") || l.starts_with('#'))
        .find_map(|l| {
            let at = l.find(&needle)?;
            Some(l[at + needle.len()..].trim())
        })
}

/// The file's script: the whole file, or with `-- atlas:delimiter X` one span per piece.
fn split(file: FileId, text: &str) -> Script {
    let Some(delim) = directive(text, "delimiter").filter(|d| !d.is_empty()) else {
        return Script::whole(file, text);
    };
    let delim = delim.replace("\\n", "\n").replace("\\t", "\t");
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    // The directive block ends at the first blank line.
    let body = text.find("\n\n").map_or(0, |i| i + 2);
    let mut at = body;
    while let Some(i) = text[at..].find(&delim) {
        spans.push(start..at + i);
        start = at + i + delim.len();
        at = start;
    }
    spans.push(start..text.len());
    spans.retain(|s| !text[s.clone()].trim().is_empty());
    let mut spans = spans.into_iter();
    let Some(first) = spans.next() else {
        return Script::whole(file, text);
    };
    let mut script = Script::part(file, first);
    script.more_spans = spans.collect();
    script
}

/// The entries of an `atlas.sum`: (name, recorded hash, byte span of the line).
fn entries(sum: &str) -> Vec<(String, String, Range<usize>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in sum.split_inclusive('\n').enumerate() {
        let span = offset..offset + line.trim_end_matches(['\n', '\r']).len();
        offset += line.len();
        if i == 0 {
            continue;
        }
        let line = line.trim_end_matches(['\n', '\r']);
        if let Some((name, hash)) = line.split_once("h1:") {
            out.push((name.trim().to_string(), hash.to_string(), span));
        }
    }
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `HashFile.Sum`: SHA-256 over every name and line hash, base64.
fn sum_of<'a>(lines: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h = Sha256::new();
    for (n, hash) in lines {
        h.update(n.as_bytes());
        h.update(hash.as_bytes());
    }
    b64(&h.finalize())
}

/// Checks `dir`'s `atlas.sum` against its files as `atlas migrate validate` does, adding the
/// sum file to `set` and a [`SetIssue::Runner`] for each mismatch. Does nothing without one.
pub fn verify_sum(set: &mut MigrationSet, dir: &DirListing, layout: Layout) {
    if !dir.files.iter().any(|f| f == SUM_FILE) {
        return;
    }
    let code = crate::checks::atlas_sum_mismatch::RULE.code;
    let sum_id = set.add_file(dir.read_file(SUM_FILE));
    let Ok(sum_text) = set.file(sum_id).text.clone() else {
        return;
    };
    let issue = |set: &mut MigrationSet,
                 file: FileId,
                 span: Range<usize>,
                 message: String,
                 related: Vec<(FileId, Range<usize>, String)>| {
        set.issues.push(SetIssue::Runner {
            code,
            file,
            span,
            message,
            related,
        });
    };
    let recorded = entries(&sum_text);
    let first_line = sum_text.lines().next().unwrap_or("");
    let first_span = 0..first_line.len();
    let Some(total) = first_line.strip_prefix("h1:") else {
        issue(
            set,
            sum_id,
            first_span,
            format!("`{SUM_FILE}` does not start with `h1:<sum>`: Atlas reports \"checksum file format invalid\""),
            Vec::new(),
        );
        return;
    };
    if sum_text.lines().skip(1).any(|l| !l.contains("h1:")) {
        issue(
            set,
            sum_id,
            first_span.clone(),
            format!("a line of `{SUM_FILE}` has no `h1:` hash: Atlas reports \"checksum file format invalid\""),
            Vec::new(),
        );
        return;
    }
    if total != sum_of(recorded.iter().map(|(n, h, _)| (n.as_str(), h.as_str()))) {
        issue(
            set,
            sum_id,
            first_span,
            format!(
                "the first line of `{SUM_FILE}` does not match the lines below it: the sum file was edited by hand"
            ),
            Vec::new(),
        );
    }
    // The files Atlas hashes, in its order, with their chained hashes.
    let hashed: Vec<&String> = dir
        .files
        .iter()
        .filter(|f| match layout {
            Layout::Native => f.ends_with(".sql"),
            Layout::GolangMigrate => f.ends_with(".up.sql"),
        })
        .collect();
    let mut chain = Sha256::new();
    let mut computed: Vec<(String, String)> = Vec::new();
    for name in &hashed {
        chain.update(name.as_bytes());
        let bytes = dir.read_bytes(name).unwrap_or_default();
        let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let first = String::from_utf8_lossy(first);
        if first.contains("atlas:sum") && first.split_once("atlas:sum").is_some_and(|(_, r)| r.trim() == "ignore") {
            continue;
        }
        chain.update(&bytes);
        computed.push(((*name).clone(), b64(&chain.clone().finalize())));
    }
    if sum_of(computed.iter().map(|(n, h)| (n.as_str(), h.as_str()))) == total {
        return;
    }
    let file_of = |set: &MigrationSet, name: &str| set.files.iter().position(|f| f.file_name() == name && !f.derived);
    let on_disk: BTreeSet<&str> = computed.iter().map(|(n, _)| n.as_str()).collect();
    let listed: BTreeSet<&str> = recorded.iter().map(|(n, _, _)| n.as_str()).collect();
    // The first edited file: where the lists still agree on the names, the first hash that differs.
    for ((name, hash), (rname, rhash, rspan)) in computed.iter().zip(&recorded) {
        if name != rname {
            break;
        }
        if hash != rhash {
            let at = file_of(set, name).unwrap_or(sum_id);
            issue(
                set,
                at,
                0..0,
                format!(
                    "`{name}` differs from the version hashed in `{SUM_FILE}`: it was edited after `atlas migrate hash`"
                ),
                vec![(sum_id, rspan.clone(), "the hash recorded for it".to_string())],
            );
            break;
        }
    }
    for (name, _) in computed.iter().filter(|(n, _)| !listed.contains(n.as_str())) {
        let at = file_of(set, name).unwrap_or(sum_id);
        issue(
            set,
            at,
            0..0,
            format!("`{name}` is not in `{SUM_FILE}`: it was added without `atlas migrate hash`"),
            Vec::new(),
        );
    }
    for (name, _, span) in recorded.iter().filter(|(n, _, _)| !on_disk.contains(n.as_str())) {
        issue(
            set,
            sum_id,
            span.clone(),
            format!("`{SUM_FILE}` lists `{name}`, which is not in the directory: it was removed or renamed"),
            Vec::new(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        assert_eq!(
            directive("-- atlas:txmode none\n\nCREATE INDEX …", "txmode"),
            Some("none")
        );
        assert_eq!(directive("CREATE TABLE t();\n-- atlas:txmode none", "txmode"), None);
        let s = split(
            0,
            "-- atlas:delimiter -- end\n\nCREATE TABLE a()\n-- end\nCREATE TABLE b()\n",
        );
        assert_eq!(s.more_spans.len(), 1);
    }

    #[test]
    fn sum_of_entries() {
        // A sum file written by Atlas for one file `1_a.sql` containing `x`.
        let mut h = Sha256::new();
        h.update(b"1_a.sql");
        h.update(b"x");
        let line = b64(&h.finalize());
        let total = sum_of(std::iter::once(("1_a.sql", line.as_str())));
        let file = format!("h1:{total}\n1_a.sql h1:{line}\n");
        let e = entries(&file);
        assert_eq!(e[0].0, "1_a.sql");
        assert_eq!(sum_of(e.iter().map(|(n, h, _)| (n.as_str(), h.as_str()))), total);
    }
}
