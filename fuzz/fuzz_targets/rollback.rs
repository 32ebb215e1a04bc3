//! The commented-out rollback at the bottom of a psql file.
//!
//! The heading, the body and every comment mark are inside the file on character boundaries;
//! the heading is a `--` line or inside the `/* … */` the up ends at; each mark is a `--`, a
//! `/*` or `*/`, or prose on one line, none before where the up ends; blanking the marks keeps
//! the text UTF-8 with the same lines; the body holds no statement outside comments; the result
//! is deterministic.
#![no_main]

mod common;

use common::{assert_ordered, assert_span};
use libfuzzer_sys::fuzz_target;
use migproof::discover::parsers;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let found = parsers::find_rollback(text);
    assert_eq!(found, parsers::find_rollback(text), "not deterministic");
    let Some(rollback) = found else { return };
    assert_span(text, &rollback.heading, "heading");
    assert_span(text, &rollback.body, "body");
    assert!(rollback.start <= rollback.heading.start, "the up ends after the heading");
    assert!(
        text[rollback.heading.clone()].trim_start().starts_with("--") || text[rollback.start..].starts_with("/*"),
        "the heading is not a comment"
    );
    assert!(
        !text[rollback.heading.clone()].contains('\n'),
        "the heading spans lines"
    );
    assert!(
        rollback.heading.end <= rollback.body.start,
        "the body starts inside the heading"
    );
    assert_eq!(
        rollback.body.end,
        text.len(),
        "the body does not run to the end of the file"
    );
    assert_ordered(&rollback.comment_marks, "comment marks");
    let mut bytes = text.as_bytes().to_vec();
    for mark in &rollback.comment_marks {
        assert_span(text, mark, "comment mark");
        let m = &text[mark.clone()];
        assert!(
            ["--", "/*", "*/"].contains(&m) || (!m.is_empty() && !m.contains('\n')),
            "comment mark {m:?} is no `--`, `/*`, `*/` or line of prose"
        );
        assert!(
            mark.start >= rollback.start,
            "comment mark {mark:?} before the rollback"
        );
        bytes[mark.clone()].fill(b' ');
    }
    // Uncommenting keeps the text and its line breaks.
    let uncommented = String::from_utf8(bytes).expect("uncommented text is not UTF-8");
    assert_eq!(uncommented.len(), text.len());
    assert!(uncommented.match_indices('\n').eq(text.match_indices('\n')));
    // The rollback is the file's tail: no statement outside comments in it.
    assert!(
        migproof::sql::lexer::scan(text, rollback.start..text.len()).statements.is_empty(),
        "code inside the rollback"
    );
});
