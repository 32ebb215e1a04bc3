//! The schema cache: copies of the throwaway cluster after a prefix of a directory's
//! migrations, so that a later run starts from the longest cached prefix instead of replaying
//! it (`$XDG_CACHE_HOME/migproof/prefix/`, beside the cluster [`template`]s).
//!
//! An entry is keyed by a SHA-256 of what decides the state: the server version and binary
//! directory, the server settings ([`server::SETTINGS`]), the format's apply rules, the
//! `--setup` file, and the bytes of migrations 1..i in the runner's order (ups and downs). Its
//! kind says how those migrations were run: `roundtripped` (each up → down → up cleanly, in the
//! run that made it) or `applied` (ups only, the prefix before the migrations changed since
//! `--base`). A run without `--base` only starts from a `roundtripped` entry.
//!
//! Like the template, an entry is written by migproof's user into a directory private to it
//! (0700, refused when owned by another user or writable by group or others), with a manifest
//! of every file's SHA-256 beside it; the server never sees the entry itself, only a copy
//! hashed while it is made and rejected (then removed) when a file differs. A cluster with a
//! symbolic link (a tablespace outside it) is not cached. The cache is bounded: after a store,
//! the least recently used entries go until the total fits the cap.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::template::{self, Manifest, private_dir};

/// The default cap on the cache's size (1 GiB).
pub const DEFAULT_CAP: u64 = 1 << 30;

/// How the migrations of an entry's prefix were run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Each up → down → up cleanly in the run that made the entry.
    Roundtripped,
    /// Ups only (the prefix before what changed since `--base`).
    Applied,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Roundtripped => "roundtripped",
            Kind::Applied => "applied",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Roundtripped => "r",
            Kind::Applied => "a",
        }
    }
}

/// What an entry holds (`<key>-<kind>.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub key: String,
    pub kind: Kind,
    /// The directory it was made from (as displayed).
    pub set: String,
    /// How many migrations (steps in the runner's order) it holds.
    pub steps: usize,
    /// The version of the last of them.
    pub last_version: String,
    /// `15.10`
    pub server: String,
    /// The scratch database that holds the schema.
    pub database: String,
    /// Bytes of its files.
    pub size: u64,
    /// Seconds since the epoch.
    pub created: u64,
    pub last_used: u64,
}

/// An entry found in the cache.
pub struct Entry {
    pub meta: Meta,
    /// Its data directory.
    pub data: PathBuf,
    pub manifest: Manifest,
    root: PathBuf,
}

impl Entry {
    /// Removes the entry (rejected, or evicted).
    pub fn discard(&self) {
        remove(&self.root, &self.meta.key, self.meta.kind);
    }

    /// Records a use now (for least-recently-used eviction).
    pub fn touch(&mut self) {
        self.meta.last_used = now();
        let _ = write_meta(&self.root, &self.meta);
    }
}

/// The prefix cache: `dir` and its size cap.
pub struct Cache {
    pub dir: PathBuf,
    pub cap: u64,
}

/// `$XDG_CACHE_HOME/migproof/prefix` (else `~/.cache/…`).
pub fn prefix_dir() -> Option<PathBuf> {
    template::cache_dir().map(|d| d.join("prefix"))
}

impl Cache {
    /// The cache in its place, created private if missing; `Err` when it (or the migproof
    /// cache directory) is not private to this user.
    pub fn open(cap: u64) -> Result<Cache, String> {
        let dir = prefix_dir().ok_or("cannot find a cache directory: set XDG_CACHE_HOME or HOME")?;
        if let Some(parent) = dir.parent() {
            private_dir(parent)?;
        }
        private_dir(&dir)?;
        Ok(Cache { dir, cap })
    }

    /// The entry of `key` of kind `kind`, if it is there, complete and has a manifest.
    pub fn get(&self, key: &str, kind: Kind) -> Option<Entry> {
        let name = entry_name(key, kind);
        let meta: Meta =
            serde_json::from_str(&std::fs::read_to_string(self.dir.join(format!("{name}.json"))).ok()?).ok()?;
        let data = self.dir.join(&name);
        let manifest = template::read_manifest(&self.dir.join(format!("{name}.sha256")))?;
        (meta.key == key && meta.kind == kind && data.join("PG_VERSION").is_file()).then(|| Entry {
            meta,
            data,
            manifest,
            root: self.dir.clone(),
        })
    }

    /// Copies the stopped cluster's data directory `data` into the cache as `meta`'s entry
    /// (replacing one of the same key and kind), then evicts the least recently used entries
    /// over the cap. `Err` says why nothing was stored.
    pub fn store(&self, data: &Path, mut meta: Meta) -> Result<(), String> {
        let name = entry_name(&meta.key, meta.kind);
        let staging = self.dir.join(format!("{name}.tmp-{}", fastrand::u64(..)));
        let guard = super::cleanup::register(super::cleanup::Task::Dir(staging.clone()));
        let manifest = template::copy_tree(data, &staging, None, None)
            .map_err(|e| format!("cannot copy the cluster into `{}`: {e}", staging.display()))?;
        if let Some(link) = manifest.iter().find(|(_, h)| h.starts_with("->")) {
            return Err(format!(
                "the cluster has a symbolic link `{}` (a tablespace outside it): not cached",
                link.0
            ));
        }
        meta.size = tree_size(&staging);
        if meta.size > self.cap {
            return Err(format!(
                "the cluster ({} MiB) is larger than the cache's cap ({} MiB)",
                meta.size >> 20,
                self.cap >> 20
            ));
        }
        meta.created = now();
        meta.last_used = meta.created;
        remove(&self.dir, &meta.key, meta.kind);
        let text: String = manifest.iter().map(|(p, h)| format!("{h} {p}\n")).collect();
        let manifest_path = self.dir.join(format!("{name}.sha256"));
        super::sandbox::write_new(&manifest_path, &text, 0o600)
            .map_err(|e| format!("cannot write `{}`: {e}", manifest_path.display()))?;
        std::fs::rename(&staging, self.dir.join(&name))
            .map_err(|e| format!("cannot move the cache entry in place: {e}"))?;
        guard.disarm();
        // The metadata last: an entry without it is not found (and is swept by the eviction).
        write_meta(&self.dir, &meta)?;
        self.evict(Some(&name));
        Ok(())
    }

    /// Every complete entry, most recently used first.
    pub fn list(&self) -> Vec<Meta> {
        let mut all: Vec<Meta> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
                let meta: Meta = serde_json::from_str(&std::fs::read_to_string(e.path()).ok()?).ok()?;
                (entry_name(&meta.key, meta.kind) == name).then_some(meta)
            })
            .collect();
        all.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.key.cmp(&b.key)));
        all
    }

    /// Removes the least recently used entries until the total fits the cap (`keep` last of
    /// all), and leftovers of interrupted stores.
    pub fn evict(&self, keep: Option<&str>) -> Vec<Meta> {
        let mut entries = self.list();
        let mut total: u64 = entries.iter().map(|m| m.size).sum();
        let mut evicted = Vec::new();
        // Oldest first, the one just stored after every other.
        entries.sort_by_key(|m| (Some(entry_name(&m.key, m.kind).as_str()) == keep, m.last_used));
        for meta in entries {
            if total <= self.cap {
                break;
            }
            remove(&self.dir, &meta.key, meta.kind);
            total = total.saturating_sub(meta.size);
            evicted.push(meta);
        }
        let complete: Vec<String> = self.list().iter().map(|m| entry_name(&m.key, m.kind)).collect();
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name.split(['.']).next().unwrap_or_default().to_string();
            // A store in progress (another migproof) holds a `.tmp-` name; leave those.
            if !complete.contains(&stem) && !name.contains(".tmp-") {
                let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                    std::fs::remove_dir_all(e.path())
                } else {
                    std::fs::remove_file(e.path())
                };
            }
        }
        evicted
    }

    /// Removes every entry; how many there were.
    pub fn clear(&self) -> usize {
        let n = self.list().len();
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let _ = if e.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(e.path())
            } else {
                std::fs::remove_file(e.path())
            };
        }
        n
    }
}

fn entry_name(key: &str, kind: Kind) -> String {
    format!("{key}-{}", kind.suffix())
}

fn remove(root: &Path, key: &str, kind: Kind) {
    let name = entry_name(key, kind);
    let _ = std::fs::remove_file(root.join(format!("{name}.json")));
    let _ = std::fs::remove_file(root.join(format!("{name}.sha256")));
    let _ = std::fs::remove_dir_all(root.join(&name));
}

fn write_meta(root: &Path, meta: &Meta) -> Result<(), String> {
    let name = entry_name(&meta.key, meta.kind);
    let path = root.join(format!("{name}.json"));
    let tmp = root.join(format!("{name}.json.tmp-{}", fastrand::u64(..)));
    let text = serde_json::to_string_pretty(meta).map_err(|e| e.to_string())?;
    super::sandbox::write_new(&tmp, &text, 0o600).map_err(|e| format!("cannot write `{}`: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn tree_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The keys of a directory's prefixes: `[k]` for the state after its first `k + 1` steps,
/// `None` from the first step whose files cannot be read. `header` holds what is common to
/// every prefix (server, settings, apply rules, setup).
pub fn prefix_keys(header: &[u8], steps: &[Vec<u8>]) -> Vec<String> {
    let mut hasher = Sha256::new();
    hasher.update((header.len() as u64).to_le_bytes());
    hasher.update(header);
    steps
        .iter()
        .map(|step| {
            hasher.update((step.len() as u64).to_le_bytes());
            hasher.update(step);
            let h = hasher.clone().finalize();
            h.iter().take(16).map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

/// `2026-12-01 03:44 UTC` for seconds since the epoch.
pub fn utc(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_byte_before_them() {
        let a = prefix_keys(b"pg15", &[b"one".to_vec(), b"two".to_vec()]);
        let b = prefix_keys(b"pg15", &[b"one".to_vec(), b"twO".to_vec()]);
        let c = prefix_keys(b"pg16", &[b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(a[0], b[0]);
        assert_ne!(a[1], b[1]);
        assert_ne!(a[0], c[0]);
        // Boundaries count: "on"+"etwo" is not "one"+"two".
        let d = prefix_keys(b"pg15", &[b"on".to_vec(), b"etwo".to_vec()]);
        assert_ne!(a[1], d[1]);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_796_096_640), "2026-12-01 03:44 UTC");
    }
}
