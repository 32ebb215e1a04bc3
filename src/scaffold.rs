//! `migproof new` and `migproof renumber`: the only commands that write into a migration
//! directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::discover::{self, DirListing, Format, Template};
use crate::error::Error;
use crate::model::MigrationSet;
use crate::{base, config, git, versions};

/// The migration directory to work on: `--dir`, else the only configured or found one.
fn choose_dir(dir: Option<&Path>, config: Option<&config::Config>) -> Result<PathBuf, Error> {
    if let Some(dir) = dir {
        return Ok(dir.to_path_buf());
    }
    let candidates: Vec<PathBuf> = match config.filter(|c| !c.directories.is_empty()) {
        Some(c) => c.paths(&[]),
        None => discover::walk(Path::new("."), ".")?
            .into_iter()
            .map(|f| PathBuf::from(f.dir.display))
            .collect(),
    };
    match candidates.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::Usage(
            "no migration directory found under the current directory: name one with --dir".into(),
        )),
        many => Err(Error::Usage(format!(
            "{} migration directories found ({}): choose one with --dir",
            many.len(),
            many.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Loads one migration directory in its detected (or configured) format.
fn load(dir: &Path, config: Option<&config::Config>) -> Result<(&'static dyn Format, MigrationSet), Error> {
    let display = dir.to_string_lossy().trim_end_matches('/').to_string();
    if !dir.is_dir() {
        return Err(Error::NotFound(display));
    }
    let listing = DirListing::read(dir, &display)?;
    let Some((format, detection)) = discover::detect(&listing) else {
        return Err(Error::Usage(format!(
            "`{display}` has no migrations, so its format cannot be told: create the first migration by hand"
        )));
    };
    let mut found = vec![discover::Found {
        dir: listing,
        format,
        detection,
    }];
    if let Some(c) = config {
        c.adjust(&mut found, &mut Vec::new());
    }
    let f = found
        .pop()
        .ok_or_else(|| Error::Usage(format!("`{display}` is ignored by the configuration")))?;
    Ok((f.format, f.format.load(&f.dir)))
}

/// `add users.Email` → `add_users_email`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// `migproof new NAME [--dir DIR]`.
pub fn new(name: &str, dir: Option<&Path>, config: Option<&config::Config>, out: &mut dyn Write) -> Result<(), Error> {
    let title = slug(name);
    if title.is_empty() {
        return Err(Error::Usage(format!(
            "`{name}` has no letters or digits to name a migration with"
        )));
    }
    let dir = choose_dir(dir, config)?;
    let (format, set) = load(&dir, config)?;
    let Some(template) = format.template() else {
        return Err(Error::Usage(format!(
            "`{}` is in format {}, which `migproof new` cannot scaffold yet (it can: {})",
            set.display,
            set.format,
            discover::scaffolded_formats()
        )));
    };
    let Some(latest) = set.migrations.last() else {
        return Err(Error::Usage(format!("`{}` has no migrations", set.display)));
    };
    let latest_name = set.file(latest.primary_file()).file_name().to_string();
    let digits = latest.version.digits().unwrap_or("");
    let version = if versions::is_timestamp(digits) {
        let now = versions::now_timestamp();
        if now.as_str() > digits {
            Some(now)
        } else {
            versions::after(&latest.version, 1)
        }
    } else {
        versions::after(&latest.version, 1)
    }
    .ok_or_else(|| {
        Error::Usage(format!(
            "cannot compute the version after {} in `{}`",
            latest.version, set.display
        ))
    })?;
    // The extension after `.up.` in the latest migration (`sql`), and whether the directory uses
    // sqlx's single-file migrations.
    let ext = latest_name
        .rsplit_once(".up.")
        .map_or("sql".to_string(), |(_, e)| e.to_string());
    let simple = template == Template::PairOrSingle && latest.down.is_none() && !latest.needs_down;
    let files: Vec<(String, &str)> = if let Template::Sections(text) = template {
        // Single-file formats get one file holding both section markers.
        vec![(format!("{version}_{title}.sql"), text)]
    } else if simple {
        vec![(format!("{version}_{title}.sql"), "")]
    } else {
        vec![
            (format!("{version}_{title}.up.{ext}"), ""),
            (format!("{version}_{title}.down.{ext}"), ""),
        ]
    };
    let mut created = Vec::new();
    for (n, content) in &files {
        let path = set.path.join(n);
        let shown = discover::join_display(&set.display, n);
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(content.as_bytes()));
        if let Err(e) = result {
            // Leave nothing half-made behind (a file created but not written included).
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                let _ = std::fs::remove_file(&path);
            }
            for p in &created {
                let _ = std::fs::remove_file(p);
            }
            return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Usage(format!("`{shown}` already exists; not overwriting it"))
            } else {
                Error::Usage(format!("cannot create `{shown}`: {}", e.kind()))
            });
        }
        created.push(path);
        writeln!(out, "{shown}")?;
    }
    Ok(())
}

/// `migproof renumber --base REF [--dir DIR] [--write]`.
pub fn renumber(
    base_ref: &str,
    dir: Option<&Path>,
    write: bool,
    config: Option<&config::Config>,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let dir = choose_dir(dir, config)?;
    let (_, set) = load(&dir, config)?;
    let b = git::resolve(&set.path, &set.display, base_ref)?;
    let at_base = base::load(&set, &b)?;
    let plan = base::renumber_plan(&set, &at_base);
    if plan.is_empty() {
        writeln!(
            out,
            "nothing to renumber: every migration added since `{base_ref}` comes after its highest version"
        )?;
        return Ok(());
    }
    let mut renames: Vec<(PathBuf, PathBuf, String, String)> = Vec::new();
    for (i, version) in &plan {
        let m = &set.migrations[*i];
        for f in m.files() {
            let old = set.file(f).file_name().to_string();
            let Some(rest) = old.strip_prefix(m.version.text.as_str()) else {
                continue;
            };
            let new = format!("{version}{rest}");
            renames.push((set.path.join(&old), set.path.join(&new), old, new));
        }
    }
    for (_, to, _, new) in &renames {
        let taken_by_other = to.exists() && !renames.iter().any(|(from, ..)| from == to);
        if taken_by_other {
            return Err(Error::Usage(format!(
                "`{}` already exists; not renumbering",
                discover::join_display(&set.display, new)
            )));
        }
    }
    for (_, _, old, new) in &renames {
        writeln!(out, "{} -> {new}", discover::join_display(&set.display, old))?;
    }
    if !write {
        writeln!(out, "dry run: nothing renamed; add --write to rename")?;
        return Ok(());
    }
    // Renames run from the highest new version down, so a chain (003→004, 004→005) never
    // overwrites a file that is still to be moved.
    for (from, to, old, _) in renames.iter().rev() {
        std::fs::rename(from, to).map_err(|e| {
            Error::Usage(format!(
                "cannot rename `{}`: {}",
                discover::join_display(&set.display, old),
                e.kind()
            ))
        })?;
    }
    writeln!(out, "renamed {} files", renames.len())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Add users.Email"), "add_users_email");
        assert_eq!(slug("  --x--  "), "x");
        assert_eq!(slug("!!!"), "");
    }
}
