//! The real binary: the evaluation contract of SPEC section 8, bad files refused with one line
//! naming file and field, all-or-nothing imports, overrides of the built-in rules.

mod common;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn write(&self, name: &str, v: &Value) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
        p
    }
    /// Runs pingshen with its home, config and data folders inside the temp dir.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pingshen"))
            .args(args)
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .unwrap()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn evaluate_json_is_the_contract() {
    let env = Env::new();
    let mut v = common::selection_social_org();
    v["occupations"][0]["training_volume"] = json!(850);
    let f = env.write("app.json", &v);
    let out = env.run(&["evaluate", s(&f), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = got
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "case_no",
            "outcome",
            "items",
            "granted_occupations",
            "deadlines"
        ]
    );
    assert_eq!(got["case_no"], "GZ-2026-S-0001");
    assert_eq!(got["outcome"], "ineligible");
    assert_eq!(got["granted_occupations"], json!([]));
    assert_eq!(got["deadlines"], json!([]));
    let a63 = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "A6.3")
        .unwrap();
    assert_eq!(
        a63,
        &json!({ "id": "A6.3", "occupation": "4-10-01-06", "result": "fail",
                 "detail": "training volume 850 < 1000" })
    );
    for item in got["items"].as_array().unwrap() {
        let k: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(
            k == ["id", "result", "detail"] || k == ["id", "occupation", "result", "detail"],
            "{k:?}"
        );
        assert!(["pass", "fail", "review", "n/a"].contains(&item["result"].as_str().unwrap()));
    }
}

#[test]
fn evaluate_exit_lists_deadlines() {
    let env = Env::new();
    let mut v = common::exit("automatic");
    v["exit"]["trigger_on"] = json!("2026-09-16");
    let f = env.write("exit.json", &v);
    let out = env.run(&["evaluate", "--json", s(&f)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        got["deadlines"],
        json!([{ "item": "E14", "due": "2026-10-08" }])
    );
}

#[test]
fn db_is_global_before_or_after_the_subcommand() {
    let env = Env::new();
    let f = env.write("r.json", &common::renewal("social_org", &[700]));
    let db = env.path("x.db");
    let a = env.run(&["--db", s(&db), "evaluate", s(&f), "--json"]);
    let b = env.run(&["evaluate", s(&f), "--json", "--db", s(&db)]);
    assert!(
        a.status.success() && b.status.success(),
        "{}{}",
        stderr(&a),
        stderr(&b)
    );
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn readable_table_in_chinese_and_english() {
    let env = Env::new();
    let f = env.write("app.json", &common::selection_social_org());
    let zh = env.run(&["evaluate", s(&f)]);
    assert!(zh.status.success());
    let t = stdout(&zh);
    assert!(
        t.contains("第六条（三）") && t.contains("结论：待评审") && t.contains("规则版本"),
        "{t}"
    );
    let en = env.run(&["evaluate", s(&f), "--lang", "en"]);
    let t = stdout(&en);
    assert!(
        t.contains("Outcome: needs_review") && t.contains("training volume 1200 >= 1000"),
        "{t}"
    );
}

/// Each bad file: exit non-zero, one line on stderr naming the file, the field and the problem.
#[test]
fn bad_files_are_refused_with_file_and_field() {
    let env = Env::new();
    let base = common::selection_social_org();
    type Patch = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Patch, &[&str])> = vec![
        (
            "unknown-field",
            Box::new(|v| v["institution"]["nickname"] = json!("x")),
            &["institution", "unknown field `nickname`"],
        ),
        (
            "unknown-top",
            Box::new(|v| v["extra"] = json!(1)),
            &["unknown field `extra`"],
        ),
        (
            "credit-check",
            Box::new(|v| v["institution"]["credit_code"] = json!("52520102MA6DK7Q11D")),
            &["institution.credit_code", "check character", "expected 'C'"],
        ),
        (
            "credit-org-check",
            Box::new(|v| v["institution"]["credit_code"] = json!("52520102MA6DK7Q21C")),
            &["institution.credit_code", "organisation-code"],
        ),
        (
            "credit-length",
            Box::new(|v| v["institution"]["credit_code"] = json!("5252010")),
            &["institution.credit_code", "18 characters"],
        ),
        (
            "region",
            Box::new(|v| v["institution"]["region"] = json!("110101")),
            &["institution.region", "110101"],
        ),
        (
            "region-unknown",
            Box::new(|v| v["institution"]["region"] = json!("520199")),
            &["institution.region"],
        ),
        (
            "date",
            Box::new(|v| v["submitted_on"] = json!("2026-02-30")),
            &["submitted_on"],
        ),
        (
            "lease-date",
            Box::new(|v| v["facts"]["lease_end"] = json!("2029-13-01")),
            &["facts.lease_end"],
        ),
        (
            "level",
            Box::new(|v| v["occupations"][0]["levels"] = json!([5, 6])),
            &["occupations[0].levels[1]", "1 to 5"],
        ),
        (
            "level-zero",
            Box::new(|v| v["occupations"][0]["levels"] = json!([0])),
            &["occupations[0].levels[0]"],
        ),
        (
            "occupation-code",
            Box::new(|v| v["occupations"][0]["code"] = json!("4-10-1-06")),
            &["occupations[0].code", "D-DD-DD-DD"],
        ),
        (
            "count-fraction",
            Box::new(|v| v["occupations"][0]["training_volume"] = json!(999.5)),
            &["occupations[0].training_volume"],
        ),
        (
            "count-negative",
            Box::new(|v| v["facts"]["full_time_staff"] = json!(-1)),
            &["facts.full_time_staff"],
        ),
        (
            "category",
            Box::new(|v| v["institution"]["category"] = json!("company")),
            &["institution.category", "company"],
        ),
        (
            "format",
            Box::new(|v| v["format"] = json!("pingshen.application/2")),
            &["format"],
        ),
        (
            "exit-missing",
            Box::new(|v| v["kind"] = json!("exit")),
            &["exit", "required"],
        ),
        (
            "exclusion-id",
            Box::new(|v| v["exclusions"] = json!(["A7.9"])),
            &["exclusions[0]", "A7.9"],
        ),
        (
            "no-occupations",
            Box::new(|v| v["occupations"] = json!([])),
            &["occupations", "empty"],
        ),
    ];
    for (name, patch, wants) in cases {
        let mut v = base.clone();
        patch(&mut v);
        let f = env.write(&format!("{name}.json"), &v);
        let out = env.run(&["evaluate", s(&f), "--json"]);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(out.stdout.is_empty(), "{name} printed a result");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: one line: {err}");
        assert!(
            err.contains(&format!("{name}.json")),
            "{name}: names the file: {err}"
        );
        for w in wants {
            assert!(err.contains(w), "{name}: wants '{w}' in: {err}");
        }
    }
}

#[test]
fn not_json_and_missing_file() {
    let env = Env::new();
    let p = env.path("broken.json");
    std::fs::write(&p, "{ \"format\": ").unwrap();
    let out = env.run(&["evaluate", s(&p), "--json"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("broken.json") && stderr(&out).contains("line 1"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["evaluate", s(&env.path("nope.json")), "--json"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nope.json"));
}

#[test]
fn legacy_credit_code_accepted_only_by_option_and_flagged() {
    let env = Env::new();
    let mut v = common::selection_social_org();
    v["institution"]["credit_code"] = json!("52520102MA6DK7Q11D");
    let f = env.write("legacy.json", &v);
    assert!(!env.run(&["evaluate", s(&f), "--json"]).status.success());
    let out = env.run(&[
        "evaluate",
        s(&f),
        "--json",
        "--accept-unverified-credit-code",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flag = got["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "credit_code")
        .unwrap();
    assert_eq!(flag["result"], "review");
    assert_eq!(got["outcome"], "needs_review");
}

#[test]
fn rules_override_by_flag_and_by_config_dir() {
    let env = Env::new();
    let f = env.write("app.json", &common::selection_social_org()); // volume 1200
    let higher = pingshen::assets::RULES.replace(
        "values = { \"2020-01-01\" = 1000 }",
        "values = { \"2020-01-01\" = 1300 }",
    );
    let rules = env.path("rules.toml");
    std::fs::write(&rules, &higher).unwrap();
    let a63 = |out: &Output| {
        let v: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(out)));
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "A6.3")
            .unwrap()["result"]
            .clone()
    };
    assert_eq!(a63(&env.run(&["evaluate", s(&f), "--json"])), "pass");
    assert_eq!(
        a63(&env.run(&["evaluate", s(&f), "--json", "--rules", s(&rules)])),
        "fail"
    );
    std::fs::create_dir_all(env.path("config/pingshen")).unwrap();
    std::fs::write(env.path("config/pingshen/rules.toml"), &higher).unwrap();
    assert_eq!(a63(&env.run(&["evaluate", s(&f), "--json"])), "fail");
    // A broken override is an error that names it, not a silent fallback.
    std::fs::write(env.path("config/pingshen/rules.toml"), "[rules]\nid = 1\n").unwrap();
    let out = env.run(&["evaluate", s(&f), "--json"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("rules.toml"), "{}", stderr(&out));
}

#[test]
fn import_applications_is_all_or_nothing() {
    let env = Env::new();
    let db = env.path("cases.db");
    let good = env.write("good.json", &common::selection_social_org());
    let mut bad = common::renewal("school", &[300]);
    bad["institution"]["region"] = json!("999999");
    let bad = env.write("bad.json", &bad);
    let out = env.run(&["--db", s(&db), "import", "applications", s(&good), s(&bad)]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bad.json") && stderr(&out).contains("institution.region"));
    let store = pingshen::store::Store::open(&db).unwrap();
    let n: i64 = store
        .conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0, "nothing written");

    let renewal = env.write("renewal.json", &common::renewal("school", &[300]));
    let out = env.run(&[
        "--db",
        s(&db),
        "import",
        "applications",
        s(&good),
        s(&renewal),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("GZ-2026-S-0001") && stdout(&out).contains("GZ-2026-R-0001"));
    let n: i64 = store
        .conn
        .query_row("SELECT count(*) FROM cases", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    let rules: String = store
        .conn
        .query_row("SELECT rules_version FROM cases LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rules, "gz-rsks-jgzl@2025.1");
    let audited: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'case.import'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
    let items: i64 = store
        .conn
        .query_row("SELECT count(*) FROM checklist", [], |r| r.get(0))
        .unwrap();
    assert!(items > 20);

    // The same case again is refused, and nothing else is written either.
    let out = env.run(&["--db", s(&db), "import", "applications", s(&good)]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already in the database"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn default_database_is_private_under_xdg_data() {
    let env = Env::new();
    let f = env.write("app.json", &common::selection_social_org());
    let out = env.run(&["import", "applications", s(&f)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = env.path("data/pingshen/pingshen.db");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(db.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}
