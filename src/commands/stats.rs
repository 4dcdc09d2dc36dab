//! `pingshen stats renewal [--json]`: the renewal statistics and early warning, filtered and
//! sorted as the statistics pane does.

use super::Lang;
use crate::assets::Reference;
use crate::domain::renewal::{Risk, Standing, Warning};
use crate::store::stats::{self, Renewal, RenewalRow};
use crate::store::Store;
use crate::text::sanitize;
use anyhow::{bail, Result};
use chrono::NaiveDate;

/// Which institutions to show. Summaries are made again over the ones kept.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A county or prefecture code: institutions in it.
    pub region: Option<String>,
    /// employer, school or social_org.
    pub category: Option<String>,
    /// Only those the early warning names.
    pub at_risk: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Soonest end of period first.
    #[default]
    ValidTo,
    /// At risk first, then behind, on pace, meets; soonest end first within each.
    Risk,
    /// By prefecture and county code.
    Region,
    /// Lowest share of the threshold first.
    Shortfall,
}

impl Sort {
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "valid_to" | "end" => Sort::ValidTo,
            "risk" => Sort::Risk,
            "region" => Sort::Region,
            "shortfall" => Sort::Shortfall,
            _ => bail!("--sort: {s:?} is not one of valid_to, risk, region, shortfall"),
        })
    }
}

pub fn keep(row: &RenewalRow, f: &Filter) -> bool {
    f.region
        .as_deref()
        .is_none_or(|r| row.region == r || row.prefecture == r)
        && f.category.as_deref().is_none_or(|c| row.category == c)
        && (!f.at_risk || row.outlook.at_risk)
}

/// The order of `by` as a comparison: for rows here, and for the pane's indices.
pub fn compare(by: Sort) -> impl Fn(&RenewalRow, &RenewalRow) -> std::cmp::Ordering {
    let share = |r: &RenewalRow| r.certificates as f64 / r.threshold.max(1) as f64;
    move |a, b| match by {
        Sort::ValidTo => (&a.valid_to, &a.credit_code).cmp(&(&b.valid_to, &b.credit_code)),
        Sort::Risk => (
            !a.outlook.at_risk,
            b.outlook.standing,
            &a.valid_to,
            &a.credit_code,
        )
            .cmp(&(
                !b.outlook.at_risk,
                a.outlook.standing,
                &b.valid_to,
                &b.credit_code,
            )),
        Sort::Region => {
            (&a.prefecture, &a.region, &a.valid_to).cmp(&(&b.prefecture, &b.region, &b.valid_to))
        }
        Sort::Shortfall => share(a).total_cmp(&share(b)),
    }
}

pub fn sort(rows: &mut [RenewalRow], by: Sort) {
    rows.sort_by(compare(by));
}

/// The statistics as of `as_of`, filtered, sorted and summarised again over what is kept.
pub fn load(
    store: &Store,
    reference: &Reference,
    as_of: NaiveDate,
    warning: Warning,
    filter: &Filter,
    by: Sort,
) -> Result<Renewal> {
    if let Some(code) = filter.region.as_deref() {
        if reference.divisions.get(code).is_none() {
            bail!(
                "--region {}: not a division of Guizhou (codes as in data/guizhou-divisions.csv, e.g. 520100)",
                sanitize(code)
            );
        }
    }
    let mut r = stats::renewal(
        &store.conn,
        &reference.rules,
        &reference.divisions,
        as_of,
        warning,
    )?;
    if filter.region.is_some() || filter.category.is_some() || filter.at_risk {
        r.institutions.retain(|row| keep(row, filter));
        r.resummarise(&reference.divisions);
    }
    sort(&mut r.institutions, by);
    Ok(r)
}

pub fn json(r: &Renewal, reference: &Reference) -> Result<String> {
    // Serialised from the rows themselves: a `json!` tree would copy 10,000 of them first.
    #[derive(serde::Serialize)]
    struct Out<'a> {
        as_of: String,
        rules_version: String,
        warning: &'a Warning,
        province: &'a crate::domain::renewal::Summary,
        regions: &'a [stats::RegionSummary],
        institutions: &'a [RenewalRow],
    }
    let mut out = serde_json::to_string_pretty(&Out {
        as_of: r.as_of.to_string(),
        rules_version: reference.rules.version(),
        warning: &r.warning,
        province: &r.province,
        regions: &r.regions,
        institutions: &r.institutions,
    })?;
    out.push('\n');
    Ok(out)
}

/// Words for the outlook in a table or an export.
pub fn standing_word(s: Standing, zh: bool) -> &'static str {
    match (s, zh) {
        (Standing::Meets, true) => "已达标",
        (Standing::Meets, false) => "meets",
        (Standing::OnPace, true) => "按进度可达标",
        (Standing::OnPace, false) => "on pace",
        (Standing::Behind, true) => "进度落后",
        (Standing::Behind, false) => "behind",
    }
}

/// An institution category in words.
pub fn category_word(c: &str, zh: bool) -> &str {
    match (c, zh) {
        ("employer", true) => "用人单位",
        ("school", true) => "院校",
        ("social_org", true) => "社会组织",
        ("employer", false) => "employer",
        ("school", false) => "school",
        ("social_org", false) => "social org",
        (other, _) => other,
    }
}

/// One short phrase per risk, for a table cell or an export.
pub fn risk_words(risks: &[Risk], zh: bool) -> String {
    risks
        .iter()
        .map(|r| match r {
            Risk::Pace {
                measure,
                projected,
                threshold,
                per_month,
            } => {
                let what = match measure {
                    crate::domain::renewal::Measure::Total => {
                        if zh { "总数" } else { "total" }.to_string()
                    }
                    crate::domain::renewal::Measure::Occupation(c) => c.clone(),
                };
                if zh {
                    format!("{what}预计{projected}<{threshold}（月均{per_month:.1}）")
                } else {
                    format!("{what} projected {projected}<{threshold} ({per_month:.1}/month)")
                }
            }
            Risk::NoApplication { days_left } if *days_left < 0 => {
                let ago = -days_left;
                if zh {
                    format!("有效期已过{ago}天，未收到续期申请")
                } else {
                    format!("period ended {ago} days ago, no renewal application")
                }
            }
            Risk::NoApplication { days_left } => {
                if zh {
                    format!("续期窗口已开，未收到申请（剩{days_left}天）")
                } else {
                    format!("renewal window open, no application ({days_left} days left)")
                }
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn table(r: &Renewal, reference: &Reference, lang: Lang) -> String {
    use comfy_table::{presets::ASCII_BORDERS_ONLY_CONDENSED, Table};
    let zh = lang == Lang::Zh;
    let mut t = Table::new();
    t.load_preset(ASCII_BORDERS_ONLY_CONDENSED);
    t.set_header(if zh {
        vec![
            "统一社会信用代码",
            "机构",
            "类别",
            "地区",
            "有效期至",
            "剩余天数",
            "证书/门槛",
            "近12月月均",
            "预计",
            "未达标职业",
            "续期申请",
            "进度",
            "预警",
        ]
    } else {
        vec![
            "credit code",
            "institution",
            "category",
            "region",
            "valid to",
            "days left",
            "certs/threshold",
            "per month",
            "projected",
            "occupations short",
            "renewal filed",
            "standing",
            "warning",
        ]
    });
    for row in &r.institutions {
        let short: Vec<String> = row
            .occupations
            .iter()
            .filter(|o| o.meets == Some(false))
            .map(|o| format!("{} {}<{}", o.code, o.certificates, o.threshold.unwrap_or(0)))
            .collect();
        let name: String = sanitize(&row.name).chars().take(18).collect();
        let region = reference
            .divisions
            .get(&row.region)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| sanitize(&row.region));
        t.add_row(vec![
            sanitize(&row.credit_code),
            name,
            category_word(&row.category, zh).to_string(),
            region,
            row.valid_to.clone(),
            row.days_left.to_string(),
            format!("{}/{}", row.certificates, row.threshold),
            format!("{:.1}", row.pace.per_month),
            row.pace.projected.to_string(),
            short.join(" "),
            match (row.renewal_on_file, zh) {
                (true, true) => "已提交",
                (true, false) => "yes",
                (false, true) => "未提交",
                (false, false) => "no",
            }
            .to_string(),
            standing_word(row.outlook.standing, zh).to_string(),
            // The first reason and how many more: every reason would widen every row of the
            // table past any terminal (`--json` and `--export` have them all).
            match row.outlook.risks.split_first() {
                Some((first, rest)) if row.outlook.at_risk => {
                    let mut w = risk_words(std::slice::from_ref(first), zh);
                    if !rest.is_empty() {
                        w.push_str(&if zh {
                            format!(" 等{}项", rest.len() + 1)
                        } else {
                            format!(" +{} more", rest.len())
                        });
                    }
                    w
                }
                _ => String::new(),
            },
        ]);
    }
    let p = &r.province;
    let summary = if zh {
        format!(
            "截至 {}：{} 家机构，{} 家已达标，{} 家按进度可达标，{} 家落后；预警 {} 家（其中 {} 家续期窗口已开未申请）",
            r.as_of, p.institutions, p.meets, p.on_pace, p.behind, p.at_risk, p.no_application
        )
    } else {
        format!(
            "As of {}: {} institutions, {} meet the thresholds, {} on pace, {} behind; {} at risk ({} with the renewal window open and no application)",
            r.as_of, p.institutions, p.meets, p.on_pace, p.behind, p.at_risk, p.no_application
        )
    };
    let mut regions = String::new();
    for g in &r.regions {
        let x = &g.summary;
        regions.push_str(&if zh {
            format!(
                "  {}：{} 家，已达标 {}，按进度 {}，落后 {}，预警 {}（未申请 {}）\n",
                sanitize(&g.name), x.institutions, x.meets, x.on_pace, x.behind, x.at_risk, x.no_application
            )
        } else {
            format!(
                "  {}: {} institutions, {} meet, {} on pace, {} behind, {} at risk ({} no application)\n",
                sanitize(&g.name), x.institutions, x.meets, x.on_pace, x.behind, x.at_risk, x.no_application
            )
        });
    }
    format!("{t}\n{summary}\n{regions}")
}
