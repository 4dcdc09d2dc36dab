//! Every auto item of SPEC section 3 on both sides of its boundary (不少于 / 以上 include the
//! number), missing figures, partial grants, exclusions and outcomes.

mod common;
use common::*;
use pingshen::domain::evaluate::{ItemResult::*, Outcome, RecordedCounts};
use serde_json::{json, Value};

const OCC: Option<&str> = Some("4-10-01-06");

fn with(mut v: Value, f: impl FnOnce(&mut Value)) -> Value {
    f(&mut v);
    v
}

#[test]
fn base_application_passes_every_auto_item() {
    let ev = eval(&selection_social_org());
    for i in &ev.items {
        assert_ne!(i.result, Fail, "{} failed: {}", i.id, i.detail.en);
    }
    assert_eq!(ev.outcome, Outcome::NeedsReview);
    assert_eq!(ev.granted_occupations, vec!["4-10-01-06"]);
}

#[test]
fn a6_3_training_volume_999_fails_1000_passes() {
    let v = |n: u32| {
        with(selection_social_org(), |v| {
            v["occupations"][0]["training_volume"] = json!(n)
        })
    };
    let ev = eval(&v(999));
    assert_eq!(result(&ev, "A6.3", OCC), Fail);
    assert_eq!(detail(&ev, "A6.3", OCC), "training volume 999 < 1000");
    assert_eq!(ev.outcome, Outcome::Ineligible, "its only occupation fails");
    assert!(ev.granted_occupations.is_empty());
    assert_eq!(result(&eval(&v(1000)), "A6.3", OCC), Pass);
}

#[test]
fn a6_3_training_years_1_fails_2_passes() {
    let v = |n: u32| {
        with(selection_social_org(), |v| {
            v["facts"]["training_years"] = json!(n)
        })
    };
    assert_eq!(result(&eval(&v(1)), "A6.3", OCC), Fail);
    assert_eq!(result(&eval(&v(2)), "A6.3", OCC), Pass);
}

#[test]
fn a6_3_new_occupation_needs_200_and_no_years() {
    let v = |n: u32| {
        with(selection_social_org(), |v| {
            v["occupations"][0]["new_occupation"] = json!(true);
            v["occupations"][0]["training_volume"] = json!(n);
            v["facts"]["training_years"] = json!(0);
        })
    };
    assert_eq!(result(&eval(&v(199)), "A6.3", OCC), Fail);
    assert_eq!(result(&eval(&v(200)), "A6.3", OCC), Pass);
}

#[test]
fn a6_3_guizhou_featured_needs_200_and_no_years() {
    let v = |n: u32| {
        with(selection_social_org(), |v| {
            v["institution"]["guizhou_featured"] = json!(true);
            v["occupations"][0]["training_volume"] = json!(n);
            v["facts"]["training_years"] = Value::Null;
        })
    };
    assert_eq!(result(&eval(&v(199)), "A6.3", OCC), Fail);
    assert_eq!(result(&eval(&v(200)), "A6.3", OCC), Pass);
}

#[test]
fn a6_4_all_seven_rules_needed() {
    let ev = eval(&with(selection_social_org(), |v| {
        v["facts"]["management_rules"] = json!([
            "exam_affairs",
            "personnel",
            "finance",
            "archives",
            "question_bank",
            "certificates"
        ]);
    }));
    assert_eq!(result(&ev, "A6.4", None), Fail);
    assert!(detail(&ev, "A6.4", None).contains("discipline"));
    // All seven present: the quality of the rules is still the reviewer's to judge.
    assert_eq!(result(&eval(&selection_social_org()), "A6.4", None), Review);
}

#[test]
fn a6_5_full_time_staff_2_fails_3_passes() {
    let v = |n: u32| {
        with(selection_social_org(), |v| {
            v["facts"]["full_time_staff"] = json!(n)
        })
    };
    assert_eq!(result(&eval(&v(2)), "A6.5", None), Fail);
    assert_eq!(result(&eval(&v(3)), "A6.5", None), Pass);
}

#[test]
fn a6_6_supervisors_and_examiners_per_occupation() {
    let v = |s: u32| {
        with(selection_social_org(), |v| {
            v["facts"]["quality_supervisors"] = json!(s)
        })
    };
    assert_eq!(result(&eval(&v(2)), "A6.6", None), Fail);
    assert_eq!(result(&eval(&v(3)), "A6.6", None), Pass);
    let e = |n: u32| {
        with(selection_social_org(), |v| {
            v["occupations"][0]["examiners"] = json!(n)
        })
    };
    assert_eq!(result(&eval(&e(3)), "A6.6", OCC), Fail);
    assert_eq!(result(&eval(&e(4)), "A6.6", OCC), Pass);
}

#[test]
fn a6_7a_lease_one_day_short_fails() {
    // Submitted 2026-03-02: the lease must run to 2029-03-02 at least.
    let v = |d: &str| {
        with(selection_social_org(), |v| {
            v["facts"]["lease_end"] = json!(d)
        })
    };
    let ev = eval(&v("2029-03-01"));
    assert_eq!(result(&ev, "A6.7a", None), Fail);
    assert!(detail(&ev, "A6.7a", None).contains("2029-03-01 < 2029-03-02"));
    assert_eq!(result(&eval(&v("2029-03-02")), "A6.7a", None), Pass);
    let owned = with(selection_social_org(), |v| {
        v["facts"]["premises"] = json!("owned");
        v["facts"]["lease_end"] = Value::Null;
    });
    assert_eq!(result(&eval(&owned), "A6.7a", None), Pass);
    let no_end = with(selection_social_org(), |v| {
        v["facts"]["lease_end"] = Value::Null
    });
    assert_eq!(result(&eval(&no_end), "A6.7a", None), Review);
}

#[test]
fn a6_7b_office_area_99_5_fails_100_is_for_review() {
    let v = |a: f64| {
        with(selection_social_org(), |v| {
            v["facts"]["office_area_m2"] = json!(a)
        })
    };
    let ev = eval(&v(99.5));
    assert_eq!(result(&ev, "A6.7b", None), Fail);
    assert_eq!(detail(&ev, "A6.7b", None), "office area m2 99.5 < 100");
    // The area passes; the equipment is the reviewer's to judge.
    assert_eq!(result(&eval(&v(100.0)), "A6.7b", None), Review);
}

#[test]
fn a6_7c_four_rooms_needed() {
    let ev = eval(&with(selection_social_org(), |v| {
        v["facts"]["rooms"] = json!(["exam_affairs", "confidential", "archive"]);
    }));
    assert_eq!(result(&ev, "A6.7c", None), Fail);
    assert!(detail(&ev, "A6.7c", None).contains("waiting"));
}

#[test]
fn a6_7d_two_rooms_or_sixty_seats() {
    let v = |rooms: Value, seats: Value| {
        with(selection_social_org(), |v| {
            v["facts"]["standard_exam_rooms"] = rooms;
            v["facts"]["computer_exam_seats"] = seats;
        })
    };
    assert_eq!(result(&eval(&v(json!(1), json!(59))), "A6.7d", None), Fail);
    assert_eq!(result(&eval(&v(json!(1), json!(60))), "A6.7d", None), Pass);
    assert_eq!(result(&eval(&v(json!(2), json!(0))), "A6.7d", None), Pass);
    assert_eq!(
        result(&eval(&v(Value::Null, json!(59))), "A6.7d", None),
        Review
    );
}

#[test]
fn a6_7e_desks_79_fail_80_pass_and_video_needed() {
    let v = |cm: f64| {
        with(selection_social_org(), |v| {
            v["facts"]["desk_spacing_cm"] = json!(cm)
        })
    };
    assert_eq!(result(&eval(&v(79.0)), "A6.7e", None), Fail);
    assert_eq!(result(&eval(&v(79.9)), "A6.7e", None), Fail);
    assert_eq!(result(&eval(&v(80.0)), "A6.7e", None), Pass);
    let no_video = with(selection_social_org(), |v| {
        v["facts"]["exam_video_surveillance"] = json!(false)
    });
    assert_eq!(result(&eval(&no_video), "A6.7e", None), Fail);
}

#[test]
fn a6_7f_practical_video_coverage() {
    let v = with(selection_social_org(), |v| {
        v["facts"]["practical_video_full_coverage"] = json!(false)
    });
    assert_eq!(result(&eval(&v), "A6.7f", None), Fail);
}

#[test]
fn missing_figures_are_review_never_pass() {
    let v = with(selection_social_org(), |v| {
        v["facts"] = json!({});
        v["occupations"][0]["training_volume"] = Value::Null;
        v["occupations"][0]["examiners"] = Value::Null;
    });
    let ev = eval(&v);
    for id in [
        "A6.4", "A6.5", "A6.6", "A6.7a", "A6.7b", "A6.7c", "A6.7d", "A6.7e", "A6.7f",
    ] {
        assert_eq!(result(&ev, id, None), Review, "{id}");
    }
    assert_eq!(result(&ev, "A6.3", OCC), Review);
    assert_eq!(result(&ev, "A6.6", OCC), Review);
    assert_eq!(ev.outcome, Outcome::NeedsReview);
}

#[test]
fn partial_grant_when_one_occupation_fails() {
    let v = with(selection_social_org(), |v| {
        v["occupations"][0]["training_volume"] = json!(999);
        v["occupations"]
            .as_array_mut()
            .unwrap()
            .push(second_occupation());
    });
    let ev = eval(&v);
    assert_eq!(result(&ev, "A6.3", OCC), Fail);
    assert_eq!(result(&ev, "A6.3", Some("4-10-01-05")), Pass);
    assert_eq!(ev.outcome, Outcome::NeedsReview);
    assert_eq!(ev.granted_occupations, vec!["4-10-01-05"]);
}

#[test]
fn institution_item_failing_makes_ineligible() {
    let v = with(selection_social_org(), |v| {
        v["facts"]["full_time_staff"] = json!(2)
    });
    let ev = eval(&v);
    assert_eq!(ev.outcome, Outcome::Ineligible);
    assert!(ev.granted_occupations.is_empty());
}

#[test]
fn each_exclusion_makes_excluded() {
    for (id, legal_form) in [
        ("A7.1", "private_non_enterprise"),
        ("A7.2", "private_non_enterprise"),
        ("A7.3", "private_non_enterprise"),
        ("A7.4", "social_group"),
        ("A7.5", "enterprise"),
        ("A7.6", "private_non_enterprise"),
    ] {
        let v = with(selection_social_org(), |v| {
            v["institution"]["legal_form"] = json!(legal_form);
            v["exclusions"] = json!([id]);
        });
        let ev = eval(&v);
        assert_eq!(result(&ev, id, None), Fail, "{id}");
        assert_eq!(ev.outcome, Outcome::Excluded, "{id}");
        assert!(ev.granted_occupations.is_empty());
    }
}

#[test]
fn a7_1_from_category_and_legal_form() {
    let v = |lf: &str| {
        with(selection_social_org(), |v| {
            v["institution"]["legal_form"] = json!(lf)
        })
    };
    let gov = eval(&v("government_body"));
    assert_eq!(result(&gov, "A7.1", None), Fail);
    assert_eq!(gov.outcome, Outcome::Excluded);
    assert_eq!(
        result(&eval(&v("public_institution")), "A7.1", None),
        Review
    );
    assert_eq!(result(&eval(&v("social_group")), "A7.1", None), Review);
    assert_eq!(result(&eval(&v("enterprise")), "A7.1", None), Pass);
    let none = with(selection_social_org(), |v| {
        v["institution"]["legal_form"] = Value::Null
    });
    assert_eq!(result(&eval(&none), "A7.1", None), Review);
    // Only a social organisation can fall under art. 7(1).
    let employer = with(selection_social_org(), |v| {
        v["institution"]["category"] = json!("employer");
        v["institution"]["legal_form"] = json!("government_body");
        v["institution"]["enterprise_class"] = json!(["above_scale"]);
    });
    assert!(!has_item(&eval(&employer), "A7.1"));
}

#[test]
fn a7_3_to_a7_5_follow_legal_form() {
    let pne = eval(&selection_social_org());
    assert!(has_item(&pne, "A7.3") && has_item(&pne, "A7.4") && !has_item(&pne, "A7.5"));
    let ent = eval(&with(selection_social_org(), |v| {
        v["institution"]["legal_form"] = json!("enterprise")
    }));
    assert!(!has_item(&ent, "A7.3") && has_item(&ent, "A7.5"));
}

#[test]
fn a4_1_employer_needs_an_enterprise_class() {
    let v = |classes: Value| {
        with(selection_social_org(), |v| {
            v["institution"]["category"] = json!("employer");
            v["institution"]["legal_form"] = Value::Null;
            v["institution"]["enterprise_class"] = classes;
        })
    };
    let none = eval(&v(json!([])));
    assert_eq!(result(&none, "A4.1", None), Fail);
    assert_eq!(none.outcome, Outcome::Ineligible);
    let some = eval(&v(json!(["chain_leader"])));
    assert_eq!(result(&some, "A4.1", None), Review);
    assert_eq!(result(&some, "A4.3", OCC), Review);
    assert!(!has_item(&some, "A6.3"));
}

#[test]
fn a5_2_school_needs_three_rooms() {
    let v = |rooms: Value| {
        with(selection_social_org(), |v| {
            v["institution"]["category"] = json!("school");
            v["institution"]["legal_form"] = Value::Null;
            v["facts"]["rooms"] = rooms;
            v["occupations"][0]["matching_major"] = json!("家政服务与管理");
        })
    };
    let missing = eval(&v(json!(["exam_affairs", "archive"])));
    assert_eq!(result(&missing, "A5.2", None), Fail);
    assert!(detail(&missing, "A5.2", None).contains("confidential"));
    let ok = eval(&v(json!(["exam_affairs", "archive", "confidential"])));
    assert_eq!(result(&ok, "A5.2", None), Review);
    assert!(detail(&ok, "A5.1", OCC).contains("家政服务与管理"));
}

// ---------------------------------------------------------------- renewal

#[test]
fn r8_2_employer_149_fails_150_passes() {
    assert_eq!(
        result(&eval(&renewal("employer", &[149])), "R8.2", None),
        Fail
    );
    assert_eq!(
        result(&eval(&renewal("employer", &[100, 50])), "R8.2", None),
        Pass
    );
    assert!(has_item(&eval(&renewal("employer", &[150])), "M11.4"));
}

#[test]
fn r9_2_school_299_fails_300_passes() {
    assert_eq!(
        result(&eval(&renewal("school", &[299])), "R9.2", None),
        Fail
    );
    assert_eq!(
        result(&eval(&renewal("school", &[300])), "R9.2", None),
        Pass
    );
    assert!(!has_item(&eval(&renewal("school", &[300])), "M11.4"));
}

#[test]
fn r10_2_social_org_599_fails_600_passes_in_total() {
    let low = eval(&renewal("social_org", &[300, 299]));
    assert_eq!(result(&low, "R10.2", None), Fail);
    assert_eq!(low.outcome, Outcome::Ineligible);
    let ok = eval(&renewal("social_org", &[300, 300]));
    assert_eq!(result(&ok, "R10.2", None), Pass);
}

#[test]
fn r10_2_per_occupation_99_not_granted_100_granted() {
    let ev = eval(&renewal("social_org", &[600, 99, 100]));
    assert_eq!(result(&ev, "R10.2", None), Pass);
    assert_eq!(result(&ev, "R10.2", Some("4-10-01-05")), Fail);
    assert_eq!(result(&ev, "R10.2", Some("4-10-01-03")), Pass);
    assert_eq!(ev.outcome, Outcome::NeedsReview);
    assert_eq!(ev.granted_occupations, vec!["4-10-01-06", "4-10-01-03"]);
}

#[test]
fn renewal_counts_missing_are_review() {
    let mut v = renewal("social_org", &[600]);
    v["occupations"][0]["certificates_declared"] = Value::Null;
    let ev = eval(&v);
    assert_eq!(result(&ev, "R10.2", None), Review);
    assert_eq!(result(&ev, "R10.2", OCC), Review);
}

#[test]
fn recorded_counts_win_and_a_difference_flags_r12() {
    let reference = reference();
    let recorded = RecordedCounts {
        from: chrono::NaiveDate::from_ymd_opt(2023, 12, 1),
        to: chrono::NaiveDate::from_ymd_opt(2026, 11, 30),
        total: 599,
        per_occupation: [("4-10-01-06".to_string(), 599)].into_iter().collect(),
    };
    let ev = eval_with(&renewal("social_org", &[620]), &reference, Some(&recorded));
    assert_eq!(result(&ev, "R10.2", None), Fail, "the records say 599");
    assert_eq!(result(&ev, "R12", None), Review);
    assert!(
        detail(&ev, "R12", None).contains("declared 620, recorded 599 (-21)"),
        "{}",
        detail(&ev, "R12", None)
    );
    let same = eval_with(&renewal("social_org", &[599]), &reference, Some(&recorded));
    assert!(detail(&same, "R12", None).contains("match"));
}

#[test]
fn materials_missing_fail_m11_5_is_review() {
    let mut v = renewal("employer", &[200]);
    v["materials"] = json!(["M11.2", "M11.3", "M11.4"]);
    let ev = eval(&v);
    assert_eq!(result(&ev, "M11.1", None), Fail);
    assert_eq!(result(&ev, "M11.5", None), Review);
    assert_eq!(result(&ev, "M11.2", None), Pass);
    assert_eq!(ev.outcome, Outcome::Ineligible);
}

#[test]
fn selection_items_do_not_apply_to_renewal() {
    let ev = eval(&renewal("social_org", &[700]));
    assert!(!has_item(&ev, "A6.3") && !has_item(&ev, "A7.2"));
    assert!(has_item(&ev, "R10.1") && has_item(&ev, "R10.3") && has_item(&ev, "R12"));
}

// ---------------------------------------------------------------- exit

#[test]
fn e13_notice_29_days_fails_30_passes() {
    let v = |req: &str| {
        let mut v = exit("voluntary");
        v["exit"]["requested_on"] = json!(req);
        v["exit"]["intended_end"] = json!("2026-07-31");
        v
    };
    let short = eval(&v("2026-07-02"));
    assert_eq!(result(&short, "E13", None), Fail);
    assert_eq!(short.outcome, Outcome::Ineligible);
    let ok = eval(&v("2026-07-01"));
    assert_eq!(result(&ok, "E13", None), Pass);
    assert_eq!(ok.deadlines[0].item, "E13");
    assert_eq!(ok.deadlines[0].due.to_string(), "2026-07-31");
    assert!(ok.granted_occupations.is_empty());
    assert!(!has_item(&ok, "E14") && has_item(&ok, "E16.1") && has_item(&ok, "E16.3"));
}

#[test]
fn e14_from_trigger_or_valid_to() {
    // valid_to 2026-09-30 + 15 = 2026-10-15, a Thursday.
    let ev = eval(&exit("automatic"));
    assert_eq!(ev.deadlines.len(), 1);
    assert_eq!(ev.deadlines[0].item, "E14");
    assert_eq!(ev.deadlines[0].due.to_string(), "2026-10-15");
    // A refusal on 2026-09-16: +15 = 2026-10-01, National Day; the next workday is 10-08.
    let mut v = exit("automatic");
    v["exit"]["trigger_on"] = json!("2026-09-16");
    let ev = eval(&v);
    assert_eq!(ev.deadlines[0].due.to_string(), "2026-10-08");
    assert_eq!(ev.outcome, Outcome::NeedsReview);
}

#[test]
fn e14_in_a_year_the_calendar_lacks_says_so() {
    let mut v = exit("automatic");
    v["exit"]["trigger_on"] = json!("2027-01-20");
    let ev = eval(&v);
    assert_eq!(ev.deadlines[0].due.to_string(), "2027-02-04");
    assert!(detail(&ev, "E14", None).contains("calendar has no 2027"));
}

#[test]
fn e15_uses_the_office_deadline_as_given() {
    let mut v = exit("ordered");
    v["exit"]["deadline"] = json!("2026-10-03");
    let ev = eval(&v);
    assert_eq!(ev.deadlines[0].item, "E15");
    assert_eq!(ev.deadlines[0].due.to_string(), "2026-10-03");
    let unset = eval(&exit("ordered"));
    assert_eq!(result(&unset, "E15", None), Review);
    assert!(unset.deadlines.is_empty());
}
