//! Shared helpers for the integration tests: a valid base application per case kind, and
//! shortcuts to evaluate one and read an item's result.
#![allow(dead_code)]

use pingshen::assets::Reference;
use pingshen::domain::evaluate::{evaluate, Context, Evaluation, ItemResult, RecordedCounts};
use pingshen::domain::validate::{parse_application, ValidateOptions};
use serde_json::{json, Value};

pub fn reference() -> Reference {
    Reference::builtin().expect("built-in data loads")
}

/// A social organisation's selection application that passes every auto item.
pub fn selection_social_org() -> Value {
    json!({
        "format": "pingshen.application/1",
        "case_no": "GZ-2026-S-0001",
        "kind": "selection",
        "submitted_on": "2026-03-02",
        "institution": {
            "name": "贵阳某某职业培训学校",
            "credit_code": "52520102MA6DK7Q11C",
            "category": "social_org",
            "legal_form": "private_non_enterprise",
            "region": "520102",
            "legal_representative": "张某",
            "enterprise_class": [],
            "guizhou_featured": false,
            "valid_from": null,
            "valid_to": null
        },
        "occupations": [
            { "code": "4-10-01-06", "name": "家政服务员", "levels": [5, 4, 3],
              "new_occupation": false, "training_volume": 1200, "examiners": 5,
              "matching_major": null, "certificates_declared": null }
        ],
        "facts": {
            "training_years": 3, "full_time_staff": 4, "quality_supervisors": 3, "experts": 6,
            "management_rules": ["exam_affairs", "personnel", "finance", "archives",
                                 "question_bank", "certificates", "discipline"],
            "premises": "leased", "lease_end": "2029-12-31", "office_area_m2": 120,
            "rooms": ["exam_affairs", "confidential", "archive", "waiting"],
            "standard_exam_rooms": 2, "computer_exam_seats": 0, "desk_spacing_cm": 80,
            "exam_video_surveillance": true, "practical_video_full_coverage": true
        },
        "exclusions": [],
        "materials": [],
        "exit": null
    })
}

pub fn second_occupation() -> Value {
    json!({ "code": "4-10-01-05", "name": "养老护理员", "levels": [5, 4],
            "new_occupation": false, "training_volume": 1500, "examiners": 4,
            "matching_major": null, "certificates_declared": null })
}

/// A renewal for a recognised institution of `category`, materials complete.
pub fn renewal(category: &str, declared: &[u32]) -> Value {
    let mut v = selection_social_org();
    v["kind"] = json!("renewal");
    v["case_no"] = json!("GZ-2026-R-0001");
    v["institution"]["category"] = json!(category);
    if category != "social_org" {
        v["institution"]["legal_form"] = Value::Null;
    }
    v["institution"]["valid_from"] = json!("2023-12-01");
    v["institution"]["valid_to"] = json!("2026-11-30");
    v["submitted_on"] = json!("2026-09-01");
    v["materials"] = json!(["M11.1", "M11.2", "M11.3", "M11.4", "M11.5"]);
    let codes = ["4-10-01-06", "4-10-01-05", "4-10-01-03"];
    v["occupations"] = Value::Array(
        declared
            .iter()
            .zip(codes)
            .map(|(d, c)| {
                json!({ "code": c, "name": "职业", "levels": [5, 4],
                        "certificates_declared": d })
            })
            .collect(),
    );
    v
}

pub fn exit(kind: &str) -> Value {
    let mut v = selection_social_org();
    v["kind"] = json!("exit");
    v["case_no"] = json!("GZ-2026-E-0001");
    v["institution"]["valid_from"] = json!("2023-10-01");
    v["institution"]["valid_to"] = json!("2026-09-30");
    v["exit"] = json!({ "kind": kind, "requested_on": null, "intended_end": null,
                        "trigger_on": null, "deadline": null });
    v
}

pub fn eval_with(
    v: &Value,
    reference: &Reference,
    recorded: Option<&RecordedCounts>,
) -> Evaluation {
    let (app, flags) = parse_application(
        &v.to_string(),
        &reference.divisions,
        ValidateOptions::default(),
    )
    .unwrap_or_else(|e| panic!("test application is valid: {e}"));
    let ctx = Context {
        rules: &reference.rules,
        calendar: &reference.calendar,
        recorded,
        flags: &flags,
    };
    evaluate(&app, &ctx).expect("evaluates")
}

pub fn eval(v: &Value) -> Evaluation {
    eval_with(v, &reference(), None)
}

/// The result of item `id` (for `occ`, or the institution-level one when `None`).
pub fn result(ev: &Evaluation, id: &str, occ: Option<&str>) -> ItemResult {
    find(ev, id, occ).result
}

pub fn detail(ev: &Evaluation, id: &str, occ: Option<&str>) -> String {
    find(ev, id, occ).detail.en.clone()
}

fn find<'a>(
    ev: &'a Evaluation,
    id: &str,
    occ: Option<&str>,
) -> &'a pingshen::domain::evaluate::ItemOutcome {
    ev.items
        .iter()
        .find(|i| i.id == id && i.occupation.as_deref() == occ)
        .unwrap_or_else(|| panic!("item {id} {occ:?} not in {:#?}", ev.items))
}

pub fn has_item(ev: &Evaluation, id: &str) -> bool {
    ev.items.iter().any(|i| i.id == id)
}

// ------------------------------------------------------------------------------ desk helpers
// For the tests that put several processes on one database (tests/proof.rs, concurrency.rs).

use pingshen::store::review::{self as review_store, Actor};
use pingshen::store::{cases, reviewers, Store};

/// A selection case `case_no` of the n-th institution (its own valid credit code), in 520102.
pub fn selection_case(case_no: &str, n: u32) -> Value {
    let mut v = selection_social_org();
    v["case_no"] = json!(case_no);
    v["institution"]["credit_code"] = json!(pingshen::domain::credit_code::complete(&format!(
        "52520102MA6D{n:04}"
    ))
    .expect("test credit code completes"));
    v
}

/// Stores an application as `import applications` does; returns the case id.
pub fn import_case(store: &mut Store, v: &Value) -> i64 {
    let reference = reference();
    let (app, _) = parse_application(
        &v.to_string(),
        &reference.divisions,
        ValidateOptions::default(),
    )
    .expect("test application is valid");
    let ev = eval_with(v, &reference, None);
    let tx = store.conn.transaction().expect("begin");
    let id = cases::insert(&tx, "importer", &app, &ev, "new").expect("insert case");
    tx.commit().expect("commit");
    id
}

pub fn add_reviewer(store: &Store, account: &str, role: &str, region: &str) -> Actor {
    let rv = reviewers::Reviewer {
        account: account.into(),
        role: role.into(),
        region: region.into(),
    };
    reviewers::upsert(&store.conn, "setup", &rv).expect("add reviewer");
    review_store::actor(&store.conn, account).expect("reviewer reads back")
}

/// Env var naming the worker a child process of a test binary runs (see `spawn_child`).
pub const CHILD_ENV: &str = "PINGSHEN_TEST_CHILD";

/// Starts this test binary again as a child that runs only the test `entry`, which looks at
/// `CHILD_ENV` and does the worker's job (in the parent run, it sees no variable and returns).
pub fn spawn_child(entry: &str, worker: &str, envs: &[(&str, String)]) -> std::process::Child {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args([entry, "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, worker)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child")
}

/// What follows "RESULT " in the child's output, after it exited successfully.
pub fn child_result(child: std::process::Child) -> String {
    let out = child.wait_with_output().expect("child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // libtest prints "test NAME ... " without a newline before the test's own output.
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no RESULT line in: {stdout}"))
        .to_string()
}

/// A small deterministic demo database (40 institutions), built once per test binary; copy
/// it before opening it.
pub fn demo_template(today: chrono::NaiveDate) -> &'static std::path::Path {
    use pingshen::commands::demo;
    use pingshen::store::Store;
    static TEMPLATE: std::sync::OnceLock<(tempfile::TempDir, std::path::PathBuf)> =
        std::sync::OnceLock::new();
    &TEMPLATE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("template.db");
            let mut store = Store::open(&path).unwrap();
            demo::run(
                &mut store,
                "tester",
                &reference(),
                demo::Options {
                    institutions: 40,
                    certificates: 5000,
                    seed: 2026,
                    today,
                },
            )
            .unwrap();
            // Fold the WAL into the main file so that copying the file copies everything.
            store
                .conn
                .pragma_update(None, "wal_checkpoint", "TRUNCATE")
                .unwrap();
            drop(store);
            (dir, path)
        })
        .1
}

/// The day the desk's tests are set on.
pub fn desk_today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

/// The review desk on `store`, opened by `account` on `desk_today()`.
pub fn desk(
    store: pingshen::store::Store,
    account: &str,
    lang: pingshen::commands::Lang,
    ascii: bool,
    no_color: bool,
    size: (u16, u16),
) -> pingshen::ui::app::App {
    let actor = pingshen::store::review::actor(&store.conn, account).unwrap();
    pingshen::ui::app::App::new(
        store,
        actor,
        reference(),
        pingshen::ui::app::Options {
            lang,
            ascii,
            no_color,
            today: desk_today(),
            period_years: 3,
            warning: None,
        },
        size,
    )
    .unwrap()
}

/// Starts `cmd` on a fresh pseudo-terminal of `size` (columns, rows), in its own session with
/// the pty as its controlling terminal, as sshd gives a login: the kernel then sends SIGHUP
/// when the line drops. Returns the child and the pty's master end, which only the test holds.
pub fn spawn_on_own_pty(
    mut cmd: std::process::Command,
    size: (u16, u16),
) -> (std::process::Child, std::fs::File) {
    let win = nix::pty::Winsize {
        ws_row: size.1,
        ws_col: size.0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&win), None).expect("a pty");
    // openpty's descriptors are inherited: the child must not hold its own master.
    nix::fcntl::fcntl(
        &pty.master,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .unwrap();
    let slave = std::fs::File::from(pty.slave);
    // SAFETY: only async-signal-safe calls (setsid, ioctl) between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            if nix::libc::setsid() < 0 || nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .env("TERM", "xterm-256color")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .expect("start on the pty");
    (child, std::fs::File::from(pty.master))
}
