//! Round-trip findings (MC301–MC307) take the same funnel as every other finding: inline
//! ignores (and no MC011 for an ignore of a round-trip rule), configured levels and `off`, and
//! the configuration's ignore globs. The same directory without the directive or the setting
//! reports the finding, so each test can fail.
//!
//! The round-trip cases need PostgreSQL server binaries: they skip with a reason without them,
//! except under `CI=true`, where that is a failure.

use std::path::{Path, PathBuf};

use migproof::config::Config;
use migproof::pipeline::Options;
use migproof::roundtrip::{self, server};

const FIXTURE: &str = "fixtures/roundtrip/fail_forgotten_index";
const DOWN: &str = "000002_add_nickname.down.sql";

fn server_available() -> bool {
    match server::find_binaries(None) {
        Ok(_) => true,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and no PostgreSQL server to round-trip on: {e}");
            }
            eprintln!("skipped: {e}");
            false
        }
    }
}

/// A copy of the fixture whose down (which forgets an index: MC303) carries `directive` before
/// its statement, when given.
fn project(directive: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(FIXTURE).unwrap() {
        let entry = entry.unwrap();
        let mut text = std::fs::read_to_string(entry.path()).unwrap();
        if entry.file_name() == DOWN
            && let Some(d) = directive
        {
            text = text.replace("ALTER TABLE", &format!("{d}\nALTER TABLE"));
        }
        std::fs::write(dir.path().join(entry.file_name()), text).unwrap();
    }
    dir
}

/// `CODE severity file` for every finding but the lock-safety ones (MC4xx), which this fixture
/// also gets (an index built on an existing table, no lock_timeout) and which are tested by
/// `fixtures/<rule>/` and `tests/locks_replay.rs`, not here.
fn check(dir: &Path, roundtrip: bool, config: Option<&str>) -> Vec<String> {
    let options = Options {
        config: config.map(|c| Config::parse(c, &dir.join("migproof.toml")).unwrap()),
        roundtrip: roundtrip.then(roundtrip::Options::default),
        ..Options::default()
    };
    let outcome = migproof::check_with(&[PathBuf::from(dir)], &options).unwrap();
    outcome
        .findings
        .iter()
        .filter(|f| !f.rule.code.starts_with("MC4"))
        .map(|f| {
            let file = Path::new(&f.location.path).file_name().unwrap().to_string_lossy();
            format!("{} {} {file}", f.rule.code, f.severity.as_str())
        })
        .collect()
}

/// What the fixture reports: the down forgets the index, so the up fails when applied again.
const MC303: &str = "MC303 error 000002_add_nickname.down.sql";
const MC304: &str = "MC304 error 000002_add_nickname.up.sql";

const IGNORE: &str = "-- migproof:ignore MC303 -- the index goes with the column";

/// Without `--roundtrip` the round-trip rules did not run: an ignore of one is not unused.
#[test]
fn an_ignore_of_a_roundtrip_rule_is_not_unused_offline() {
    let dir = project(Some(IGNORE));
    assert_eq!(check(dir.path(), false, None), Vec::<String>::new());
    // An ignore of an offline rule that reports nothing there is.
    let dir = project(Some("-- migproof:ignore MC201"));
    assert_eq!(
        check(dir.path(), false, None),
        ["MC011 warning 000002_add_nickname.down.sql"]
    );
}

#[test]
fn inline_ignores_silence_roundtrip_findings() {
    if !server_available() {
        return;
    }
    let plain = project(None);
    assert_eq!(check(plain.path(), true, None), [MC303, MC304]);
    let ignored = project(Some(IGNORE));
    assert_eq!(check(ignored.path(), true, None), [MC304]);
    // With the round-trip run, an ignore of a round-trip rule that silences nothing is unused.
    let stale = project(Some("-- migproof:ignore MC305"));
    let found = check(stale.path(), true, None);
    assert_eq!(found, ["MC011 warning 000002_add_nickname.down.sql", MC303, MC304]);
}

#[test]
fn configured_levels_off_and_globs_apply_to_roundtrip_findings() {
    if !server_available() {
        return;
    }
    let dir = project(None);
    let root = dir.path();
    assert_eq!(
        check(root, true, Some("[checks]\ndown-not-reversing = \"warning\"\n")),
        ["MC303 warning 000002_add_nickname.down.sql", MC304]
    );
    assert_eq!(check(root, true, Some("[checks]\nMC303 = \"off\"\n")), [MC304]);
    assert_eq!(
        check(root, true, Some("ignore = [\"000002_*\"]\n")),
        Vec::<String>::new()
    );
    // A directive for a rule switched off is not unused either.
    let ignored = project(Some(IGNORE));
    assert_eq!(
        check(ignored.path(), true, Some("[checks]\nMC303 = \"off\"\n")),
        [MC304]
    );
}
