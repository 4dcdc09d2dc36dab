//! The rules file is data: a changed threshold changes the evaluation, a dated value applies
//! from its date, and a wrong key is refused with a message that names it.

mod common;
use common::*;
use pingshen::assets::{Reference, RULES};
use pingshen::domain::evaluate::ItemResult::*;
use pingshen::domain::RuleSet;
use serde_json::json;

fn with_rules(text: &str) -> Reference {
    let mut r = reference();
    r.rules = RuleSet::parse(text, "copy.toml").unwrap_or_else(|e| panic!("{e}"));
    r
}

#[test]
fn raising_a_threshold_in_a_copy_changes_the_result() {
    let mut v = selection_social_org();
    v["occupations"][0]["training_volume"] = json!(1100);
    assert_eq!(result(&eval(&v), "A6.3", Some("4-10-01-06")), Pass);

    let copy = RULES.replace(
        "[parameters.social_org_min_training_volume]",
        "[parameters.social_org_min_training_volume_old]",
    );
    // The copy keeps the old block under another name and adds the new one.
    let copy = copy.replace(
        "[parameters.exempt_min_training_volume]",
        "[parameters.social_org_min_training_volume]\nreference = \"第六条（三）\"\ndescription_zh = \"x\"\ndescription_en = \"x\"\nunit = \"person-times\"\nvalues = { \"2020-01-01\" = 1200 }\n\n[parameters.exempt_min_training_volume]",
    );
    let r = with_rules(&copy);
    let ev = eval_with(&v, &r, None);
    assert_eq!(result(&ev, "A6.3", Some("4-10-01-06")), Fail);
    assert_eq!(
        detail(&ev, "A6.3", Some("4-10-01-06")),
        "training volume 1100 < 1200"
    );
}

#[test]
fn a_dated_value_applies_from_its_date() {
    let copy = RULES.replace(
        "values = { \"2020-01-01\" = 1000 }",
        "values = { \"2020-01-01\" = 1000, \"2026-07-01\" = 1200 }",
    );
    assert_ne!(copy, RULES, "the threshold line is in the rules file");
    let r = with_rules(&copy);
    let mut v = selection_social_org();
    v["occupations"][0]["training_volume"] = json!(1100);
    v["submitted_on"] = json!("2026-06-30");
    v["facts"]["lease_end"] = json!("2030-12-31");
    assert_eq!(
        result(&eval_with(&v, &r, None), "A6.3", Some("4-10-01-06")),
        Pass
    );
    v["submitted_on"] = json!("2026-07-01");
    assert_eq!(
        result(&eval_with(&v, &r, None), "A6.3", Some("4-10-01-06")),
        Fail
    );
}

#[test]
fn evaluation_records_the_rules_version() {
    let ev = eval(&selection_social_org());
    assert_eq!(ev.rules_version, "gz-rsks-jgzl@2025.1");
    let r = with_rules(&RULES.replace("version = \"2025.1\"", "version = \"2027.1\""));
    assert_eq!(
        eval_with(&selection_social_org(), &r, None).rules_version,
        "gz-rsks-jgzl@2027.1"
    );
}

#[test]
fn unknown_key_is_refused_by_name() {
    let bad = RULES.replace(
        "scope = \"occupation\"\nparameters",
        "scope = \"occupation\"\nthreshold = 3\nparameters",
    );
    assert_ne!(bad, RULES);
    let e = RuleSet::parse(&bad, "copy.toml").unwrap_err();
    assert!(
        e.contains("copy.toml") && e.contains("unknown field `threshold`"),
        "{e}"
    );
}

#[test]
fn an_auto_item_without_a_computation_is_refused() {
    let bad = format!("{RULES}\n[[item]]\nid = \"A6.9\"\ncite = \"第六条（九）\"\nkinds = [\"selection\"]\ncategories = [\"social_org\"]\ncheck = \"auto\"\nscope = \"institution\"\nzh = \"x\"\nen = \"x\"\n");
    let e = RuleSet::parse(&bad, "copy.toml").unwrap_err();
    assert!(e.contains("A6.9") && e.contains("judge"), "{e}");
    // The same item as a judge item is fine: judged items need no code.
    let ok = bad.replace(
        "check = \"auto\"\nscope = \"institution\"\nzh = \"x\"",
        "check = \"judge\"\nscope = \"institution\"\nzh = \"x\"",
    );
    let r = with_rules(&ok);
    let ev = eval_with(&selection_social_org(), &r, None);
    assert_eq!(result(&ev, "A6.9", None), Review);
}

#[test]
fn a_missing_parameter_is_refused() {
    let bad = RULES.replace(
        "[parameters.min_full_time_staff]",
        "[parameters.min_full_time_staff_x]",
    );
    let e = RuleSet::parse(&bad, "copy.toml").unwrap_err();
    assert!(e.contains("min_full_time_staff"), "{e}");
}

#[test]
fn every_item_of_spec_section_3_is_in_the_rules() {
    let r = reference();
    for id in [
        "A4.1", "A4.2", "A4.3", "A4.4", "A4.5", "A5.1", "A5.2", "A5.3", "A6.1", "A6.2", "A6.3",
        "A6.4", "A6.5", "A6.6", "A6.7a", "A6.7b", "A6.7c", "A6.7d", "A6.7e", "A6.7f", "A6.7g",
        "A7.1", "A7.2", "A7.3", "A7.4", "A7.5", "A7.6", "R8.1", "R8.2", "R8.3", "R9.1", "R9.2",
        "R10.1", "R10.2", "R10.3", "M11.1", "M11.2", "M11.3", "M11.4", "M11.5", "R12", "E13",
        "E14", "E15", "E16.1", "E16.2", "E16.3",
    ] {
        let item = r.rules.item(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(
            !item.zh.is_empty() && !item.en.is_empty() && item.article().is_some(),
            "{id}"
        );
    }
}
