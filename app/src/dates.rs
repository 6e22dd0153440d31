//! Dates as Junction shows and parses them (UTC), shared by server and browser so
//! hydration sees identical text. Domain code: it imports nothing but other domain code.

/// `YYYY-MM-DD` (UTC) for Unix seconds, by the civil-from-days algorithm.
pub fn iso_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Unix seconds at the start (UTC) of a `YYYY-MM-DD` day.
pub fn unix_from_iso_date(date: &str) -> Option<i64> {
    if !crate::fields::date::is_iso_date(date) {
        return None;
    }
    let year: i64 = date[0..4].parse().ok()?;
    let month: i64 = date[5..7].parse().ok()?;
    let day: i64 = date[8..10].parse().ok()?;
    Some(crate::rules::custom::days_from_civil(year, month, day) * 86_400)
}

/// `YYYY-MM-DD HH:MM` (UTC) for Unix seconds.
pub fn iso_datetime(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}",
        iso_date(unix),
        secs / 3_600,
        secs % 3_600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(1_795_564_800), "2026-11-25");
        assert_eq!(iso_date(-86_400), "1969-12-31");
        for t in [0, 951_782_400, 1_795_564_800, -86_400] {
            assert_eq!(super::unix_from_iso_date(&iso_date(t)), Some(t));
        }
        assert_eq!(super::unix_from_iso_date("2026-02-30"), None);
        assert_eq!(
            super::iso_datetime(1_795_564_800 + 3_600 * 13 + 60 * 7 + 59),
            "2026-11-25 13:07"
        );
    }
}
