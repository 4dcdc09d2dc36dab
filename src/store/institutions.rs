//! Institutions (评价机构): their recognition period, status and occupations.

use super::audit::{self, Entry};
use crate::domain::application::{Institution, Occupation};
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

pub const STATUSES: &[&str] = &["applicant", "active", "exiting", "exited", "refused"];

fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn snapshot(conn: &Connection, id: i64) -> Result<Option<Value>> {
    Ok(conn
        .query_row(
            "SELECT credit_code, name, category, legal_form, region, legal_representative,
                    enterprise_class, guizhou_featured, valid_from, valid_to, status, exited_on
             FROM institutions WHERE id = ?1",
            [id],
            |r| {
                Ok(json!({
                    "credit_code": r.get::<_, String>(0)?,
                    "name": r.get::<_, String>(1)?,
                    "category": r.get::<_, String>(2)?,
                    "legal_form": r.get::<_, Option<String>>(3)?,
                    "region": r.get::<_, String>(4)?,
                    "legal_representative": r.get::<_, Option<String>>(5)?,
                    "enterprise_class": r.get::<_, String>(6)?,
                    "guizhou_featured": r.get::<_, i64>(7)? != 0,
                    "valid_from": r.get::<_, Option<String>>(8)?,
                    "valid_to": r.get::<_, Option<String>>(9)?,
                    "status": r.get::<_, String>(10)?,
                    "exited_on": r.get::<_, Option<String>>(11)?,
                }))
            },
        )
        .optional()?)
}

pub fn id_by_credit_code(conn: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM institutions WHERE credit_code = ?1",
            [code],
            |r| r.get(0),
        )
        .optional()?)
}

/// Adds the institution, or brings its record up to date with the file; `status` is used
/// for a new record only. Audited when anything changed.
pub fn upsert(conn: &Connection, account: &str, inst: &Institution, status: &str) -> Result<i64> {
    let existing = id_by_credit_code(conn, &inst.credit_code)?;
    let before = match existing {
        Some(id) => snapshot(conn, id)?,
        None => None,
    };
    let classes = serde_json::to_string(&inst.enterprise_class)?;
    let legal_form = inst.legal_form.map(|l| word(&l));
    let id = match existing {
        Some(id) => {
            conn.execute(
                "UPDATE institutions SET name = ?2, category = ?3, legal_form = ?4, region = ?5,
                   legal_representative = ?6, enterprise_class = ?7, guizhou_featured = ?8,
                   valid_from = coalesce(?9, valid_from), valid_to = coalesce(?10, valid_to),
                   updated_at = ?11
                 WHERE id = ?1",
                params![
                    id,
                    inst.name,
                    word(&inst.category),
                    legal_form,
                    inst.region,
                    inst.legal_representative,
                    classes,
                    inst.guizhou_featured,
                    inst.valid_from.map(|d| d.to_string()),
                    inst.valid_to.map(|d| d.to_string()),
                    super::now(),
                ],
            )?;
            id
        }
        None => {
            conn.execute(
                "INSERT INTO institutions (credit_code, name, category, legal_form, region,
                   legal_representative, enterprise_class, guizhou_featured, valid_from, valid_to,
                   status, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                params![
                    inst.credit_code,
                    inst.name,
                    word(&inst.category),
                    legal_form,
                    inst.region,
                    inst.legal_representative,
                    classes,
                    inst.guizhou_featured,
                    inst.valid_from.map(|d| d.to_string()),
                    inst.valid_to.map(|d| d.to_string()),
                    status,
                    super::now(),
                ],
            )?;
            conn.last_insert_rowid()
        }
    };
    let after = snapshot(conn, id)?;
    if before != after {
        audit::record(
            conn,
            Entry {
                account,
                action: if before.is_some() {
                    "institution.update"
                } else {
                    "institution.add"
                },
                entity: "institution",
                entity_id: &inst.credit_code,
                before: before.as_ref(),
                after: after.as_ref(),
            },
        )?;
    }
    Ok(id)
}

/// Records occupations the institution is recognised for (added, never silently dropped).
pub fn add_occupations(conn: &Connection, id: i64, occs: &[Occupation]) -> Result<()> {
    let mut st = conn.prepare_cached(
        "INSERT INTO institution_occupations (institution_id, code, name, levels)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (institution_id, code) DO UPDATE SET levels = excluded.levels",
    )?;
    for o in occs {
        st.execute(params![
            id,
            o.code,
            o.name,
            serde_json::to_string(&o.levels)?
        ])?;
    }
    Ok(())
}

/// Moves an institution to another status, audited.
pub fn set_status(conn: &Connection, account: &str, id: i64, status: &str) -> Result<()> {
    anyhow::ensure!(STATUSES.contains(&status), "unknown status '{status}'");
    let before = snapshot(conn, id)?;
    conn.execute(
        "UPDATE institutions SET status = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, status, super::now()],
    )?;
    let after = snapshot(conn, id)?;
    let code = after
        .as_ref()
        .and_then(|v| v["credit_code"].as_str().map(str::to_string))
        .unwrap_or_default();
    audit::record(
        conn,
        Entry {
            account,
            action: "institution.status",
            entity: "institution",
            entity_id: &code,
            before: before.as_ref(),
            after: after.as_ref(),
        },
    )
}
