//! Unix times and spans of seconds as text a person reads at a glance.

/// `2026-05-02 10:15:00 UTC` for a Unix time.
pub(crate) fn utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The calendar date of a day number counted from 1970-01-01, in the
/// proleptic Gregorian calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A span of seconds in its two largest units: `14 min 58 s`, `29 days 23 h`.
pub(crate) fn span(seconds: i64) -> String {
    let mut rest = seconds.unsigned_abs();
    let counts: Vec<(u64, &str)> = [(86_400, "day"), (3600, "h"), (60, "min"), (1, "s")]
        .into_iter()
        .map(|(size, name)| {
            let count = rest / size;
            rest %= size;
            (count, name)
        })
        .collect();
    let Some(first) = counts.iter().position(|&(count, _)| count > 0) else {
        return "0 s".to_owned();
    };
    counts[first..]
        .iter()
        .take(2)
        .filter(|&&(count, _)| count > 0)
        .map(|&(count, name)| match (name, count) {
            ("day", 1) => "1 day".to_owned(),
            ("day", _) => format!("{count} days"),
            _ => format!("{count} {name}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `in 14 min 58 s` or `3 min ago`, relative to `now`.
pub(crate) fn relative(at: i64, now: i64) -> String {
    let delta = at.saturating_sub(now);
    match delta {
        0 => "right now".to_owned(),
        1.. => format!("in {}", span(delta)),
        _ => format!("{} ago", span(delta)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_777_716_900), "2026-05-02 10:15:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn spans_use_the_two_largest_units() {
        assert_eq!(span(0), "0 s");
        assert_eq!(span(898), "14 min 58 s");
        assert_eq!(span(2_592_000), "30 days");
        assert_eq!(span(86_400 + 7), "1 day");
        assert_eq!(span(3600 + 5), "1 h");
        assert_eq!(relative(100, 40), "in 1 min");
        assert_eq!(relative(40, 100), "1 min ago");
    }
}
