//! `stats renewal --export FILE`: the CSV and XLSX as a reviewer opens them, read back with
//! the `csv` and `calamine` crates, from the real binary over a small database.

mod common;
use calamine::{Data, Reader as _, Xlsx};
use chrono::NaiveDate;
use pingshen::domain::credit_code;
use pingshen::domain::validate::{parse_application, ValidateOptions};
use pingshen::store::certificates::{NewCertificate, Writer};
use pingshen::store::{cases, Store};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HEADER_ZH: [&str; 18] = [
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

const A: &str = "52520102MA6DK7Q11C";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn code(stem: &str) -> String {
    credit_code::complete(stem).expect("a valid stem")
}

fn b() -> String {
    code("91520102MA6DL0QX")
}

fn c() -> String {
    code("91520302MA6EXP01")
}

/// Three institutions, as of 2026-11-28 in the default order (valid_to):
/// - B, an employer whose period ended three days ago, no renewal on file, a name that is a
///   formula: at risk;
/// - A, a social organisation two days from its end, one occupation short: at risk, with a
///   terminal escape in its name;
/// - C, an employer in Zunyi, a year to go and the threshold met, a name starting with @.
fn setup(dir: &Path) -> PathBuf {
    let reference = common::reference();
    let db = dir.join("s.db");
    let mut store = Store::open(&db).unwrap();
    let mut a = common::renewal("social_org", &[600, 100]);
    let mut b_app = common::renewal("employer", &[0]);
    b_app["case_no"] = json!("GZ-2026-R-0002");
    b_app["institution"]["credit_code"] = json!(b());
    b_app["institution"]["valid_from"] = json!("2023-11-26");
    b_app["institution"]["valid_to"] = json!("2026-11-25");
    // Submitted before this period began: not a renewal of it.
    b_app["submitted_on"] = json!("2023-06-01");
    let mut c_app = common::renewal("employer", &[200]);
    c_app["case_no"] = json!("GZ-2026-R-0003");
    c_app["institution"]["credit_code"] = json!(c());
    c_app["institution"]["region"] = json!("520302");
    c_app["institution"]["valid_from"] = json!("2025-01-01");
    c_app["institution"]["valid_to"] = json!("2027-12-31");
    a["case_no"] = json!("GZ-2026-R-0001");
    let tx = store.conn.transaction().unwrap();
    for v in [&a, &b_app, &c_app] {
        let (app, _flags) = parse_application(
            &v.to_string(),
            &reference.divisions,
            ValidateOptions::default(),
        )
        .unwrap();
        let ev = common::eval_with(v, &reference, None);
        cases::insert(&tx, "tester", &app, &ev, "new").unwrap();
    }
    let mut w = Writer::begin(&tx, "tester", "t.csv", "test-salt").unwrap();
    let mut n = 0;
    let mut add = |w: &mut Writer, credit: &str, occ: &str, on: &str, count: usize| {
        for _ in 0..count {
            n += 1;
            w.add(&NewCertificate {
                certificate_no: format!("Y000152000001260{n:06}"),
                credit_code: credit.into(),
                occupation_code: occ.into(),
                level: 4,
                issued_on: d(on),
                holder_name: None,
                holder_id: None,
            })
            .unwrap();
        }
    };
    add(&mut w, A, "4-10-01-06", "2024-06-01", 600);
    add(&mut w, A, "4-10-01-05", "2025-01-01", 99);
    add(&mut w, &c(), "4-10-01-06", "2026-06-01", 200);
    w.finish("tester", "t.csv", 0).unwrap();
    // Names as an import or a hand-edited file could leave them.
    for (name, credit) in [
        ("贵阳\x1b[31m某某\x07职业培训学校", A.to_string()),
        ("=HYPERLINK(\"http://x.example\",\"点我\")", b()),
        ("@SUM(A1) 遵义某某有限公司", c()),
    ] {
        tx.execute(
            "UPDATE institutions SET name = ?1 WHERE credit_code = ?2",
            (name, credit),
        )
        .unwrap();
    }
    tx.commit().unwrap();
    db
}

fn pingshen(db: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "--db",
        db.to_str().unwrap(),
        "stats",
        "renewal",
        "--as-of",
        "2026-11-28",
    ];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_pingshen"))
        .args(args)
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn read_csv(path: &Path) -> (Vec<u8>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("starts with a UTF-8 byte-order mark");
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (bytes, rows)
}

/// Excel's serial number of a date.
fn serial(s: &str) -> f64 {
    (d(s) - d("1899-12-30")).num_days() as f64
}

#[test]
fn csv_has_bom_chinese_headers_numbers_and_neutralised_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let path = dir.path().join("out.csv");
    let said = ok(&pingshen(&db, &["--export", path.to_str().unwrap()]));
    assert_eq!(said, format!("已导出 3 家机构到 {}\n", path.display()));
    let (bytes, rows) = read_csv(&path);
    // Every line ends in CRLF, none in a bare LF.
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
    assert_eq!(text.matches("\r\n").count(), 4);
    assert_eq!(rows[0], HEADER_ZH);
    assert_eq!(rows.len(), 4);
    let (rb, ra, rc) = (&rows[1], &rows[2], &rows[3]);
    // B: a formula-looking name gets an apostrophe; its negative days stay a number.
    assert_eq!(rb[0], b());
    assert_eq!(rb[1], "'=HYPERLINK(\"http://x.example\",\"点我\")");
    assert_eq!(rb[2], "用人单位");
    assert_eq!(rb[6], "2026-11-25");
    assert_eq!(rb[7], "-3");
    assert_eq!(rb[14], "未提交");
    assert_eq!(rb[16], "是");
    assert!(
        rb[17].contains("有效期已过3天，未收到续期申请"),
        "{}",
        rb[17]
    );
    // A: the escape and bell are gone, the figures are plain numbers.
    assert_eq!(ra[0], A);
    assert_eq!(ra[1], "贵阳[31m某某职业培训学校");
    assert_eq!(
        ra[2..=13],
        [
            "社会组织",
            "贵阳市",
            "南明区",
            "2023-12-01",
            "2026-11-30",
            "2",
            "699",
            "600",
            "0",
            "0.0",
            "699",
            "4-10-01-05 99<100",
        ]
    );
    assert_eq!(
        ra[14..],
        [
            "已提交",
            "进度落后",
            "是",
            "4-10-01-05预计99<100（月均0.0）"
        ]
    );
    // C: not at risk, no reasons; @ neutralised.
    assert_eq!(rc[1], "'@SUM(A1) 遵义某某有限公司");
    assert_eq!((rc[3].as_str(), rc[4].as_str()), ("遵义市", "红花岗区"));
    assert_eq!(rc[15..], ["已达标", "否", ""]);
}

#[test]
fn csv_in_english_and_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let path = dir.path().join("at-risk.CSV");
    let said = ok(&pingshen(
        &db,
        &[
            "--lang",
            "en",
            "--at-risk",
            "--sort",
            "risk",
            "--export",
            path.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        said,
        format!("exported 2 institutions to {}\n", path.display())
    );
    let (_, rows) = read_csv(&path);
    assert_eq!(rows[0][..3], ["credit code", "institution", "category"]);
    assert_eq!(rows[0][16..], ["at risk", "warning reasons"]);
    assert_eq!(rows.len(), 3);
    assert!(rows[1..].iter().all(|r| r[16] == "yes"));
    assert_eq!(rows[2][2], "social organisation");
    assert_eq!(rows[2][15], "behind");
}

#[test]
fn xlsx_has_typed_cells_marked_rows_and_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let path = dir.path().join("续期统计.xlsx");
    let said = ok(&pingshen(&db, &["--export", path.to_str().unwrap()]));
    assert!(said.starts_with("已导出 3 家机构到 "), "{said}");
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["续期统计", "按市州汇总", "说明"]);
    let sheet = book.worksheet_range("续期统计").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, HEADER_ZH);
    assert_eq!(sheet.height(), 4);
    let cell = |r: u32, c: u32| sheet.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    // B: the name as text, as it is (Excel's quote prefix, not an apostrophe, keeps it
    // text); days left a negative number; the end a real date.
    assert_eq!(
        cell(1, 1),
        Data::String("=HYPERLINK(\"http://x.example\",\"点我\")".into())
    );
    assert_eq!(cell(1, 7), Data::Float(-3.0));
    match cell(1, 6) {
        Data::DateTime(x) => assert_eq!(x.as_f64(), serial("2026-11-25")),
        other => panic!("valid_to is not a date: {other:?}"),
    }
    assert_eq!(cell(1, 16), Data::String("是".into()));
    // A: numbers as numbers.
    assert_eq!(cell(2, 1), Data::String("贵阳[31m某某职业培训学校".into()));
    assert_eq!(cell(2, 8), Data::Float(699.0));
    assert_eq!(cell(2, 9), Data::Float(600.0));
    assert_eq!(cell(2, 12), Data::Float(699.0));
    assert_eq!(cell(2, 13), Data::String("4-10-01-05 99<100".into()));
    assert_eq!(cell(2, 16), Data::String("是".into()));
    assert_eq!(cell(3, 16), Data::String("否".into()));
    assert_eq!(cell(3, 17), Data::Empty);

    let sums = book.worksheet_range("按市州汇总").unwrap();
    let rows: Vec<Vec<String>> = sums
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0][..3], ["地区", "代码", "机构数"]);
    // Province: 3 institutions, 1 meets, 2 behind, 2 at risk, 1 with no application,
    // 699 + 200 certificates.
    assert_eq!(
        rows[1],
        ["贵州省", "520000", "3", "1", "0", "2", "2", "1", "899"]
    );
    assert_eq!(rows[2][..3], ["贵阳市", "520100", "2"]);
    assert_eq!(rows[3][..3], ["遵义市", "520300", "1"]);

    let about = book.worksheet_range("说明").unwrap();
    match about.get_value((0, 1)) {
        Some(Data::DateTime(x)) => assert_eq!(x.as_f64(), serial("2026-11-28")),
        other => panic!("the statistics date is not a date: {other:?}"),
    }
    let labels: Vec<String> = about.rows().map(|r| r[0].to_string()).collect();
    assert!(labels.contains(&"规则版本".to_string()), "{labels:?}");
    assert_eq!(about.get_value((2, 1)), Some(&Data::Float(180.0)));
    assert_eq!(about.get_value((3, 1)), Some(&Data::Float(90.0)));
}

#[test]
fn xlsx_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let path = dir.path().join("renewal.xlsx");
    ok(&pingshen(
        &db,
        &["--lang", "en", "--export", path.to_str().unwrap()],
    ));
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["Renewal", "By prefecture", "About"]);
    let sheet = book.worksheet_range("Renewal").unwrap();
    assert_eq!(
        sheet.get_value((0, 7)),
        Some(&Data::String("days left".into()))
    );
    assert_eq!(sheet.get_value((1, 16)), Some(&Data::String("yes".into())));
    assert_eq!(
        sheet.get_value((3, 14)),
        Some(&Data::String("filed".into()))
    );
}

/// Files in `dir` other than the database.
fn written(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("s.db"))
        .collect()
}

#[test]
fn refuses_a_bad_extension_and_a_missing_folder_writing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    let bad = dir.path().join("out.txt");
    let out = pingshen(&db, &["--export", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("out.txt") && err.contains(".csv or .xlsx"),
        "{err}"
    );

    let missing = dir.path().join("no-such-folder").join("out.xlsx");
    let out = pingshen(&db, &["--export", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&*missing.to_string_lossy()) && err.contains("does not exist"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(written(dir.path()), Vec::<String>::new());
}

#[test]
fn a_failed_write_leaves_no_temporary_file_and_a_rewrite_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let db = setup(dir.path());
    // A folder where the file should go: the rename fails after everything was written.
    let taken = dir.path().join("taken.xlsx");
    std::fs::create_dir(&taken).unwrap();
    let out = pingshen(&db, &["--export", taken.to_str().unwrap()]);
    assert!(!out.status.success());
    assert_eq!(written(dir.path()), ["taken.xlsx"]);
    assert_eq!(std::fs::read_dir(&taken).unwrap().count(), 0);

    let path = dir.path().join("out.csv");
    std::fs::write(&path, "old").unwrap();
    ok(&pingshen(&db, &["--export", path.to_str().unwrap()]));
    let (_, rows) = read_csv(&path);
    assert_eq!(rows.len(), 4);
}
