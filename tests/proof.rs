//! Proof under real conditions: the audit log's hash chain finds edits made behind the
//! software's back, a database others can write is refused, and `pingshen backup` makes a
//! sound copy while another process keeps writing.

mod common;
use pingshen::store::audit::{self, Entry};
use pingshen::store::review::{self, Mark};
use pingshen::store::{self, Store};
use rusqlite::Connection;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn pingshen(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .output()
        .expect("pingshen runs")
}

fn record(conn: &Connection, n: usize) {
    let before = json!({"n": n - 1});
    audit::record(
        conn,
        Entry {
            account: "tester",
            action: "test.write",
            entity: "case",
            entity_id: &format!("GZ-{n}"),
            before: (n % 2 == 1).then_some(&before),
            after: Some(&json!({"n": n, "text": "评审"})),
        },
    )
    .unwrap();
}

/// A database with five chained entries.
fn five_entries(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("a.db");
    let store = Store::open(&path).unwrap();
    for n in 1..=5 {
        record(&store.conn, n);
    }
    path
}

/// The canonical form as README and `store::audit` define it, written out again here so that
/// the test checks the definition, not the code against itself.
fn canonical_hash(fields: [Option<&str>; 9]) -> String {
    let mut bytes = Vec::new();
    for f in fields {
        match f {
            None => bytes.push(0u8),
            Some(s) => {
                bytes.push(1u8);
                bytes.extend_from_slice(&(s.len() as u64).to_be_bytes());
                bytes.extend_from_slice(s.as_bytes());
            }
        }
    }
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A raw connection, as someone with the file and the sqlite3 tool would have, with the
/// append-only triggers dropped.
fn raw_without_triggers(path: &Path) -> Connection {
    let raw = Connection::open(path).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    raw
}

#[test]
fn every_entry_is_chained_in_the_documented_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_entries(dir.path());
    let conn = Connection::open(&path).unwrap();
    let rows: Vec<[Option<String>; 10]> = conn
        .prepare(
            "SELECT prev_hash, id, at, account, action, entity, entity_id, before, after, hash
             FROM audit_log ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                Some(r.get::<_, i64>(1)?.to_string()),
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ])
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 5);
    let mut prev: Option<String> = None;
    for row in &rows {
        assert_eq!(row[0], prev, "prev_hash is the hash of the row before");
        let fields: [Option<&str>; 9] = std::array::from_fn(|i| row[i].as_deref());
        let hash = row[9].clone().expect("every row has a hash");
        assert_eq!(hash, canonical_hash(fields));
        assert_eq!(hash.len(), 64);
        prev = Some(hash);
    }
    let out = pingshen(&path, &["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("audit log OK: 5 entries, hash chain intact\nhead: #5 "),
        "{stdout}"
    );
    assert!(stdout.contains(prev.as_deref().unwrap()), "{stdout}");
}

#[test]
fn an_edit_behind_the_apps_back_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_entries(dir.path());
    raw_without_triggers(&path)
        .execute(
            "UPDATE audit_log SET after = '{\"n\":3,\"text\":\"改过\"}' WHERE id = 3",
            [],
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    let v = audit::verify(&store.conn).unwrap();
    let b = v.broken.expect("the edit is found");
    assert_eq!((b.id, v.count), (3, 2));
    assert!(
        b.what.contains("do not match its stored hash"),
        "{}",
        b.what
    );
    drop(store);
    let out = pingshen(&path, &["audit", "verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("audit log broken at entry #3: its contents"),
        "{stderr}"
    );
}

#[test]
fn an_edit_with_its_hash_recomputed_breaks_the_next_link() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_entries(dir.path());
    let raw = raw_without_triggers(&path);
    let (prev, at, before): (String, String, Option<String>) = raw
        .query_row(
            "SELECT prev_hash, at, before FROM audit_log WHERE id = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let forged_after = r#"{"n":2,"text":"改过"}"#;
    let forged = canonical_hash([
        Some(&prev),
        Some("2"),
        Some(&at),
        Some("mallory"),
        Some("test.write"),
        Some("case"),
        Some("GZ-2"),
        before.as_deref(),
        Some(forged_after),
    ]);
    raw.execute(
        "UPDATE audit_log SET account = 'mallory', after = ?1, hash = ?2 WHERE id = 2",
        rusqlite::params![forged_after, forged],
    )
    .unwrap();
    let v = audit::verify(&raw).unwrap();
    let b = v
        .broken
        .expect("the forged entry's successor no longer links");
    assert_eq!(b.id, 3);
    assert!(b.what.contains("prev_hash is"), "{}", b.what);
}

#[test]
fn a_removed_entry_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = five_entries(dir.path());
    raw_without_triggers(&path)
        .execute("DELETE FROM audit_log WHERE id = 2", [])
        .unwrap();
    let out = pingshen(&path, &["audit", "verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("broken at entry #3: ids jump from 1 to 3: entries 2..2 were removed"),
        "{stderr}"
    );
}

/// Migration 006 chains the rows written before it, puts the append-only trigger back and
/// refuses a row without a hash.
#[test]
fn migration_006_chains_existing_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = store::connect(&path).unwrap();
        store::migrations().to_version(&mut conn, 5).unwrap();
        for n in 1..=4 {
            conn.execute(
                "INSERT INTO audit_log (at, account, action, entity, entity_id, before, after)
                 VALUES ('2026-01-0' || ?1 || 'T08:00:00Z', 'old', 'case.mark', 'case', 'C', NULL,
                         '{}')",
                [n],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let v = audit::verify(&store.conn).unwrap();
    assert_eq!((v.count, v.broken), (4, None));
    record(&store.conn, 5);
    assert_eq!(audit::verify(&store.conn).unwrap().count, 5);
    let e = store
        .conn
        .execute("UPDATE audit_log SET account = 'mallory' WHERE id = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = store
        .conn
        .execute(
            "INSERT INTO audit_log (at, account, action, entity, entity_id)
             VALUES ('x', 'y', 'z', 'case', 'C')",
            [],
        )
        .unwrap_err();
    assert!(e.to_string().contains("needs its hash"), "{e}");
}

#[test]
fn a_database_others_can_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("office");
    let path = folder.join("p.db");
    drop(Store::open(&path).unwrap());
    let chmod = |p: &Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };

    for mode in [0o602, 0o606, 0o666] {
        chmod(&path, mode);
        let e = Store::open(&path).err().expect("refused");
        let msg = format!("{e:#}");
        assert!(
            msg.contains(&format!(
                "{}: the database file can be written",
                path.display()
            )) && msg.contains(&format!("chmod o-w {}", path.display())),
            "{msg}"
        );
        let out = pingshen(&path, &["audit", "verify"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
        assert!(stderr.contains("chmod o-w"), "{stderr}");
    }
    // Read or written by the group (the office's reviewers' group shares one database):
    // accepted.
    for mode in [0o640, 0o660] {
        chmod(&path, mode);
        drop(Store::open(&path).unwrap());
    }
    chmod(&path, 0o600);
    chmod(&folder, 0o2770);
    drop(Store::open(&path).unwrap());

    chmod(&folder, 0o777);
    let msg = format!("{:#}", Store::open(&path).err().expect("refused"));
    assert!(
        msg.contains(&format!("{}: the database folder", folder.display()))
            && msg.contains(&format!("chmod o-w {}", folder.display())),
        "{msg}"
    );
    // A new database in such a folder is refused too, before the file is made.
    let fresh = folder.join("new.db");
    assert!(Store::open(&fresh).is_err());
    assert!(!fresh.exists());
    // Writable by all but sticky (as /tmp): others cannot replace the owner's file.
    chmod(&folder, 0o1777);
    drop(Store::open(&path).unwrap());
    chmod(&folder, 0o700);
    drop(Store::open(&path).unwrap());
}

/// The child entry of this binary: a reviewer process that keeps writing until told to stop.
#[test]
fn child_worker() {
    let Ok(worker) = std::env::var(common::CHILD_ENV) else {
        return;
    };
    assert_eq!(worker, "writer");
    let db = std::env::var("PINGSHEN_TEST_DB").unwrap();
    let stop = std::env::var("PINGSHEN_TEST_STOP").unwrap();
    let store = Store::open(Path::new(&db)).unwrap();
    let actor = review::actor(&store.conn, "w").unwrap();
    let d = review::case_detail(&store.conn, &actor, "GZ-2026-S-0001").unwrap();
    let item = d
        .checklist
        .iter()
        .find(|r| r.auto_result != pingshen::domain::evaluate::ItemResult::Fail)
        .unwrap()
        .clone();
    let mut version = d.version;
    let mut writes = 0u64;
    while !Path::new(&stop).exists() && writes < 20_000 {
        version = if writes.is_multiple_of(2) {
            review::set_note(
                &store.conn,
                &actor,
                d.id,
                version,
                None,
                &format!("write {writes} {}", "备注".repeat(200)),
            )
        } else {
            let mark = (writes % 4 == 1).then_some(Mark::Pass);
            review::mark_item(
                &store.conn,
                &actor,
                d.id,
                version,
                &item.item_id,
                item.occupation.as_deref(),
                mark,
                None,
            )
        }
        .unwrap();
        writes += 1;
        if writes == 1 {
            // Tells the parent that writing has started.
            std::fs::write(format!("{stop}.started"), "").unwrap();
        }
    }
    println!("RESULT {writes}");
}

#[test]
fn backup_while_another_process_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    {
        let mut store = Store::open(&db).unwrap();
        common::add_reviewer(&store, "w", "reviewer", "520000");
        // `pingshen backup` runs as the test's OS account: a copy of everything is a
        // provincial admin's to make.
        let me = pingshen::commands::os_account().unwrap();
        common::add_reviewer(&store, &me, "admin", "520000");
        common::import_case(&mut store, &common::selection_case("GZ-2026-S-0001", 1));
        // Some bulk, so that the copy takes a while and overlaps many writes.
        let tx = store.conn.transaction().unwrap();
        for n in 0..3000 {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                rusqlite::params![format!("filler-{n}"), "x".repeat(2000)],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    let stop = dir.path().join("stop");
    let child = common::spawn_child(
        "child_worker",
        "writer",
        &[
            ("PINGSHEN_TEST_DB", db.display().to_string()),
            ("PINGSHEN_TEST_STOP", stop.display().to_string()),
        ],
    );
    let started = dir.path().join("stop.started");
    let t0 = std::time::Instant::now();
    while !started.exists() {
        assert!(t0.elapsed().as_secs() < 60, "the writer never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut backups = Vec::new();
    for i in 0..3 {
        let target = dir.path().join(format!("backup-{i}.db"));
        let out = pingshen(&db, &["backup", target.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.starts_with("backup written: "), "{stdout}");
        backups.push(target);
    }
    std::fs::write(&stop, "").unwrap();
    let writes: u64 = common::child_result(child).parse().unwrap();
    assert!(writes > 0);

    let mut versions = Vec::new();
    for target in &backups {
        let mode = std::fs::metadata(target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the copy holds personal data");
        let copy = Store::open(target).unwrap();
        let ok: String = copy
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let v = audit::verify(&copy.conn).unwrap();
        assert_eq!(v.broken, None);
        let out = pingshen(target, &["audit", "verify"]);
        assert!(out.status.success(), "{:?}", out);
        // The copy is one moment of the live database: its case's version counts exactly
        // the audited writes up to that moment.
        let (version, audited): (i64, i64) = copy
            .conn
            .query_row(
                "SELECT version, (SELECT count(*) FROM audit_log WHERE entity = 'case'
                                    AND entity_id = case_no AND action <> 'case.import')
                 FROM cases WHERE case_no = 'GZ-2026-S-0001'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(version, 1 + audited);
        versions.push(version);
    }
    // Taken one after another while the writer ran: each copy a later moment than the last.
    let live: i64 = Store::open(&db)
        .unwrap()
        .conn
        .query_row(
            "SELECT version FROM cases WHERE case_no = 'GZ-2026-S-0001'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        versions.windows(2).all(|w| w[0] <= w[1]) && versions[0] < live,
        "copies at versions {versions:?}, live {live}: the writes overlapped the backups"
    );
    assert_eq!(live, 1 + writes as i64);

    // Never over an existing file: refused, and the file left as it was.
    let before = std::fs::read(&backups[0]).unwrap();
    let out = pingshen(&db, &["backup", backups[0].to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(&backups[0]).unwrap(), before);
}
