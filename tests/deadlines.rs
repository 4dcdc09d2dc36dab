//! Legal periods over the official 2026 calendar: start the day after the trigger; a last day
//! on a rest day or holiday moves to the next working day; make-up Saturdays are working days.

mod common;
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn due(trigger: &str, days: u64) -> String {
    common::reference()
        .calendar
        .period_end(d(trigger), days)
        .due
        .to_string()
}

#[test]
fn plain_weekday_end_stays() {
    assert_eq!(due("2026-03-02", 15), "2026-03-17"); // Tuesday
}

#[test]
fn weekend_end_moves_to_monday() {
    assert_eq!(due("2026-03-06", 15), "2026-03-23"); // 03-21 is a Saturday
}

#[test]
fn spring_festival_2026() {
    // 2026-02-15..23 are holidays; the last day 02-15 moves to Tuesday 02-24.
    assert_eq!(due("2026-01-31", 15), "2026-02-24");
    // 02-14 is a make-up Saturday: a working day, so the period ends there.
    assert_eq!(due("2026-01-30", 15), "2026-02-14");
    // 02-28 is also a make-up Saturday.
    assert_eq!(due("2026-02-13", 15), "2026-02-28");
}

#[test]
fn labour_day_2026() {
    assert_eq!(due("2026-04-16", 15), "2026-05-06"); // 05-01..05 holidays
    assert_eq!(due("2026-04-24", 15), "2026-05-09"); // make-up Saturday
}

#[test]
fn dragon_boat_2026() {
    assert_eq!(due("2026-06-04", 15), "2026-06-22"); // 06-19..21 holidays
}

#[test]
fn national_day_2026() {
    assert_eq!(due("2026-09-16", 15), "2026-10-08"); // 10-01..07 holidays
    assert_eq!(due("2026-09-10", 15), "2026-09-28"); // Mid-Autumn 09-25..27
    assert_eq!(due("2026-09-05", 15), "2026-09-20"); // make-up Sunday
    assert_eq!(due("2026-09-25", 15), "2026-10-10"); // make-up Saturday
}

#[test]
fn unknown_year_counts_weekends_and_reports_it() {
    let cal = common::reference().calendar;
    let end = cal.period_end(d("2026-12-20"), 15); // 2027-01-04, a Monday
    assert_eq!(end.due.to_string(), "2027-01-04");
    assert_eq!(end.unknown_years, vec![2027]);
    let end = cal.period_end(d("2026-12-01"), 15);
    assert!(end.unknown_years.is_empty());
}

#[test]
fn working_days_between() {
    let cal = common::reference().calendar;
    // 09-30 to 10-09: 10-08 and 10-09 are the only working days after National Day.
    assert_eq!(cal.workdays_between(d("2026-09-30"), d("2026-10-09")), 2);
    assert_eq!(cal.workdays_between(d("2026-10-09"), d("2026-09-30")), -2);
    // The make-up Saturday 10-10 counts.
    assert_eq!(cal.workdays_between(d("2026-10-09"), d("2026-10-10")), 1);
}
