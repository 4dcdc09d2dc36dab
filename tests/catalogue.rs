//! The catalogue (评价机构目录) as of a date: before and after an exit takes effect, across a
//! renewal (history kept), and its CSV and XLSX exports.

mod common;
mod exit_support;
use exit_support::{code, d, db, exit_app};
use pingshen::domain::exit::Step;
use pingshen::export::catalogue as export;
use pingshen::store::catalogue;
use pingshen::store::exits::{self, StepInput};
use serde_json::json;
use std::io::Read;

fn codes(t: &exit_support::Db, on: &str) -> Vec<String> {
    catalogue::as_of(&t.store.conn, d(on), None)
        .unwrap()
        .into_iter()
        .map(|e| e.credit_code)
        .collect()
}

#[test]
fn an_exited_institution_leaves_on_the_right_day_and_stays_in_the_past() {
    let mut t = db();
    // 1: a voluntary exit whose last day is 10-31. 2: in good standing throughout.
    // 3: its period ended 09-16 with no renewal (the sweep's automatic exit).
    t.import(&exit_app(
        "GZ-2026-E-0101",
        1,
        json!({ "kind": "voluntary", "requested_on": "2026-09-01", "intended_end": "2026-10-31" }),
    ));
    t.institution(2, "520102", "2025-01-01", "2027-12-31");
    t.institution(3, "520102", "2023-09-17", "2026-09-16");
    let mut all = vec![code(1), code(2), code(3)];
    all.sort();
    assert_eq!(codes(&t, "2026-09-16"), all);

    t.sweep("2026-11-28");
    t.decide("GZ-2026-E-0101", "approve");
    // The decision (today) does not move the day: 1 is listed through 10-31.
    let mut two = vec![code(1), code(2)];
    two.sort();
    assert_eq!(codes(&t, "2026-09-17"), two);
    assert_eq!(codes(&t, "2026-10-31"), two);
    assert_eq!(codes(&t, "2026-11-01"), vec![code(2)]);
    // Before its period began, 2 was not there.
    assert!(!codes(&t, "2024-12-31").contains(&code(2)));

    // Closing the case (every step) changes nothing in the catalogue's history.
    let today = d("2026-11-28");
    for (s, on, n) in [
        (Step::CertificatesReported, "2026-10-20", None),
        (Step::FilesArchived, "2026-10-25", None),
        (
            Step::TerminationNotice,
            "2026-11-02",
            Some("黔人社评终〔2026〕9号"),
        ),
        (Step::MinistryFiled, "2026-11-05", None),
        (Step::WebsiteUpdated, "2026-11-06", None),
    ] {
        exits::record_step(
            &t.store.conn,
            &t.tester,
            "GZ-2026-E-0101",
            None,
            StepInput {
                step: s,
                on: d(on),
                number: n,
                note: None,
            },
            today,
        )
        .unwrap();
    }
    assert_eq!(t.institution_state(1).0, "exited");
    assert_eq!(codes(&t, "2026-10-31"), two);
    assert_eq!(codes(&t, "2026-11-01"), vec![code(2)]);
    let e = catalogue::as_of(&t.store.conn, d("2026-10-15"), None).unwrap();
    let one = e.iter().find(|e| e.credit_code == code(1)).unwrap();
    assert_eq!(one.leaves_on, Some(d("2026-11-01")));
    assert_eq!(one.occupations[0].code, "4-10-01-06");
    assert_eq!(one.occupations[0].levels, vec![5, 4, 3]);
}

#[test]
fn a_renewed_institution_is_listed_under_the_period_of_the_date() {
    let mut t = db();
    let mut v = common::renewal("employer", &[200]);
    v["institution"]["credit_code"] = json!(code(7));
    t.import(&v);
    t.decide("GZ-2026-R-0001", "approve");
    // 2023-12-01..2026-11-30, renewed from 2026-12-01 for three years.
    let before = catalogue::as_of(&t.store.conn, d("2025-01-01"), None).unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(
        (before[0].valid_from, before[0].valid_to),
        (d("2023-12-01"), d("2026-11-30"))
    );
    let after = catalogue::as_of(&t.store.conn, d("2027-01-01"), None).unwrap();
    assert_eq!(
        (after[0].valid_from, after[0].valid_to),
        (d("2026-12-01"), d("2029-11-30"))
    );
    assert!(catalogue::as_of(&t.store.conn, d("2029-12-01"), None)
        .unwrap()
        .is_empty());
    // By region: Nanming (520102) and Guiyang (520100) have it, Zunyi not.
    assert_eq!(
        catalogue::as_of(&t.store.conn, d("2025-01-01"), Some("520100"))
            .unwrap()
            .len(),
        1
    );
    assert!(
        catalogue::as_of(&t.store.conn, d("2025-01-01"), Some("520300"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn csv_and_xlsx_exports() {
    let t = db();
    t.institution(1, "520102", "2025-01-01", "2027-12-31");
    t.institution(2, "520302", "2025-01-01", "2027-12-31");
    let entries = catalogue::as_of(&t.store.conn, d("2026-06-01"), None).unwrap();
    let rows = export::rows(&entries, &t.reference.divisions);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][4], "贵阳市");
    assert_eq!(rows[0][5], "南明区");
    assert_eq!(rows[1][4], "遵义市");
    assert_eq!(rows[0][8], "五级/初级工、四级/中级工、三级/高级工");

    let csv = export::csv(&rows).unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()), "UTF-8 BOM");
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next().unwrap(),
        "序号,统一社会信用代码,机构名称,机构类别,市州,区县,职业编码,职业（工种）,等级,有效期起,有效期止"
    );
    assert!(lines.next().unwrap().contains("贵阳测试1职业培训学校"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("目录.xlsx");
    pingshen::export::write_atomic(&path, &export::xlsx(&rows, "评价机构目录").unwrap()).unwrap();
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let range = wb.worksheet_range("评价机构目录").unwrap();
    let cell = |r: u32, c: u32| {
        range
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(cell(0, 1), "统一社会信用代码");
    assert_eq!(cell(1, 2), "贵阳测试1职业培训学校");
    assert_eq!(cell(2, 5), "红花岗区");
    // Widths set by hand from the display width: the name column is wide enough for the name
    // (10 CJK characters and a digit = 21 cells, + 2).
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    assert!(sheet.contains("<cols>"), "{sheet}");
    let widths = export::column_widths(&rows);
    assert_eq!(widths[2], 23.0);
    assert_eq!(widths[0], 6.0, "序号: 4 cells + 2");
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}
