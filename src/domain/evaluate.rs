//! Evaluation of an application against the rules in force on its `submitted_on` date
//! (SPEC sections 3 and 4). Pure: the caller hands in the rules, the calendar and, for
//! renewals, the certificate counts it found in the records.

use super::application::{Application, CaseKind, Exclusion, Occupation, Premises, Room};
use super::calendar::Calendar;
use super::rules::{Check, Item, RuleSet, Scope};
use super::validate::Flags;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemResult {
    #[serde(rename = "pass")]
    Pass,
    #[serde(rename = "fail")]
    Fail,
    #[serde(rename = "review")]
    Review,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl ItemResult {
    pub fn word(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Review => "review",
            Self::NotApplicable => "n/a",
        }
    }
    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w {
            "pass" => Self::Pass,
            "fail" => Self::Fail,
            "review" => Self::Review,
            "n/a" => Self::NotApplicable,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Excluded,
    Ineligible,
    NeedsReview,
    Eligible,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Self::Excluded => "excluded",
            Self::Ineligible => "ineligible",
            Self::NeedsReview => "needs_review",
            Self::Eligible => "eligible",
        }
    }
}

/// A sentence in both UI languages. The English one is the contract's `detail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemOutcome {
    pub id: String,
    pub occupation: Option<String>,
    pub result: ItemResult,
    pub detail: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub item: String,
    pub due: NaiveDate,
    pub detail: Text,
    /// Years the period crossed that the workday calendar does not have.
    pub unknown_years: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub case_no: String,
    pub outcome: Outcome,
    pub items: Vec<ItemOutcome>,
    pub granted_occupations: Vec<String>,
    pub deadlines: Vec<Deadline>,
    pub rules_version: String,
}

/// Certificates found in the records for the institution's window, counted once each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordedCounts {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub total: u64,
    pub per_occupation: BTreeMap<String, u64>,
}

pub struct Context<'a> {
    pub rules: &'a RuleSet,
    pub calendar: &'a Calendar,
    /// Counts from the certificate records, when the store has any for this institution.
    pub recorded: Option<&'a RecordedCounts>,
    pub flags: &'a Flags,
}

/// One computed part of an item: its result and its sentence.
struct Part {
    r: ItemResult,
    en: String,
    zh: String,
}

impl Part {
    fn new(r: ItemResult, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            r,
            en: en.into(),
            zh: zh.into(),
        }
    }
    fn pass(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(ItemResult::Pass, en, zh)
    }
    fn fail(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(ItemResult::Fail, en, zh)
    }
    fn review(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(ItemResult::Review, en, zh)
    }
}

/// 99.5 → "99.5", 100.0 → "100".
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// `value >= min`, with the figure against the threshold in the sentence. A missing figure
/// is `review`, never `pass`.
fn at_least(en: &str, zh: &str, value: Option<f64>, min: f64) -> Part {
    match value {
        None => Part::review(format!("{en} missing"), format!("{zh}未填报")),
        Some(v) if v >= min => Part::pass(
            format!("{en} {} >= {}", num(v), num(min)),
            format!("{zh} {} >= {}", num(v), num(min)),
        ),
        Some(v) => Part::fail(
            format!("{en} {} < {}", num(v), num(min)),
            format!("{zh} {} < {}", num(v), num(min)),
        ),
    }
}

fn flag(en: &str, zh: &str, value: Option<bool>) -> Part {
    match value {
        None => Part::review(format!("{en}: not stated"), format!("{zh}：未填报")),
        Some(true) => Part::pass(format!("{en}: yes"), format!("{zh}：有")),
        Some(false) => Part::fail(format!("{en}: no"), format!("{zh}：无")),
    }
}

/// All parts must pass. The sentence explains the result: the failing parts when it
/// fails, the unknown ones when it needs review, everything when it passes.
fn all_of(parts: Vec<Part>) -> (ItemResult, Text) {
    let r = if parts.iter().any(|p| p.r == ItemResult::Fail) {
        ItemResult::Fail
    } else if parts.iter().any(|p| p.r == ItemResult::Review) {
        ItemResult::Review
    } else {
        ItemResult::Pass
    };
    let shown: Vec<&Part> = if r == ItemResult::Pass {
        parts.iter().collect()
    } else {
        parts.iter().filter(|p| p.r == r).collect()
    };
    let en = shown.iter().map(|p| p.en.as_str()).collect::<Vec<_>>();
    let zh = shown.iter().map(|p| p.zh.as_str()).collect::<Vec<_>>();
    (r, Text::new(zh.join("；"), en.join("; ")))
}

/// Any one part passing is enough (A6.7d: rooms or computer seats).
fn any_of(parts: Vec<Part>) -> (ItemResult, Text) {
    if let Some(p) = parts.iter().find(|p| p.r == ItemResult::Pass) {
        return (ItemResult::Pass, Text::new(p.zh.clone(), p.en.clone()));
    }
    let r = if parts.iter().any(|p| p.r == ItemResult::Review) {
        ItemResult::Review
    } else {
        ItemResult::Fail
    };
    let en: Vec<_> = parts.iter().map(|p| p.en.as_str()).collect();
    let zh: Vec<_> = parts.iter().map(|p| p.zh.as_str()).collect();
    (r, Text::new(zh.join("；"), en.join("; ")))
}

fn judge_text() -> Text {
    Text::new("待评审员判断", "reviewer's judgement needed")
}

fn rooms_part(have: &Option<Vec<Room>>, need: &[Room]) -> Part {
    let Some(have) = have else {
        return Part::review("rooms not stated", "功能区域未填报");
    };
    let missing: Vec<Room> = need.iter().copied().filter(|r| !have.contains(r)).collect();
    if missing.is_empty() {
        let en: Vec<_> = need.iter().map(|r| r.word()).collect();
        let zh: Vec<_> = need.iter().map(|r| r.zh()).collect();
        Part::pass(
            format!("rooms present: {}", en.join(", ")),
            format!("功能区域齐全：{}", zh.join("、")),
        )
    } else {
        let en: Vec<_> = missing.iter().map(|r| r.word()).collect();
        let zh: Vec<_> = missing.iter().map(|r| r.zh()).collect();
        Part::fail(
            format!("rooms missing: {}", en.join(", ")),
            format!("缺少功能区域：{}", zh.join("、")),
        )
    }
}

/// Where renewal counts come from: the records when there are any, else the declaration.
enum Counts<'a> {
    Recorded(&'a RecordedCounts),
    Declared,
}

struct Eval<'a> {
    app: &'a Application,
    ctx: &'a Context<'a>,
    on: NaiveDate,
    items: Vec<ItemOutcome>,
    deadlines: Vec<Deadline>,
}

impl<'a> Eval<'a> {
    fn param(&self, name: &str) -> Result<f64, String> {
        self.ctx.rules.value(name, self.on)
    }

    fn push(&mut self, id: &str, occupation: Option<&str>, (result, detail): (ItemResult, Text)) {
        self.items.push(ItemOutcome {
            id: id.to_string(),
            occupation: occupation.map(str::to_string),
            result,
            detail,
        });
    }

    fn applies(&self, item: &Item) -> bool {
        let app = self.app;
        // An exclusion that the applicant or the office found to hold is always reported.
        if app.exclusions.iter().any(|e| e.id() == item.id) {
            return item.kinds.contains(&app.kind);
        }
        if !item.kinds.contains(&app.kind) || !item.categories.contains(&app.institution.category) {
            return false;
        }
        if !item.legal_forms.is_empty() {
            if let Some(lf) = app.institution.effective_legal_form() {
                if !item.legal_forms.contains(&lf) {
                    return false;
                }
            }
        }
        if !item.exit_kinds.is_empty() {
            match &app.exit {
                Some(x) if item.exit_kinds.contains(&x.kind) => {}
                _ => return false,
            }
        }
        true
    }

    fn counts(&self) -> Counts<'a> {
        match self.ctx.recorded {
            Some(r) => Counts::Recorded(r),
            None => Counts::Declared,
        }
    }

    fn total_part(&self, min: f64) -> Part {
        match self.counts() {
            Counts::Recorded(r) => at_least(
                &format!("certificates recorded in {}", window_en(r)),
                &format!("有效期内（{}）记录在案证书", window_zh(r)),
                Some(r.total as f64),
                min,
            ),
            Counts::Declared => {
                let known: u64 = self
                    .app
                    .occupations
                    .iter()
                    .filter_map(|o| o.certificates_declared)
                    .map(u64::from)
                    .sum();
                let missing: Vec<&str> = self
                    .app
                    .occupations
                    .iter()
                    .filter(|o| o.certificates_declared.is_none())
                    .map(|o| o.code.as_str())
                    .collect();
                if missing.is_empty() || known as f64 >= min {
                    at_least(
                        "certificates declared",
                        "申报证书数",
                        Some(known as f64),
                        min,
                    )
                } else {
                    Part::review(
                        format!(
                            "certificates declared {known}, missing for {}",
                            missing.join(", ")
                        ),
                        format!("申报证书数 {known}，{} 未填报", missing.join("、")),
                    )
                }
            }
        }
    }

    fn occupation_count_part(&self, o: &Occupation, min: f64) -> Part {
        match self.counts() {
            Counts::Recorded(r) => at_least(
                "certificates recorded",
                "记录在案证书",
                Some(r.per_occupation.get(&o.code).copied().unwrap_or(0) as f64),
                min,
            ),
            Counts::Declared => at_least(
                "certificates declared",
                "申报证书数",
                o.certificates_declared.map(f64::from),
                min,
            ),
        }
    }

    fn run_item(&mut self, item: &Item) -> Result<(), String> {
        let app = self.app;
        let occs = &app.occupations;
        if item.check == Check::Judge {
            if item.scope != Scope::Occupation {
                self.push(&item.id, None, (ItemResult::Review, judge_text()));
            }
            if item.scope != Scope::Institution {
                for o in occs {
                    let detail = match (&item.id[..], &o.matching_major) {
                        ("A5.1", Some(m)) => Text::new(
                            format!("对应专业：{m}；待评审员判断"),
                            format!("matching major: {m}; reviewer's judgement needed"),
                        ),
                        ("A5.1", None) => Text::new(
                            "未填报对应专业；待评审员判断",
                            "no matching major stated; reviewer's judgement needed",
                        ),
                        _ => judge_text(),
                    };
                    self.push(&item.id, Some(&o.code), (ItemResult::Review, detail));
                }
            }
            return Ok(());
        }
        let f = &app.facts;
        let inst = &app.institution;
        let id = item.id.as_str();
        let mut out: Vec<(Option<&str>, (ItemResult, Text))> = Vec::new();
        match id {
            "A4.1" => {
                let min = self.param("employer_min_ok")?;
                let n = inst.enterprise_class.len();
                let part = if n as f64 >= min {
                    let words: Vec<String> = inst
                        .enterprise_class
                        .iter()
                        .map(|c| {
                            serde_json::to_value(c)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        })
                        .collect();
                    Part::pass(
                        format!("enterprise class: {}", words.join(", ")),
                        format!("企业类别：{}", words.join("、")),
                    )
                } else {
                    Part::fail("no enterprise class declared", "未申报企业类别")
                };
                out.push((None, all_of(vec![part])));
            }
            "A5.2" => {
                let need = [Room::ExamAffairs, Room::Confidential, Room::Archive];
                out.push((None, all_of(vec![rooms_part(&f.rooms, &need)])));
            }
            "A6.3" => {
                let years = self.param("social_org_min_training_years")?;
                let volume = self.param("social_org_min_training_volume")?;
                let exempt_volume = self.param("exempt_min_training_volume")?;
                for o in occs {
                    let v = o.training_volume.map(f64::from);
                    let r = if o.new_occupation || inst.guizhou_featured {
                        let why = if o.new_occupation {
                            ("new occupation", "新职业")
                        } else {
                            ("Guizhou featured enterprise", "贵州地方特色企业")
                        };
                        let p = at_least("training volume", "培训规模", v, exempt_volume);
                        let (r, t) = all_of(vec![p]);
                        (
                            r,
                            Text::new(
                                format!("{}（不受年限限制）：{}", why.1, t.zh),
                                format!("{} (no years required): {}", why.0, t.en),
                            ),
                        )
                    } else {
                        all_of(vec![
                            at_least(
                                "training years",
                                "培训年限",
                                f.training_years.map(f64::from),
                                years,
                            ),
                            at_least("training volume", "培训规模", v, volume),
                        ])
                    };
                    out.push((Some(&o.code), r));
                }
            }
            "A6.4" => {
                let part = match &f.management_rules {
                    None => Part::review("management rules not stated", "管理制度未填报"),
                    Some(have) => {
                        let missing: Vec<_> = super::application::ManagementRule::ALL
                            .iter()
                            .filter(|r| !have.contains(r))
                            .collect();
                        if missing.is_empty() {
                            Part::pass("all 7 management rules present", "7项管理制度齐全")
                        } else {
                            let en: Vec<_> = missing.iter().map(|r| r.word()).collect();
                            let zh: Vec<_> = missing.iter().map(|r| r.zh()).collect();
                            Part::fail(
                                format!("management rules missing: {}", en.join(", ")),
                                format!("缺少管理制度：{}", zh.join("、")),
                            )
                        }
                    }
                };
                out.push((None, all_of(vec![part])));
            }
            "A6.5" => {
                let min = self.param("min_full_time_staff")?;
                out.push((
                    None,
                    all_of(vec![at_least(
                        "full-time staff",
                        "专职工作人员",
                        f.full_time_staff.map(f64::from),
                        min,
                    )]),
                ));
            }
            "A6.6" => {
                let sup = self.param("min_quality_supervisors")?;
                let exm = self.param("min_examiners_per_occupation")?;
                out.push((
                    None,
                    all_of(vec![at_least(
                        "quality supervisors",
                        "内部质量督导员",
                        f.quality_supervisors.map(f64::from),
                        sup,
                    )]),
                ));
                for o in occs {
                    out.push((
                        Some(&o.code),
                        all_of(vec![at_least(
                            "examiners",
                            "考评人员",
                            o.examiners.map(f64::from),
                            exm,
                        )]),
                    ));
                }
            }
            "A6.7a" => {
                let years = self.param("min_lease_years")?;
                let part = match (f.premises, f.lease_end) {
                    (None, _) => Part::review("premises not stated", "场地性质未填报"),
                    (Some(Premises::Owned), _) => Part::pass("premises owned", "场地自有"),
                    (Some(Premises::Leased), None) => {
                        Part::review("lease end date missing", "租赁到期日未填报")
                    }
                    (Some(Premises::Leased), Some(end)) => {
                        let months = (years * 12.0).round() as u32;
                        let need = self
                            .on
                            .checked_add_months(Months::new(months))
                            .unwrap_or(NaiveDate::MAX);
                        if end >= need {
                            Part::pass(
                                format!(
                                    "lease ends {end} >= {need} ({} years from submission)",
                                    num(years)
                                ),
                                format!("租赁至 {end} >= {need}（自申报之日起{}年）", num(years)),
                            )
                        } else {
                            Part::fail(
                                format!(
                                    "lease ends {end} < {need} ({} years from submission)",
                                    num(years)
                                ),
                                format!("租赁至 {end} < {need}（自申报之日起{}年）", num(years)),
                            )
                        }
                    }
                };
                out.push((None, all_of(vec![part])));
            }
            "A6.7b" => {
                let min = self.param("min_office_area_m2")?;
                out.push((
                    None,
                    all_of(vec![at_least(
                        "office area m2",
                        "办公面积（平方米）",
                        f.office_area_m2,
                        min,
                    )]),
                ));
            }
            "A6.7c" => {
                let need = [
                    Room::ExamAffairs,
                    Room::Confidential,
                    Room::Archive,
                    Room::Waiting,
                ];
                out.push((None, all_of(vec![rooms_part(&f.rooms, &need)])));
            }
            "A6.7d" => {
                let rooms = self.param("min_standard_exam_rooms")?;
                let seats = self.param("min_computer_exam_seats")?;
                out.push((
                    None,
                    any_of(vec![
                        at_least(
                            "standard exam rooms",
                            "标准化考场",
                            f.standard_exam_rooms.map(f64::from),
                            rooms,
                        ),
                        at_least(
                            "computer exam seats",
                            "机考座位",
                            f.computer_exam_seats.map(f64::from),
                            seats,
                        ),
                    ]),
                ));
            }
            "A6.7e" => {
                let min = self.param("min_desk_spacing_cm")?;
                out.push((
                    None,
                    all_of(vec![
                        at_least(
                            "desk spacing cm",
                            "桌椅间距（厘米）",
                            f.desk_spacing_cm,
                            min,
                        ),
                        flag(
                            "exam room video surveillance",
                            "考场视频监控",
                            f.exam_video_surveillance,
                        ),
                    ]),
                ));
            }
            "A6.7f" => {
                out.push((
                    None,
                    all_of(vec![flag(
                        "practical assessment full video coverage",
                        "操作技能考核视频监控全覆盖",
                        f.practical_video_full_coverage,
                    )]),
                ));
            }
            "A7.1" => {
                let part = if app.exclusions.contains(&Exclusion::A7_1) {
                    Part::fail("found to hold", "经查属实")
                } else {
                    use super::application::LegalForm as L;
                    match (inst.category, inst.legal_form) {
                        (super::application::Category::SocialOrg, lf) => match lf {
                            None => Part::review("legal form not stated", "组织形式未填报"),
                            Some(L::GovernmentBody) => Part::fail(
                                "a government body applying as a social organisation",
                                "政府部门申请成为社会培训评价组织",
                            ),
                            Some(L::PublicInstitution) => Part::review(
                                "public institution: excluded unless a school, public training base or research institute",
                                "事业单位：除院校、公共实训基地、科研院所外不得申报",
                            ),
                            Some(L::SocialGroup) => Part::review(
                                "social group: excluded unless decoupled from government",
                                "社会团体：未与政府部门脱钩的不得申报",
                            ),
                            Some(other) => Part::pass(
                                format!("legal form {}", legal_form_word(other)),
                                format!("组织形式：{}", legal_form_zh(other)),
                            ),
                        },
                        _ => Part::pass("not applying as a social organisation", "非社会培训评价组织申报"),
                    }
                };
                out.push((None, (part.r, Text::new(part.zh, part.en))));
            }
            "A7.2" | "A7.3" | "A7.4" | "A7.5" | "A7.6" => {
                let holds = app.exclusions.iter().any(|e| e.id() == id);
                let part = if holds {
                    Part::fail("found to hold", "经查属实")
                } else {
                    Part::pass("not found to hold", "未发现该情形")
                };
                out.push((None, (part.r, Text::new(part.zh, part.en))));
            }
            "R8.2" | "R9.2" => {
                let name = if id == "R8.2" {
                    "renewal_min_certificates_employer"
                } else {
                    "renewal_min_certificates_school"
                };
                let min = self.param(name)?;
                out.push((None, all_of(vec![self.total_part(min)])));
            }
            "R10.2" => {
                let total = self.param("renewal_min_certificates_social_org")?;
                let per = self.param("renewal_min_certificates_per_occupation")?;
                out.push((None, all_of(vec![self.total_part(total)])));
                for o in occs {
                    out.push((
                        Some(&o.code),
                        all_of(vec![self.occupation_count_part(o, per)]),
                    ));
                }
            }
            "M11.1" | "M11.2" | "M11.3" | "M11.4" | "M11.5" => {
                let present = app.materials.iter().any(|m| m.id() == id);
                let part = match (present, id) {
                    (true, _) => Part::pass("submitted", "已提交"),
                    (false, "M11.5") => Part::review(
                        "none submitted; confirm none was requested",
                        "未提交；请确认是否要求补充",
                    ),
                    (false, _) => Part::fail("missing", "缺失"),
                };
                out.push((None, (part.r, Text::new(part.zh, part.en))));
            }
            "R12" => out.push((None, (ItemResult::Review, self.r12_text()))),
            "E13" => self.e13(&mut out)?,
            "E14" => self.e14(&mut out)?,
            "E15" => {
                let due = app.exit.as_ref().and_then(|x| x.deadline);
                let part = match due {
                    Some(d) => {
                        self.deadlines.push(Deadline {
                            item: "E15".into(),
                            due: d,
                            detail: Text::new(
                                format!("收尾工作截止 {d}（办公室规定）"),
                                format!("wrap-up due {d} (set by the office)"),
                            ),
                            unknown_years: vec![],
                        });
                        Part::review(
                            format!("wrap-up due {d} (set by the office)"),
                            format!("收尾工作截止 {d}（办公室规定）"),
                        )
                    }
                    None => Part::review(
                        "wrap-up deadline not yet set by the office",
                        "办公室尚未规定收尾期限",
                    ),
                };
                out.push((None, (part.r, Text::new(part.zh, part.en))));
            }
            other => return Err(format!("item {other}: no computation for an auto item")),
        }
        for (occ, (mut r, mut t)) in out {
            // An auto+judge item cannot pass until its judged part is judged.
            if item.check == Check::AutoJudge && r == ItemResult::Pass {
                r = ItemResult::Review;
                t = Text::new(
                    format!("{}；其余待评审员判断", t.zh),
                    format!("{}; rest to be judged", t.en),
                );
            }
            self.push(id, occ, (r, t));
        }
        Ok(())
    }

    fn r12_text(&self) -> Text {
        let Counts::Recorded(r) = self.counts() else {
            return Text::new(
                "无证书记录可比对；待评审员判断",
                "no certificate records to compare; reviewer's judgement needed",
            );
        };
        let mut en = Vec::new();
        let mut zh = Vec::new();
        for o in &self.app.occupations {
            if let Some(d) = o.certificates_declared {
                let rec = r.per_occupation.get(&o.code).copied().unwrap_or(0);
                if u64::from(d) != rec {
                    let diff = rec as i64 - i64::from(d);
                    en.push(format!(
                        "{} declared {d}, recorded {rec} ({diff:+})",
                        o.code
                    ));
                    zh.push(format!("{} 申报 {d}，记录 {rec}（{diff:+}）", o.code));
                }
            }
        }
        if en.is_empty() {
            Text::new(
                "申报数与证书记录一致；待评审员判断",
                "declared counts match the records; reviewer's judgement needed",
            )
        } else {
            Text::new(
                format!("申报数与记录不符：{}", zh.join("；")),
                format!("declared differs from records: {}", en.join("; ")),
            )
        }
    }

    fn e13(&mut self, out: &mut Vec<(Option<&'a str>, (ItemResult, Text))>) -> Result<(), String> {
        let days = self.param("voluntary_exit_notice_days")?;
        let x = self.app.exit.as_ref();
        let part = match (
            x.and_then(|x| x.requested_on),
            x.and_then(|x| x.intended_end),
        ) {
            (Some(req), Some(end)) => {
                self.deadlines.push(Deadline {
                    item: "E13".into(),
                    due: end,
                    detail: Text::new(
                        format!("收尾工作须在终止日 {end} 前完成"),
                        format!("wrap-up before the end date {end}"),
                    ),
                    unknown_years: vec![],
                });
                let notice = (end - req).num_days();
                let (en, zh) = (
                    format!("notice {notice} days (requested {req}, end {end})"),
                    format!("提前 {notice} 日（申请 {req}，终止 {end}）"),
                );
                if notice as f64 >= days {
                    Part::pass(
                        format!("{en} >= {}", num(days)),
                        format!("{zh} >= {}", num(days)),
                    )
                } else {
                    Part::fail(
                        format!("{en} < {}", num(days)),
                        format!("{zh} < {}", num(days)),
                    )
                }
            }
            (None, _) => Part::review("request date missing", "申请日期未填报"),
            (_, None) => Part::review("intended end date missing", "拟终止日期未填报"),
        };
        out.push((None, (part.r, Text::new(part.zh, part.en))));
        Ok(())
    }

    fn e14(&mut self, out: &mut Vec<(Option<&'a str>, (ItemResult, Text))>) -> Result<(), String> {
        let days = self.param("automatic_exit_wrapup_days")?;
        let trigger = self
            .app
            .exit
            .as_ref()
            .and_then(|x| x.trigger_on)
            .or(self.app.institution.valid_to);
        let part = match trigger {
            None => Part::review(
                "trigger date missing (exit.trigger_on or institution.valid_to)",
                "触发日期未填报（exit.trigger_on 或 institution.valid_to）",
            ),
            Some(t) => {
                let end = self.ctx.calendar.period_end(t, days as u64);
                let due = end.due;
                let (mut en, mut zh) = (
                    format!("wrap-up due {due} ({} days after {t})", num(days)),
                    format!("收尾工作截止 {due}（{t} 起 {} 日）", num(days)),
                );
                for y in &end.unknown_years {
                    en.push_str(&format!("; calendar has no {y}: counted on weekends alone"));
                    zh.push_str(&format!("；日历缺少 {y} 年：仅按周末计算"));
                }
                self.deadlines.push(Deadline {
                    item: "E14".into(),
                    due,
                    detail: Text::new(zh.clone(), en.clone()),
                    unknown_years: end.unknown_years.clone(),
                });
                Part::review(en, zh)
            }
        };
        out.push((None, (part.r, Text::new(part.zh, part.en))));
        Ok(())
    }
}

fn window_en(r: &RecordedCounts) -> String {
    match (r.from, r.to) {
        (Some(f), Some(t)) => format!("{f}..{t}"),
        _ => "the period".into(),
    }
}

fn window_zh(r: &RecordedCounts) -> String {
    match (r.from, r.to) {
        (Some(f), Some(t)) => format!("{f} 至 {t}"),
        _ => "有效期".into(),
    }
}

pub fn legal_form_word(lf: super::application::LegalForm) -> &'static str {
    use super::application::LegalForm as L;
    match lf {
        L::Enterprise => "enterprise",
        L::School => "school",
        L::PrivateNonEnterprise => "private_non_enterprise",
        L::SocialGroup => "social_group",
        L::PublicInstitution => "public_institution",
        L::GovernmentBody => "government_body",
    }
}

pub fn legal_form_zh(lf: super::application::LegalForm) -> &'static str {
    use super::application::LegalForm as L;
    match lf {
        L::Enterprise => "企业",
        L::School => "院校",
        L::PrivateNonEnterprise => "民办非企业单位",
        L::SocialGroup => "社会团体",
        L::PublicInstitution => "事业单位",
        L::GovernmentBody => "政府部门",
    }
}

/// Evaluates an application. An error means the rules have no value in force on its date.
pub fn evaluate(app: &Application, ctx: &Context<'_>) -> Result<Evaluation, String> {
    let mut ev = Eval {
        app,
        ctx,
        on: app.submitted_on,
        items: Vec::new(),
        deadlines: Vec::new(),
    };
    if let Some(problem) = &ctx.flags.unverified_credit_code {
        ev.push(
            "credit_code",
            None,
            (
                ItemResult::Review,
                Text::new(
                    format!("统一社会信用代码未通过校验（按旧码放行）：{problem}"),
                    format!("credit code accepted unverified (legacy code): {problem}"),
                ),
            ),
        );
    }
    for item in &ctx.rules.items {
        if ev.applies(item) {
            ev.run_item(item)?;
        }
    }
    let occupations: Vec<&str> = app.occupations.iter().map(|o| o.code.as_str()).collect();
    let (outcome, granted) = decide(
        app.kind,
        &occupations,
        ev.items
            .iter()
            .map(|i| (i.id.as_str(), i.occupation.as_deref(), i.result)),
    );
    Ok(Evaluation {
        case_no: app.case_no.clone(),
        outcome,
        items: ev.items,
        granted_occupations: granted,
        deadlines: ev.deadlines,
        rules_version: ctx.rules.version(),
    })
}

/// SPEC section 4: the case outcome and the occupations that can be granted, from item
/// results (computed, or as a reviewer marked them).
pub fn decide<'x>(
    kind: CaseKind,
    occupations: &[&str],
    items: impl Iterator<Item = (&'x str, Option<&'x str>, ItemResult)>,
) -> (Outcome, Vec<String>) {
    let mut excluded = false;
    let mut institution_fail = false;
    let mut review = false;
    let mut failed_occ = std::collections::BTreeSet::new();
    for (id, occ, r) in items {
        match r {
            ItemResult::Fail => {
                if id.starts_with("A7.") {
                    excluded = true;
                }
                match occ {
                    Some(o) => {
                        failed_occ.insert(o.to_string());
                    }
                    None => institution_fail = true,
                }
            }
            ItemResult::Review => review = true,
            _ => {}
        }
    }
    let all_occ_fail =
        !occupations.is_empty() && occupations.iter().all(|o| failed_occ.contains(*o));
    let outcome = if excluded {
        Outcome::Excluded
    } else if institution_fail || all_occ_fail {
        Outcome::Ineligible
    } else if review {
        Outcome::NeedsReview
    } else {
        Outcome::Eligible
    };
    let granted = match (outcome, kind) {
        (Outcome::Excluded | Outcome::Ineligible, _) | (_, CaseKind::Exit) => vec![],
        _ => occupations
            .iter()
            .filter(|o| !failed_occ.contains(**o))
            .map(|o| o.to_string())
            .collect(),
    };
    (outcome, granted)
}

/// The JSON of SPEC section 8, exactly: no other keys.
pub fn contract_json(ev: &Evaluation) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let items: Vec<Value> = ev
        .items
        .iter()
        .map(|i| {
            let mut m = Map::new();
            m.insert("id".into(), json!(i.id));
            if let Some(o) = &i.occupation {
                m.insert("occupation".into(), json!(o));
            }
            m.insert("result".into(), json!(i.result.word()));
            m.insert("detail".into(), json!(i.detail.en));
            Value::Object(m)
        })
        .collect();
    let deadlines: Vec<Value> = ev
        .deadlines
        .iter()
        .map(|d| json!({ "item": d.item, "due": d.due.to_string() }))
        .collect();
    json!({
        "case_no": ev.case_no,
        "outcome": ev.outcome.word(),
        "items": items,
        "granted_occupations": ev.granted_occupations,
        "deadlines": deadlines,
    })
}
