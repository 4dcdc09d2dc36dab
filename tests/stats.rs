//! Renewal statistics over real certificate records: window edges, duplicates, other
//! institutions' rows, per-occupation thresholds, and the `stats renewal --json` command.

mod common;
use chrono::NaiveDate;
use pingshen::domain::renewal::{Measure, Risk, Standing, Warning};
use pingshen::domain::validate::{parse_application, ValidateOptions};
use pingshen::store::certificates::{NewCertificate, Writer};
use pingshen::store::{cases, stats, Store};
use std::process::Command;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn cert(no: &str, code: &str, occ: &str, on: &str) -> NewCertificate {
    NewCertificate {
        certificate_no: no.into(),
        credit_code: code.into(),
        occupation_code: occ.into(),
        level: 4,
        issued_on: d(on),
        holder_name: Some("王某".into()),
        holder_id: Some("52010219900101123X".into()),
    }
}

/// A social organisation recognised 2023-12-01..2026-11-30 for two occupations.
fn setup(dir: &std::path::Path) -> Store {
    let reference = common::reference();
    let mut store = Store::open(&dir.join("s.db")).unwrap();
    let v = common::renewal("social_org", &[600, 100]);
    let (app, _flags) = parse_application(
        &v.to_string(),
        &reference.divisions,
        ValidateOptions::default(),
    )
    .unwrap();
    let ev = common::eval_with(&v, &reference, None);
    let tx = store.conn.transaction().unwrap();
    cases::insert(&tx, "tester", &app, &ev, "new").unwrap();
    let salt = "test-salt";
    let mut w = Writer::begin(&tx, "tester", "t.csv", salt).unwrap();
    let code = "52520102MA6DK7Q11C";
    let mut n = 0;
    let mut add = |w: &mut Writer, occ: &str, on: &str, count: usize| {
        for _ in 0..count {
            n += 1;
            w.add(&cert(&format!("Y000152000001260{n:06}"), code, occ, on))
                .unwrap();
        }
    };
    add(&mut w, "4-10-01-06", "2023-12-01", 1); // first day: in
    add(&mut w, "4-10-01-06", "2026-11-30", 1); // last day: in
    add(&mut w, "4-10-01-06", "2024-06-01", 598);
    add(&mut w, "4-10-01-06", "2023-11-30", 5); // a day before: out
    add(&mut w, "4-10-01-06", "2026-12-01", 5); // a day after: out
    add(&mut w, "4-10-01-05", "2025-01-01", 99);
    // Another institution's rows are not counted.
    w.add(&cert(
        "S000152000001260400001",
        "91520100MA6DL0QX4K",
        "4-10-01-06",
        "2025-01-01",
    ))
    .unwrap();
    // A number seen twice is counted once.
    let dup = cert("Y000152000001260000001", code, "4-10-01-06", "2023-12-01");
    w.add(&dup).unwrap();
    let done = w.finish("tester", "t.csv", 0).unwrap();
    assert_eq!(done.duplicates, 1);
    tx.commit().unwrap();
    store
}

#[test]
fn window_edges_duplicates_and_other_institutions() {
    let dir = tempfile::tempdir().unwrap();
    let store = setup(dir.path());
    let reference = common::reference();
    let all = stats::renewal(
        &store.conn,
        &reference.rules,
        &reference.divisions,
        d("2026-11-30"),
        Warning::default(),
    )
    .unwrap();
    let rows = &all.institutions;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        r.certificates,
        600 + 99,
        "600 in the window for one occupation, 99 for the other"
    );
    assert_eq!(r.threshold, 600);
    assert!(r.total_meets);
    assert_eq!(
        r.days_left, 0,
        "the statistics day is the window's last day"
    );
    let by: Vec<(&str, u64, Option<bool>)> = r
        .occupations
        .iter()
        .map(|o| (o.code.as_str(), o.certificates, o.meets))
        .collect();
    assert_eq!(
        by,
        vec![
            ("4-10-01-05", 99, Some(false)),
            ("4-10-01-06", 600, Some(true))
        ]
    );
    assert!(!r.meets, "one occupation is short of 100");
    assert!(r.renewal_on_file);
    // The last day, and nothing issued for 4-10-01-05 in the last 12 months (2025-01-01 is
    // more than 365 days back): it stays at 99, which the warning names with its figures.
    assert_eq!(r.outlook.standing, Standing::Behind);
    assert!(r.outlook.at_risk);
    assert_eq!(
        r.outlook.risks,
        vec![Risk::Pace {
            measure: Measure::Occupation("4-10-01-05".into()),
            projected: 99,
            threshold: 100,
            per_month: 0.0,
        }]
    );
    // In the 365 days up to 2026-11-30: the one record of the window's last day.
    assert_eq!(r.pace.recent, 1);
    // Two days earlier that record is not issued yet: statistics for a date count what had
    // been issued by then.
    let before = stats::renewal(
        &store.conn,
        &reference.rules,
        &reference.divisions,
        d("2026-11-28"),
        Warning::default(),
    )
    .unwrap();
    assert_eq!(before.institutions[0].certificates, 698);
    assert_eq!(before.institutions[0].pace.recent, 0);
    assert_eq!((all.province.institutions, all.province.at_risk), (1, 1));
    assert_eq!(all.regions.len(), 1);
    assert_eq!(all.regions[0].name, "贵阳市");

    let counts = pingshen::store::certificates::recorded_counts(
        &store.conn,
        "52520102MA6DK7Q11C",
        d("2023-12-01"),
        d("2026-11-30"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(counts.total, 699);
    assert!(pingshen::store::certificates::recorded_counts(
        &store.conn,
        "915201000000000000",
        d("2023-12-01"),
        d("2026-11-30")
    )
    .unwrap()
    .is_none());
}

#[test]
fn personal_ids_are_not_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = setup(dir.path());
    let clear: i64 = store
        .conn
        .query_row("SELECT count(*) FROM certificates WHERE holder_id_hash LIKE '%52010219900101123X%' OR holder_id_masked = '52010219900101123X'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(clear, 0);
    let masked: String = store
        .conn
        .query_row(
            "SELECT holder_id_masked FROM certificates LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(masked, "520102********123X");
}

#[test]
fn stats_renewal_command_json_and_table() {
    let dir = tempfile::tempdir().unwrap();
    drop(setup(dir.path()));
    let db = dir.path().join("s.db");
    let out = Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "stats",
            "renewal",
            "--json",
            "--as-of",
            "2026-11-28",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inst = &v["institutions"][0];
    assert_eq!(
        inst["certificates"], 698,
        "the record of 2026-11-30 comes later"
    );
    assert_eq!(inst["threshold"], 600);
    assert_eq!(inst["meets"], false);
    assert_eq!(inst["occupations"][0]["certificates"], 99);
    assert_eq!(inst["at_risk"], true);
    assert_eq!(inst["standing"], "behind");
    assert_eq!(inst["risks"][0]["kind"], "pace");
    assert_eq!(v["province"]["at_risk"], 1);
    assert_eq!(v["warning"]["horizon_days"], 180);
    let out = Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .args([
            "--db",
            db.to_str().unwrap(),
            "stats",
            "renewal",
            "--as-of",
            "2026-11-28",
            "--lang",
            "en",
        ])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("698/600")
            && t.contains("4-10-01-05 99<100")
            && t.contains("behind")
            && t.contains("4-10-01-05 projected 99<100"),
        "{t}"
    );
}

/// A renewal approved ahead of time adds a period that begins later: until it begins, the
/// period running out is the one counted. An institution whose exit is under way is listed
/// but not warned about.
#[test]
fn the_period_in_force_counts_and_exiting_institutions_are_not_warned() {
    let dir = tempfile::tempdir().unwrap();
    let store = setup(dir.path());
    let reference = common::reference();
    store
        .conn
        .execute_batch(
            "UPDATE institutions SET valid_from = '2026-12-01', valid_to = '2029-11-30'
             WHERE credit_code = '52520102MA6DK7Q11C'",
        )
        .unwrap();
    let at = |day: &str| {
        stats::renewal(
            &store.conn,
            &reference.rules,
            &reference.divisions,
            d(day),
            Warning::default(),
        )
        .unwrap()
    };
    let now = at("2026-11-28");
    let r = &now.institutions[0];
    assert_eq!(
        (r.valid_from.as_str(), r.valid_to.as_str(), r.certificates),
        ("2023-12-01", "2026-11-30", 698)
    );
    let later = at("2026-12-02");
    let r = &later.institutions[0];
    assert_eq!((r.valid_from.as_str(), r.certificates), ("2026-12-01", 5));
    // Not yet recognised on a date before the first period: not in the statistics.
    assert!(at("2023-11-30").institutions.is_empty());

    assert!(now.institutions[0].outlook.at_risk);
    store
        .conn
        .execute_batch("UPDATE institutions SET status = 'exiting'")
        .unwrap();
    let r = &at("2026-11-28").institutions[0];
    assert_eq!(r.status, "exiting");
    assert!(!r.outlook.at_risk && r.outlook.risks.is_empty());
}
