//! Every open deadline across cases (within the reviewer's region), earliest first: due date,
//! calendar and working days left, the flag in words and colour, case, item, kind,
//! institution and region. Read once when opened (one query) and again on `r`; moving draws
//! from what was read.

use super::app::App;
use super::strings::word;
use super::widgets::{cut, fit, fit_right, width};
use crate::commands::Lang;
use crate::domain::application::ExitKind;
use crate::domain::exit;
use crate::store::exits::OpenDeadline;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::Frame;

pub struct DeadlinesView {
    pub rows: Vec<OpenDeadline>,
    pub selected: usize,
    pub top: usize,
    /// Years the workday calendar lacks, over every row.
    pub unknown_years: Vec<i32>,
    /// Each row's region name, read once.
    pub regions: Vec<String>,
    /// The widest value of each column, measured once when read (not on every frame).
    pub widths: Widths,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Widths {
    pub flag: usize,
    pub days: usize,
    pub work: usize,
    pub case: usize,
    pub item: usize,
    pub kind_narrow: usize,
    pub kind_wide: usize,
    pub region: usize,
}

impl DeadlinesView {
    pub fn new(rows: Vec<OpenDeadline>, app: &App) -> Self {
        let zh = app.lang == Lang::Zh;
        let regions: Vec<String> = rows.iter().map(|r| region_name(app, &r.region)).collect();
        let max = |f: &dyn Fn(&OpenDeadline) -> usize| rows.iter().map(f).max().unwrap_or(0);
        let widths = Widths {
            flag: max(&|r| width(&r.status.flag(zh))),
            days: max(&|r| r.status.calendar_days_left.to_string().len()),
            work: max(&|r| r.status.working_days_left.to_string().len()),
            case: max(&|r| width(&r.case_no)),
            item: max(&|r| width(&r.item)),
            kind_narrow: max(&|r| width(&kind_text(app, r, false))),
            kind_wide: max(&|r| width(&kind_text(app, r, true))),
            region: regions.iter().map(|r| width(r)).max().unwrap_or(0),
        };
        let mut unknown_years: Vec<i32> = rows
            .iter()
            .flat_map(|r| r.status.unknown_years.iter().copied())
            .collect();
        unknown_years.sort_unstable();
        unknown_years.dedup();
        Self {
            rows,
            selected: 0,
            top: 0,
            unknown_years,
            regions,
            widths,
        }
    }

    pub fn selected_row(&self) -> Option<&OpenDeadline> {
        self.rows.get(self.selected)
    }

    /// Moves the selection (clamped); true when it moved.
    pub fn move_to(&mut self, to: isize, h: usize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let new = to.clamp(0, self.rows.len() as isize - 1) as usize;
        if new == self.selected {
            return false;
        }
        self.selected = new;
        self.top = window_top(self.selected, self.top, h);
        true
    }
}

fn window_top(selected: usize, top: usize, h: usize) -> usize {
    let h = h.max(1);
    if selected < top {
        selected
    } else if selected >= top + h {
        selected + 1 - h
    } else {
        top
    }
}

/// Lines of the calendar warning shown above the list (at most two).
fn warning_lines(dv: &DeadlinesView) -> usize {
    dv.unknown_years.len().min(2)
}

/// Rows of the list that fit: the screen less the two bottom lines, the title, the
/// warnings, the column header and the selected row's detail line.
pub fn list_height(size: (u16, u16), dv: &DeadlinesView) -> usize {
    (size.1 as usize)
        .saturating_sub(2 + 1 + warning_lines(dv) + 1 + 1)
        .max(1)
}

/// The flag's style: overdue red, due today or this week yellow; plain without colour (the
/// flag's words say it too).
fn flag_style(app: &App, st: &exit::DeadlineStatus) -> Style {
    let t = &app.theme;
    if st.overdue || st.due_today {
        t.fail()
    } else if st.due_this_week {
        t.review()
    } else {
        Style::default()
    }
}

fn kind_text(app: &App, r: &OpenDeadline, wide: bool) -> String {
    let zh = app.lang == Lang::Zh;
    match r.exit_kind {
        Some(k) if wide => exit::kind_name(k, zh).to_string(),
        Some(k) => match (k, zh) {
            (ExitKind::Voluntary, true) => "自愿退出",
            (ExitKind::Automatic, true) => "自动退出",
            (ExitKind::Ordered, true) => "责令退出",
            (ExitKind::Voluntary, false) => "volunt.",
            (ExitKind::Automatic, false) => "auto.",
            (ExitKind::Ordered, false) => "ordered",
        }
        .to_string(),
        None => word(app.lang, &r.case_kind).to_string(),
    }
}

fn region_name(app: &App, code: &str) -> String {
    app.reference
        .divisions
        .get(code)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| code.to_string())
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let Some(dv) = &app.deadlines else { return };
    let s = app.s;
    let t = &app.theme;
    let e = t.ellipsis();
    let zh = app.lang == Lang::Zh;
    let w = area.width as usize;
    let wide = area.width >= 110;
    let count =
        |p: fn(&exit::DeadlineStatus) -> bool| dv.rows.iter().filter(|r| p(&r.status)).count();
    let title = format!(
        "{} · {} {} · {} {} · {} {} · {} {} · {} {}",
        s.dl_title,
        s.dl_total,
        dv.rows.len(),
        s.dl_overdue,
        count(|st| st.overdue),
        s.dl_today,
        count(|st| st.due_today),
        s.dl_week,
        count(|st| st.due_this_week && !st.due_today),
        s.as_of,
        app.today,
    );
    let mut y = area.y;
    let bottom = area.y + area.height;
    f.render_widget(
        Line::styled(cut(&title, w, e), t.title()),
        Rect::new(area.x, y, area.width, 1),
    );
    y += 1;
    for year in dv.unknown_years.iter().take(2) {
        f.render_widget(
            Line::styled(cut(&exit::calendar_warning(*year, zh), w, e), t.review()),
            Rect::new(area.x, y, area.width, 1),
        );
        y += 1;
    }
    if dv.rows.is_empty() {
        f.render_widget(
            Line::from(s.dl_none),
            Rect::new(area.x, y + 1, area.width, 1),
        );
        return;
    }

    // Column widths: what the rows hold (measured when read), within limits; the
    // institution takes the rest.
    let cw = &dv.widths;
    let col = |v: usize, head: &str, cap: usize| v.max(width(head)).min(cap);
    let w_flag = col(cw.flag, s.col_flag, 13);
    let w_case = col(cw.case, s.col_case, 16);
    let w_item = col(cw.item, s.col_item, 8);
    let w_kind = if wide {
        col(cw.kind_wide, s.col_kind, 14)
    } else {
        col(cw.kind_narrow, s.col_kind, 14)
    };
    let w_days = col(cw.days, s.col_left, 6);
    let w_work = col(cw.work, s.col_work, 6);
    let mut w_region = col(cw.region, s.col_region, if wide { 14 } else { 8 });
    let fixed = |region: usize| {
        10 + 1
            + w_flag
            + 1
            + w_days
            + 1
            + w_work
            + 1
            + w_case
            + 1
            + w_item
            + 1
            + w_kind
            + 1
            + region
            + 1
    };
    let min_inst = 8;
    while w_region > 4 && w.saturating_sub(fixed(w_region)) < min_inst {
        w_region -= 1;
    }
    let w_inst = w.saturating_sub(fixed(w_region)).max(1);

    let row_text = |cells: [String; 9]| cells.join(" ");
    let head = row_text([
        fit(s.col_due, 10, e),
        fit(s.col_flag, w_flag, e),
        fit_right(s.col_left, w_days),
        fit_right(s.col_work, w_work),
        fit(s.col_case, w_case, e),
        fit(s.col_item, w_item, e),
        fit(s.col_kind, w_kind, e),
        fit(s.col_inst, w_inst, e),
        fit(s.col_region, w_region, e),
    ]);
    f.render_widget(
        Line::styled(cut(&head, w, e), t.header()),
        Rect::new(area.x, y, area.width, 1),
    );
    y += 1;

    let h = (bottom.saturating_sub(y + 1)) as usize;
    let top = window_top(dv.selected, dv.top, h).min(dv.rows.len().saturating_sub(1));
    for (i, r) in dv.rows.iter().enumerate().skip(top).take(h) {
        let st = &r.status;
        let lead = format!("{} ", st.due);
        let flag = format!("{} ", fit(&st.flag(zh), w_flag, e));
        let rest = row_text([
            fit_right(&st.calendar_days_left.to_string(), w_days),
            fit_right(&st.working_days_left.to_string(), w_work),
            fit(&r.case_no, w_case, e),
            fit(&r.item, w_item, e),
            fit(&kind_text(app, r, wide), w_kind, e),
            fit(&r.institution, w_inst, e),
            fit(&dv.regions[i], w_region, e),
            String::new(),
            String::new(),
        ]);
        let rest = rest.trim_end().to_string();
        let line = if i == dv.selected {
            // The due date marks the selection, as the case number does in the queue: a move
            // repaints two dates, not two rows.
            Line::from(vec![
                Span::styled(lead, t.selected()),
                Span::styled(flag, flag_style(app, st)),
                Span::raw(rest),
            ])
        } else {
            Line::from(vec![
                Span::styled(lead, flag_style(app, st)),
                Span::styled(flag, flag_style(app, st)),
                Span::raw(rest),
            ])
        };
        f.render_widget(line, Rect::new(area.x, y, area.width, 1));
        y += 1;
    }

    // The selected deadline in words: its days, and what it is.
    if let Some(r) = dv.selected_row() {
        let detail = if zh { &r.detail_zh } else { &r.detail_en };
        let text = format!(
            "{} {} · {} · {}",
            r.case_no,
            r.item,
            crate::commands::exit::days_text(&r.status, zh),
            detail
        );
        f.render_widget(
            Line::styled(cut(&text, w, e), t.dim()),
            Rect::new(area.x, bottom.saturating_sub(1), area.width, 1),
        );
    }
}
