//! `pingshen notice CASE_NO --out FILE.docx|FILE.md [--number N --date D] [--announcement]`:
//! the termination notice (终止评价活动通知书, art. 16) or, for an ordered exit, the public
//! announcement (art. 15), from the templates in `data/templates/`.

use super::Lang;
use crate::assets::Reference;
use crate::documents::{self, chinese_date, level_name, Fields};
use crate::domain::application::ExitKind;
use crate::domain::exit::{self, Cause, Step};
use crate::export::{extension, write_atomic};
use crate::store::exits::{self, ExitView};
use crate::store::Store;
use crate::text::sanitize;
use anyhow::{bail, Result};
use chrono::NaiveDate;
use std::path::Path;

pub struct Args<'a> {
    /// Who asks: the case must be in their region.
    pub actor: &'a crate::store::review::Actor,
    pub case_no: &'a str,
    pub out: &'a Path,
    pub number: Option<&'a str>,
    pub date: Option<NaiveDate>,
    pub announcement: bool,
    pub today: NaiveDate,
}

/// The number and date of the document: as recorded with its step, or as given. Given ones
/// must agree with a recorded step.
fn number_and_date(
    v: &ExitView,
    step: Step,
    a: &Args<'_>,
    zh: bool,
) -> Result<(String, NaiveDate, bool)> {
    let recorded = v
        .steps
        .iter()
        .find(|l| l.step == step)
        .and_then(|l| l.record.as_ref());
    let given_number = a.number.map(str::trim).filter(|n| !n.is_empty());
    match recorded {
        Some(r) => {
            let number = r.number.clone().unwrap_or_default();
            if given_number.is_some_and(|n| n != number) || a.date.is_some_and(|d| d != r.done_on) {
                bail!(
                    "{}",
                    if zh {
                        format!(
                            "{}：“{}”已记录为 {} {}，与所给文号或日期不符",
                            sanitize(&v.case_no),
                            step.zh(),
                            sanitize(&number),
                            r.done_on
                        )
                    } else {
                        format!(
                            "{}: {} is on record as {} of {}, which --number or --date contradicts",
                            sanitize(&v.case_no),
                            step.word(),
                            sanitize(&number),
                            r.done_on
                        )
                    }
                );
            }
            Ok((number, r.done_on, true))
        }
        None => match (given_number, a.date) {
            (Some(n), Some(d)) => {
                if n.chars().any(crate::text::is_unsafe) {
                    bail!("--number contains control characters");
                }
                Ok((n.to_string(), d, false))
            }
            _ => bail!(
                "{}",
                if zh {
                    format!(
                        "{}：“{}”尚未记录，请给出 --number 和 --date",
                        sanitize(&v.case_no),
                        step.zh()
                    )
                } else {
                    format!(
                        "{}: {} is not on record yet: give --number and --date",
                        sanitize(&v.case_no),
                        step.word()
                    )
                }
            ),
        },
    }
}

fn reason(v: &ExitView) -> String {
    let t = v.facts.trigger_on.map(chinese_date).unwrap_or_default();
    match v.facts.cause {
        Cause::Lapsed => format!("你单位有效期于{t}届满，未提交续期申请"),
        Cause::Refused => format!("你单位续期申请经评估不通过（{t}）"),
        Cause::Request => match (v.requested_on, v.intended_end) {
            (Some(r), Some(e)) => format!(
                "你单位于{}提交书面申请，拟于{}终止评价活动",
                chinese_date(r),
                chinese_date(e)
            ),
            _ => "你单位提交书面申请，主动退出".to_string(),
        },
        Cause::Ordered => match &v.facts.violations {
            Some(x) => format!("经查你单位存在严重违法违规行为（{x}）"),
            None => "经查你单位存在严重违法违规行为".to_string(),
        },
    }
}

/// The values of every placeholder for this exit.
pub fn fields(v: &ExitView, reference: &Reference, today: NaiveDate) -> Fields {
    let kind = v.facts.kind;
    let effective = v.exited_on.unwrap_or_else(|| {
        exit::leaves_catalogue_on(kind, v.intended_end, v.facts.trigger_on, today)
    });
    let wrap_item = exit::deadline_item(kind);
    let wrap_due = v
        .deadlines
        .iter()
        .find(|d| d.item == wrap_item)
        .map(|d| d.due);
    let done = |s: Step| {
        v.steps
            .iter()
            .find(|l| l.step == s)
            .and_then(|l| l.record.as_ref())
            .map(|r| r.done_on)
    };
    let wrap_up = match (done(Step::CertificatesReported), done(Step::FilesArchived)) {
        (Some(a), Some(b)) => format!(
            "你单位已于{}完成证书数据上报，于{}完成评价资料归档。",
            chinese_date(a),
            chinese_date(b)
        ),
        _ => match wrap_due {
            Some(d) => format!(
                "请你单位于{}前完成证书数据合规上报、评价资料整理归档等收尾工作。",
                chinese_date(d)
            ),
            None => {
                "请你单位在规定时限内完成证书数据合规上报、评价资料整理归档等收尾工作。".to_string()
            }
        },
    };
    let occupations: Vec<String> = v
        .occupations
        .iter()
        .map(|o| {
            let mut levels = o.levels.clone();
            levels.sort_unstable_by(|a, b| b.cmp(a));
            let levels: Vec<String> = levels.into_iter().map(level_name).collect();
            format!("{}（{}）{}", o.name, o.code, levels.join("、"))
        })
        .collect();
    let (pref, county) = crate::export::catalogue::place(&reference.divisions, &v.region);
    let date = |d: Option<NaiveDate>| d.map(chinese_date).unwrap_or_default();
    let mut f = Fields::new();
    f.insert("institution", v.institution.clone());
    f.insert("credit_code", v.credit_code.clone());
    f.insert("region", format!("{pref}{county}"));
    f.insert("case_no", sanitize(&v.case_no).clone());
    f.insert("article", v.article.to_string());
    f.insert("exit_kind", exit::kind_name(kind, true).to_string());
    f.insert("reason", reason(v));
    f.insert(
        "occupations",
        if occupations.is_empty() {
            "无".to_string()
        } else {
            occupations.join("；")
        },
    );
    f.insert("valid_from", date(v.valid_from));
    f.insert("valid_to", date(v.valid_to));
    f.insert("effective_date", chinese_date(effective));
    f.insert(
        "wrap_up_due",
        wrap_due
            .map(chinese_date)
            .unwrap_or_else(|| "规定时限".into()),
    );
    f.insert("wrap_up", wrap_up);
    f.insert("violations", v.facts.violations.clone().unwrap_or_default());
    for k in [
        "notice_number",
        "notice_date",
        "announcement_number",
        "announcement_date",
    ] {
        f.insert(k, String::new());
    }
    f
}

pub fn run(store: &Store, reference: &Reference, a: Args<'_>, lang: Lang) -> Result<String> {
    let zh = lang == Lang::Zh;
    let ext = extension(a.out);
    if ext != "docx" && ext != "md" {
        bail!(
            "{}: {}",
            a.out.display(),
            if zh {
                "输出文件须以 .docx 或 .md 结尾"
            } else {
                "the output file must end in .docx or .md"
            }
        );
    }
    let v = exits::exit_view(
        &store.conn,
        Some(&a.actor.region),
        a.case_no,
        a.today,
        &reference.calendar,
        &reference.rules,
    )
    .map_err(|e| super::access::explain_scope(e, a.actor, a.case_no))?;
    if v.rejected {
        bail!(
            "{}",
            if zh {
                format!("{}：退出决定为不予退出，不出具文书", sanitize(&v.case_no))
            } else {
                format!(
                    "{}: the exit was rejected; there is nothing to issue",
                    sanitize(&v.case_no)
                )
            }
        );
    }
    let mut fields = fields(&v, reference, a.today);
    let (template, step, title) = if a.announcement {
        if v.facts.kind != ExitKind::Ordered {
            bail!(
                "{}",
                if zh {
                    format!(
                        "{}：社会公告仅用于责令终止退出（第十五条）",
                        sanitize(&v.case_no)
                    )
                } else {
                    format!(
                        "{}: the public announcement is for ordered exits (art. 15) only",
                        sanitize(&v.case_no)
                    )
                }
            );
        }
        if v.facts.violations.is_none() {
            bail!(
                "{}",
                if zh {
                    format!(
                        "{0}：尚未记录违法违规情形：pingshen exit order {0} --violations 文字",
                        sanitize(&v.case_no)
                    )
                } else {
                    format!(
                        "{0}: the violations are not recorded: pingshen exit order {0} --violations TEXT",
                        sanitize(&v.case_no)
                    )
                }
            );
        }
        (
            "public-announcement.zh.md",
            Step::Announced,
            ("社会公告", "public announcement"),
        )
    } else {
        (
            "termination-notice.zh.md",
            Step::TerminationNotice,
            ("终止评价活动通知书", "termination notice"),
        )
    };
    let (number, date, recorded) = number_and_date(&v, step, &a, zh)?;
    let (num_key, date_key) = if a.announcement {
        ("announcement_number", "announcement_date")
    } else {
        ("notice_number", "notice_date")
    };
    fields.insert(num_key, number.clone());
    fields.insert(date_key, chinese_date(date));
    if !a.announcement {
        // The notice may cite the announcement when there is one.
        if let Some(r) = v
            .steps
            .iter()
            .find(|l| l.step == Step::Announced)
            .and_then(|l| l.record.as_ref())
        {
            fields.insert("announcement_number", r.number.clone().unwrap_or_default());
            fields.insert("announcement_date", chinese_date(r.done_on));
        }
    }
    let (text, origin) = crate::assets::template(template)?;
    let md = documents::render(&text, &origin, &fields)?;
    let bytes = if ext == "docx" {
        documents::docx(&md)?
    } else {
        md.into_bytes()
    };
    write_atomic(a.out, &bytes)?;
    let mut out = if zh {
        format!(
            "已生成{}：{}（案件 {}，文号 {}，{}）\n",
            title.0,
            a.out.display(),
            sanitize(&v.case_no),
            sanitize(&number),
            date
        )
    } else {
        format!(
            "wrote the {}: {} (case {}, number {}, {})\n",
            title.1,
            a.out.display(),
            sanitize(&v.case_no),
            sanitize(&number),
            date
        )
    };
    if !v.approved && v.case_status != "closed" {
        out.push_str(if zh {
            "注意：本案退出尚未决定，所生成文书仅为草稿。\n"
        } else {
            "note: the exit is not yet decided; this document is a draft.\n"
        });
    }
    if !recorded {
        out.push_str(&if zh {
            format!(
                "出具后请记录：pingshen exit step {} {} --date {date} --number '{}'\n",
                sanitize(&v.case_no),
                step.word(),
                sanitize(&number)
            )
        } else {
            format!(
                "once issued, record it: pingshen exit step {} {} --date {date} --number '{}'\n",
                sanitize(&v.case_no),
                step.word(),
                sanitize(&number)
            )
        });
    }
    Ok(out)
}
