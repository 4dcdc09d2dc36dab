//! The catalogue (评价机构目录) for publication: one row per institution and occupation, with
//! Chinese headers, as CSV (UTF-8 with a BOM, so that Excel reads the Chinese) or XLSX (column
//! widths set from the text's display width, since autofit is not available without Excel).

use crate::documents::level_name;
use crate::domain::Divisions;
use crate::store::catalogue::Entry;
use crate::text::sanitize;
use anyhow::{anyhow, Result};
use unicode_width::UnicodeWidthStr;

pub const HEADERS: [&str; 11] = [
    "序号",
    "统一社会信用代码",
    "机构名称",
    "机构类别",
    "市州",
    "区县",
    "职业编码",
    "职业（工种）",
    "等级",
    "有效期起",
    "有效期止",
];

pub fn category_zh(c: &str) -> &str {
    match c {
        "employer" => "用人单位",
        "school" => "院校",
        "social_org" => "社会培训评价组织",
        other => other,
    }
}

/// (prefecture, county) names of a division code.
pub fn place(divisions: &Divisions, code: &str) -> (String, String) {
    let pref = divisions
        .prefecture_of(code)
        .map(|d| d.name.clone())
        .unwrap_or_default();
    let county = divisions
        .get(code)
        .filter(|d| d.level == "county")
        .map(|d| d.name.clone())
        .unwrap_or_default();
    (pref, county)
}

/// The table: a row per occupation (an institution without occupations gets one row), the
/// number counting institutions.
pub fn rows(entries: &[Entry], divisions: &Divisions) -> Vec<[String; 11]> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let (pref, county) = place(divisions, &e.region);
        let base = |code: String, name: String, levels: String| -> [String; 11] {
            [
                (i + 1).to_string(),
                sanitize(&e.credit_code),
                sanitize(&e.name),
                category_zh(&e.category).to_string(),
                pref.clone(),
                county.clone(),
                code,
                name,
                levels,
                e.valid_from.to_string(),
                e.valid_to.to_string(),
            ]
        };
        if e.occupations.is_empty() {
            out.push(base(String::new(), String::new(), String::new()));
        }
        for o in &e.occupations {
            let levels: Vec<String> = o.levels.iter().map(|l| level_name(*l)).collect();
            out.push(base(
                sanitize(&o.code),
                sanitize(&o.name),
                levels.join("、"),
            ));
        }
    }
    out
}

/// A cell that a spreadsheet would take for a formula is kept as text.
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub fn csv(rows: &[[String; 11]]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    w.write_record(HEADERS)?;
    for r in rows {
        w.write_record(r.iter().map(|c| inert(c)))?;
    }
    w.into_inner()
        .map_err(|e| anyhow!("cannot write the CSV: {e}"))
}

/// Display width of the widest cell of each column, headers included, in spreadsheet
/// character units (a CJK character counts two), with a margin and a cap.
pub fn column_widths(rows: &[[String; 11]]) -> [f64; 11] {
    let mut w = [0usize; 11];
    for (i, h) in HEADERS.iter().enumerate() {
        w[i] = h.width();
    }
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.width());
        }
    }
    w.map(|n| (n + 2).min(60) as f64)
}

pub fn xlsx(rows: &[[String; 11]], sheet: &str) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| anyhow!("too many rows for a sheet"))?;
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r, c as u16, cell.as_str())?;
        }
    }
    for (c, w) in column_widths(rows).iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}
