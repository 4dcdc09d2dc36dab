//! The catalogue of evaluation institutions (评价机构目录) as of a date: the institutions in
//! good standing that day — a recognition period covering it, and no exit in effect by then —
//! with their occupations and levels.
//!
//! Read from `recognition_periods`, which keeps every period an institution has had (a
//! database trigger adds one whenever `valid_from`/`valid_to` change) and the day an exit cut
//! one short (`ended_on`), so that the catalogue of a past date is what it was that day: an
//! institution renewed since is listed under its earlier period, one that has exited since is
//! still listed before the day it left. Occupations are the institution's current ones (a
//! partial renewal's dropped occupations are in the audit log, not in this history).

use anyhow::{Context as _, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occupation {
    pub code: String,
    pub name: String,
    pub levels: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub credit_code: String,
    pub name: String,
    pub category: String,
    pub region: String,
    /// The recognition period in force on the date.
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    /// The day an exit takes the institution out, when one is already known (a voluntary
    /// exit with its end date ahead).
    pub leaves_on: Option<NaiveDate>,
    pub occupations: Vec<Occupation>,
}

/// The catalogue on `on`, by region and credit code. `region`: a division code to narrow to.
pub fn as_of(conn: &Connection, on: NaiveDate, region: Option<&str>) -> Result<Vec<Entry>> {
    let prefix = region
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(super::review::scope_prefix)
        .unwrap_or_else(|| "52".to_string());
    let (lo, hi) = (prefix.clone(), format!("{prefix}:"));
    let day = on.to_string();
    let mut st = conn.prepare(
        "SELECT i.id, i.credit_code, i.name, i.category, i.region, p.valid_from, p.valid_to,
                p.ended_on
         FROM recognition_periods p JOIN institutions i ON i.id = p.institution_id
         WHERE p.valid_from <= ?1 AND ?1 <= p.valid_to
           AND (p.ended_on IS NULL OR ?1 < p.ended_on)
           AND i.status NOT IN ('applicant', 'refused')
           AND i.region >= ?2 AND i.region < ?3
         ORDER BY i.region, i.credit_code",
    )?;
    let rows = st
        .query_map(params![day, lo, hi], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut occ = conn.prepare_cached(
        "SELECT code, name, levels FROM institution_occupations WHERE institution_id = ?1
         ORDER BY code",
    )?;
    let date = |s: &str, what: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("{what}: '{}' is not a date", crate::text::sanitize(s)))
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, code, name, category, region, from, to, ended) in rows {
        let occs = occ
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut occupations = Vec::with_capacity(occs.len());
        for (c, n, levels) in occs {
            let mut levels: Vec<u8> = serde_json::from_str(&levels)
                .with_context(|| format!("institution {code}: occupation {c}: levels"))?;
            // Highest level (5, 五级) first, as the catalogue lists them.
            levels.sort_unstable_by(|a, b| b.cmp(a));
            occupations.push(Occupation {
                code: c,
                name: n,
                levels,
            });
        }
        out.push(Entry {
            valid_from: date(&from, &format!("institution {code}: valid_from"))?,
            valid_to: date(&to, &format!("institution {code}: valid_to"))?,
            leaves_on: ended
                .as_deref()
                .map(|e| date(e, &format!("institution {code}: ended_on")))
                .transpose()?,
            credit_code: code,
            name,
            category,
            region,
            occupations,
        });
    }
    Ok(out)
}
