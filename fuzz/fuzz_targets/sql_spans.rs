//! Statement splitting with spans (`sql::lexer::scan`, `sql::analyze`, `sql::analyze_as`).
//!
//! Input: two bytes that place the scanned part inside the text, then the text. Every
//! statement and meta-command span is inside that part, on character boundaries, non-empty,
//! in order and without overlap; syntax errors point inside the text; results are
//! deterministic. Parsing runs on a thread with the large stack migproof gives its parser
//! threads, as in `migproof::check`.
#![no_main]

mod common;

use std::ops::Range;

use common::{assert_ordered, assert_span, floor};
use libfuzzer_sys::fuzz_target;
use migproof::sql::{self, Grammar, lexer};

fn check(text: &str, span: Range<usize>) {
    let scan = lexer::scan(text, span.clone());
    assert_eq!(scan, lexer::scan(text, span.clone()), "scan is not deterministic");
    for (what, spans) in [("statement", &scan.statements), ("meta-command", &scan.meta_commands)] {
        assert_ordered(spans, what);
        for s in spans {
            assert_span(text, s, what);
            assert!(
                s.start >= span.start && s.end <= span.end,
                "{what} {s:?} outside the scanned {span:?}"
            );
        }
    }
    for s in &scan.statements {
        assert!(s.start < s.end, "empty statement {s:?}");
        let first = text[s.clone()].chars().next().unwrap();
        assert!(!first.is_ascii_whitespace(), "statement {s:?} starts with whitespace");
    }
    for m in &scan.meta_commands {
        assert_eq!(
            text.as_bytes()[m.start],
            b'\\',
            "meta-command {m:?} does not start with a backslash"
        );
        assert!(!text[m.clone()].contains('\n'), "meta-command {m:?} spans lines");
    }
    if let Some(at) = scan.too_deep {
        assert!(at >= span.start && at < span.end);
    }
    let masked = lexer::mask(text, span.clone(), &scan.meta_commands);
    assert_eq!(masked.len(), text.len(), "masking changed the length");
    assert!(
        masked.match_indices('\n').eq(text.match_indices('\n')),
        "masking moved lines"
    );

    for grammar in [Grammar::Postgres, Grammar::MySql, Grammar::Sqlite] {
        let parsed = sql::analyze_as(text, span.clone(), grammar);
        assert_eq!(
            parsed,
            sql::analyze_as(text, span.clone(), grammar),
            "analysis is not deterministic"
        );
        assert_eq!(parsed.statements, scan.statements);
        for e in parsed.syntax_errors.iter().chain(&parsed.dialect_errors) {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "error {e:?} outside the text"
            );
            assert!(!e.message.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let Ok(text) = std::str::from_utf8(&data[2..]) else {
        return;
    };
    let start = floor(text, text.len() * data[0] as usize / 255);
    let end = floor(text, text.len() * (255 - data[1] as usize) / 255).max(start);
    pool().install(|| {
        check(text, 0..text.len());
        check(text, start..end);
    });
});

/// One parser thread with the stack migproof gives its parser threads (kept: creating a
/// thread with a large stack per input is slow under ASan).
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .stack_size(512 << 20)
            .build()
            .unwrap()
    })
}
