//! Forward-only migrations: an empty file and a file at every earlier version reach the
//! latest; the store runs in WAL mode with foreign keys on; the audit log is append-only.

use pingshen::store::{self, Store, MIGRATIONS};

#[test]
fn empty_file_reaches_latest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = store
        .conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    use std::os::unix::fs::PermissionsExt;
    let perm = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(perm, 0o600, "the database holds personal data");
}

#[test]
fn every_earlier_version_reaches_latest() {
    for v in 1..MIGRATIONS.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = store::connect(&path).unwrap();
            store::migrations().to_version(&mut conn, v).unwrap();
            let at: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(at as usize, v);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            MIGRATIONS.len(),
            "from version {v}"
        );
    }
}

#[test]
fn migrations_validate() {
    store::migrations().validate().unwrap();
}

#[test]
fn audit_log_cannot_be_edited() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("a.db")).unwrap();
    store::audit::record(
        &store.conn,
        store::audit::Entry {
            account: "tester",
            action: "x",
            entity: "case",
            entity_id: "1",
            before: None,
            after: None,
        },
    )
    .unwrap();
    let e = store
        .conn
        .execute("UPDATE audit_log SET account = 'mallory'", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = store.conn.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
}
