//! Version arithmetic for suggestions, `new` and `renumber`: "the k-th version after this one",
//! in the same style (zero-padded sequence numbers or UTC `YYYYMMDDHHMMSS` timestamps).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::Version;

/// Whether `digits` is a 14-digit `YYYYMMDDHHMMSS` that is a real date and time.
pub fn is_timestamp(digits: &str) -> bool {
    parse_timestamp(digits).is_some()
}

/// Seconds since 1970 of a 14-digit UTC timestamp.
fn parse_timestamp(d: &str) -> Option<i64> {
    Timestamp::fields(d)?.seconds().ok()
}

/// The fields of a 14-digit `YYYYMMDDHHMMSS`, not yet known to be a real date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub hour: i64,
    pub min: i64,
    pub sec: i64,
}

/// Which field makes a [`Timestamp`] not a real date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Month,
    Day,
    Time,
}

impl Timestamp {
    /// The fields of `d`, when it is 14 ASCII digits.
    pub fn fields(d: &str) -> Option<Timestamp> {
        if d.len() != 14 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = |r: std::ops::Range<usize>| d[r].parse::<i64>().unwrap_or(0);
        Some(Timestamp {
            year: n(0..4),
            month: n(4..6),
            day: n(6..8),
            hour: n(8..10),
            min: n(10..12),
            sec: n(12..14),
        })
    }

    /// Seconds since 1970 (UTC), or the first field that is out of range.
    pub fn seconds(&self) -> Result<i64, Invalid> {
        if !(1..=12).contains(&self.month) {
            return Err(Invalid::Month);
        }
        if self.day < 1 || self.day > days_in_month(self.year, self.month) {
            return Err(Invalid::Day);
        }
        if self.hour > 23 || self.min > 59 || self.sec > 59 {
            return Err(Invalid::Time);
        }
        Ok(days_from_civil(self.year, self.month, self.day) * 86400 + self.hour * 3600 + self.min * 60 + self.sec)
    }
}

/// Days in `month` (1–12) of `year` (proleptic Gregorian).
pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYYMMDDHHMMSS` of seconds since 1970 (UTC).
pub fn format_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current UTC time as `YYYYMMDDHHMMSS`.
pub fn now_timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    format_timestamp(secs)
}

/// The `k`-th version after `v` in `v`'s style: a timestamp `k` seconds later, or the number
/// `k` higher with the same zero-padding. `None` for dotted versions.
pub fn after(v: &Version, k: u64) -> Option<String> {
    let digits = v.digits()?;
    if let Some(secs) = parse_timestamp(digits) {
        return Some(format_timestamp(secs + k as i64));
    }
    let next = v.as_number()?.checked_add(k as u128)?;
    Some(format!("{next:0width$}", width = digits.len()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn sequence_numbers_keep_their_padding() {
        assert_eq!(after(&v("000056"), 1).as_deref(), Some("000057"));
        assert_eq!(after(&v("9"), 2).as_deref(), Some("11"));
        assert_eq!(after(&v("099"), 1).as_deref(), Some("100"));
        assert_eq!(after(&v("17.1"), 1), None);
    }

    #[test]
    fn timestamps_move_by_seconds_across_days_and_years() {
        assert_eq!(after(&v("20241231235959"), 1).as_deref(), Some("20250101000000"));
        assert_eq!(after(&v("20240228235959"), 1).as_deref(), Some("20240229000000"));
        assert_eq!(after(&v("20250117000001"), 2).as_deref(), Some("20250117000003"));
        // Not a real timestamp: plain arithmetic.
        assert_eq!(after(&v("20241812144402"), 1).as_deref(), Some("20241812144403"));
        assert!(is_timestamp("20240229120000"));
        assert!(!is_timestamp("20230229120000"));
        assert_eq!(format_timestamp(0), "19700101000000");
        assert_eq!(now_timestamp().len(), 14);
    }
}
