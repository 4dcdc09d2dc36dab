//! The case screen: institution facts, occupations and deadlines beside (or above, on a narrow
//! terminal) the checklist grouped under its articles, and the selected item in full below.

use super::app::{App, Line as CLine, Pane};
use super::strings::word;
use super::widgets::{cut, fit};
use crate::commands::Lang;
use crate::store::review::{ChecklistRow, Mark};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// 6 → 六, 16 → 十六.
pub fn article_cn(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].to_string(),
        10 => "十".to_string(),
        11..=19 => format!("十{}", D[(n % 10) as usize]),
        _ if n.is_multiple_of(10) => format!("{}十", D[(n / 10 % 10) as usize]),
        _ => format!("{}十{}", D[(n / 10 % 10) as usize], D[(n % 10) as usize]),
    }
}

fn mark_word(m: Mark) -> &'static str {
    match m {
        Mark::Pass => "pass",
        Mark::Fail => "fail",
        Mark::Supplement => "supplement",
    }
}

/// The result a row shows: the reviewer's mark when there is one, else the automatic one.
fn shown(row: &ChecklistRow) -> &'static str {
    match row.mark {
        Some(m) => mark_word(m),
        None => row.auto_result.word(),
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let Some(cv) = &app.case else { return };
    let s = app.s;
    let t = &app.theme;
    let d = &cv.detail;
    let app_inst = &d.application.institution;
    let unresolved = d.checklist.iter().filter(|r| !r.resolved()).count();

    let mut head = format!(
        "{} {} · {} · {} · {} · {} {}",
        s.case,
        d.case_no,
        crate::text::sanitize(&app_inst.name),
        word(app.lang, &d.kind),
        word(app.lang, &d.status),
        s.outcome,
        word(app.lang, &d.outcome),
    );
    if unresolved > 0 {
        head.push_str(&format!(" · {unresolved} {}", s.unresolved_left));
    }
    f.render_widget(
        Line::styled(cut(&head, area.width as usize, t.ellipsis()), t.title()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let wide = body.width >= 110;
    let (info, list) = if wide {
        let iw = 42.min(body.width / 3);
        (
            Rect::new(body.x, body.y, iw, body.height),
            Rect::new(body.x + iw, body.y, body.width - iw, body.height),
        )
    } else {
        // An exit case's steps and deadlines are what the reviewer works on: more room.
        let ih = if cv.exit.is_some() {
            body.height / 2
        } else {
            6.min(body.height / 3)
        };
        (
            Rect::new(body.x, body.y, body.width, ih),
            Rect::new(body.x, body.y + ih, body.width, body.height - ih),
        )
    };
    render_info(f, app, info, wide);
    render_checklist(f, app, list);
}

fn info_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(cv) = &app.case else { return vec![] };
    let s = app.s;
    let t = &app.theme;
    let d = &cv.detail;
    let inst = &d.application.institution;
    let e = |x: &str| crate::text::sanitize(x);
    let region = app
        .reference
        .divisions
        .get(&inst.region)
        .map(|r| r.name.clone())
        .unwrap_or_else(|| inst.region.clone());
    let category = serde_json::to_value(inst.category)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let legal = inst
        .legal_form
        .map(|l| {
            format!(
                " · {}",
                word(app.lang, crate::domain::evaluate::legal_form_word(l))
            )
        })
        .unwrap_or_default();
    let mut lines = Vec::new();
    if let Some(x) = &cv.exit {
        // Wrapped here by display width: a wide character never lands on the border.
        for l in exit_lines(app, x) {
            lines.extend(super::widgets::wrap_line(l, width));
        }
    }
    lines.extend([
        Line::from(format!("{} {}", s.credit_code, inst.credit_code)),
        Line::from(format!("{}{legal} · {region}", word(app.lang, &category))),
        Line::from(format!(
            "{} {}",
            s.legal_rep,
            e(inst.legal_representative.as_deref().unwrap_or("-"))
        )),
        Line::from(format!(
            "{} {} · {} {}",
            s.submitted, d.application.submitted_on, s.rules_version, d.rules_version
        )),
    ]);
    if let (Some(a), Some(b)) = (inst.valid_from, inst.valid_to) {
        lines.push(Line::from(format!(
            "{} {a}..{b} ({})",
            s.period,
            word(app.lang, &d.institution_status)
        )));
    }
    lines.push(Line::from(format!(
        "{} {}",
        s.assigned,
        d.assigned_to.as_deref().unwrap_or(s.unassigned)
    )));
    lines.push(Line::styled(s.occupations.to_string(), t.header()));
    for o in &d.application.occupations {
        let levels: Vec<String> = o.levels.iter().map(|l| l.to_string()).collect();
        lines.push(Line::from(format!(
            " {} {} {} {}",
            o.code,
            e(&o.name),
            s.levels,
            levels.join("/")
        )));
    }
    if d.kind == "renewal" {
        lines.extend(declared_recorded(app, d));
    }
    // An exit's deadlines are in its own section, with their days.
    if !d.deadlines.is_empty() && cv.exit.is_none() {
        lines.push(Line::styled(s.deadlines.to_string(), t.header()));
        for (item, due, zh, en) in &d.deadlines {
            let text = if app.lang == Lang::Zh { zh } else { en };
            lines.push(Line::from(format!(" {item} {due} {}", e(text))));
        }
    }
    if let Some(p) = &d.proposal {
        lines.push(Line::styled(s.proposal.to_string(), t.header()));
        lines.push(Line::from(format!(
            " {} · {} {}",
            word(app.lang, &p.decision),
            s.proposed_by,
            d.proposed_by.as_deref().unwrap_or("-")
        )));
        if !p.occupations.is_empty() {
            lines.push(Line::from(format!(" {}", p.occupations.join(" "))));
        }
        for r in p.reasons.lines() {
            lines.push(Line::from(format!(" {}", e(r))));
        }
    }
    if let Some(by) = &d.decided_by {
        lines.push(Line::from(format!(
            "{} {by} {}",
            s.decided_by,
            d.decided_at.as_deref().unwrap_or("")
        )));
    }
    if let Some(n) = d.note.as_deref().filter(|n| !n.is_empty()) {
        lines.push(Line::styled(s.case_note.to_string(), t.header()));
        for l in n.lines() {
            lines.push(Line::from(format!(" {}", e(l))));
        }
    }
    lines
}

/// 第十三条 → Article 13 (the exit articles).
pub fn article_en(article: &str) -> String {
    (13..=16)
        .find(|n| article == format!("第{}条", article_cn(*n)))
        .map_or_else(|| article.to_string(), |n| format!("Article {n}"))
}

/// An exit: its kind and article, what set it going, the E13 check (voluntary) or the
/// violations (ordered), the deadlines with their days, and the steps in order with the next
/// one marked.
fn exit_lines(app: &App, x: &crate::store::exits::ExitView) -> Vec<Line<'static>> {
    use crate::domain::application::ExitKind;
    let s = app.s;
    let t = &app.theme;
    let zh = app.lang == Lang::Zh;
    let e = |v: &str| crate::text::sanitize(v);
    let kind = x.facts.kind;
    let article = match app.lang {
        Lang::Zh => x.article.to_string(),
        Lang::En => article_en(x.article),
    };
    let mut lines = vec![Line::styled(
        format!(
            "{} · {} · {article}",
            s.exit_title,
            crate::domain::exit::kind_name(kind, zh)
        ),
        t.header(),
    )];
    let trigger = x
        .facts
        .trigger_on
        .map(|d| format!(" · {} {d}", s.exit_trigger))
        .unwrap_or_default();
    lines.push(Line::from(format!(
        " {} {}{trigger}",
        s.exit_cause,
        x.facts.cause.name(zh)
    )));
    match kind {
        ExitKind::Voluntary => {
            let r = x.requested_on.map_or("-".to_string(), |d| d.to_string());
            let end = x.intended_end.map_or("-".to_string(), |d| d.to_string());
            lines.push(Line::from(format!(
                " {} {r} · {} {end}",
                s.exit_requested, s.exit_intended_end
            )));
            if let Some(n) = &x.notice {
                let style = if n.ok { t.pass() } else { t.fail() };
                lines.push(Line::styled(
                    format!(" {}{}", s.exit_notice, n.text(zh)),
                    style,
                ));
            }
        }
        ExitKind::Ordered => {
            if let Some(v) = x.facts.violations.as_deref().filter(|v| !v.is_empty()) {
                lines.push(Line::from(format!(
                    " {}：{}",
                    s.exit_violations,
                    e(v).replace('\n', " ")
                )));
            }
            let item = crate::domain::exit::deadline_item(kind);
            if let Some(dl) = x.deadlines.iter().find(|d| d.item == item) {
                lines.push(Line::from(format!(
                    " {} {}",
                    s.exit_office_deadline, dl.due
                )));
            }
        }
        ExitKind::Automatic => {}
    }
    if !x.deadlines.is_empty() {
        lines.push(Line::styled(s.deadlines.to_string(), t.header()));
        for dl in &x.deadlines {
            let (text, style) = match dl.done_on {
                Some(done) => (format!("{} {done}", s.exit_done_on), t.dim()),
                None => {
                    let st = &dl.status;
                    let style = if st.overdue || st.due_today {
                        t.fail()
                    } else if st.due_this_week {
                        t.review()
                    } else {
                        ratatui::style::Style::default()
                    };
                    (crate::commands::exit::days_text(st, zh), style)
                }
            };
            lines.push(Line::from(vec![
                Span::raw(format!(" {} {} ", dl.item, dl.due)),
                Span::styled(text, style),
            ]));
        }
    }
    lines.push(Line::styled(s.exit_steps.to_string(), t.header()));
    for (i, st) in x.steps.iter().enumerate() {
        let (next, done, todo) = if t.ascii {
            (">", "[x]", "[ ]")
        } else {
            ("▶", "✓", "·")
        };
        let mark = match (&st.record, st.next) {
            (Some(_), _) => format!(" {done}"),
            (None, true) => format!("{next}{todo}"),
            (None, false) => format!(" {todo}"),
        };
        let rec = st
            .record
            .as_ref()
            .map(|r| {
                format!(
                    " {}{}",
                    r.done_on,
                    r.number
                        .as_deref()
                        .map(|n| format!(" {}", e(n)))
                        .unwrap_or_default()
                )
            })
            .unwrap_or_default();
        let text = format!("{mark} {}. {}{rec}", i + 1, st.step.name(zh));
        let style = if st.next {
            t.header()
        } else if st.record.is_some() {
            t.pass()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::styled(text, style));
    }
    match x.next {
        Some(n) if !x.rejected => lines.push(Line::styled(
            format!(" {}{}", s.exit_next_key, n.name(zh)),
            t.dim(),
        )),
        None => lines.push(Line::styled(format!(" {}", s.exit_all_done), t.dim())),
        _ => {}
    }
    lines
}

/// A renewal's declared certificate counts beside those on record for the same window,
/// per occupation and in total, with the difference (what R12 asks the reviewer to weigh).
fn declared_recorded(app: &App, d: &crate::store::review::CaseDetail) -> Vec<Line<'static>> {
    let s = app.s;
    let mut lines = vec![Line::styled(
        s.declared_recorded.to_string(),
        app.theme.header(),
    )];
    let Some(rec) = &d.recorded else {
        lines.push(Line::from(format!(" {}", s.no_records)));
        return lines;
    };
    let row = |what: &str, declared: Option<u64>, recorded: u64| {
        let diff = match declared {
            Some(n) if n != recorded => format!(" ({:+})", recorded as i64 - n as i64),
            Some(_) => " (=)".to_string(),
            None => String::new(),
        };
        let declared = declared.map_or("-".to_string(), |n| n.to_string());
        Line::from(format!(
            " {what} {} {declared} · {} {recorded}{diff}",
            s.declared, s.recorded
        ))
    };
    let mut declared_total: Option<u64> = None;
    for o in &d.application.occupations {
        let declared = o.certificates_declared.map(u64::from);
        if let Some(n) = declared {
            declared_total = Some(declared_total.unwrap_or(0) + n);
        }
        let recorded = rec.per_occupation.get(&o.code).copied().unwrap_or(0);
        lines.push(row(&o.code, declared, recorded));
    }
    lines.push(row(s.sum_total, declared_total, rec.total));
    lines
}

fn render_info(f: &mut Frame, app: &App, area: Rect, wide: bool) {
    let Some(cv) = &app.case else { return };
    let t = &app.theme;
    let focused = cv.focus == Pane::Info;
    let mut block = Block::default()
        .borders(if wide {
            Borders::RIGHT
        } else {
            Borders::BOTTOM
        })
        .border_set(t.border());
    if focused {
        block = block.title(Span::styled(app.s.facts, t.selected()));
    }
    let inner_w = if wide {
        area.width.saturating_sub(1)
    } else {
        area.width
    };
    let p = Paragraph::new(info_lines(app, inner_w as usize))
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((cv.info_scroll, 0));
    f.render_widget(p, area);
}

/// An item's computed detail in the UI language.
fn row_detail<'r>(app: &App, row: &'r ChecklistRow) -> &'r str {
    if app.lang == Lang::Zh {
        &row.detail_zh
    } else {
        &row.detail_en
    }
}

/// A rule item's text in the UI language.
fn rule_text<'r>(app: &App, item: &'r crate::domain::rules::Item) -> &'r str {
    if app.lang == Lang::Zh {
        &item.zh
    } else {
        &item.en
    }
}

/// Rows the selected item's full text needs: the rule (wrapped), the automatic result, and the
/// mark and note when there are any, plus the separator.
fn detail_height(app: &App, w: u16) -> u16 {
    let Some(row) = app.selected_item() else {
        return 1;
    };
    let w = w.max(20) as usize;
    let rows = |s: &str| (super::widgets::width(s) / w + 1) as u16;
    let text = app
        .reference
        .rules
        .item(&row.item_id)
        .map(|i| rule_text(app, i))
        .unwrap_or("");
    let detail = row_detail(app, row);
    let mut h = 1
        + rows(&format!("{} 第十条（二） 4-10-01-06 {text}", row.item_id))
        + rows(&format!("xxxxxxxxxx: {detail}"));
    if row.mark.is_some() {
        h += rows(&format!(
            "{} {}",
            "x".repeat(40),
            row.override_reason.as_deref().unwrap_or("")
        ));
    }
    if let Some(n) = row.note.as_deref().filter(|n| !n.is_empty()) {
        h += rows(&format!("xxxx: {n}"));
    }
    h
}

fn render_checklist(f: &mut Frame, app: &App, area: Rect) {
    let Some(cv) = &app.case else { return };
    let t = &app.theme;
    let e = t.ellipsis();
    let detail_h = detail_height(app, area.width).min(area.height / 2);
    let list_h = area.height.saturating_sub(detail_h) as usize;
    let w = area.width as usize;
    // Keep the selection in view; the window is computed here and not stored, so drawing
    // stays a pure function of state.
    let top = if cv.selected < list_h {
        0
    } else {
        cv.selected + 1 - list_h
    };
    for (i, line) in cv.lines.iter().skip(top).take(list_h).enumerate() {
        let y = area.y + i as u16;
        let selected = top + i == cv.selected && cv.focus == Pane::Checklist;
        match line {
            CLine::Article(n) => {
                let title = match app.lang {
                    Lang::Zh => format!("第{}条", article_cn(*n)),
                    Lang::En => format!("Article {n}"),
                };
                f.render_widget(
                    Line::styled(title, t.header()),
                    Rect::new(area.x, y, area.width, 1),
                );
            }
            CLine::Item(k) => {
                let Some(row) = cv.detail.checklist.get(*k) else {
                    continue;
                };
                let word_ = shown(row);
                let manual = if row.mark.is_some() { "*" } else { " " };
                let occ = row.occupation.as_deref().unwrap_or("");
                let detail = row_detail(app, row);
                let lead = format!(
                    " {}{} {:<6} {:<10} ",
                    t.result_mark(word_),
                    manual,
                    row.item_id,
                    occ
                );
                let rest = w.saturating_sub(lead.len());
                let text = fit(detail, rest, e);
                let line = if selected {
                    Line::styled(format!("{lead}{text}"), t.selected())
                } else {
                    Line::from(vec![
                        Span::styled(lead, t.result_style(word_)),
                        Span::raw(text),
                    ])
                };
                f.render_widget(line, Rect::new(area.x, y, area.width, 1));
            }
        }
    }
    // The selected item in full.
    let da = Rect::new(
        area.x,
        area.y + list_h as u16,
        area.width,
        detail_h.min(area.height),
    );
    if let Some(row) = app.selected_item() {
        let item = app.reference.rules.item(&row.item_id);
        let cite = item.map(|i| i.cite.as_str()).unwrap_or("");
        let text = item.map(|i| rule_text(app, i)).unwrap_or("");
        let s = app.s;
        let detail = row_detail(app, row);
        let mut lines = vec![
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} {} {} ",
                        row.item_id,
                        cite,
                        row.occupation.as_deref().unwrap_or("")
                    ),
                    t.header(),
                ),
                Span::raw(text.to_string()),
            ]),
            Line::from(vec![
                Span::raw(format!("{}: ", s.auto)),
                Span::styled(
                    word(app.lang, row.auto_result.word()).to_string(),
                    t.result_style(row.auto_result.word()),
                ),
                Span::raw(format!("  {}", crate::text::sanitize(detail))),
            ]),
        ];
        if let Some(m) = row.mark {
            lines.push(Line::from(format!(
                "{}: {} ({} {}){}",
                s.mark,
                word(app.lang, mark_word(m)),
                row.marked_by.as_deref().unwrap_or(""),
                row.marked_at.as_deref().unwrap_or(""),
                row.override_reason
                    .as_deref()
                    .map(|r| format!("  {}: {}", s.override_reason, crate::text::sanitize(r)))
                    .unwrap_or_default()
            )));
        }
        if let Some(n) = row.note.as_deref().filter(|n| !n.is_empty()) {
            lines.push(Line::from(format!(
                "{}: {}",
                s.note,
                crate::text::sanitize(n).replace(['\n', '\r'], " ")
            )));
        }
        let block = Block::default()
            .borders(Borders::TOP)
            .border_set(t.border());
        // Wrapped by display width here: ratatui's own wrapping can leave a wide character
        // in the last column, which a terminal then wraps onto the next row.
        let lines: Vec<Line> = lines
            .into_iter()
            .flat_map(|l| super::widgets::wrap_line(l, usize::from(da.width)))
            .collect();
        f.render_widget(
            Paragraph::new(lines).block(block).style(Style::default()),
            da,
        );
    }
}
