//! Reviewers: OS accounts with a role and the region they may act on (520000 = province).

use super::audit::{self, Entry};
use anyhow::{bail, Result};
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reviewer {
    pub account: String,
    pub role: String,
    pub region: String,
}

pub const ROLES: &[&str] = &["reviewer", "approver", "admin"];

pub fn get(conn: &Connection, account: &str) -> Result<Option<Reviewer>> {
    Ok(conn
        .query_row(
            "SELECT account, role, region FROM reviewers WHERE account = ?1",
            [account],
            |r| {
                Ok(Reviewer {
                    account: r.get(0)?,
                    role: r.get(1)?,
                    region: r.get(2)?,
                })
            },
        )
        .optional()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM reviewers", [], |r| r.get(0))?)
}

/// Adds or updates a reviewer, in the caller's transaction, with an audit entry.
pub fn upsert(conn: &Connection, by: &str, rv: &Reviewer) -> Result<()> {
    if !ROLES.contains(&rv.role.as_str()) {
        bail!("role '{}' is not one of {}", rv.role, ROLES.join(", "));
    }
    let before = get(conn, &rv.account)?;
    conn.execute(
        "INSERT INTO reviewers (account, role, region, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account) DO UPDATE SET role = excluded.role, region = excluded.region",
        params![rv.account, rv.role, rv.region, super::now()],
    )?;
    audit::record(
        conn,
        Entry {
            account: by,
            action: if before.is_some() {
                "reviewer.update"
            } else {
                "reviewer.add"
            },
            entity: "reviewer",
            entity_id: &rv.account,
            before: before.map(|b| serde_json::json!(b)).as_ref(),
            after: Some(&serde_json::json!(rv)),
        },
    )?;
    Ok(())
}
