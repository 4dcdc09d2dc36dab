//! Migration 005 on a database of version 4: exit cases get their `exits` row, the periods
//! known from the institutions and the audit log fill the history, and an institution that
//! had exited gets the day it left; afterwards the history keeps itself.

use pingshen::store::{self, Store};

#[test]
fn version_4_exits_and_periods_move_to_version_5() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    {
        let mut conn = store::connect(&path).unwrap();
        store::migrations().to_version(&mut conn, 4).unwrap();
        conn.execute_batch(
            r#"
            INSERT INTO institutions (id, credit_code, name, category, region, valid_from,
                                      valid_to, status, updated_at)
            VALUES (1, 'A1', '甲', 'school', '520102', '2023-12-01', '2026-11-30', 'exited', 't'),
                   (2, 'B2', '乙', 'employer', '520102', '2026-12-01', '2029-11-30', 'active', 't');
            INSERT INTO cases (id, case_no, kind, institution_id, region, submitted_on, status,
                               outcome, rules_version, application, decision, decided_at,
                               created_at, updated_at)
            VALUES (1, 'GZ-2026-E-0001', 'exit', 1, '520102', '2026-09-01', 'closed',
                    'needs_review', 'v',
                    '{"exit":{"kind":"voluntary","requested_on":"2026-09-01","intended_end":"2026-10-31"},"institution":{"valid_to":"2026-11-30"}}',
                    '{"decision":"approve"}', '2026-09-10T02:00:00Z', 't', 't');
            INSERT INTO audit_log (at, account, action, entity, entity_id, before, after)
            VALUES ('t', 'x', 'institution.period', 'institution', 'B2',
                    '{"valid_from":"2023-12-01","valid_to":"2026-11-30"}',
                    '{"valid_from":"2026-12-01","valid_to":"2029-11-30"}'),
                   ('t', 'x', 'institution.period', 'institution', 'B2', 'not json', NULL);
            "#,
        )
        .unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), store::MIGRATIONS.len());
    let exit: (String, String, Option<String>, String) = s
        .conn
        .query_row(
            "SELECT kind, cause, trigger_on, opened_by FROM exits WHERE case_id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        exit,
        (
            "voluntary".into(),
            "request".into(),
            Some("2026-09-01".into()),
            "import".into()
        )
    );
    let exited: Option<String> = s
        .conn
        .query_row("SELECT exited_on FROM institutions WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(exited.as_deref(), Some("2026-11-01"));
    let periods = |s: &Store| -> Vec<(i64, String, String, Option<String>)> {
        s.conn
            .prepare(
                "SELECT institution_id, valid_from, valid_to, ended_on FROM recognition_periods
                 ORDER BY institution_id, valid_from",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        periods(&s),
        vec![
            (
                1,
                "2023-12-01".into(),
                "2026-11-30".into(),
                Some("2026-11-01".into())
            ),
            (2, "2023-12-01".into(), "2026-11-30".into(), None),
            (2, "2026-12-01".into(), "2029-11-30".into(), None),
        ]
    );
    // From now on the database keeps the history itself: a renewal adds a period, a
    // correction of the current one replaces it.
    s.conn
        .execute(
            "UPDATE institutions SET valid_from = '2029-12-01', valid_to = '2032-11-30' WHERE id = 2",
            [],
        )
        .unwrap();
    s.conn
        .execute(
            "UPDATE institutions SET valid_from = '2029-11-15', valid_to = '2032-11-14' WHERE id = 2",
            [],
        )
        .unwrap();
    let p = periods(&s);
    assert_eq!(p.len(), 4, "{p:?}");
    assert_eq!(p[3], (2, "2029-11-15".into(), "2032-11-14".into(), None));
    assert!(!p.iter().any(|x| x.1 == "2029-12-01"), "{p:?}");
}
