//! Many reviewers at once: 8 OS processes, each a reviewer doing `ACTIONS` review actions on
//! one database in WAL mode, as desks side by side over SSH do. Nothing crashes, no update is
//! lost, the audit log holds exactly the actions that succeeded, and a save made against a
//! stale version of a shared case is refused with a conflict in words, never written over.

mod common;
use pingshen::domain::evaluate::ItemResult;
use pingshen::store::audit;
use pingshen::store::review::{self, Mark, ReviewError};
use pingshen::store::Store;
use std::path::Path;

const WORKERS: usize = 8;
/// Review actions per worker on its own case.
const ACTIONS: usize = 500;
/// Every this many actions, a worker also appends to the shared case's note.
const SHARED_EVERY: usize = 25;
const SHARED: &str = "GZ-2026-S-0100";

fn own_case(w: usize) -> String {
    format!("GZ-2026-S-{:04}", w + 1)
}

/// The note a worker's own case ends with: every even action appended its token.
fn expected_note(w: usize) -> String {
    (0..ACTIONS)
        .filter(|k| k % 2 == 0)
        .map(|k| format!("w{w}-{k};"))
        .collect()
}

fn is_conflict(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<ReviewError>(),
        Some(ReviewError::Conflict { .. })
    )
}

/// One reviewer process. Prints "RESULT own shared raced stale" (successes on its own case,
/// on the shared case, conflicts met in a race for the shared case, stale saves refused).
#[test]
fn child_worker() {
    let Ok(worker) = std::env::var(common::CHILD_ENV) else {
        return;
    };
    let w: usize = worker.parse().unwrap();
    let db = std::env::var("PINGSHEN_TEST_DB").unwrap();
    let store = Store::open(Path::new(&db)).unwrap();
    let actor = review::actor(&store.conn, &format!("r{w}")).unwrap();
    let own = review::case_detail(&store.conn, &actor, &own_case(w)).unwrap();
    // Items a mark can pass or clear without overriding an automatic fail.
    let items: Vec<_> = own
        .checklist
        .iter()
        .filter(|r| r.auto_result != ItemResult::Fail)
        .cloned()
        .collect();
    let mut version = own.version;
    let mut note = String::new();
    let (mut own_ok, mut shared_ok, mut raced, mut stale) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..ACTIONS {
        // Own case: nobody else writes it, so every action must succeed.
        version = if k % 2 == 0 {
            note.push_str(&format!("w{w}-{k};"));
            review::set_note(&store.conn, &actor, own.id, version, None, &note)
        } else {
            let it = &items[k / 2 % items.len()];
            let mark = (k % 4 == 1).then_some(Mark::Pass);
            review::mark_item(
                &store.conn,
                &actor,
                own.id,
                version,
                &it.item_id,
                it.occupation.as_deref(),
                mark,
                None,
            )
        }
        .unwrap_or_else(|e| panic!("worker {w} action {k}: {e:#}"));
        own_ok += 1;

        if k % SHARED_EVERY == 0 {
            // Shared case: read, append, save; on a conflict read again and retry.
            let token = format!("w{w}-s{k};");
            loop {
                let d = review::case_detail(&store.conn, &actor, SHARED).unwrap();
                let text = format!("{}{token}", d.note.unwrap_or_default());
                match review::set_note(&store.conn, &actor, d.id, d.version, None, &text) {
                    Ok(_) => {
                        shared_ok += 1;
                        // The same save again, on the version now stale: refused in words.
                        let e = review::set_note(
                            &store.conn,
                            &actor,
                            d.id,
                            d.version,
                            None,
                            "stale overwrite",
                        )
                        .unwrap_err();
                        assert!(is_conflict(&e), "{e:#}");
                        let msg = e.to_string();
                        assert!(
                            msg.contains(&format!("case {SHARED} was changed by r"))
                                && msg.contains("your change was not saved"),
                            "{msg}"
                        );
                        stale += 1;
                        break;
                    }
                    Err(e) if is_conflict(&e) => raced += 1,
                    Err(e) => panic!("worker {w} shared {k}: {e:#}"),
                }
            }
        }
    }
    println!("RESULT {own_ok} {shared_ok} {raced} {stale}");
}

#[test]
fn eight_reviewer_processes_on_one_database() {
    let t0 = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("office.db");
    let audit_before;
    {
        let mut store = Store::open(&db).unwrap();
        for w in 0..WORKERS {
            common::add_reviewer(&store, &format!("r{w}"), "reviewer", "520000");
            common::import_case(
                &mut store,
                &common::selection_case(&own_case(w), w as u32 + 1),
            );
        }
        common::import_case(&mut store, &common::selection_case(SHARED, 100));
        audit_before = audit::verify(&store.conn).unwrap().count;
    }
    let children: Vec<_> = (0..WORKERS)
        .map(|w| {
            common::spawn_child(
                "child_worker",
                &w.to_string(),
                &[("PINGSHEN_TEST_DB", db.display().to_string())],
            )
        })
        .collect();
    let results: Vec<[u64; 4]> = children
        .into_iter()
        .map(|c| {
            let line = common::child_result(c);
            let v: Vec<u64> = line.split(' ').map(|n| n.parse().unwrap()).collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect();

    let store = Store::open(&db).unwrap();
    let reader = common::add_reviewer(&store, "reader", "admin", "520000");
    let mut total = 0;
    let mut shared_total = 0;
    for (w, [own_ok, shared_ok, _, stale]) in results.iter().enumerate() {
        assert_eq!(*own_ok, ACTIONS as u64, "worker {w}");
        assert_eq!(
            *shared_ok,
            ACTIONS.div_ceil(SHARED_EVERY) as u64,
            "worker {w}"
        );
        assert_eq!(stale, shared_ok, "every stale save was refused");
        total += own_ok + shared_ok;
        shared_total += shared_ok;

        // No lost update: the worker's case is exactly what the worker did.
        let d = review::case_detail(&store.conn, &reader, &own_case(w)).unwrap();
        assert_eq!(d.note.as_deref(), Some(expected_note(w).as_str()));
        assert_eq!(d.version, 1 + ACTIONS as i64);
        let entries = audit::for_entity(&store.conn, "case", &own_case(w)).unwrap();
        assert_eq!(entries.len(), 1 + ACTIONS, "import + one entry per action");
        assert!(entries[1..].iter().all(|e| e.account == format!("r{w}")));
    }
    // The shared case: every worker's every token exactly once, whatever the order.
    let d = review::case_detail(&store.conn, &reader, SHARED).unwrap();
    let note = d.note.unwrap_or_default();
    for w in 0..WORKERS {
        for k in (0..ACTIONS).step_by(SHARED_EVERY) {
            let token = format!("w{w}-s{k};");
            assert_eq!(note.matches(&token).count(), 1, "{token} in {note}");
        }
    }
    assert!(!note.contains("stale overwrite"));
    assert_eq!(d.version, 1 + shared_total as i64);
    // The audit log: exactly the successful actions, and its chain intact.
    let v = audit::verify(&store.conn).unwrap();
    assert_eq!(v.broken, None);
    assert_eq!(
        v.count,
        audit_before + total + 1,
        "+1: the reader added above"
    );
    let raced: u64 = results.iter().map(|r| r[2]).sum();
    eprintln!(
        "{WORKERS} processes x {ACTIONS} actions: {total} writes, {raced} races lost and \
         retried, {shared_total} stale saves refused, in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}
