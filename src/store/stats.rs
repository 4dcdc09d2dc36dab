//! Renewal statistics (arts. 8–10): per institution with a recognition period, certificates
//! issued in its window against its category's threshold (and per occupation for social
//! organisations), the pace of the last 12 months, and the early warning. Counts are summed
//! from `certificate_counts` (per institution, day and occupation), never from the millions
//! of certificate rows.

use crate::domain::reference::Divisions;
use crate::domain::renewal::{self, Count, Measure, Outlook, Pace, Summary, Warning};
use crate::domain::RuleSet;
use anyhow::Result;
use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct OccupationCount {
    pub code: String,
    pub name: String,
    pub certificates: u64,
    /// The per-occupation threshold (social organisations only).
    pub threshold: Option<u64>,
    pub meets: Option<bool>,
    pub pace: Pace,
}

#[derive(Debug, Clone, Serialize)]
pub struct RenewalRow {
    pub credit_code: String,
    pub name: String,
    pub category: String,
    pub region: String,
    /// The prefecture the region belongs to (its code), for the per-region summary.
    pub prefecture: String,
    pub status: String,
    pub valid_from: String,
    pub valid_to: String,
    pub days_left: i64,
    pub certificates: u64,
    pub threshold: u64,
    pub total_meets: bool,
    /// Every occupation the institution is recognised for; against the per-occupation
    /// threshold for social organisations.
    pub occupations: Vec<OccupationCount>,
    pub renewal_on_file: bool,
    /// All thresholds met today.
    pub meets: bool,
    /// The total at the pace of the last 12 months.
    pub pace: Pace,
    #[serde(flatten)]
    pub outlook: Outlook,
}

/// One prefecture's summary.
#[derive(Debug, Clone, Serialize)]
pub struct RegionSummary {
    pub code: String,
    pub name: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Renewal {
    pub as_of: NaiveDate,
    pub warning: Warning,
    pub province: Summary,
    pub regions: Vec<RegionSummary>,
    pub institutions: Vec<RenewalRow>,
}

impl Renewal {
    /// Makes the province and region summaries again over the institutions now held (after
    /// a filter).
    pub fn resummarise(&mut self, divisions: &Divisions) {
        let mut province = Summary::default();
        let mut regions: BTreeMap<String, Summary> = BTreeMap::new();
        for r in &self.institutions {
            province.add(&r.outlook, r.certificates);
            regions
                .entry(r.prefecture.clone())
                .or_default()
                .add(&r.outlook, r.certificates);
        }
        self.province = province;
        self.regions = region_list(regions, divisions);
    }
}

fn region_list(regions: BTreeMap<String, Summary>, divisions: &Divisions) -> Vec<RegionSummary> {
    regions
        .into_iter()
        .map(|(code, summary)| RegionSummary {
            name: divisions
                .get(&code)
                .map_or_else(|| code.clone(), |d| d.name.clone()),
            code,
            summary,
        })
        .collect()
}

pub fn threshold_for(rules: &RuleSet, category: &str, on: NaiveDate) -> Result<u64> {
    let name = match category {
        "employer" => "renewal_min_certificates_employer",
        "school" => "renewal_min_certificates_school",
        _ => "renewal_min_certificates_social_org",
    };
    Ok(rules.value(name, on).map_err(anyhow::Error::msg)? as u64)
}

/// The warning settings of the rules in force on `on`.
pub fn warning_from_rules(rules: &RuleSet, on: NaiveDate) -> Result<Warning> {
    let v = |name| rules.value(name, on).map_err(anyhow::Error::msg);
    Ok(Warning {
        horizon_days: v("at_risk_horizon_days")? as i64,
        renewal_window_days: v("renewal_window_days")? as i64,
    })
}

/// The recognition period in force on the statistics day (`?2`) of each institution: the
/// latest to have begun by then. A renewal approved ahead of time adds a period that begins
/// later; until it does, the period running out is the one that counts. An institution
/// whose first period has not begun is not in the statistics.
const PERIODS: &str = "WITH p AS (
         SELECT institution_id AS id, valid_from, valid_to,
                row_number() OVER (PARTITION BY institution_id ORDER BY valid_from DESC) AS k
         FROM recognition_periods WHERE valid_from <= ?2
     ), cur AS (SELECT id, valid_from, valid_to FROM p WHERE k = 1)";

/// Counts in the window (all) and in the pace basis (recent), per occupation.
#[derive(Default)]
struct Tallies {
    window: u64,
    recent: u64,
}

/// Every institution with a recognition period that is active or leaving, as of `as_of`,
/// ordered by `valid_to`; with the province and per-prefecture summaries.
pub fn renewal(
    conn: &Connection,
    rules: &RuleSet,
    divisions: &Divisions,
    as_of: NaiveDate,
    warning: Warning,
) -> Result<Renewal> {
    let per_occ_min = rules
        .value("renewal_min_certificates_per_occupation", as_of)
        .map_err(anyhow::Error::msg)? as u64;
    let recent_from = renewal::pace_start(as_of).to_string();
    let as_of_s = as_of.to_string();
    let mut counts: HashMap<i64, BTreeMap<String, Tallies>> = HashMap::new();
    {
        // Summed here rather than by GROUP BY: SQLite would sort every day count first,
        // which costs more than the scan itself at province scale.
        let mut st = conn.prepare(&format!(
            "{PERIODS}
                 SELECT i.id, c.occupation_code, c.n, c.issued_on BETWEEN ?1 AND ?2
                 FROM institutions i JOIN cur ON cur.id = i.id
                 JOIN certificate_counts c ON c.credit_code = i.credit_code
                                          AND c.issued_on BETWEEN cur.valid_from
                                                              AND min(cur.valid_to, ?2)
                 WHERE i.status IN ('active', 'exiting')"
        ))?;
        let mut rows = st.query(params![recent_from, as_of_s])?;
        while let Some(r) = rows.next()? {
            let by_occ = counts.entry(r.get(0)?).or_default();
            let code = r.get_ref(1)?.as_str()?;
            let n = r.get::<_, i64>(2)?.max(0) as u64;
            let recent: bool = r.get(3)?;
            let t = match by_occ.get_mut(code) {
                Some(t) => t,
                None => by_occ.entry(code.to_string()).or_default(),
            };
            t.window += n;
            if recent {
                t.recent += n;
            }
        }
    }
    let mut occs: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    {
        let mut st = conn.prepare(
            "SELECT institution_id, code, name FROM institution_occupations
             ORDER BY institution_id, code",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            occs.entry(r.get(0)?)
                .or_default()
                .push((r.get(1)?, r.get(2)?));
        }
    }
    let mut st = conn.prepare(&format!(
        "{PERIODS}
             SELECT i.id, i.credit_code, i.name, i.category, i.region, i.status,
                    cur.valid_from, cur.valid_to,
                    EXISTS (SELECT 1 FROM cases k WHERE k.institution_id = i.id
                            AND k.kind = 'renewal' AND k.submitted_on >= cur.valid_from
                            AND k.submitted_on <= ?2)
             FROM institutions i JOIN cur ON cur.id = i.id
             WHERE i.status IN ('active', 'exiting')
             ORDER BY cur.valid_to, i.credit_code"
    ))?;
    let mut rows = st.query(params![recent_from, as_of_s])?;
    let mut out = Vec::new();
    let mut province = Summary::default();
    let mut regions: BTreeMap<String, Summary> = BTreeMap::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let category: String = r.get(3)?;
        let region: String = r.get(4)?;
        let (from_s, to_s): (String, String) = (r.get(6)?, r.get(7)?);
        let from = NaiveDate::parse_from_str(&from_s, "%Y-%m-%d")?;
        let to = NaiveDate::parse_from_str(&to_s, "%Y-%m-%d")?;
        let on_file: bool = r.get(8)?;
        let by_occ = counts.remove(&id).unwrap_or_default();
        let total: u64 = by_occ.values().map(|t| t.window).sum();
        let recent: u64 = by_occ.values().map(|t| t.recent).sum();
        let threshold = threshold_for(rules, &category, as_of)?;
        let social = category == "social_org";
        let pace = renewal::pace(total, recent, from, to, as_of);
        let mut measured = vec![Count {
            measure: Measure::Total,
            threshold,
            pace,
        }];
        let mut occupations = Vec::new();
        for (code, oname) in occs.get(&id).map(Vec::as_slice).unwrap_or_default() {
            let t = by_occ.get(code);
            let (n, recent) = t.map_or((0, 0), |t| (t.window, t.recent));
            let pace = renewal::pace(n, recent, from, to, as_of);
            if social {
                measured.push(Count {
                    measure: Measure::Occupation(code.clone()),
                    threshold: per_occ_min,
                    pace,
                });
            }
            occupations.push(OccupationCount {
                code: code.clone(),
                name: oname.clone(),
                certificates: n,
                threshold: social.then_some(per_occ_min),
                meets: social.then_some(n >= per_occ_min),
                pace,
            });
        }
        let days_left = (to - as_of).num_days();
        let status: String = r.get(5)?;
        let mut outlook = renewal::outlook(&measured, days_left, on_file, warning);
        if status == "exiting" {
            // An exit is under way (arts. 13-15): no renewal to warn about.
            outlook.at_risk = false;
            outlook.risks.clear();
        }
        province.add(&outlook, total);
        let prefecture = divisions
            .prefecture_of(&region)
            .map_or_else(|| region.clone(), |d| d.code.clone());
        regions
            .entry(prefecture.clone())
            .or_default()
            .add(&outlook, total);
        let meets = measured.iter().all(Count::meets);
        out.push(RenewalRow {
            credit_code: r.get(1)?,
            name: r.get(2)?,
            category,
            region,
            prefecture,
            status,
            valid_from: from_s,
            valid_to: to_s,
            days_left,
            certificates: total,
            threshold,
            total_meets: total >= threshold,
            occupations,
            renewal_on_file: on_file,
            meets,
            pace,
            outlook,
        });
    }
    let regions = region_list(regions, divisions);
    Ok(Renewal {
        as_of,
        warning,
        province,
        regions,
        institutions: out,
    })
}

/// Certificates an institution issued per month from `from` to `to` (both inclusive, by
/// day), every month present, zero or not: `("2024-03", 41)`.
pub fn monthly(
    conn: &Connection,
    credit_code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, u64)>> {
    use chrono::Datelike;
    let mut st = conn.prepare_cached(
        "SELECT substr(issued_on, 1, 7), sum(n) FROM certificate_counts
         WHERE credit_code = ?1 AND issued_on BETWEEN ?2 AND ?3
         GROUP BY 1",
    )?;
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    let mut rows = st.query(params![credit_code, from.to_string(), to.to_string()])?;
    while let Some(r) = rows.next()? {
        got.insert(r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64);
    }
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        let key = format!("{y:04}-{m:02}");
        let n = got.get(&key).copied().unwrap_or(0);
        out.push((key, n));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Ok(out)
}
