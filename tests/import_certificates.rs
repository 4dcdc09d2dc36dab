//! `pingshen import certificates FILE`: CSV (UTF-8 with or without BOM, GB18030) and XLSX,
//! all or nothing, every refusal one line naming file, row and field; and the renewal counts
//! over what was imported. Each test uses a real SQLite file in its own temporary folder.

use chrono::NaiveDate;
use pingshen::assets::Reference;
use pingshen::domain::credit_code;
use pingshen::domain::validate::ValidateOptions;
use pingshen::import::certificates::{import, Reader};
use pingshen::store::certificates::recorded_counts;
use pingshen::store::Store;
use std::path::{Path, PathBuf};

const HEADER: &str =
    "certificate_no,credit_code,occupation_code,level,issued_on,holder_name,holder_id";

/// A valid credit code, one per `c` (a character of the GB 32100 set).
fn code(c: char) -> String {
    credit_code::complete(&format!("915201001234567{c}")).unwrap()
}

/// A certificate number of the 22-character form.
fn no(i: usize) -> String {
    format!("Y000152000001253{i:06}")
}

fn row(i: usize, code: &str) -> String {
    format!(
        "{},{code},4-10-01-06,3,2024-03-05,王芳,52010219900101123X",
        no(i)
    )
}

fn store(dir: &Path) -> Store {
    Store::open(&dir.join("pingshen.db")).unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn csv(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    write(dir, name, format!("{HEADER}\n{}\n", rows.join("\n")))
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn certificates(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM certificates")
}

fn imports(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM imports")
}

fn opts() -> ValidateOptions {
    ValidateOptions::default()
}

/// The error of an import that must fail, as one line; the database must be untouched.
fn refused(dir: &Path, file: &Path, opts: ValidateOptions) -> String {
    let mut s = store(dir);
    let before = (certificates(&s), imports(&s));
    let e = import(&mut s, "tester", file, opts).unwrap_err();
    let msg = format!("{e:#}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    assert_eq!(
        (certificates(&s), imports(&s)),
        before,
        "nothing written: {msg}"
    );
    msg
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn a_bad_row_7001_of_10000_refuses_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('1');
    let mut rows: Vec<String> = (1..=10_000).map(|i| row(i, &c)).collect();
    // Data row 7000 is spreadsheet row 7001 (the header is row 1).
    rows[6999] = format!("{},{c},4-10-01-06,9,2024-03-05,王芳,", no(7000));
    let file = csv(dir.path(), "certs.csv", &rows);

    let mut s = store(dir.path());
    let e = pingshen::commands::import::certificates(
        &mut s,
        "tester",
        &file,
        &Reference::builtin().unwrap(),
        opts(),
    )
    .unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("certs.csv: row 7001: level: \"9\" is not a skill level (1 to 5)"),
        "{msg}"
    );
    assert!(msg.contains("nothing was imported"), "{msg}");
    assert_eq!(certificates(&s), 0);
    assert_eq!(imports(&s), 0);
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM audit_log WHERE action = 'certificates.import'"
        ),
        0
    );
}

#[test]
fn a_bad_row_after_many_good_ones_leaves_earlier_imports_alone() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('2');
    let good = csv(dir.path(), "good.csv", &[row(1, &c), row(2, &c)]);
    let mut s = store(dir.path());
    import(&mut s, "tester", &good, opts()).unwrap();
    drop(s);

    // Big enough for the bulk path (indexes dropped and made again): a rollback must bring
    // them back.
    let mut rows: Vec<String> = (10..80_010).map(|i| row(i, &c)).collect();
    rows[78_999] = format!("{},{c},4-10-01-06,3,2024-13-01,王芳,", no(79_009));
    let bad = csv(dir.path(), "bad.csv", &rows);
    let msg = refused(dir.path(), &bad, opts());
    assert!(
        msg.contains("row 79001: issued_on: \"2024-13-01\" is not a date"),
        "{msg}"
    );
    let s = store(dir.path());
    assert_eq!(certificates(&s), 2);
    assert_eq!(imports(&s), 1);
    assert_eq!(
        count(
            &s,
            "SELECT count(*) FROM sqlite_schema WHERE name = 'certificates_no'"
        ),
        1
    );
}

#[test]
fn each_bad_field_is_named_with_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('3');
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{},91520100123456789X,4-10-01-06,3,2024-03-05,,", no(2)),
            "row 3: credit_code: \"91520100123456789X\"",
        ),
        (
            format!("{},9152010012345,4-10-01-06,3,2024-03-05,,", no(2)),
            "row 3: credit_code: \"9152010012345\": must be 18 characters",
        ),
        (
            format!("{},{c},4-10-1-06,3,2024-03-05,,", no(2)),
            "row 3: occupation_code: \"4-10-1-06\" is not an occupation code",
        ),
        (
            format!("{},{c},4-10-01-06,3,05/03/2024,,", no(2)),
            "row 3: issued_on: \"05/03/2024\" is not a date",
        ),
        (
            format!("{},{c},4-10-01-06,3,2024-02-30,,", no(2)),
            "row 3: issued_on: \"2024-02-30\" is not a date",
        ),
        (
            format!("{},{c},4-10-01-06,,2024-03-05,,", no(2)),
            "row 3: level: is empty",
        ),
        (
            format!(",{c},4-10-01-06,3,2024-03-05,,"),
            "row 3: certificate_no: is empty",
        ),
        (
            format!("{},{c},4-10-01-06,3.5,2024-03-05,,", no(2)),
            "row 3: level: \"3.5\" is not a skill level",
        ),
        (
            format!("{},{c},4-10-01-06,3,2024-03-05,王芳,5.20102E+17", no(2)),
            "row 3: holder_id: \"5.20102E+17\" is an ID number a spreadsheet turned into",
        ),
    ];
    for (i, (bad, want)) in cases.iter().enumerate() {
        let name = format!("case{i}.csv");
        let file = csv(dir.path(), &name, &[row(1, &c), bad.clone()]);
        let msg = refused(dir.path(), &file, opts());
        assert!(msg.starts_with(&file.display().to_string()), "{msg}");
        assert!(msg.contains(want), "case {i}: want {want:?} in {msg}");
    }
}

#[test]
fn a_wrong_check_character_is_refused_unless_legacy_codes_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let good = code('4');
    let mut legacy = good.clone();
    let last = legacy.pop().unwrap();
    legacy.push(if last == '0' { '1' } else { '0' });
    let file = csv(dir.path(), "legacy.csv", &[row(1, &good), row(2, &legacy)]);

    let msg = refused(dir.path(), &file, opts());
    assert!(msg.contains("row 3: credit_code:"), "{msg}");
    assert!(msg.contains("check character (18th)"), "{msg}");
    assert!(msg.contains("--accept-unverified-credit-code"), "{msg}");

    let mut s = store(dir.path());
    let lenient = ValidateOptions {
        accept_unverified_credit_code: true,
    };
    let r = import(&mut s, "tester", &file, lenient).unwrap();
    assert_eq!((r.rows, r.added), (2, 2));
    assert_eq!(r.warnings.count, 1);
    assert!(
        r.warnings.examples[0].starts_with("row 3: credit_code:"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn duplicates_are_counted_once_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('5');
    // Number 2 twice in the file.
    let first = csv(
        dir.path(),
        "first.csv",
        &[row(1, &c), row(2, &c), row(2, &c), row(3, &c)],
    );
    let mut s = store(dir.path());
    let reference = Reference::builtin().unwrap();
    let out =
        pingshen::commands::import::certificates(&mut s, "tester", &first, &reference, opts())
            .unwrap();
    assert!(out.contains("4 row(s) read"), "{out}");
    assert!(out.contains("3 certificate(s) added"), "{out}");
    assert!(out.contains("1 duplicate(s)"), "{out}");
    assert!(out.contains(&no(2)), "{out}");
    assert_eq!(certificates(&s), 3);

    // Numbers 3 and 4: 3 is already in the database.
    let second = csv(dir.path(), "second.csv", &[row(3, &c), row(4, &c)]);
    let r = import(&mut s, "tester", &second, opts()).unwrap();
    assert_eq!((r.rows, r.added, r.duplicates), (2, 1, 1));
    assert_eq!(r.duplicate_examples, vec![no(3)]);
    assert_eq!(certificates(&s), 4);
    assert_eq!(
        count(&s, "SELECT sum(duplicates) FROM imports"),
        2,
        "each import records its duplicates"
    );
    // The first row with a number is the one kept.
    let kept: i64 = s
        .conn
        .query_row(
            "SELECT import_id FROM certificates WHERE certificate_no = ?1",
            [no(3)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
}

#[test]
fn odd_certificate_numbers_are_kept_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('6');
    let rows = vec![
        row(1, &c),
        format!("GZ-2024-0001,{c},4-10-01-06,3,2024-03-05,,"),
        // Level digit 7 in the 16th place.
        format!("Y000152000001257000009,{c},4-10-01-06,3,2024-03-05,,"),
    ];
    let file = csv(dir.path(), "odd.csv", &rows);
    let mut s = store(dir.path());
    let out = pingshen::commands::import::certificates(
        &mut s,
        "tester",
        &file,
        &Reference::builtin().unwrap(),
        opts(),
    )
    .unwrap();
    assert_eq!(certificates(&s), 3);
    assert!(out.contains("2 warning(s)"), "{out}");
    assert!(
        out.contains(
            "row 3: certificate_no: \"GZ-2024-0001\" does not follow the 22-character form"
        ),
        "{out}"
    );
    assert!(out.contains("row 4: certificate_no:"), "{out}");
    assert_eq!(count(&s, "SELECT warnings FROM imports"), 2);
}

#[test]
fn chinese_headers_and_a_bom_are_read_and_ids_never_stored_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('7');
    let text = format!(
        "\u{feff}证书编号,统一社会信用代码,职业编码,等级,发证日期,姓名,身份证号\r\n\
         {},{c},4-10-01-06,3.0,2024/3/5,王芳,52010219900101123X\r\n\
         {},{c},6-28-01-14,5,2025-12-31,\"李,强\",\r\n",
        no(1),
        no(2)
    );
    let file = write(dir.path(), "中文.csv", text);
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &file, opts()).unwrap();
    assert_eq!((r.rows, r.added, r.warnings.count), (2, 2, 0));
    let (level, on, name, masked, hash): (i64, String, String, String, Vec<u8>) = s
        .conn
        .query_row(
            "SELECT level, issued_on, holder_name, holder_id_masked, holder_id_hash
             FROM certificates WHERE certificate_no = ?1",
            [no(1)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (level, on.as_str(), name.as_str()),
        (3, "2024-03-05", "王芳")
    );
    assert_eq!(masked, "520102********123X");
    assert_eq!(hash.len(), 16);
    assert!(!hash.windows(4).any(|w| w == b"1990"));
    let clear = count(
        &s,
        "SELECT count(*) FROM certificates WHERE CAST(holder_id_hash AS TEXT) LIKE '%19900101%'
           OR holder_id_masked LIKE '%19900101%'",
    );
    assert_eq!(clear, 0);
    let second: Option<Vec<u8>> = s
        .conn
        .query_row(
            "SELECT holder_id_hash FROM certificates WHERE certificate_no = ?1",
            [no(2)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(second, None);
}

#[test]
fn english_headers_in_any_case_and_order_with_extra_columns() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('8');
    let text = format!(
        "Remarks, Issued_On ,LEVEL,Occupation_Code,Credit_Code,Certificate_No\n\
         note,2024-03-05,4,4-10-01-06,{c},{}\n",
        no(1)
    );
    let file = write(dir.path(), "upper.csv", text);
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &file, opts()).unwrap();
    assert_eq!(r.added, 1);
}

#[test]
fn a_missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('9');
    let file = write(
        dir.path(),
        "nolevel.csv",
        format!(
            "certificate_no,credit_code,occupation_code,issued_on\n{},{c},4-10-01-06,2024-03-05\n",
            no(1)
        ),
    );
    let msg = refused(dir.path(), &file, opts());
    assert!(
        msg.contains("nolevel.csv: row 1: no column level (等级)"),
        "{msg}"
    );
}

#[test]
fn gb18030_csv_is_detected_and_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('A');
    let text = format!(
        "证书编号,统一社会信用代码,职业编码,等级,发证日期,姓名,身份证号\r\n\
         {},{c},4-10-01-06,3,2024-03-05,龙腾飞,52010219900101123X\r\n",
        no(1)
    );
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let file = write(dir.path(), "gbk.csv", &bytes);
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &file, opts()).unwrap();
    assert_eq!(r.added, 1);
    let name: String = s
        .conn
        .query_row("SELECT holder_name FROM certificates", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "龙腾飞");
}

#[test]
fn gb18030_row_errors_are_numbered_too() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('B');
    let text = format!(
        "证书编号,统一社会信用代码,职业编码,等级,发证日期,姓名\n\
         {},{c},4-10-01-06,3,2024-03-05,王芳\n\
         {},{c},4-10-01-06,六,2024-03-05,王芳\n",
        no(1),
        no(2)
    );
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    let file = write(dir.path(), "gbk.csv", &bytes);
    let msg = refused(dir.path(), &file, opts());
    assert!(
        msg.contains("row 3: level: \"六\" is not a skill level"),
        "{msg}"
    );
}

#[test]
fn bytes_neither_utf8_nor_gb18030_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('J');
    let mut bytes = format!("{HEADER}\n{}\n", row(1, &c)).into_bytes();
    // 0xFF never starts a GB18030 sequence, and is never UTF-8.
    bytes.extend_from_slice(b"Y000152000001253000002,");
    bytes.extend_from_slice(&[0xFF, 0xFF]);
    bytes.extend_from_slice(b",4-10-01-06,3,2024-03-05,,\n");
    let file = write(dir.path(), "mixed.csv", &bytes);
    let msg = refused(dir.path(), &file, opts());
    assert!(
        msg.contains("mixed.csv: line 3: bytes that are neither UTF-8 nor GB18030 text"),
        "{msg}"
    );
}

#[test]
fn blank_lines_count_as_spreadsheet_rows_and_blank_rows_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('C');
    let text = format!(
        "{HEADER}\n{}\n\n,,,,,,\n{},{c},4-10-01-06,0,2024-03-05,,\n",
        row(1, &c),
        no(2)
    );
    let file = write(dir.path(), "blank.csv", text);
    let msg = refused(dir.path(), &file, opts());
    assert!(msg.contains("row 5: level: \"0\""), "{msg}");

    let ok = write(
        dir.path(),
        "trailing.csv",
        format!("{HEADER}\n{}\n,,,,,,\n\n", row(1, &c)),
    );
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &ok, opts()).unwrap();
    assert_eq!((r.rows, r.added), (1, 1));
}

#[test]
fn xlsx_with_date_cells_numbers_and_text() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    let c = code('D');
    let path = dir.path().join("certs.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in [
        "证书编号",
        "统一社会信用代码",
        "职业编码",
        "等级",
        "发证日期",
        "姓名",
        "身份证号",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    // Row 2: a date cell and a number level.
    sheet.write_string(1, 0, no(1)).unwrap();
    sheet.write_string(1, 1, &c).unwrap();
    sheet.write_string(1, 2, "4-10-01-06").unwrap();
    sheet.write_number(1, 3, 3.0).unwrap();
    sheet
        .write_datetime_with_format(1, 4, ExcelDateTime::from_ymd(2024, 3, 5).unwrap(), &date)
        .unwrap();
    sheet.write_string(1, 5, "王芳").unwrap();
    sheet.write_string(1, 6, "52010219900101123X").unwrap();
    // Row 3: text date with slashes, text level, no holder.
    sheet.write_string(2, 0, no(2)).unwrap();
    sheet.write_string(2, 1, &c).unwrap();
    sheet.write_string(2, 2, "6-28-01-14").unwrap();
    sheet.write_string(2, 3, "5").unwrap();
    sheet.write_string(2, 4, "2025/12/31").unwrap();
    // Row 5 (row 4 left empty): a bare serial number for the date (2026-01-02).
    sheet.write_string(4, 0, no(3)).unwrap();
    sheet.write_string(4, 1, &c).unwrap();
    sheet.write_string(4, 2, "4-10-01-06").unwrap();
    sheet.write_number(4, 3, 1).unwrap();
    sheet.write_number(4, 4, 46024).unwrap();
    // A stray note far to the right is ignored.
    sheet.write_string(4, 300, "checked").unwrap();
    book.save(&path).unwrap();

    // Read without a database first.
    let rows: Vec<_> = Reader::open(&path, opts())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.issued_on).collect();
    assert_eq!(dates, [d("2024-03-05"), d("2025-12-31"), d("2026-01-02")]);
    assert_eq!(rows.iter().map(|r| r.level).collect::<Vec<_>>(), [3, 5, 1]);
    assert_eq!(rows[0].holder_id.as_deref(), Some("52010219900101123X"));
    assert_eq!(rows[1].holder_name, None);

    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &path, opts()).unwrap();
    assert_eq!((r.rows, r.added), (3, 3));
}

#[test]
fn xlsx_errors_use_the_sheet_row_numbers() {
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let c = code('E');
    let path = dir.path().join("bad.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in [
        "certificate_no",
        "credit_code",
        "occupation_code",
        "level",
        "issued_on",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    for r in 1..=3u32 {
        sheet.write_string(r, 0, no(r as usize)).unwrap();
        sheet.write_string(r, 1, &c).unwrap();
        sheet.write_string(r, 2, "4-10-01-06").unwrap();
        sheet
            .write_number(r, 3, if r == 3 { 6.0 } else { 2.0 })
            .unwrap();
        sheet.write_string(r, 4, "2024-03-05").unwrap();
    }
    book.save(&path).unwrap();
    let msg = refused(dir.path(), &path, opts());
    assert!(
        msg.contains("bad.xlsx: row 4: level: 6 is not a skill level (1 to 5)"),
        "{msg}"
    );
}

#[test]
fn other_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let xls = write(dir.path(), "old.xls", b"\xD0\xCF\x11\xE0");
    let msg = refused(dir.path(), &xls, opts());
    assert!(msg.contains("old.xls: an old-format spreadsheet"), "{msg}");

    let json = write(dir.path(), "a.json", b"{}");
    assert!(refused(dir.path(), &json, opts()).contains("give a .csv or .xlsx file"));

    let missing = dir.path().join("missing.csv");
    assert!(refused(dir.path(), &missing, opts()).contains("missing.csv: cannot read"));

    let empty = write(dir.path(), "empty.csv", b"");
    assert!(refused(dir.path(), &empty, opts()).contains("no header row"));

    let utf16 = write(dir.path(), "u16.csv", b"\xFF\xFEc\x00e\x00");
    assert!(refused(dir.path(), &utf16, opts()).contains("UTF-16"));

    // Sparse: no disk is used, only the size is looked at.
    let big = dir.path().join("big.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len((1 << 30) + 1)
        .unwrap();
    let msg = refused(dir.path(), &big, opts());
    assert!(
        msg.contains("big.csv: 1.0 GiB is more than the 1 GiB"),
        "{msg}"
    );

    let not_xlsx = write(dir.path(), "fake.xlsx", b"certificate_no\n");
    assert!(
        refused(dir.path(), &not_xlsx, opts()).contains("fake.xlsx: cannot read the spreadsheet")
    );
}

#[test]
fn recorded_counts_window_edges_and_other_institutions() {
    let dir = tempfile::tempdir().unwrap();
    let ours = code('F');
    let theirs = code('G');
    let line =
        |i: usize, code: &str, occ: &str, on: &str| format!("{},{code},{occ},4,{on},,", no(i));
    let rows = vec![
        line(1, &ours, "4-10-01-06", "2023-11-30"), // a day before: out
        line(2, &ours, "4-10-01-06", "2023-12-01"), // first day: in
        line(3, &ours, "4-10-01-06", "2024-06-01"),
        line(4, &ours, "6-28-01-14", "2025-01-01"),
        line(5, &ours, "4-10-01-06", "2026-11-30"), // last day: in
        line(6, &ours, "4-10-01-06", "2026-12-01"), // a day after: out
        line(7, &theirs, "4-10-01-06", "2024-06-01"), // another institution
        line(8, &theirs, "6-28-01-14", "2024-06-01"),
        line(3, &ours, "4-10-01-06", "2024-06-01"), // a duplicate: counted once
    ];
    let file = csv(dir.path(), "window.csv", &rows);
    let mut s = store(dir.path());
    import(&mut s, "tester", &file, opts()).unwrap();

    let counts = recorded_counts(&s.conn, &ours, d("2023-12-01"), d("2026-11-30"))
        .unwrap()
        .unwrap();
    assert_eq!(counts.total, 4);
    assert_eq!(counts.per_occupation.get("4-10-01-06"), Some(&3));
    assert_eq!(counts.per_occupation.get("6-28-01-14"), Some(&1));

    let theirs_counts = recorded_counts(&s.conn, &theirs, d("2023-12-01"), d("2026-11-30"))
        .unwrap()
        .unwrap();
    assert_eq!(theirs_counts.total, 2);
    assert!(
        recorded_counts(&s.conn, &code('H'), d("2023-12-01"), d("2026-11-30"))
            .unwrap()
            .is_none()
    );
}

/// The day counts that renewal statistics read must equal a count of the rows themselves,
/// whichever path an import took: row by row (a small file) or bulk (index dropped, numbers
/// checked in memory), with numbers repeated within a file and across files.
#[test]
fn day_counts_agree_with_the_rows_after_bulk_and_small_imports() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (code('6'), code('7'));
    let line = |i: usize, c: &str, day: u32, occ: &str| {
        format!(
            "{},{c},{occ},3,2024-03-{day:02},王芳,52010219900101123X",
            no(i)
        )
    };
    // Bulk: 60,000 rows over 2 institutions, 2 occupations and 28 days; every 100th row
    // repeats the number of the row before it.
    let rows: Vec<String> = (0..60_000)
        .map(|i| {
            let n = if i % 100 == 99 { i - 1 } else { i };
            let c = if i % 3 == 0 { &a } else { &b };
            let occ = if i % 2 == 0 {
                "4-10-01-06"
            } else {
                "4-10-01-05"
            };
            line(n, c, 1 + (i % 28) as u32, occ)
        })
        .collect();
    let big = csv(dir.path(), "big.csv", &rows);
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &big, opts()).unwrap();
    assert_eq!((r.rows, r.added, r.duplicates), (60_000, 59_400, 600));
    // Small: 5 rows, 2 of them already stored by the bulk import.
    let small = csv(
        dir.path(),
        "small.csv",
        &[
            line(0, &a, 1, "4-10-01-06"),
            line(59_998, &b, 1, "4-10-01-06"),
            line(70_000, &a, 1, "4-10-01-06"),
            line(70_001, &a, 1, "4-10-01-06"),
            line(70_002, &b, 28, "4-10-01-05"),
        ],
    );
    let r = import(&mut s, "tester", &small, opts()).unwrap();
    assert_eq!((r.added, r.duplicates), (3, 2));

    let mismatches = count(
        &s,
        "SELECT count(*) FROM (
           SELECT credit_code, issued_on, occupation_code, count(*) AS n FROM certificates
           GROUP BY 1, 2, 3
         ) AS rows
         FULL JOIN certificate_counts AS c USING (credit_code, issued_on, occupation_code)
         WHERE rows.n IS NOT c.n",
    );
    assert_eq!(mismatches, 0);
    assert_eq!(count(&s, "SELECT sum(n) FROM certificate_counts"), 59_403);
    // The unique index made again after the bulk load, and still refusing a repeat.
    let dup = s.conn.execute(
        "INSERT INTO certificates (certificate_no, credit_code, occupation_code, level,
           issued_on, import_id) SELECT certificate_no, credit_code, occupation_code, level,
           issued_on, import_id FROM certificates LIMIT 1",
        [],
    );
    assert!(dup.is_err(), "certificate numbers stay unique");
}

/// What offices' own systems export: other header names, dates written the Chinese way or
/// with dots, and the level as the certificate names it.
#[test]
fn office_headers_chinese_dates_and_levels_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let c = code('8');
    let text = format!(
        "\u{feff}证书号,机构统一社会信用代码,职业（工种）编码,技能等级,发证时间\n\
         {},{c},4-10-01-06,三级,2026年10月8日\n\
         {},{c},4-10-01-06,四级/中级工,2026.10.07\n\
         {},{c},4-10-01-06,5,2026/10/09\n",
        no(1),
        no(2),
        no(3)
    );
    let file = write(dir.path(), "office.csv", text);
    let mut s = store(dir.path());
    let r = import(&mut s, "tester", &file, opts()).unwrap();
    assert_eq!((r.rows, r.added), (3, 3));
    let got: Vec<(i64, String)> = s
        .conn
        .prepare("SELECT level, issued_on FROM certificates ORDER BY certificate_no")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        got,
        vec![
            (3, "2026-10-08".to_string()),
            (4, "2026-10-07".to_string()),
            (5, "2026-10-09".to_string())
        ]
    );
    // A grade that contradicts its level is refused, naming the row and the field.
    let bad = write(
        dir.path(),
        "bad.csv",
        format!(
            "证书编号,统一社会信用代码,职业编码,等级,发证日期\n{},{c},4-10-01-06,三级/技师,2026-10-08\n",
            no(9)
        ),
    );
    let msg = refused(dir.path(), &bad, opts());
    assert!(msg.contains("row 2: level"), "{msg}");
}
