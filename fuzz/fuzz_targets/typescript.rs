//! SQL template literals in TypeScript migration modules.
//!
//! Each literal's span is inside the file on character boundaries, right after a backtick;
//! comment blanking keeps length and line breaks; function starts are on boundaries; the SQL
//! of each literal splits into statements inside the literal; everything is deterministic.
#![no_main]

mod common;

use common::{assert_ordered, assert_span};
use libfuzzer_sys::fuzz_target;
use migproof::discover::parsers;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let code = parsers::without_comments(text);
    assert_eq!(code.len(), text.len(), "blanking comments changed the length");
    assert!(
        code.match_indices('\n').eq(text.match_indices('\n')),
        "blanking comments moved lines"
    );

    let literals = parsers::sql_literals(text);
    assert_eq!(literals, parsers::sql_literals(text), "not deterministic");
    for lit in &literals {
        assert_span(text, &lit.span, "literal");
        assert!(
            lit.span.start > 0 && text.as_bytes()[lit.span.start - 1] == b'`',
            "{lit:?} not after a backtick"
        );
        if lit.span.end < text.len() {
            assert_eq!(text.as_bytes()[lit.span.end], b'`', "{lit:?} not closed by a backtick");
        }
        assert!(
            !lit.interpolated || text[lit.span.clone()].contains("${"),
            "{lit:?} has no `${{`"
        );
        let sql = migproof::sql::analyze(text, lit.span.clone());
        for s in sql.statements.iter().chain(&sql.meta_commands) {
            assert_span(text, s, "statement");
            assert!(
                s.start >= lit.span.start && s.end <= lit.span.end,
                "{s:?} outside {lit:?}"
            );
        }
    }
    let functions = parsers::functions(text);
    let starts: Vec<_> = functions.iter().map(|(at, _)| *at..*at).collect();
    assert_ordered(&starts, "functions");
    for (at, _) in &functions {
        assert!(text.is_char_boundary(*at), "function start {at} splits a character");
    }
    let directed = parsers::by_direction(text);
    assert!(directed.len() <= literals.len());
    for (_, lit) in &directed {
        assert!(literals.contains(lit), "{lit:?} is not one of the literals");
    }
});
