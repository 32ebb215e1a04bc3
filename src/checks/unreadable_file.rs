use super::{Finding, Location};
use crate::model::{MigrationSet, Unreadable};
use crate::read::Refusal;

declare_rule! {
    /// ## What it does
    /// Reports a migration file that cannot be checked: it is not UTF-8, it contains a NUL
    /// byte, the operating system refuses to read it (permission denied, a symlink loop), or it
    /// is larger than `--max-file-size` (32 MiB by default), in which case it is not read at all.
    /// Neither is a file that is not a regular file (a FIFO, a device) nor a symbolic link that
    /// leaves the repository (its nearest ancestor with `.git`, else the directory given on the
    /// command line): such a link is reported by name and target, its content never shown.
    ///
    /// ## Why is this bad
    /// PostgreSQL rejects NUL bytes and invalid UTF-8 in a UTF-8 database, and a file the CI
    /// user cannot read will not be readable by the migration runner either.
    ///
    /// ## Example
    /// ```text
    /// 000007_import.up.sql   saved as Latin-1: "café" is the byte 0xE9
    /// ```
    ///
    /// ## How to fix
    /// Re-save the file as UTF-8 (`iconv -f latin1 -t utf-8`), remove the NUL bytes, or fix
    /// the file's permissions.
    pub static RULE = ("MC010", "unreadable-file", Error);
}

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    for file in &set.files {
        if let Err(why) = &file.text {
            out.push(
                Finding::new(
                    &RULE,
                    Location::path_only(&file.display),
                    format!("`{}` {why}", file.file_name()),
                )
                .help(match why {
                    Unreadable::TooLarge(_) => {
                        "if it really is a migration, raise the limit with --max-file-size (say, --max-file-size 256M)"
                    }
                    Unreadable::Refused(Refusal::NotRegular { .. }) => {
                        "replace it with a regular file: a runner reading it would block or never finish"
                    }
                    Unreadable::Refused(Refusal::OutsideRepository { .. }) => {
                        "keep migrations inside the repository (copy the file in instead of linking to it), or check the directory it lives in"
                    }
                    _ => "save the file as UTF-8 text without NUL bytes, readable by the user that runs the checks",
                }),
            );
        }
    }
}
