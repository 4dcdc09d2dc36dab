//! Exits (articles 13–16): the three kinds of exit, the wrap-up steps and their order, when an
//! exit takes effect, and how far each deadline is from a given day in calendar and working
//! days. Pure: the caller hands in the calendar, the dates and what is already done.
//!
//! The steps, in the order they must be recorded:
//!
//! | step | 中文 | article |
//! |---|---|---|
//! | `announced` (ordered exits only) | 向社会公告 | 第十五条 |
//! | `certificates_reported` | 证书数据（合规）上报 | 第十三、十四、十五条 |
//! | `files_archived` | 评价资料（整理）归档 | 第十三、十四条 |
//! | `termination_notice` | 出具终止评价活动通知书 | 第十六条 |
//! | `ministry_filed` | 报人力资源社会保障部备案 | 第十六条 |
//! | `website_updated` | 更新全国技能人才评价工作网机构公示信息 | 第十六条 |
//!
//! Art. 13–15 list the wrap-up as "证书数据上报、资料归档" in that order, and art. 16 begins
//! "评价机构退出后": the province's notice, the ministry filing and the website follow the
//! wrap-up. The ordered exit's public announcement (art. 15) goes with the order itself, so it
//! comes first. The office's acts (announcement and art. 16) need the exit decided; the
//! institution's wrap-up may be recorded as soon as the case is open.

use super::application::ExitKind;
use super::calendar::Calendar;
use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// One step of an exit's wrap-up and art. 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 向社会公告 (art. 15): ordered exits only; with its number and date.
    Announced,
    /// 证书数据（合规）上报 (art. 13–15).
    CertificatesReported,
    /// 评价资料（整理）归档 (art. 13, 14).
    FilesArchived,
    /// 出具终止评价活动通知书 (art. 16): with the notice number and date.
    TerminationNotice,
    /// 报人力资源社会保障部备案 (art. 16).
    MinistryFiled,
    /// 更新全国技能人才评价工作网机构公示信息 (art. 16).
    WebsiteUpdated,
}

const ORDERED_STEPS: &[Step] = &[
    Step::Announced,
    Step::CertificatesReported,
    Step::FilesArchived,
    Step::TerminationNotice,
    Step::MinistryFiled,
    Step::WebsiteUpdated,
];

const OTHER_STEPS: &[Step] = &[
    Step::CertificatesReported,
    Step::FilesArchived,
    Step::TerminationNotice,
    Step::MinistryFiled,
    Step::WebsiteUpdated,
];

/// True for a checklist item that a step records after the decision (art. 16, E16.x): it
/// never holds up a proposal, and recording its step marks it.
pub fn after_decision(item_id: &str) -> bool {
    Step::ALL.iter().any(|s| s.item() == Some(item_id))
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Announced,
        Step::CertificatesReported,
        Step::FilesArchived,
        Step::TerminationNotice,
        Step::MinistryFiled,
        Step::WebsiteUpdated,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Self::Announced => "announced",
            Self::CertificatesReported => "certificates_reported",
            Self::FilesArchived => "files_archived",
            Self::TerminationNotice => "termination_notice",
            Self::MinistryFiled => "ministry_filed",
            Self::WebsiteUpdated => "website_updated",
        }
    }

    pub fn from_word(w: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.word() == w)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Self::Announced => "向社会公告",
            Self::CertificatesReported => "证书数据上报",
            Self::FilesArchived => "评价资料归档",
            Self::TerminationNotice => "出具终止评价活动通知书",
            Self::MinistryFiled => "报人力资源社会保障部备案",
            Self::WebsiteUpdated => "更新全国技能人才评价工作网公示信息",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Self::Announced => "public announcement",
            Self::CertificatesReported => "certificate data reported",
            Self::FilesArchived => "evaluation files archived",
            Self::TerminationNotice => "termination notice issued",
            Self::MinistryFiled => "filed with the Ministry",
            Self::WebsiteUpdated => "national website listing updated",
        }
    }

    pub fn name(self, zh: bool) -> &'static str {
        if zh {
            self.zh()
        } else {
            self.en()
        }
    }

    /// The article that asks for the step, as the checklist cites it.
    pub fn cite(self, kind: ExitKind) -> &'static str {
        match self {
            Self::Announced => "第十五条",
            Self::CertificatesReported | Self::FilesArchived => article(kind),
            Self::TerminationNotice | Self::MinistryFiled | Self::WebsiteUpdated => "第十六条",
        }
    }

    /// The announcement and the notice carry a document number (文号).
    pub fn needs_number(self) -> bool {
        matches!(self, Self::Announced | Self::TerminationNotice)
    }

    /// The office's own acts: recorded only once the exit is decided.
    pub fn needs_decision(self) -> bool {
        !self.is_wrap_up()
    }

    /// The institution's wrap-up (收尾工作), whose deadline E13/E14/E15 tracks.
    pub fn is_wrap_up(self) -> bool {
        matches!(self, Self::CertificatesReported | Self::FilesArchived)
    }

    /// The checklist item that the step settles, if any.
    pub fn item(self) -> Option<&'static str> {
        match self {
            Self::TerminationNotice => Some("E16.1"),
            Self::MinistryFiled => Some("E16.2"),
            Self::WebsiteUpdated => Some("E16.3"),
            _ => None,
        }
    }
}

/// The steps of an exit of `kind`, in the order they must be done.
pub fn steps_for(kind: ExitKind) -> &'static [Step] {
    match kind {
        ExitKind::Ordered => ORDERED_STEPS,
        ExitKind::Voluntary | ExitKind::Automatic => OTHER_STEPS,
    }
}

/// 第十三条 / 第十四条 / 第十五条.
pub fn article(kind: ExitKind) -> &'static str {
    match kind {
        ExitKind::Voluntary => "第十三条",
        ExitKind::Automatic => "第十四条",
        ExitKind::Ordered => "第十五条",
    }
}

pub fn kind_word(kind: ExitKind) -> &'static str {
    match kind {
        ExitKind::Voluntary => "voluntary",
        ExitKind::Automatic => "automatic",
        ExitKind::Ordered => "ordered",
    }
}

pub fn kind_from_word(w: &str) -> Option<ExitKind> {
    Some(match w {
        "voluntary" => ExitKind::Voluntary,
        "automatic" => ExitKind::Automatic,
        "ordered" => ExitKind::Ordered,
        _ => return None,
    })
}

pub fn kind_name(kind: ExitKind, zh: bool) -> &'static str {
    match (kind, zh) {
        (ExitKind::Voluntary, true) => "自愿终止退出",
        (ExitKind::Automatic, true) => "自动终止退出",
        (ExitKind::Ordered, true) => "责令终止退出",
        (ExitKind::Voluntary, false) => "voluntary exit",
        (ExitKind::Automatic, false) => "automatic exit",
        (ExitKind::Ordered, false) => "ordered exit",
    }
}

/// The deadline item of each kind: E13 (wrap-up before the end date), E14 (15 days after the
/// trigger), E15 (the office's deadline).
pub fn deadline_item(kind: ExitKind) -> &'static str {
    match kind {
        ExitKind::Voluntary => "E13",
        ExitKind::Automatic => "E14",
        ExitKind::Ordered => "E15",
    }
}

/// What set an exit going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The institution asked in writing (art. 13).
    Request,
    /// `valid_to` passed with no renewal application (art. 14).
    Lapsed,
    /// The renewal was refused (art. 14).
    Refused,
    /// Serious violations (art. 15).
    Ordered,
}

impl Cause {
    pub fn word(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Lapsed => "lapsed",
            Self::Refused => "refused",
            Self::Ordered => "ordered",
        }
    }

    pub fn from_word(w: &str) -> Option<Self> {
        Some(match w {
            "request" => Self::Request,
            "lapsed" => Self::Lapsed,
            "refused" => Self::Refused,
            "ordered" => Self::Ordered,
            _ => return None,
        })
    }

    pub fn kind(self) -> ExitKind {
        match self {
            Self::Request => ExitKind::Voluntary,
            Self::Lapsed | Self::Refused => ExitKind::Automatic,
            Self::Ordered => ExitKind::Ordered,
        }
    }

    pub fn name(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Self::Request, true) => "机构书面申请终止",
            (Self::Lapsed, true) => "有效期满未提交续期申请",
            (Self::Refused, true) => "续期申请经评估不通过",
            (Self::Ordered, true) => "存在严重违法违规行为",
            (Self::Request, false) => "written request by the institution",
            (Self::Lapsed, false) => "recognition period ended with no renewal application",
            (Self::Refused, false) => "renewal refused",
            (Self::Ordered, false) => "serious violations",
        }
    }
}

/// A step on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    pub step: Step,
    pub on: NaiveDate,
    pub number: Option<String>,
}

/// The next step to record, or `None` when every step is done.
pub fn next_step(kind: ExitKind, done: &[Done]) -> Option<Step> {
    steps_for(kind)
        .iter()
        .copied()
        .find(|s| !done.iter().any(|d| d.step == *s))
}

pub fn all_done(kind: ExitKind, done: &[Done]) -> bool {
    next_step(kind, done).is_none()
}

/// The day the wrap-up was complete: the later of its two steps, once both are on record.
pub fn wrap_up_done_on(done: &[Done]) -> Option<NaiveDate> {
    let on = |s: Step| done.iter().find(|d| d.step == s).map(|d| d.on);
    Some(on(Step::CertificatesReported)?.max(on(Step::FilesArchived)?))
}

/// Why a step cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("step {} does not apply to a {}", .step.word(), kind_name(*.kind, false))]
    NotForKind { step: Step, kind: ExitKind },
    #[error("step {} is already on record ({on})", .step.word())]
    AlreadyDone { step: Step, on: NaiveDate },
    #[error("step {} cannot be recorded before {} ({}); the order is {}", .step.word(), .missing.word(), .missing.en(), order_words(*.kind))]
    OutOfOrder {
        step: Step,
        missing: Step,
        kind: ExitKind,
    },
    #[error("step {} on {on} is earlier than {} on {previous_on}", .step.word(), .previous.word())]
    BeforePrevious {
        step: Step,
        on: NaiveDate,
        previous: Step,
        previous_on: NaiveDate,
    },
    #[error("the date {on} is after today ({today}): record a step once it is done")]
    InFuture { on: NaiveDate, today: NaiveDate },
    #[error("step {} needs its document number (--number)", .step.word())]
    NeedsNumber { step: Step },
    #[error("step {} is the office's, after the exit is decided: this case is not yet decided", .step.word())]
    NotDecided { step: Step },
}

fn order_words(kind: ExitKind) -> String {
    steps_for(kind)
        .iter()
        .map(|s| s.word())
        .collect::<Vec<_>>()
        .join(" → ")
}

impl StepError {
    /// The refusal in Chinese, for the desk and the Chinese command output.
    pub fn zh(&self) -> String {
        match self {
            Self::NotForKind { step, kind } => {
                format!("“{}”不适用于{}", step.zh(), kind_name(*kind, true))
            }
            Self::AlreadyDone { step, on } => format!("“{}”已于 {on} 记录", step.zh()),
            Self::OutOfOrder {
                step,
                missing,
                kind,
            } => format!(
                "须先记录“{}”，才能记录“{}”；顺序为：{}",
                missing.zh(),
                step.zh(),
                steps_for(*kind)
                    .iter()
                    .map(|s| s.zh())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
            Self::BeforePrevious {
                step,
                on,
                previous,
                previous_on,
            } => format!(
                "“{}”的日期 {on} 早于“{}”的日期 {previous_on}",
                step.zh(),
                previous.zh()
            ),
            Self::InFuture { on, today } => {
                format!("日期 {on} 晚于今天（{today}）：请在完成后再记录")
            }
            Self::NeedsNumber { step } => format!("“{}”须填写文号（--number）", step.zh()),
            Self::NotDecided { step } => {
                format!("“{}”须在退出决定批准后办理：本案尚未决定", step.zh())
            }
        }
    }

    pub fn text(&self, zh: bool) -> String {
        if zh {
            self.zh()
        } else {
            self.to_string()
        }
    }
}

/// Whether `step` may be recorded on `on`, given what is done. `decided`: the exit was
/// approved. A number, where one is needed, must be non-empty.
pub fn check_step(
    kind: ExitKind,
    done: &[Done],
    step: Step,
    on: NaiveDate,
    number: Option<&str>,
    today: NaiveDate,
    decided: bool,
) -> Result<(), StepError> {
    let steps = steps_for(kind);
    let Some(pos) = steps.iter().position(|s| *s == step) else {
        return Err(StepError::NotForKind { step, kind });
    };
    if let Some(d) = done.iter().find(|d| d.step == step) {
        return Err(StepError::AlreadyDone { step, on: d.on });
    }
    if let Some(missing) = steps[..pos]
        .iter()
        .copied()
        .find(|s| !done.iter().any(|d| d.step == *s))
    {
        return Err(StepError::OutOfOrder {
            step,
            missing,
            kind,
        });
    }
    if step.needs_decision() && !decided {
        return Err(StepError::NotDecided { step });
    }
    if on > today {
        return Err(StepError::InFuture { on, today });
    }
    if let Some(prev) = pos
        .checked_sub(1)
        .and_then(|p| steps.get(p))
        .and_then(|p| done.iter().find(|d| d.step == *p))
    {
        if on < prev.on {
            return Err(StepError::BeforePrevious {
                step,
                on,
                previous: prev.step,
                previous_on: prev.on,
            });
        }
    }
    if step.needs_number() && number.is_none_or(|n| n.trim().is_empty()) {
        return Err(StepError::NeedsNumber { step });
    }
    Ok(())
}

/// The first day an institution is no longer in the catalogue once its exit takes effect:
/// - voluntary: the day after the intended end (the end date is its last day, as `valid_to`
///   is); without one, the day of the decision;
/// - automatic: the day after the trigger (`valid_to` when the period ran out, the refusal
///   date when the renewal was refused), the day the 15-day period starts (民法典 art. 201);
/// - ordered: the day of the decision ("移出目录" when the office orders it).
pub fn leaves_catalogue_on(
    kind: ExitKind,
    intended_end: Option<NaiveDate>,
    trigger_on: Option<NaiveDate>,
    decided_on: NaiveDate,
) -> NaiveDate {
    let next = |d: NaiveDate| d.checked_add_days(Days::new(1)).unwrap_or(d);
    match kind {
        ExitKind::Voluntary => intended_end.map(next).unwrap_or(decided_on),
        ExitKind::Automatic => trigger_on.map(next).unwrap_or(decided_on),
        ExitKind::Ordered => decided_on,
    }
}

/// E13: the written request must come at least `required` calendar days before the end
/// (`intended_end − requested_on ≥ 30`, not moved for holidays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeCheck {
    pub requested_on: NaiveDate,
    pub intended_end: NaiveDate,
    pub days: i64,
    pub required: i64,
    pub ok: bool,
}

pub fn notice_check(
    requested_on: NaiveDate,
    intended_end: NaiveDate,
    required: i64,
) -> NoticeCheck {
    let days = (intended_end - requested_on).num_days();
    NoticeCheck {
        requested_on,
        intended_end,
        days,
        required,
        ok: days >= required,
    }
}

impl NoticeCheck {
    pub fn text(&self, zh: bool) -> String {
        let (r, e, d, n) = (
            self.requested_on,
            self.intended_end,
            self.days,
            self.required,
        );
        match (zh, self.ok) {
            (true, true) => format!("提前 {d} 日申请（申请 {r}，终止 {e}），不少于 {n} 日：符合"),
            (true, false) => format!("提前 {d} 日申请（申请 {r}，终止 {e}），少于 {n} 日：不符合"),
            (false, true) => format!("{d} days' notice (requested {r}, end {e}) >= {n}: met"),
            (false, false) => format!("{d} days' notice (requested {r}, end {e}) < {n}: not met"),
        }
    }
}

/// How a deadline stands on a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineStatus {
    pub due: NaiveDate,
    /// Calendar days from today to the due day; negative once overdue.
    pub calendar_days_left: i64,
    /// Working days after today up to and including the due day; negative once overdue
    /// (working days since the due day).
    pub working_days_left: i64,
    pub overdue: bool,
    pub due_today: bool,
    /// Not overdue, and due by the Sunday of today's week (Monday to Sunday).
    pub due_this_week: bool,
    /// Years between today and the due day (and those the period itself crossed) that the
    /// workday calendar does not have: the working-day figures are weekdays only there.
    pub unknown_years: Vec<i32>,
}

/// Where a deadline stands on `today`. `period_unknown_years`: years the period's own count
/// crossed without the calendar (stored with the deadline).
pub fn deadline_status(
    calendar: &Calendar,
    today: NaiveDate,
    due: NaiveDate,
    period_unknown_years: &[i32],
) -> DeadlineStatus {
    let calendar_days_left = (due - today).num_days();
    let working_days_left = calendar.workdays_between(today, due);
    let days_to_sunday = 6 - i64::from(today.weekday().num_days_from_monday());
    let overdue = due < today;
    let (lo, hi) = if due < today {
        (due.year(), today.year())
    } else {
        (today.year(), due.year())
    };
    let mut unknown: Vec<i32> = (lo..=hi).filter(|y| !calendar.knows(*y)).collect();
    unknown.extend(period_unknown_years.iter().copied());
    unknown.sort_unstable();
    unknown.dedup();
    DeadlineStatus {
        due,
        calendar_days_left,
        working_days_left,
        overdue,
        due_today: calendar_days_left == 0,
        due_this_week: !overdue && calendar_days_left <= days_to_sunday,
        unknown_years: unknown,
    }
}

impl DeadlineStatus {
    /// The flag in words, so that it shows without colour: 逾期 N 日 / 今日到期 / 本周到期.
    pub fn flag(&self, zh: bool) -> String {
        let n = -self.calendar_days_left;
        match (zh, self.overdue, self.due_today, self.due_this_week) {
            (true, true, _, _) => format!("逾期 {n} 日"),
            (false, true, _, _) => format!("OVERDUE {n} d"),
            (true, _, true, _) => "今日到期".into(),
            (false, _, true, _) => "due today".into(),
            (true, _, _, true) => "本周到期".into(),
            (false, _, _, true) => "due this week".into(),
            _ => String::new(),
        }
    }

    /// One warning per year the calendar lacks.
    pub fn warnings(&self, zh: bool) -> Vec<String> {
        self.unknown_years
            .iter()
            .map(|y| calendar_warning(*y, zh))
            .collect()
    }
}

/// "calendar has no 2027": the working days of that year are weekdays only until the year's
/// holiday notice is added.
pub fn calendar_warning(year: i32, zh: bool) -> String {
    if zh {
        format!(
            "日历缺少 {year} 年：工作日仅按周末计算，请将国务院办公厅 {year} 年节假日安排通知加入 data/cn-workday-calendar.toml"
        )
    } else {
        format!(
            "calendar has no {year}: working days are counted on weekends alone; add {year}'s holiday notice to data/cn-workday-calendar.toml"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> Calendar {
        Calendar::parse(include_str!("../../data/cn-workday-calendar.toml"), "t").unwrap()
    }

    fn done(step: Step, on: &str) -> Done {
        Done {
            step,
            on: d(on),
            number: step
                .needs_number()
                .then(|| "黔人社评〔2026〕1号".to_string()),
        }
    }

    #[test]
    fn steps_in_order_for_each_kind() {
        use Step::*;
        assert_eq!(
            steps_for(ExitKind::Automatic),
            &[
                CertificatesReported,
                FilesArchived,
                TerminationNotice,
                MinistryFiled,
                WebsiteUpdated
            ]
        );
        assert_eq!(steps_for(ExitKind::Ordered)[0], Announced);
        assert_eq!(
            next_step(ExitKind::Voluntary, &[]),
            Some(CertificatesReported)
        );
        assert_eq!(next_step(ExitKind::Ordered, &[]), Some(Announced));
        let all: Vec<Done> = steps_for(ExitKind::Automatic)
            .iter()
            .map(|s| done(*s, "2026-10-09"))
            .collect();
        assert!(all_done(ExitKind::Automatic, &all));
        assert!(!all_done(ExitKind::Ordered, &all));
        for s in Step::ALL {
            assert_eq!(Step::from_word(s.word()), Some(s));
        }
    }

    #[test]
    fn a_step_before_its_predecessor_is_refused() {
        let today = d("2026-11-28");
        let e = check_step(
            ExitKind::Automatic,
            &[],
            Step::FilesArchived,
            d("2026-10-09"),
            None,
            today,
            true,
        )
        .unwrap_err();
        assert_eq!(
            e,
            StepError::OutOfOrder {
                step: Step::FilesArchived,
                missing: Step::CertificatesReported,
                kind: ExitKind::Automatic
            }
        );
        assert!(e.to_string().contains("certificates_reported"), "{e}");
        assert!(e.zh().contains("证书数据上报"), "{}", e.zh());
        // Skipping ahead names the first missing step.
        let e = check_step(
            ExitKind::Automatic,
            &[done(Step::CertificatesReported, "2026-10-09")],
            Step::MinistryFiled,
            d("2026-10-20"),
            None,
            today,
            true,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            StepError::OutOfOrder {
                missing: Step::FilesArchived,
                ..
            }
        ));
    }

    #[test]
    fn step_checks() {
        let today = d("2026-11-28");
        let k = ExitKind::Automatic;
        let wrap = [
            done(Step::CertificatesReported, "2026-10-09"),
            done(Step::FilesArchived, "2026-10-12"),
        ];
        // Not for this kind.
        assert!(matches!(
            check_step(k, &[], Step::Announced, today, Some("x"), today, true),
            Err(StepError::NotForKind { .. })
        ));
        // Twice.
        assert!(matches!(
            check_step(k, &wrap, Step::FilesArchived, today, None, today, true),
            Err(StepError::AlreadyDone { .. })
        ));
        // Art. 16 needs the decision; the wrap-up does not.
        assert!(matches!(
            check_step(
                k,
                &wrap,
                Step::TerminationNotice,
                today,
                Some("n"),
                today,
                false
            ),
            Err(StepError::NotDecided { .. })
        ));
        assert!(check_step(
            k,
            &[],
            Step::CertificatesReported,
            today,
            None,
            today,
            false
        )
        .is_ok());
        // The notice needs its number.
        assert!(matches!(
            check_step(
                k,
                &wrap,
                Step::TerminationNotice,
                today,
                Some("  "),
                today,
                true
            ),
            Err(StepError::NeedsNumber { .. })
        ));
        assert!(check_step(
            k,
            &wrap,
            Step::TerminationNotice,
            today,
            Some("n"),
            today,
            true
        )
        .is_ok());
        // Not in the future, not before the previous step.
        assert!(matches!(
            check_step(
                k,
                &wrap,
                Step::TerminationNotice,
                d("2026-11-29"),
                Some("n"),
                today,
                true
            ),
            Err(StepError::InFuture { .. })
        ));
        assert!(matches!(
            check_step(
                k,
                &wrap,
                Step::TerminationNotice,
                d("2026-10-11"),
                Some("n"),
                today,
                true
            ),
            Err(StepError::BeforePrevious { .. })
        ));
        assert_eq!(wrap_up_done_on(&wrap), Some(d("2026-10-12")));
        assert_eq!(wrap_up_done_on(&wrap[..1]), None);
    }

    #[test]
    fn leaving_the_catalogue() {
        let decided = d("2026-11-20");
        assert_eq!(
            leaves_catalogue_on(ExitKind::Voluntary, Some(d("2026-12-31")), None, decided),
            d("2027-01-01")
        );
        assert_eq!(
            leaves_catalogue_on(ExitKind::Automatic, None, Some(d("2026-09-30")), decided),
            d("2026-10-01")
        );
        assert_eq!(
            leaves_catalogue_on(ExitKind::Ordered, None, Some(d("2026-09-30")), decided),
            decided
        );
    }

    #[test]
    fn thirty_days_notice_is_calendar_days() {
        // 2026-09-01 → 2026-10-01: 30 days, over National Day; not moved for holidays.
        let c = notice_check(d("2026-09-01"), d("2026-10-01"), 30);
        assert!(c.ok && c.days == 30);
        assert!(c.text(true).contains("申请 2026-09-01，终止 2026-10-01"));
        let c = notice_check(d("2026-09-02"), d("2026-10-01"), 30);
        assert!(!c.ok && c.days == 29);
        assert!(c.text(false).contains("< 30"));
    }

    #[test]
    fn days_left_over_the_2026_holidays() {
        let cal = calendar();
        // Spring Festival: from Friday 02-13 to Tuesday 02-24 are 11 calendar days; the working
        // days are the make-up Saturday 02-14 and 02-24 (02-15..23 are holidays).
        let s = deadline_status(&cal, d("2026-02-13"), d("2026-02-24"), &[]);
        assert_eq!((s.calendar_days_left, s.working_days_left), (11, 2));
        assert!(!s.overdue && !s.due_this_week);
        // Labour Day: 04-30 to 05-06, only 04-30's successor 05-06 works (05-01..05 off).
        let s = deadline_status(&cal, d("2026-04-30"), d("2026-05-06"), &[]);
        assert_eq!((s.calendar_days_left, s.working_days_left), (6, 1));
        // Make-up Saturday 05-09 counts.
        let s = deadline_status(&cal, d("2026-05-06"), d("2026-05-09"), &[]);
        assert_eq!(s.working_days_left, 3);
        assert!(s.due_this_week, "Wednesday to Saturday is this week");
        // Dragon Boat: Thursday 06-18 to Monday 06-22: 06-19..21 off.
        let s = deadline_status(&cal, d("2026-06-18"), d("2026-06-22"), &[]);
        assert_eq!((s.calendar_days_left, s.working_days_left), (4, 1));
        assert!(!s.due_this_week, "Monday is next week");
        // National Day, overdue: due 10-08, today 10-12 (Monday). Working days since: 10-09,
        // 10-10 (make-up Saturday), 10-12.
        let s = deadline_status(&cal, d("2026-10-12"), d("2026-10-08"), &[]);
        assert!(s.overdue);
        assert_eq!((s.calendar_days_left, s.working_days_left), (-4, -3));
        assert_eq!(s.flag(true), "逾期 4 日");
        assert_eq!(s.flag(false), "OVERDUE 4 d");
        assert!(s.unknown_years.is_empty());
        // Due today.
        let s = deadline_status(&cal, d("2026-10-08"), d("2026-10-08"), &[]);
        assert!(s.due_today && s.due_this_week && !s.overdue);
        assert_eq!(s.flag(true), "今日到期");
    }

    #[test]
    fn a_year_the_calendar_lacks_is_warned_about() {
        let cal = calendar();
        let s = deadline_status(&cal, d("2026-12-28"), d("2027-01-04"), &[]);
        assert_eq!(s.unknown_years, vec![2027]);
        let w = s.warnings(true);
        assert!(w[0].contains("2027") && w[0].contains("data/"), "{w:?}");
        assert!(s.warnings(false)[0].contains("calendar has no 2027"));
        // Stored with the period, even when today and the due day are known years.
        let s = deadline_status(&cal, d("2026-12-01"), d("2026-12-20"), &[2027]);
        assert_eq!(s.unknown_years, vec![2027]);
    }
}
