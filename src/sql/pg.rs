//! PostgreSQL's own parser: libpg_query (the server's `gram.y` and `scan.l`, version 18),
//! compiled in by the `pg_query` crate.
//!
//! The crate's Rust API drops the error's cursor position, so this module calls the C function
//! `pg_query_split_with_parser` itself (declared as in `pg_query.h`; the crate links the static
//! library). It runs the server's `raw_parser` over the whole text — exactly what the server does
//! with a simple-protocol query string — and on error returns PostgreSQL's message and its cursor
//! position, turned here into a byte offset.
//!
//! libpg_query redirects the process's stderr (fd 2) through a pipe for the duration of every
//! call, with `dup`/`dup2`: two calls at once on two threads can leave fd 2 pointing at a closed
//! pipe. So every call holds one process-wide lock; a parse takes microseconds per statement.

use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;

// Keeps the crate linked: its build script compiles libpg_query and adds the static library.
use pg_query as _;

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQuerySplitStmt {
    stmt_location: c_int,
    stmt_len: c_int,
}

#[repr(C)]
struct PgQuerySplitResult {
    stmts: *mut *mut PgQuerySplitStmt,
    n_stmts: c_int,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_split_with_parser(input: *const c_char) -> PgQuerySplitResult;
    fn pg_query_free_split_result(result: PgQuerySplitResult);
}

static LOCK: Mutex<()> = Mutex::new(());

/// What PostgreSQL's parser says about a text it rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgError {
    /// PostgreSQL's message, as the server prints it (`syntax error at or near "ON"`).
    pub message: String,
    /// The byte offset in the text where the parser stopped, if PostgreSQL gave a position
    /// (`text.len()` for "at end of input").
    pub at: Option<usize>,
}

/// Parses `text` as one query string with PostgreSQL's grammar: `Ok(())` if the server's parser
/// accepts every statement in it, else the first error.
///
/// A NUL byte (which PostgreSQL never accepts in query text) is reported at its offset without
/// calling the parser.
pub fn parse(text: &str) -> Result<(), PgError> {
    let input = match CString::new(text) {
        Ok(input) => input,
        Err(e) => {
            return Err(PgError {
                message: "invalid byte sequence for encoding \"UTF8\": 0x00".to_string(),
                at: Some(e.nul_position()),
            });
        }
    };
    let guard = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is
    // read only before it is freed, by the function libpg_query provides for it.
    let outcome = unsafe {
        let result = pg_query_split_with_parser(input.as_ptr());
        let outcome = if result.error.is_null() {
            Ok(())
        } else {
            let error = &*result.error;
            let message = if error.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(error.message).to_string_lossy().into_owned()
            };
            Err((message, error.cursorpos))
        };
        pg_query_free_split_result(result);
        outcome
    };
    drop(guard);
    outcome.map_err(|(message, cursorpos)| PgError {
        message,
        at: (cursorpos > 0).then(|| char_to_byte(text, cursorpos as usize - 1)),
    })
}

/// The byte offset of the `n`th character (0-based) of `text`, or `text.len()` past its end.
/// (PostgreSQL counts its cursor in characters of the database encoding, UTF-8 here.)
fn char_to_byte(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects_like_the_server() {
        assert_eq!(parse("SELECT 1; CREATE TABLE t (a int);"), Ok(()));
        let e = parse("SELECT 1; ALTER TABLE t DELETE COLUMN x;").unwrap_err();
        assert_eq!(e.message, "syntax error at or near \"DELETE\"");
        assert_eq!(e.at, Some(24));
    }

    #[test]
    fn qualified_conflict_target_is_rejected() {
        // squawk-syntax accepts this; PostgreSQL does not.
        let e = parse("INSERT INTO t (a) VALUES (1) ON CONFLICT (s.\"a\") DO NOTHING;").unwrap_err();
        assert!(e.message.contains("syntax error"), "{e:?}");
    }

    #[test]
    fn cursor_counts_characters_not_bytes() {
        let sql = "SELECT 'ééé'; DROP TRIGGER x;";
        let e = parse(sql).unwrap_err();
        assert_eq!(&sql[e.at.unwrap()..], ";");
    }

    #[test]
    fn end_of_input_is_the_text_length() {
        let sql = "DROP TRIGGER x";
        let e = parse(sql).unwrap_err();
        assert_eq!(e.message, "syntax error at end of input");
        assert_eq!(e.at, Some(sql.len()));
    }

    #[test]
    fn nul_byte_is_an_error_at_its_offset() {
        let e = parse("SELECT 1;\0").unwrap_err();
        assert_eq!(e.at, Some(9));
    }

    #[test]
    fn parses_on_many_threads_at_once() {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        assert_eq!(parse(&format!("SELECT {i};")), Ok(()));
                        assert!(parse("SELEC 1;").is_err());
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
