//! Invariants shared by the fuzz targets.
#![allow(dead_code)]

use std::ops::Range;

/// `span` lies inside `text`, is not reversed, and starts and ends on character boundaries.
pub fn assert_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
}

/// `spans` are sorted and do not overlap.
pub fn assert_ordered(spans: &[Range<usize>], what: &str) {
    for w in spans.windows(2) {
        assert!(
            w[0].end <= w[1].start,
            "{what}: {:?} and {:?} overlap or are out of order",
            w[0],
            w[1]
        );
    }
}

/// The largest character boundary of `text` at or below `i`.
pub fn floor(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
