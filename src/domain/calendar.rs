//! The official workday calendar and legal periods (民法典 art. 201, 203): a period in days
//! starts the day after its trigger; when its last day is a rest day or a statutory holiday it
//! ends on the next working day. Years the calendar lacks are counted on weekends alone and
//! reported, never guessed silently.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
}

#[derive(Debug, Clone, Default)]
struct Year {
    holidays: BTreeSet<NaiveDate>,
    makeup: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    holidays: Vec<NaiveDate>,
    makeup_workdays: Vec<NaiveDate>,
}

/// The end of a period, and the years it had to count without the official calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodEnd {
    pub due: NaiveDate,
    pub unknown_years: Vec<i32>,
}

impl Calendar {
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let raw: BTreeMap<String, YearFile> = toml::from_str(text).map_err(|e| {
            format!(
                "{origin}: {}",
                e.to_string().lines().collect::<Vec<_>>().join(" ")
            )
        })?;
        let mut years = BTreeMap::new();
        for (key, y) in raw {
            let year: i32 = key
                .parse()
                .map_err(|_| format!("{origin}: [{key}]: not a year"))?;
            for d in y.holidays.iter().chain(&y.makeup_workdays) {
                if d.year() != year {
                    return Err(format!("{origin}: [{key}]: {d} is not in {year}"));
                }
            }
            let holidays: BTreeSet<_> = y.holidays.into_iter().collect();
            let makeup: BTreeSet<_> = y.makeup_workdays.into_iter().collect();
            if let Some(d) = holidays.intersection(&makeup).next() {
                return Err(format!(
                    "{origin}: [{key}]: {d} is both a holiday and a make-up workday"
                ));
            }
            years.insert(year, Year { holidays, makeup });
        }
        Ok(Self { years })
    }

    pub fn knows(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Monday–Friday unless a holiday, or a listed make-up day. An unknown year: weekdays.
    pub fn is_workday(&self, d: NaiveDate) -> bool {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        match self.years.get(&d.year()) {
            Some(y) if y.makeup.contains(&d) => true,
            Some(y) if y.holidays.contains(&d) => false,
            _ => !weekend,
        }
    }

    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.years
            .get(&d.year())
            .is_some_and(|y| y.holidays.contains(&d))
    }

    /// `days` calendar days after `trigger`, moved to the next working day if it falls on
    /// a rest day or holiday.
    pub fn period_end(&self, trigger: NaiveDate, days: u64) -> PeriodEnd {
        let mut unknown = BTreeSet::new();
        let mut due = trigger
            .checked_add_days(Days::new(days))
            .unwrap_or(NaiveDate::MAX);
        loop {
            if !self.knows(due.year()) {
                unknown.insert(due.year());
            }
            if self.is_workday(due) {
                break;
            }
            match due.succ_opt() {
                Some(next) => due = next,
                None => break,
            }
        }
        PeriodEnd {
            due,
            unknown_years: unknown.into_iter().collect(),
        }
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); negative when `to` is
    /// earlier. Unknown years count weekdays.
    pub fn workdays_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if to >= from {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut n = 0i64;
        let mut d = a;
        while d < b {
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
            if self.is_workday(d) {
                n += 1;
            }
        }
        n * sign
    }
}
