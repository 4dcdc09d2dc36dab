//! Renewal statistics (arts. 8–10): per institution with a recognition period, certificates
//! issued in its window against its category's threshold, and per occupation for social
//! organisations.

use crate::domain::RuleSet;
use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct OccupationCount {
    pub code: String,
    pub name: String,
    pub certificates: u64,
    pub threshold: u64,
    pub meets: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RenewalRow {
    pub credit_code: String,
    pub name: String,
    pub category: String,
    pub region: String,
    pub status: String,
    pub valid_from: String,
    pub valid_to: String,
    pub days_left: i64,
    pub certificates: u64,
    pub threshold: u64,
    pub total_meets: bool,
    /// Per occupation against the per-occupation threshold (social organisations only).
    pub occupations: Vec<OccupationCount>,
    pub renewal_on_file: bool,
    pub meets: bool,
}

pub fn threshold_for(rules: &RuleSet, category: &str, on: NaiveDate) -> Result<u64> {
    let name = match category {
        "employer" => "renewal_min_certificates_employer",
        "school" => "renewal_min_certificates_school",
        _ => "renewal_min_certificates_social_org",
    };
    Ok(rules.value(name, on).map_err(anyhow::Error::msg)? as u64)
}

/// Every institution with a recognition period that is active or leaving, as of `as_of`.
pub fn renewal(conn: &Connection, rules: &RuleSet, as_of: NaiveDate) -> Result<Vec<RenewalRow>> {
    let per_occ_min = rules
        .value("renewal_min_certificates_per_occupation", as_of)
        .map_err(anyhow::Error::msg)? as u64;
    // Counts per institution and occupation inside each window, read from the covering index.
    let mut counts: HashMap<i64, HashMap<String, u64>> = HashMap::new();
    {
        let mut st = conn.prepare(
            "SELECT i.id, c.occupation_code, count(*)
             FROM institutions i
             JOIN certificates c ON c.credit_code = i.credit_code
                                AND c.issued_on BETWEEN i.valid_from AND i.valid_to
             WHERE i.valid_from IS NOT NULL AND i.valid_to IS NOT NULL
               AND i.status IN ('active', 'exiting')
             GROUP BY i.id, c.occupation_code",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (id, code, n) = row?;
            counts.entry(id).or_default().insert(code, n as u64);
        }
    }
    let mut occs: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    {
        let mut st = conn.prepare(
            "SELECT institution_id, code, name FROM institution_occupations ORDER BY institution_id, code",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (id, code, name) = row?;
            occs.entry(id).or_default().push((code, name));
        }
    }
    let mut st = conn.prepare(
        "SELECT i.id, i.credit_code, i.name, i.category, i.region, i.status, i.valid_from, i.valid_to,
                EXISTS (SELECT 1 FROM cases k WHERE k.institution_id = i.id AND k.kind = 'renewal'
                        AND k.submitted_on >= i.valid_from)
         FROM institutions i
         WHERE i.valid_from IS NOT NULL AND i.valid_to IS NOT NULL
           AND i.status IN ('active', 'exiting')
         ORDER BY i.valid_to, i.credit_code",
    )?;
    let rows = st.query_map(params![], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
            r.get::<_, String>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, credit_code, name, category, region, status, from, to, on_file) = row?;
        let by_occ = counts.remove(&id).unwrap_or_default();
        let total: u64 = by_occ.values().sum();
        let threshold = threshold_for(rules, &category, as_of)?;
        let occupations: Vec<OccupationCount> = if category == "social_org" {
            occs.get(&id)
                .map(|v| {
                    v.iter()
                        .map(|(code, oname)| {
                            let n = by_occ.get(code).copied().unwrap_or(0);
                            OccupationCount {
                                code: code.clone(),
                                name: oname.clone(),
                                certificates: n,
                                threshold: per_occ_min,
                                meets: n >= per_occ_min,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        } else {
            vec![]
        };
        let valid_to = NaiveDate::parse_from_str(&to, "%Y-%m-%d")?;
        let total_meets = total >= threshold;
        let meets = total_meets && occupations.iter().all(|o| o.meets);
        out.push(RenewalRow {
            credit_code,
            name,
            category,
            region,
            status,
            valid_from: from,
            valid_to: to,
            days_left: (valid_to - as_of).num_days(),
            certificates: total,
            threshold,
            total_meets,
            occupations,
            renewal_on_file: on_file,
            meets,
        });
    }
    Ok(out)
}
