//! A directory's entries, read once and shared by every detector and loader: names, the
//! marks of its `.sql` files (computed through the formats, [`super::sniff_file`]), and the
//! bytes already read. Knows nothing about any format.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::Sniff;
use crate::error::Error;

/// A directory's entries, read once and shared by all detectors.
#[derive(Debug, Clone)]
pub struct DirListing {
    pub path: PathBuf,
    /// The directory as the user would type it (`.` for the current directory).
    pub display: String,
    /// Names of the regular files in it, sorted.
    pub files: Vec<String>,
    /// Names of its subdirectories, sorted.
    pub dirs: Vec<String>,
    /// The marks of its `.sql` files, read on first use.
    sniffed: OnceLock<Vec<Sniff>>,
    /// The bytes the sniff read, kept until a loader asks for them (each file is read once).
    prefetched: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    /// File contents held in memory instead of on disk (the directory as it was at a git
    /// base); `None` for a real directory.
    memory: Option<BTreeMap<String, Vec<u8>>>,
}

impl DirListing {
    /// Lists `path` (not recursively).
    pub fn read(path: &Path, display: &str) -> Result<DirListing, Error> {
        let unreadable = |e: std::io::Error| Error::UnreadableDir {
            path: display.to_string(),
            reason: e.kind().to_string(),
        };
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(path).map_err(unreadable)? {
            let entry = entry.map_err(unreadable)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // The entry's own type needs no extra system call; only a symlink is followed for
            // the kind of what it points to (a dangling link counts as a file: it is unreadable).
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            if is_dir {
                dirs.push(name);
            } else {
                files.push(name);
            }
        }
        files.sort();
        dirs.sort();
        Ok(DirListing {
            memory: None,
            path: path.to_path_buf(),
            display: display.to_string(),
            files,
            dirs,
            sniffed: OnceLock::new(),
            prefetched: Arc::default(),
        })
    }

    /// The marks of every `.sql` file of this directory (read once, on first use; a file that
    /// cannot be read has none).
    pub fn sniff(&self) -> &[Sniff] {
        self.sniffed.get_or_init(|| {
            // A file that cannot be read has no marks and is not kept: its loader reads it
            // again and reports why it is unreadable.
            let read: Vec<(Sniff, Option<Vec<u8>>)> = self
                .files
                .par_iter()
                .filter(|f| f.to_ascii_lowercase().ends_with(".sql"))
                .map(|f| match self.read_bytes(f) {
                    Ok(bytes) => (super::sniff_file(f, &String::from_utf8_lossy(&bytes)), Some(bytes)),
                    Err(_) => (super::sniff_file(f, ""), None),
                })
                .collect();
            let mut prefetched = self.prefetched.lock().unwrap_or_else(|e| e.into_inner());
            read.into_iter()
                .map(|(sniff, bytes)| {
                    if let Some(bytes) = bytes {
                        prefetched.insert(sniff.name.clone(), bytes);
                    }
                    sniff
                })
                .collect()
        })
    }

    /// The display path of an entry of this directory.
    pub fn child_display(&self, name: &str) -> String {
        join_display(&self.display, name)
    }

    /// A listing of files held in memory (name → content), shown as directory `display` at
    /// `path`. Formats load it like a real directory, without touching the disk.
    /// Names with a `/` are files of a subdirectory (`2017_x/up.sql`).
    pub fn in_memory(path: &Path, display: &str, files: BTreeMap<String, Vec<u8>>) -> DirListing {
        let mut dirs: Vec<String> = files
            .keys()
            .filter_map(|k| k.split_once('/'))
            .map(|(d, _)| d.to_string())
            .collect();
        dirs.dedup();
        DirListing {
            path: path.to_path_buf(),
            display: display.to_string(),
            files: files.keys().filter(|k| !k.contains('/')).cloned().collect(),
            dirs,
            sniffed: OnceLock::new(),
            prefetched: Arc::default(),
            memory: Some(files),
        }
    }

    /// Whether `rel` (a name, or `subdirectory/name`) is a file of this directory.
    pub fn has_file(&self, rel: &str) -> bool {
        match &self.memory {
            Some(files) => files.contains_key(rel),
            None => self.path.join(rel).is_file(),
        }
    }

    /// The listing of subdirectory `name` (from memory when this listing is).
    pub fn subdir(&self, name: &str) -> Result<DirListing, Error> {
        let display = self.child_display(name);
        match &self.memory {
            Some(files) => {
                let prefix = format!("{name}/");
                let inner = files
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_string(), v.clone())))
                    .collect();
                Ok(DirListing::in_memory(&self.path.join(name), &display, inner))
            }
            None => DirListing::read(&self.path.join(name), &display),
        }
    }

    /// The bytes of an entry of this directory.
    pub fn read_bytes(&self, name: &str) -> std::io::Result<Vec<u8>> {
        let prefetched = self.prefetched.lock().unwrap_or_else(|e| e.into_inner()).remove(name);
        if let Some(bytes) = prefetched {
            return Ok(bytes);
        }
        match &self.memory {
            Some(files) => files
                .get(name)
                .cloned()
                .ok_or_else(|| std::io::ErrorKind::NotFound.into()),
            None => crate::model::read_limited(&self.path.join(name)),
        }
    }

    /// Reads an entry of this directory.
    pub fn read_file(&self, name: &str) -> crate::model::SourceFile {
        let path = self.path.join(name);
        let display = self.child_display(name);
        crate::model::SourceFile::from_bytes(path, display, self.read_bytes(name))
    }
}

/// Joins a display path and a name the way a user would write it (`./x` is `x`).
pub fn join_display(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}
