//! `pingshen stats renewal [--json]`.

use super::Lang;
use crate::assets::Reference;
use crate::store::{stats, Store};
use crate::text::sanitize;
use anyhow::Result;
use chrono::NaiveDate;

pub fn renewal(
    store: &Store,
    reference: &Reference,
    as_of: NaiveDate,
    json: bool,
    lang: Lang,
) -> Result<String> {
    let rows = stats::renewal(&store.conn, &reference.rules, as_of)?;
    if json {
        return Ok(serde_json::to_string_pretty(&serde_json::json!({
            "as_of": as_of.to_string(),
            "rules_version": reference.rules.version(),
            "institutions": rows,
        }))? + "\n");
    }
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
            "有效期",
            "剩余天数",
            "证书/门槛",
            "未达标职业",
            "续期申请",
            "结论",
        ]
    } else {
        vec![
            "credit code",
            "institution",
            "category",
            "region",
            "period",
            "days left",
            "certs/threshold",
            "occupations short",
            "renewal filed",
            "verdict",
        ]
    });
    for r in &rows {
        let short: Vec<String> = r
            .occupations
            .iter()
            .filter(|o| !o.meets)
            .map(|o| format!("{} {}<{}", o.code, o.certificates, o.threshold))
            .collect();
        let name: String = sanitize(&r.name).chars().take(18).collect();
        let region = reference
            .divisions
            .get(&r.region)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| r.region.clone());
        t.add_row(vec![
            r.credit_code.clone(),
            name,
            r.category.clone(),
            region,
            format!("{}..{}", r.valid_from, r.valid_to),
            r.days_left.to_string(),
            format!("{}/{}", r.certificates, r.threshold),
            short.join(" "),
            if r.renewal_on_file {
                if zh {
                    "已提交"
                } else {
                    "yes"
                }
            } else if zh {
                "未提交"
            } else {
                "no"
            }
            .to_string(),
            if r.meets {
                if zh {
                    "达标"
                } else {
                    "meets"
                }
            } else if zh {
                "未达标"
            } else {
                "short"
            }
            .to_string(),
        ]);
    }
    let meets = rows.iter().filter(|r| r.meets).count();
    Ok(format!(
        "{t}\n{}\n",
        if zh {
            format!(
                "截至 {as_of}：{} 家机构，{meets} 家达标，{} 家未达标",
                rows.len(),
                rows.len() - meets
            )
        } else {
            format!(
                "As of {as_of}: {} institutions, {meets} meet the threshold, {} short",
                rows.len(),
                rows.len() - meets
            )
        }
    ))
}
