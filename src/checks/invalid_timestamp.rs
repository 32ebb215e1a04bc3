use std::time::{SystemTime, UNIX_EPOCH};

use super::{Finding, Location};
use crate::model::MigrationSet;
use crate::versions::{Invalid, Timestamp};

declare_rule! {
    /// ## What it does
    /// Reports a timestamp version (`YYYYMMDDHHMMSS`, 14 digits) that lies more than a day in the
    /// future (it will sort after every migration written later), that is not a real UTC date
    /// and time *and* sorts out of place — read with its overflow carried (month 18 of 2024 is
    /// June 2025), it belongs after a migration the runner runs after it — or that has a
    /// different number of digits than the 14-digit timestamps beside it, so a numeric runner
    /// sorts it before or after all of them. Impossible stamps that still run where they were
    /// meant to (counters such as `…103760`, `…103761`; a `10000000000000` meant to run first)
    /// are not reported: the runner orders them as intended. Versions in year 0000
    /// (`00000000000000`, diesel's initial setup; `00000000000001`, sequence numbers padded to
    /// timestamp width as in supabase's init-scripts) are accepted.
    ///
    /// ## Why is this bad
    /// The version was typed by hand, not generated. A far-future version stays the newest
    /// forever: every migration created after it sorts before it, so databases that ran it skip
    /// them as "older".
    ///
    /// ## Example
    /// ```text
    /// 20241812144402_create_index.up.sql   (month 18)
    /// 202601016134308_message_roots.up.sql (15 digits)
    /// ```
    ///
    /// ## How to fix
    /// Rename the migration with the timestamp of when it was written (the runner's `create`
    /// command generates one), if it has not been applied anywhere yet.
    pub static RULE = ("MC005", "invalid-timestamp", Warning);
}

/// A day of slack for clocks and time zones before a version counts as "in the future".
const FUTURE_SLACK_SECS: i64 = 24 * 3600;

pub fn check(set: &MigrationSet, out: &mut Vec<Finding>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let digits: Vec<Option<&str>> = set.migrations.iter().map(|m| m.version.digits()).collect();
    let timestamps = digits.iter().filter(|d| d.is_some_and(|d| d.len() == 14)).count();
    let mostly_timestamps = timestamps * 2 > set.migrations.len();
    // The 14-digit timestamp each version is read as (a longer lexical version sorts by its
    // leading digits: diesel's `2025-11-19-091444-0000`, popx's 20-digit versions).
    let stamps: Vec<Option<&str>> = set
        .migrations
        .iter()
        .zip(&digits)
        .map(|(m, d)| {
            let d = (*d)?;
            if d.len() == 14 {
                Some(d)
            } else if m.version.is_lexical() && d.len() > 14 {
                Some(&d[..14])
            } else {
                None
            }
        })
        .collect();
    // What each stamp means once an overflowing field is carried (10:37:60 is 10:38:00).
    let meant: Vec<Option<i64>> = stamps.iter().map(|s| s.and_then(carried)).collect();
    for (i, (m, d)) in set.migrations.iter().zip(&digits).enumerate() {
        let Some(d) = d else { continue };
        let problem = if let Some(stamp) = stamps[i] {
            problem(stamp, now).filter(|p| {
                // An impossible date or time is harmless when the runner still orders it where it
                // was meant to run (counters such as `…103760`, `…103761`; a `10000000000000`
                // that is meant to run first): only one that sorts out of place is reported.
                p.contains("future") || out_of_place(&meant, i)
            })
        } else if mostly_timestamps && d.len() >= 12 && !m.version.is_lexical() {
            Some(format!(
                "has {} digits where the other versions are 14-digit timestamps, so it sorts {} every one of them",
                d.len(),
                if d.len() > 14 { "after" } else { "before" }
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(
                Finding::new(
                    &RULE,
                    Location::in_file(set, m.primary_file(), 0..0),
                    format!("version {d} {problem}"),
                )
                .label("not a real timestamp")
                .help("if it was never applied anywhere, rename it with the current UTC time as YYYYMMDDHHMMSS"),
            );
        }
    }
}

/// Whether the moment stamp `i` means lies outside its neighbours' (in the runner's order), so
/// the runner does not run it where its date says it belongs.
fn out_of_place(meant: &[Option<i64>], i: usize) -> bool {
    let Some(here) = meant[i] else { return false };
    let before = meant[..i].iter().rev().flatten().next();
    let after = meant[i + 1..].iter().flatten().next();
    before.is_some_and(|b| here < *b) || after.is_some_and(|a| here > *a)
}

/// Seconds since the epoch of a `YYYYMMDDHHMMSS` stamp, overflowing fields carried into the
/// next (month 18 of 2024 is June 2025, hour 34 is 10 o'clock the next day); `None` for year
/// 0000 (sequence numbers padded to timestamp width).
fn carried(d: &str) -> Option<i64> {
    if d.starts_with("0000") {
        return None;
    }
    let n = |r: std::ops::Range<usize>| d[r].parse::<i64>().unwrap_or(0);
    let (year, month, day, hour, min, sec) = (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14));
    let months = year * 12 + month - 1;
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    let days = crate::versions::days_from_civil(year, month, 1) + day - 1;
    Some(days * 86400 + hour * 3600 + min * 60 + sec)
}

/// What is wrong with a 14-digit `YYYYMMDDHHMMSS` version, if anything.
fn problem(d: &str, now: i64) -> Option<String> {
    // Year 0000: a sequence number padded to timestamp width (`00000000000001`), not a date.
    if d.starts_with("0000") {
        return None;
    }
    let t = Timestamp::fields(d)?;
    let (month, day) = (t.month, t.day);
    match t.seconds() {
        Err(Invalid::Month) => Some(format!("is not a valid YYYYMMDDHHMMSS timestamp: month {month:02}")),
        Err(Invalid::Day) => Some(format!(
            "is not a valid YYYYMMDDHHMMSS timestamp: day {day:02} of month {month:02}"
        )),
        Err(Invalid::Time) => Some(format!(
            "is not a valid YYYYMMDDHHMMSS timestamp: time {:02}:{:02}:{:02}",
            t.hour, t.min, t.sec
        )),
        Ok(secs) => (secs > now + FUTURE_SLACK_SECS)
            .then(|| format!("lies in the future ({:04}-{month:02}-{day:02})", t.year)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_763_683_200; // 2025-11-21

    #[test]
    fn accepts_real_past_timestamps() {
        assert_eq!(problem("20250117000001", NOW), None);
        assert_eq!(problem("20240229120000", NOW), None);
        assert_eq!(problem("00000000000000", NOW), None);
        assert_eq!(problem("00000000000003", NOW), None);
        assert_eq!(crate::versions::days_from_civil(1970, 1, 1), 0);
        assert_eq!(crate::versions::days_from_civil(2025, 11, 21), NOW / 86400);
    }

    #[test]
    fn impossible_stamps_count_only_out_of_place() {
        let meant = |v: &[&str]| v.iter().map(|d| carried(d)).collect::<Vec<_>>();
        // Counters past second 59 still run in their place.
        let m = meant(&["20140929103759", "20140929103760", "20140929103761", "20140930000000"]);
        assert!(!out_of_place(&m, 1) && !out_of_place(&m, 2));
        // Month 18 of 2024 is meant for June 2025 but runs before January 2025.
        let m = meant(&["20241201000000", "20241812144402", "20250101000000"]);
        assert!(out_of_place(&m, 1));
    }

    #[test]
    fn rejects_impossible_and_future_ones() {
        assert!(problem("20241812144402", NOW).unwrap().contains("month 18"));
        assert!(problem("20230614345544", NOW).unwrap().contains("time 34:55:44"));
        assert!(problem("20230229000000", NOW).unwrap().contains("day 29"));
        assert!(problem("29990101000000", NOW).unwrap().contains("future"));
    }
}
