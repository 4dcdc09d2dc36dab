//! Renewal outlook (arts. 8–10): whether an institution meets its certificate thresholds,
//! whether it will at its current pace, and whether the office should warn it now. Pure
//! arithmetic on counts the store has already made.

use chrono::{Days, NaiveDate};
use serde::Serialize;

/// The early-warning settings (rules parameters `at_risk_horizon_days` and
/// `renewal_window_days`, overridable in `config.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Warn about pace when the window ends within this many days.
    pub horizon_days: i64,
    /// The renewal window opens this many days before `valid_to`.
    pub renewal_window_days: i64,
}

impl Default for Warning {
    fn default() -> Self {
        Self {
            horizon_days: 180,
            renewal_window_days: 90,
        }
    }
}

/// The rate is taken over this many days up to the day of the statistics.
pub const PACE_DAYS: u64 = 365;

/// First day of the pace basis: the 365 days that end on `as_of`.
pub fn pace_start(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_days(Days::new(PACE_DAYS - 1))
        .unwrap_or(NaiveDate::MIN)
}

/// A projection of a count to the end of the window at the rate of the last 12 months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    /// Certificates in the window so far.
    pub so_far: u64,
    /// Of those, issued in the 365 days up to `as_of` (fewer days when the window is younger).
    pub recent: u64,
    /// Days the rate is taken over: the part of the 365 days up to `as_of` inside the window.
    pub basis_days: i64,
    /// Certificates a month (30.44 days) at that rate.
    pub per_month: f64,
    /// `so_far` plus the rate times the days left, rounded down.
    pub projected: u64,
}

/// Projects `so_far` to `to` at the rate of `recent` certificates over the basis period.
/// Before the window opens nothing is projected; after it ends the count is final.
pub fn pace(so_far: u64, recent: u64, from: NaiveDate, to: NaiveDate, as_of: NaiveDate) -> Pace {
    let basis_start = pace_start(as_of).max(from);
    let basis_days = if as_of < from {
        0
    } else {
        (as_of.min(to) - basis_start).num_days() + 1
    };
    let per_day = if basis_days > 0 {
        recent as f64 / basis_days as f64
    } else {
        0.0
    };
    let days_left = (to - as_of).num_days().max(0);
    // Rounded down: a projection of 999.9 does not meet 1000.
    let projected = so_far + (per_day * days_left as f64 + 1e-9).floor() as u64;
    Pace {
        so_far,
        recent,
        basis_days,
        per_month: per_day * 365.25 / 12.0,
        projected,
    }
}

/// What is counted against a threshold: the institution's total, or one occupation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "of", content = "code", rename_all = "snake_case")]
pub enum Measure {
    Total,
    Occupation(String),
}

/// One count against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub measure: Measure,
    pub threshold: u64,
    pub pace: Pace,
}

impl Count {
    pub fn meets(&self) -> bool {
        self.pace.so_far >= self.threshold
    }
    pub fn on_pace(&self) -> bool {
        self.pace.projected >= self.threshold
    }
}

/// Where an institution stands: met already, will meet at this pace, or behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    Meets,
    OnPace,
    Behind,
}

/// Why the office should act now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Risk {
    /// The window ends within the horizon and this count will fall short at its pace.
    Pace {
        measure: Measure,
        projected: u64,
        threshold: u64,
        per_month: f64,
    },
    /// The renewal window is open (or the period has ended) and no application has arrived.
    NoApplication { days_left: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    pub standing: Standing,
    pub at_risk: bool,
    pub risks: Vec<Risk>,
}

/// The outlook of one institution. `counts` holds the total first, then any per-occupation
/// counts; `days_left` is from the statistics day to `valid_to` (negative once it has passed).
pub fn outlook(counts: &[Count], days_left: i64, on_file: bool, w: Warning) -> Outlook {
    let standing = if counts.iter().all(Count::meets) {
        Standing::Meets
    } else if counts.iter().all(Count::on_pace) {
        Standing::OnPace
    } else {
        Standing::Behind
    };
    let mut risks = Vec::new();
    if days_left <= w.horizon_days {
        for c in counts.iter().filter(|c| !c.on_pace()) {
            risks.push(Risk::Pace {
                measure: c.measure.clone(),
                projected: c.pace.projected,
                threshold: c.threshold,
                per_month: c.pace.per_month,
            });
        }
    }
    if days_left <= w.renewal_window_days && !on_file {
        risks.push(Risk::NoApplication { days_left });
    }
    Outlook {
        standing,
        at_risk: !risks.is_empty(),
        risks,
    }
}

/// Province-wide or per-region figures for the top of the statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub institutions: u64,
    pub meets: u64,
    pub on_pace: u64,
    pub behind: u64,
    pub at_risk: u64,
    /// Renewal window open and nothing on file.
    pub no_application: u64,
    pub certificates: u64,
}

impl Summary {
    pub fn add(&mut self, o: &Outlook, certificates: u64) {
        self.institutions += 1;
        match o.standing {
            Standing::Meets => self.meets += 1,
            Standing::OnPace => self.on_pace += 1,
            Standing::Behind => self.behind += 1,
        }
        self.at_risk += u64::from(o.at_risk);
        self.no_application += u64::from(
            o.risks
                .iter()
                .any(|r| matches!(r, Risk::NoApplication { .. })),
        );
        self.certificates += certificates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn total(so_far: u64, recent: u64, threshold: u64, as_of: &str) -> Count {
        Count {
            measure: Measure::Total,
            threshold,
            pace: pace(so_far, recent, d("2024-01-01"), d("2026-12-31"), d(as_of)),
        }
    }

    #[test]
    fn pace_on_a_known_series() {
        // 365 certificates in the last 365 days: one a day; 31 days left in December.
        let p = pace(800, 365, d("2024-01-01"), d("2026-12-31"), d("2026-11-30"));
        assert_eq!(p.basis_days, 365);
        assert_eq!(p.projected, 831);
        assert!((p.per_month - 30.4375).abs() < 1e-9);
        // A window that opened 100 days ago: the rate is over those 100 days.
        let p = pace(50, 50, d("2026-08-23"), d("2029-08-22"), d("2026-11-30"));
        assert_eq!(p.basis_days, 100);
        // 996 days left at half a certificate a day.
        assert_eq!((d("2029-08-22") - d("2026-11-30")).num_days(), 996);
        assert_eq!(p.projected, 50 + 996 / 2);
        // Ended: the count is final (the basis is what of the last 365 days the window
        // covered); not yet begun: nothing projected.
        let p = pace(10, 3, d("2023-01-01"), d("2025-12-31"), d("2026-11-30"));
        assert_eq!((p.projected, p.basis_days), (10, 31));
        let p = pace(0, 0, d("2027-01-01"), d("2029-12-31"), d("2026-11-30"));
        assert_eq!((p.projected, p.basis_days), (0, 0));
    }

    #[test]
    fn projection_rounds_down_at_the_threshold() {
        // 999 + 1 a day for 1 day reaches 1000 exactly; 998 + ~0.997 does not.
        let meets = total(999, 365, 1000, "2026-12-30");
        assert_eq!(meets.pace.projected, 1000);
        assert!(meets.on_pace() && !meets.meets());
        let short = total(998, 364, 1000, "2026-12-30");
        assert_eq!(short.pace.projected, 998);
        assert!(!short.on_pace());
    }

    #[test]
    fn warns_only_within_the_horizon() {
        let w = Warning::default();
        let behind = total(100, 50, 600, "2026-06-01");
        let days_left = (d("2026-12-31") - d("2026-06-01")).num_days();
        assert_eq!(days_left, 213);
        let o = outlook(std::slice::from_ref(&behind), days_left, true, w);
        assert_eq!((o.standing, o.at_risk), (Standing::Behind, false));
        let o = outlook(std::slice::from_ref(&behind), 180, true, w);
        assert!(o.at_risk);
        assert!(matches!(o.risks[0], Risk::Pace { threshold: 600, .. }));
        let o = outlook(std::slice::from_ref(&behind), 181, true, w);
        assert!(!o.at_risk);
    }

    #[test]
    fn warns_when_the_renewal_window_is_open_without_an_application() {
        let w = Warning::default();
        let fine = total(700, 300, 600, "2026-10-01");
        assert_eq!(
            outlook(std::slice::from_ref(&fine), 91, false, w).risks,
            vec![]
        );
        let o = outlook(std::slice::from_ref(&fine), 90, false, w);
        assert_eq!(o.standing, Standing::Meets);
        assert_eq!(o.risks, vec![Risk::NoApplication { days_left: 90 }]);
        assert!(!outlook(std::slice::from_ref(&fine), 90, true, w).at_risk);
    }

    #[test]
    fn one_short_occupation_is_enough() {
        let w = Warning::default();
        let mut occ = total(60, 10, 100, "2026-11-30");
        occ.measure = Measure::Occupation("4-10-01-06".into());
        let fine = total(900, 300, 600, "2026-11-30");
        let o = outlook(&[fine, occ], 31, true, w);
        assert_eq!(o.standing, Standing::Behind);
        assert!(matches!(
            &o.risks[..],
            [Risk::Pace { measure: Measure::Occupation(c), .. }] if c == "4-10-01-06"
        ));
        let mut s = Summary::default();
        s.add(&o, 960);
        assert_eq!(
            (s.institutions, s.behind, s.at_risk, s.certificates),
            (1, 1, 1, 960)
        );
    }
}
