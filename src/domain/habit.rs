//! Habits: when they are due, and what their completions add up to — the current and best
//! streak, the last completion, whether today is done, and strength.
//!
//! Everything works on local calendar days (`calendar::local_day`), so DST changes, which move
//! clocks but not dates, can neither break nor double a streak. A streak counts consecutive
//! scheduled periods met: days for `daily` (every day) and `weekdays` (Monday–Friday), weeks
//! for `weekly` (at least `target_per_week` completions, Monday–Sunday). The current period is
//! still open: not having done it yet breaks nothing. Missed periods inside a vacation freeze the
//! streak (neither break nor count). Strength is Loop Habit Tracker's score: an exponentially
//! smoothed completion rate whose half-life is 13 days for a daily habit.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::calendar::{is_weekday, week_start};

/// How far back the statistics look: ten years of days.
const HORIZON_DAYS: i64 = 3_660;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    Daily,
    Weekdays,
    Weekly { target_per_week: u8 },
}

impl Frequency {
    /// Scheduled completions per day, as Loop's score uses it.
    fn per_day(self) -> f64 {
        match self {
            Frequency::Daily => 1.0,
            Frequency::Weekdays => 5.0 / 7.0,
            Frequency::Weekly { target_per_week } => f64::from(target_per_week.clamp(1, 7)) / 7.0,
        }
    }

    /// Days in one period, to express a streak in days (for the habit award's streak bonus).
    pub fn period_days(self) -> u32 {
        match self {
            Frequency::Weekly { .. } => 7,
            Frequency::Daily | Frequency::Weekdays => 1,
        }
    }
}

/// Days from `since` to `until`, inclusive, on which missed habits freeze instead of breaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vacation {
    pub since: NaiveDate,
    pub until: NaiveDate,
}

impl Vacation {
    fn covers(&self, day: NaiveDate) -> bool {
        self.since <= day && day <= self.until
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HabitStats {
    /// In periods: days, or weeks for a weekly habit.
    pub current_streak: u32,
    pub best_streak: u32,
    pub last_completed_on: Option<NaiveDate>,
    pub completed_today: bool,
    /// 0–100.
    pub strength: u8,
}

pub struct Habit<'a> {
    pub frequency: Frequency,
    pub created_on: NaiveDate,
    pub completions: &'a BTreeSet<NaiveDate>,
    pub vacation: Option<Vacation>,
}

/// One period of a habit's schedule, as the streak sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Met,
    Missed,
    /// Not scheduled, still open, or frozen by a vacation: neither counts nor breaks.
    Neutral,
}

impl Habit<'_> {
    pub fn stats(&self, today: NaiveDate) -> HabitStats {
        let periods = self.periods(today);
        let current_streak = periods
            .iter()
            .rev()
            .filter(|p| **p != Period::Neutral)
            .take_while(|p| **p == Period::Met)
            .count();
        let mut best_streak = 0;
        let mut run = 0;
        for period in &periods {
            match period {
                Period::Met => {
                    run += 1;
                    best_streak = best_streak.max(run);
                }
                Period::Missed => run = 0,
                Period::Neutral => {}
            }
        }
        HabitStats {
            current_streak: u32::try_from(current_streak).unwrap_or(u32::MAX),
            best_streak,
            last_completed_on: self.completions.range(..=today).next_back().copied(),
            completed_today: self.completions.contains(&today),
            strength: self.strength(today),
        }
    }

    fn start(&self, today: NaiveDate) -> NaiveDate {
        let first = self.completions.first().copied().unwrap_or(self.created_on);
        first
            .min(self.created_on)
            .max(today - Duration::days(HORIZON_DAYS))
    }

    fn frozen(&self, day: NaiveDate) -> bool {
        self.vacation.is_some_and(|v| v.covers(day))
    }

    /// The habit's periods from its start to today, oldest first.
    fn periods(&self, today: NaiveDate) -> Vec<Period> {
        let start = self.start(today);
        match self.frequency {
            Frequency::Daily | Frequency::Weekdays => start
                .iter_days()
                .take_while(|day| *day <= today)
                .map(|day| {
                    let scheduled = self.frequency == Frequency::Daily || is_weekday(day);
                    match (scheduled, self.completions.contains(&day)) {
                        (false, _) => Period::Neutral,
                        (true, true) => Period::Met,
                        (true, false) if day == today || self.frozen(day) => Period::Neutral,
                        (true, false) => Period::Missed,
                    }
                })
                .collect(),
            Frequency::Weekly { target_per_week } => {
                let this_week = week_start(today);
                std::iter::successors(Some(week_start(start)), |week| {
                    Some(*week + Duration::days(7))
                })
                .take_while(|week| *week <= this_week)
                .map(|week| {
                    let end = week + Duration::days(6);
                    let done = self.completions.range(week..=end).count();
                    let frozen = week.iter_days().take(7).any(|day| self.frozen(day));
                    if done >= usize::from(target_per_week) {
                        Period::Met
                    } else if week == this_week || frozen {
                        Period::Neutral
                    } else {
                        Period::Missed
                    }
                })
                .collect()
            }
        }
    }

    /// Loop Habit Tracker's score: `score = score × m + checked × (1 − m)` per day with
    /// `m = 0.5^(√frequency / 13)`; frozen days leave it unchanged.
    fn strength(&self, today: NaiveDate) -> u8 {
        let multiplier = 0.5_f64.powf(self.frequency.per_day().sqrt() / 13.0);
        let mut score = 0.0;
        for day in self
            .start(today)
            .iter_days()
            .take_while(|day| *day <= today)
        {
            let checked = self.completions.contains(&day);
            if !checked && self.frozen(day) {
                continue;
            }
            score = score * multiplier + if checked { 1.0 - multiplier } else { 0.0 };
        }
        (score * 100.0).round().clamp(0.0, 100.0) as u8
    }
}

#[cfg(test)]
mod tests;
