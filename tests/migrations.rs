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

/// Version 3 held certificates keyed by number with 64-hex hashes and a covering index;
/// version 4 moves them to a rowid table with 16-byte hashes and fills the day counts.
#[test]
fn certificates_of_version_3_move_to_version_4_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    let hash = "ab".repeat(32);
    {
        let mut conn = store::connect(&path).unwrap();
        store::migrations().to_version(&mut conn, 3).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO imports (id, at, account, file, rows, added, duplicates, warnings)
               VALUES (1, '2026-01-01T00:00:00Z', 't', 'f.csv', 3, 3, 0, 0);
             INSERT INTO certificates VALUES
               ('Y000152000001253000001', '91520100123456789X', '4-10-01-06', 3, '2024-03-05',
                '王芳', '{hash}', '520102********123X', 1),
               ('Y000152000001253000002', '91520100123456789X', '4-10-01-06', 3, '2024-03-05',
                NULL, NULL, NULL, 1),
               ('Y000152000001253000003', '91520100123456789X', '4-10-01-05', 4, '2024-03-06',
                NULL, NULL, NULL, 1);"
        ))
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    let (n, h): (i64, Vec<u8>) = s
        .conn
        .query_row(
            "SELECT count(*), (SELECT holder_id_hash FROM certificates
                               WHERE certificate_no = 'Y000152000001253000001')
             FROM certificates",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(h, vec![0xab; 16]);
    let counts: Vec<(String, String, i64)> = s
        .conn
        .prepare("SELECT issued_on, occupation_code, n FROM certificate_counts ORDER BY 1, 2")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        counts,
        vec![
            ("2024-03-05".into(), "4-10-01-06".into(), 2),
            ("2024-03-06".into(), "4-10-01-05".into(), 1)
        ]
    );
}
