//! The little of git that `--base` needs, through the `git` command line.
//!
//! Only the trees of the base commit and of the merge base with it are read (`ls-tree` and
//! `cat-file`), plus `merge-base`, which needs the history back to the fork point: a CI clone
//! needs that much history (`fetch-depth: 0`); without it migproof warns and compares with the
//! base commit itself.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::Error;

/// A base commit: the ref as the user typed it and the commit it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// `origin/main`, as typed (used in messages).
    pub name: String,
    /// The full commit id.
    pub commit: String,
}

/// Runs `git -C dir args…` and returns its stdout, or its stderr as the error.
fn git(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Never ask for credentials or open an editor: migproof runs unattended.
        .env("GIT_TERMINAL_PROMPT", "0");
    let mut child = cmd.spawn().map_err(|e| format!("cannot run `git`: {e}"))?;
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // Feed stdin from another thread so a large stdout cannot deadlock us.
        let input = input.to_vec();
        let writer = std::thread::spawn(move || pipe.write_all(&input));
        let output = child.wait_with_output().map_err(|e| e.to_string())?;
        let _ = writer.join();
        return finish(output);
    }
    finish(child.wait_with_output().map_err(|e| e.to_string())?)
}

fn finish(output: std::process::Output) -> Result<Vec<u8>, String> {
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let err = String::from_utf8_lossy(&output.stderr).trim().to_string();
        Err(if err.is_empty() {
            format!("git exited with {}", output.status)
        } else {
            err
        })
    }
}

/// Resolves `name` to a commit, from the repository that contains `dir`.
pub fn resolve(dir: &Path, display: &str, name: &str) -> Result<Base, Error> {
    git(dir, &["rev-parse", "--is-inside-work-tree"], None).map_err(|reason| Error::NotARepository {
        path: display.to_string(),
        reason: first_line(&reason),
    })?;
    let spec = format!("{name}^{{commit}}");
    let out = git(
        dir,
        &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec],
        None,
    )
    .map_err(|_| Error::UnknownBase(name.to_string()))?;
    let commit = String::from_utf8_lossy(&out).trim().to_string();
    if commit.is_empty() {
        return Err(Error::UnknownBase(name.to_string()));
    }
    Ok(Base {
        name: name.to_string(),
        commit,
    })
}

/// The merge base of `HEAD` and `base` (`git merge-base`): the commit the branch left `base`
/// at, whose migrations databases on `base` have applied. Named like `base` in messages.
/// Fails in a shallow clone without the common history.
pub fn merge_base(dir: &Path, base: &Base) -> Result<Base, String> {
    let out = git(dir, &["merge-base", "HEAD", &base.commit], None).map_err(|e| first_line(&e))?;
    let commit = String::from_utf8_lossy(&out).trim().to_string();
    if commit.is_empty() {
        return Err("no common ancestor".to_string());
    }
    Ok(Base {
        name: base.name.clone(),
        commit,
    })
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim_start_matches("fatal: ").to_string()
}

/// Files by name with their content.
pub type Files = Vec<(String, Vec<u8>)>;

/// The files directly inside directory `dir` (of the work tree) as they are at `base`: name and
/// content, sorted by name. `None` when the directory does not exist at `base`.
pub fn files_at(dir: &Path, display: &str, base: &Base) -> Result<Option<Files>, Error> {
    let fail = |reason: String| Error::Git {
        path: display.to_string(),
        reason: first_line(&reason),
    };
    let prefix = git(dir, &["rev-parse", "--show-prefix"], None).map_err(fail)?;
    let prefix = String::from_utf8_lossy(&prefix).trim_end_matches('\n').to_string();
    let top = git(dir, &["rev-parse", "--show-toplevel"], None).map_err(fail)?;
    let top = String::from_utf8_lossy(&top).trim_end_matches('\n').to_string();
    let top = Path::new(&top);
    // Recursive, so that formats keeping each migration in a folder (diesel, sourcegraph,
    // Prisma) are compared too; only files at most one folder down are kept.
    let mut args = vec!["ls-tree", "-r", "-z", "--full-name", base.commit.as_str()];
    if !prefix.is_empty() {
        args.push("--");
        args.push(&prefix);
    }
    let listing = git(top, &args, None).map_err(fail)?;
    let mut blobs: Vec<(String, String)> = Vec::new();
    let mut saw_dir = prefix.is_empty();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        // `<mode> SP <type> SP <object> TAB <path>`
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split(' ').collect();
        let Some(name) = path.strip_prefix(prefix.as_str()) else {
            continue;
        };
        saw_dir = true;
        if fields.len() == 3 && fields[1] == "blob" && name.matches('/').count() <= 1 && !name.is_empty() {
            blobs.push((name.to_string(), fields[2].to_string()));
        }
    }
    if !saw_dir {
        return Ok(None);
    }
    let contents = read_blobs(top, blobs.iter().map(|(_, id)| id.as_str())).map_err(fail)?;
    let mut files: Files = blobs.into_iter().map(|(n, _)| n).zip(contents).collect();
    files.sort();
    Ok(Some(files))
}

/// Reads blobs with one `git cat-file --batch`.
fn read_blobs<'a>(top: &Path, ids: impl Iterator<Item = &'a str>) -> Result<Vec<Vec<u8>>, String> {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut input = ids.join("\n");
    input.push('\n');
    let out = git(top, &["cat-file", "--batch"], Some(input.as_bytes()))?;
    let mut contents = Vec::with_capacity(ids.len());
    let mut rest: &[u8] = &out;
    for id in ids {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| format!("truncated `git cat-file` output at {id}"))?;
        let header = String::from_utf8_lossy(&rest[..nl]).to_string();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|_| header.contains(" blob "))
            .ok_or_else(|| format!("`git cat-file` could not read {id}: {header}"))?;
        let body = rest
            .get(nl + 1..nl + 1 + size)
            .ok_or_else(|| format!("truncated `git cat-file` output at {id}"))?;
        contents.push(body.to_vec());
        rest = rest.get(nl + 2 + size..).unwrap_or(&[]);
    }
    Ok(contents)
}
