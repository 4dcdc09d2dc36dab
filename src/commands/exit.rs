//! Exits on the command line: `pingshen sweep`, `pingshen exit step|show|order` and
//! `pingshen deadlines`. The work is in `store::exits` and `domain::exit`; this formats it.

use super::{access, Lang};
use crate::assets::Reference;
use crate::domain::exit::{self, Step, StepError};
use crate::store::exits::{self, ExitView, OpenDeadline, Refs, StepInput, SweepReport};
use crate::store::review;
use crate::store::Store;
use crate::text::sanitize;
use anyhow::{anyhow, Result};
use chrono::NaiveDate;

pub fn refs(reference: &Reference) -> Refs<'_> {
    Refs {
        rules: &reference.rules,
        calendar: &reference.calendar,
        divisions: &reference.divisions,
    }
}

/// A store refusal in the output language: step-order and date problems have Chinese text.
pub fn explain(e: anyhow::Error, lang: Lang) -> anyhow::Error {
    if lang == Lang::Zh {
        if let Some(s) = e.downcast_ref::<StepError>() {
            return anyhow!("{}", s.zh());
        }
    }
    e
}

fn warning_lines(years: impl IntoIterator<Item = i32>, zh: bool) -> String {
    let mut years: Vec<i32> = years.into_iter().collect();
    years.sort_unstable();
    years.dedup();
    years
        .into_iter()
        .map(|y| {
            format!(
                "{}: {}\n",
                if zh { "注意" } else { "warning" },
                exit::calendar_warning(y, zh)
            )
        })
        .collect()
}

// ------------------------------------------------------------------------------ sweep

/// `region`: the caller's (`None`: the province); nothing outside it is opened.
pub fn sweep(
    store: &Store,
    account: &str,
    region: Option<&str>,
    reference: &Reference,
    today: NaiveDate,
    lang: Lang,
    json: bool,
) -> Result<String> {
    let r = exits::sweep_in(&store.conn, account, region, today, refs(reference))?;
    if json {
        return Ok(serde_json::to_string_pretty(&r)? + "\n");
    }
    Ok(sweep_text(&r, today, lang))
}

pub fn sweep_text(r: &SweepReport, today: NaiveDate, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut out = String::new();
    if r.opened.is_empty() {
        out.push_str(&if zh {
            format!("自动终止退出（第十四条）：截至 {today} 无需处理，没有新的情形。\n")
        } else {
            format!("automatic exits (art. 14) as of {today}: nothing to do.\n")
        });
    } else {
        out.push_str(&if zh {
            format!(
                "自动终止退出（第十四条）：截至 {today} 新建 {} 件退出案件：\n",
                r.opened.len()
            )
        } else {
            format!(
                "automatic exits (art. 14) as of {today}: opened {} exit case(s):\n",
                r.opened.len()
            )
        });
        for o in &r.opened {
            let cause = match &o.source_case {
                Some(src) => format!(
                    "{}（{}，{}）",
                    o.cause.name(zh),
                    sanitize(src),
                    o.trigger_on
                ),
                None => format!("{}（{}）", o.cause.name(zh), o.trigger_on),
            };
            out.push_str(&if zh {
                format!(
                    "  {}  {}  {}  {}  收尾截止 {}  {} 起移出目录\n",
                    o.case_no,
                    sanitize(&o.credit_code),
                    sanitize(&o.institution),
                    cause,
                    o.due,
                    o.leaves_catalogue_on
                )
            } else {
                format!(
                    "  {}  {}  {}  {}  wrap-up due {}  out of the catalogue from {}\n",
                    o.case_no,
                    sanitize(&o.credit_code),
                    sanitize(&o.institution),
                    cause
                        .replace('（', " (")
                        .replace('，', ", ")
                        .replace('）', ")"),
                    o.due,
                    o.leaves_catalogue_on
                )
            });
        }
    }
    for s in &r.skipped {
        out.push_str(&if zh {
            format!(
                "  未能建立：{} {}：{}\n",
                sanitize(&s.credit_code),
                sanitize(&s.institution),
                sanitize(&s.reason)
            )
        } else {
            format!(
                "  not opened: {} {}: {}\n",
                sanitize(&s.credit_code),
                sanitize(&s.institution),
                sanitize(&s.reason)
            )
        });
    }
    out.push_str(&warning_lines(
        r.opened
            .iter()
            .flat_map(|o| o.unknown_years.iter().copied()),
        zh,
    ));
    out
}

// ------------------------------------------------------------------------------ exit step

pub struct StepArgs<'a> {
    pub case_no: &'a str,
    pub step: &'a str,
    pub date: NaiveDate,
    pub number: Option<&'a str>,
    pub note: Option<&'a str>,
    pub today: NaiveDate,
}

pub fn step(store: &Store, account: &str, a: StepArgs<'_>, lang: Lang) -> Result<String> {
    let zh = lang == Lang::Zh;
    let step = Step::from_word(a.step).ok_or_else(|| {
        anyhow!(
            "{} '{}' {}: {}",
            if zh { "步骤" } else { "step" },
            sanitize(a.step),
            if zh {
                "不存在，可用"
            } else {
                "is not one of"
            },
            Step::ALL.map(Step::word).join(", ")
        )
    })?;
    let actor = review::actor(&store.conn, account)?;
    let out = exits::record_step(
        &store.conn,
        &actor,
        a.case_no,
        None,
        StepInput {
            step,
            on: a.date,
            number: a.number,
            note: a.note,
        },
        a.today,
    )
    .map_err(|e| explain(access::explain_scope(e, &actor, a.case_no), lang))?;
    let mut s = if zh {
        format!(
            "{}：已记录“{}”（{}）",
            sanitize(&out.case_no),
            step.zh(),
            a.date
        )
    } else {
        format!(
            "{}: recorded {} ({})",
            sanitize(&out.case_no),
            step.en(),
            a.date
        )
    };
    if let Some(n) = a.number.filter(|_| step.needs_number()) {
        s.push_str(&if zh {
            format!("，文号 {}", sanitize(n.trim()))
        } else {
            format!(", number {}", sanitize(n.trim()))
        });
    }
    s.push_str(if zh { "。\n" } else { ".\n" });
    if let Some((item, on)) = &out.deadline_done {
        s.push_str(&if zh {
            format!("收尾工作于 {on} 完成，期限 {item} 已办结。\n")
        } else {
            format!("wrap-up complete on {on}: deadline {item} done.\n")
        });
    }
    match out.next {
        Some(n) => s.push_str(&if zh {
            format!("下一步：{}（{}）。\n", n.zh(), n.word())
        } else {
            format!("next: {} ({}).\n", n.en(), n.word())
        }),
        None => s.push_str(&if zh {
            format!(
                "全部步骤已完成：案件已办结，机构状态：{}。\n",
                institution_status_zh(&out.institution_status)
            )
        } else {
            format!(
                "every step done: the case is closed, the institution is {}.\n",
                out.institution_status
            )
        }),
    }
    Ok(s)
}

pub fn order(
    store: &Store,
    account: &str,
    case_no: &str,
    violations: Option<&str>,
    deadline: Option<NaiveDate>,
    lang: Lang,
) -> Result<String> {
    let actor = review::actor(&store.conn, account)?;
    exits::set_order(&store.conn, &actor, case_no, violations, deadline)
        .map_err(|e| access::explain_scope(e, &actor, case_no))?;
    let zh = lang == Lang::Zh;
    let mut s = if zh {
        format!("{case_no}：已更新责令终止退出（第十五条）")
    } else {
        format!("{case_no}: ordered exit (art. 15) updated")
    };
    if let Some(d) = deadline {
        s.push_str(&if zh {
            format!("，收尾期限 {d}")
        } else {
            format!(", wrap-up due {d}")
        });
    }
    if violations.is_some() {
        s.push_str(if zh {
            "，违法违规情形已记录"
        } else {
            ", violations recorded"
        });
    }
    s.push_str(if zh { "。\n" } else { ".\n" });
    Ok(s)
}

// ------------------------------------------------------------------------------ exit show

pub fn case_status_zh(s: &str) -> &str {
    match s {
        "new" => "新收",
        "in_review" => "审核中",
        "supplement" => "待补正",
        "proposed" => "待批准",
        "decided" => "已决定",
        "closed" => "已办结",
        other => other,
    }
}

pub fn institution_status_zh(s: &str) -> &str {
    match s {
        "applicant" => "申报中",
        "active" => "在册",
        "exiting" => "退出中",
        "exited" => "已退出",
        "refused" => "未通过",
        other => other,
    }
}

/// One exit case of `actor`'s region, as the desk's exit pane has it.
pub fn show(
    store: &Store,
    actor: &review::Actor,
    reference: &Reference,
    case_no: &str,
    today: NaiveDate,
    lang: Lang,
    json: bool,
) -> Result<String> {
    let v = exits::exit_view(
        &store.conn,
        Some(&actor.region),
        case_no,
        today,
        &reference.calendar,
        &reference.rules,
    )
    .map_err(|e| access::explain_scope(e, actor, case_no))?;
    if json {
        return Ok(serde_json::to_string_pretty(&v)? + "\n");
    }
    Ok(show_text(&v, lang))
}

pub fn show_text(v: &ExitView, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let kind = v.facts.kind;
    let mut s = String::new();
    let status = if zh {
        case_status_zh(&v.case_status).to_string()
    } else {
        v.case_status.clone()
    };
    s.push_str(&format!(
        "{}  {}（{}）  {}\n",
        sanitize(&v.case_no),
        exit::kind_name(kind, zh),
        v.article,
        status
    ));
    let inst_status = if zh {
        institution_status_zh(&v.institution_status).to_string()
    } else {
        v.institution_status.clone()
    };
    s.push_str(&if zh {
        format!(
            "机构：{}（{}），{}",
            sanitize(&v.institution),
            sanitize(&v.credit_code),
            inst_status
        )
    } else {
        format!(
            "institution: {} ({}), {}",
            sanitize(&v.institution),
            sanitize(&v.credit_code),
            inst_status
        )
    });
    if let Some(d) = v.exited_on {
        s.push_str(&if zh {
            format!("，{d} 起不在目录")
        } else {
            format!(", out of the catalogue from {d}")
        });
    }
    s.push('\n');
    let trigger = v
        .facts
        .trigger_on
        .map(|d| d.to_string())
        .unwrap_or_default();
    s.push_str(&if zh {
        format!("起因：{}  {}", v.facts.cause.name(true), trigger)
    } else {
        format!("cause: {}  {}", v.facts.cause.name(false), trigger)
    });
    if let Some(src) = &v.facts.source_case {
        s.push_str(&format!(" ({})", sanitize(src)));
    }
    s.push('\n');
    if let Some(n) = &v.notice {
        s.push_str(&format!("E13 {}\n", n.text(zh)));
    }
    if let Some(viol) = &v.facts.violations {
        s.push_str(&if zh {
            format!("违法违规情形：{}\n", sanitize(viol))
        } else {
            format!("violations: {}\n", sanitize(viol))
        });
    }
    for d in &v.deadlines {
        let detail = if zh { &d.detail_zh } else { &d.detail_en };
        let state = match d.done_on {
            Some(on) => {
                if zh {
                    format!("已于 {on} 办结")
                } else {
                    format!("done {on}")
                }
            }
            None => days_text(&d.status, zh),
        };
        s.push_str(&format!(
            "{} {}  {}  {}\n",
            d.item,
            d.due,
            state,
            sanitize(detail)
        ));
        if d.done_on.is_none() {
            for w in d.status.warnings(zh) {
                s.push_str(&format!("  {w}\n"));
            }
        }
    }
    s.push_str(if zh { "步骤：\n" } else { "steps:\n" });
    for line in &v.steps {
        let mark = if line.record.is_some() { "[x]" } else { "[ ]" };
        let mut t = format!("  {mark} {} {}", line.step.name(zh), line.cite);
        if let Some(r) = &line.record {
            t.push_str(&format!("  {}", r.done_on));
            if let Some(n) = &r.number {
                t.push_str(&format!("  {}", sanitize(n)));
            }
            t.push_str(&format!("  ({})", sanitize(&r.account)));
        } else if line.next {
            t.push_str(if zh { "  ← 下一步" } else { "  <- next" });
        }
        t.push_str(&format!("  [{}]\n", line.step.word()));
        s.push_str(&t);
    }
    if v.rejected {
        s.push_str(if zh {
            "退出决定为不予退出：无收尾步骤。\n"
        } else {
            "the exit was rejected: no wrap-up.\n"
        });
    } else if !v.approved && v.case_status != "closed" {
        s.push_str(if zh {
            "退出尚未决定：可先记录收尾工作；公告与第十六条事项须在决定批准后办理。\n"
        } else {
            "the exit is not yet decided: the wrap-up may be recorded; the announcement and art. 16 wait for the decision.\n"
        });
    }
    s
}

/// "剩 5 日（3 个工作日）" / "逾期 4 日（3 个工作日）" with the flag.
pub fn days_text(st: &exit::DeadlineStatus, zh: bool) -> String {
    let flag = st.flag(zh);
    let cal = st.calendar_days_left;
    let work = st.working_days_left;
    let core = match (zh, st.overdue) {
        (true, true) => format!("逾期 {} 日（{} 个工作日）", -cal, -work),
        (true, false) => format!("剩 {cal} 日（{work} 个工作日）"),
        (false, true) => format!("{} days overdue ({} working days)", -cal, -work),
        (false, false) => format!("{cal} days left ({work} working days)"),
    };
    if flag.is_empty() || st.overdue {
        core
    } else {
        format!("{flag}，{core}")
    }
}

// ------------------------------------------------------------------------------ deadlines

pub fn deadlines(
    store: &Store,
    reference: &Reference,
    today: NaiveDate,
    region: Option<&str>,
    lang: Lang,
    json: bool,
) -> Result<String> {
    let rows = exits::open_deadlines(&store.conn, region, today, &reference.calendar)?;
    if json {
        #[derive(serde::Serialize)]
        struct Out<'a> {
            as_of: String,
            deadlines: &'a [OpenDeadline],
            warnings: Vec<String>,
        }
        let mut years: Vec<i32> = rows
            .iter()
            .flat_map(|r| r.status.unknown_years.iter().copied())
            .collect();
        years.sort_unstable();
        years.dedup();
        let out = Out {
            as_of: today.to_string(),
            deadlines: &rows,
            warnings: years
                .iter()
                .map(|y| exit::calendar_warning(*y, false))
                .collect(),
        };
        return Ok(serde_json::to_string_pretty(&out)? + "\n");
    }
    Ok(deadlines_table(
        &rows,
        today,
        lang,
        colour(),
        &reference.divisions,
    ))
}

/// Colour on a terminal unless NO_COLOR is set; the flag is in words either way.
fn colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

pub fn deadlines_table(
    rows: &[OpenDeadline],
    today: NaiveDate,
    lang: Lang,
    colour: bool,
    divisions: &crate::domain::Divisions,
) -> String {
    use comfy_table::{presets::ASCII_BORDERS_ONLY_CONDENSED, Cell, Color, Table};
    let zh = lang == Lang::Zh;
    let mut t = Table::new();
    t.load_preset(ASCII_BORDERS_ONLY_CONDENSED);
    t.set_header(if zh {
        vec![
            "到期日",
            "状态",
            "日历日",
            "工作日",
            "案件",
            "事项",
            "退出类型",
            "机构",
            "地区",
        ]
    } else {
        vec![
            "due",
            "status",
            "days",
            "working days",
            "case",
            "item",
            "exit",
            "institution",
            "region",
        ]
    });
    let (mut overdue, mut week) = (0, 0);
    for r in rows {
        let st = &r.status;
        if st.overdue {
            overdue += 1;
        } else if st.due_this_week {
            week += 1;
        }
        let flag = st.flag(zh);
        let mut flag_cell = Cell::new(&flag);
        if colour && st.overdue {
            flag_cell = flag_cell.fg(Color::Red);
        } else if colour && st.due_this_week {
            flag_cell = flag_cell.fg(Color::Yellow);
        }
        let name: String = sanitize(&r.institution).chars().take(18).collect();
        t.add_row(vec![
            Cell::new(st.due.to_string()),
            flag_cell,
            Cell::new(st.calendar_days_left.to_string()),
            Cell::new(st.working_days_left.to_string()),
            Cell::new(sanitize(&r.case_no)),
            Cell::new(sanitize(&r.item)),
            Cell::new(r.exit_kind.map(|k| exit::kind_name(k, zh)).unwrap_or("")),
            Cell::new(name),
            Cell::new({
                let (p, c) = crate::export::catalogue::place(divisions, &r.region);
                if p.is_empty() {
                    sanitize(&r.region)
                } else {
                    format!("{p}{c}")
                }
            }),
        ]);
    }
    let summary = if zh {
        format!(
            "截至 {today}：未办结期限 {} 项，其中逾期 {overdue} 项，本周到期 {week} 项（剩余天数为负即已逾期）",
            rows.len()
        )
    } else {
        format!(
            "As of {today}: {} open deadline(s), {overdue} overdue, {week} due this week (negative days: overdue)",
            rows.len()
        )
    };
    let warnings = warning_lines(
        rows.iter()
            .flat_map(|r| r.status.unknown_years.iter().copied()),
        zh,
    );
    if rows.is_empty() {
        return format!("{summary}\n{warnings}");
    }
    format!("{t}\n{summary}\n{warnings}")
}
