//! goose / dbmate / sql-migrate section splitting.
//!
//! Every span the splitter returns is inside the file and on character boundaries, each
//! section's body starts after its marker line, the marker lines are what the dialect reads as
//! markers, and the split is deterministic.
#![no_main]

mod common;

use common::{assert_ordered, assert_span};
use libfuzzer_sys::fuzz_target;
use migproof::discover::parsers::{self, DIALECTS};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for dialect in DIALECTS {
        let split = parsers::split(text, dialect);
        assert_eq!(
            split,
            parsers::split(text, dialect),
            "{}: not deterministic",
            dialect.format
        );
        let lines: Vec<_> = split.markers.iter().map(|m| m.line.clone()).collect();
        assert_ordered(&lines, "marker lines");
        for m in &split.markers {
            assert_span(text, &m.line, "marker line");
            let line = &text[m.line.clone()];
            assert!(!line.contains('\n'), "a marker line spans lines: {line:?}");
            assert!((dialect.classify)(line).is_some(), "{line:?} is not a marker");
        }
        for section in split.up.iter().chain(&split.down) {
            assert_span(text, &section.marker, "section marker");
            assert_span(text, &section.body, "section body");
            assert!(
                section.marker.end <= section.body.start,
                "body {section:?} overlaps its marker"
            );
            assert!(
                lines.contains(&section.marker),
                "section {section:?} has no marker line"
            );
            // The body holds no other up/down marker line.
            for m in &split.markers {
                if matches!(m.marker, parsers::Marker::Up | parsers::Marker::Down) {
                    assert!(
                        m.line.end <= section.body.start || m.line.start >= section.body.end,
                        "{m:?} inside body {section:?}"
                    );
                }
            }
        }
        if let (Some(up), Some(down)) = (&split.up, &split.down) {
            assert!(
                up.body.end <= down.marker.start || down.body.end <= up.marker.start,
                "up {up:?} and down {down:?} overlap"
            );
        }
        for (span, message) in &split.problems {
            assert_span(text, span, "problem");
            assert!(!message.is_empty());
        }
    }
});
