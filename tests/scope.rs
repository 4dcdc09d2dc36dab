//! Region scope and the two-person rule against direct attempts: the real binary, on a real
//! SQLite file, runs every headless command as each kind of account — not a reviewer, a
//! county reviewer, a provincial approver, the provincial admin. A refusal exits non-zero
//! with one line that says why and writes nothing (the audit log's head and every table's
//! count are the same after); an allowed command shows only rows of the account's region.
//! The account is the test's own OS account: its row in `reviewers` is changed between the
//! runs, since pingshen takes the account from the OS and nothing else.

mod common;
mod exit_support;

use exit_support::{code, db, exit_app, Db};
use pingshen::store::review::{self, Mark, Proposal};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_pingshen");

fn me() -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::current())
        .expect("look up the test's account")
        .expect("the test's account has a name")
        .name
}

/// Makes the test's account not a reviewer (`None`) or a reviewer with (role, region).
/// Straight into the table: the set-up is not what is under test.
fn be(t: &Db, who: Option<(&str, &str)>) {
    let conn = &t.store.conn;
    match who {
        None => conn
            .execute("DELETE FROM reviewers WHERE account = ?1", [me()])
            .map(drop)
            .expect("remove the account"),
        Some((role, region)) => conn
            .execute(
                "INSERT INTO reviewers (account, role, region, created_at)
                 VALUES (?1, ?2, ?3, '2026-01-01T00:00:00Z')
                 ON CONFLICT (account) DO UPDATE SET role = ?2, region = ?3",
                [me().as_str(), role, region],
            )
            .map(drop)
            .expect("set the account"),
    }
}

fn run(db: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["--lang", "en"])
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .output()
        .expect("run pingshen")
}

/// What a write would change: the audit log's head, and the rows of every table that holds
/// the record, with the cases' versions and statuses and the institutions' statuses.
fn fingerprint(db: &Path) -> Value {
    let conn = rusqlite::Connection::open(db).expect("open");
    let mut out = serde_json::Map::new();
    for table in [
        "audit_log",
        "cases",
        "checklist",
        "deadlines",
        "exits",
        "exit_steps",
        "institutions",
        "institution_occupations",
        "certificates",
        "reviewers",
    ] {
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .expect("count");
        out.insert(table.into(), json!(n));
    }
    let head: Option<String> = conn
        .query_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("audit head");
    out.insert("audit_head".into(), json!(head));
    let cases: String = conn
        .query_row(
            "SELECT coalesce(group_concat(case_no || ':' || status || ':' || version, ' '), '')
             FROM (SELECT * FROM cases ORDER BY case_no)",
            [],
            |r| r.get(0),
        )
        .expect("cases");
    out.insert("case_states".into(), json!(cases));
    let insts: String = conn
        .query_row(
            "SELECT coalesce(group_concat(credit_code || ':' || status, ' '), '')
             FROM (SELECT * FROM institutions ORDER BY credit_code)",
            [],
            |r| r.get(0),
        )
        .expect("institutions");
    out.insert("institution_states".into(), json!(insts));
    Value::Object(out)
}

struct Office {
    t: Db,
    home: tempfile::TempDir,
}

impl Office {
    fn db(&self) -> PathBuf {
        self.t.path.clone()
    }
    fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }
    fn run(&self, args: &[&str]) -> Output {
        run(&self.db(), self.home.path(), args)
    }
    /// The command succeeds; its standard output.
    fn allowed(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?} should be allowed: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
    /// The command fails with one line on stderr containing every one of `why`, prints
    /// nothing on stdout, and the database is as it was.
    fn refused(&self, args: &[&str], why: &[&str]) -> String {
        let before = fingerprint(&self.db());
        let o = self.run(args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            !o.status.success(),
            "{args:?} should be refused: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(o.stdout.is_empty(), "{args:?} printed on refusal");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: one line: {err}"
        );
        for w in why {
            assert!(err.contains(w), "{args:?}: {w:?} not in: {err}");
        }
        assert_eq!(
            fingerprint(&self.db()),
            before,
            "{args:?} was refused but wrote"
        );
        err
    }
    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.allowed(args)).expect("JSON output")
    }
    fn write(&self, name: &str, v: &Value) -> String {
        let p = self.path(name);
        std::fs::write(&p, v.to_string()).expect("write");
        p.to_str().expect("utf-8 path").to_string()
    }
}

/// Two counties of two prefectures: 南明区 (520102, Guiyang) and 红花岗区 (520302, Zunyi).
/// In each, a period that lapsed on 2026-09-16 (institutions 1 and 3: the sweep's) and an
/// ordered exit under way (GZ-2026-E-0001 of institution 2, GZ-2026-E-0002 of institution 4).
/// Reviewers tester (provincial admin), boss (provincial approver); the test's own account
/// is set by `be`.
fn office() -> Office {
    let mut t = db();
    t.institution(1, "520102", "2023-09-17", "2026-09-16");
    t.institution(2, "520102", "2024-01-01", "2026-12-31");
    t.institution(3, "520302", "2023-09-17", "2026-09-16");
    t.institution(4, "520302", "2024-01-01", "2026-12-31");
    let ordered = json!({ "kind": "ordered", "requested_on": "2026-09-01" });
    t.import(&exit_app("GZ-2026-E-0001", 2, ordered.clone()));
    let mut zunyi = exit_app("GZ-2026-E-0002", 4, ordered);
    zunyi["institution"]["region"] = json!("520302");
    t.import(&zunyi);
    // The office's wrap-up deadline (E15): an ordered exit has none until it is set.
    for case in ["GZ-2026-E-0001", "GZ-2026-E-0002"] {
        pingshen::store::exits::set_order(
            &t.store.conn,
            &t.tester,
            case,
            None,
            Some(exit_support::d("2026-12-31")),
        )
        .expect("order");
    }
    Office {
        t,
        home: tempfile::tempdir().expect("tempdir"),
    }
}

fn regions_of(rows: &Value, key: &str) -> Vec<String> {
    rows[key]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["region"].as_str().expect("region").to_string())
        .collect()
}

/// An application of the test set-up's kind, in `region`.
fn selection(case_no: &str, region: &str) -> Value {
    let mut v = common::selection_social_org();
    v["case_no"] = json!(case_no);
    v["institution"]["region"] = json!(region);
    if region != "520102" {
        v["institution"]["credit_code"] = json!(code(90));
    }
    v
}

const CERTS: &str = "certificate_no,credit_code,occupation_code,level,issued_on\n";

fn certificates(o: &Office) -> String {
    let csv = format!(
        "{CERTS}Y000000000000000000001,{},4-10-01-06,4,2026-03-01\n",
        code(2)
    );
    let p = o.path("certs.csv");
    std::fs::write(&p, csv).expect("write");
    p.to_str().expect("utf-8 path").to_string()
}

#[test]
fn an_account_that_is_not_a_reviewer_reaches_nothing_but_public_commands() {
    let o = office();
    be(&o.t, None);
    let app = o.write("app.json", &selection("GZ-2026-S-0101", "520102"));
    let certs = certificates(&o);
    let notice = o.path("notice.md");
    let backup = o.path("backup.db");
    let me = me();
    let not_reviewer = format!("account '{me}' is not a pingshen reviewer");
    for args in [
        vec!["import", "applications", &app],
        vec!["import", "certificates", &certs],
        vec!["stats", "renewal", "--as-of", "2026-11-28"],
        vec!["sweep", "--as-of", "2026-11-28"],
        vec![
            "exit",
            "step",
            "GZ-2026-E-0001",
            "certificates_reported",
            "--date",
            "2026-09-20",
        ],
        vec!["exit", "show", "GZ-2026-E-0001"],
        vec!["exit", "order", "GZ-2026-E-0001", "--violations", "伪造"],
        vec!["deadlines", "--as-of", "2026-11-28"],
        vec![
            "notice",
            "GZ-2026-E-0001",
            "--out",
            notice.to_str().expect("path"),
        ],
        vec!["backup", backup.to_str().expect("path")],
        vec!["demo"],
    ] {
        o.refused(&args, &[&not_reviewer]);
    }
    o.refused(
        &[
            "reviewer", "add", &me, "--role", "admin", "--region", "520000",
        ],
        &["only an admin can add reviewers", "not a pingshen reviewer"],
    );
    assert!(!notice.exists() && !backup.exists(), "no file written");

    // What is public, or shows no case data, stays open.
    let ev = o.json(&["evaluate", &app, "--json"]);
    assert_eq!(ev["case_no"], "GZ-2026-S-0101");
    let cat = o.allowed(&["catalogue", "--as-of", "2026-09-01"]);
    assert!(cat.contains(&code(1)) && cat.contains(&code(3)), "{cat}");
    let audit = o.allowed(&["audit", "verify"]);
    assert!(audit.contains("hash chain intact"), "{audit}");
}

#[test]
fn a_county_reviewer_sees_and_acts_on_their_county_only() {
    let o = office();
    be(&o.t, Some(("reviewer", "520102")));
    let region = "your region 520102";

    // Deadlines: their county by default; another county, or the prefecture, refused.
    let d = o.json(&["deadlines", "--as-of", "2026-11-28", "--json"]);
    let regions = regions_of(&d, "deadlines");
    assert!(!regions.is_empty(), "{d}");
    assert!(regions.iter().all(|r| r == "520102"), "{regions:?}");
    let text = o.allowed(&["deadlines", "--as-of", "2026-11-28"]);
    assert!(text.contains("GZ-2026-E-0001") && !text.contains("GZ-2026-E-0002"));
    for other in ["520302", "520100", "520000"] {
        o.refused(
            &["deadlines", "--region", other, "--as-of", "2026-11-28"],
            &[&format!("--region {other} is outside {region}")],
        );
    }

    // Statistics likewise.
    let s = o.json(&["stats", "renewal", "--json", "--as-of", "2026-11-28"]);
    let regions = regions_of(&s, "institutions");
    assert_eq!(regions.len(), 2, "{s}");
    assert!(regions.iter().all(|r| r == "520102"), "{regions:?}");
    o.refused(
        &[
            "stats",
            "renewal",
            "--region",
            "520302",
            "--as-of",
            "2026-11-28",
        ],
        &["--region 520302 is outside", region],
    );

    // Another county's case: refused by name, with the account's region; nothing written,
    // no file made.
    let out = o.path("zunyi.md");
    let out_s = out.to_str().expect("path");
    for args in [
        vec![
            "exit",
            "step",
            "GZ-2026-E-0002",
            "certificates_reported",
            "--date",
            "2026-09-20",
        ],
        vec!["exit", "show", "GZ-2026-E-0002"],
        vec![
            "exit",
            "order",
            "GZ-2026-E-0002",
            "--deadline",
            "2026-12-31",
        ],
        vec!["notice", "GZ-2026-E-0002", "--out", out_s],
    ] {
        o.refused(&args, &["case GZ-2026-E-0002 not found in", region]);
    }
    assert!(!out.exists());

    // Their own county's case: allowed.
    o.allowed(&[
        "exit",
        "order",
        "GZ-2026-E-0001",
        "--violations",
        "伪造考核记录",
        "--deadline",
        "2026-12-31",
    ]);
    let show = o.allowed(&["exit", "show", "GZ-2026-E-0001"]);
    assert!(show.contains("伪造考核记录"), "{show}");
    let mine = o.path("announcement.md");
    o.allowed(&[
        "notice",
        "GZ-2026-E-0001",
        "--announcement",
        "--out",
        mine.to_str().expect("path"),
        "--number",
        "黔人社公告〔2026〕5号",
        "--date",
        "2026-11-20",
    ]);
    assert!(mine.exists());

    // The sweep opens the lapsed period of their county, not Zunyi's.
    let sweep = o.json(&["sweep", "--as-of", "2026-11-28", "--json"]);
    let opened: Vec<&str> = sweep["opened"]
        .as_array()
        .expect("opened")
        .iter()
        .map(|x| x["credit_code"].as_str().expect("code"))
        .collect();
    assert_eq!(opened, [code(1)], "{sweep}");
    assert_eq!(o.t.institution_state(3).0, "active");
    // Its wrap-up goes on record.
    let case = sweep["opened"][0]["case_no"].as_str().expect("case_no");
    let step = o.allowed(&[
        "exit",
        "step",
        case,
        "certificates_reported",
        "--date",
        "2026-09-20",
    ]);
    assert!(step.contains("recorded"), "{step}");

    // Imports: an application of another county refused whole, naming the file; their own
    // taken. Certificates (every region's records) are the province's.
    let theirs = o.write("zunyi.json", &selection("GZ-2026-S-0102", "520302"));
    let own = o.write("own.json", &selection("GZ-2026-S-0101", "520102"));
    o.refused(
        &["import", "applications", &own, &theirs],
        &["zunyi.json", "520302 is outside", region],
    );
    o.allowed(&["import", "applications", &own]);
    o.refused(
        &["import", "certificates", &certificates(&o)],
        &[
            "import certificates is for reviewers of the province",
            "520102",
        ],
    );

    // What only a provincial admin may do.
    let backup = o.path("backup.db");
    o.refused(
        &["backup", backup.to_str().expect("path")],
        &["backup is for an admin of the province"],
    );
    assert!(!backup.exists());
    o.refused(
        &[
            "reviewer", "add", "li", "--role", "reviewer", "--region", "520102",
        ],
        &["only an admin can add reviewers"],
    );

    // A county admin adds reviewers of their county only.
    be(&o.t, Some(("admin", "520102")));
    o.refused(
        &[
            "reviewer", "add", "li", "--role", "reviewer", "--region", "520302",
        ],
        &["outside your region 520102"],
    );
    o.allowed(&[
        "reviewer", "add", "li", "--role", "reviewer", "--region", "520102",
    ]);
}

#[test]
fn a_prefecture_reviewer_covers_its_counties() {
    let o = office();
    be(&o.t, Some(("reviewer", "520300")));
    let d = o.json(&["deadlines", "--as-of", "2026-11-28", "--json"]);
    let regions = regions_of(&d, "deadlines");
    assert!(!regions.is_empty() && regions.iter().all(|r| r == "520302"));
    // A county of the prefecture narrows; a county of another widens, and is refused.
    o.json(&[
        "deadlines",
        "--region",
        "520302",
        "--json",
        "--as-of",
        "2026-11-28",
    ]);
    o.refused(
        &["deadlines", "--region", "520102", "--as-of", "2026-11-28"],
        &["outside your region 520300"],
    );
    o.allowed(&["exit", "show", "GZ-2026-E-0002"]);
    o.refused(
        &["exit", "show", "GZ-2026-E-0001"],
        &["case GZ-2026-E-0001 not found in your region 520300"],
    );
}

#[test]
fn a_provincial_approver_and_the_provincial_admin() {
    let o = office();
    be(&o.t, Some(("approver", "520000")));
    let d = o.json(&["deadlines", "--as-of", "2026-11-28", "--json"]);
    let mut regions = regions_of(&d, "deadlines");
    regions.sort();
    regions.dedup();
    assert_eq!(regions, ["520102", "520302"]);
    let sweep = o.json(&["sweep", "--as-of", "2026-11-28", "--json"]);
    let opened = sweep["opened"].as_array().expect("opened");
    assert_eq!(opened.len(), 2, "{sweep}");
    // Steps in both prefectures.
    for x in opened {
        o.allowed(&[
            "exit",
            "step",
            x["case_no"].as_str().expect("case_no"),
            "certificates_reported",
            "--date",
            "2026-09-20",
        ]);
    }
    o.allowed(&["import", "certificates", &certificates(&o)]);
    let backup = o.path("backup.db");
    o.refused(
        &["backup", backup.to_str().expect("path")],
        &[
            "backup is for an admin of the province",
            "is a approver of 520000",
        ],
    );
    o.refused(
        &[
            "reviewer", "add", "li", "--role", "reviewer", "--region", "520102",
        ],
        &["only an admin can add reviewers"],
    );

    be(&o.t, Some(("admin", "520000")));
    o.allowed(&["backup", backup.to_str().expect("path")]);
    assert!(backup.exists());
    o.allowed(&[
        "reviewer", "add", "li", "--role", "reviewer", "--region", "520302",
    ]);
    let s = o.json(&["stats", "renewal", "--json", "--as-of", "2026-11-28"]);
    assert_eq!(regions_of(&s, "institutions").len(), 4);
}

/// The demo makes its runner a provincial admin: on an office's database that has its
/// reviewers but no cases yet, nobody else may run it.
#[test]
fn the_demo_on_a_database_with_reviewers_needs_a_provincial_admin() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("office.db");
    {
        let store = pingshen::store::Store::open(&db).expect("open");
        for (account, role, region) in [
            ("tester", "admin", "520000"),
            (me().as_str(), "reviewer", "520102"),
        ] {
            pingshen::store::reviewers::upsert(
                &store.conn,
                "setup",
                &pingshen::store::reviewers::Reviewer {
                    account: account.into(),
                    role: role.into(),
                    region: region.into(),
                },
            )
            .expect("reviewer");
        }
    }
    let before = fingerprint(&db);
    let o = run(&db, home.path(), &["demo", "--certificates", "0"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("demo is for an admin of the province"),
        "{err}"
    );
    assert_eq!(fingerprint(&db), before);
}

/// The two-person rule: the reviewer who proposed cannot approve, through the store the desk
/// uses, nor by writing the row directly with SQL (the trigger), nor by recording the steps
/// that follow a decision on the command line.
#[test]
fn the_two_person_rule_holds_against_direct_attempts() {
    let o = office();
    be(&o.t, Some(("admin", "520000")));
    let t = &o.t;
    let actor = review::actor(&t.store.conn, &me()).expect("actor");
    let d = review::case_detail(&t.store.conn, &actor, "GZ-2026-E-0001").expect("detail");
    let mut v = d.version;
    for r in d.checklist.iter().filter(|r| !r.resolved()) {
        v = review::mark_item(
            &t.store.conn,
            &actor,
            d.id,
            v,
            &r.item_id,
            r.occupation.as_deref(),
            Some(Mark::Pass),
            None,
        )
        .expect("mark");
    }
    let v = review::propose(
        &t.store.conn,
        &actor,
        d.id,
        v,
        &Proposal {
            decision: "approve".into(),
            occupations: vec![],
            reasons: "经审查".into(),
        },
    )
    .expect("propose");
    let before = fingerprint(&o.db());

    // The store: refused, as Forbidden.
    let e = review::approve(&t.store.conn, &actor, d.id, v, 3).expect_err("same person");
    assert!(
        matches!(
            e.downcast_ref::<review::ReviewError>(),
            Some(review::ReviewError::Forbidden(m)) if m.contains("two-person rule")
        ),
        "{e:#}"
    );
    assert_eq!(fingerprint(&o.db()), before);

    // Raw SQL on a connection of its own, as the sqlite3 tool would: the trigger refuses.
    let raw = rusqlite::Connection::open(o.db()).expect("open");
    let e = raw
        .execute(
            "UPDATE cases SET status = 'decided', decision = proposal, decided_by = proposed_by,
                    decided_at = '2026-11-28T00:00:00Z'
             WHERE case_no = 'GZ-2026-E-0001'",
            [],
        )
        .expect_err("the trigger refuses");
    assert!(e.to_string().contains("two-person rule"), "{e}");
    let e = raw
        .execute(
            "INSERT INTO cases (case_no, kind, institution_id, region, submitted_on, status,
                    outcome, application, rules_version, proposed_by, decided_by, created_at,
                    updated_at)
             SELECT 'GZ-2026-E-0999', kind, institution_id, region, submitted_on, 'decided',
                    outcome, application, rules_version, 'x', 'x', created_at, updated_at
             FROM cases WHERE case_no = 'GZ-2026-E-0001'",
            [],
        )
        .expect_err("the trigger refuses a decided row too");
    assert!(e.to_string().contains("two-person rule"), "{e}");
    // Nor by leaving out who decided (migration 007).
    let e = raw
        .execute(
            "UPDATE cases SET status = 'decided', decision = proposal
             WHERE case_no = 'GZ-2026-E-0001'",
            [],
        )
        .expect_err("a decision without a second reviewer is refused");
    assert!(e.to_string().contains("two-person rule"), "{e}");
    drop(raw);
    assert_eq!(fingerprint(&o.db()), before);

    // The command line has no approve; the art. 15/16 steps wait for the approval, so the
    // proposer cannot carry the exit out alone either.
    let announce = [
        "exit",
        "step",
        "GZ-2026-E-0001",
        "announced",
        "--date",
        "2026-11-20",
        "--number",
        "黔人社公告〔2026〕9号",
    ];
    o.refused(
        &announce,
        &["step announced is the office's", "not yet decided"],
    );

    // Another approver approves; only then does the announcement go on record.
    review::approve(&t.store.conn, &t.boss, d.id, v, 3).expect("a second person approves");
    o.allowed(&announce);
    // The wrap-up is for the county office too; the art. 16 steps are the province's.
    be(&o.t, Some(("reviewer", "520102")));
    for (step, day) in [
        ("certificates_reported", "2026-11-21"),
        ("files_archived", "2026-11-22"),
    ] {
        o.allowed(&["exit", "step", "GZ-2026-E-0001", step, "--date", day]);
    }
    let notice = [
        "exit",
        "step",
        "GZ-2026-E-0001",
        "termination_notice",
        "--date",
        "2026-11-25",
        "--number",
        "黔人社终〔2026〕1号",
    ];
    o.refused(&notice, &["province's", "GZ-2026-E-0001"]);
    be(&o.t, Some(("admin", "520000")));
    o.allowed(&notice);
}
