//! Shared set-up for the exit, catalogue and document tests: a database with reviewers,
//! recognised institutions, imported cases and decisions taken through the review store.
#![allow(dead_code)]

use chrono::NaiveDate;
use pingshen::assets::Reference;
use pingshen::domain::application::{Category, Institution, LegalForm, Occupation};
use pingshen::domain::credit_code;
use pingshen::domain::evaluate::{evaluate, Context};
use pingshen::domain::validate::{parse_application, ValidateOptions};
use pingshen::store::exits::{self, Refs, SweepReport};
use pingshen::store::review::{self, Actor, Mark, Proposal};
use pingshen::store::{cases, institutions, reviewers, Store};
use serde_json::{json, Value};
use std::path::PathBuf;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// A valid credit code for the n-th test institution.
pub fn code(n: u32) -> String {
    credit_code::complete(&format!("52520102MA6E{n:04}")).expect("a code")
}

pub struct Db {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Store,
    pub reference: Reference,
    /// Provincial admin.
    pub tester: Actor,
    /// Provincial approver.
    pub boss: Actor,
}

fn add_reviewer(store: &Store, account: &str, role: &str, region: &str) -> Actor {
    let rv = reviewers::Reviewer {
        account: account.into(),
        role: role.into(),
        region: region.into(),
    };
    reviewers::upsert(&store.conn, "setup", &rv).expect("add reviewer");
    review::actor(&store.conn, account).expect("actor")
}

pub fn db() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("exits.db");
    let store = Store::open(&path).expect("open");
    let tester = add_reviewer(&store, "tester", "admin", "520000");
    let boss = add_reviewer(&store, "boss", "approver", "520000");
    Db {
        dir,
        path,
        store,
        reference: Reference::builtin().expect("reference"),
        tester,
        boss,
    }
}

impl Db {
    pub fn refs(&self) -> Refs<'_> {
        Refs {
            rules: &self.reference.rules,
            calendar: &self.reference.calendar,
            divisions: &self.reference.divisions,
        }
    }

    /// A recognised (active) institution with one occupation; returns its id.
    pub fn institution(&self, n: u32, region: &str, from: &str, to: &str) -> i64 {
        let inst = Institution {
            name: format!("贵阳测试{n}职业培训学校"),
            credit_code: code(n),
            category: Category::SocialOrg,
            legal_form: Some(LegalForm::PrivateNonEnterprise),
            region: region.into(),
            legal_representative: Some("张某".into()),
            enterprise_class: vec![],
            guizhou_featured: false,
            valid_from: Some(d(from)),
            valid_to: Some(d(to)),
        };
        let id = institutions::upsert(&self.store.conn, "setup", &inst, "active").expect("upsert");
        institutions::add_occupations(
            &self.store.conn,
            id,
            &[Occupation {
                code: "4-10-01-06".into(),
                name: "家政服务员".into(),
                levels: vec![5, 4, 3],
                new_occupation: false,
                training_volume: None,
                examiners: None,
                matching_major: None,
                certificates_declared: None,
            }],
        )
        .expect("occupations");
        id
    }

    /// Imports an application as `pingshen import applications` does; returns the case id.
    pub fn import(&mut self, v: &Value) -> i64 {
        let (app, flags) = parse_application(
            &v.to_string(),
            &self.reference.divisions,
            ValidateOptions::default(),
        )
        .unwrap_or_else(|e| panic!("test application: {e}"));
        let ev = evaluate(
            &app,
            &Context {
                rules: &self.reference.rules,
                calendar: &self.reference.calendar,
                recorded: None,
                flags: &flags,
            },
        )
        .expect("evaluates");
        let tx = self.store.conn.transaction().expect("tx");
        let id = cases::insert(&tx, "importer", &app, &ev, "new").expect("insert");
        tx.commit().expect("commit");
        id
    }

    pub fn sweep(&self, today: &str) -> SweepReport {
        exits::sweep(&self.store.conn, "tester", d(today), self.refs()).expect("sweep")
    }

    pub fn case_id(&self, case_no: &str) -> i64 {
        cases::id_by_case_no(&self.store.conn, case_no)
            .unwrap()
            .expect("case exists")
    }

    /// Resolves every item, proposes `decision` (tester) and approves it (boss), through the
    /// review store as the desk does.
    pub fn decide(&self, case_no: &str, decision: &str) {
        let d = review::case_detail(&self.store.conn, &self.tester, case_no).expect("detail");
        let mut v = d.version;
        for r in d.checklist.iter().filter(|r| !r.resolved()) {
            v = review::mark_item(
                &self.store.conn,
                &self.tester,
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
            &self.store.conn,
            &self.tester,
            d.id,
            v,
            &Proposal {
                decision: decision.into(),
                occupations: vec![],
                reasons: "经审查".into(),
            },
        )
        .expect("propose");
        review::approve(&self.store.conn, &self.boss, d.id, v, 3).expect("approve");
    }

    /// (status, exited_on) of the n-th test institution.
    pub fn institution_state(&self, n: u32) -> (String, Option<String>) {
        self.store
            .conn
            .query_row(
                "SELECT status, exited_on FROM institutions WHERE credit_code = ?1",
                [code(n)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("institution")
    }

    /// (action, before, after) of the audit entries of an entity, oldest first.
    pub fn audit(&self, entity: &str, id: &str) -> Vec<(String, Value, Value)> {
        pingshen::store::audit::for_entity(&self.store.conn, entity, id)
            .expect("audit")
            .into_iter()
            .map(|r| {
                let parse = |s: Option<String>| {
                    s.and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or(Value::Null)
                };
                (r.action, parse(r.before), parse(r.after))
            })
            .collect()
    }
}

/// An exit application (SPEC section 5) for the n-th test institution.
pub fn exit_app(case_no: &str, n: u32, exit: Value) -> Value {
    json!({
        "format": "pingshen.application/1",
        "case_no": case_no,
        "kind": "exit",
        "submitted_on": "2026-09-01",
        "institution": {
            "name": format!("贵阳测试{n}职业培训学校"),
            "credit_code": code(n),
            "category": "social_org",
            "legal_form": "private_non_enterprise",
            "region": "520102",
            "valid_from": "2024-01-01",
            "valid_to": "2026-12-31"
        },
        "occupations": [
            { "code": "4-10-01-06", "name": "家政服务员", "levels": [5, 4, 3] }
        ],
        "exit": exit
    })
}
