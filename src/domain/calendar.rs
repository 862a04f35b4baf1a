//! Days as a user lives them: the local calendar day of an instant in the user's time zone,
//! with a configurable hour at which the day starts. Zone offsets come from the edge (the
//! runtime's `Intl`), so this module needs no zone database and no clock.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// The local day of `utc_ms` for a zone `offset_minutes` ahead of UTC at that instant, when the
/// day starts at `day_start_hour` (an hour of 2 makes 01:30 still belong to yesterday).
pub fn local_day(utc_ms: i64, offset_minutes: i32, day_start_hour: u8) -> NaiveDate {
    let local_ms =
        utc_ms + i64::from(offset_minutes) * 60_000 - i64::from(day_start_hour) * 3_600_000;
    let days = local_ms.div_euclid(86_400_000);
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + 719_163).unwrap_or(i32::MAX))
        .unwrap_or(NaiveDate::MIN)
}

/// Minutes ahead of UTC from `Intl`'s `longOffset` zone name: `GMT`, `GMT+05:30`, `GMT-03:00`.
pub fn parse_gmt_offset(text: &str) -> Option<i32> {
    let rest = text.strip_prefix("GMT")?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        // Some runtimes write a minus sign (U+2212).
        b'-' => (-1, &rest[1..]),
        _ => (-1, rest.strip_prefix('\u{2212}')?),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let (hours, minutes) = (hours.parse::<i32>().ok()?, minutes.parse::<i32>().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// Which day a completion may be recorded for: today, or yesterday (a late check-in).
pub fn completion_day_allowed(day: NaiveDate, today: NaiveDate) -> bool {
    day == today || Some(day) == today.pred_opt()
}

pub fn is_weekday(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The Monday that starts `day`'s week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    /// 2026-03-08T06:30:00Z: 01:30 EST in New York, the night clocks spring forward.
    const NEW_YORK_DST_NIGHT: i64 = 1_772_951_400_000;

    #[test]
    fn the_local_day_follows_the_offset() {
        assert_eq!(local_day(NEW_YORK_DST_NIGHT, 0, 0), day("2026-03-08"));
        assert_eq!(local_day(NEW_YORK_DST_NIGHT, -300, 0), day("2026-03-08"));
        assert_eq!(
            local_day(NEW_YORK_DST_NIGHT - 7_200_000, -300, 0),
            day("2026-03-07")
        );
        // Kiritimati is UTC+14: already the next day.
        assert_eq!(
            local_day(NEW_YORK_DST_NIGHT + 11 * 3_600_000, 14 * 60, 0),
            day("2026-03-09")
        );
        // Lord Howe's half-hour offset.
        assert_eq!(local_day(1_772_915_400_000, 630, 0), day("2026-03-08"));
    }

    #[test]
    fn a_late_day_start_keeps_the_small_hours_in_yesterday() {
        // 01:30 local with the day starting at 03:00 still belongs to the 7th.
        assert_eq!(local_day(NEW_YORK_DST_NIGHT, -300, 3), day("2026-03-07"));
        assert_eq!(local_day(NEW_YORK_DST_NIGHT, -300, 1), day("2026-03-08"));
    }

    #[test]
    fn instants_before_1970_still_map_to_days() {
        assert_eq!(local_day(-1, 0, 0), day("1969-12-31"));
    }

    #[test]
    fn only_today_and_yesterday_take_completions() {
        let today = day("2026-03-08");
        assert!(completion_day_allowed(today, today));
        assert!(completion_day_allowed(day("2026-03-07"), today));
        assert!(!completion_day_allowed(day("2026-03-06"), today));
        assert!(!completion_day_allowed(day("2026-03-09"), today));
    }

    #[test]
    fn gmt_offsets_parse_to_minutes() {
        for (text, minutes) in [
            ("GMT", Some(0)),
            ("GMT+05:30", Some(330)),
            ("GMT-03:00", Some(-180)),
            ("GMT\u{2212}09:30", Some(-570)),
            ("GMT+14:00", Some(840)),
            ("GMT+10:30", Some(630)),
            ("GMT+15:00", None),
            ("UTC+01:00", None),
            ("GMT+ab:00", None),
            ("GMT+05:59", Some(359)),
            ("GMT+05:60", None),
        ] {
            assert_eq!(parse_gmt_offset(text), minutes, "{text}");
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(week_start(day("2026-03-08")), day("2026-03-02"));
        assert_eq!(week_start(day("2026-03-02")), day("2026-03-02"));
        assert!(!is_weekday(day("2026-03-08")));
        assert!(is_weekday(day("2026-03-09")));
    }
}
