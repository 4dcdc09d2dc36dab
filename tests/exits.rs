//! Exits (articles 13–16): the sweep and its idempotence, a refused renewal's automatic exit,
//! the steps in order, the case closing only when every step is done, the institution's
//! status with its audit entries, and the open deadlines over the 2026 holidays.

mod exit_support;
use exit_support::{code, d, db, exit_app};
use pingshen::domain::application::ExitKind;
use pingshen::domain::exit::{Cause, Step, StepError};
use pingshen::store::exits::{self, StepInput};
use pingshen::store::review::ReviewError;
use serde_json::json;

fn step<'a>(step: Step, on: &str, number: Option<&'a str>) -> StepInput<'a> {
    StepInput {
        step,
        on: d(on),
        number,
        note: None,
    }
}

#[test]
fn sweep_opens_an_automatic_exit_once() {
    let t = db();
    // Ended 2026-09-16 with no renewal: 15 days run to 10-01, National Day, so 10-08.
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    // Still in its period, and one whose period ends today: neither is swept.
    t.institution(2, "520102", "2025-01-01", "2027-12-31");
    t.institution(3, "520102", "2023-11-29", "2026-11-28");

    let r = t.sweep("2026-11-28");
    assert_eq!(r.opened.len(), 1, "{r:#?}");
    let o = &r.opened[0];
    assert_eq!(o.case_no, "GZ-2026-E-0001");
    assert_eq!(o.credit_code, code(1));
    assert_eq!(o.cause, Cause::Lapsed);
    assert_eq!(o.trigger_on, d("2026-09-16"));
    assert_eq!(o.due, d("2026-10-08"));
    assert_eq!(o.leaves_catalogue_on, d("2026-09-17"));
    assert!(r.skipped.is_empty());

    // Twice: nothing new.
    let again = t.sweep("2026-11-28");
    assert!(again.opened.is_empty(), "{again:#?}");
    assert!(again.skipped.is_empty());
    let n: i64 = t
        .store
        .conn
        .query_row("SELECT count(*) FROM cases WHERE kind = 'exit'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 1);

    // The case looks like any other in the queue: kind exit, an exit application, a checklist.
    let (kind, status, app, outcome): (String, String, String, String) = t
        .store
        .conn
        .query_row(
            "SELECT kind, status, application, outcome FROM cases WHERE case_no = 'GZ-2026-E-0001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!((kind.as_str(), status.as_str()), ("exit", "new"));
    assert_eq!(outcome, "needs_review");
    let app: serde_json::Value = serde_json::from_str(&app).unwrap();
    assert_eq!(app["format"], "pingshen.application/1");
    assert_eq!(app["exit"]["kind"], "automatic");
    assert_eq!(app["exit"]["trigger_on"], "2026-09-16");
    assert_eq!(app["occupations"][0]["code"], "4-10-01-06");
    pingshen::domain::validate::parse_application(
        &app.to_string(),
        &t.reference.divisions,
        Default::default(),
    )
    .expect("the stored application re-validates");
    let detail =
        pingshen::store::review::case_detail(&t.store.conn, &t.tester, "GZ-2026-E-0001").unwrap();
    let items: Vec<&str> = detail
        .checklist
        .iter()
        .map(|r| r.item_id.as_str())
        .collect();
    assert_eq!(items, ["E14", "E16.1", "E16.2", "E16.3"]);
    assert_eq!(detail.deadlines[0].0, "E14");
    assert_eq!(detail.deadlines[0].1, "2026-10-08");

    // The institution is exiting from the day after its period, in the audit log.
    assert_eq!(
        t.institution_state(1),
        ("exiting".to_string(), Some("2026-09-17".to_string()))
    );
    assert_eq!(t.institution_state(2).0, "active");
    assert_eq!(t.institution_state(3).0, "active");
    let audit = t.audit("institution", &code(1));
    let (action, before, after) = audit.last().unwrap();
    assert_eq!(action, "institution.status");
    assert_eq!(before["status"], "active");
    assert_eq!(after["status"], "exiting");
    assert_eq!(after["exited_on"], "2026-09-17");
    assert_eq!(after["article"], "第十四条");
    let case_audit = t.audit("case", "GZ-2026-E-0001");
    assert_eq!(case_audit[0].0, "case.sweep");
    assert_eq!(case_audit[0].2["cause"], "lapsed");
    assert_eq!(case_audit[0].2["wrap_up_due"], "2026-10-08");

    // The next day's sweep finds the one that ended on 11-28, numbered on.
    let r = t.sweep("2026-11-29");
    assert_eq!(r.opened.len(), 1);
    assert_eq!(r.opened[0].case_no, "GZ-2026-E-0002");
    assert_eq!(r.opened[0].credit_code, code(3));
    // 11-28 + 15 = 12-13, a Sunday: Monday 12-14.
    assert_eq!(r.opened[0].due, d("2026-12-14"));
}

#[test]
fn a_renewal_in_the_period_or_an_exit_under_way_is_not_swept() {
    let mut t = db();
    // A renewal application arrived before valid_to (and is still under review).
    let mut renewal = json!({
        "format": "pingshen.application/1",
        "case_no": "GZ-2026-R-0001",
        "kind": "renewal",
        "submitted_on": "2026-08-20",
        "institution": {
            "name": "贵阳测试1职业培训学校", "credit_code": code(1), "category": "social_org",
            "legal_form": "private_non_enterprise", "region": "520102",
            "valid_from": "2023-09-17", "valid_to": "2026-09-16"
        },
        "occupations": [ { "code": "4-10-01-06", "name": "家政服务员", "levels": [5, 4],
                           "certificates_declared": 700 } ],
        "materials": ["M11.1", "M11.2", "M11.3", "M11.5"]
    });
    t.import(&renewal);
    // A voluntary exit under way for another.
    t.institution(2, "520102", "2023-09-17", "2026-09-16");
    t.import(&exit_app(
        "GZ-2026-E-0100",
        2,
        json!({ "kind": "voluntary", "requested_on": "2026-08-01", "intended_end": "2026-09-15" }),
    ));
    // The exit application carries a period ending 2026-12-31; put the lapsed one back.
    t.store
        .conn
        .execute(
            "UPDATE institutions SET valid_to = '2026-09-16' WHERE credit_code = ?1",
            [code(2)],
        )
        .unwrap();
    let r = t.sweep("2026-11-28");
    assert!(r.opened.is_empty(), "{r:#?}");

    // A renewal that came after valid_to does not count: automatic exit.
    renewal["case_no"] = json!("GZ-2026-R-0002");
    renewal["institution"]["credit_code"] = json!(code(3));
    renewal["submitted_on"] = json!("2026-09-20");
    t.import(&renewal);
    let r = t.sweep("2026-11-28");
    assert_eq!(r.opened.len(), 1);
    assert_eq!(r.opened[0].credit_code, code(3));
}

#[test]
fn a_refused_renewal_opens_an_automatic_exit() {
    let mut t = db();
    let renewal = json!({
        "format": "pingshen.application/1",
        "case_no": "GZ-2026-R-0001",
        "kind": "renewal",
        "submitted_on": "2026-10-20",
        "institution": {
            "name": "贵阳测试1职业培训学校", "credit_code": code(1), "category": "social_org",
            "legal_form": "private_non_enterprise", "region": "520102",
            "valid_from": "2024-01-01", "valid_to": "2026-12-31"
        },
        "occupations": [ { "code": "4-10-01-06", "name": "家政服务员", "levels": [5, 4],
                           "certificates_declared": 50 } ],
        "materials": ["M11.1", "M11.2", "M11.3", "M11.5"]
    });
    t.import(&renewal);
    // Not decided yet: nothing to sweep.
    assert!(t.sweep("2026-11-28").opened.is_empty());
    // Refused through the desk (two persons); the refusal date is today.
    t.decide("GZ-2026-R-0001", "reject");
    let today = chrono::Local::now().date_naive();
    assert_eq!(
        t.institution_state(1).0,
        "active",
        "a refusal alone changes nothing"
    );
    let r = exits::sweep(&t.store.conn, "tester", today, t.refs()).unwrap();
    assert_eq!(r.opened.len(), 1, "{r:#?}");
    let o = &r.opened[0];
    assert_eq!(o.cause, Cause::Refused);
    assert_eq!(o.trigger_on, today);
    assert_eq!(o.source_case.as_deref(), Some("GZ-2026-R-0001"));
    assert_eq!(
        o.due,
        t.reference.calendar.period_end(today, 15).due,
        "15 days from the refusal"
    );
    assert_eq!(t.institution_state(1).0, "exiting");
    // Twice: nothing.
    assert!(exits::sweep(&t.store.conn, "tester", today, t.refs())
        .unwrap()
        .opened
        .is_empty());
    let v = exits::exit_view(
        &t.store.conn,
        None,
        &o.case_no,
        today,
        &t.reference.calendar,
        &t.reference.rules,
    )
    .unwrap();
    assert_eq!(v.facts.cause, Cause::Refused);
    assert_eq!(v.facts.source_case.as_deref(), Some("GZ-2026-R-0001"));
    assert_eq!(v.facts.opened_by, "sweep");
}

#[test]
fn rejecting_a_swept_exit_makes_the_institution_active_and_it_is_not_swept_again() {
    let t = db();
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    let r = t.sweep("2026-11-28");
    let case_no = r.opened[0].case_no.clone();
    t.decide(&case_no, "reject");
    assert_eq!(t.institution_state(1), ("active".to_string(), None));
    let audit = t.audit("institution", &code(1));
    let (action, before, after) = audit.last().unwrap();
    assert_eq!(action, "institution.status");
    assert_eq!(
        (before["status"].as_str(), after["status"].as_str()),
        (Some("exiting"), Some("active"))
    );
    assert!(t.sweep("2026-11-28").opened.is_empty());
    // No deadline of a rejected exit is open.
    let open =
        exits::open_deadlines(&t.store.conn, None, d("2026-11-28"), &t.reference.calendar).unwrap();
    assert!(open.is_empty(), "{open:#?}");
}

#[test]
fn steps_in_order_and_the_case_closes_only_when_all_are_done() {
    let t = db();
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    let case_no = t.sweep("2026-11-28").opened[0].case_no.clone();
    let today = d("2026-11-28");
    let rec =
        |s: StepInput<'_>| exits::record_step(&t.store.conn, &t.tester, &case_no, None, s, today);
    let step_err = |e: anyhow::Error| -> StepError {
        e.downcast::<StepError>()
            .unwrap_or_else(|e| panic!("expected a StepError, got {e:#}"))
    };

    // Archiving before the certificates are reported: refused, naming what is missing.
    let e = step_err(rec(step(Step::FilesArchived, "2026-10-05", None)).unwrap_err());
    assert!(
        matches!(
            e,
            StepError::OutOfOrder {
                missing: Step::CertificatesReported,
                ..
            }
        ),
        "{e}"
    );
    // The announcement is for ordered exits only.
    let e = step_err(rec(step(Step::Announced, "2026-10-05", Some("x"))).unwrap_err());
    assert!(matches!(e, StepError::NotForKind { .. }));
    // Not in the future.
    let e = step_err(rec(step(Step::CertificatesReported, "2026-11-29", None)).unwrap_err());
    assert!(matches!(e, StepError::InFuture { .. }));

    let out = rec(step(Step::CertificatesReported, "2026-10-05", None)).unwrap();
    assert_eq!(out.next, Some(Step::FilesArchived));
    assert!(out.deadline_done.is_none());
    // Not before the step before it.
    let e = step_err(rec(step(Step::FilesArchived, "2026-10-04", None)).unwrap_err());
    assert!(matches!(e, StepError::BeforePrevious { .. }));
    let out = rec(step(Step::FilesArchived, "2026-10-09", None)).unwrap();
    // The wrap-up is complete: E14 (due 10-08) done on 10-09, one day late.
    assert_eq!(
        out.deadline_done,
        Some(("E14".to_string(), d("2026-10-09")))
    );
    let e = step_err(rec(step(Step::FilesArchived, "2026-10-09", None)).unwrap_err());
    assert!(matches!(e, StepError::AlreadyDone { .. }));

    // Art. 16 waits for the decision.
    let e = step_err(
        rec(step(
            Step::TerminationNotice,
            "2026-10-20",
            Some("黔人社评终〔2026〕1号"),
        ))
        .unwrap_err(),
    );
    assert!(matches!(e, StepError::NotDecided { .. }));
    t.decide(&case_no, "approve");
    assert_eq!(
        t.institution_state(1).0,
        "exiting",
        "already exiting since the sweep"
    );
    let e = step_err(rec(step(Step::TerminationNotice, "2026-10-20", None)).unwrap_err());
    assert!(matches!(e, StepError::NeedsNumber { .. }));
    let out = rec(step(
        Step::TerminationNotice,
        "2026-10-20",
        Some(" 黔人社评终〔2026〕1号 "),
    ))
    .unwrap();
    assert!(!out.closed);
    // Skipping the ministry filing: refused.
    let e = step_err(rec(step(Step::WebsiteUpdated, "2026-10-22", None)).unwrap_err());
    assert!(matches!(
        e,
        StepError::OutOfOrder {
            missing: Step::MinistryFiled,
            ..
        }
    ));
    let out = rec(step(Step::MinistryFiled, "2026-10-21", None)).unwrap();
    assert!(!out.closed);
    let status: String = t
        .store
        .conn
        .query_row(
            "SELECT status FROM cases WHERE case_no = ?1",
            [&case_no],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "decided", "open while a step is missing");
    assert_eq!(t.institution_state(1).0, "exiting");

    let out = rec(step(Step::WebsiteUpdated, "2026-10-22", None)).unwrap();
    assert!(out.closed);
    assert_eq!(out.next, None);
    // Each art. 16 step marked its checklist item, by the account that recorded it.
    type Mark = (String, Option<String>, Option<String>, Option<String>);
    let marks: Vec<Mark> = t
        .store
        .conn
        .prepare(
            "SELECT k.item_id, k.mark, k.marked_by, k.note FROM checklist k
             JOIN cases c ON c.id = k.case_id
             WHERE c.case_no = ?1 AND k.item_id LIKE 'E16.%' ORDER BY k.item_id",
        )
        .unwrap()
        .query_map([&case_no], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let pass = Some("pass".to_string());
    let by = Some(t.tester.account.clone());
    assert_eq!(
        marks,
        vec![
            (
                "E16.1".into(),
                pass.clone(),
                by.clone(),
                Some("2026-10-20 黔人社评终〔2026〕1号".into())
            ),
            (
                "E16.2".into(),
                pass.clone(),
                by.clone(),
                Some("2026-10-21".into())
            ),
            ("E16.3".into(), pass, by, Some("2026-10-22".into())),
        ]
    );
    assert_eq!(out.institution_status, "exited");
    let status: String = t
        .store
        .conn
        .query_row(
            "SELECT status FROM cases WHERE case_no = ?1",
            [&case_no],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "closed");
    assert_eq!(
        t.institution_state(1),
        ("exited".to_string(), Some("2026-09-17".to_string()))
    );
    // Closed: nothing more.
    let e = rec(step(Step::WebsiteUpdated, "2026-10-22", None)).unwrap_err();
    assert!(matches!(
        e.downcast_ref::<ReviewError>(),
        Some(ReviewError::Invalid(_))
    ));

    // The record: each step, the close, and the institution exiting then exited.
    let actions: Vec<String> = t.audit("case", &case_no).into_iter().map(|a| a.0).collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "exit.step").count(),
        5,
        "{actions:?}"
    );
    assert_eq!(actions.last().map(String::as_str), Some("case.close"));
    let inst = t.audit("institution", &code(1));
    let statuses: Vec<(String, String)> = inst
        .iter()
        .filter(|a| a.0 == "institution.status")
        .map(|a| {
            (
                a.1["status"].as_str().unwrap_or("").to_string(),
                a.2["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("active".to_string(), "exiting".to_string()),
            ("exiting".to_string(), "exited".to_string())
        ]
    );
    let step_entry = t
        .audit("case", &case_no)
        .into_iter()
        .find(|a| a.0 == "exit.step" && a.2["step"] == "termination_notice")
        .unwrap();
    assert_eq!(step_entry.2["number"], "黔人社评终〔2026〕1号");
    assert_eq!(
        step_entry.1["steps"],
        json!(["certificates_reported", "files_archived"])
    );

    // A notice number is used once.
    t.institution(2, "520102", "2023-09-17", "2026-09-16");
    let other = t.sweep("2026-11-28").opened[0].case_no.clone();
    for (s, on) in [
        (Step::CertificatesReported, "2026-10-05"),
        (Step::FilesArchived, "2026-10-06"),
    ] {
        exits::record_step(
            &t.store.conn,
            &t.tester,
            &other,
            None,
            step(s, on, None),
            today,
        )
        .unwrap();
    }
    t.decide(&other, "approve");
    let e = exits::record_step(
        &t.store.conn,
        &t.tester,
        &other,
        None,
        step(
            Step::TerminationNotice,
            "2026-10-20",
            Some("黔人社评终〔2026〕1号"),
        ),
        today,
    )
    .unwrap_err();
    assert!(e.to_string().contains(&case_no), "{e}");
}

#[test]
fn a_county_reviewer_records_steps_only_in_their_county() {
    let t = db();
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    let case_no = t.sweep("2026-11-28").opened[0].case_no.clone();
    for (account, region) in [("nanming", "520102"), ("huaxi", "520111")] {
        pingshen::store::reviewers::upsert(
            &t.store.conn,
            "setup",
            &pingshen::store::reviewers::Reviewer {
                account: account.into(),
                role: "reviewer".into(),
                region: region.into(),
            },
        )
        .unwrap();
    }
    let actor = |a: &str| pingshen::store::review::actor(&t.store.conn, a).unwrap();
    let e = exits::record_step(
        &t.store.conn,
        &actor("huaxi"),
        &case_no,
        None,
        step(Step::CertificatesReported, "2026-10-05", None),
        d("2026-11-28"),
    )
    .unwrap_err();
    assert!(matches!(
        e.downcast_ref::<ReviewError>(),
        Some(ReviewError::NotFound(_))
    ));
    exits::record_step(
        &t.store.conn,
        &actor("nanming"),
        &case_no,
        None,
        step(Step::CertificatesReported, "2026-10-05", None),
        d("2026-11-28"),
    )
    .unwrap();
    // A stale version is a conflict that names who changed the case.
    let e = exits::record_step(
        &t.store.conn,
        &actor("nanming"),
        &case_no,
        Some(1),
        step(Step::FilesArchived, "2026-10-06", None),
        d("2026-11-28"),
    )
    .unwrap_err();
    match e.downcast_ref::<ReviewError>() {
        Some(ReviewError::Conflict { by, .. }) => assert_eq!(by.as_deref(), Some("nanming")),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn voluntary_and_ordered_exits_take_effect_when_approved() {
    let mut t = db();
    // Voluntary: requested 09-01 for 10-31, 60 days' notice; E13 due on the end date.
    t.import(&exit_app(
        "GZ-2026-E-0101",
        1,
        json!({ "kind": "voluntary", "requested_on": "2026-09-01", "intended_end": "2026-10-31" }),
    ));
    // Ordered: the office's deadline comes later, with the violations.
    t.import(&exit_app(
        "GZ-2026-E-0102",
        2,
        json!({ "kind": "ordered", "requested_on": "2026-09-01" }),
    ));
    assert_eq!(t.institution_state(1), ("active".to_string(), None));
    let v = exits::exit_view(
        &t.store.conn,
        None,
        "GZ-2026-E-0101",
        d("2026-10-26"),
        &t.reference.calendar,
        &t.reference.rules,
    )
    .unwrap();
    assert_eq!(v.facts.kind, ExitKind::Voluntary);
    assert_eq!(v.article, "第十三条");
    let notice = v.notice.unwrap();
    assert!(notice.ok && notice.days == 60, "{notice:?}");
    assert_eq!(v.deadlines[0].item, "E13");
    assert_eq!(v.deadlines[0].due, d("2026-10-31"));
    assert!(v.deadlines[0].status.due_this_week);
    assert_eq!(v.next, Some(Step::CertificatesReported));

    t.decide("GZ-2026-E-0101", "approve");
    assert_eq!(
        t.institution_state(1),
        ("exiting".to_string(), Some("2026-11-01".to_string()))
    );

    // Ordered: violations and the deadline recorded, then decided; removed on the decision day.
    let e =
        exits::set_order(&t.store.conn, &t.tester, "GZ-2026-E-0101", Some("x"), None).unwrap_err();
    assert!(e.to_string().contains("ordered exit"), "{e}");
    exits::set_order(
        &t.store.conn,
        &t.tester,
        "GZ-2026-E-0102",
        Some("伪造考核记录，违规发放证书"),
        Some(d("2026-12-31")),
    )
    .unwrap();
    let open =
        exits::open_deadlines(&t.store.conn, None, d("2026-11-28"), &t.reference.calendar).unwrap();
    let e15 = open.iter().find(|o| o.case_no == "GZ-2026-E-0102").unwrap();
    assert_eq!(e15.item, "E15");
    assert_eq!(e15.status.due, d("2026-12-31"));
    assert_eq!(e15.exit_kind, Some(ExitKind::Ordered));
    t.decide("GZ-2026-E-0102", "approve");
    // Decided: the grounds stay as approved; the office's deadline may still move.
    let e = exits::set_order(
        &t.store.conn,
        &t.tester,
        "GZ-2026-E-0102",
        Some("另一事实"),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot change"), "{e}");
    exits::set_order(
        &t.store.conn,
        &t.tester,
        "GZ-2026-E-0102",
        None,
        Some(d("2027-01-15")),
    )
    .unwrap();
    let today = chrono::Local::now().date_naive().to_string();
    assert_eq!(t.institution_state(2), ("exiting".to_string(), Some(today)));
    // Its first step is the announcement.
    let e = exits::record_step(
        &t.store.conn,
        &t.tester,
        "GZ-2026-E-0102",
        None,
        step(Step::CertificatesReported, "2026-11-20", None),
        d("2026-11-28"),
    )
    .unwrap_err();
    assert!(matches!(
        e.downcast_ref::<StepError>(),
        Some(StepError::OutOfOrder {
            missing: Step::Announced,
            ..
        })
    ));
    exits::record_step(
        &t.store.conn,
        &t.tester,
        "GZ-2026-E-0102",
        None,
        step(Step::Announced, "2026-11-20", Some("黔人社公告〔2026〕3号")),
        d("2026-11-28"),
    )
    .unwrap();
}

#[test]
fn open_deadlines_across_the_2026_holidays() {
    let mut t = db();
    // E14 from triggers before the holidays, as the sweep computes them.
    t.institution(1, "520102", "2023-09-17", "2026-09-16"); // due 10-08 (National Day)
    t.institution(2, "520302", "2023-09-11", "2026-09-10"); // due 09-28 (Mid-Autumn)
    t.institution(3, "520102", "2023-09-06", "2026-09-05"); // due 09-20 (make-up Sunday)
    t.sweep("2026-09-25");
    // E13 on the intended end; and a deadline in 2027, a year the calendar lacks.
    t.import(&exit_app(
        "GZ-2026-E-0101",
        4,
        json!({ "kind": "voluntary", "requested_on": "2026-09-01", "intended_end": "2026-10-02" }),
    ));
    t.import(&exit_app(
        "GZ-2026-E-0102",
        5,
        json!({ "kind": "voluntary", "requested_on": "2026-09-01", "intended_end": "2027-01-15" }),
    ));

    // Monday 09-28.
    let today = d("2026-09-28");
    let open = exits::open_deadlines(&t.store.conn, None, today, &t.reference.calendar).unwrap();
    let rows: Vec<(String, i64, i64, String)> = open
        .iter()
        .map(|o| {
            (
                o.status.due.to_string(),
                o.status.calendar_days_left,
                o.status.working_days_left,
                o.status.flag(true),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            // Due 09-20 (a make-up Sunday, a working day): 8 days ago, 5 working days (09-25..27
            // are the Mid-Autumn holiday).
            ("2026-09-20".to_string(), -8, -5, "逾期 8 日".to_string()),
            ("2026-09-28".to_string(), 0, 0, "今日到期".to_string()),
            // Friday 10-02 is in National Day: 4 calendar days, 2 working days (09-29, 09-30).
            ("2026-10-02".to_string(), 4, 2, "本周到期".to_string()),
            // Thursday 10-08: 10 days, 3 working days (09-29, 09-30, 10-08).
            ("2026-10-08".to_string(), 10, 3, String::new()),
            ("2027-01-15".to_string(), 109, 75, String::new()),
        ]
    );
    assert!(open[..4].iter().all(|o| o.status.unknown_years.is_empty()));
    assert_eq!(open[4].status.unknown_years, vec![2027]);
    assert!(open[4].status.warnings(true)[0].contains("2027"));
    assert_eq!(open[3].item, "E14");
    assert_eq!(open[3].credit_code, code(1));
    assert_eq!(open[2].item, "E13");

    // A prefecture sees its own: Zunyi (520300) has only institution 2.
    let zunyi =
        exits::open_deadlines(&t.store.conn, Some("520300"), today, &t.reference.calendar).unwrap();
    assert_eq!(zunyi.len(), 1);
    assert_eq!(zunyi[0].credit_code, code(2));

    // Once the wrap-up is recorded, the deadline is no longer open.
    let case_no = open[0].case_no.clone();
    for (s, on) in [
        (Step::CertificatesReported, "2026-09-18"),
        (Step::FilesArchived, "2026-09-19"),
    ] {
        exits::record_step(
            &t.store.conn,
            &t.tester,
            &case_no,
            None,
            step(s, on, None),
            today,
        )
        .unwrap();
    }
    let open = exits::open_deadlines(&t.store.conn, None, today, &t.reference.calendar).unwrap();
    assert_eq!(open.len(), 4);
    assert!(open.iter().all(|o| o.case_no != case_no));
}
