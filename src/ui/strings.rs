//! Every string the terminal app shows, in Chinese and English: one catalogue, so that a
//! translation is one place to edit and no screen hard-codes text.

use crate::commands::Lang;
use crate::domain::renewal::{Measure, Pace, Risk, Standing, Summary};

pub struct Strings {
    pub app: &'static str,
    pub queue: &'static str,
    pub case: &'static str,
    pub help: &'static str,
    pub history: &'static str,
    pub all: &'static str,
    pub col_case: &'static str,
    pub col_inst: &'static str,
    pub col_kind: &'static str,
    /// Over the queue's one-character kind column.
    pub col_kind_mark: &'static str,
    pub col_cat: &'static str,
    pub col_region: &'static str,
    pub col_status: &'static str,
    pub col_days: &'static str,
    pub filter_kind: &'static str,
    pub filter_cat: &'static str,
    pub filter_region: &'static str,
    pub filter_mine: &'static str,
    pub filter_unassigned: &'static str,
    pub sort: &'static str,
    pub search: &'static str,
    pub no_cases: &'static str,
    pub too_small: &'static str,
    pub facts: &'static str,
    pub occupations: &'static str,
    pub declared_recorded: &'static str,
    pub declared: &'static str,
    pub recorded: &'static str,
    pub sum_total: &'static str,
    pub no_records: &'static str,
    pub checklist: &'static str,
    pub deadlines: &'static str,
    pub credit_code: &'static str,
    pub legal_form: &'static str,
    pub legal_rep: &'static str,
    pub period: &'static str,
    pub submitted: &'static str,
    pub rules_version: &'static str,
    pub assigned: &'static str,
    pub unassigned: &'static str,
    pub outcome: &'static str,
    pub auto: &'static str,
    pub mark: &'static str,
    pub override_reason: &'static str,
    pub note: &'static str,
    pub case_note: &'static str,
    pub levels: &'static str,
    pub proposal: &'static str,
    pub proposed_by: &'static str,
    pub decided_by: &'static str,
    pub editor_hint: &'static str,
    pub reason_title: &'static str,
    pub note_title: &'static str,
    pub case_note_title: &'static str,
    pub draft_restored: &'static str,
    pub saved: &'static str,
    pub propose_title: &'static str,
    pub propose_hint: &'static str,
    pub reasons: &'static str,
    pub send_back_title: &'static str,
    pub all_resolved: &'static str,
    pub unresolved_left: &'static str,
    pub reloaded: &'static str,
    pub reloading: &'static str,
    pub article_missing: &'static str,
    pub waiting_days: &'static str,
    pub due_in: &'static str,
    pub overdue: &'static str,
    pub keys_title: &'static str,
    pub close: &'static str,
    pub approved: &'static str,
    pub sent_back: &'static str,
    pub proposed: &'static str,
    pub marked: &'static str,
    pub mark_cleared: &'static str,
    pub no_mark: &'static str,
    pub results: &'static str,
    pub drafts_waiting: &'static str,
    pub drafts_hint: &'static str,
    pub search_help: &'static str,
    /// After "{account} ({time})".
    pub conflict: &'static str,
    /// Followed by the unresolved items.
    pub unresolved_block: &'static str,
    pub two_person: &'static str,
    pub not_approver: &'static str,
    // ---- renewal statistics
    pub stats_title: &'static str,
    pub as_of: &'static str,
    pub by_prefecture: &'static str,
    pub chart_at_risk: &'static str,
    pub chart_inst: &'static str,
    pub col_prefecture: &'static str,
    pub col_inst_n: &'static str,
    pub col_meets: &'static str,
    pub col_on_pace: &'static str,
    pub col_behind: &'static str,
    pub col_at_risk: &'static str,
    pub col_no_app: &'static str,
    pub col_certs: &'static str,
    pub col_share: &'static str,
    pub col_days_left: &'static str,
    pub col_count: &'static str,
    pub col_per_month: &'static str,
    pub col_projected: &'static str,
    pub col_standing: &'static str,
    pub col_valid_to: &'static str,
    pub col_filed: &'static str,
    pub filed_yes: &'static str,
    pub filed_no: &'static str,
    pub sort_valid_to: &'static str,
    pub sort_risk: &'static str,
    pub sort_region: &'static str,
    pub sort_shortfall: &'static str,
    pub filter_at_risk: &'static str,
    pub shown: &'static str,
    pub no_institutions: &'static str,
    pub stats_search_help: &'static str,
    pub renewal_application: &'static str,
    pub no_warning: &'static str,
    pub total: &'static str,
    pub occ_chart: &'static str,
    /// Followed by the legend's marks: issued, projected, threshold.
    pub legend_issued: &'static str,
    pub legend_projected: &'static str,
    pub legend_threshold: &'static str,
    pub monthly_title: &'static str,
    pub months_none: &'static str,
    /// "+3" followed by this: occupations that did not fit.
    pub more_occupations: &'static str,
    // ---- exits and deadlines
    pub exit_title: &'static str,
    pub exit_cause: &'static str,
    pub exit_trigger: &'static str,
    pub exit_requested: &'static str,
    pub exit_intended_end: &'static str,
    pub exit_notice: &'static str,
    pub exit_violations: &'static str,
    pub exit_office_deadline: &'static str,
    pub exit_steps: &'static str,
    pub exit_next_key: &'static str,
    pub exit_all_done: &'static str,
    pub exit_done_on: &'static str,
    pub step_title: &'static str,
    pub step_label: &'static str,
    pub step_date: &'static str,
    pub step_number: &'static str,
    pub step_hint: &'static str,
    pub step_bad_date: &'static str,
    pub step_recorded: &'static str,
    pub step_closed: &'static str,
    pub step_not_exit: &'static str,
    pub dl_title: &'static str,
    pub dl_total: &'static str,
    pub dl_none: &'static str,
    pub col_due: &'static str,
    pub col_flag: &'static str,
    pub col_left: &'static str,
    pub col_work: &'static str,
    pub col_item: &'static str,
    pub dl_overdue: &'static str,
    pub dl_today: &'static str,
    pub dl_week: &'static str,
}

pub static ZH: Strings = Strings {
    app: "评审",
    queue: "案件队列",
    case: "案件",
    help: "按键帮助",
    history: "案件记录",
    all: "全部",
    col_case: "案件号",
    col_inst: "机构",
    col_kind: "类型",
    col_kind_mark: "类",
    col_cat: "类别",
    col_region: "地区",
    col_status: "状态",
    col_days: "天数",
    filter_kind: "类型",
    filter_cat: "类别",
    filter_region: "地区",
    filter_mine: "我的",
    filter_unassigned: "未分配",
    sort: "排序",
    search: "搜索",
    no_cases: "没有符合条件的案件",
    too_small: "终端太小：至少需要 80x24",
    facts: "机构信息",
    occupations: "职业（工种）",
    declared_recorded: "证书数：申报与记录",
    declared: "申报",
    recorded: "记录",
    sum_total: "合计",
    no_records: "无证书记录，按申报数计",
    checklist: "审查清单",
    deadlines: "期限",
    credit_code: "信用代码",
    legal_form: "组织形式",
    legal_rep: "法定代表人",
    period: "有效期",
    submitted: "申报日期",
    rules_version: "规则版本",
    assigned: "承办人",
    unassigned: "未分配",
    outcome: "结论",
    auto: "自动结果",
    mark: "评审意见",
    override_reason: "改判理由",
    note: "备注",
    case_note: "案件备注",
    levels: "等级",
    proposal: "拟办意见",
    proposed_by: "拟办人",
    decided_by: "批准人",
    editor_hint: "Ctrl-S 保存  Esc 取消（草稿已自动保存）",
    reason_title: "改判理由（必填）",
    note_title: "条目备注",
    case_note_title: "案件备注",
    draft_restored: "已恢复上次未保存的草稿",
    saved: "已保存",
    propose_title: "拟办决定",
    propose_hint: "←/→ 选择决定  空格 勾选职业  Tab 编辑理由  Ctrl-S 提交  Esc 取消",
    reasons: "理由",
    send_back_title: "退回理由",
    all_resolved: "全部条目已审结，可按 d 拟办决定",
    unresolved_left: "项待审",
    reloaded: "已重新载入",
    reloading: "正在重新统计…",
    article_missing: "未找到该条原文",
    waiting_days: "候",
    due_in: "限",
    overdue: "逾",
    keys_title: "本屏按键",
    close: "按 Esc 或 q 关闭",
    approved: "已批准",
    sent_back: "已退回",
    proposed: "已提交拟办意见",
    marked: "已标记",
    mark_cleared: "已清除标记",
    no_mark: "此项没有标记可清除",
    results: "条结果",
    drafts_waiting: "有未保存的草稿：",
    drafts_hint: "（按 n/N 打开即恢复）",
    search_help: "搜索时：输入即筛选，Enter 确认，Esc 清除",
    conflict: " 刚修改了此案件，你的操作未保存：已重新载入（已输入的文字仍在），请再操作一次",
    unresolved_block: "尚有条目待审，不能拟办此决定（可选“补正”）：",
    two_person: "双人复核：拟办人不能批准自己的拟办意见，请由另一位批准人批准",
    not_approver: "只有批准人或管理员可以批准或退回拟办意见",
    stats_title: "续期统计与预警",
    as_of: "截至",
    by_prefecture: "各市州",
    chart_at_risk: "预警",
    chart_inst: "机构",
    col_prefecture: "市州",
    col_inst_n: "机构",
    col_meets: "已达标",
    col_on_pace: "可达标",
    col_behind: "落后",
    col_at_risk: "预警",
    col_no_app: "未申请",
    col_certs: "证书",
    col_share: "预警占比",
    col_days_left: "剩余天",
    col_count: "证书/门槛",
    col_per_month: "月均",
    col_projected: "预计",
    col_standing: "进度",
    col_valid_to: "有效期至",
    col_filed: "续期申请",
    filed_yes: "已提交",
    filed_no: "未提交",
    sort_valid_to: "到期",
    sort_risk: "预警",
    sort_region: "地区",
    sort_shortfall: "差距",
    filter_at_risk: "只看预警",
    shown: "显示",
    no_institutions: "没有符合条件的机构",
    stats_search_help: "搜索时：输入即筛选（名称、拼音首字母、信用代码），Enter 确认，Esc 清除",
    renewal_application: "续期申请",
    no_warning: "未预警",
    total: "总数",
    occ_chart: "证书与门槛",
    legend_issued: "已发",
    legend_projected: "按近12月进度预计",
    legend_threshold: "门槛",
    monthly_title: "每月发证",
    months_none: "有效期尚未开始，没有发证记录",
    more_occupations: " 个职业未显示（终端加高可见）",
    exit_title: "退出",
    exit_cause: "原因",
    exit_trigger: "触发日",
    exit_requested: "申请日",
    exit_intended_end: "拟终止日",
    exit_notice: "E13 提前申请：",
    exit_violations: "违规事实",
    exit_office_deadline: "办结期限",
    exit_steps: "步骤",
    exit_next_key: "按 w 记录下一步：",
    exit_all_done: "步骤均已办完",
    exit_done_on: "已办结",
    step_title: "记录退出步骤",
    step_label: "步骤",
    step_date: "日期",
    step_number: "文号",
    step_hint: "←/→ 换步骤  Tab 换栏  Enter 保存  Esc 取消",
    step_bad_date: "日期须为 YYYY-MM-DD",
    step_recorded: "已记录：",
    step_closed: "；全部步骤办完，案件已办结",
    step_not_exit: "本案不是退出案件，没有退出步骤",
    dl_title: "期限一览",
    dl_total: "共",
    dl_none: "没有未办结的期限",
    col_due: "到期日",
    col_flag: "提示",
    col_left: "日",
    col_work: "工作日",
    col_item: "事项",
    dl_overdue: "逾期",
    dl_today: "今日到期",
    dl_week: "本周到期",
};

pub static EN: Strings = Strings {
    app: "pingshen",
    queue: "Queue",
    case: "Case",
    help: "Keys",
    history: "History",
    all: "All",
    col_case: "Case",
    col_inst: "Institution",
    col_kind: "Kind",
    col_kind_mark: "Kind",
    col_cat: "Category",
    col_region: "Region",
    col_status: "Status",
    col_days: "Days",
    filter_kind: "kind",
    filter_cat: "category",
    filter_region: "region",
    filter_mine: "mine",
    filter_unassigned: "unassigned",
    sort: "sort",
    search: "search",
    no_cases: "No cases match",
    too_small: "Terminal too small: 80x24 at least",
    facts: "Institution",
    occupations: "Occupations",
    declared_recorded: "Certificates: declared and recorded",
    declared: "declared",
    recorded: "recorded",
    sum_total: "total",
    no_records: "no certificate records; the declared counts are used",
    checklist: "Checklist",
    deadlines: "Deadlines",
    credit_code: "Credit code",
    legal_form: "Legal form",
    legal_rep: "Legal rep.",
    period: "Period",
    submitted: "Submitted",
    rules_version: "Rules",
    assigned: "Assigned",
    unassigned: "unassigned",
    outcome: "Outcome",
    auto: "Auto",
    mark: "Mark",
    override_reason: "Override reason",
    note: "Note",
    case_note: "Case note",
    levels: "levels",
    proposal: "Proposal",
    proposed_by: "Proposed by",
    decided_by: "Approved by",
    editor_hint: "Ctrl-S save  Esc cancel (the draft is kept)",
    reason_title: "Reason for overriding (required)",
    note_title: "Item note",
    case_note_title: "Case note",
    draft_restored: "An unsaved draft was restored",
    saved: "Saved",
    propose_title: "Propose a decision",
    propose_hint:
        "←/→ decision  Space toggle occupation  Tab edit reasons  Ctrl-S submit  Esc cancel",
    reasons: "Reasons",
    send_back_title: "Reason for sending back",
    all_resolved: "Every item is resolved: press d to propose",
    unresolved_left: "unresolved",
    reloaded: "Reloaded",
    reloading: "Counting again…",
    article_missing: "Article text not found",
    waiting_days: "",
    due_in: "due ",
    overdue: "late ",
    keys_title: "Keys on this screen",
    close: "Esc or q to close",
    approved: "Approved",
    sent_back: "Sent back",
    proposed: "Proposal submitted",
    marked: "Marked",
    mark_cleared: "Mark cleared",
    no_mark: "This item has no mark to clear",
    results: "results",
    drafts_waiting: "Unsaved drafts: ",
    drafts_hint: " (open with n/N to restore)",
    search_help: "While searching: typing filters, Enter keeps, Esc clears",
    conflict:
        " changed this case first; yours was not saved. Reloaded (your text is kept): try again",
    unresolved_block:
        "Items are unresolved, so this decision cannot be proposed (supplement can): ",
    two_person: "Two-person rule: the reviewer who proposed a decision cannot approve it",
    not_approver: "Only an approver or an admin may approve or send back a proposal",
    stats_title: "Renewal statistics",
    as_of: "as of",
    by_prefecture: "By pref.",
    chart_at_risk: "at risk",
    chart_inst: "inst.",
    col_prefecture: "Prefecture",
    col_inst_n: "Inst.",
    col_meets: "Meet",
    col_on_pace: "On pace",
    col_behind: "Behind",
    col_at_risk: "At risk",
    col_no_app: "Unfiled",
    col_certs: "Certs",
    col_share: "share at risk",
    col_days_left: "Days",
    col_count: "Certs/min",
    col_per_month: "/month",
    col_projected: "Proj.",
    col_standing: "Standing",
    col_valid_to: "Valid to",
    col_filed: "Renewal",
    filed_yes: "filed",
    filed_no: "none",
    sort_valid_to: "end",
    sort_risk: "risk",
    sort_region: "region",
    sort_shortfall: "shortfall",
    filter_at_risk: "at risk only",
    shown: "shown",
    no_institutions: "No institutions match",
    stats_search_help:
        "While searching: typing filters (name, pinyin initials, credit code), Enter keeps, Esc clears",
    renewal_application: "renewal application",
    no_warning: "No warning",
    total: "Total",
    occ_chart: "Certificates vs thresholds",
    legend_issued: "issued",
    legend_projected: "projected (12-month pace)",
    legend_threshold: "threshold",
    monthly_title: "Certificates per month",
    months_none: "The period has not begun: nothing issued yet",
    more_occupations: " more occupations (a taller terminal shows them)",
    exit_title: "Exit",
    exit_cause: "cause",
    exit_trigger: "trigger",
    exit_requested: "requested",
    exit_intended_end: "intended end",
    exit_notice: "E13 notice: ",
    exit_violations: "Violations",
    exit_office_deadline: "office's deadline",
    exit_steps: "Steps",
    exit_next_key: "w records the next step: ",
    exit_all_done: "every step done",
    exit_done_on: "done",
    step_title: "Record an exit step",
    step_label: "Step",
    step_date: "Date",
    step_number: "Number",
    step_hint: "←/→ step  Tab field  Enter save  Esc cancel",
    step_bad_date: "the date must be YYYY-MM-DD",
    step_recorded: "Recorded: ",
    step_closed: "; every step done, the case is closed",
    step_not_exit: "This is not an exit case: it has no exit steps",
    dl_title: "Deadlines",
    dl_total: "total",
    dl_none: "No open deadlines",
    col_due: "Due",
    col_flag: "Flag",
    col_left: "Days",
    col_work: "Work",
    col_item: "Item",
    dl_overdue: "overdue",
    dl_today: "due today",
    dl_week: "this week",
};

pub fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// Shorter words for the queue's narrow columns (English words are longer than Chinese).
pub fn short(lang: Lang, w: &str) -> &str {
    if lang == Lang::Zh {
        return word(lang, w);
    }
    match w {
        "selection" => "select",
        "renewal" => "renew",
        "social_org" => "soc.org",
        "employer" => "employer",
        "in_review" => "review",
        "supplement" => "suppl.",
        "proposed" => "propos.",
        "decided" => "decided",
        other => word(lang, other),
    }
}

/// The width of the queue's kind column: a Chinese character, or an English word of four.
pub fn kind_width(lang: Lang) -> usize {
    match lang {
        Lang::Zh => 2,
        Lang::En => 4,
    }
}

/// A case's kind in the queue's narrow column: one character in Chinese.
pub fn kind_mark(lang: Lang, kind: &str) -> &str {
    match (lang, kind) {
        (Lang::Zh, "selection") => "选",
        (Lang::Zh, "renewal") => "续",
        (Lang::Zh, "exit") => "退",
        (Lang::En, "selection") => "sel",
        (Lang::En, "renewal") => "ren",
        (lang, other) => word(lang, other),
    }
}

/// Words of the data (kinds, categories, statuses, results, decisions) in the UI language.
pub fn word(lang: Lang, w: &str) -> &str {
    if lang == Lang::En {
        return match w {
            "in_review" => "in review",
            "needs_review" => "needs review",
            "social_org" => "social org",
            "approve_partial" => "approve some",
            "private_non_enterprise" => "private non-ent.",
            "public_institution" => "public inst.",
            "government_body" => "government",
            "social_group" => "social group",
            other => other,
        };
    }
    match w {
        "selection" => "遴选",
        "renewal" => "续期",
        "exit" => "退出",
        "employer" => "用人单位",
        "school" => "院校",
        "social_org" => "社会组织",
        "new" => "新收",
        "in_review" => "审查中",
        "supplement" => "补正",
        "proposed" => "待批准",
        "decided" => "已决定",
        "closed" => "已办结",
        "pass" => "通过",
        "fail" => "不通过",
        "review" => "待审",
        "n/a" => "不适用",
        "excluded" => "不得申报",
        "ineligible" => "不符合",
        "needs_review" => "待评审",
        "eligible" => "符合",
        "approve" => "准予",
        "approve_partial" => "部分准予",
        "reject" => "不予准予",
        "applicant" => "申请中",
        "active" => "有效",
        "exiting" => "退出中",
        "exited" => "已退出",
        "refused" => "未通过",
        "enterprise" => "企业",
        "private_non_enterprise" => "民办非企业",
        "social_group" => "社会团体",
        "public_institution" => "事业单位",
        "government_body" => "政府部门",
        "reviewer" => "评审员",
        "approver" => "批准人",
        "admin" => "管理员",
        other => other,
    }
}

// ------------------------------------------------------------ renewal statistics

/// The figures of the province (or the reviewer's region) on one line.
pub fn summary_line(lang: Lang, p: &Summary) -> String {
    match lang {
        Lang::Zh => format!(
            "{}家  已达标 {}  可达标 {}  落后 {}  预警 {}  窗口已开未申请 {}",
            p.institutions, p.meets, p.on_pace, p.behind, p.at_risk, p.no_application
        ),
        Lang::En => format!(
            "{} inst.  meet {}  on pace {}  behind {}  at risk {}  unfiled {}",
            p.institutions, p.meets, p.on_pace, p.behind, p.at_risk, p.no_application
        ),
    }
}

/// Days to the end of the period, or since it ended.
pub fn days_left(lang: Lang, n: i64) -> String {
    match (lang, n >= 0) {
        (Lang::Zh, true) => format!("剩 {n} 天"),
        (Lang::Zh, false) => format!("已过期 {} 天", -n),
        (Lang::En, true) => format!("{n} days left"),
        (Lang::En, false) => format!("ended {} days ago", -n),
    }
}

/// A standing in a narrow column (the full words are `commands::stats::standing_word`).
pub fn standing_short(lang: Lang, s: Standing) -> &'static str {
    match (lang, s) {
        (Lang::Zh, Standing::Meets) => "达标",
        (Lang::Zh, Standing::OnPace) => "可达标",
        (Lang::Zh, Standing::Behind) => "落后",
        (Lang::En, Standing::Meets) => "meets",
        (Lang::En, Standing::OnPace) => "on pace",
        (Lang::En, Standing::Behind) => "behind",
    }
}

/// The recognition period and the days left in it.
pub fn period_line(lang: Lang, from: &str, to: &str, days: i64) -> String {
    match lang {
        Lang::Zh => format!("有效期 {from}..{to}（{}）", days_left(lang, days)),
        Lang::En => format!("period {from}..{to} ({})", days_left(lang, days)),
    }
}

/// The count against the threshold and where the pace leads.
pub fn count_line(lang: Lang, certificates: u64, threshold: u64, pace: &Pace) -> String {
    match lang {
        Lang::Zh => format!(
            "证书 {certificates} / 门槛 {threshold} · 按近12月进度到期预计 {}",
            pace.projected
        ),
        Lang::En => format!(
            "certificates {certificates} / threshold {threshold} · projected to the end {}",
            pace.projected
        ),
    }
}

/// The pace basis: certificates of the last 12 months and the monthly rate.
pub fn pace_line(lang: Lang, pace: &Pace) -> String {
    match lang {
        Lang::Zh => format!(
            "近12月 {} 张（按 {} 天计）· 月均 {:.1} 张",
            pace.recent, pace.basis_days, pace.per_month
        ),
        Lang::En => format!(
            "last 12 months {} (over {} days) · {:.1} a month",
            pace.recent, pace.basis_days, pace.per_month
        ),
    }
}

/// One reason for the early warning, in words with its figures. `what` names an occupation
/// measure (code and name); the total is named here.
pub fn risk_line(lang: Lang, risk: &Risk, occupation: &dyn Fn(&str) -> String) -> String {
    match risk {
        Risk::Pace {
            measure,
            projected,
            threshold,
            per_month,
        } => {
            let what = match measure {
                Measure::Total => match lang {
                    Lang::Zh => "总数".to_string(),
                    Lang::En => "total".to_string(),
                },
                Measure::Occupation(code) => occupation(code),
            };
            match lang {
                Lang::Zh => format!(
                    "{what}：预计 {projected} < {threshold}（近12月月均 {per_month:.1} 张）"
                ),
                Lang::En => {
                    format!("{what}: projected {projected} < {threshold} ({per_month:.1} a month)")
                }
            }
        }
        Risk::NoApplication { days_left: d } => match (lang, *d >= 0) {
            (Lang::Zh, true) => format!("续期窗口已开，尚未收到续期申请（剩 {d} 天）"),
            (Lang::Zh, false) => format!("有效期已过 {} 天，未收到续期申请", -d),
            (Lang::En, true) => {
                format!("renewal window open and no application filed ({d} days left)")
            }
            (Lang::En, false) => format!("period ended {} days ago and no application filed", -d),
        },
    }
}

/// Several occupations short of their threshold, on one line: (name, projected).
pub fn occupations_short(lang: Lang, threshold: u64, occs: &[(String, u64)]) -> String {
    let list: Vec<String> = occs.iter().map(|(n, p)| format!("{n} {p}")).collect();
    match lang {
        Lang::Zh => format!(
            "{} 个职业预计不足 {threshold}：{}",
            occs.len(),
            list.join("、")
        ),
        Lang::En => format!(
            "{} occupations projected under {threshold}: {}",
            occs.len(),
            list.join(", ")
        ),
    }
}

/// The span of the monthly chart: first and last month and how many are shown.
pub fn months_span(lang: Lang, first: &str, last: &str, shown: usize, all: usize) -> String {
    match (lang, shown < all) {
        (Lang::Zh, false) => format!("{first} 至 {last}，共 {all} 个月"),
        (Lang::Zh, true) => format!("{first} 至 {last}，最近 {shown} 个月（共 {all} 个月）"),
        (Lang::En, false) => format!("{first} to {last}, {all} months"),
        (Lang::En, true) => format!("{first} to {last}, the last {shown} of {all} months"),
    }
}

/// The highest month, for the chart's scale.
pub fn months_max(lang: Lang, max: u64) -> String {
    match lang {
        Lang::Zh => format!("最高 {max} 张/月"),
        Lang::En => format!("max {max} a month"),
    }
}
