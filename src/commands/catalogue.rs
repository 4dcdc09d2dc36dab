//! `pingshen catalogue [--as-of DATE] [--region CODE] [--export FILE.csv|FILE.xlsx] [--json]`:
//! the institutions in good standing on a date, with their occupations, levels and period.

use super::Lang;
use crate::assets::Reference;
use crate::documents::level_name;
use crate::export::catalogue as out;
use crate::export::{extension, write_atomic};
use crate::store::{catalogue, Store};
use crate::text::sanitize;
use anyhow::{bail, Result};
use chrono::NaiveDate;
use std::path::Path;

pub fn run(
    store: &Store,
    reference: &Reference,
    as_of: NaiveDate,
    region: Option<&str>,
    export: Option<&Path>,
    json: bool,
    lang: Lang,
) -> Result<String> {
    let zh = lang == Lang::Zh;
    let entries = catalogue::as_of(&store.conn, as_of, region)?;
    if let Some(path) = export {
        let rows = out::rows(&entries, &reference.divisions);
        let bytes = match extension(path).as_str() {
            "csv" => out::csv(&rows)?,
            "xlsx" => out::xlsx(&rows, "评价机构目录")?,
            _ => bail!(
                "{}: {}",
                path.display(),
                if zh {
                    "导出文件须以 .csv 或 .xlsx 结尾"
                } else {
                    "the export file must end in .csv or .xlsx"
                }
            ),
        };
        write_atomic(path, &bytes)?;
        return Ok(if zh {
            format!(
                "评价机构目录（截至 {as_of}）：{} 家机构、{} 行，已导出到 {}\n",
                entries.len(),
                rows.len(),
                path.display()
            )
        } else {
            format!(
                "catalogue as of {as_of}: {} institution(s), {} row(s), written to {}\n",
                entries.len(),
                rows.len(),
                path.display()
            )
        });
    }
    if json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            as_of: String,
            institutions: &'a [catalogue::Entry],
        }
        return Ok(serde_json::to_string_pretty(&Out {
            as_of: as_of.to_string(),
            institutions: &entries,
        })? + "\n");
    }
    use comfy_table::{presets::ASCII_BORDERS_ONLY_CONDENSED, Table};
    let mut t = Table::new();
    t.load_preset(ASCII_BORDERS_ONLY_CONDENSED);
    t.set_header(if zh {
        vec![
            "统一社会信用代码",
            "机构",
            "类别",
            "地区",
            "职业（等级）",
            "有效期",
        ]
    } else {
        vec![
            "credit code",
            "institution",
            "category",
            "region",
            "occupations (levels)",
            "period",
        ]
    });
    for e in &entries {
        let (pref, county) = out::place(&reference.divisions, &e.region);
        let occs: Vec<String> = e
            .occupations
            .iter()
            .map(|o| {
                let levels: Vec<String> = if zh {
                    o.levels.iter().map(|l| level_name(*l)).collect()
                } else {
                    o.levels.iter().map(|l| l.to_string()).collect()
                };
                format!(
                    "{} {} ({})",
                    sanitize(&o.code),
                    sanitize(&o.name),
                    levels.join(",")
                )
            })
            .collect();
        let mut period = format!("{} ~ {}", e.valid_from, e.valid_to);
        if let Some(l) = e.leaves_on {
            period.push_str(&if zh {
                format!("（{l} 起退出）")
            } else {
                format!(" (exits {l})")
            });
        }
        t.add_row(vec![
            sanitize(&e.credit_code),
            sanitize(&e.name).chars().take(20).collect(),
            if zh {
                out::category_zh(&e.category).to_string()
            } else {
                e.category.clone()
            },
            format!("{pref}{county}"),
            occs.join("\n"),
            period,
        ]);
    }
    let summary = if zh {
        format!("评价机构目录（截至 {as_of}）：{} 家机构", entries.len())
    } else {
        format!("catalogue as of {as_of}: {} institution(s)", entries.len())
    };
    Ok(format!("{t}\n{summary}\n"))
}
