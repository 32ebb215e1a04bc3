//! Migration file-name and version parsing of every format.
//!
//! Input: up to three names separated by `\n`. Each is given to every format's name parser;
//! the versions read are compared with each other to check that their order is a total order
//! (sorting with an inconsistent order panics).
#![no_main]

use std::cmp::Ordering;

use libfuzzer_sys::fuzz_target;
use migproof::discover::parsers;
use migproof::model::Version;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Versions of one set are all digit strings (diesel) or all numbers and names (the rest),
    // so each kind is only compared with its own.
    let mut versions: Vec<Version> = Vec::new();
    let mut lexical: Vec<Version> = Vec::new();
    for name in text.split('\n').take(3) {
        let parsed = parsers::names(name);
        // Deterministic.
        assert_eq!(format!("{parsed:?}"), format!("{:?}", parsers::names(name)));
        for (format, found) in &parsed {
            let Some((version, title)) = found else { continue };
            assert!(
                name.contains(title.as_str()),
                "{format}: title {title:?} is not part of {name:?}"
            );
            let written = version.to_string();
            if !version.is_named() {
                // diesel's digit strings drop the dashes (`2017-08-31` is `20170831`), and the
                // registry's `initial.ts` is version 1.
                let exempt = version.is_lexical() || (*format == "ts-registry" && name == "initial.ts");
                assert!(
                    exempt || name.contains(&written),
                    "{format}: version {written:?} is not part of {name:?}"
                );
                // The version reads back as itself.
                let again = if version.is_lexical() {
                    Version::digit_string(&written)
                } else {
                    Version::parse(&written)
                };
                assert_eq!(
                    again.as_ref(),
                    Some(version),
                    "{format}: {written:?} does not read back"
                );
            }
            if let Some(n) = version.as_number().filter(|_| !version.is_lexical()) {
                // A one-part version is its number, whatever leading zeros it was written with.
                assert_eq!(
                    Version::parse(&n.to_string()).as_ref(),
                    Some(version),
                    "{format}: {written:?} is not {n}"
                );
            }
            if version.is_lexical() {
                lexical.push(version.clone());
            } else {
                versions.push(version.clone());
            }
        }
        if let Some(v) = Version::parse(name) {
            versions.push(v);
        }
        if let Some(v) = Version::digit_string(name) {
            lexical.push(v);
        }
        versions.push(Version::named(name));
    }
    total_order(&versions);
    total_order(&lexical);
});

/// Every version compares equal to itself; the order is antisymmetric and transitive, and
/// sorting by it works.
fn total_order(versions: &[Version]) {
    // Distinct versions only, and not too many: the transitivity check is cubic.
    let mut distinct: Vec<&Version> = Vec::new();
    for v in versions {
        if !distinct.iter().any(|d| format!("{d:?}") == format!("{v:?}")) {
            distinct.push(v);
        }
    }
    let versions: Vec<Version> = distinct.into_iter().take(16).cloned().collect();
    let versions = versions.as_slice();
    for a in versions {
        assert_eq!(a.cmp(a), Ordering::Equal, "{a:?} is not equal to itself");
        for b in versions {
            assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{a:?} vs {b:?} is not antisymmetric");
            for c in versions {
                if a <= b && b <= c {
                    assert!(a <= c, "{a:?} <= {b:?} <= {c:?} but not {a:?} <= {c:?}");
                }
            }
        }
    }
    let mut sorted = versions.to_vec();
    sorted.sort();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
}
