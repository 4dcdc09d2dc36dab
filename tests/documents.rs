//! The real binary on exits: `sweep` twice, `exit step` out of order, `exit show`,
//! `deadlines`, `notice` (a generated .docx opened again and its text read from
//! word/document.xml), the public announcement, a template override, and `catalogue --export`.

mod exit_support;
use exit_support::{code, d, db, exit_app};
use pingshen::domain::exit::Step;
use pingshen::store::exits::{self, StepInput};
use serde_json::{json, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::current())
        .unwrap()
        .expect("the test's account has a name")
        .name
}

/// A database with an imported ordered exit (GZ-2026-E-0001, institution 2), an institution
/// whose period ended 2026-09-16 (institution 1: the sweep makes its exit GZ-2026-E-0002),
/// and the test's own account as a provincial admin.
fn setup() -> (exit_support::Db, PathBuf) {
    let mut t = db();
    pingshen::store::reviewers::upsert(
        &t.store.conn,
        "setup",
        &pingshen::store::reviewers::Reviewer {
            account: me(),
            role: "admin".into(),
            region: "520000".into(),
        },
    )
    .unwrap();
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    t.import(&exit_app(
        "GZ-2026-E-0001",
        2,
        json!({ "kind": "ordered", "requested_on": "2026-09-01" }),
    ));
    let path = t.path.clone();
    (t, path)
}

fn run(db: &Path, config: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env("HOME", config)
        .env("XDG_CONFIG_HOME", config.join("config"))
        .env("XDG_DATA_HOME", config.join("data"))
        .env("NO_COLOR", "1")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The text of a .docx: every <w:t> run, paragraphs on their own lines.
fn docx_text(path: &Path) -> (String, String) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let re = regex::Regex::new(r"<w:t[^>]*>([^<]*)</w:t>|</w:p>").unwrap();
    let mut text = String::new();
    for c in re.captures_iter(&xml) {
        match c.get(1) {
            Some(t) => text.push_str(t.as_str()),
            None => text.push('\n'),
        }
    }
    (text, xml)
}

#[test]
fn sweep_twice_then_steps_and_deadlines_on_the_command_line() {
    let (t, db) = setup();
    let home = t.dir.path();
    let out = ok(&run(&db, home, &["sweep", "--as-of", "2026-11-28"]));
    assert!(out.contains("新建 1 件退出案件"), "{out}");
    assert!(out.contains("GZ-2026-E-0002"), "{out}");
    assert!(out.contains(&code(1)), "{out}");
    assert!(out.contains("收尾截止 2026-10-08"), "{out}");
    let out = ok(&run(&db, home, &["sweep", "--as-of", "2026-11-28"]));
    assert!(out.contains("无需处理"), "{out}");
    let out = ok(&run(
        &db,
        home,
        &["--lang", "en", "sweep", "--as-of", "2026-11-28"],
    ));
    assert!(out.contains("nothing to do"), "{out}");

    // Out of order: refused in Chinese, nothing written.
    let e = err(&run(
        &db,
        home,
        &[
            "exit",
            "step",
            "GZ-2026-E-0002",
            "files_archived",
            "--date",
            "2026-10-05",
        ],
    ));
    assert!(e.contains("须先记录“证书数据上报”"), "{e}");
    let e = err(&run(
        &db,
        home,
        &[
            "--lang",
            "en",
            "exit",
            "step",
            "GZ-2026-E-0002",
            "files_archived",
            "--date",
            "2026-10-05",
        ],
    ));
    assert!(e.contains("before certificates_reported"), "{e}");
    let out = ok(&run(
        &db,
        home,
        &[
            "exit",
            "step",
            "GZ-2026-E-0002",
            "certificates_reported",
            "--date",
            "2026-10-05",
        ],
    ));
    assert!(out.contains("已记录“证书数据上报”（2026-10-05）"), "{out}");
    assert!(out.contains("下一步：评价资料归档"), "{out}");
    // An unknown step is refused by the parser, with the list.
    let e = err(&run(
        &db,
        home,
        &[
            "exit",
            "step",
            "GZ-2026-E-0002",
            "archive",
            "--date",
            "2026-10-05",
        ],
    ));
    assert!(e.contains("files_archived"), "{e}");

    // Deadlines as of 10-05 (Monday, in National Day): E14 due Thursday 10-08, 3 days, 1
    // working day (10-06 and 10-07 are holidays): due this week.
    let out = ok(&run(&db, home, &["deadlines", "--as-of", "2026-10-05"]));
    assert!(out.contains("GZ-2026-E-0002"), "{out}");
    assert!(out.contains("本周到期"), "{out}");
    let json: Value = serde_json::from_str(&ok(&run(
        &db,
        home,
        &["deadlines", "--json", "--as-of", "2026-10-05"],
    )))
    .unwrap();
    let row = &json["deadlines"][0];
    assert_eq!(row["case_no"], "GZ-2026-E-0002");
    assert_eq!(row["item"], "E14");
    assert_eq!(row["status"]["due"], "2026-10-08");
    assert_eq!(row["status"]["calendar_days_left"], 3);
    assert_eq!(row["status"]["working_days_left"], 1);
    assert_eq!(row["status"]["due_this_week"], true);
    // Overdue later on: marked in words (NO_COLOR, so no colour at all).
    let out = ok(&run(&db, home, &["deadlines", "--as-of", "2026-10-12"]));
    assert!(out.contains("逾期 4 日"), "{out}");
    assert!(!out.contains('\u{1b}'), "no escape codes with NO_COLOR");
    let out = ok(&run(
        &db,
        home,
        &["--lang", "en", "deadlines", "--as-of", "2026-10-12"],
    ));
    assert!(out.contains("OVERDUE 4 d"), "{out}");

    // The exit as a whole.
    let out = ok(&run(
        &db,
        home,
        &["exit", "show", "GZ-2026-E-0002", "--as-of", "2026-10-05"],
    ));
    assert!(out.contains("自动终止退出（第十四条）"), "{out}");
    assert!(out.contains("[x] 证书数据上报"), "{out}");
    assert!(out.contains("评价资料归档 第十四条  ← 下一步"), "{out}");
}

#[test]
fn notice_docx_opened_again_and_read() {
    let (t, db) = setup();
    let home = t.dir.path().to_path_buf();
    let case_no = t.sweep("2026-11-28").opened[0].case_no.clone();
    for (s, on) in [
        (Step::CertificatesReported, "2026-10-05"),
        (Step::FilesArchived, "2026-10-07"),
    ] {
        exits::record_step(
            &t.store.conn,
            &t.tester,
            &case_no,
            None,
            StepInput {
                step: s,
                on: d(on),
                number: None,
                note: None,
            },
            d("2026-11-28"),
        )
        .unwrap();
    }
    t.decide(&case_no, "approve");

    // Before the notice is recorded, its number and date must be given.
    let out_docx = home.join("通知书.docx");
    let e = err(&run(
        &db,
        &home,
        &["notice", &case_no, "--out", out_docx.to_str().unwrap()],
    ));
    assert!(e.contains("--number"), "{e}");
    let number = "黔人社评终〔2026〕12号";
    let out = ok(&run(
        &db,
        &home,
        &[
            "notice",
            &case_no,
            "--out",
            out_docx.to_str().unwrap(),
            "--number",
            number,
            "--date",
            "2026-10-20",
        ],
    ));
    assert!(out.contains("已生成终止评价活动通知书"), "{out}");
    assert!(
        out.contains("pingshen exit step"),
        "the hint to record it: {out}"
    );
    let (text, xml) = docx_text(&out_docx);
    for want in [
        "终止评价活动通知书",
        number,
        "贵阳测试1职业培训学校",
        &code(1),
        "第十四条",
        "2026年9月16日届满",
        "自2026年9月17日起",
        "家政服务员（4-10-01-06）五级/初级工、四级/中级工、三级/高级工",
        "2026年10月5日完成证书数据上报",
        "贵州省人力资源和社会保障厅",
        "2026年10月20日",
    ] {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
    assert!(!text.contains('{'), "a placeholder was left: {text}");
    assert!(!text.contains("<!--"), "the comment was kept: {text}");
    // The title is its own paragraph, centred and bold; the signature is right-aligned.
    assert_eq!(text.lines().next(), Some("终止评价活动通知书"));
    let title_at = xml.find("终止评价活动通知书").unwrap();
    let para = &xml[xml[..title_at].rfind("<w:p ").unwrap()..title_at];
    assert!(para.contains(r#"<w:jc w:val="center" />"#), "{para}");
    assert!(para.contains("<w:b />"), "{para}");
    assert!(xml.contains(r#"<w:jc w:val="right" />"#));

    // Markdown, with the step now recorded: the recorded number is used.
    exits::record_step(
        &t.store.conn,
        &t.tester,
        &case_no,
        None,
        StepInput {
            step: Step::TerminationNotice,
            on: d("2026-10-20"),
            number: Some(number),
            note: None,
        },
        d("2026-11-28"),
    )
    .unwrap();
    let md = home.join("notice.md");
    let out = ok(&run(
        &db,
        &home,
        &["notice", &case_no, "--out", md.to_str().unwrap()],
    ));
    assert!(!out.contains("pingshen exit step"), "{out}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.starts_with("# 终止评价活动通知书\n\n## 黔人社评终〔2026〕12号\n"),
        "{text}"
    );
    // A different number contradicts the record.
    let e = err(&run(
        &db,
        &home,
        &[
            "notice",
            &case_no,
            "--out",
            md.to_str().unwrap(),
            "--number",
            "黔人社评终〔2026〕13号",
        ],
    ));
    assert!(e.contains("不符"), "{e}");
    // Other extensions are refused.
    let e = err(&run(
        &db,
        &home,
        &[
            "notice",
            &case_no,
            "--out",
            home.join("n.pdf").to_str().unwrap(),
        ],
    ));
    assert!(e.contains(".docx"), "{e}");
    // The announcement is for ordered exits only.
    let e = err(&run(
        &db,
        &home,
        &[
            "notice",
            &case_no,
            "--announcement",
            "--out",
            md.to_str().unwrap(),
            "--number",
            "x",
            "--date",
            "2026-10-20",
        ],
    ));
    assert!(e.contains("第十五条"), "{e}");
}

#[test]
fn public_announcement_of_an_ordered_exit() {
    let (t, db) = setup();
    let home = t.dir.path().to_path_buf();
    let out = home.join("公告.docx");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "notice",
            "GZ-2026-E-0001",
            "--announcement",
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let a = args(&["--number", "黔人社公告〔2026〕5号", "--date", "2026-11-20"]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    // The violations first.
    let e = err(&run(&db, &home, &a));
    assert!(e.contains("exit order"), "{e}");
    ok(&run(
        &db,
        &home,
        &[
            "exit",
            "order",
            "GZ-2026-E-0001",
            "--violations",
            "伪造考核记录，违规发放证书",
            "--deadline",
            "2026-12-31",
        ],
    ));
    let o = ok(&run(&db, &home, &a));
    assert!(o.contains("草稿"), "not yet decided: a draft: {o}");
    let (text, _) = docx_text(&out);
    for want in [
        "关于责令贵阳测试2职业培训学校终止职业技能等级认定评价活动的公告",
        "黔人社公告〔2026〕5号",
        "第十五条",
        "伪造考核记录，违规发放证书",
        "2026年12月31日前完成收尾工作",
        "2026年11月20日",
    ] {
        assert!(text.contains(want), "{want} not in:\n{text}");
    }
}

#[test]
fn an_office_template_overrides_the_builtin_one() {
    let (t, db) = setup();
    let home = t.dir.path().to_path_buf();
    t.sweep("2026-11-28");
    let dir = home.join("config").join("pingshen").join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("termination-notice.zh.md"),
        "# 通知\n\n{institution} {article} {notice_number}\n",
    )
    .unwrap();
    let md = home.join("n.md");
    let args = [
        "notice",
        "GZ-2026-E-0002",
        "--out",
        md.to_str().unwrap(),
        "--number",
        "N1",
        "--date",
        "2026-10-20",
    ];
    ok(&run(&db, &home, &args));
    assert_eq!(
        std::fs::read_to_string(&md).unwrap(),
        "# 通知\n\n贵阳测试1职业培训学校 第十四条 N1\n"
    );
    // A typo in the office's template is an error naming the file and the placeholder.
    std::fs::write(
        dir.join("termination-notice.zh.md"),
        "# 通知\n{institutoin}\n",
    )
    .unwrap();
    let e = err(&run(&db, &home, &args));
    assert!(
        e.contains("termination-notice.zh.md") && e.contains("{institutoin}"),
        "{e}"
    );
}

#[test]
fn catalogue_on_the_command_line() {
    let (t, db) = setup();
    let home = t.dir.path().to_path_buf();
    t.institution(3, "520302", "2025-01-01", "2027-12-31");
    let out = ok(&run(&db, &home, &["catalogue", "--as-of", "2026-09-16"]));
    assert!(out.contains("3 家机构"), "{out}");
    assert!(out.contains("遵义市红花岗区"), "{out}");
    t.sweep("2026-11-28");
    let out = ok(&run(&db, &home, &["catalogue", "--as-of", "2026-09-17"]));
    assert!(out.contains("2 家机构"), "{out}");
    assert!(!out.contains(&code(1)), "{out}");
    let csv = home.join("目录.csv");
    let out = ok(&run(
        &db,
        &home,
        &[
            "catalogue",
            "--as-of",
            "2026-09-16",
            "--export",
            csv.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("已导出"), "{out}");
    let bytes = std::fs::read(&csv).unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbf"));
    assert!(String::from_utf8(bytes).unwrap().contains(&code(1)));
    let xlsx = home.join("目录.xlsx");
    ok(&run(
        &db,
        &home,
        &[
            "catalogue",
            "--as-of",
            "2026-09-17",
            "--export",
            xlsx.to_str().unwrap(),
        ],
    ));
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let range = wb.worksheet_range("评价机构目录").unwrap();
    assert_eq!(
        range.height(),
        3,
        "a header and two institutions with one occupation each"
    );
    let e = err(&run(
        &db,
        &home,
        &[
            "catalogue",
            "--export",
            home.join("x.txt").to_str().unwrap(),
        ],
    ));
    assert!(e.contains(".xlsx"), "{e}");
}
