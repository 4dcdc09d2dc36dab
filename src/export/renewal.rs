//! The renewal statistics (`stats renewal --export FILE`) as CSV or XLSX: one row per
//! institution, in the order given. The XLSX adds a sheet of per-prefecture summaries and
//! one stating the date, rules version and warning settings the figures are for.

use super::{column_widths, needs_quote, write_atomically, Cell, Kind};
use crate::assets::Reference;
use crate::commands::stats::{risk_words, standing_word};
use crate::commands::Lang;
use crate::domain::renewal::Summary;
use crate::store::stats::{Renewal, RenewalRow};
use anyhow::{Context as _, Result};
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError};
use std::io::Write as _;
use std::path::Path;

pub const HEADER_ZH: [&str; 18] = [
    "统一社会信用代码",
    "机构名称",
    "类别",
    "市州",
    "县区",
    "有效期起",
    "有效期至",
    "剩余天数",
    "证书数",
    "门槛",
    "近12月证书数",
    "月均",
    "预计届满时",
    "未达标职业",
    "续期申请",
    "进度",
    "预警",
    "预警原因",
];

pub const HEADER_EN: [&str; 18] = [
    "credit code",
    "institution",
    "category",
    "prefecture",
    "county",
    "valid from",
    "valid to",
    "days left",
    "certificates",
    "threshold",
    "last 12 months",
    "per month",
    "projected at end",
    "occupations short",
    "renewal application",
    "standing",
    "at risk",
    "warning reasons",
];

const SUMMARY_ZH: [&str; 9] = [
    "地区",
    "代码",
    "机构数",
    "已达标",
    "按进度可达标",
    "进度落后",
    "预警",
    "窗口已开未申请",
    "证书数",
];

const SUMMARY_EN: [&str; 9] = [
    "region",
    "code",
    "institutions",
    "meets",
    "on pace",
    "behind",
    "at risk",
    "no application",
    "certificates",
];

/// Excel's own "bad" fill: a light red that still prints legibly in black and white.
const RISK_FILL: u32 = 0xFFC7CE;
const HEADER_FILL: u32 = 0xD9E1F2;

pub fn header(lang: Lang) -> &'static [&'static str; 18] {
    match lang {
        Lang::Zh => &HEADER_ZH,
        Lang::En => &HEADER_EN,
    }
}

pub fn category_word(category: &str, zh: bool) -> String {
    match (category, zh) {
        ("employer", true) => "用人单位".into(),
        ("employer", false) => "employer".into(),
        ("school", true) => "院校".into(),
        ("school", false) => "school".into(),
        ("social_org", true) => "社会组织".into(),
        ("social_org", false) => "social organisation".into(),
        (other, _) => super::clean(other),
    }
}

/// A division's name; its code when the reference does not know it.
fn division_name(reference: &Reference, code: &str) -> String {
    reference
        .divisions
        .get(code)
        .map_or_else(|| super::clean(code), |d| d.name.clone())
}

/// One institution's row, in the columns of [`header`].
pub fn row(r: &RenewalRow, reference: &Reference, lang: Lang) -> Vec<Cell> {
    let zh = lang == Lang::Zh;
    let short: Vec<String> = r
        .occupations
        .iter()
        .filter(|o| o.meets == Some(false))
        .map(|o| format!("{} {}<{}", o.code, o.certificates, o.threshold.unwrap_or(0)))
        .collect();
    let yes_no = |b: bool, yes: &str, no: &str| Cell::Text(if b { yes } else { no }.into());
    vec![
        Cell::text(&r.credit_code),
        Cell::text(&r.name),
        Cell::Text(category_word(&r.category, zh)),
        Cell::Text(division_name(reference, &r.prefecture)),
        Cell::Text(division_name(reference, &r.region)),
        Cell::date(&r.valid_from),
        Cell::date(&r.valid_to),
        Cell::Int(r.days_left),
        Cell::count(r.certificates),
        Cell::count(r.threshold),
        Cell::count(r.pace.recent),
        Cell::Decimal(r.pace.per_month),
        Cell::count(r.pace.projected),
        Cell::text(&short.join("; ")),
        if zh {
            yes_no(r.renewal_on_file, "已提交", "未提交")
        } else {
            yes_no(r.renewal_on_file, "filed", "not filed")
        },
        Cell::Text(standing_word(r.outlook.standing, zh).into()),
        if zh {
            yes_no(r.outlook.at_risk, "是", "否")
        } else {
            yes_no(r.outlook.at_risk, "yes", "no")
        },
        Cell::text(&if r.outlook.at_risk {
            risk_words(&r.outlook.risks, zh)
        } else {
            String::new()
        }),
    ]
}

pub fn rows(r: &Renewal, reference: &Reference, lang: Lang) -> Vec<Vec<Cell>> {
    r.institutions
        .iter()
        .map(|row_| row(row_, reference, lang))
        .collect()
}

/// Writes CSV or XLSX by the extension of `path`; any other is refused, naming the file.
pub fn write(path: &Path, r: &Renewal, reference: &Reference, lang: Lang) -> Result<()> {
    match Kind::of(path)? {
        Kind::Csv => write_csv(path, r, reference, lang),
        Kind::Xlsx => write_xlsx(path, r, reference, lang),
    }
}

/// Writes the export and says so in one line, for the command.
pub fn run(path: &Path, r: &Renewal, reference: &Reference, lang: Lang) -> Result<String> {
    write(path, r, reference, lang)?;
    let n = r.institutions.len();
    Ok(match lang {
        Lang::Zh => format!("已导出 {n} 家机构到 {}\n", path.display()),
        Lang::En => format!("exported {n} institutions to {}\n", path.display()),
    })
}

/// UTF-8 with a byte-order mark, which Excel and WPS need to read it as UTF-8 rather than
/// GBK; CRLF line ends, as they write themselves. Text cells are neutralised against
/// formula injection.
pub fn write_csv(path: &Path, r: &Renewal, reference: &Reference, lang: Lang) -> Result<()> {
    let rows = rows(r, reference, lang);
    write_atomically(path, |file| {
        file.write_all(b"\xEF\xBB\xBF")?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        w.write_record(header(lang))?;
        for cells in &rows {
            w.write_record(cells.iter().map(|c| c.csv_field().into_owned()))?;
        }
        w.flush()?;
        Ok(())
    })
}

pub fn write_xlsx(path: &Path, r: &Renewal, reference: &Reference, lang: Lang) -> Result<()> {
    let bytes = workbook(r, reference, lang)
        .and_then(|mut book| book.save_to_buffer())
        .with_context(|| {
            format!(
                "cannot export to {}: cannot make the workbook",
                path.display()
            )
        })?;
    write_atomically(path, |file| Ok(file.write_all(&bytes)?))
}

/// How a row stands out: not, as at risk (a fill), or as a total (bold).
#[derive(Clone, Copy)]
enum Mark {
    Plain = 0,
    Risk = 1,
    Total = 2,
}

/// The formats of a data cell, by [`Mark`]. A cell's own format hides a row's, so each
/// mark needs its own set.
struct Styles {
    text: [Format; 3],
    /// Text a spreadsheet could take for a formula if edited: Excel's quote prefix keeps it
    /// text without showing an apostrophe.
    quoted: [Format; 3],
    int: [Format; 3],
    decimal: [Format; 3],
    date: [Format; 3],
    header: Format,
}

impl Styles {
    fn new() -> Styles {
        let marks = |f: Format| {
            [
                f.clone(),
                f.clone().set_background_color(Color::RGB(RISK_FILL)),
                f.set_bold(),
            ]
        };
        Styles {
            text: marks(Format::new()),
            quoted: marks(Format::new().set_quote_prefix()),
            int: marks(Format::new().set_num_format("0")),
            decimal: marks(Format::new().set_num_format("0.0")),
            date: marks(Format::new().set_num_format("yyyy-mm-dd")),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(HEADER_FILL))
                .set_border_bottom(FormatBorder::Thin),
        }
    }
}

fn put(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    st: &Styles,
    mark: Mark,
) -> Result<(), XlsxError> {
    let i = mark as usize;
    match cell {
        Cell::Text(s) => {
            // Excel refuses longer strings; cut rather than fail the export over one cell.
            let s = cut(s, 32_767);
            let f = if needs_quote(&s) {
                &st.quoted[i]
            } else {
                &st.text[i]
            };
            sheet.write_string_with_format(row, col, s, f)?;
        }
        Cell::Int(n) => {
            sheet.write_number_with_format(row, col, *n as f64, &st.int[i])?;
        }
        Cell::Decimal(x) => {
            sheet.write_number_with_format(row, col, *x, &st.decimal[i])?;
        }
        Cell::Date(d) => {
            use chrono::Datelike;
            // Excel has no dates before 1900 or after 9999: such a date is written as text.
            let excel = u16::try_from(d.year())
                .ok()
                .and_then(|y| ExcelDateTime::from_ymd(y, d.month() as u8, d.day() as u8).ok());
            match excel {
                Some(x) => sheet.write_datetime_with_format(row, col, x, &st.date[i])?,
                None => sheet.write_string_with_format(row, col, d.to_string(), &st.text[i])?,
            };
        }
    }
    Ok(())
}

/// `s` cut to at most `max` UTF-16 units, Excel's measure, on a character boundary.
fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.encode_utf16().count() <= max {
        return s.into();
    }
    let mut units = 0;
    s.chars()
        .take_while(|c| {
            units += c.len_utf16();
            units <= max
        })
        .collect::<String>()
        .into()
}

/// A sheet of `header` and `rows`, header bold and frozen, with an autofilter and widths
/// from the widest cells; `mark(i)` says how row `i` stands out.
fn table(
    sheet: &mut Worksheet,
    header: &[&str],
    rows: &[Vec<Cell>],
    st: &Styles,
    mark: impl Fn(usize) -> Mark,
) -> Result<(), XlsxError> {
    for (c, h) in (0u16..).zip(header) {
        sheet.write_string_with_format(0, c, *h, &st.header)?;
    }
    for (r, cells) in (1u32..).zip(rows) {
        let marked = mark(r as usize - 1);
        for (c, cell) in (0u16..).zip(cells) {
            put(sheet, r, c, cell, st, marked)?;
        }
    }
    for (c, w) in (0u16..).zip(column_widths(header, rows)) {
        sheet.set_column_width(c, w)?;
    }
    let last_row = u32::try_from(rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
    let last_col = u16::try_from(header.len().saturating_sub(1))
        .map_err(|_| XlsxError::RowColumnLimitError)?;
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_col)?;
    Ok(())
}

fn summary_row(name: String, code: &str, s: &Summary) -> Vec<Cell> {
    vec![
        Cell::Text(name),
        Cell::text(code),
        Cell::count(s.institutions),
        Cell::count(s.meets),
        Cell::count(s.on_pace),
        Cell::count(s.behind),
        Cell::count(s.at_risk),
        Cell::count(s.no_application),
        Cell::count(s.certificates),
    ]
}

fn workbook(r: &Renewal, reference: &Reference, lang: Lang) -> Result<Workbook, XlsxError> {
    let zh = lang == Lang::Zh;
    let st = Styles::new();
    let mut book = Workbook::new();

    let sheet = book.add_worksheet();
    sheet.set_name(if zh { "续期统计" } else { "Renewal" })?;
    let data = rows(r, reference, lang);
    table(sheet, header(lang), &data, &st, |i| {
        match r.institutions.get(i) {
            Some(row) if row.outlook.at_risk => Mark::Risk,
            _ => Mark::Plain,
        }
    })?;

    let sheet = book.add_worksheet();
    sheet.set_name(if zh {
        "按市州汇总"
    } else {
        "By prefecture"
    })?;
    let province = "520000";
    let mut sums = vec![summary_row(
        reference.divisions.get(province).map_or_else(
            || if zh { "全省" } else { "province" }.to_string(),
            |d| d.name.clone(),
        ),
        province,
        &r.province,
    )];
    sums.extend(
        r.regions
            .iter()
            .map(|g| summary_row(super::clean(&g.name), &g.code, &g.summary)),
    );
    let summary_header = if zh { &SUMMARY_ZH } else { &SUMMARY_EN };
    // The province row, first, is the total of the ones below it.
    table(sheet, summary_header, &sums, &st, |i| {
        if i == 0 {
            Mark::Total
        } else {
            Mark::Plain
        }
    })?;

    let sheet = book.add_worksheet();
    sheet.set_name(if zh { "说明" } else { "About" })?;
    let about: Vec<Vec<Cell>> =
        vec![
            vec![
                Cell::Text(
                    if zh {
                        "统计日期"
                    } else {
                        "statistics as of"
                    }
                    .into(),
                ),
                Cell::Date(r.as_of),
            ],
            vec![
                Cell::Text(if zh { "规则版本" } else { "rules version" }.into()),
                Cell::text(&reference.rules.version()),
            ],
            vec![
                Cell::Text(
                    if zh {
                        "进度预警：届满前天数"
                    } else {
                        "pace warning: days before the end"
                    }
                    .into(),
                ),
                Cell::Int(r.warning.horizon_days),
            ],
            vec![
                Cell::Text(
                    if zh {
                        "续期窗口：届满前天数"
                    } else {
                        "renewal window: days before the end"
                    }
                    .into(),
                ),
                Cell::Int(r.warning.renewal_window_days),
            ],
            vec![
                Cell::Text(if zh { "机构数" } else { "institutions" }.into()),
                Cell::count(r.institutions.len() as u64),
            ],
            vec![
            Cell::Text(if zh { "近12月证书数" } else { "last 12 months" }.into()),
            Cell::Text(
                if zh {
                    "统计日期前365天（含当日）在有效期内颁发的证书"
                } else {
                    "certificates issued in the period in the 365 days up to the statistics date"
                }
                .into(),
            ),
        ],
            vec![
                Cell::Text(
                    if zh {
                        "预计届满时"
                    } else {
                        "projected at end"
                    }
                    .into(),
                ),
                Cell::Text(
                    if zh {
                        "按近12月的速度推算到有效期末的证书总数（向下取整）"
                    } else {
                        "the count at the end of the period at that pace, rounded down"
                    }
                    .into(),
                ),
            ],
        ];
    for (r_, cells) in (0u32..).zip(&about) {
        for (c, cell) in (0u16..).zip(cells) {
            put(sheet, r_, c, cell, &st, Mark::Plain)?;
        }
    }
    let widths = column_widths(&["", ""], &about);
    for (c, w) in (0u16..).zip(widths) {
        sheet.set_column_width(c, w)?;
    }
    Ok(book)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::renewal::{Outlook, Pace, Standing};
    use crate::store::stats::OccupationCount;

    fn reference() -> Reference {
        Reference::builtin().expect("built-in data loads")
    }

    fn sample() -> RenewalRow {
        let pace = Pace {
            so_far: 120,
            recent: 30,
            basis_days: 365,
            per_month: 2.5,
            projected: 125,
        };
        RenewalRow {
            credit_code: "52520102MA6DK7Q11C".into(),
            name: "贵阳某某职业技能培训学校有限公司".into(),
            category: "social_org".into(),
            region: "520102".into(),
            prefecture: "520100".into(),
            status: "active".into(),
            valid_from: "2023-12-01".into(),
            valid_to: "2026-11-30".into(),
            days_left: -3,
            certificates: 120,
            threshold: 600,
            total_meets: false,
            occupations: vec![OccupationCount {
                code: "4-10-01-05".into(),
                name: "养老护理员".into(),
                certificates: 99,
                threshold: Some(100),
                meets: Some(false),
                pace,
            }],
            renewal_on_file: false,
            meets: false,
            pace,
            outlook: Outlook {
                standing: Standing::Behind,
                at_risk: false,
                risks: vec![],
            },
        }
    }

    #[test]
    fn a_row_in_words_and_numbers() {
        let reference = reference();
        let cells = row(&sample(), &reference, Lang::Zh);
        assert_eq!(cells.len(), HEADER_ZH.len());
        assert_eq!(cells[2], Cell::Text("社会组织".into()));
        assert_eq!(cells[3], Cell::Text("贵阳市".into()));
        assert_eq!(cells[7], Cell::Int(-3));
        assert_eq!(cells[13], Cell::Text("4-10-01-05 99<100".into()));
        assert_eq!(cells[14], Cell::Text("未提交".into()));
        assert_eq!(cells[16], Cell::Text("否".into()));
        assert_eq!(cells[7].csv_field(), "-3");
        let en = row(&sample(), &reference, Lang::En);
        assert_eq!(en[2], Cell::Text("social organisation".into()));
    }

    #[test]
    fn column_widths_fit_the_widest_cell_cjk_counting_two() {
        let reference = reference();
        let data = vec![row(&sample(), &reference, Lang::Zh)];
        let w = column_widths(&HEADER_ZH, &data);
        // 16 CJK characters: 32 columns, plus the margin.
        assert_eq!(w[1], 35.0);
        // The header 统一社会信用代码 (16) is wider than the 18-character code.
        assert_eq!(w[0], 21.0);
        // Dates: ten characters, header 有效期起 eight.
        assert_eq!(w[5], 13.0);
        let mut long = sample();
        long.name = "很长的名字".repeat(20);
        let w = column_widths(&HEADER_ZH, &[row(&long, &reference, Lang::Zh)]);
        assert_eq!(w[1], super::super::MAX_WIDTH);
    }

    #[test]
    fn odd_rows_do_not_fail_the_export() {
        let reference = reference();
        let mut odd = sample();
        odd.valid_from = "1800-01-01".into();
        odd.valid_to = "not a date".into();
        odd.name = "长".repeat(40_000);
        odd.region = "999999".into();
        let r = Renewal {
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default(),
            warning: crate::domain::renewal::Warning::default(),
            province: Summary::default(),
            regions: vec![],
            institutions: vec![odd],
        };
        let cells = row(&r.institutions[0], &reference, Lang::Zh);
        assert_eq!(cells[4], Cell::Text("999999".into()));
        assert_eq!(cells[6], Cell::Text("not a date".into()));
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["odd.xlsx", "odd.csv"] {
            let path = dir.path().join(name);
            write(&path, &r, &reference, Lang::Zh).expect("written");
            assert!(path.metadata().expect("file").len() > 0);
        }
    }

    #[test]
    fn cut_keeps_whole_characters() {
        assert_eq!(cut("贵阳", 1), "贵");
        assert_eq!(cut("a😀b", 2), "a");
        assert_eq!(cut("abc", 5), "abc");
    }
}
