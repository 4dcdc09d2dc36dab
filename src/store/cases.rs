//! Cases: an imported application, its checklist as evaluated, its deadlines and its state.

use super::audit::{self, Entry};
use super::institutions;
use crate::domain::application::{Application, CaseKind};
use crate::domain::evaluate::Evaluation;
use anyhow::{bail, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;

pub const STATUSES: &[&str] = &[
    "new",
    "in_review",
    "supplement",
    "proposed",
    "decided",
    "closed",
];

pub fn id_by_case_no(conn: &Connection, case_no: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT id FROM cases WHERE case_no = ?1", [case_no], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Stores an evaluated application as a new case, in the caller's transaction: the
/// institution (added or updated), the case, its occupations, checklist and deadlines, and an
/// audit entry. Refuses a case number that is already there.
pub fn insert(
    conn: &Connection,
    account: &str,
    app: &Application,
    ev: &Evaluation,
    status: &str,
) -> Result<i64> {
    insert_as(conn, account, app, ev, status, "case.import", None)
}

/// `insert` with the audit action named (`case.import`, `case.sweep`) and more facts for the
/// audit entry's `after`. An exit case also gets its row in `exits` (opened by import).
pub fn insert_as(
    conn: &Connection,
    account: &str,
    app: &Application,
    ev: &Evaluation,
    status: &str,
    action: &str,
    extra: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<i64> {
    if !STATUSES.contains(&status) {
        bail!("unknown case status '{status}'");
    }
    if id_by_case_no(conn, &app.case_no)?.is_some() {
        bail!("case_no: {} is already in the database", app.case_no);
    }
    // A selection applicant is not yet recognised; renewal and exit cases concern a
    // recognised institution, whose occupations are on record.
    let inst_status = match app.kind {
        CaseKind::Selection => "applicant",
        CaseKind::Renewal | CaseKind::Exit => "active",
    };
    let inst_id = institutions::upsert(conn, account, &app.institution, inst_status)?;
    if app.kind != CaseKind::Selection {
        institutions::add_occupations(conn, inst_id, &app.occupations)?;
    }
    let now = super::now();
    conn.execute(
        "INSERT INTO cases (case_no, kind, institution_id, region, submitted_on, status, outcome,
           rules_version, application, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            app.case_no,
            kind_word(app.kind),
            inst_id,
            app.institution.region,
            app.submitted_on.to_string(),
            status,
            ev.outcome.word(),
            ev.rules_version,
            serde_json::to_string(app)?,
            now,
        ],
    )?;
    let case_id = conn.last_insert_rowid();
    let mut occ = conn.prepare_cached(
        "INSERT INTO case_occupations (case_id, code, name, levels) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for o in &app.occupations {
        occ.execute(params![
            case_id,
            o.code,
            o.name,
            serde_json::to_string(&o.levels)?
        ])?;
    }
    let mut item = conn.prepare_cached(
        "INSERT INTO checklist (case_id, item_id, occupation, seq, auto_result, detail_zh, detail_en)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (seq, i) in ev.items.iter().enumerate() {
        item.execute(params![
            case_id,
            i.id,
            i.occupation.as_deref().unwrap_or(""),
            seq as i64,
            i.result.word(),
            i.detail.zh,
            i.detail.en,
        ])?;
    }
    let mut dl = conn.prepare_cached(
        "INSERT INTO deadlines (case_id, item, due, detail_zh, detail_en, unknown_years)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for d in &ev.deadlines {
        dl.execute(params![
            case_id,
            d.item,
            d.due.to_string(),
            d.detail.zh,
            d.detail.en,
            serde_json::to_string(&d.unknown_years)?,
        ])?;
    }
    if app.kind == CaseKind::Exit {
        super::exits::register(conn, case_id, inst_id, app)?;
    }
    let mut after = json!({
        "kind": kind_word(app.kind),
        "credit_code": app.institution.credit_code,
        "status": status,
        "outcome": ev.outcome.word(),
        "rules_version": ev.rules_version,
        "items": ev.items.len(),
    });
    if let (Some(extra), Some(map)) = (extra, after.as_object_mut()) {
        map.extend(extra.clone());
    }
    audit::record(
        conn,
        Entry {
            account,
            action,
            entity: "case",
            entity_id: &app.case_no,
            before: None,
            after: Some(&after),
        },
    )?;
    Ok(case_id)
}

pub fn kind_word(k: CaseKind) -> &'static str {
    match k {
        CaseKind::Selection => "selection",
        CaseKind::Renewal => "renewal",
        CaseKind::Exit => "exit",
    }
}

/// A case as the list and the headless commands show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub case_no: String,
    pub kind: String,
    pub institution: String,
    pub credit_code: String,
    pub category: String,
    pub region: String,
    pub status: String,
    pub outcome: String,
    pub submitted_on: String,
    pub rules_version: String,
}

pub fn summary(conn: &Connection, case_no: &str) -> Result<Option<Summary>> {
    Ok(conn
        .query_row(
            "SELECT c.case_no, c.kind, i.name, i.credit_code, i.category, c.region, c.status,
                    c.outcome, c.submitted_on, c.rules_version
             FROM cases c JOIN institutions i ON i.id = c.institution_id WHERE c.case_no = ?1",
            [case_no],
            |r| {
                Ok(Summary {
                    case_no: r.get(0)?,
                    kind: r.get(1)?,
                    institution: r.get(2)?,
                    credit_code: r.get(3)?,
                    category: r.get(4)?,
                    region: r.get(5)?,
                    status: r.get(6)?,
                    outcome: r.get(7)?,
                    submitted_on: r.get(8)?,
                    rules_version: r.get(9)?,
                })
            },
        )
        .optional()?)
}
