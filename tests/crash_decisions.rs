//! kill -9 in the middle of review work: reviewer processes mark items, write notes,
//! propose, approve, send back and record exit steps in a loop through the store the desk
//! uses, and are killed with SIGKILL at random moments, again and again on the same database.
//! After every kill: `PRAGMA integrity_check` is ok, the audit chain is intact, and every
//! change is all or nothing — each case's status, proposal, decision, version, marks, notes
//! and steps agree with its audit entries, and each institution with its own.

mod common;
mod exit_support;

use pingshen::store::exits::{self, StepInput};
use pingshen::store::review::{self, Mark, Proposal, ReviewError};
use pingshen::store::{audit, Store};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

const WORKERS: usize = 2;
/// Selection cases per worker: each goes through many proposals before its final decision.
const SELECTIONS: usize = 30;
/// Automatic exits per worker: wrap-up, decision, art. 16 steps, closing.
const EXITS: usize = 8;
const TRIALS: usize = 8;

fn selection_no(w: usize, i: usize) -> String {
    format!("GZ-2026-S-{w}{i:03}")
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Case numbers of worker `w`: its selections (those it imported too), and every
/// WORKERS-th exit.
fn cases_of(conn: &Connection, w: usize) -> Vec<String> {
    let list = |sql: &str| -> Vec<String> {
        let mut st = conn.prepare(sql).expect("prepare");
        st.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    let mut v = list(&format!(
        "SELECT case_no FROM cases WHERE case_no LIKE 'GZ-2026-S-{w}%' ORDER BY case_no"
    ));
    let exits = list("SELECT case_no FROM cases WHERE kind = 'exit' ORDER BY case_no");
    v.extend(exits.into_iter().skip(w).step_by(WORKERS));
    v
}

/// Imports one more selection case for worker `w`, as `import applications` stores one: so
/// that there is always work left, and an import is among what gets killed.
fn import_one(conn: &Connection, w: usize, reference: &pingshen::assets::Reference, by: &str) {
    let i: i64 = conn
        .query_row(
            &format!("SELECT count(*) FROM cases WHERE case_no LIKE 'GZ-2026-S-{w}%'"),
            [],
            |r| r.get(0),
        )
        .expect("count");
    let i = usize::try_from(i).expect("a count");
    let v = common::selection_case(&selection_no(w, i), (w * 1000 + i + 1) as u32);
    let (app, _) = pingshen::domain::validate::parse_application(
        &v.to_string(),
        &reference.divisions,
        pingshen::domain::validate::ValidateOptions::default(),
    )
    .expect("valid application");
    let ev = common::eval_with(&v, reference, None);
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
        .expect("begin");
    pingshen::store::cases::insert(&tx, by, &app, &ev, "new").expect("insert");
    tx.commit().expect("commit");
}

fn proposal(decision: &str) -> Proposal {
    Proposal {
        decision: decision.into(),
        occupations: vec![],
        reasons: if decision == "approve" {
            String::new()
        } else {
            "材料不全，请补正".into()
        },
    }
}

/// One reviewer process at work until it is killed (or a minute has passed). Every refusal
/// other than the one it provokes on purpose is a failure.
#[test]
fn child_worker() {
    let Ok(worker) = std::env::var(common::CHILD_ENV) else {
        return;
    };
    let w: usize = worker.parse().expect("worker number");
    let db = std::env::var("PINGSHEN_TEST_DB").expect("db");
    let seed: u64 = std::env::var("PINGSHEN_TEST_SEED")
        .expect("seed")
        .parse()
        .expect("seed number");
    let mut rng = fastrand::Rng::with_seed(seed);
    let store = Store::open(Path::new(&db)).expect("open");
    let conn = &store.conn;
    let reference = common::reference();
    let p = review::actor(conn, &format!("p{w}")).expect("proposer");
    let a = review::actor(conn, &format!("a{w}")).expect("approver");
    let view = |case_no: &str| {
        exits::exit_view(
            conn,
            None,
            case_no,
            today(),
            &reference.calendar,
            &reference.rules,
        )
        .expect("exit view")
    };
    let mut cases = cases_of(conn, w);
    let start = Instant::now();
    let mut k = 0u64;
    while start.elapsed() < Duration::from_secs(60) {
        k += 1;
        if rng.u32(..40) == 0 {
            import_one(conn, w, &reference, &p.account);
            cases = cases_of(conn, w);
            continue;
        }
        let case_no = &cases[rng.usize(..cases.len())];
        let d = review::case_detail(conn, &p, case_no).expect("detail");
        let status = d.status.as_str();
        let exit = d.kind == "exit";
        if status == "closed" || (status == "decided" && !exit) {
            continue;
        }
        if status == "decided" {
            // An exit decided: its steps, the last of which closes the case.
            let v = view(case_no);
            if v.rejected {
                continue;
            }
            let Some(step) = v.next else { continue };
            let number = format!("黔人社评终〔2026〕{case_no}号");
            exits::record_step(
                conn,
                &p,
                case_no,
                Some(v.version),
                StepInput {
                    step,
                    on: today(),
                    number: step.needs_number().then_some(number.as_str()),
                    note: Some("已办"),
                },
                today(),
            )
            .unwrap_or_else(|e| panic!("{case_no} step {}: {e:#}", step.word()));
            continue;
        }
        let r = rng.u32(..10);
        // Both are approvers: either proposes, and the other decides.
        let me = if rng.bool() { &p } else { &a };
        let result = if status == "proposed" {
            let (proposer, second) = if d.proposed_by.as_deref() == Some(p.account.as_str()) {
                (&p, &a)
            } else {
                (&a, &p)
            };
            if r == 0 {
                // The proposer approving their own proposal: refused, every time.
                let e = review::approve(conn, proposer, d.id, d.version, 3)
                    .expect_err("the two-person rule");
                assert!(
                    matches!(
                        e.downcast_ref::<ReviewError>(),
                        Some(ReviewError::Forbidden(m)) if m.contains("two-person")
                    ),
                    "{e:#}"
                );
                Ok(d.version)
            } else if r < 4 {
                review::send_back(conn, second, d.id, d.version, "请复核")
            } else {
                review::approve(conn, second, d.id, d.version, 3)
            }
        } else if exit && r < 5 {
            // The wrap-up may be recorded before the decision.
            let v = view(case_no);
            match v.next.filter(|s| !s.needs_decision()) {
                Some(step) => exits::record_step(
                    conn,
                    &p,
                    case_no,
                    Some(v.version),
                    StepInput {
                        step,
                        on: today(),
                        number: None,
                        note: None,
                    },
                    today(),
                )
                .map(|o| o.version),
                None => Ok(d.version),
            }
        } else if let Some(item) = d.unresolved().first() {
            // An automatic fail passed needs its reason; give one always.
            review::mark_item(
                conn,
                &p,
                d.id,
                d.version,
                &item.item_id,
                item.occupation.as_deref(),
                Some(Mark::Pass),
                Some("复核通过"),
            )
        } else {
            let item = &d.checklist[rng.usize(..d.checklist.len())];
            match r {
                0 | 1 => review::set_note(
                    conn,
                    &p,
                    d.id,
                    d.version,
                    None,
                    &format!("第 {k} 次备注（{worker}）"),
                ),
                2 => review::set_note(
                    conn,
                    &p,
                    d.id,
                    d.version,
                    Some((&item.item_id, item.occupation.as_deref())),
                    &format!("条目备注 {k}"),
                ),
                3 => {
                    // A failed item passed again, or another failed; going against the
                    // automatic result needs a reason, so one is always given.
                    let mark = if item.mark == Some(Mark::Fail) {
                        Mark::Pass
                    } else {
                        Mark::Fail
                    };
                    review::mark_item(
                        conn,
                        me,
                        d.id,
                        d.version,
                        &item.item_id,
                        item.occupation.as_deref(),
                        Some(mark),
                        Some("现场核查"),
                    )
                }
                4..=6 => review::propose(conn, me, d.id, d.version, &proposal("supplement")),
                7 | 8 => review::propose(conn, me, d.id, d.version, &proposal("approve")),
                _ => review::propose(conn, me, d.id, d.version, &proposal("reject")),
            }
        };
        match result {
            Ok(_) => {}
            // A failed item makes an approval impossible until it is passed again.
            Err(e) if e.to_string().contains("to approve, every failing item") => {}
            Err(e) => panic!("{case_no} ({status}), round {k}: {e:#}"),
        }
    }
    println!("RESULT {k}");
}

fn json(s: Option<&str>) -> Value {
    s.and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null)
}

/// Audit actions that claim the next version of a case.
const VERSIONED: &[&str] = &[
    "case.mark",
    "case.override",
    "case.note",
    "case.propose",
    "case.decide",
    "case.send_back",
    "exit.step",
    "exit.order",
];

#[derive(Default, Debug)]
struct Tally {
    audit: i64,
    decided: usize,
    closed: usize,
}

/// Integrity, the audit chain, and every case and institution against its audit entries.
fn check(db: &Path, what: &str) -> Tally {
    let store = Store::open(db).expect("open after the kill");
    let conn = &store.conn;
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok", "{what}");
    let v = audit::verify(conn).expect("verify");
    assert_eq!(v.broken, None, "{what}: audit chain");
    let mut tally = Tally {
        audit: conn
            .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
            .expect("count"),
        ..Tally::default()
    };

    type CaseRow = (
        i64,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let mut st = conn
        .prepare(
            "SELECT id, case_no, kind, status, version, proposal, proposed_by, decision,
                    decided_by, note FROM cases ORDER BY case_no",
        )
        .expect("prepare");
    let cases: Vec<CaseRow> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    for (id, no, kind, status, version, proposal, proposed_by, decision, decided_by, note) in cases
    {
        let at = format!("{what}: case {no}");
        let entries = audit::for_entity(conn, "case", &no).expect("entries");
        let parsed: Vec<(String, String, Value)> = entries
            .iter()
            .map(|e| {
                (
                    e.action.clone(),
                    e.account.clone(),
                    json(e.after.as_deref()),
                )
            })
            .collect();
        // One version per audited change, and the last one names the version the case has.
        let versioned: Vec<&(String, String, Value)> = parsed
            .iter()
            .filter(|(a, _, _)| VERSIONED.contains(&a.as_str()))
            .collect();
        assert_eq!(version, 1 + versioned.len() as i64, "{at}: version");
        if let Some((_, _, after)) = versioned.last() {
            assert_eq!(after["version"], version, "{at}: last entry's version");
        }
        // The status and the proposal or decision: as the last decision entry left them.
        let last = parsed.iter().rfind(|(a, _, _)| {
            matches!(
                a.as_str(),
                "case.propose" | "case.decide" | "case.send_back"
            )
        });
        match last {
            None => {
                assert!(
                    matches!(status.as_str(), "new" | "in_review"),
                    "{at}: {status}"
                );
                assert!(proposal.is_none() && decision.is_none(), "{at}");
            }
            Some((action, account, after)) if action == "case.propose" => {
                assert_eq!(status, "proposed", "{at}");
                assert_eq!(json(proposal.as_deref()), after["proposal"], "{at}");
                assert_eq!(proposed_by.as_deref(), Some(account.as_str()), "{at}");
                assert!(decision.is_none() && decided_by.is_none(), "{at}");
            }
            Some((action, _, _)) if action == "case.send_back" => {
                assert_eq!(status, "in_review", "{at}");
                assert!(proposal.is_none() && proposed_by.is_none(), "{at}");
            }
            Some((_, account, after)) => {
                let expected = after["status"].as_str().unwrap_or_default();
                let closed = status == "closed" && expected == "decided";
                assert!(status == expected || closed, "{at}: {status} after {after}");
                assert_eq!(decided_by.as_deref(), Some(account.as_str()), "{at}");
                assert_eq!(after["decided_by"], account.as_str(), "{at}");
                assert_eq!(json(decision.as_deref()), after["decision"], "{at}");
                assert_ne!(decided_by, proposed_by, "{at}: two persons");
                if status != "supplement" {
                    tally.decided += 1;
                }
            }
        }
        // The case note: the last case-note entry's text.
        if let Some((_, _, after)) = parsed
            .iter()
            .rfind(|(a, _, after)| a == "case.note" && after.get("item").is_none())
        {
            assert_eq!(json_text(&note), after["note"], "{at}: note");
        }
        // Each item's mark: its last mark entry's, or the exit step that settled it.
        let mut st = conn
            .prepare("SELECT item_id, occupation, mark FROM checklist WHERE case_id = ?1")
            .expect("prepare");
        let items: Vec<(String, String, Option<String>)> = st
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let mut marks: HashMap<(String, String), Value> = HashMap::new();
        for (action, _, after) in &parsed {
            let key = |a: &Value| {
                (
                    a["item"].as_str().unwrap_or_default().to_string(),
                    a["occupation"].as_str().unwrap_or_default().to_string(),
                )
            };
            match action.as_str() {
                "case.mark" | "case.override" => {
                    marks.insert(key(after), after["mark"].clone());
                }
                "exit.step" if after.get("marked").is_some() => {
                    marks.insert(key(&after["marked"]), after["marked"]["mark"].clone());
                }
                _ => {}
            }
        }
        for (item, occ, mark) in items {
            let expected = marks.get(&(item.clone(), occ.clone())).cloned();
            assert_eq!(
                json_text(&mark),
                expected.unwrap_or(Value::Null),
                "{at}: mark of {item} {occ}"
            );
        }
        // Exit steps: a row for each entry, and closed exactly when the close is on record.
        if kind == "exit" {
            let steps: i64 = conn
                .query_row(
                    "SELECT count(*) FROM exit_steps WHERE case_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .expect("steps");
            let recorded = parsed.iter().filter(|(a, _, _)| a == "exit.step").count();
            assert_eq!(steps, recorded as i64, "{at}: steps");
            let close = parsed.iter().any(|(a, _, _)| a == "case.close");
            assert_eq!(status == "closed", close, "{at}: closed");
            if close {
                tally.closed += 1;
            }
        }
    }

    // Institutions: status, period and exit day as their last audit entry left them.
    let mut st = conn
        .prepare("SELECT credit_code, status, valid_from, valid_to, exited_on FROM institutions")
        .expect("prepare");
    /// credit code, status, valid_from, valid_to, exited_on
    type InstRow = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let insts: Vec<InstRow> = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    for (code, status, from, to, exited) in insts {
        let at = format!("{what}: institution {code}");
        let entries = audit::for_entity(conn, "institution", &code).expect("entries");
        let afters: Vec<Value> = entries.iter().map(|e| json(e.after.as_deref())).collect();
        let last = |key: &str| {
            afters
                .iter()
                .rfind(|a| a.get(key).is_some())
                .map(|a| a[key].clone())
        };
        assert_eq!(last("status"), Some(Value::from(status)), "{at}: status");
        assert_eq!(
            last("valid_from").unwrap_or(Value::Null),
            json_text(&from),
            "{at}"
        );
        assert_eq!(
            last("valid_to").unwrap_or(Value::Null),
            json_text(&to),
            "{at}"
        );
        assert_eq!(
            last("exited_on").unwrap_or(Value::Null),
            json_text(&exited),
            "{at}"
        );
    }
    tally
}

fn json_text(s: &Option<String>) -> Value {
    s.as_deref().map(Value::from).unwrap_or(Value::Null)
}

#[test]
fn kill_9_during_review_work_leaves_every_change_whole() {
    if std::env::var(common::CHILD_ENV).is_ok() {
        return;
    }
    let mut t = exit_support::db();
    for w in 0..WORKERS {
        common::add_reviewer(&t.store, &format!("p{w}"), "approver", "520000");
        common::add_reviewer(&t.store, &format!("a{w}"), "approver", "520000");
        for i in 0..SELECTIONS {
            let n = (w * 100 + i + 1) as u32;
            common::import_case(
                &mut t.store,
                &common::selection_case(&selection_no(w, i), n),
            );
        }
    }
    for n in 1..=(WORKERS * EXITS) as u32 {
        t.institution(n, "520102", "2023-09-17", "2026-09-16");
    }
    let opened = t.sweep(&today().to_string()).opened.len();
    assert_eq!(opened, WORKERS * EXITS);
    let db = t.path.clone();
    drop(t.store);
    let before = check(&db, "set-up");

    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut last = before;
    for trial in 0..TRIALS {
        let children: Vec<_> = (0..WORKERS)
            .map(|w| {
                common::spawn_child(
                    "child_worker",
                    &w.to_string(),
                    &[
                        ("PINGSHEN_TEST_DB", db.display().to_string()),
                        ("PINGSHEN_TEST_SEED", rng.u64(..).to_string()),
                    ],
                )
            })
            .collect();
        // Each child is killed at a moment of its own (the first 0.15 to 0.6 s in, the next
        // that much later again): past opening the database, in the middle of its work.
        for mut child in children {
            std::thread::sleep(Duration::from_millis(rng.u64(150..600)));
            if let Some(status) = child.try_wait().expect("try_wait") {
                let out = child.wait_with_output().expect("output");
                panic!(
                    "trial {trial} (seed {seed}): a worker stopped before the kill ({status}): {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            // SIGKILL: no destructor, no rollback, no unlock.
            child.kill().expect("kill");
            child.wait().expect("wait");
        }
        let now = check(&db, &format!("trial {trial} (seed {seed})"));
        eprintln!("trial {trial}: {now:?}");
        assert!(
            now.audit > last.audit,
            "trial {trial}: the workers got something done"
        );
        last = now;
    }
    println!(
        "{TRIALS} kills (seed {seed}): {} audit entries, {} cases decided, {} exits closed",
        last.audit, last.decided, last.closed
    );
    assert!(last.decided > 0, "decisions were taken between the kills");

    // The check itself catches a change written without its audit entry: a proposal put
    // straight into a copy of the database.
    let copy = db.with_file_name("half-written.db");
    Connection::open(&db)
        .expect("open")
        .execute("VACUUM INTO ?1", [copy.to_str().expect("utf-8 path")])
        .expect("copy");
    let n = Connection::open(&copy)
        .expect("open copy")
        .execute(
            "UPDATE cases SET status = 'proposed', proposal = '{}', proposed_by = 'x'
             WHERE id = (SELECT min(id) FROM cases WHERE status IN ('new', 'in_review'))",
            [],
        )
        .expect("write");
    assert_eq!(n, 1);
    let caught = std::panic::catch_unwind(|| check(&copy, "half-written copy"));
    assert!(
        caught.is_err(),
        "a proposal without its audit entry is found"
    );
}
