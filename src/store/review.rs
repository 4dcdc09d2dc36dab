//! The review desk's store (SPEC section 7): what a reviewer sees — the queue, a case, its
//! history — and what they do — mark items, write notes, propose, approve, send back.
//!
//! Three rules hold for everything here:
//! - Region scope is part of the SQL of every query and action: a case outside the reviewer's
//!   region is reported exactly like a case that does not exist. (The province's scope is
//!   every case, so queue queries give it no condition at all; see `queue_where`.)
//! - Every write names the case version the reviewer saw; if someone else changed the case
//!   meanwhile, nothing is written and the error says who and when.
//! - Every write is one transaction with its audit entry (entity "case", id the case number).

use super::audit::{self, Entry};
use super::institutions;
use crate::domain::application::{Application, CaseKind};
use crate::domain::evaluate::{decide, ItemResult, Outcome};
use anyhow::{Context as _, Result};
use chrono::{Days, Months, NaiveDate};
use rusqlite::types::Value as SqlValue;
use rusqlite::{
    params, params_from_iter, Connection, OptionalExtension, Transaction, TransactionBehavior,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

// ------------------------------------------------------------------------------ errors

/// The refusals a caller may want to tell apart (`err.downcast_ref::<ReviewError>()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// Someone else changed the case since the caller read it; nothing was written.
    #[error("{}", conflict_message(.case_no, .by.as_deref(), .at.as_deref()))]
    Conflict {
        case_no: String,
        by: Option<String>,
        at: Option<String>,
    },
    /// Not there, or not in the actor's region: the two are not told apart on purpose.
    #[error("case {0} not found in your region")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
}

fn conflict_message(case_no: &str, by: Option<&str>, at: Option<&str>) -> String {
    let who = by.unwrap_or("another reviewer");
    let when = at.map(|t| format!(" at {t}")).unwrap_or_default();
    format!(
        "case {case_no} was changed by {who}{when} while you were working on it; \
         your change was not saved — reload (r) and try again"
    )
}

fn invalid(msg: impl Into<String>) -> anyhow::Error {
    ReviewError::Invalid(msg.into()).into()
}

fn forbidden(msg: impl Into<String>) -> anyhow::Error {
    ReviewError::Forbidden(msg.into()).into()
}

// ------------------------------------------------------------------------------ actor and scope

/// The reviewer acting: their OS account, role and region, as the `reviewers` table has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account: String,
    pub role: String,
    pub region: String,
}

impl Actor {
    pub fn can_approve(&self) -> bool {
        matches!(self.role.as_str(), "approver" | "admin")
    }

    /// A reviewer of the whole province (520000), not of a prefecture or county.
    pub fn is_province(&self) -> bool {
        scope_prefix(&self.region).len() <= 2
    }
}

pub fn actor(conn: &Connection, account: &str) -> Result<Actor> {
    let found = conn
        .query_row(
            "SELECT account, role, region FROM reviewers WHERE account = ?1",
            [account],
            |r| {
                Ok(Actor {
                    account: r.get(0)?,
                    role: r.get(1)?,
                    region: r.get(2)?,
                })
            },
        )
        .optional()?;
    found.ok_or_else(|| {
        forbidden(format!(
            "account '{account}' is not a pingshen reviewer: an admin adds it with \
             'pingshen reviewer add {account} --role reviewer --region CODE'"
        ))
    })
}

/// The code prefix a region covers (GB/T 2260): trailing "00" pairs dropped, so 520000 →
/// "52" (the province), 520100 → "5201" (a prefecture), 520102 → "520102" (a county).
/// At least two characters are kept so that no code ever widens to "everything".
pub fn scope_prefix(region: &str) -> String {
    let mut p = region.trim();
    while p.len() > 2 && p.ends_with("00") {
        p = &p[..p.len() - 2];
    }
    p.to_string()
}

/// A prefix as a half-open range, so that the condition can use the region indexes:
/// codes are digits and ':' is the character after '9'.
fn prefix_range(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}:"))
}

fn scope_range(region: &str) -> (String, String) {
    prefix_range(&scope_prefix(region))
}

// ------------------------------------------------------------------------------ queue

#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    /// A region code prefix ("5201"), narrowing the actor's scope, never widening it.
    pub region: Option<String>,
    pub mine: bool,
    pub unassigned: bool,
    /// Only these case ids, in this order (a search's ranking); the sort is then ignored.
    pub ids: Option<Vec<i64>>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum QueueSort {
    /// Oldest submission first: the office works first come, first served.
    #[default]
    Waiting,
    /// Earliest open deadline first; cases without one last.
    Deadline,
    CaseNo,
    Institution,
    Region,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    pub id: i64,
    pub case_no: String,
    pub institution: String,
    pub credit_code: String,
    pub kind: String,
    pub category: String,
    pub region: String,
    pub status: String,
    pub outcome: String,
    pub submitted_on: String,
    pub assigned_to: Option<String>,
    /// The earliest deadline not yet done.
    pub next_due: Option<String>,
    pub version: i64,
}

const NEXT_DUE: &str =
    "(SELECT min(d.due) FROM deadlines d WHERE d.case_id = c.id AND d.done_on IS NULL)";

const DEADLINE_ORDER: &str = "coalesce((SELECT min(d.due) FROM deadlines d
    WHERE d.case_id = c.id AND d.done_on IS NULL), '9999-12-31'), c.submitted_on, c.id";

/// Codes of the whole province start with this: its reviewers see every case.
const PROVINCE_PREFIX: &str = "52";

/// What a queue query joins besides `cases` (institutions are joined anyway when the filter
/// names a category).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    Nothing,
    Institutions,
}

/// FROM and WHERE of a queue query, with its parameters. The actor's scope is always applied;
/// `institutions` is joined only when the filter or the sort needs it, because a join over
/// every case costs more than the page it serves.
fn queue_where(
    actor: &Actor,
    f: &QueueFilter,
    with_status: bool,
    join: Join,
) -> Result<(String, Vec<SqlValue>)> {
    let mut sql = String::from("FROM cases c");
    let mut args: Vec<SqlValue> = Vec::new();
    if join == Join::Institutions || f.category.is_some() {
        sql.push_str(" JOIN institutions i ON i.id = c.institution_id");
    }
    if let Some(ids) = &f.ids {
        // Duplicates would repeat rows; the first place of an id is its rank.
        let mut seen = std::collections::HashSet::new();
        let ids: Vec<i64> = ids.iter().copied().filter(|i| seen.insert(*i)).collect();
        sql.push_str(" JOIN json_each(?) j ON j.value = c.id");
        args.push(SqlValue::Text(serde_json::to_string(&ids)?));
    }
    sql.push_str(" WHERE 1");
    // Every case is Guizhou's (checked at import), so the province's scope needs no
    // condition; leaving it out lets the planner walk the sort order's index.
    let scope = scope_prefix(&actor.region);
    if scope != PROVINCE_PREFIX {
        let (lo, hi) = prefix_range(&scope);
        sql.push_str(" AND c.region >= ? AND c.region < ?");
        args.push(SqlValue::Text(lo));
        args.push(SqlValue::Text(hi));
    }
    if let Some(r) = f.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        let (lo, hi) = prefix_range(r);
        sql.push_str(" AND c.region >= ? AND c.region < ?");
        args.push(SqlValue::Text(lo));
        args.push(SqlValue::Text(hi));
    }
    let mut eq = |col: &str, v: &Option<String>| {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ?"));
            args.push(SqlValue::Text(v.clone()));
        }
    };
    eq("c.kind", &f.kind);
    eq("i.category", &f.category);
    if with_status {
        eq("c.status", &f.status);
    }
    if f.mine {
        sql.push_str(" AND c.assigned_to = ?");
        args.push(SqlValue::Text(actor.account.clone()));
    }
    if f.unassigned {
        sql.push_str(" AND c.assigned_to IS NULL");
    }
    Ok((sql, args))
}

/// One page of the queue. Two steps: the page's ids under the filter and sort (narrow, so
/// that the sort reads indexes rather than rows), then those rows in full.
pub fn queue_page(
    conn: &Connection,
    actor: &Actor,
    filter: &QueueFilter,
    sort: QueueSort,
    offset: usize,
    limit: usize,
) -> Result<Vec<QueueRow>> {
    let join = match (filter.ids.is_some(), sort) {
        (false, QueueSort::Institution) => Join::Institutions,
        _ => Join::Nothing,
    };
    let (from, mut args) = queue_where(actor, filter, true, join)?;
    let order = if filter.ids.is_some() {
        "j.key"
    } else {
        match sort {
            QueueSort::Waiting => "c.submitted_on, c.id",
            // A lookup per case in the open-deadlines index: measured faster than joining an
            // aggregate of all deadlines.
            QueueSort::Deadline => DEADLINE_ORDER,
            QueueSort::CaseNo => "c.case_no",
            QueueSort::Institution => "i.name, c.case_no",
            QueueSort::Region => "c.region, c.submitted_on, c.id",
        }
    };
    args.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    args.push(SqlValue::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
    let ids: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT c.id {from} ORDER BY {order} LIMIT ? OFFSET ?"
        ))?
        .query_map(params_from_iter(args), |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT c.id, c.case_no, i.name, i.credit_code, c.kind, i.category, c.region, c.status,
                c.outcome, c.submitted_on, c.assigned_to, {NEXT_DUE}, c.version
         FROM json_each(?1) j JOIN cases c ON c.id = j.value
         JOIN institutions i ON i.id = c.institution_id"
    ))?;
    let mut rows: std::collections::HashMap<i64, QueueRow> = st
        .query_map([serde_json::to_string(&ids)?], |r| {
            Ok(QueueRow {
                id: r.get(0)?,
                case_no: r.get(1)?,
                institution: r.get(2)?,
                credit_code: r.get(3)?,
                kind: r.get(4)?,
                category: r.get(5)?,
                region: r.get(6)?,
                status: r.get(7)?,
                outcome: r.get(8)?,
                submitted_on: r.get(9)?,
                assigned_to: r.get(10)?,
                next_due: r.get(11)?,
                version: r.get(12)?,
            })
        })?
        .map(|r| r.map(|row| (row.id, row)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

pub fn queue_count(conn: &Connection, actor: &Actor, filter: &QueueFilter) -> Result<usize> {
    let (from, args) = queue_where(actor, filter, true, Join::Nothing)?;
    let n: i64 = conn
        .prepare_cached(&format!("SELECT count(*) {from}"))?
        .query_row(params_from_iter(args), |r| r.get(0))?;
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Cases per status under the filter (whose own status is ignored), every status listed in
/// workflow order, zeros included, for the queue's tabs.
pub fn status_counts(
    conn: &Connection,
    actor: &Actor,
    filter: &QueueFilter,
) -> Result<Vec<(String, usize)>> {
    let (from, args) = queue_where(actor, filter, false, Join::Nothing)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT c.status, count(*) {from} GROUP BY c.status"
    ))?;
    let found: std::collections::HashMap<String, i64> = st
        .query_map(params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(super::cases::STATUSES
        .iter()
        .map(|s| {
            let n = found.get(*s).copied().unwrap_or(0);
            (s.to_string(), usize::try_from(n).unwrap_or(0))
        })
        .collect())
}

/// (id, case_no, institution name, credit code) of every case in scope, for a fuzzy index
/// held in memory.
pub fn search_corpus(
    conn: &Connection,
    actor: &Actor,
) -> Result<Vec<(i64, String, String, String)>> {
    let (from, args) = queue_where(actor, &QueueFilter::default(), false, Join::Institutions)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT c.id, c.case_no, i.name, i.credit_code {from} ORDER BY c.id"
    ))?;
    let rows = st
        .query_map(params_from_iter(args), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

// ------------------------------------------------------------------------------ checklist

/// A reviewer's mark on a checklist item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    Pass,
    Fail,
    /// Material is missing: ask the applicant for it.
    Supplement,
}

impl Mark {
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Supplement => "supplement",
        }
    }
    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w {
            "pass" => Self::Pass,
            "fail" => Self::Fail,
            "supplement" => Self::Supplement,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistRow {
    pub item_id: String,
    pub occupation: Option<String>,
    pub seq: i64,
    pub auto_result: ItemResult,
    pub detail_zh: String,
    pub detail_en: String,
    pub mark: Option<Mark>,
    pub override_reason: Option<String>,
    pub note: Option<String>,
    pub marked_by: Option<String>,
    pub marked_at: Option<String>,
}

impl ChecklistRow {
    /// The result that counts: the reviewer's mark when there is one, else the automatic one.
    pub fn effective(&self) -> ItemResult {
        match self.mark {
            Some(Mark::Pass) => ItemResult::Pass,
            Some(Mark::Fail) => ItemResult::Fail,
            Some(Mark::Supplement) => ItemResult::Review,
            None => self.auto_result,
        }
    }

    /// Settled for a decision: an automatic pass, fail or n/a left alone, or a pass or fail
    /// mark. An item waiting for a judgement or for supplementary material is not.
    pub fn resolved(&self) -> bool {
        match self.mark {
            Some(Mark::Pass | Mark::Fail) => true,
            Some(Mark::Supplement) => false,
            // Art. 16 follows the decision: its items wait for their steps, not the proposal.
            None => {
                self.auto_result != ItemResult::Review
                    || crate::domain::exit::after_decision(&self.item_id)
            }
        }
    }

    /// "A6.3 4-10-01-06", or "A6.1" for an institution-level item.
    pub fn label(&self) -> String {
        match &self.occupation {
            Some(o) => format!("{} {o}", self.item_id),
            None => self.item_id.clone(),
        }
    }
}

fn checklist(conn: &Connection, case_id: i64) -> Result<Vec<ChecklistRow>> {
    let mut st = conn.prepare_cached(
        "SELECT item_id, occupation, seq, auto_result, detail_zh, detail_en, mark,
                override_reason, note, marked_by, marked_at
         FROM checklist WHERE case_id = ?1 ORDER BY seq",
    )?;
    let raw = st
        .query_map([case_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(
            |(item_id, occ, seq, auto, zh, en, mark, reason, note, by, at)| {
                let auto_result = ItemResult::from_word(&auto)
                    .with_context(|| format!("checklist {item_id}: unknown result '{auto}'"))?;
                let mark = match mark {
                    Some(m) => Some(
                        Mark::from_word(&m)
                            .with_context(|| format!("checklist {item_id}: unknown mark '{m}'"))?,
                    ),
                    None => None,
                };
                Ok(ChecklistRow {
                    item_id,
                    occupation: Some(occ).filter(|o| !o.is_empty()),
                    seq,
                    auto_result,
                    detail_zh: zh,
                    detail_en: en,
                    mark,
                    override_reason: reason,
                    note,
                    marked_by: by,
                    marked_at: at,
                })
            },
        )
        .collect()
}

/// The case's occupation codes, in the order of the application.
fn case_occupations(conn: &Connection, case_id: i64) -> Result<Vec<String>> {
    let mut st =
        conn.prepare_cached("SELECT code FROM case_occupations WHERE case_id = ?1 ORDER BY rowid")?;
    let codes = st
        .query_map([case_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(codes)
}

/// The outcome and grantable occupations over the effective results (marks win).
fn outcome_of(
    kind: CaseKind,
    occupations: &[String],
    rows: &[ChecklistRow],
) -> (Outcome, Vec<String>) {
    let occs: Vec<&str> = occupations.iter().map(String::as_str).collect();
    decide(
        kind,
        &occs,
        rows.iter()
            .map(|r| (r.item_id.as_str(), r.occupation.as_deref(), r.effective())),
    )
}

fn kind_of(word: &str) -> Result<CaseKind> {
    Ok(match word {
        "selection" => CaseKind::Selection,
        "renewal" => CaseKind::Renewal,
        "exit" => CaseKind::Exit,
        other => anyhow::bail!("unknown case kind '{other}'"),
    })
}

// ------------------------------------------------------------------------------ case detail

/// A proposed (and, once approved, decided) decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// approve | approve_partial | reject | supplement
    pub decision: String,
    /// The occupations granted (approve, approve_partial); empty otherwise.
    #[serde(default)]
    pub occupations: Vec<String>,
    #[serde(default)]
    pub reasons: String,
}

pub const DECISIONS: &[&str] = &["approve", "approve_partial", "reject", "supplement"];

/// The decision word as this module writes it; the demo's older "refuse" reads as "reject".
fn decision_word(d: &str) -> &str {
    match d {
        "refuse" => "reject",
        other => other,
    }
}

#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub id: i64,
    pub case_no: String,
    pub kind: String,
    pub status: String,
    pub outcome: String,
    pub version: i64,
    pub application: Application,
    pub rules_version: String,
    pub note: Option<String>,
    pub assigned_to: Option<String>,
    pub proposal: Option<Proposal>,
    pub proposed_by: Option<String>,
    pub proposed_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub checklist: Vec<ChecklistRow>,
    /// Open deadlines (not yet done), earliest first: (item, due, detail_zh, detail_en).
    pub deadlines: Vec<(String, String, String, String)>,
    pub institution_status: String,
    /// For a renewal case: the certificates on record in the declared window, to show
    /// beside the declared counts. `None` when there are no records for the institution.
    pub recorded: Option<crate::domain::RecordedCounts>,
}

impl CaseDetail {
    pub fn unresolved(&self) -> Vec<&ChecklistRow> {
        self.checklist.iter().filter(|r| !r.resolved()).collect()
    }
}

/// Runs `f` in a read transaction when the connection is not already in one, so that the
/// case, its checklist and its version are one consistent snapshot.
fn read_snapshot<T>(conn: &Connection, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let tx = if conn.is_autocommit() {
        Some(Transaction::new_unchecked(
            conn,
            TransactionBehavior::Deferred,
        )?)
    } else {
        None
    };
    let out = f();
    drop(tx); // read only: rolling back is the same as committing
    out
}

pub fn case_detail(conn: &Connection, actor: &Actor, case_no: &str) -> Result<CaseDetail> {
    read_snapshot(conn, || load_detail(conn, actor, case_no))
}

fn load_detail(conn: &Connection, actor: &Actor, case_no: &str) -> Result<CaseDetail> {
    let (lo, hi) = scope_range(&actor.region);
    type Raw = (
        i64,
        String,
        String,
        String,
        String,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let raw: Option<Raw> = conn
        .query_row(
            "SELECT c.id, c.case_no, c.kind, c.status, c.outcome, c.version, c.application,
                    c.rules_version, c.note, c.assigned_to, c.proposal, c.proposed_by,
                    c.proposed_at, c.decided_by, c.decided_at, i.status
             FROM cases c JOIN institutions i ON i.id = c.institution_id
             WHERE c.case_no = ?1 AND c.region >= ?2 AND c.region < ?3",
            params![case_no, lo, hi],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                    r.get(15)?,
                ))
            },
        )
        .optional()?;
    let Some((
        id,
        case_no,
        kind,
        status,
        outcome,
        version,
        application,
        rules_version,
        note,
        assigned_to,
        proposal,
        proposed_by,
        proposed_at,
        decided_by,
        decided_at,
        institution_status,
    )) = raw
    else {
        return Err(ReviewError::NotFound(case_no.to_string()).into());
    };
    let application: Application = serde_json::from_str(&application)
        .with_context(|| format!("case {case_no}: the stored application cannot be read"))?;
    let proposal = match proposal {
        Some(p) => Some(
            serde_json::from_str::<Proposal>(&p)
                .with_context(|| format!("case {case_no}: the stored proposal cannot be read"))?,
        ),
        None => None,
    };
    let mut st = conn.prepare_cached(
        "SELECT item, due, detail_zh, detail_en FROM deadlines
         WHERE case_id = ?1 AND done_on IS NULL ORDER BY due, item",
    )?;
    let deadlines = st
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let inst = &application.institution;
    let recorded = match (kind.as_str(), inst.valid_from, inst.valid_to) {
        ("renewal", Some(from), Some(to)) => {
            super::certificates::recorded_counts(conn, &inst.credit_code, from, to)?
        }
        _ => None,
    };
    Ok(CaseDetail {
        id,
        recorded,
        checklist: checklist(conn, id)?,
        case_no,
        kind,
        status,
        outcome,
        version,
        application,
        rules_version,
        note,
        assigned_to,
        proposal,
        proposed_by,
        proposed_at,
        decided_by,
        decided_at,
        deadlines,
        institution_status,
    })
}

/// The audit entries of a case, oldest first.
pub fn history(conn: &Connection, actor: &Actor, case_no: &str) -> Result<Vec<audit::Row>> {
    let (lo, hi) = scope_range(&actor.region);
    let found: Option<i64> = conn
        .query_row(
            "SELECT id FROM cases WHERE case_no = ?1 AND region >= ?2 AND region < ?3",
            params![case_no, lo, hi],
            |r| r.get(0),
        )
        .optional()?;
    if found.is_none() {
        return Err(ReviewError::NotFound(case_no.to_string()).into());
    }
    audit::for_entity(conn, "case", case_no)
}

/// One line per failing item or item waiting for material, "A6.3 4-10-01-06: 培训规模 850 <
/// 1000", as the starting text of a proposal's reasons. The reviewer's note on the item,
/// when there is one, says it better than the automatic detail.
pub fn compose_reasons(detail: &CaseDetail, zh: bool) -> String {
    let mut out = String::new();
    for r in &detail.checklist {
        if r.effective() != ItemResult::Fail && r.mark != Some(Mark::Supplement) {
            continue;
        }
        let text = r
            .note
            .as_deref()
            .or(r
                .override_reason
                .as_deref()
                .filter(|_| r.mark == Some(Mark::Fail)))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(if zh { &r.detail_zh } else { &r.detail_en });
        out.push_str(&format!("{}: {}\n", r.label(), text.replace('\n', " ")));
    }
    out
}

// ------------------------------------------------------------------------------ writes

/// The statuses in which the checklist is still being worked.
const WORKABLE: &[&str] = &["new", "in_review", "supplement"];

/// What a write needs to know about its case, read inside the write's transaction.
struct Head {
    id: i64,
    case_no: String,
    kind: CaseKind,
    status: String,
    outcome: String,
    assigned_to: Option<String>,
    institution_id: i64,
    proposal: Option<String>,
    proposed_by: Option<String>,
    proposed_at: Option<String>,
}

/// An IMMEDIATE transaction takes the write lock at once, so that what a write reads (the
/// version, the status) cannot change before it writes. The busy timeout makes a second
/// writer wait its turn rather than fail.
fn begin(conn: &Connection) -> Result<Transaction<'_>> {
    Ok(Transaction::new_unchecked(
        conn,
        TransactionBehavior::Immediate,
    )?)
}

/// The actor as the table has them now: a role or region changed by an admin applies to the
/// next write, even in a session opened before the change.
fn fresh_actor(conn: &Connection, actor: &Actor) -> Result<Actor> {
    self::actor(conn, &actor.account)
}

fn load_head(conn: &Connection, actor: &Actor, case_id: i64) -> Result<Head> {
    let (lo, hi) = scope_range(&actor.region);
    let raw = conn
        .query_row(
            "SELECT id, case_no, kind, status, outcome, assigned_to, institution_id, proposal,
                    proposed_by, proposed_at
             FROM cases WHERE id = ?1 AND region >= ?2 AND region < ?3",
            params![case_id, lo, hi],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            },
        )
        .optional()?;
    let Some((id, case_no, kind, status, outcome, assigned_to, inst, proposal, pby, pat)) = raw
    else {
        return Err(ReviewError::NotFound(format!("#{case_id}")).into());
    };
    Ok(Head {
        id,
        kind: kind_of(&kind)?,
        case_no,
        status,
        outcome,
        assigned_to,
        institution_id: inst,
        proposal,
        proposed_by: pby,
        proposed_at: pat,
    })
}

/// Claims the next version, or reports who changed the case since the caller read it.
fn bump(conn: &Connection, head: &Head, expected_version: i64, now: &str) -> Result<i64> {
    let n = conn.execute(
        "UPDATE cases SET version = version + 1, updated_at = ?3 WHERE id = ?1 AND version = ?2",
        params![head.id, expected_version, now],
    )?;
    if n == 0 {
        let last: Option<(String, String)> = conn
            .query_row(
                "SELECT account, at FROM audit_log WHERE entity = 'case' AND entity_id = ?1
                 ORDER BY id DESC LIMIT 1",
                [&head.case_no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (by, at) = match last {
            Some((b, a)) => (Some(b), Some(a)),
            None => (None, None),
        };
        return Err(ReviewError::Conflict {
            case_no: head.case_no.clone(),
            by,
            at,
        }
        .into());
    }
    Ok(expected_version + 1)
}

/// The first action on a case takes it into review and, if nobody has it, to the actor.
fn start_work(
    conn: &Connection,
    actor: &Actor,
    head: &Head,
    before: &mut Map<String, Value>,
    after: &mut Map<String, Value>,
) -> Result<()> {
    if !WORKABLE.contains(&head.status.as_str()) {
        return Ok(());
    }
    if head.status == "new" {
        conn.execute(
            "UPDATE cases SET status = 'in_review' WHERE id = ?1",
            [head.id],
        )?;
        before.insert("status".into(), json!("new"));
        after.insert("status".into(), json!("in_review"));
    }
    if head.assigned_to.is_none() {
        conn.execute(
            "UPDATE cases SET assigned_to = ?2 WHERE id = ?1",
            params![head.id, actor.account],
        )?;
        before.insert("assigned_to".into(), Value::Null);
        after.insert("assigned_to".into(), json!(actor.account));
    }
    Ok(())
}

fn record(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    head: &Head,
    before: Map<String, Value>,
    after: Map<String, Value>,
) -> Result<()> {
    audit::record(
        conn,
        Entry {
            account: &actor.account,
            action,
            entity: "case",
            entity_id: &head.case_no,
            before: Some(&Value::Object(before)),
            after: Some(&Value::Object(after)),
        },
    )
}

fn label(item_id: &str, occupation: Option<&str>) -> String {
    match occupation {
        Some(o) => format!("{item_id} {o}"),
        None => item_id.to_string(),
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Sets (or with `None` clears) a reviewer's mark on one checklist item and recomputes the
/// case outcome. Passing an automatic fail, or failing an automatic pass, overrides the
/// computation and needs a written reason (SPEC section 3).
#[allow(clippy::too_many_arguments)]
pub fn mark_item(
    conn: &Connection,
    actor: &Actor,
    case_id: i64,
    expected_version: i64,
    item_id: &str,
    occupation: Option<&str>,
    mark: Option<Mark>,
    reason: Option<&str>,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = fresh_actor(&tx, actor)?;
    let head = load_head(&tx, &actor, case_id)?;
    let now = super::now();
    let version = bump(&tx, &head, expected_version, &now)?;
    if !WORKABLE.contains(&head.status.as_str()) {
        return Err(invalid(format!(
            "case {} is {}: its checklist can be marked only while it is new, in review or \
             waiting for supplementary material",
            head.case_no, head.status
        )));
    }
    let occ = occupation.unwrap_or("");
    let current: Option<(String, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT auto_result, mark, override_reason FROM checklist
             WHERE case_id = ?1 AND item_id = ?2 AND occupation = ?3",
            params![head.id, item_id, occ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((auto, old_mark, old_reason)) = current else {
        return Err(invalid(format!(
            "item {} is not on the checklist of case {}",
            label(item_id, occupation),
            head.case_no
        )));
    };
    let auto = ItemResult::from_word(&auto).unwrap_or(ItemResult::Review);
    let reason = non_empty(reason);
    let overrides = matches!(
        (auto, mark),
        (ItemResult::Fail, Some(Mark::Pass)) | (ItemResult::Pass, Some(Mark::Fail))
    );
    if overrides && reason.is_none() {
        return Err(invalid(
            "overriding an automatic result needs a written reason",
        ));
    }
    let reason = reason.filter(|_| mark.is_some());
    let (by, at) = match mark {
        Some(_) => (Some(actor.account.as_str()), Some(now.as_str())),
        None => (None, None),
    };
    tx.execute(
        "UPDATE checklist SET mark = ?4, override_reason = ?5, marked_by = ?6, marked_at = ?7
         WHERE case_id = ?1 AND item_id = ?2 AND occupation = ?3",
        params![head.id, item_id, occ, mark.map(Mark::word), reason, by, at],
    )?;
    let mut before = Map::new();
    let mut after = Map::new();
    before.insert("item".into(), json!(item_id));
    after.insert("item".into(), json!(item_id));
    if let Some(o) = occupation {
        before.insert("occupation".into(), json!(o));
        after.insert("occupation".into(), json!(o));
    }
    before.insert("auto_result".into(), json!(auto.word()));
    after.insert("auto_result".into(), json!(auto.word()));
    before.insert("mark".into(), json!(old_mark));
    after.insert("mark".into(), json!(mark.map(Mark::word)));
    before.insert("override_reason".into(), json!(old_reason));
    after.insert("override_reason".into(), json!(reason));
    start_work(&tx, &actor, &head, &mut before, &mut after)?;
    let rows = checklist(&tx, head.id)?;
    let (outcome, _) = outcome_of(head.kind, &case_occupations(&tx, head.id)?, &rows);
    if outcome.word() != head.outcome {
        tx.execute(
            "UPDATE cases SET outcome = ?2 WHERE id = ?1",
            params![head.id, outcome.word()],
        )?;
        before.insert("outcome".into(), json!(head.outcome));
        after.insert("outcome".into(), json!(outcome.word()));
    }
    before.insert("version".into(), json!(expected_version));
    after.insert("version".into(), json!(version));
    let action = if overrides {
        "case.override"
    } else {
        "case.mark"
    };
    record(&tx, &actor, action, &head, before, after)?;
    tx.commit()?;
    Ok(version)
}

/// The drafts key of a note: '' for the case note, else "ITEM_ID|OCCUPATION".
pub fn draft_target(target: Option<(&str, Option<&str>)>) -> String {
    match target {
        None => String::new(),
        Some((item, occ)) => format!("{item}|{}", occ.unwrap_or("")),
    }
}

/// Sets the case note (`target` None) or an item's note; empty text clears it. The actor's
/// draft of that note is dropped in the same transaction: it is now saved for real.
pub fn set_note(
    conn: &Connection,
    actor: &Actor,
    case_id: i64,
    expected_version: i64,
    target: Option<(&str, Option<&str>)>,
    text: &str,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = fresh_actor(&tx, actor)?;
    let head = load_head(&tx, &actor, case_id)?;
    let now = super::now();
    let version = bump(&tx, &head, expected_version, &now)?;
    let text = Some(text.trim_end()).filter(|t| !t.trim().is_empty());
    let mut before = Map::new();
    let mut after = Map::new();
    match target {
        None => {
            let old: Option<String> =
                tx.query_row("SELECT note FROM cases WHERE id = ?1", [head.id], |r| {
                    r.get(0)
                })?;
            tx.execute(
                "UPDATE cases SET note = ?2 WHERE id = ?1",
                params![head.id, text],
            )?;
            before.insert("note".into(), json!(old));
            after.insert("note".into(), json!(text));
        }
        Some((item, occupation)) => {
            let occ = occupation.unwrap_or("");
            let old: Option<Option<String>> = tx
                .query_row(
                    "SELECT note FROM checklist WHERE case_id = ?1 AND item_id = ?2
                       AND occupation = ?3",
                    params![head.id, item, occ],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(old) = old else {
                return Err(invalid(format!(
                    "item {} is not on the checklist of case {}",
                    label(item, occupation),
                    head.case_no
                )));
            };
            tx.execute(
                "UPDATE checklist SET note = ?4 WHERE case_id = ?1 AND item_id = ?2
                   AND occupation = ?3",
                params![head.id, item, occ, text],
            )?;
            for m in [&mut before, &mut after] {
                m.insert("item".into(), json!(item));
                if let Some(o) = occupation {
                    m.insert("occupation".into(), json!(o));
                }
            }
            before.insert("note".into(), json!(old));
            after.insert("note".into(), json!(text));
        }
    }
    start_work(&tx, &actor, &head, &mut before, &mut after)?;
    before.insert("version".into(), json!(expected_version));
    after.insert("version".into(), json!(version));
    record(&tx, &actor, "case.note", &head, before, after)?;
    tx.execute(
        "DELETE FROM drafts WHERE account = ?1 AND case_id = ?2 AND target = ?3",
        params![actor.account, head.id, draft_target(target)],
    )?;
    tx.commit()?;
    Ok(version)
}

// ------------------------------------------------------------------------------ drafts

/// Saves what the reviewer is typing. Private and provisional: no version, no audit.
pub fn save_draft(
    conn: &Connection,
    account: &str,
    case_id: i64,
    target: &str,
    text: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO drafts (account, case_id, target, text, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account, case_id, target)
         DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
        params![account, case_id, target, text, super::now()],
    )?;
    Ok(())
}

/// The reviewer's draft and when it was last saved.
pub fn draft(
    conn: &Connection,
    account: &str,
    case_id: i64,
    target: &str,
) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row(
            "SELECT text, updated_at FROM drafts
             WHERE account = ?1 AND case_id = ?2 AND target = ?3",
            params![account, case_id, target],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The targets of the account's drafts on a case that have text ("A6.3|4-10-01-06", "" for
/// the case note), to offer them back when the case is opened again.
pub fn drafts_for_case(conn: &Connection, account: &str, case_id: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT target FROM drafts WHERE account = ?1 AND case_id = ?2 AND text <> '' ORDER BY target",
    )?;
    let rows = st
        .query_map(params![account, case_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn drop_draft(conn: &Connection, account: &str, case_id: i64, target: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM drafts WHERE account = ?1 AND case_id = ?2 AND target = ?3",
        params![account, case_id, target],
    )?;
    Ok(())
}

// ------------------------------------------------------------------------------ decisions

/// Proposes a decision (first of the two persons). Approve, approve_partial and reject need
/// every checklist item settled; an approval needs the checklist to allow it, so that a
/// failing automatic item can only be got past by an override with its written reason.
/// Returns the new version.
pub fn propose(
    conn: &Connection,
    actor: &Actor,
    case_id: i64,
    expected_version: i64,
    proposal: &Proposal,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = fresh_actor(&tx, actor)?;
    let head = load_head(&tx, &actor, case_id)?;
    let now = super::now();
    let version = bump(&tx, &head, expected_version, &now)?;
    if !WORKABLE.contains(&head.status.as_str()) {
        return Err(invalid(format!(
            "case {} is {}: a decision can be proposed only while the case is new, in review \
             or back from supplement",
            head.case_no, head.status
        )));
    }
    let decision = proposal.decision.trim();
    if !DECISIONS.contains(&decision) {
        return Err(invalid(format!(
            "decision '{decision}' is not one of {}",
            DECISIONS.join(", ")
        )));
    }
    let reasons = proposal.reasons.trim();
    if decision != "approve" && reasons.is_empty() {
        return Err(invalid(format!(
            "a proposal to {} needs its reasons written",
            decision.replace('_', " ")
        )));
    }
    let rows = checklist(&tx, head.id)?;
    let case_occs = case_occupations(&tx, head.id)?;
    let occupations = if decision == "supplement" {
        Vec::new()
    } else {
        let open: Vec<String> = rows
            .iter()
            .filter(|r| !r.resolved())
            .map(ChecklistRow::label)
            .collect();
        if !open.is_empty() {
            const SHOWN: usize = 10;
            let mut list = open
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if open.len() > SHOWN {
                list.push_str(", …");
            }
            return Err(invalid(format!(
                "{} item{} unresolved: {list}",
                open.len(),
                if open.len() == 1 { " is" } else { "s are" }
            )));
        }
        granted_occupations(&head, decision, &proposal.occupations, &case_occs, &rows)?
    };
    let new = Proposal {
        decision: decision.to_string(),
        occupations,
        reasons: reasons.to_string(),
    };
    let text = serde_json::to_string(&new)?;
    // A case back from supplement may carry an earlier decision; the new proposal replaces it.
    tx.execute(
        "UPDATE cases SET status = 'proposed', proposal = ?2, proposed_by = ?3, proposed_at = ?4,
           decision = NULL, decided_by = NULL, decided_at = NULL,
           assigned_to = coalesce(assigned_to, ?3)
         WHERE id = ?1",
        params![head.id, text, actor.account, now],
    )?;
    let old: Option<Value> = head
        .proposal
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let mut before = Map::new();
    let mut after = Map::new();
    before.insert("status".into(), json!(head.status));
    after.insert("status".into(), json!("proposed"));
    before.insert("proposal".into(), json!(old));
    after.insert("proposal".into(), json!(new));
    if head.assigned_to.is_none() {
        before.insert("assigned_to".into(), Value::Null);
        after.insert("assigned_to".into(), json!(actor.account));
    }
    before.insert("version".into(), json!(expected_version));
    after.insert("version".into(), json!(version));
    record(&tx, &actor, "case.propose", &head, before, after)?;
    tx.commit()?;
    Ok(version)
}

/// The occupations an approval grants, checked against the case and its checklist.
fn granted_occupations(
    head: &Head,
    decision: &str,
    asked: &[String],
    case_occs: &[String],
    rows: &[ChecklistRow],
) -> Result<Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let asked: Vec<String> = asked
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| seen.insert(o.clone()))
        .collect();
    match (decision, head.kind) {
        ("reject", _) => return Ok(Vec::new()),
        ("approve_partial", CaseKind::Exit) => {
            return Err(invalid(
                "an exit is approved or rejected as a whole, not in part",
            ))
        }
        ("approve", CaseKind::Exit) => return Ok(Vec::new()),
        _ => {}
    }
    let (outcome, grantable) = outcome_of(head.kind, case_occs, rows);
    if outcome != Outcome::Eligible {
        return Err(invalid(format!(
            "the checklist's outcome is {}: to approve, every failing item must first be \
             overridden with a written reason; otherwise propose reject",
            outcome.word()
        )));
    }
    if decision == "approve_partial" && asked.is_empty() {
        return Err(invalid(
            "approve_partial must name the occupations to grant",
        ));
    }
    for o in &asked {
        if !case_occs.contains(o) {
            return Err(invalid(format!(
                "occupation {o} is not one that case {} applies for",
                head.case_no
            )));
        }
        if !grantable.contains(o) {
            return Err(invalid(format!(
                "occupation {o} cannot be granted: an item for it fails on the checklist"
            )));
        }
    }
    Ok(if asked.is_empty() { grantable } else { asked })
}

fn require_approver(actor: &Actor, what: &str) -> Result<()> {
    if actor.can_approve() {
        Ok(())
    } else {
        Err(forbidden(format!(
            "only an approver or an admin can {what}; {} is a {}",
            actor.account, actor.role
        )))
    }
}

fn require_proposed(head: &Head) -> Result<()> {
    if head.status == "proposed" {
        Ok(())
    } else {
        Err(invalid(format!(
            "case {} is {}, not proposed: there is no proposal to act on",
            head.case_no, head.status
        )))
    }
}

/// Approves the proposal (second of the two persons) and carries out its consequences on the
/// institution. `period_years` is the rules' `recognition_period_years` on the decision date.
/// Returns the new version.
pub fn approve(
    conn: &Connection,
    actor: &Actor,
    case_id: i64,
    expected_version: i64,
    period_years: u32,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = fresh_actor(&tx, actor)?;
    require_approver(&actor, "approve a decision")?;
    let head = load_head(&tx, &actor, case_id)?;
    let now = super::now();
    let version = bump(&tx, &head, expected_version, &now)?;
    require_proposed(&head)?;
    if head.proposed_by.as_deref() == Some(actor.account.as_str()) {
        return Err(forbidden(
            "two-person rule: the reviewer who proposed a decision cannot approve it",
        ));
    }
    let text = head.proposal.clone().unwrap_or_default();
    let proposal: Proposal = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "case {}: the proposal cannot be read: {e}",
            head.case_no
        ))
    })?;
    let decision = decision_word(&proposal.decision).to_string();
    let status = if decision == "supplement" {
        "supplement"
    } else {
        "decided"
    };
    tx.execute(
        "UPDATE cases SET status = ?2, decision = ?3, decided_by = ?4, decided_at = ?5
         WHERE id = ?1",
        params![head.id, status, text, actor.account, now],
    )?;
    let mut before = Map::new();
    let mut after = Map::new();
    before.insert("status".into(), json!(head.status));
    after.insert("status".into(), json!(status));
    before.insert("proposed_by".into(), json!(head.proposed_by));
    after.insert("decision".into(), json!(proposal));
    after.insert("decided_by".into(), json!(actor.account));
    before.insert("version".into(), json!(expected_version));
    after.insert("version".into(), json!(version));
    record(&tx, &actor, "case.decide", &head, before, after)?;
    if status == "decided" {
        let today = chrono::Local::now().date_naive();
        consequences(
            &tx,
            &actor,
            &head,
            &decision,
            &proposal.occupations,
            today,
            period_years,
        )?;
    }
    tx.commit()?;
    Ok(version)
}

/// `from` + whole years − 1 day: a period starting 2026-03-10 for 3 years ends 2029-03-09.
fn period_end(from: NaiveDate, years: u32) -> Result<NaiveDate> {
    if years == 0 {
        return Err(invalid("the recognition period must be at least one year"));
    }
    from.checked_add_months(Months::new(12 * years))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .ok_or_else(|| invalid(format!("{from} + {years} years is out of range")))
}

/// What a decision does to the institution, each change audited under the institution.
fn consequences(
    conn: &Connection,
    actor: &Actor,
    head: &Head,
    decision: &str,
    granted: &[String],
    today: NaiveDate,
    period_years: u32,
) -> Result<()> {
    let inst = head.institution_id;
    let (status, valid_to): (String, Option<String>) = conn.query_row(
        "SELECT status, valid_to FROM institutions WHERE id = ?1",
        [inst],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let approved = matches!(decision, "approve" | "approve_partial");
    match (head.kind, approved, decision) {
        (CaseKind::Selection, true, _) => {
            let to = period_end(today, period_years)?;
            set_period(conn, actor, inst, today, to)?;
            add_granted(conn, head, inst, granted)?;
            if status != "active" {
                institutions::set_status(conn, &actor.account, inst, "active")?;
            }
        }
        (CaseKind::Selection, false, "reject") => {
            institutions::set_status(conn, &actor.account, inst, "refused")?;
        }
        (CaseKind::Renewal, true, _) => {
            // The new period follows the old one without a gap, however late the decision.
            let from = valid_to
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .and_then(|d| d.checked_add_days(Days::new(1)))
                .unwrap_or(today);
            let to = period_end(from, period_years)?;
            set_period(conn, actor, inst, from, to)?;
            add_granted(conn, head, inst, granted)?;
            if decision == "approve_partial" {
                drop_not_renewed(conn, actor, head, inst, granted)?;
            }
            if status != "active" {
                institutions::set_status(conn, &actor.account, inst, "active")?;
            }
        }
        // A refused renewal is a trigger of automatic exit (art. 14): the exit sweep opens the
        // exit case, with the day of the refusal as its trigger.
        (CaseKind::Renewal, false, _) => {}
        // The exit takes effect (exiting, and the day it leaves the catalogue), or a sweep's
        // automatic exit is undone when rejected: see `exits::on_decision`.
        (CaseKind::Exit, _, "approve" | "reject") => {
            super::exits::on_decision(conn, &actor.account, head.id, approved, today)?;
        }
        _ => {}
    }
    Ok(())
}

fn institution_period(conn: &Connection, id: i64) -> Result<(String, Value)> {
    Ok(conn.query_row(
        "SELECT credit_code, valid_from, valid_to FROM institutions WHERE id = ?1",
        [id],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                json!({
                    "valid_from": r.get::<_, Option<String>>(1)?,
                    "valid_to": r.get::<_, Option<String>>(2)?,
                }),
            ))
        },
    )?)
}

fn set_period(
    conn: &Connection,
    actor: &Actor,
    id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<()> {
    let (code, before) = institution_period(conn, id)?;
    conn.execute(
        "UPDATE institutions SET valid_from = ?2, valid_to = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, from.to_string(), to.to_string(), super::now()],
    )?;
    let (_, after) = institution_period(conn, id)?;
    audit::record(
        conn,
        Entry {
            account: &actor.account,
            action: "institution.period",
            entity: "institution",
            entity_id: &code,
            before: Some(&before),
            after: Some(&after),
        },
    )
}

fn add_granted(conn: &Connection, head: &Head, inst: i64, granted: &[String]) -> Result<()> {
    let app: String = conn.query_row(
        "SELECT application FROM cases WHERE id = ?1",
        [head.id],
        |r| r.get(0),
    )?;
    let app: Application = serde_json::from_str(&app).with_context(|| {
        format!(
            "case {}: the stored application cannot be read",
            head.case_no
        )
    })?;
    let occs: Vec<_> = app
        .occupations
        .into_iter()
        .filter(|o| granted.contains(&o.code))
        .collect();
    institutions::add_occupations(conn, inst, &occs)
}

/// A partial renewal: the occupations the case asked to renew and that were not granted are
/// no longer recognised. Audited, with the list before and after.
fn drop_not_renewed(
    conn: &Connection,
    actor: &Actor,
    head: &Head,
    inst: i64,
    granted: &[String],
) -> Result<()> {
    let asked = case_occupations(conn, head.id)?;
    let dropped: Vec<&String> = asked.iter().filter(|o| !granted.contains(o)).collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let list = |conn: &Connection| -> Result<Vec<String>> {
        let mut st = conn.prepare_cached(
            "SELECT code FROM institution_occupations WHERE institution_id = ?1 ORDER BY code",
        )?;
        let codes = st
            .query_map([inst], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(codes)
    };
    let before = list(conn)?;
    for o in &dropped {
        conn.execute(
            "DELETE FROM institution_occupations WHERE institution_id = ?1 AND code = ?2",
            params![inst, o],
        )?;
    }
    let after = list(conn)?;
    let code: String = conn.query_row(
        "SELECT credit_code FROM institutions WHERE id = ?1",
        [inst],
        |r| r.get(0),
    )?;
    audit::record(
        conn,
        Entry {
            account: &actor.account,
            action: "institution.occupations",
            entity: "institution",
            entity_id: &code,
            before: Some(&json!({ "occupations": before })),
            after: Some(
                &json!({ "occupations": after, "not_renewed": dropped, "case": head.case_no }),
            ),
        },
    )
}

/// Returns a proposal to its reviewer: the case goes back into review and the proposal is
/// kept only in the audit log. Returns the new version.
pub fn send_back(
    conn: &Connection,
    actor: &Actor,
    case_id: i64,
    expected_version: i64,
    reason: &str,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = fresh_actor(&tx, actor)?;
    require_approver(&actor, "send a proposal back")?;
    let head = load_head(&tx, &actor, case_id)?;
    let now = super::now();
    let version = bump(&tx, &head, expected_version, &now)?;
    require_proposed(&head)?;
    let Some(reason) = non_empty(Some(reason)) else {
        return Err(invalid("sending a proposal back needs a written reason"));
    };
    tx.execute(
        "UPDATE cases SET status = 'in_review', proposal = NULL, proposed_by = NULL,
           proposed_at = NULL
         WHERE id = ?1",
        [head.id],
    )?;
    let old: Option<Value> = head
        .proposal
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let mut before = Map::new();
    let mut after = Map::new();
    before.insert("status".into(), json!(head.status));
    before.insert("proposal".into(), json!(old));
    before.insert("proposed_by".into(), json!(head.proposed_by));
    before.insert("proposed_at".into(), json!(head.proposed_at));
    after.insert("status".into(), json!("in_review"));
    after.insert("proposal".into(), Value::Null);
    after.insert("reason".into(), json!(reason));
    before.insert("version".into(), json!(expected_version));
    after.insert("version".into(), json!(version));
    record(&tx, &actor, "case.send_back", &head, before, after)?;
    tx.commit()?;
    Ok(version)
}
