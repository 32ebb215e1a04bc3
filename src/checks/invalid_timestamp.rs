use std::time::{SystemTime, UNIX_EPOCH};

use super::{Finding, Location};
use crate::model::MigrationSet;
use crate::versions::{Invalid, Timestamp};

declare_rule! {
    /// ## What it does
    /// Reports a timestamp version (`YYYYMMDDHHMMSS`, 14 digits) that is not a real UTC date and
    /// time (month 18, hour 34), that lies more than a day in the future, or that has a
    /// different number of digits than the 14-digit timestamps beside it. Versions in year 0000
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
    for (m, d) in set.migrations.iter().zip(digits) {
        let Some(d) = d else { continue };
        let problem = if d.len() == 14 {
            problem(d, now)
        } else if m.version.is_lexical() && d.len() > 14 {
            // Compared as strings, a longer version sorts by its leading digits, so only the
            // timestamp at the front matters (diesel's `2025-11-19-091444-0000`).
            problem(&d[..14], now)
        } else if mostly_timestamps && d.len() >= 12 {
            Some(format!(
                "has {} digits where the other versions are 14-digit timestamps",
                d.len()
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
    fn rejects_impossible_and_future_ones() {
        assert!(problem("20241812144402", NOW).unwrap().contains("month 18"));
        assert!(problem("20230614345544", NOW).unwrap().contains("time 34:55:44"));
        assert!(problem("20230229000000", NOW).unwrap().contains("day 29"));
        assert!(problem("29990101000000", NOW).unwrap().contains("future"));
    }
}
