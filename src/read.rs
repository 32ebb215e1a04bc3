//! The one way migproof reads a file of a repository: regular files only, never more than the
//! size limit, and never the content of a file reached through a symbolic link that leaves the
//! repository.
//!
//! Every reader of migration files, metadata, registries, lock files and the configuration goes
//! through [`read`], so none of them can hang on a FIFO, read `/dev/zero` without end, or
//! print a secret a pull request linked in (`002_x.up.sql -> /proc/self/environ`).
//!
//! The *repository* of a migration directory is its nearest ancestor holding `.git`, else the
//! directory given on the command line ([`repository_root`]). A file whose real path is outside
//! it is refused with [`Refusal::OutsideRepository`]: not opened, so nothing of it can reach a
//! report in any format.

use std::fmt;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Why a file was not read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not a regular file (a FIFO, a device, a socket, a directory): a runner reading it would
    /// block or read without end, and so would migproof.
    NotRegular { kind: &'static str },
    /// A symbolic link (or a file under a linked directory) whose real path leaves the
    /// repository. `kind` is what it points to, `target` the link as written.
    OutsideRepository { kind: &'static str, target: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotRegular { kind } => write!(f, "is {kind}, not a regular file, so it was not read"),
            Refusal::OutsideRepository { kind, target } => write!(
                f,
                "is a symbolic link to {kind} outside the repository (`{target}`): it was not read, so it is \
                 not checked and nothing of its content is shown"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// The refusal carried by an error [`read`] returned, if it is one.
pub fn refusal(e: &std::io::Error) -> Option<&Refusal> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Refusal>())
}

/// Where a directory's files may come from: its repository, and whether the directory itself
/// (its real path) is inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The repository's real path.
    pub root: PathBuf,
    /// The directory's real path is inside `root`: its own (non-link) files may be read
    /// without resolving each one.
    dir_inside: bool,
}

impl Scope {
    /// The scope of directory `dir` within the repository at `root` (either may be relative
    /// or go through links; both are resolved).
    pub fn new(dir: &Path, root: &Path) -> Scope {
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let dir_inside = std::fs::canonicalize(dir).is_ok_and(|d| d.starts_with(&root));
        Scope { root, dir_inside }
    }

    /// The scope of `dir` in its own repository ([`repository_root`]).
    pub fn of(dir: &Path) -> Scope {
        Scope::new(dir, &repository_root(dir))
    }
}

/// The repository a directory given on the command line belongs to: its nearest ancestor
/// (itself included, after resolving links) holding `.git`, else the directory itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    real.ancestors()
        .find(|a| a.join(".git").exists())
        .map_or_else(|| real.clone(), Path::to_path_buf)
}

/// What a file type is, in words (`a FIFO`).
fn kind_of(t: &std::fs::FileType) -> &'static str {
    if t.is_file() {
        "a regular file"
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

fn refused(r: Refusal) -> std::io::Error {
    std::io::Error::other(r)
}

/// Reads `path`, at most `limit` bytes. Refuses (an error carrying a [`Refusal`]) what is not
/// a regular file and, with a `scope`, what lies outside its repository; a file over the limit
/// is an error of kind `FileTooLarge` whose message gives the sizes. The limit holds for what
/// is read, whatever the file's size claims to be (`/proc` files say 0).
pub fn read(path: &Path, scope: Option<&Scope>, limit: u64) -> std::io::Result<Vec<u8>> {
    let link = std::fs::symlink_metadata(path)?;
    if let Some(scope) = scope
        && (link.file_type().is_symlink() || !scope.dir_inside)
    {
        let real = std::fs::canonicalize(path)?;
        if !real.starts_with(&scope.root) {
            let kind = std::fs::metadata(&real).map_or("a missing file", |m| kind_of(&m.file_type()));
            let target = if link.file_type().is_symlink() {
                std::fs::read_link(path).map_or_else(|_| real.display().to_string(), |t| t.display().to_string())
            } else {
                real.display().to_string()
            };
            return Err(refused(Refusal::OutsideRepository { kind, target }));
        }
    }
    // What the path leads to, before opening it: opening a device can have effects of its own.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refused(Refusal::NotRegular {
            kind: kind_of(&meta.file_type()),
        }));
    }
    // Non-blocking, so that a FIFO swapped in since cannot block the open; checked again on
    // the descriptor, which is what is read.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(refused(Refusal::NotRegular {
            kind: kind_of(&meta.file_type()),
        }));
    }
    let too_large = |size: String| {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("is {size}, over the {limit}-byte limit for checking (raise it with --max-file-size)"),
        )
    };
    if meta.len() > limit {
        return Err(too_large(format!("{} bytes", meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(format!("more than {limit} bytes")));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_and_devices_and_bounds_what_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("001_a.up.sql");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = read(&fifo, None, 100).unwrap_err();
        assert_eq!(refusal(&e), Some(&Refusal::NotRegular { kind: "a FIFO" }));
        let e = read(Path::new("/dev/zero"), None, 100).unwrap_err();
        assert_eq!(
            refusal(&e),
            Some(&Refusal::NotRegular {
                kind: "a character device"
            })
        );
        std::fs::write(dir.path().join("x"), "0123456789").unwrap();
        assert_eq!(read(&dir.path().join("x"), None, 10).unwrap(), b"0123456789");
        let e = read(&dir.path().join("x"), None, 9).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn a_link_out_of_the_repository_is_refused_one_inside_is_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "TOKEN").unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir(repo.path().join(".git")).unwrap();
        let db = repo.path().join("db");
        std::fs::create_dir(&db).unwrap();
        std::fs::write(repo.path().join("shared.sql"), "select 1;").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), db.join("a.sql")).unwrap();
        std::os::unix::fs::symlink("../shared.sql", db.join("b.sql")).unwrap();
        let scope = Scope::of(&db);
        assert_eq!(scope.root, std::fs::canonicalize(repo.path()).unwrap());
        let e = read(&db.join("a.sql"), Some(&scope), 100).unwrap_err();
        assert!(
            matches!(
                refusal(&e),
                Some(Refusal::OutsideRepository {
                    kind: "a regular file",
                    ..
                })
            ),
            "{e}"
        );
        assert!(!e.to_string().contains("TOKEN"));
        assert_eq!(read(&db.join("b.sql"), Some(&scope), 100).unwrap(), b"select 1;");
        // A linked directory that leaves the repository: its plain files are outside too.
        std::os::unix::fs::symlink(outside.path(), db.join("linked")).unwrap();
        let scope = Scope::new(&db.join("linked"), repo.path());
        let e = read(&db.join("linked/secret"), Some(&scope), 100).unwrap_err();
        assert!(matches!(refusal(&e), Some(Refusal::OutsideRepository { .. })), "{e}");
    }
}
