//! kill -9 in the middle of a large `pingshen import certificates`, several times at random
//! moments: SQLite's write-ahead log must leave the database sound, with either none or all
//! of the file's rows, and usable for the next import.

use pingshen::domain::credit_code;
use pingshen::store::{audit, Store};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const ROWS: usize = 100_000;
const TRIALS: usize = 5;

fn write_csv(path: &Path) {
    let code = credit_code::complete("915201001234567A").unwrap();
    let mut s = String::with_capacity(ROWS * 90);
    s.push_str(
        "certificate_no,credit_code,occupation_code,level,issued_on,holder_name,holder_id\n",
    );
    for i in 0..ROWS {
        let occ = if i % 3 == 0 {
            "4-10-01-05"
        } else {
            "4-10-01-06"
        };
        s.push_str(&format!(
            "Y{:021},{code},{occ},3,2024-03-{:02},王芳,52010219900101123X\n",
            i,
            1 + i % 28
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn import(db: &Path, file: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .arg("--db")
        .arg(db)
        .args(["import", "certificates"])
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// (certificates, imports, sum of the day counts) after checking integrity and the audit chain.
fn state(db: &Path) -> (i64, i64, i64) {
    let store = Store::open(db).unwrap();
    let ok: String = store
        .conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok", "{}", db.display());
    let v = audit::verify(&store.conn).unwrap();
    assert_eq!(v.broken, None);
    store
        .conn
        .query_row(
            "SELECT (SELECT count(*) FROM certificates), (SELECT count(*) FROM imports),
                    (SELECT coalesce(sum(n), 0) FROM certificate_counts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn fresh(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(name);
    // Created and migrated beforehand, so that the import's time is the import's.
    drop(Store::open(&db).unwrap());
    db
}

#[test]
fn kill_9_during_a_large_import_leaves_none_or_all() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("certificates.csv");
    write_csv(&csv);

    // One import to the end, to know how long a whole one takes here.
    let db = fresh(dir.path(), "whole.db");
    let t0 = Instant::now();
    let out = import(&db, &csv).wait_with_output().unwrap();
    let whole = t0.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = (ROWS as i64, 1, ROWS as i64);
    assert_eq!(state(&db), all);

    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut cut = 0;
    for trial in 0..TRIALS {
        let db = fresh(dir.path(), &format!("trial-{trial}.db"));
        // A moment between a tenth and nine tenths of a whole import: past opening the
        // database and reading the file's first rows, well before the end.
        let at = whole.mul_f64(0.1 + 0.8 * rng.f64());
        let mut child = import(&db, &csv);
        std::thread::sleep(at);
        // SIGKILL: no destructor, no rollback, no unlock — as a power cut would leave it
        // (short of the OS losing its page cache).
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let s = state(&db);
        if status.success() {
            assert_eq!(
                s, all,
                "trial {trial} (seed {seed}) finished before the kill"
            );
        } else {
            assert!(
                s == (0, 0, 0) || s == all,
                "trial {trial} (seed {seed}) killed after {at:?}: {s:?}"
            );
            if s == (0, 0, 0) {
                cut += 1;
            }
        }
        // And the database takes the same import afterwards, whole.
        if trial == 0 {
            let out = import(&db, &csv).wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(state(&db), all);
        }
    }
    assert!(
        cut > 0,
        "no kill landed inside an import (seed {seed}); the test proved nothing"
    );
    eprintln!(
        "{TRIALS} kills, {cut} inside the import's transaction; a whole import of {ROWS} rows \
         took {whole:?} (seed {seed})"
    );
}
