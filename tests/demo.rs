//! `pingshen demo`: deterministic, complete (every case kind and status), valid, and only
//! into an empty database.

use chrono::NaiveDate;
use pingshen::assets::Reference;
use pingshen::commands::demo::{self, Options};
use pingshen::commands::Lang;
use pingshen::domain::validate::{parse_application, ValidateOptions};
use pingshen::store::Store;
use rusqlite::Connection;
use std::collections::BTreeSet;
use std::path::Path;

const ACCOUNT: &str = "tester";

fn opts() -> Options {
    Options {
        institutions: 40,
        certificates: 20_000,
        seed: 7,
        today: NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
    }
}

fn fill(path: &Path, reference: &Reference) -> (Store, String) {
    let mut store = Store::open(path).expect("open");
    let report = demo::run(&mut store, ACCOUNT, reference, opts()).expect("demo");
    (store, report)
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut st = conn.prepare(sql).expect("prepare");
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<rusqlite::Result<Vec<_>>>()
        .expect("rows");
    rows
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

/// Everything the demo decides, without the store's own timestamps and the per-database salt.
fn snapshot(conn: &Connection) -> Vec<Vec<String>> {
    vec![
        strings(
            conn,
            "SELECT json_array(case_no, kind, region, submitted_on, status, outcome, application,
                    assigned_to, proposal, proposed_by, proposed_at, decision, decided_by, decided_at)
             FROM cases ORDER BY case_no",
        ),
        strings(
            conn,
            "SELECT json_array(credit_code, name, category, legal_form, region, legal_representative,
                    valid_from, valid_to, status)
             FROM institutions ORDER BY credit_code",
        ),
        strings(
            conn,
            "SELECT json_array(credit_code, occupation_code, count(*), min(certificate_no),
                    max(certificate_no), min(issued_on), max(holder_id_masked))
             FROM certificates GROUP BY credit_code, occupation_code ORDER BY 1",
        ),
        strings(
            conn,
            "SELECT json_array(case_id, item_id, occupation, auto_result, detail_en, mark, note,
                    marked_by, marked_at)
             FROM checklist ORDER BY case_id, seq",
        ),
    ]
}

#[test]
fn demo_is_deterministic_complete_and_valid() {
    let reference = Reference::builtin().expect("reference");
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, report) = fill(&dir.path().join("a.db"), &reference);
    let (b, _) = fill(&dir.path().join("b.db"), &reference);
    assert_eq!(
        snapshot(&a.conn),
        snapshot(&b.conn),
        "two runs with one seed differ"
    );
    assert!(report.contains("certificates"), "{report}");

    let conn = &a.conn;
    let kinds: BTreeSet<String> = strings(conn, "SELECT DISTINCT kind FROM cases")
        .into_iter()
        .collect();
    for k in ["selection", "renewal", "exit"] {
        assert!(kinds.contains(k), "no {k} case: {kinds:?}");
    }
    let statuses: BTreeSet<String> = strings(conn, "SELECT DISTINCT status FROM cases")
        .into_iter()
        .collect();
    for s in pingshen::store::cases::STATUSES {
        assert!(statuses.contains(*s), "no case in status {s}: {statuses:?}");
    }
    let inst_statuses: BTreeSet<String> = strings(conn, "SELECT DISTINCT status FROM institutions")
        .into_iter()
        .collect();
    for s in ["applicant", "active", "exiting", "exited", "refused"] {
        assert!(
            inst_statuses.contains(s),
            "no institution {s}: {inst_statuses:?}"
        );
    }
    let outcomes: BTreeSet<String> = strings(conn, "SELECT DISTINCT outcome FROM cases")
        .into_iter()
        .collect();
    for o in ["excluded", "ineligible", "needs_review"] {
        assert!(outcomes.contains(o), "no {o} outcome: {outcomes:?}");
    }
    assert_eq!(count(conn, "SELECT count(*) FROM institutions"), 40);

    // Every stored application re-validates as a file would.
    for text in strings(conn, "SELECT application FROM cases") {
        parse_application(&text, &reference.divisions, ValidateOptions::default())
            .unwrap_or_else(|e| panic!("{e}: {text}"));
    }
    for code in strings(conn, "SELECT credit_code FROM institutions") {
        pingshen::domain::credit_code::verify(&code).unwrap_or_else(|e| panic!("{code}: {e}"));
    }

    // A proposal by a colleague that the admin (the current account) can approve at once.
    assert_eq!(
        count(conn, "SELECT count(*) FROM reviewers WHERE account = 'tester' AND role = 'admin' AND region = '520000'"),
        1
    );
    assert!(
        count(conn, "SELECT count(*) FROM cases WHERE status = 'proposed' AND proposed_by <> 'tester' AND proposal IS NOT NULL") > 0
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM cases WHERE status IN ('decided', 'closed') AND decided_by IS NULL"),
        0,
        "a decision without an approver"
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM cases WHERE decided_by = proposed_by"
        ),
        0,
        "two-person rule broken"
    );
    // A proposal settles every item first, as the review desk requires.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM checklist k JOIN cases c ON c.id = k.case_id
             WHERE c.status IN ('proposed', 'decided', 'closed') AND k.auto_result = 'review'
               AND k.mark IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM cases WHERE status <> 'new' AND assigned_to IS NULL"
        ),
        0
    );
    // Each status change is in the audit log, by the reviewer who made it.
    assert!(
        count(
            conn,
            "SELECT count(*) FROM audit_log WHERE action = 'case.propose' AND account <> 'tester'"
        ) > 0
    );

    // Certificates: about the number asked for, all in the 22-character form.
    let certs = count(conn, "SELECT count(*) FROM certificates");
    assert!((19_000..=21_000).contains(&certs), "{certs} certificates");
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM certificates WHERE length(certificate_no) <> 22"
        ),
        0
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM certificates WHERE substr(certificate_no, 1, 1) NOT IN ('Y', 'S') OR substr(certificate_no, 6, 2) <> '52'"),
        0
    );

    // Renewal cases show the figures against the thresholds: one occupation at 99, a total
    // just below, declarations that differ from the records.
    let details = strings(
        conn,
        "SELECT k.detail_en FROM checklist k JOIN cases c ON c.id = k.case_id WHERE c.kind = 'renewal'",
    )
    .join("\n");
    assert!(
        details.contains("certificates recorded 99 < 100"),
        "{details}"
    );
    assert!(details.contains(" 599 < 600"), "{details}");
    assert!(
        details.contains("declared differs from records"),
        "{details}"
    );
    let selection = strings(
        conn,
        "SELECT k.detail_en FROM checklist k JOIN cases c ON c.id = k.case_id WHERE c.kind = 'selection'",
    )
    .join("\n");
    assert!(
        selection.contains("training volume 999 < 1000"),
        "{selection}"
    );
    assert!(selection.contains("government body"), "{selection}");

    // The overview reads the same database.
    let zh = demo::overview(&a, Path::new("a.db"), Lang::Zh).expect("overview");
    assert!(zh.contains("机构 40 家"), "{zh}");
    assert!(zh.contains("stats renewal"), "{zh}");
    let en = demo::overview(&a, Path::new("a.db"), Lang::En).expect("overview");
    assert!(en.contains("Institutions 40"), "{en}");
    assert!(en.contains("opens in a terminal"), "{en}");
}

#[test]
fn demo_refuses_a_database_with_cases() {
    let reference = Reference::builtin().expect("reference");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("demo.db");
    let (mut store, _) = fill(&path, &reference);
    let before = count(&store.conn, "SELECT count(*) FROM audit_log");
    let err = demo::run(&mut store, ACCOUNT, &reference, opts()).expect_err("second run");
    assert!(err.to_string().contains("empty database"), "{err}");
    assert_eq!(count(&store.conn, "SELECT count(*) FROM audit_log"), before);
}

#[test]
fn overview_of_an_empty_database_points_to_the_demo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("empty.db")).expect("open");
    let en = demo::overview(&store, Path::new("empty.db"), Lang::En).expect("overview");
    assert!(en.contains("Cases 0"), "{en}");
    assert!(en.contains("pingshen demo"), "{en}");
}

#[test]
fn demo_keeps_colleagues_apart_from_the_current_account() {
    let reference = Reference::builtin().expect("reference");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("clash.db")).expect("open");
    // The current account has the name of a demo colleague.
    let small = Options {
        institutions: demo::MIN_INSTITUTIONS,
        certificates: 0,
        ..opts()
    };
    demo::run(&mut store, "zhanghong", &reference, small).expect("demo");
    let conn = &store.conn;
    assert_eq!(count(conn, "SELECT count(*) FROM reviewers"), 6);
    assert_eq!(
        strings(
            conn,
            "SELECT role FROM reviewers WHERE account = 'zhanghong'"
        ),
        vec!["admin".to_string()]
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM cases WHERE proposed_by = 'zhanghong' OR decided_by = 'zhanghong'"),
        0
    );
    let too_few = Options {
        institutions: demo::MIN_INSTITUTIONS - 1,
        ..opts()
    };
    let other = dir.path().join("few.db");
    let mut store = Store::open(&other).expect("open");
    let err = demo::run(&mut store, ACCOUNT, &reference, too_few).expect_err("too few");
    assert!(err.to_string().contains("--institutions"), "{err}");
}
