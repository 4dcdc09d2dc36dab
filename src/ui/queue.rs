//! The queue screen: status tabs with counts, the active filters, the case list, and the
//! search line. Draws from `App` state only.

use super::app::{App, TABS};
use super::strings::{kind_mark, kind_width, short, word};
use super::widgets::{fit, fit_right, width};
use crate::commands::Lang;
use crate::store::review::{QueueRow, QueueSort};
use chrono::NaiveDate;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

/// Column widths in cells; the institution, last, takes what is left. A row costs what its
/// text costs on the wire (each scrolled-in row is sent whole), so the queue keeps to what
/// triage needs: the kind as one character, and the institution's category left to the case
/// screen and the category filter. The name goes last, where its padding costs nothing.
const W_CASE: usize = 14;
const W_REGION: usize = 10;
const W_STATUS: usize = 7;
const W_DAYS: usize = 7;

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let s = app.s;
    let t = &app.theme;
    let w = area.width as usize;
    let mut y = area.y;

    // Tabs with counts: the reviewer sees at once where the work is.
    let mut spans = vec![Span::styled(format!("{} ", s.app), t.title())];
    let total: usize = app.queue.counts.iter().map(|c| c.1).sum();
    for (i, tab) in TABS.iter().enumerate() {
        let (label, n) = match tab {
            None => (s.all.to_string(), total),
            Some(st) => (
                word(app.lang, st).to_string(),
                app.queue
                    .counts
                    .iter()
                    .find(|c| c.0 == *st)
                    .map(|c| c.1)
                    .unwrap_or(0),
            ),
        };
        let text = format!(" {label} {n} ");
        let style = if i == app.queue.tab {
            t.tab_active()
        } else {
            t.dim()
        };
        spans.push(Span::styled(text, style));
    }
    f.render_widget(Line::from(spans), Rect::new(area.x, y, area.width, 1));
    y += 1;

    // Filters, sort and search on one line.
    let q = &app.queue;
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = &q.filter.kind {
        parts.push(format!("{}:{}", s.filter_kind, word(app.lang, k)));
    }
    if let Some(c) = &q.filter.category {
        parts.push(format!("{}:{}", s.filter_cat, word(app.lang, c)));
    }
    if q.region > 0 {
        if let Some((_, name)) = app.prefectures.get(q.region - 1) {
            parts.push(format!("{}:{}", s.filter_region, name));
        }
    }
    if q.filter.mine {
        parts.push(s.filter_mine.to_string());
    }
    if q.filter.unassigned {
        parts.push(s.filter_unassigned.to_string());
    }
    let sort = match q.sort {
        QueueSort::Waiting => s.col_days,
        QueueSort::Deadline => s.deadlines,
        QueueSort::CaseNo => s.col_case,
        QueueSort::Institution => s.col_inst,
        QueueSort::Region => s.col_region,
    };
    parts.push(format!("{}:{}", s.sort, sort));
    let mut line = vec![Span::raw(parts.join("  "))];
    // A query longer than the room left shows its end, where it is typed.
    let room = (area.width as usize).saturating_sub(width(&parts.join("  ")) + 3);
    let shown = super::widgets::tail(
        &crate::text::sanitize(&q.query),
        room.saturating_sub(1),
        app.theme.ellipsis(),
    );
    if q.typing || !q.query.is_empty() {
        line.push(Span::raw("  "));
        line.push(Span::styled(format!("/{shown}"), t.header()));
        if !q.query.is_empty() {
            line.push(Span::styled(
                format!(" ({} {})", q.total, s.results),
                t.dim(),
            ));
        }
    }
    f.render_widget(Line::from(line), Rect::new(area.x, y, area.width, 1));
    if q.typing {
        // The real cursor sits where the query is typed, so an input method's window follows.
        let used = width(&parts.join("  ")) + 3 + width(&shown);
        f.set_cursor_position((area.x + (used as u16).min(area.width.saturating_sub(1)), y));
    }
    y += 1;

    let w_kind = kind_width(app.lang);
    let inst_w = w
        .saturating_sub(W_CASE + w_kind + W_STATUS + W_DAYS + W_REGION + 5)
        .max(6);
    let header = format!(
        "{} {} {} {} {} {}",
        fit(s.col_case, W_CASE, ""),
        fit(s.col_kind_mark, w_kind, ""),
        fit(s.col_status, W_STATUS, ""),
        fit_right(s.col_days, W_DAYS),
        fit(s.col_region, W_REGION, ""),
        fit(s.col_inst, inst_w, ""),
    );
    f.render_widget(
        Line::styled(header, t.header()),
        Rect::new(area.x, y, area.width, 1),
    );
    y += 1;

    let h = app.list_height();
    if q.total == 0 {
        f.render_widget(
            Line::styled(format!("  {}", s.no_cases), t.dim()),
            Rect::new(area.x, y, area.width, 1),
        );
        return;
    }
    for i in 0..h {
        let idx = q.top + i;
        if idx >= q.total {
            break;
        }
        let Some(row) = idx.checked_sub(q.rows_start).and_then(|k| q.rows.get(k)) else {
            break;
        };
        let (case_no, rest) = row_text(app, row, inst_w);
        // Only the case number is marked: moving the selection then repaints two short
        // fields, not two whole rows (a few dozen bytes a key on a slow link, as mutt's
        // arrow cursor does).
        let mark = if idx == q.selected {
            t.selected()
        } else {
            ratatui::style::Style::default()
        };
        f.render_widget(
            Line::from(vec![Span::styled(case_no, mark), Span::raw(rest)]),
            Rect::new(area.x, y + i as u16, area.width, 1),
        );
    }
}

fn region_name(app: &App, code: &str) -> String {
    app.reference
        .divisions
        .get(code)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// Days to the next deadline, or days the case has waited.
pub fn days(app: &App, row: &QueueRow) -> String {
    let s = app.s;
    let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    if let Some(due) = row.next_due.as_deref().and_then(parse) {
        let n = (due - app.today).num_days();
        return if n >= 0 {
            format!("{}{n}", s.due_in)
        } else {
            format!("{}{}", s.overdue, -n)
        };
    }
    match parse(&row.submitted_on) {
        Some(d) => {
            let n = (app.today - d).num_days().max(0);
            if app.lang == Lang::Zh {
                format!("{}{n}", s.waiting_days)
            } else {
                format!("{n}d")
            }
        }
        None => String::new(),
    }
}

/// A queue row: the case number, then the rest of the row after it.
fn row_text(app: &App, row: &QueueRow, inst_w: usize) -> (String, String) {
    let e = app.theme.ellipsis();
    (
        fit(&row.case_no, W_CASE, e),
        format!(
            " {} {} {} {} {}",
            fit(kind_mark(app.lang, &row.kind), kind_width(app.lang), e),
            fit(short(app.lang, &row.status), W_STATUS, e),
            fit_right(&days(app, row), W_DAYS),
            fit(&region_name(app, &row.region), W_REGION, e),
            fit(&row.institution, inst_w, e),
        ),
    )
}
