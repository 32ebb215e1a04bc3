//! ory popx (`github.com/ory/x/popx`, used by Hydra, Kratos and Keto; vendored in hydra as
//! `oryx/popx`): pop's file layout run by ory's own migrator.
//!
//! From the runner's source (ory/x `popx/match.go`, `migration_box.go`, `migration_info.go`;
//! hydra@83127c57 `oryx/popx/`):
//! - **Matching** (`match.go` `mrx`): `^(\d+)_([^.]+)(\.[a-z0-9]+)?(|\.autocommit)\.(up|down)\.(sql|fizz)$`.
//!   No dialect means DBType `all`; a dialect is canonicalised by pop (`sqlite` is `sqlite3`) and
//!   a file naming an unsupported one is skipped. Non-matching files are skipped.
//! - **Versions** are strings compared with `<`; 20-digit versions beside 14-digit ones sort as
//!   strings ([`crate::model::Version::digit_string`]).
//! - **Dialect fallback** (`SortAndFilter`): per version and direction the file for the
//!   connection's dialect replaces the `all` file.
//! - **Downs**: `MigrationBox.check` refuses to start when an up version has no down of that
//!   version in any dialect — so that is an error; a dialect that falls back to the `all` down
//!   is complete.
//! - **Empty files**: a file that is empty or only comments is skipped (`isMigrationEmpty`);
//!   hydra keeps hundreds as per-dialect placeholders.
//! - **Transactions**: `.autocommit` files run outside a transaction (`RunnerNoTx`), the others
//!   inside one.
//! - **Templates**: contents go through `text/template` (`ParameterizedMigrationContent`).
//! - `.cockroach.` files hold CockroachDB syntax (`t@idx`, `STORING`, `USING HASH`): they are
//!   not judged by PostgreSQL's grammar (see `dialect-not-checked`).

use super::pop::{self, Flavour};
use super::{Detection, DirListing, Format};
use crate::model::MigrationSet;

pub struct Popx;

impl Format for Popx {
    fn name(&self) -> &'static str {
        "popx"
    }

    /// popx's layout is pop's: only the project (`go.mod` naming `github.com/ory/x`) tells them
    /// apart, so popx is never chosen by file names alone.
    fn detect(&self, _dir: &DirListing) -> Option<Detection> {
        None
    }

    fn accepts(&self, dir: &DirListing) -> bool {
        dir.files.iter().any(|f| pop::parse(f).is_some())
    }

    fn load(&self, dir: &DirListing) -> MigrationSet {
        pop::load(
            dir,
            &Flavour {
                format: "popx",
                down_required: true,
            },
        )
    }
}
