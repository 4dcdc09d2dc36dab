//! The audit log: every change to a case, an institution, a reviewer or the records, with who
//! made it, when, and the record before and after. Written in the change's own transaction.

use anyhow::Result;
use rusqlite::{params, Connection};
use serde_json::Value;

pub struct Entry<'a> {
    pub account: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: Option<&'a Value>,
    pub after: Option<&'a Value>,
}

pub fn record(conn: &Connection, e: Entry<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO audit_log (at, account, action, entity, entity_id, before, after)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            super::now(),
            e.account,
            e.action,
            e.entity,
            e.entity_id,
            e.before.map(Value::to_string),
            e.after.map(Value::to_string),
        ],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub at: String,
    pub account: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub fn for_entity(conn: &Connection, entity: &str, entity_id: &str) -> Result<Vec<Row>> {
    let mut st = conn.prepare(
        "SELECT id, at, account, action, entity, entity_id, before, after FROM audit_log
         WHERE entity = ?1 AND entity_id = ?2 ORDER BY id",
    )?;
    let rows = st
        .query_map(params![entity, entity_id], |r| {
            Ok(Row {
                id: r.get(0)?,
                at: r.get(1)?,
                account: r.get(2)?,
                action: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                before: r.get(6)?,
                after: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
