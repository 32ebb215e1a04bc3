//! Where a directory's round-trip starts, and the schema [`cache`] around it.
//!
//! Without `--base` every migration is round-tripped, but a prefix that an earlier run
//! round-tripped cleanly with the same bytes (on the same server, settings, format and setup)
//! is restored from the cache instead of replayed: its migrations are reported `cached`.
//! With `--base`, only the migrations from the first one added or changed since the merge
//! base on are round-tripped; those before it come from the cache, or when it is cold are
//! applied once, ups only, without snapshots (reported `prefix`), and that state is cached.
//! At the end, a directory whose every migration round-tripped cleanly (or came from such an
//! entry) is cached whole, for the next run; one with `prefix` migrations is cached as
//! `applied`, which only a `--base` run may start from (and only up to its first change).
//!
//! A cache miss, an entry rejected by its manifest or a cache that cannot be used falls back to
//! the normal run; the set's report says what happened ([`CacheReport`]).

use std::collections::BTreeSet;

use super::cache::{self, Cache, Kind, Meta};
use super::plan::Step;
use super::report::CacheReport;
use super::target::{Scratch, Target};
use crate::model::MigrationSet;

/// How one directory's run uses the cache.
pub(super) struct Start {
    /// The keys of the prefixes (`[k]`: after steps `0..=k`).
    pub(super) keys: Vec<String>,
    /// Steps restored from the cache, and how their entry was made.
    pub(super) restored: usize,
    pub(super) restored_kind: Option<Kind>,
    /// With `--base`: the first step added or changed since the merge base (`steps.len()`
    /// when none); without it, 0.
    pub(super) first_changed: usize,
    pub(super) report: CacheReport,
    pub(super) cache: Option<Cache>,
}

/// The index of the first step with a file in `changed` (`steps.len()` when none).
pub(super) fn first_changed(set: &MigrationSet, steps: &[Step], changed: &BTreeSet<String>) -> usize {
    steps
        .iter()
        .position(|s| {
            s.migration
                .files()
                .iter()
                .any(|&f| changed.contains(&set.file(f).display))
        })
        .unwrap_or(steps.len())
}

/// The key of each prefix of `steps`, up to the first step with a file that cannot be read.
pub(super) fn keys(set: &MigrationSet, steps: &[Step], target: &Target, setup: Option<&str>) -> Vec<String> {
    let Some(server) = &target.throwaway else {
        return Vec::new();
    };
    let mut header = format!(
        "migproof schema cache 1\n{}\n{}\n{}\n{:?}\n",
        server.binaries.version,
        server.binaries.dir.display(),
        super::server::SETTINGS.join("\n"),
        set.rules
    )
    .into_bytes();
    match setup {
        Some(text) => {
            header.extend_from_slice(b"setup\n");
            header.extend_from_slice(text.as_bytes());
        }
        None => header.extend_from_slice(b"no setup\n"),
    }
    let mut bytes = Vec::new();
    for step in steps {
        let m = &step.migration;
        if m.files().iter().any(|&f| set.file(f).text.is_err()) {
            break;
        }
        let mut b = format!("{}\n", m.version.text).into_bytes();
        for (dir, script) in [("up", &m.up), ("down", &m.down)] {
            match script {
                Some(s) => {
                    let file = set.file(s.file);
                    let text = file.text();
                    let span = s.span.start.min(text.len())..s.span.end.min(text.len());
                    b.extend_from_slice(
                        format!(
                            "{dir} {} {} {:?} {:?} {}\n",
                            file.file_name(),
                            s.no_transaction,
                            s.apply,
                            s.more_spans,
                            span.len()
                        )
                        .as_bytes(),
                    );
                    b.extend_from_slice(&text.as_bytes()[span]);
                }
                None => b.extend_from_slice(format!("no {dir}\n").as_bytes()),
            }
        }
        bytes.push(b);
    }
    cache::prefix_keys(&header, &bytes)
}

impl Start {
    /// Looks up the longest usable prefix: without `--base` a `roundtripped` entry; with it, a
    /// `roundtripped` entry of any length or an `applied` one up to the first change.
    pub(super) fn plan(keys: Vec<String>, first_changed: usize, base: bool, cap: Option<u64>) -> Start {
        let mut report = CacheReport::default();
        let cache = match cap {
            None => {
                report.notes.push("the schema cache is off (--no-cache)".to_string());
                None
            }
            Some(cap) => match Cache::open(cap) {
                Ok(c) => Some(c),
                Err(e) => {
                    report.notes.push(format!("the schema cache is not used: {e}"));
                    None
                }
            },
        };
        Start {
            keys,
            restored: 0,
            restored_kind: None,
            first_changed: if base { first_changed } else { 0 },
            report,
            cache,
        }
    }

    /// The longest cached prefix this run may start from.
    pub(super) fn lookup(&mut self, base: bool) -> Option<cache::Entry> {
        let cache = self.cache.as_ref()?;
        for n in (1..=self.keys.len()).rev() {
            let key = &self.keys[n - 1];
            if let Some(e) = cache.get(key, Kind::Roundtripped) {
                return Some(e);
            }
            if base
                && n <= self.first_changed
                && let Some(e) = cache.get(key, Kind::Applied)
            {
                return Some(e);
            }
        }
        self.report
            .notes
            .push("cache miss: no cached prefix of this directory".to_string());
        None
    }

    /// Stores the state after `steps` steps (the scratch database `db`) as `kind`; the
    /// database is reconnected (the server is stopped while its files are copied).
    pub(super) fn save(
        &mut self,
        target: &mut Target,
        db: Scratch,
        set: &MigrationSet,
        steps: &[Step],
        n: usize,
        kind: Kind,
    ) -> Result<Scratch, String> {
        let (Some(cache), Some(key)) = (&self.cache, n.checked_sub(1).and_then(|i| self.keys.get(i))) else {
            return Ok(db);
        };
        let Some(server) = &target.throwaway else { return Ok(db) };
        let meta = Meta {
            key: key.clone(),
            kind,
            set: set.display.clone(),
            steps: n,
            last_version: steps[n - 1].migration.version.text.clone(),
            server: server.binaries.version.clone(),
            database: db.name.clone(),
            size: 0,
            created: 0,
            last_used: 0,
        };
        let (db, stored) = target.save_state(db, |data| cache.store(data, meta))?;
        match stored {
            Ok(()) => self
                .report
                .saved
                .push(format!("{key} ({n} migrations, {})", kind.as_str())),
            Err(e) => self.report.notes.push(format!("not cached: {e}")),
        }
        Ok(db)
    }
}

impl Target {
    /// Stops the throwaway server, lets `store` copy its data directory, starts it again and
    /// reconnects to the scratch database. The inner result is `store`'s.
    pub(super) fn save_state(
        &mut self,
        db: Scratch,
        store: impl FnOnce(&std::path::Path) -> Result<(), String>,
    ) -> Result<(Scratch, Result<(), String>), String> {
        let Scratch {
            client, name, _guard, ..
        } = db;
        drop(client);
        let server = self
            .throwaway
            .as_mut()
            .ok_or("the schema cache needs the throwaway server")?;
        let stopped = server.stop();
        let stored = match stopped {
            Ok(()) => store(&server.data_dir()),
            Err(e) => Err(e),
        };
        server.launch(false)?;
        self.reconnect_admin()?;
        let db = self.connect_scratch(name, _guard)?;
        Ok((db, stored))
    }

    /// Replaces the throwaway cluster with a verified copy of `entry` and connects to its
    /// scratch database (renamed as this run's). The inner `Err` says why the entry was
    /// rejected (it is removed; the cluster is then a fresh copy of the template).
    pub(super) fn restore(&mut self, entry: &cache::Entry) -> Result<Result<Scratch, String>, String> {
        let server = self
            .throwaway
            .as_mut()
            .ok_or("the schema cache needs the throwaway server")?;
        server.stop()?;
        let copied = server.replace_data(&entry.data, &entry.manifest);
        if let Err(e) = copied {
            entry.discard();
            server.reset_data()?;
            server.launch(true)?;
            self.reconnect_admin()?;
            return Ok(Err(format!(
                "the cached entry {} was rejected and removed ({e}); the prefix was applied again",
                entry.meta.key
            )));
        }
        server.launch(true)?;
        self.reconnect_admin()?;
        self.scratch_count += 1;
        let name = super::named::scratch_name(self.run, self.scratch_count);
        self.admin
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}",
                super::admin::quote_ident(&entry.meta.database),
                super::admin::quote_ident(&name)
            ))
            .map_err(|e| format!("the cached cluster has no database `{}`: {e}", entry.meta.database))?;
        Ok(Ok(self.connect_scratch(name, None)?))
    }

    fn reconnect_admin(&mut self) -> Result<(), String> {
        self.admin = self
            .base
            .connect(postgres::NoTls)
            .map_err(|e| format!("cannot connect to the throwaway server: {}", super::named::reason(&e)))?;
        Ok(())
    }
}
