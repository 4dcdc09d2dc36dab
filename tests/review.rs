//! The review desk's store: marks and overrides, outcome recomputed, proposals and the
//! two-person rule (in code and in the schema), approvals and their consequences, send back,
//! optimistic concurrency between two connections, region scope, drafts, `reviewer add`,
//! and the queue over 20,000 cases.

mod common;
use chrono::{Days, Months, NaiveDate};
use pingshen::commands::reviewer;
use pingshen::domain::credit_code;
use pingshen::domain::evaluate::ItemResult;
use pingshen::domain::validate::{parse_application, ValidateOptions};
use pingshen::store::review::{self, Actor, Mark, Proposal, QueueFilter, QueueSort, ReviewError};
use pingshen::store::{cases, reviewers, Store};
use serde_json::{json, Value};
use std::path::Path;

fn open(dir: &Path) -> Store {
    Store::open(&dir.join("r.db")).unwrap()
}

fn add_reviewer(store: &Store, account: &str, role: &str, region: &str) -> Actor {
    let rv = reviewers::Reviewer {
        account: account.into(),
        role: role.into(),
        region: region.into(),
    };
    reviewers::upsert(&store.conn, "setup", &rv).unwrap();
    review::actor(&store.conn, account).unwrap()
}

/// A valid credit code for the n-th test institution.
fn code(n: u32) -> String {
    credit_code::complete(&format!("52520102MA6D{n:04}")).unwrap()
}

/// Imports an application as `cases::insert` does, evaluated by the domain; returns the id.
fn import(store: &mut Store, v: &Value) -> i64 {
    let reference = common::reference();
    let (app, _) = parse_application(
        &v.to_string(),
        &reference.divisions,
        ValidateOptions::default(),
    )
    .unwrap();
    let ev = common::eval_with(v, &reference, None);
    let tx = store.conn.transaction().unwrap();
    let id = cases::insert(&tx, "importer", &app, &ev, "new").unwrap();
    tx.commit().unwrap();
    id
}

/// A social organisation's selection case in `region`.
fn selection(case_no: &str, n: u32, region: &str) -> Value {
    let mut v = common::selection_social_org();
    v["case_no"] = json!(case_no);
    v["institution"]["credit_code"] = json!(code(n));
    v["institution"]["region"] = json!(region);
    v
}

fn review_err(e: &anyhow::Error) -> &ReviewError {
    e.downcast_ref::<ReviewError>()
        .unwrap_or_else(|| panic!("expected a ReviewError, got: {e:#}"))
}

/// Marks every unresolved item pass (judgements, not overrides); returns the new version.
fn resolve_all(store: &Store, actor: &Actor, case_no: &str) -> i64 {
    let d = review::case_detail(&store.conn, actor, case_no).unwrap();
    let mut v = d.version;
    for r in d.checklist.iter().filter(|r| !r.resolved()) {
        v = review::mark_item(
            &store.conn,
            actor,
            d.id,
            v,
            &r.item_id,
            r.occupation.as_deref(),
            Some(Mark::Pass),
            None,
        )
        .unwrap();
    }
    v
}

fn last_audit(store: &Store, case_no: &str) -> pingshen::store::audit::Row {
    pingshen::store::audit::for_entity(&store.conn, "case", case_no)
        .unwrap()
        .pop()
        .unwrap()
}

#[test]
fn marks_overrides_and_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let mut v = selection("GZ-2026-S-0001", 1, "520102");
    v["occupations"][0]["training_volume"] = json!(850);
    let id = import(&mut store, &v);
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.outcome.as_str(), d.version),
        ("new", "ineligible", 1)
    );
    let a63 = d.checklist.iter().find(|r| r.item_id == "A6.3").unwrap();
    assert_eq!(a63.auto_result, ItemResult::Fail);
    assert!(
        a63.resolved(),
        "an automatic fail is settled until someone marks it"
    );

    // Override without a reason: refused, and nothing written.
    let occ = Some("4-10-01-06");
    for reason in [None, Some("   ")] {
        let e = review::mark_item(
            &store.conn,
            &r1,
            id,
            1,
            "A6.3",
            occ,
            Some(Mark::Pass),
            reason,
        )
        .unwrap_err();
        assert_eq!(
            review_err(&e),
            &ReviewError::Invalid("overriding an automatic result needs a written reason".into())
        );
    }
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.version),
        ("new", 1),
        "a refused write leaves no trace"
    );

    // With a reason: stored, the case taken into review by r1, the outcome recomputed.
    let reason = "核查社保缴费记录，实际培训规模1030人次";
    let v2 = review::mark_item(
        &store.conn,
        &r1,
        id,
        1,
        "A6.3",
        occ,
        Some(Mark::Pass),
        Some(reason),
    )
    .unwrap();
    assert_eq!(v2, 2);
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.version, 2);
    assert_eq!(d.status, "in_review");
    assert_eq!(d.assigned_to.as_deref(), Some("r1"));
    assert_eq!(d.outcome, "needs_review", "judgement items remain");
    let a63 = d.checklist.iter().find(|r| r.item_id == "A6.3").unwrap();
    assert_eq!(a63.mark, Some(Mark::Pass));
    assert_eq!(a63.effective(), ItemResult::Pass);
    assert_eq!(a63.override_reason.as_deref(), Some(reason));
    assert_eq!(a63.marked_by.as_deref(), Some("r1"));
    assert!(a63.marked_at.is_some());
    let a = last_audit(&store, "GZ-2026-S-0001");
    assert_eq!(
        (a.account.as_str(), a.action.as_str()),
        ("r1", "case.override")
    );
    let before: Value = serde_json::from_str(a.before.as_deref().unwrap()).unwrap();
    let after: Value = serde_json::from_str(a.after.as_deref().unwrap()).unwrap();
    assert_eq!(before["mark"], Value::Null);
    assert_eq!(after["mark"], "pass");
    assert_eq!(after["override_reason"], reason);
    assert_eq!(
        (before["outcome"].as_str(), after["outcome"].as_str()),
        (Some("ineligible"), Some("needs_review"))
    );
    assert_eq!(
        (before["status"].as_str(), after["status"].as_str()),
        (Some("new"), Some("in_review"))
    );
    assert_eq!(after["assigned_to"], "r1");

    // Failing an automatic pass is an override too.
    let e = review::mark_item(
        &store.conn,
        &r1,
        id,
        2,
        "A6.5",
        None,
        Some(Mark::Fail),
        None,
    )
    .unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::Invalid(_)));
    // A supplement mark keeps the item open; judging a review item needs no reason.
    let v3 = review::mark_item(
        &store.conn,
        &r1,
        id,
        2,
        "A6.1",
        None,
        Some(Mark::Supplement),
        None,
    )
    .unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    let a61 = d.checklist.iter().find(|r| r.item_id == "A6.1").unwrap();
    assert_eq!(
        (a61.effective(), a61.resolved()),
        (ItemResult::Review, false)
    );
    let reasons = review::compose_reasons(&d, false);
    assert!(
        reasons.lines().any(|l| l.starts_with("A6.1: ")),
        "{reasons}"
    );

    // An item that is not on the checklist is named.
    let e = review::mark_item(
        &store.conn,
        &r1,
        id,
        v3,
        "A9.9",
        None,
        Some(Mark::Pass),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("A9.9"), "{e}");

    // Every item judged: eligible. Un-marking the override brings the fail back.
    let v4 = resolve_all(&store, &r1, "GZ-2026-S-0001");
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.outcome, "eligible");
    assert!(d.checklist.iter().all(|r| r.resolved()));
    review::mark_item(&store.conn, &r1, id, v4, "A6.3", occ, None, None).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.outcome, "ineligible");
    let a63 = d.checklist.iter().find(|r| r.item_id == "A6.3").unwrap();
    assert_eq!((a63.mark, a63.override_reason.as_deref()), (None, None));
    let reasons = review::compose_reasons(&d, false);
    assert!(
        reasons.contains("A6.3 4-10-01-06: ") && reasons.contains("850"),
        "{reasons}"
    );
    let reasons_zh = review::compose_reasons(&d, true);
    assert!(reasons_zh.contains("850 < 1000"), "{reasons_zh}");
}

#[test]
fn propose_approve_and_the_two_person_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let a1 = add_reviewer(&store, "a1", "approver", "520100");
    let a2 = add_reviewer(&store, "a2", "approver", "520000");
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let id = import(&mut store, &selection("GZ-2026-S-0001", 1, "520102"));
    let approve = Proposal {
        decision: "approve".into(),
        occupations: vec![],
        reasons: String::new(),
    };

    // Not while judgements are open.
    let e = review::propose(&store.conn, &a1, id, 1, &approve).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(review_err(&e), ReviewError::Invalid(_)));
    assert!(msg.contains("items are unresolved: A6.1"), "{msg}");
    // Asking for supplementary material needs no settled checklist, but reasons.
    let sup = Proposal {
        decision: "supplement".into(),
        occupations: vec![],
        reasons: String::new(),
    };
    let e = review::propose(&store.conn, &a1, id, 1, &sup).unwrap_err();
    assert!(e.to_string().contains("reasons"), "{e}");

    let v = resolve_all(&store, &a1, "GZ-2026-S-0001");
    // An occupation the case does not apply for cannot be granted.
    let bad = Proposal {
        decision: "approve_partial".into(),
        occupations: vec!["4-10-01-99".into()],
        reasons: "x".into(),
    };
    let e = review::propose(&store.conn, &a1, id, v, &bad).unwrap_err();
    assert!(e.to_string().contains("4-10-01-99"), "{e}");
    let v = review::propose(&store.conn, &a1, id, v, &approve).unwrap();
    let d = review::case_detail(&store.conn, &a1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.status, "proposed");
    assert_eq!(d.proposed_by.as_deref(), Some("a1"));
    let p = d.proposal.clone().unwrap();
    assert_eq!(
        (p.decision.as_str(), p.occupations.clone()),
        ("approve", vec!["4-10-01-06".to_string()])
    );
    // The checklist is frozen while a proposal waits.
    let e = review::mark_item(
        &store.conn,
        &a1,
        id,
        v,
        "A6.1",
        None,
        Some(Mark::Fail),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("proposed"), "{e}");

    // A reviewer cannot approve; the proposer cannot approve their own proposal.
    let e = review::approve(&store.conn, &r1, id, v, 3).unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::Forbidden(_)), "{e}");
    let e = review::approve(&store.conn, &a1, id, v, 3).unwrap_err();
    assert_eq!(
        review_err(&e),
        &ReviewError::Forbidden(
            "two-person rule: the reviewer who proposed a decision cannot approve it".into()
        )
    );
    // Nor by going round the code: the schema refuses it.
    let e = store
        .conn
        .execute(
            "UPDATE cases SET decided_by = proposed_by, status = 'decided' WHERE id = ?1",
            [id],
        )
        .unwrap_err();
    assert!(e.to_string().contains("two-person rule"), "{e}");
    let d = review::case_detail(&store.conn, &a1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.decided_by.as_deref(), d.version),
        ("proposed", None, v)
    );

    // Another approver: decided, and the applicant is recognised for a period.
    let v2 = review::approve(&store.conn, &a2, id, v, 3).unwrap();
    assert_eq!(v2, v + 1);
    let d = review::case_detail(&store.conn, &a2, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.decided_by.as_deref()),
        ("decided", Some("a2"))
    );
    assert_eq!(d.institution_status, "active");
    let (from, to): (String, String) = store
        .conn
        .query_row(
            "SELECT valid_from, valid_to FROM institutions WHERE credit_code = ?1",
            [code(1)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let today = chrono::Local::now().date_naive();
    assert_eq!(from, today.to_string());
    let end = today
        .checked_add_months(Months::new(36))
        .unwrap()
        .checked_sub_days(Days::new(1))
        .unwrap();
    assert_eq!(to, end.to_string());
    let granted: Vec<String> = store
        .conn
        .prepare("SELECT code FROM institution_occupations o JOIN institutions i ON i.id = o.institution_id WHERE i.credit_code = ?1")
        .unwrap()
        .query_map([code(1)], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(granted, vec!["4-10-01-06"]);
    let h = review::history(&store.conn, &a2, "GZ-2026-S-0001").unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.account.as_str(), last.action.as_str()),
        ("a2", "case.decide")
    );
    let inst_log =
        pingshen::store::audit::for_entity(&store.conn, "institution", &code(1)).unwrap();
    assert!(inst_log
        .iter()
        .any(|r| r.action == "institution.status" && r.account == "a2"));
    assert!(inst_log
        .iter()
        .any(|r| r.action == "institution.period" && r.account == "a2"));
    // Decided: nothing more to approve.
    let e = review::approve(&store.conn, &a1, id, v2, 3).unwrap_err();
    assert!(e.to_string().contains("not proposed"), "{e}");
}

#[test]
fn renewal_extends_the_period_and_rejection_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520000");
    let a2 = add_reviewer(&store, "a2", "admin", "520000");
    let id = import(&mut store, &common::renewal("social_org", &[600, 100]));
    let v = resolve_all(&store, &r1, "GZ-2026-R-0001");
    let v = review::propose(
        &store.conn,
        &r1,
        id,
        v,
        &Proposal {
            decision: "approve".into(),
            occupations: vec![],
            reasons: String::new(),
        },
    )
    .unwrap();
    review::approve(&store.conn, &a2, id, v, 3).unwrap();
    let (from, to, status): (String, String, String) = store
        .conn
        .query_row(
            "SELECT valid_from, valid_to, status FROM institutions WHERE credit_code = '52520102MA6DK7Q11C'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (from.as_str(), to.as_str(), status.as_str()),
        ("2026-12-01", "2029-11-30", "active")
    );

    // A selection proposed for rejection and approved: the applicant is refused.
    let id = import(&mut store, &selection("GZ-2026-S-0002", 2, "520102"));
    let v = resolve_all(&store, &r1, "GZ-2026-S-0002");
    let reject = Proposal {
        decision: "reject".into(),
        occupations: vec!["4-10-01-06".into()],
        reasons: "现场核查不符".into(),
    };
    let v = review::propose(&store.conn, &r1, id, v, &reject).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0002").unwrap();
    assert!(
        d.proposal.unwrap().occupations.is_empty(),
        "a rejection grants nothing"
    );
    review::approve(&store.conn, &a2, id, v, 3).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0002").unwrap();
    assert_eq!(
        (d.status.as_str(), d.institution_status.as_str()),
        ("decided", "refused")
    );
}

#[test]
fn send_back_returns_the_case_to_review() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let a2 = add_reviewer(&store, "a2", "approver", "520100");
    let id = import(&mut store, &selection("GZ-2026-S-0001", 1, "520102"));
    let v = resolve_all(&store, &r1, "GZ-2026-S-0001");
    let p = Proposal {
        decision: "approve".into(),
        occupations: vec![],
        reasons: "符合条件".into(),
    };
    let v = review::propose(&store.conn, &r1, id, v, &p).unwrap();

    let e = review::send_back(&store.conn, &r1, id, v, "no").unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::Forbidden(_)));
    let e = review::send_back(&store.conn, &a2, id, v, "  ").unwrap_err();
    assert!(e.to_string().contains("reason"), "{e}");
    let v2 = review::send_back(
        &store.conn,
        &a2,
        id,
        v,
        "A6.7b 办公设备证明不清晰，请补充核查",
    )
    .unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!((d.status.as_str(), d.version), ("in_review", v2));
    assert!(d.proposal.is_none() && d.proposed_by.is_none());
    let a = last_audit(&store, "GZ-2026-S-0001");
    assert_eq!(
        (a.account.as_str(), a.action.as_str()),
        ("a2", "case.send_back")
    );
    let before: Value = serde_json::from_str(a.before.as_deref().unwrap()).unwrap();
    assert_eq!(
        before["proposal"]["reasons"], "符合条件",
        "the proposal lives on in the log"
    );
    assert_eq!(before["proposed_by"], "r1");
    // The reviewer can propose again.
    review::propose(&store.conn, &r1, id, v2, &p).unwrap();
}

#[test]
fn concurrent_writes_first_wins_second_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let r2 = add_reviewer(&store, "r2", "reviewer", "520000");
    let id = import(&mut store, &selection("GZ-2026-S-0001", 1, "520102"));
    let other = Store::open(&dir.path().join("r.db")).unwrap();

    let seen1 = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001")
        .unwrap()
        .version;
    let seen2 = review::case_detail(&other.conn, &r2, "GZ-2026-S-0001")
        .unwrap()
        .version;
    assert_eq!(seen1, seen2);
    review::set_note(&store.conn, &r1, id, seen1, None, "申报材料已初审").unwrap();
    let e = review::mark_item(
        &other.conn,
        &r2,
        id,
        seen2,
        "A6.1",
        None,
        Some(Mark::Fail),
        None,
    )
    .unwrap_err();
    let err = review_err(&e);
    let ReviewError::Conflict { case_no, by, at } = err else {
        panic!("expected a conflict, got {err:?}");
    };
    assert_eq!(
        (case_no.as_str(), by.as_deref()),
        ("GZ-2026-S-0001", Some("r1"))
    );
    assert!(at.is_some());
    let msg = e.to_string();
    assert!(
        msg.starts_with("case GZ-2026-S-0001 was changed by r1 at "),
        "{msg}"
    );
    assert!(
        msg.contains("your change was not saved") && msg.contains("reload (r)"),
        "{msg}"
    );

    // The first write is whole; the second left nothing.
    let d = review::case_detail(&other.conn, &r2, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.version, seen1 + 1);
    assert_eq!(d.note.as_deref(), Some("申报材料已初审"));
    assert_eq!(d.assigned_to.as_deref(), Some("r1"));
    assert!(d.checklist.iter().all(|r| r.mark.is_none()));
    // Reloaded, the second reviewer's write goes through.
    review::mark_item(
        &other.conn,
        &r2,
        id,
        d.version,
        "A6.1",
        None,
        Some(Mark::Fail),
        None,
    )
    .unwrap();
}

#[test]
fn region_scope_in_every_query_and_action() {
    assert_eq!(review::scope_prefix("520000"), "52");
    assert_eq!(review::scope_prefix("520100"), "5201");
    assert_eq!(review::scope_prefix("520102"), "520102");
    assert_eq!(
        review::scope_prefix("000000"),
        "00",
        "never widens to everything"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let gy = add_reviewer(&store, "gy", "reviewer", "520100");
    let prov = add_reviewer(&store, "prov", "admin", "520000");
    let hhg = add_reviewer(&store, "hhg", "approver", "520302");
    import(&mut store, &selection("GZ-2026-S-0001", 1, "520102"));
    import(&mut store, &selection("GZ-2026-S-0002", 2, "520103"));
    let zunyi = import(&mut store, &selection("GZ-2026-S-0003", 3, "520302"));

    let all = QueueFilter::default();
    let nos = |a: &Actor, f: &QueueFilter| -> Vec<String> {
        review::queue_page(&store.conn, a, f, QueueSort::CaseNo, 0, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.case_no)
            .collect()
    };
    assert_eq!(nos(&gy, &all), vec!["GZ-2026-S-0001", "GZ-2026-S-0002"]);
    assert_eq!(review::queue_count(&store.conn, &gy, &all).unwrap(), 2);
    assert_eq!(nos(&prov, &all).len(), 3);
    assert_eq!(nos(&hhg, &all), vec!["GZ-2026-S-0003"]);
    // A filter narrows the scope, never widens it.
    let zy = QueueFilter {
        region: Some("5203".into()),
        ..Default::default()
    };
    assert!(nos(&gy, &zy).is_empty());
    assert_eq!(nos(&prov, &zy), vec!["GZ-2026-S-0003"]);
    assert_eq!(review::search_corpus(&store.conn, &gy).unwrap().len(), 2);
    let tabs = review::status_counts(&store.conn, &gy, &all).unwrap();
    assert_eq!(tabs[0], ("new".to_string(), 2));
    assert_eq!(tabs.iter().map(|t| t.1).sum::<usize>(), 2);
    // Ids from a search outside the scope are dropped too.
    let ids = QueueFilter {
        ids: Some(vec![zunyi, 1]),
        ..Default::default()
    };
    assert_eq!(nos(&gy, &ids), vec!["GZ-2026-S-0001"]);
    assert_eq!(
        nos(&prov, &ids),
        vec!["GZ-2026-S-0003", "GZ-2026-S-0001"],
        "in the search's order"
    );

    // Outside the region is "not found", exactly like a case that does not exist.
    let e = review::case_detail(&store.conn, &gy, "GZ-2026-S-0003").unwrap_err();
    assert_eq!(
        review_err(&e),
        &ReviewError::NotFound("GZ-2026-S-0003".into())
    );
    assert_eq!(
        e.to_string(),
        "case GZ-2026-S-0003 not found in your region"
    );
    let e = review::history(&store.conn, &gy, "GZ-2026-S-0003").unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::NotFound(_)));
    let e = review::mark_item(
        &store.conn,
        &gy,
        zunyi,
        1,
        "A6.1",
        None,
        Some(Mark::Pass),
        None,
    )
    .unwrap_err();
    let e2 = review::mark_item(
        &store.conn,
        &gy,
        9999,
        1,
        "A6.1",
        None,
        Some(Mark::Pass),
        None,
    )
    .unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::NotFound(_)), "{e}");
    assert_eq!(
        e.to_string().replace(&zunyi.to_string(), "N"),
        e2.to_string().replace("9999", "N")
    );
    let e = review::set_note(&store.conn, &gy, zunyi, 1, None, "x").unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::NotFound(_)));
    // The county's own reviewer can act on it.
    review::mark_item(
        &store.conn,
        &hhg,
        zunyi,
        1,
        "A6.1",
        None,
        Some(Mark::Pass),
        None,
    )
    .unwrap();
    let mine = QueueFilter {
        mine: true,
        ..Default::default()
    };
    assert_eq!(nos(&hhg, &mine), vec!["GZ-2026-S-0003"]);
    let unassigned = QueueFilter {
        unassigned: true,
        ..Default::default()
    };
    assert_eq!(nos(&prov, &unassigned).len(), 2);

    // A reviewer whose region an admin changes acts within the new region at once.
    reviewers::upsert(
        &store.conn,
        "prov",
        &reviewers::Reviewer {
            account: "gy".into(),
            role: "reviewer".into(),
            region: "520102".into(),
        },
    )
    .unwrap();
    let e = review::mark_item(&store.conn, &gy, 2, 1, "A6.1", None, Some(Mark::Pass), None)
        .unwrap_err();
    assert!(matches!(review_err(&e), ReviewError::NotFound(_)), "{e}");

    // An account that is not a reviewer is told how to become one.
    let e = review::actor(&store.conn, "mallory").unwrap_err();
    assert_eq!(
        e.to_string(),
        "account 'mallory' is not a pingshen reviewer: an admin adds it with 'pingshen reviewer add mallory --role reviewer --region CODE'"
    );
}

#[test]
fn drafts_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let id = import(&mut store, &selection("GZ-2026-S-0001", 1, "520102"));
    let item = review::draft_target(Some(("A6.3", Some("4-10-01-06"))));
    assert_eq!(item, "A6.3|4-10-01-06");
    assert_eq!(review::draft_target(None), "");

    review::save_draft(&store.conn, "r1", id, "", "初审意见：").unwrap();
    review::save_draft(&store.conn, "r1", id, "", "初审意见：材料齐全").unwrap();
    review::save_draft(&store.conn, "r1", id, &item, "培训规模需核查").unwrap();
    let (text, at) = review::draft(&store.conn, "r1", id, "").unwrap().unwrap();
    assert_eq!(text, "初审意见：材料齐全");
    assert!(!at.is_empty());
    assert!(
        review::draft(&store.conn, "r2", id, "").unwrap().is_none(),
        "a draft is private"
    );
    let audited = pingshen::store::audit::for_entity(&store.conn, "case", "GZ-2026-S-0001")
        .unwrap()
        .len();
    assert_eq!(
        audited, 1,
        "drafts are not audited: only the import is there"
    );

    // Saving the note for real drops its draft, not the others.
    let v = review::set_note(&store.conn, &r1, id, 1, None, "材料齐全").unwrap();
    assert!(review::draft(&store.conn, "r1", id, "").unwrap().is_none());
    assert!(review::draft(&store.conn, "r1", id, &item)
        .unwrap()
        .is_some());
    review::set_note(
        &store.conn,
        &r1,
        id,
        v,
        Some(("A6.3", Some("4-10-01-06"))),
        "已核查",
    )
    .unwrap();
    assert!(review::draft(&store.conn, "r1", id, &item)
        .unwrap()
        .is_none());
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.note.as_deref(), Some("材料齐全"));
    let a63 = d.checklist.iter().find(|r| r.item_id == "A6.3").unwrap();
    assert_eq!(a63.note.as_deref(), Some("已核查"));

    review::save_draft(&store.conn, "r1", id, "", "again").unwrap();
    review::drop_draft(&store.conn, "r1", id, "").unwrap();
    assert!(review::draft(&store.conn, "r1", id, "").unwrap().is_none());
}

#[test]
fn reviewer_add_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let divisions = common::reference().divisions;
    let add = |store: &mut Store, by: &str, account: &str, role: &str, region: &str| {
        reviewer::add(store, by, account, role, region, &divisions)
    };

    // A new database: only its first user, adding themselves, as admin.
    let e = add(&mut store, "alice", "bob", "admin", "520000").unwrap_err();
    assert!(e.to_string().contains("first reviewer must be you"), "{e}");
    let e = add(&mut store, "alice", "alice", "reviewer", "520000").unwrap_err();
    assert!(e.to_string().contains("as admin"), "{e}");
    let out = add(&mut store, "alice", "alice", "admin", "520000").unwrap();
    assert!(
        out.contains("added alice") && out.contains("贵州省"),
        "{out}"
    );

    // Afterwards: admins only.
    let e = add(&mut store, "mallory", "mallory", "admin", "520000").unwrap_err();
    assert!(
        e.to_string().contains("mallory is not a pingshen reviewer"),
        "{e}"
    );
    add(&mut store, "alice", "bob", "reviewer", "520100").unwrap();
    let e = add(&mut store, "bob", "carol", "reviewer", "520100").unwrap_err();
    assert!(
        e.to_string()
            .contains("only an admin can add reviewers; bob is a reviewer"),
        "{e}"
    );

    // Bad role, region or account name.
    let e = add(&mut store, "alice", "carol", "boss", "520100").unwrap_err();
    assert!(
        e.to_string()
            .contains("role 'boss' is not one of reviewer, approver, admin"),
        "{e}"
    );
    for region in ["999999", "520199", "5201", ""] {
        let e = add(&mut store, "alice", "carol", "reviewer", region).unwrap_err();
        assert!(
            e.to_string().contains("is not a Guizhou division code"),
            "{region}: {e}"
        );
    }
    let e = add(&mut store, "alice", "carol; rm", "reviewer", "520100").unwrap_err();
    assert!(e.to_string().contains("not an OS account name"), "{e}");

    // A prefecture's admin works within the prefecture.
    add(&mut store, "alice", "dan", "admin", "520100").unwrap();
    add(&mut store, "dan", "erin", "approver", "520102").unwrap();
    let e = add(&mut store, "dan", "frank", "reviewer", "520302").unwrap_err();
    assert!(e.to_string().contains("outside your region"), "{e}");
    let e = add(&mut store, "dan", "alice", "reviewer", "520100").unwrap_err();
    assert!(
        e.to_string().contains("outside your region"),
        "a province admin is out of reach: {e}"
    );

    // The last admin cannot step down; with another admin they can.
    add(&mut store, "alice", "dan", "reviewer", "520100").unwrap();
    let e = add(&mut store, "alice", "alice", "approver", "520000").unwrap_err();
    assert!(e.to_string().contains("only admin"), "{e}");
    let log = pingshen::store::audit::for_entity(&store.conn, "reviewer", "dan").unwrap();
    assert_eq!(
        log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        vec!["reviewer.add", "reviewer.update"]
    );
    assert_eq!(log[1].account, "alice");
}

#[test]
fn queue_over_20000_cases() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let prov = add_reviewer(&store, "prov", "admin", "520000");
    let gy = add_reviewer(&store, "gy", "reviewer", "520100");
    let counties = [
        "520102", "520103", "520111", "520302", "520303", "520402", "522301",
    ];
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let statuses = [
        "new",
        "in_review",
        "supplement",
        "proposed",
        "decided",
        "closed",
    ];
    let now = pingshen::store::now();
    {
        let tx = store.conn.transaction().unwrap();
        let mut inst = tx
            .prepare(
                "INSERT INTO institutions (credit_code, name, category, region, updated_at)
                 VALUES (?1, ?2, 'social_org', ?3, ?4)",
            )
            .unwrap();
        for n in 0..2000u32 {
            inst.execute((
                format!("CODE{n:014}"),
                format!("机构{n}"),
                counties[n as usize % counties.len()],
                &now,
            ))
            .unwrap();
        }
        let mut case = tx
            .prepare(
                "INSERT INTO cases (case_no, kind, institution_id, region, submitted_on, status, outcome,
                   rules_version, application, created_at, updated_at, proposed_by, decided_by)
                 VALUES (?1, 'selection', ?2, ?3, ?4, ?5, 'needs_review', 'test', '{}', ?6, ?6,
                   CASE WHEN ?5 = 'decided' THEN 'alice' END,
                   CASE WHEN ?5 = 'decided' THEN 'bob' END)",
            )
            .unwrap();
        let mut dl = tx
            .prepare("INSERT INTO deadlines (case_id, item, due, detail_zh, detail_en) VALUES (?1, 'E14', ?2, '', '')")
            .unwrap();
        for n in 0..20_000u32 {
            let inst_id = i64::from(n % 2000) + 1;
            let region = counties[(n % 2000) as usize % counties.len()];
            let day = start
                .checked_add_days(Days::new(u64::from(n % 700)))
                .unwrap();
            case.execute((
                format!("GZ-P-{n:06}"),
                inst_id,
                region,
                day.to_string(),
                statuses[n as usize % 6],
                &now,
            ))
            .unwrap();
            if n % 5 == 0 {
                let id = tx.last_insert_rowid();
                dl.execute((id, day.checked_add_days(Days::new(30)).unwrap().to_string()))
                    .unwrap();
            }
        }
        drop((inst, case, dl));
        tx.commit().unwrap();
    }
    let all = QueueFilter::default();
    assert_eq!(
        review::queue_count(&store.conn, &prov, &all).unwrap(),
        20_000
    );
    for sort in [
        QueueSort::Waiting,
        QueueSort::Deadline,
        QueueSort::CaseNo,
        QueueSort::Institution,
        QueueSort::Region,
    ] {
        let t = std::time::Instant::now();
        let page = review::queue_page(&store.conn, &prov, &all, sort, 19_000, 50).unwrap();
        eprintln!(
            "queue_page province {sort:?} offset 19000: {:?}",
            t.elapsed()
        );
        assert_eq!(page.len(), 50);
    }
    let page = review::queue_page(&store.conn, &prov, &all, QueueSort::Waiting, 0, 3).unwrap();
    assert!(page[0].submitted_on <= page[1].submitted_on);
    assert_eq!(page[0].next_due.as_deref(), Some("2024-01-31"));
    let t = std::time::Instant::now();
    let n = review::queue_count(&store.conn, &gy, &all).unwrap();
    let page = review::queue_page(&store.conn, &gy, &all, QueueSort::Waiting, n - 10, 50).unwrap();
    eprintln!(
        "queue_count + last page, prefecture ({n} cases): {:?}",
        t.elapsed()
    );
    assert_eq!(page.len(), 10);
    assert!(page.iter().all(|r| r.region.starts_with("5201")));
    let f = QueueFilter {
        status: Some("new".into()),
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let page = review::queue_page(&store.conn, &prov, &f, QueueSort::Waiting, 3000, 50).unwrap();
    let tabs = review::status_counts(&store.conn, &prov, &all).unwrap();
    eprintln!(
        "queue_page status=new offset 3000 + tabs: {:?}",
        t.elapsed()
    );
    assert_eq!(page.len(), 50);
    assert_eq!(tabs.iter().map(|t| t.1).sum::<usize>(), 20_000);
    let t = std::time::Instant::now();
    let corpus = review::search_corpus(&store.conn, &prov).unwrap();
    eprintln!("search_corpus: {} rows in {:?}", corpus.len(), t.elapsed());
    let plan: Vec<String> = store
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT c.id FROM cases c JOIN institutions i ON i.id = c.institution_id
             WHERE c.region >= '5201' AND c.region < '5201:' ORDER BY c.submitted_on, c.id LIMIT 50 OFFSET 100",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    eprintln!("plan: {plan:?}");
}

#[test]
fn partial_approval_after_a_supplement_round() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(dir.path());
    let r1 = add_reviewer(&store, "r1", "reviewer", "520100");
    let a2 = add_reviewer(&store, "a2", "approver", "520100");
    let mut v = selection("GZ-2026-S-0001", 1, "520102");
    v["occupations"][0]["training_volume"] = json!(850);
    v["occupations"]
        .as_array_mut()
        .unwrap()
        .push(common::second_occupation());
    let id = import(&mut store, &v);

    // Ask for material first: proposed, approved, the case waits for the applicant.
    let sup = Proposal {
        decision: "supplement".into(),
        occupations: vec![],
        reasons: "请补充场地租赁合同".into(),
    };
    let ver = review::propose(&store.conn, &r1, id, 1, &sup).unwrap();
    let ver = review::approve(&store.conn, &a2, id, ver, 3).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.decided_by.as_deref()),
        ("supplement", Some("a2"))
    );
    assert_eq!(
        d.institution_status, "applicant",
        "a request for material decides nothing"
    );

    // Back from supplement: judged, then only the occupation that passes can be granted.
    assert_eq!(ver, d.version);
    let ver = resolve_all(&store, &r1, "GZ-2026-S-0001");
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(d.outcome, "eligible");
    let failing = Proposal {
        decision: "approve_partial".into(),
        occupations: vec!["4-10-01-06".into()],
        reasons: "部分职业符合条件".into(),
    };
    let e = review::propose(&store.conn, &r1, id, ver, &failing).unwrap_err();
    assert!(
        e.to_string().contains("4-10-01-06 cannot be granted"),
        "{e}"
    );
    let empty = Proposal {
        occupations: vec![],
        ..failing.clone()
    };
    let e = review::propose(&store.conn, &r1, id, ver, &empty).unwrap_err();
    assert!(e.to_string().contains("must name the occupations"), "{e}");
    let partial = Proposal {
        occupations: vec!["4-10-01-05".into()],
        ..failing
    };
    let ver = review::propose(&store.conn, &r1, id, ver, &partial).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        d.decided_by, None,
        "the earlier decision does not stand for the new proposal"
    );
    review::approve(&store.conn, &a2, id, ver, 3).unwrap();
    let d = review::case_detail(&store.conn, &r1, "GZ-2026-S-0001").unwrap();
    assert_eq!(
        (d.status.as_str(), d.institution_status.as_str()),
        ("decided", "active")
    );
    let granted: Vec<String> = store
        .conn
        .prepare("SELECT code FROM institution_occupations")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(granted, vec!["4-10-01-05"]);
}
