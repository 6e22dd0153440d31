//! Junction's own operations for form routing (documented in the module docs of
//! [`super`]): `starts_with`, `ends_with`, `iequals`, `date_before`, `date_after`,
//! `date_between`.

use super::value::{Val, number_string};
use std::borrow::Cow;

/// Strings as they are, numbers as JavaScript prints them; anything else is no string.
fn text<'s>(v: &'s Val) -> Option<Cow<'s, str>> {
    match v {
        Val::Num(x) => Some(Cow::Owned(number_string(*x))),
        _ => v.str().map(Cow::Borrowed),
    }
}

pub(crate) fn starts_with(s: &Val, prefix: &Val) -> bool {
    match (text(s), text(prefix)) {
        (Some(s), Some(p)) => s.starts_with(&*p),
        _ => false,
    }
}

pub(crate) fn ends_with(s: &Val, suffix: &Val) -> bool {
    match (text(s), text(suffix)) {
        (Some(s), Some(p)) => s.ends_with(&*p),
        _ => false,
    }
}

/// Case-insensitive equality of `String(a)` and `String(b)`, with null and undefined read
/// as the empty string (so they never equal a non-empty string, and never the text
/// `"null"`).
pub(crate) fn iequals(a: &Val, b: &Val) -> bool {
    fn loose_text<'s>(v: &'s Val) -> Cow<'s, str> {
        if v.is_nullish() {
            Cow::Borrowed("")
        } else {
            v.to_str()
        }
    }
    let (a, b) = (loose_text(a), loose_text(b));
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(&b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

pub(crate) fn date_before(a: &Val, b: &Val) -> bool {
    matches!((instant(a), instant(b)), (Some(x), Some(y)) if x < y)
}

pub(crate) fn date_after(a: &Val, b: &Val) -> bool {
    matches!((instant(a), instant(b)), (Some(x), Some(y)) if x > y)
}

pub(crate) fn date_between(x: &Val, lo: &Val, hi: &Val) -> bool {
    matches!((instant(x), instant(lo), instant(hi)), (Some(x), Some(lo), Some(hi)) if lo <= x && x <= hi)
}

fn instant(v: &Val) -> Option<(i64, u32)> {
    parse_datetime(v.str()?)
}

/// Parses `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM`, `HH:MM:SS`
/// or `HH:MM:SS.fraction`, optionally followed by `Z` or an offset `±HH:MM` / `±HHMM`.
/// Returns the instant as seconds since 1970-01-01T00:00:00Z and nanoseconds. A time
/// without an offset is read as UTC; a bare date is its midnight.
pub(crate) fn parse_datetime(s: &str) -> Option<(i64, u32)> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + i64::from(d - b'0'))
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if !at(4, b'-') || !at(7, b'-') || !(1..=12).contains(&month) {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if day < 1 || day > month_days[(month - 1) as usize] {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    if b.len() == 10 {
        return Some((secs, 0));
    }
    if !matches!(b[10], b'T' | b't' | b' ') || !at(13, b':') {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    if hour > 23 || minute > 59 {
        return None;
    }
    secs += hour * 3600 + minute * 60;
    let mut nanos = 0u32;
    let mut i = 16;
    if at(i, b':') {
        let second = num(i + 1, 2)?;
        if second > 59 {
            return None;
        }
        secs += second;
        i += 3;
        if at(i, b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                if i - start < 9 {
                    nanos += u32::from(b[i] - b'0') * 10u32.pow(8 - (i - start) as u32);
                }
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') if i + 1 == b.len() => {}
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2)?;
            let om = if at(i + 3, b':') {
                num(i + 4, 2)?
            } else {
                num(i + 3, 2)?
            };
            let end = if at(i + 3, b':') { i + 6 } else { i + 5 };
            if end != b.len() || oh > 23 || om > 59 {
                return None;
            }
            let offset = oh * 3600 + om * 60;
            secs += if sign == b'+' { -offset } else { offset };
        }
        _ => return None,
    }
    Some((secs, nanos))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
