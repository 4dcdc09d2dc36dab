//! Exits (articles 13–16) in the store: the sweep that opens automatic exits, the wrap-up and
//! art. 16 steps recorded in order, the case closing once every step is done, the
//! institution's status (active → exiting → exited), and every open deadline across cases.
//!
//! When the institution becomes `exiting`:
//! - an automatic exit (art. 14: "自动终止评价资格") takes effect by itself, so the sweep that
//!   opens its case also makes the institution exiting, with the day it leaves the catalogue;
//! - a voluntary or ordered exit takes effect when the exit is approved (two-person rule), as
//!   the review desk's decision does (`on_decision`). Rejecting a sweep's automatic exit (a
//!   renewal that did arrive, say) makes the institution active again.
//!
//! It becomes `exited` when its exit case closes, which happens when the last step is recorded.
//! Every change is one transaction with its audit entries (who, when, what, before, after).

use super::audit::{self, Entry};
use super::review::{self, scope_prefix, Actor, ReviewError};
use super::{cases, institutions};
use crate::domain::application::{
    Application, CaseKind, Category, EnterpriseClass, ExitInfo, ExitKind, Facts, Institution,
    LegalForm, Occupation, FORMAT,
};
use crate::domain::evaluate::{evaluate, Context};
use crate::domain::exit::{self, Cause, DeadlineStatus, Done, NoticeCheck, Step};
use crate::domain::validate::{validate, ValidateOptions};
use crate::domain::{Calendar, Divisions, RuleSet};
use anyhow::{Context as _, Result};
use chrono::{Datelike, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde::Serialize;
use serde_json::{json, Map, Value};

fn invalid(msg: impl Into<String>) -> anyhow::Error {
    ReviewError::Invalid(msg.into()).into()
}

fn begin(conn: &Connection) -> Result<Transaction<'_>> {
    Ok(Transaction::new_unchecked(
        conn,
        TransactionBehavior::Immediate,
    )?)
}

fn parse_date(s: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{what}: '{}' is not a date", crate::text::sanitize(s)))
}

fn opt_date(s: Option<String>, what: &str) -> Result<Option<NaiveDate>> {
    s.map(|s| parse_date(&s, what)).transpose()
}

/// The local calendar day of a stored UTC time stamp (RFC 3339).
fn local_day(stamp: &str) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.with_timezone(&chrono::Local).date_naive())
}

/// The region codes a division code covers, as a half-open range ("5201" .. "5201:").
fn scope_range(region: Option<&str>) -> (String, String) {
    let p = region
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(scope_prefix)
        .unwrap_or_else(|| "52".to_string());
    (p.clone(), format!("{p}:"))
}

// ------------------------------------------------------------------------------ exits rows

fn cause_of(app: &Application) -> Option<(ExitKind, Cause, Option<NaiveDate>)> {
    let x = app.exit.as_ref()?;
    Some(match x.kind {
        ExitKind::Voluntary => (x.kind, Cause::Request, x.requested_on),
        ExitKind::Ordered => (x.kind, Cause::Ordered, x.trigger_on.or(x.requested_on)),
        ExitKind::Automatic => {
            let valid_to = app.institution.valid_to;
            match x.trigger_on {
                Some(t) if Some(t) != valid_to => (x.kind, Cause::Refused, Some(t)),
                t => (x.kind, Cause::Lapsed, t.or(valid_to)),
            }
        }
    })
}

/// Adds the `exits` row of a new exit case (in the caller's transaction). Called by
/// `cases::insert` for every exit case; the sweep then marks its own.
pub fn register(
    conn: &Connection,
    case_id: i64,
    institution_id: i64,
    app: &Application,
) -> Result<()> {
    let Some((kind, cause, trigger)) = cause_of(app) else {
        return Ok(());
    };
    conn.execute(
        "INSERT INTO exits (case_id, institution_id, kind, cause, trigger_on, opened_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'import', ?6)",
        params![
            case_id,
            institution_id,
            exit::kind_word(kind),
            cause.word(),
            trigger.map(|d| d.to_string()),
            super::now()
        ],
    )?;
    Ok(())
}

/// Sets the institution exiting from `leaves_on` on (status, `exited_on`, and the end of the
/// current period in the history), audited with the record before and after.
fn take_effect(
    conn: &Connection,
    account: &str,
    institution_id: i64,
    leaves_on: NaiveDate,
    why: &Value,
) -> Result<()> {
    let before = institutions::snapshot(conn, institution_id)?;
    conn.execute(
        "UPDATE institutions SET status = 'exiting', exited_on = ?2, updated_at = ?3 WHERE id = ?1",
        params![institution_id, leaves_on.to_string(), super::now()],
    )?;
    conn.execute(
        "UPDATE recognition_periods SET ended_on = ?2
         WHERE institution_id = ?1
           AND valid_from = (SELECT valid_from FROM institutions WHERE id = ?1)",
        params![institution_id, leaves_on.to_string()],
    )?;
    audit_institution(conn, account, institution_id, before, why)
}

fn audit_institution(
    conn: &Connection,
    account: &str,
    institution_id: i64,
    before: Option<Value>,
    why: &Value,
) -> Result<()> {
    let mut after = institutions::snapshot(conn, institution_id)?;
    let code = after
        .as_ref()
        .and_then(|v| v["credit_code"].as_str().map(str::to_string))
        .unwrap_or_default();
    if let (Some(Value::Object(a)), Value::Object(w)) = (after.as_mut(), why) {
        a.extend(w.clone());
    }
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

/// The exit facts of a case: from `exits`, or (an older case) from its application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitFacts {
    pub kind: ExitKind,
    pub cause: Cause,
    pub trigger_on: Option<NaiveDate>,
    pub source_case: Option<String>,
    pub violations: Option<String>,
    pub opened_by: String,
}

/// kind, cause, trigger_on, source case, violations, opened_by.
type FactsRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

fn facts(conn: &Connection, case_id: i64, app: &Application) -> Result<ExitFacts> {
    let row: Option<FactsRow> = conn
        .query_row(
            "SELECT x.kind, x.cause, x.trigger_on, s.case_no, x.violations, x.opened_by
             FROM exits x LEFT JOIN cases s ON s.id = x.source_case_id WHERE x.case_id = ?1",
            [case_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    if let Some((kind, cause, trigger, source, violations, by)) = row {
        let kind = exit::kind_from_word(&kind).with_context(|| format!("exit kind '{kind}'"))?;
        let cause = Cause::from_word(&cause).with_context(|| format!("exit cause '{cause}'"))?;
        return Ok(ExitFacts {
            kind,
            cause,
            trigger_on: opt_date(trigger, "exits.trigger_on")?,
            source_case: source,
            violations,
            opened_by: by,
        });
    }
    let (kind, cause, trigger_on) = cause_of(app)
        .with_context(|| format!("case {}: an exit case without exit details", app.case_no))?;
    Ok(ExitFacts {
        kind,
        cause,
        trigger_on,
        source_case: None,
        violations: None,
        opened_by: "import".into(),
    })
}

// ------------------------------------------------------------------------------ sweep

/// What the sweep hands the evaluation: the rules, the workday calendar and the divisions.
#[derive(Clone, Copy)]
pub struct Refs<'a> {
    pub rules: &'a RuleSet,
    pub calendar: &'a Calendar,
    pub divisions: &'a Divisions,
}

/// An automatic exit the sweep opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Opened {
    pub case_no: String,
    pub credit_code: String,
    pub institution: String,
    pub region: String,
    pub cause: Cause,
    pub trigger_on: NaiveDate,
    /// The refused renewal, for `Cause::Refused`.
    pub source_case: Option<String>,
    /// E14: wrap-up due 15 days after the trigger, moved past rest days and holidays.
    pub due: NaiveDate,
    pub unknown_years: Vec<i32>,
    pub leaves_catalogue_on: NaiveDate,
}

/// An institution the sweep should have opened an exit for but could not (its stored record
/// does not make a valid application): reported, and tried again next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub credit_code: String,
    pub institution: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub as_of: Option<NaiveDate>,
    pub opened: Vec<Opened>,
    pub skipped: Vec<Skipped>,
}

/// Opens an automatic-exit case (art. 14) for every institution whose recognition period
/// ended before `today` with no renewal application in it, and for every refused renewal,
/// unless an exit is already under way. One transaction; a second run opens nothing (the
/// institution is then exiting, and `exits_sweep_once` refuses the same trigger twice).
pub fn sweep(
    conn: &Connection,
    account: &str,
    today: NaiveDate,
    refs: Refs<'_>,
) -> Result<SweepReport> {
    sweep_in(conn, account, None, today, refs)
}

/// `sweep` over the institutions of one region (a reviewer's: a county reviewer opens no
/// case outside their county), `None` for the whole province.
pub fn sweep_in(
    conn: &Connection,
    account: &str,
    region: Option<&str>,
    today: NaiveDate,
    refs: Refs<'_>,
) -> Result<SweepReport> {
    let tx = begin(conn)?;
    let today_s = today.to_string();
    let (lo, hi) = scope_range(region);
    // A "live" exit case in the current period: any exit case not rejected.
    const LIVE_EXIT: &str = "EXISTS (SELECT 1 FROM cases e WHERE e.institution_id = i.id
          AND e.kind = 'exit' AND e.submitted_on >= coalesce(i.valid_from, '')
          AND NOT (e.status IN ('decided', 'closed')
                   AND coalesce(CASE WHEN json_valid(e.decision)
                                     THEN json_extract(e.decision, '$.decision') END, '')
                       IN ('reject', 'refuse')))";
    // (institution, cause, trigger day, the refused renewal's id and number)
    type Candidate = (i64, Cause, NaiveDate, Option<(i64, String)>);
    let mut candidates: Vec<Candidate> = Vec::new();
    {
        let mut st = tx.prepare(&format!(
            "SELECT i.id, i.valid_to FROM institutions i
             WHERE i.status = 'active' AND i.valid_to IS NOT NULL AND i.valid_to < ?1
               AND i.region >= ?2 AND i.region < ?3
               AND NOT EXISTS (SELECT 1 FROM cases r WHERE r.institution_id = i.id
                     AND r.kind = 'renewal' AND r.submitted_on <= i.valid_to
                     AND r.submitted_on >= coalesce(i.valid_from, ''))
               AND NOT {LIVE_EXIT}
               AND NOT EXISTS (SELECT 1 FROM exits x WHERE x.institution_id = i.id
                     AND x.cause = 'lapsed' AND x.trigger_on = i.valid_to)
             ORDER BY i.valid_to, i.credit_code"
        ))?;
        let rows = st
            .query_map(params![today_s, lo, hi], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, to) in rows {
            candidates.push((
                id,
                Cause::Lapsed,
                parse_date(&to, "institutions.valid_to")?,
                None,
            ));
        }
        let mut st = tx.prepare(&format!(
            "SELECT i.id, r.id, r.case_no, r.decided_at FROM cases r
             JOIN institutions i ON i.id = r.institution_id
             WHERE r.kind = 'renewal' AND r.status IN ('decided', 'closed')
               AND coalesce(CASE WHEN json_valid(r.decision)
                                 THEN json_extract(r.decision, '$.decision') END, '')
                   IN ('reject', 'refuse')
               AND r.decided_at IS NOT NULL
               AND i.status = 'active' AND i.region >= ?1 AND i.region < ?2
               AND (i.valid_from IS NULL OR i.valid_from <= r.submitted_on)
               AND NOT EXISTS (SELECT 1 FROM exits x WHERE x.source_case_id = r.id)
               AND NOT {LIVE_EXIT}
             ORDER BY r.decided_at, r.case_no"
        ))?;
        let rows = st
            .query_map(params![lo, hi], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (id, rid, rno, at) in rows {
            let on = local_day(&at)
                .with_context(|| format!("case {rno}: decided_at '{at}' is not a time"))?;
            if on <= today {
                candidates.push((id, Cause::Refused, on, Some((rid, rno))));
            }
        }
    }
    let mut report = SweepReport {
        as_of: Some(today),
        ..SweepReport::default()
    };
    let mut seen = std::collections::HashSet::new();
    let mut next_no = next_case_number(&tx, today.year())?;
    for (inst_id, cause, trigger, source) in candidates {
        if !seen.insert(inst_id) {
            continue;
        }
        let (inst, occupations) = match stored_institution(&tx, inst_id) {
            Ok(x) => x,
            Err(e) => {
                let (code, name) = names(&tx, inst_id)?;
                report.skipped.push(Skipped {
                    credit_code: code,
                    institution: name,
                    reason: format!("{e:#}"),
                });
                continue;
            }
        };
        let case_no = format!("GZ-{}-E-{next_no:04}", today.year());
        let app = Application {
            format: FORMAT.to_string(),
            case_no: case_no.clone(),
            kind: CaseKind::Exit,
            submitted_on: today,
            institution: inst,
            occupations,
            facts: Facts::default(),
            exclusions: vec![],
            materials: vec![],
            exit: Some(ExitInfo {
                kind: ExitKind::Automatic,
                requested_on: None,
                intended_end: None,
                trigger_on: Some(trigger),
                deadline: None,
            }),
        };
        let flags = match validate(
            &app,
            refs.divisions,
            ValidateOptions {
                accept_unverified_credit_code: true,
            },
        ) {
            Ok(f) => f,
            Err(e) => {
                report.skipped.push(Skipped {
                    credit_code: app.institution.credit_code.clone(),
                    institution: app.institution.name.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let ev = evaluate(
            &app,
            &Context {
                rules: refs.rules,
                calendar: refs.calendar,
                recorded: None,
                flags: &flags,
            },
        )
        .map_err(anyhow::Error::msg)?;
        let e14 = ev.deadlines.iter().find(|d| d.item == "E14");
        let (due, unknown_years) = match e14 {
            Some(d) => (d.due, d.unknown_years.clone()),
            None => {
                let days = refs
                    .rules
                    .value("automatic_exit_wrapup_days", today)
                    .map_err(anyhow::Error::msg)?;
                let end = refs.calendar.period_end(trigger, days as u64);
                (end.due, end.unknown_years)
            }
        };
        let leaves_on = exit::leaves_catalogue_on(ExitKind::Automatic, None, Some(trigger), today);
        let mut extra = Map::new();
        extra.insert("exit_kind".into(), json!("automatic"));
        extra.insert("cause".into(), json!(cause.word()));
        extra.insert("trigger_on".into(), json!(trigger.to_string()));
        extra.insert("wrap_up_due".into(), json!(due.to_string()));
        if let Some((_, no)) = &source {
            extra.insert("refused_renewal".into(), json!(no));
        }
        let case_id = cases::insert_as(&tx, account, &app, &ev, "new", "case.sweep", Some(&extra))
            .with_context(|| format!("sweep: case {case_no}"))?;
        tx.execute(
            "UPDATE exits SET opened_by = 'sweep', cause = ?2, trigger_on = ?3, source_case_id = ?4
             WHERE case_id = ?1",
            params![
                case_id,
                cause.word(),
                trigger.to_string(),
                source.as_ref().map(|s| s.0)
            ],
        )?;
        take_effect(
            &tx,
            account,
            inst_id,
            leaves_on,
            &json!({ "case": case_no, "article": "第十四条", "cause": cause.word() }),
        )?;
        next_no += 1;
        report.opened.push(Opened {
            case_no,
            credit_code: app.institution.credit_code.clone(),
            institution: app.institution.name.clone(),
            region: app.institution.region.clone(),
            cause,
            trigger_on: trigger,
            source_case: source.map(|s| s.1),
            due,
            unknown_years,
            leaves_catalogue_on: leaves_on,
        });
    }
    tx.commit()?;
    Ok(report)
}

fn names(conn: &Connection, id: i64) -> Result<(String, String)> {
    Ok(conn.query_row(
        "SELECT credit_code, name FROM institutions WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// The next free number of GZ-YEAR-E-NNNN.
fn next_case_number(conn: &Connection, year: i32) -> Result<u32> {
    let prefix = format!("GZ-{year}-E-");
    let mut st = conn.prepare("SELECT case_no FROM cases WHERE case_no LIKE ?1 || '%'")?;
    let max = st
        .query_map([&prefix], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|no| no.strip_prefix(&prefix).and_then(|n| n.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    Ok(max + 1)
}

fn word_to<T: serde::de::DeserializeOwned>(w: &str, what: &str) -> Result<T> {
    serde_json::from_value(Value::String(w.to_string()))
        .with_context(|| format!("{what}: '{}' is not a known word", crate::text::sanitize(w)))
}

/// The institution as stored, as the application of an exit case carries it.
fn stored_institution(conn: &Connection, id: i64) -> Result<(Institution, Vec<Occupation>)> {
    type Raw = (
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        i64,
        Option<String>,
        Option<String>,
    );
    let raw: Raw = conn.query_row(
        "SELECT credit_code, name, category, legal_form, region, legal_representative,
                enterprise_class, guizhou_featured, valid_from, valid_to
         FROM institutions WHERE id = ?1",
        [id],
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
            ))
        },
    )?;
    let (code, name, category, legal_form, region, rep, classes, featured, from, to) = raw;
    let category: Category = word_to(&category, "category")?;
    let legal_form: Option<LegalForm> = legal_form
        .as_deref()
        .map(|w| word_to(w, "legal_form"))
        .transpose()?;
    let enterprise_class: Vec<EnterpriseClass> =
        serde_json::from_str(&classes).context("enterprise_class")?;
    let inst = Institution {
        name,
        credit_code: code,
        category,
        legal_form,
        region,
        legal_representative: rep,
        enterprise_class,
        guizhou_featured: featured != 0,
        valid_from: opt_date(from, "valid_from")?,
        valid_to: opt_date(to, "valid_to")?,
    };
    let mut st = conn.prepare(
        "SELECT code, name, levels FROM institution_occupations WHERE institution_id = ?1 ORDER BY code",
    )?;
    let rows = st
        .query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut occs = Vec::with_capacity(rows.len());
    for (code, name, levels) in rows {
        let levels: Vec<u8> =
            serde_json::from_str(&levels).with_context(|| format!("occupation {code}: levels"))?;
        occs.push(Occupation {
            code,
            name,
            levels,
            new_occupation: false,
            training_volume: None,
            examiners: None,
            matching_major: None,
            certificates_declared: None,
        });
    }
    Ok((inst, occs))
}

// ------------------------------------------------------------------------------ decisions

/// What an exit decision does to the institution (called by the review desk's approval, in
/// its transaction). Approved: the exit takes effect (exiting, the day it leaves the
/// catalogue), unless it already has (a sweep's automatic exit). Rejected: a sweep's
/// automatic exit is undone (active again); other exits had not taken effect.
pub fn on_decision(
    conn: &Connection,
    account: &str,
    case_id: i64,
    approved: bool,
    decided_on: NaiveDate,
) -> Result<()> {
    let (case_no, inst_id, app): (String, i64, String) = conn.query_row(
        "SELECT case_no, institution_id, application FROM cases WHERE id = ?1",
        [case_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let app: Application = serde_json::from_str(&app)
        .with_context(|| format!("case {case_no}: the stored application cannot be read"))?;
    let f = facts(conn, case_id, &app)?;
    let (status, exited_on): (String, Option<String>) = conn.query_row(
        "SELECT status, exited_on FROM institutions WHERE id = ?1",
        [inst_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let why = json!({ "case": case_no, "article": exit::article(f.kind) });
    if approved {
        if status == "exited" || (status == "exiting" && exited_on.is_some()) {
            return Ok(());
        }
        let x = app.exit.as_ref();
        let leaves_on = exit::leaves_catalogue_on(
            f.kind,
            x.and_then(|x| x.intended_end),
            f.trigger_on,
            decided_on,
        );
        take_effect(conn, account, inst_id, leaves_on, &why)
    } else {
        if f.opened_by != "sweep" || status != "exiting" {
            return Ok(());
        }
        let before = institutions::snapshot(conn, inst_id)?;
        conn.execute(
            "UPDATE institutions SET status = 'active', exited_on = NULL, updated_at = ?2 WHERE id = ?1",
            params![inst_id, super::now()],
        )?;
        conn.execute(
            "UPDATE recognition_periods SET ended_on = NULL
             WHERE institution_id = ?1
               AND valid_from = (SELECT valid_from FROM institutions WHERE id = ?1)",
            [inst_id],
        )?;
        audit_institution(conn, account, inst_id, before, &why)
    }
}

// ------------------------------------------------------------------------------ steps

/// A step as recorded: the fact, who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    pub step: Step,
    pub done_on: NaiveDate,
    pub number: Option<String>,
    pub note: Option<String>,
    pub account: String,
    pub at: String,
}

pub fn steps(conn: &Connection, case_id: i64) -> Result<Vec<StepRecord>> {
    let mut st = conn.prepare_cached(
        "SELECT step, done_on, number, note, account, at FROM exit_steps WHERE case_id = ?1",
    )?;
    let rows = st
        .query_map([case_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (step, on, number, note, account, at) in rows {
        out.push(StepRecord {
            step: Step::from_word(&step).with_context(|| format!("exit step '{step}'"))?,
            done_on: parse_date(&on, "exit_steps.done_on")?,
            number,
            note,
            account,
            at,
        });
    }
    out.sort_by_key(|s| s.step);
    Ok(out)
}

fn done_of(records: &[StepRecord]) -> Vec<Done> {
    records
        .iter()
        .map(|s| Done {
            step: s.step,
            on: s.done_on,
            number: s.number.clone(),
        })
        .collect()
}

/// A step to record.
#[derive(Debug, Clone, Copy)]
pub struct StepInput<'a> {
    pub step: Step,
    pub on: NaiveDate,
    /// The announcement's or the termination notice's document number.
    pub number: Option<&'a str>,
    pub note: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    pub case_no: String,
    pub step: Step,
    pub version: i64,
    pub next: Option<Step>,
    /// The last step: the case closed and the institution is exited.
    pub closed: bool,
    pub institution_status: String,
    /// The deadline (E13/E14/E15) marked done when the wrap-up completed.
    pub deadline_done: Option<(String, NaiveDate)>,
}

/// What a write needs to know of an exit case, read in its transaction.
struct ExitHead {
    id: i64,
    case_no: String,
    status: String,
    version: i64,
    decision: Option<String>,
    institution_id: i64,
    app: Application,
}

fn load_exit_head(conn: &Connection, region: &str, case_no: &str) -> Result<ExitHead> {
    let (lo, hi) = scope_range(Some(region));
    type Row = (
        i64,
        String,
        String,
        String,
        i64,
        Option<String>,
        i64,
        String,
    );
    let row: Option<Row> = conn
        .query_row(
            "SELECT id, case_no, kind, status, version, decision, institution_id, application
             FROM cases WHERE case_no = ?1 AND region >= ?2 AND region < ?3",
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
                ))
            },
        )
        .optional()?;
    let Some((id, case_no, kind, status, version, decision, inst, app)) = row else {
        return Err(ReviewError::NotFound(case_no.to_string()).into());
    };
    if kind != "exit" {
        return Err(invalid(format!(
            "case {case_no} is a {kind} case, not an exit: it has no exit steps"
        )));
    }
    let app: Application = serde_json::from_str(&app)
        .with_context(|| format!("case {case_no}: the stored application cannot be read"))?;
    Ok(ExitHead {
        id,
        case_no,
        status,
        version,
        decision,
        institution_id: inst,
        app,
    })
}

fn decision_word(decision: Option<&str>) -> Option<String> {
    let v: Value = serde_json::from_str(decision?).ok()?;
    let w = v["decision"].as_str()?;
    Some(if w == "refuse" { "reject" } else { w }.to_string())
}

impl ExitHead {
    fn approved(&self) -> bool {
        matches!(self.status.as_str(), "decided" | "closed")
            && matches!(
                decision_word(self.decision.as_deref()).as_deref(),
                Some("approve" | "approve_partial")
            )
    }
    fn rejected(&self) -> bool {
        matches!(self.status.as_str(), "decided" | "closed")
            && decision_word(self.decision.as_deref()).as_deref() == Some("reject")
    }
}

fn clean(text: Option<&str>, what: &str) -> Result<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().any(crate::text::is_unsafe) {
        return Err(invalid(format!("{what} contains control characters")));
    }
    if t.chars().count() > 2000 {
        return Err(invalid(format!("{what} is longer than 2000 characters")));
    }
    Ok(Some(t.to_string()))
}

/// Records one step of an exit case, in order, by a reviewer of the case's region. The last
/// step closes the case and makes the institution exited. `expected_version`: the case
/// version the caller saw (the desk), or `None` (a command). Refusals: `ReviewError` (not
/// found, conflict, invalid) or `exit::StepError` (order, date, number), each downcastable.
pub fn record_step(
    conn: &Connection,
    actor: &Actor,
    case_no: &str,
    expected_version: Option<i64>,
    input: StepInput<'_>,
    today: NaiveDate,
) -> Result<StepOutcome> {
    let tx = begin(conn)?;
    let actor = review::actor(&tx, &actor.account)?;
    let head = load_exit_head(&tx, &actor.region, case_no)?;
    if expected_version.is_some_and(|v| v != head.version) {
        let last: Option<(String, String)> = tx
            .query_row(
                "SELECT account, at FROM audit_log WHERE entity = 'case' AND entity_id = ?1
                 ORDER BY id DESC LIMIT 1",
                [&head.case_no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        return Err(ReviewError::Conflict {
            case_no: head.case_no.clone(),
            by: last.as_ref().map(|l| l.0.clone()),
            at: last.map(|l| l.1),
        }
        .into());
    }
    if head.status == "closed" {
        return Err(invalid(format!(
            "case {} is closed: every step is on record",
            head.case_no
        )));
    }
    // Art. 16: the province issues the termination notice, files with the ministry and updates
    // the national listing (SPEC, exit table); a city or county office records the rest.
    if matches!(
        input.step,
        Step::TerminationNotice | Step::MinistryFiled | Step::WebsiteUpdated
    ) && !actor.is_province()
    {
        return Err(ReviewError::Forbidden(format!(
            "step {} of case {} is the province's (art. 16): a provincial account records it \
             (account {}, region {})",
            input.step.word(),
            head.case_no,
            actor.account,
            actor.region
        ))
        .into());
    }
    if head.rejected() {
        return Err(invalid(format!(
            "the exit of case {} was rejected: there is no wrap-up to record",
            head.case_no
        )));
    }
    let f = facts(&tx, head.id, &head.app)?;
    let records = steps(&tx, head.id)?;
    let done = done_of(&records);
    let number = clean(input.number, "the document number")?;
    let note = clean(input.note, "the note")?;
    exit::check_step(
        f.kind,
        &done,
        input.step,
        input.on,
        number.as_deref(),
        today,
        head.approved(),
    )?;
    // A number that does not belong to this step is not kept.
    let number = number.filter(|_| input.step.needs_number());
    if let Some(n) = &number {
        let other: Option<String> = tx
            .query_row(
                "SELECT c.case_no FROM exit_steps s JOIN cases c ON c.id = s.case_id
                 WHERE s.step = ?1 AND s.number = ?2",
                params![input.step.word(), n],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = other {
            return Err(invalid(format!(
                "document number {} is already recorded for case {other}",
                crate::text::sanitize(n)
            )));
        }
    }
    let now = super::now();
    tx.execute(
        "INSERT INTO exit_steps (case_id, step, done_on, number, note, account, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            head.id,
            input.step.word(),
            input.on.to_string(),
            number,
            note,
            actor.account,
            now
        ],
    )?;
    let version = head.version + 1;
    tx.execute(
        "UPDATE cases SET version = ?2, updated_at = ?3 WHERE id = ?1",
        params![head.id, version, now],
    )?;
    let mut done_after = done.clone();
    done_after.push(Done {
        step: input.step,
        on: input.on,
        number: number.clone(),
    });
    let mut before = Map::new();
    let mut after = Map::new();
    let words = |d: &[Done]| -> Vec<String> {
        let mut w: Vec<_> = d.iter().map(|d| d.step).collect();
        w.sort();
        w.iter().map(|s| s.word().to_string()).collect()
    };
    before.insert("steps".into(), json!(words(&done)));
    after.insert("steps".into(), json!(words(&done_after)));
    after.insert("step".into(), json!(input.step.word()));
    after.insert("done_on".into(), json!(input.on.to_string()));
    if let Some(n) = &number {
        after.insert("number".into(), json!(n));
    }
    if let Some(n) = &note {
        after.insert("note".into(), json!(n));
    }
    // The wrap-up complete: its deadline is met (or missed) on that day.
    let mut deadline_done = None;
    if input.step.is_wrap_up() {
        if let Some(on) = exit::wrap_up_done_on(&done_after) {
            let item = exit::deadline_item(f.kind);
            let n = tx.execute(
                "UPDATE deadlines SET done_on = ?3 WHERE case_id = ?1 AND item = ?2 AND done_on IS NULL",
                params![head.id, item, on.to_string()],
            )?;
            if n > 0 {
                after.insert(
                    "deadline_done".into(),
                    json!({ "item": item, "on": on.to_string() }),
                );
                deadline_done = Some((item.to_string(), on));
            }
        }
    }
    // An art. 16 step settles its checklist item (E16.x), marked by whoever recorded it.
    if let Some(item) = input.step.item() {
        let detail = match &number {
            Some(n) => format!("{} {n}", input.on),
            None => input.on.to_string(),
        };
        let n = tx.execute(
            "UPDATE checklist SET mark = 'pass', note = coalesce(note, ?3), marked_by = ?4,
                    marked_at = ?5
             WHERE case_id = ?1 AND item_id = ?2 AND occupation = '' AND mark IS NULL",
            params![head.id, item, detail, actor.account, now],
        )?;
        if n > 0 {
            after.insert("marked".into(), json!({ "item": item, "mark": "pass" }));
        }
    }
    before.insert("version".into(), json!(head.version));
    after.insert("version".into(), json!(version));
    audit::record(
        &tx,
        Entry {
            account: &actor.account,
            action: "exit.step",
            entity: "case",
            entity_id: &head.case_no,
            before: Some(&Value::Object(before)),
            after: Some(&Value::Object(after)),
        },
    )?;
    let next = exit::next_step(f.kind, &done_after);
    let closed = next.is_none();
    if closed {
        close(&tx, &actor, &head, &f, today)?;
    }
    let institution_status: String = tx.query_row(
        "SELECT status FROM institutions WHERE id = ?1",
        [head.institution_id],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(StepOutcome {
        case_no: head.case_no,
        step: input.step,
        version,
        next,
        closed,
        institution_status,
        deadline_done,
    })
}

/// Closes an exit case whose steps are all done: the case closed, any deadline still open
/// marked done, the institution exited. Audited under the case and the institution.
fn close(
    conn: &Connection,
    actor: &Actor,
    head: &ExitHead,
    f: &ExitFacts,
    today: NaiveDate,
) -> Result<()> {
    let done = done_of(&steps(conn, head.id)?);
    if !exit::all_done(f.kind, &done) {
        return Err(invalid(format!(
            "case {} cannot close: {} is not on record",
            head.case_no,
            exit::next_step(f.kind, &done).map(Step::word).unwrap_or("")
        )));
    }
    conn.execute(
        "UPDATE cases SET status = 'closed', updated_at = ?2 WHERE id = ?1",
        params![head.id, super::now()],
    )?;
    let last = done.iter().map(|d| d.on).max().unwrap_or(today);
    conn.execute(
        "UPDATE deadlines SET done_on = ?2 WHERE case_id = ?1 AND done_on IS NULL",
        params![head.id, last.to_string()],
    )?;
    audit::record(
        conn,
        Entry {
            account: &actor.account,
            action: "case.close",
            entity: "case",
            entity_id: &head.case_no,
            before: Some(&json!({ "status": head.status })),
            after: Some(&json!({ "status": "closed", "steps_done_on": last.to_string() })),
        },
    )?;
    let inst = head.institution_id;
    let before = institutions::snapshot(conn, inst)?;
    let exited_on: Option<String> = conn.query_row(
        "SELECT exited_on FROM institutions WHERE id = ?1",
        [inst],
        |r| r.get(0),
    )?;
    let leaves_on = match exited_on {
        Some(d) => d,
        None => {
            let decided = head
                .decision
                .as_ref()
                .and_then(|_| {
                    conn.query_row(
                        "SELECT decided_at FROM cases WHERE id = ?1",
                        [head.id],
                        |r| r.get::<_, Option<String>>(0),
                    )
                    .ok()
                    .flatten()
                })
                .and_then(|s| local_day(&s))
                .unwrap_or(today);
            let x = head.app.exit.as_ref();
            exit::leaves_catalogue_on(
                f.kind,
                x.and_then(|x| x.intended_end),
                f.trigger_on,
                decided,
            )
            .to_string()
        }
    };
    conn.execute(
        "UPDATE institutions SET status = 'exited', exited_on = ?2, updated_at = ?3 WHERE id = ?1",
        params![inst, leaves_on, super::now()],
    )?;
    conn.execute(
        "UPDATE recognition_periods SET ended_on = coalesce(ended_on, ?2)
         WHERE institution_id = ?1
           AND valid_from = (SELECT valid_from FROM institutions WHERE id = ?1)",
        params![inst, leaves_on],
    )?;
    audit_institution(
        conn,
        &actor.account,
        inst,
        before,
        &json!({ "case": head.case_no, "article": "第十六条" }),
    )
}

/// Ordered exits (art. 15): the violations the office found and its wrap-up deadline (E15),
/// which also becomes the case's open deadline. Audited; `None` leaves a field as it is.
pub fn set_order(
    conn: &Connection,
    actor: &Actor,
    case_no: &str,
    violations: Option<&str>,
    deadline: Option<NaiveDate>,
) -> Result<i64> {
    let tx = begin(conn)?;
    let actor = review::actor(&tx, &actor.account)?;
    let head = load_exit_head(&tx, &actor.region, case_no)?;
    let f = facts(&tx, head.id, &head.app)?;
    if f.kind != ExitKind::Ordered {
        return Err(invalid(format!(
            "case {} is a {}: violations and the office's deadline belong to an ordered exit",
            head.case_no,
            exit::kind_name(f.kind, false)
        )));
    }
    if head.status == "closed" {
        return Err(invalid(format!("case {} is closed", head.case_no)));
    }
    let violations = clean(violations, "the violations")?;
    // The violations are the grounds two reviewers proposed and approved: one person may not
    // change them afterwards (the two-person rule). The office's deadline may still move.
    if violations.is_some() && matches!(head.status.as_str(), "proposed" | "decided") {
        return Err(invalid(format!(
            "case {} is {}: its violations are the grounds of the decision and cannot change; \
             send the proposal back first",
            head.case_no,
            if head.status == "proposed" {
                "proposed"
            } else {
                "decided"
            }
        )));
    }
    if violations.is_none() && deadline.is_none() {
        return Err(invalid("give the violations, the deadline, or both"));
    }
    let old_due: Option<String> = tx
        .query_row(
            "SELECT due FROM deadlines WHERE case_id = ?1 AND item = 'E15'",
            [head.id],
            |r| r.get(0),
        )
        .optional()?;
    let mut before = Map::new();
    let mut after = Map::new();
    if let Some(v) = &violations {
        tx.execute(
            "UPDATE exits SET violations = ?2 WHERE case_id = ?1",
            params![head.id, v],
        )?;
        before.insert("violations".into(), json!(f.violations));
        after.insert("violations".into(), json!(v));
    }
    if let Some(d) = deadline {
        tx.execute(
            "INSERT INTO deadlines (case_id, item, due, detail_zh, detail_en, unknown_years)
             VALUES (?1, 'E15', ?2, ?3, ?4, '[]')
             ON CONFLICT (case_id, item) DO UPDATE SET due = excluded.due,
               detail_zh = excluded.detail_zh, detail_en = excluded.detail_en",
            params![
                head.id,
                d.to_string(),
                format!("收尾工作截止 {d}（办公室规定）"),
                format!("wrap-up due {d} (set by the office)"),
            ],
        )?;
        before.insert("e15_due".into(), json!(old_due));
        after.insert("e15_due".into(), json!(d.to_string()));
    }
    let version = head.version + 1;
    tx.execute(
        "UPDATE cases SET version = ?2, updated_at = ?3 WHERE id = ?1",
        params![head.id, version, super::now()],
    )?;
    before.insert("version".into(), json!(head.version));
    after.insert("version".into(), json!(version));
    audit::record(
        &tx,
        Entry {
            account: &actor.account,
            action: "exit.order",
            entity: "case",
            entity_id: &head.case_no,
            before: Some(&Value::Object(before)),
            after: Some(&Value::Object(after)),
        },
    )?;
    tx.commit()?;
    Ok(version)
}

// ------------------------------------------------------------------------------ the exit pane

/// One step as the exit pane shows it: done (with its record) or still to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepLine {
    pub step: Step,
    pub cite: &'static str,
    pub record: Option<StepRecord>,
    /// The next step to record.
    pub next: bool,
}

/// Everything about one exit: its kind and article, what set it going, the E13 check, the
/// deadlines with how far they are, and the steps.
#[derive(Debug, Clone, Serialize)]
pub struct ExitView {
    pub case_id: i64,
    pub case_no: String,
    pub case_status: String,
    pub version: i64,
    pub approved: bool,
    pub rejected: bool,
    pub institution: String,
    pub credit_code: String,
    pub region: String,
    pub institution_status: String,
    pub exited_on: Option<NaiveDate>,
    pub facts: ExitFacts,
    pub article: &'static str,
    pub requested_on: Option<NaiveDate>,
    pub intended_end: Option<NaiveDate>,
    /// The recognition period and occupations as the case has them.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub occupations: Vec<Occupation>,
    /// Voluntary exits: the 30-day notice (E13) with its dates.
    pub notice: Option<NoticeCheck>,
    /// Every deadline of the case, open or done: (item, due, done_on, status as of today).
    pub deadlines: Vec<CaseDeadline>,
    pub steps: Vec<StepLine>,
    pub next: Option<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseDeadline {
    pub item: String,
    pub due: NaiveDate,
    pub done_on: Option<NaiveDate>,
    pub detail_zh: String,
    pub detail_en: String,
    pub status: DeadlineStatus,
}

/// The exit of a case, for the exit pane and `pingshen exit show`. `region`: the reader's
/// region (a reviewer's), `None` for the whole province.
pub fn exit_view(
    conn: &Connection,
    region: Option<&str>,
    case_no: &str,
    today: NaiveDate,
    calendar: &Calendar,
    rules: &RuleSet,
) -> Result<ExitView> {
    let head = load_exit_head(conn, region.unwrap_or("520000"), case_no)?;
    let f = facts(conn, head.id, &head.app)?;
    let (name, code, inst_region, inst_status, exited_on): (
        String,
        String,
        String,
        String,
        Option<String>,
    ) = conn.query_row(
        "SELECT name, credit_code, region, status, exited_on FROM institutions WHERE id = ?1",
        [head.institution_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let x = head.app.exit.as_ref();
    let notice = match (
        f.kind,
        x.and_then(|x| x.requested_on),
        x.and_then(|x| x.intended_end),
    ) {
        (ExitKind::Voluntary, Some(r), Some(e)) => {
            let days = rules
                .value("voluntary_exit_notice_days", head.app.submitted_on)
                .map_err(anyhow::Error::msg)?;
            Some(exit::notice_check(r, e, days as i64))
        }
        _ => None,
    };
    let mut st = conn.prepare_cached(
        "SELECT item, due, done_on, detail_zh, detail_en, unknown_years FROM deadlines
         WHERE case_id = ?1 ORDER BY due, item",
    )?;
    let rows = st
        .query_map([head.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut deadlines = Vec::with_capacity(rows.len());
    for (item, due, done_on, zh, en, unknown) in rows {
        let due = parse_date(&due, "deadlines.due")?;
        let unknown: Vec<i32> = serde_json::from_str(&unknown).unwrap_or_default();
        deadlines.push(CaseDeadline {
            item,
            due,
            done_on: opt_date(done_on, "deadlines.done_on")?,
            detail_zh: zh,
            detail_en: en,
            status: exit::deadline_status(calendar, today, due, &unknown),
        });
    }
    let records = steps(conn, head.id)?;
    let done = done_of(&records);
    let next = exit::next_step(f.kind, &done);
    let steps = exit::steps_for(f.kind)
        .iter()
        .map(|s| StepLine {
            step: *s,
            cite: s.cite(f.kind),
            record: records.iter().find(|r| r.step == *s).cloned(),
            next: Some(*s) == next,
        })
        .collect();
    Ok(ExitView {
        case_id: head.id,
        approved: head.approved(),
        rejected: head.rejected(),
        case_no: head.case_no,
        case_status: head.status,
        version: head.version,
        institution: name,
        credit_code: code,
        region: inst_region,
        institution_status: inst_status,
        exited_on: opt_date(exited_on, "institutions.exited_on")?,
        article: exit::article(f.kind),
        requested_on: x.and_then(|x| x.requested_on),
        intended_end: x.and_then(|x| x.intended_end),
        valid_from: head.app.institution.valid_from,
        valid_to: head.app.institution.valid_to,
        occupations: head.app.occupations.clone(),
        facts: f,
        notice,
        deadlines,
        steps,
        next,
    })
}

// ------------------------------------------------------------------------------ deadlines

/// An open deadline of some case, with how it stands today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenDeadline {
    pub case_id: i64,
    pub case_no: String,
    pub case_kind: String,
    pub case_status: String,
    pub exit_kind: Option<ExitKind>,
    pub institution: String,
    pub credit_code: String,
    pub region: String,
    pub item: String,
    pub detail_zh: String,
    pub detail_en: String,
    pub status: DeadlineStatus,
}

/// Every open deadline across cases (not done, case neither closed nor its exit rejected),
/// earliest first. `region`: a division code to narrow to (a reviewer's region), `None` for
/// the province.
pub fn open_deadlines(
    conn: &Connection,
    region: Option<&str>,
    today: NaiveDate,
    calendar: &Calendar,
) -> Result<Vec<OpenDeadline>> {
    let (lo, hi) = scope_range(region);
    let mut st = conn.prepare_cached(
        "SELECT c.id, c.case_no, c.kind, c.status, x.kind, i.name, i.credit_code, c.region,
                d.item, d.due, d.detail_zh, d.detail_en, d.unknown_years
         FROM deadlines d
         JOIN cases c ON c.id = d.case_id
         JOIN institutions i ON i.id = c.institution_id
         LEFT JOIN exits x ON x.case_id = c.id
         WHERE d.done_on IS NULL AND c.status <> 'closed'
           AND c.region >= ?1 AND c.region < ?2
           AND NOT (c.status = 'decided'
                    AND coalesce(CASE WHEN json_valid(c.decision)
                                      THEN json_extract(c.decision, '$.decision') END, '')
                        IN ('reject', 'refuse'))
         ORDER BY d.due, c.case_no, d.item",
    )?;
    let rows = st
        .query_map(params![lo, hi], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, String>(12)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, no, kind, status, xkind, name, code, reg, item, due, zh, en, unknown) in rows {
        let due = parse_date(&due, &format!("case {no}: deadline {item}"))?;
        let unknown: Vec<i32> = serde_json::from_str(&unknown).unwrap_or_default();
        out.push(OpenDeadline {
            case_id: id,
            case_no: no,
            case_kind: kind,
            case_status: status,
            exit_kind: xkind.as_deref().and_then(exit::kind_from_word),
            institution: name,
            credit_code: code,
            region: reg,
            item,
            detail_zh: zh,
            detail_en: en,
            status: exit::deadline_status(calendar, today, due, &unknown),
        });
    }
    Ok(out)
}
