//! Renaming a set of files so that an interruption never leaves them half renamed for good
//! (`renumber --write`).
//!
//! A journal listing every rename is written first (to a temporary name, synced, then renamed
//! into place). Phase 1 moves each file to a hidden temporary name; the journal then records
//! that phase 1 is done; phase 2 moves each temporary to its final name; the journal is
//! removed last. Killed at any point, the next `renumber --write` finds the journal and rolls
//! it forward to the end ([`recover`]): the directory ends up fully renamed, never with a pair
//! split across two versions. (Two phases, because a chain `003→004, 004→005` would otherwise
//! be ambiguous after a crash: is `004` the old one or the new one?)

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The journal's name in the directory being renamed (hidden: no format reads it).
pub const JOURNAL: &str = ".migproof-renumber.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Rename {
    from: String,
    temp: String,
    to: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    /// Every file has reached its temporary name.
    phase_one_done: bool,
    renames: Vec<Rename>,
}

/// Whether `dir` holds the journal of an interrupted renaming.
pub fn pending(dir: &Path) -> bool {
    dir.join(JOURNAL).exists()
}

/// Renames, in `dir`, each `(from, to)` file name, all or (after a crash and [`recover`])
/// all: never some.
pub fn rename_all(dir: &Path, renames: &[(String, String)]) -> std::io::Result<()> {
    let journal = Journal {
        phase_one_done: false,
        renames: renames
            .iter()
            .enumerate()
            .map(|(i, (from, to))| Rename {
                from: from.clone(),
                temp: format!(".migproof-renumber-{i}.tmp"),
                to: to.clone(),
            })
            .collect(),
    };
    write_journal(dir, &journal)?;
    roll_forward(dir, journal)
}

/// Completes the renaming an interrupted [`rename_all`] left in `dir`; returns how many files
/// it covered, or `None` when there was nothing to complete.
pub fn recover(dir: &Path) -> std::io::Result<Option<usize>> {
    // A journal never renamed into place: the renaming had not started.
    let _ = std::fs::remove_file(dir.join(format!("{JOURNAL}.tmp")));
    let path = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let journal: Journal = serde_json::from_str(&text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("`{JOURNAL}`: {e}")))?;
    let n = journal.renames.len();
    roll_forward(dir, journal)?;
    Ok(Some(n))
}

fn roll_forward(dir: &Path, mut journal: Journal) -> std::io::Result<()> {
    if !journal.phase_one_done {
        for r in &journal.renames {
            // Not yet moved: in phase 1 no final name has been written, so `from` is the
            // original file.
            if !dir.join(&r.temp).exists() {
                rename(dir, &r.from, &r.temp)?;
            }
        }
        journal.phase_one_done = true;
        write_journal(dir, &journal)?;
    }
    for r in &journal.renames {
        if dir.join(&r.temp).exists() {
            rename(dir, &r.temp, &r.to)?;
        }
    }
    sync_dir(dir);
    std::fs::remove_file(dir.join(JOURNAL))?;
    sync_dir(dir);
    Ok(())
}

fn rename(dir: &Path, from: &str, to: &str) -> std::io::Result<()> {
    std::fs::rename(dir.join(from), dir.join(to))
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot rename `{from}` to `{to}`: {}", e.kind())))?;
    test_hook::after_rename();
    Ok(())
}

/// Writes the journal atomically: a temporary file, synced, renamed over the journal.
fn write_journal(dir: &Path, journal: &Journal) -> std::io::Result<()> {
    let tmp = dir.join(format!("{JOURNAL}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(serde_json::to_string_pretty(journal)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join(JOURNAL))?;
    sync_dir(dir);
    Ok(())
}

/// Makes the directory's entries durable (best effort: not every file system allows it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Debug builds only: `MIGPROOF_TEST_ABORT_AFTER_RENAMES=N` aborts the process after the
/// N-th rename, so tests can interrupt a renaming between two steps as a kill would.
mod test_hook {
    #[cfg(debug_assertions)]
    pub fn after_rename() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static DONE: AtomicUsize = AtomicUsize::new(0);
        if let Some(n) = std::env::var("MIGPROOF_TEST_ABORT_AFTER_RENAMES")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            && DONE.fetch_add(1, Ordering::SeqCst) + 1 >= n
        {
            std::process::abort();
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn after_rename() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_chain_of_renames_lands_and_leaves_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [("003_a", "a"), ("004_b", "b")] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let renames = [("003_a".into(), "004_a".into()), ("004_b".into(), "005_b".into())];
        rename_all(dir.path(), &renames).unwrap();
        assert_eq!(
            listing(dir.path()),
            [("004_a".into(), "a".into()), ("005_b".into(), "b".into())]
        );
        assert_eq!(recover(dir.path()).unwrap(), None);
    }
}
