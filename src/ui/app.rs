//! The app's state and what each action does to it. Screens read this state and draw; they
//! never query SQLite while drawing. Every write goes through `store::review`, which checks
//! the region scope, the two-person rule and the case version (a concurrent change is reported
//! in words, and the reviewer's text is kept).

use super::deadlines::{self as dl, DeadlinesView};
use super::keymap::{self, Action, Screen};
use super::search::SearchIndex;
use super::stats::{self as pane, StatsView};
use super::strings::{self, Strings};
use super::theme::Theme;
use crate::assets::Reference;
use crate::commands::Lang;
use crate::domain::exit::{Step, StepError};
use crate::domain::renewal::Warning;
use crate::store::exits::{self, ExitView, StepInput};
use crate::store::review::{
    self, Actor, CaseDetail, Mark, Proposal, QueueFilter, QueueRow, QueueSort, ReviewError,
};
use crate::store::stats::Renewal;
use crate::store::{audit, Store};
use chrono::NaiveDate;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui_textarea::{TextArea, WrapMode};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

pub struct Options {
    pub lang: Lang,
    pub ascii: bool,
    pub no_color: bool,
    pub today: NaiveDate,
    pub period_years: u32,
    /// The early-warning settings (the rules' with `config.toml` over them); `None`: the
    /// rules' own as of `today`.
    pub warning: Option<Warning>,
}

/// Status tabs of the queue, in the order a case moves through them.
pub const TABS: [Option<&str>; 7] = [
    None,
    Some("new"),
    Some("in_review"),
    Some("supplement"),
    Some("proposed"),
    Some("decided"),
    Some("closed"),
];
const KINDS: [Option<&str>; 4] = [None, Some("selection"), Some("renewal"), Some("exit")];
pub const CATEGORIES: [Option<&str>; 4] =
    [None, Some("employer"), Some("school"), Some("social_org")];
pub const DECISIONS: [&str; 4] = ["approve", "approve_partial", "reject", "supplement"];
/// How long typing may pause before the draft is written.
const DRAFT_DEBOUNCE: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    Info,
    Error,
}

pub struct Queue {
    pub filter: QueueFilter,
    pub sort: QueueSort,
    pub tab: usize,
    pub kind: usize,
    pub category: usize,
    pub region: usize,
    pub total: usize,
    pub counts: Vec<(String, usize)>,
    pub selected: usize,
    pub top: usize,
    /// A window of rows around the view, fetched from SQLite page by page.
    pub rows: Vec<QueueRow>,
    pub rows_start: usize,
    pub query: String,
    pub typing: bool,
    pub index: Option<SearchIndex>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Info,
    Checklist,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Article(u32),
    Item(usize),
}

pub struct CaseView {
    pub detail: CaseDetail,
    pub lines: Vec<Line>,
    pub selected: usize,
    pub focus: Pane,
    pub info_scroll: u16,
    /// An exit case's exit: kind, deadlines, steps (read with the case).
    pub exit: Option<ExitView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditPurpose {
    ItemNote {
        item: String,
        occ: Option<String>,
    },
    CaseNote,
    Override {
        item: String,
        occ: Option<String>,
        mark: Mark,
    },
    SendBack,
}

pub struct Editor {
    pub purpose: EditPurpose,
    pub area: TextArea<'static>,
    pub target: String,
    pub title: String,
}

pub struct Propose {
    pub decision: usize,
    pub occupations: Vec<(String, String, bool)>,
    pub occ_cursor: usize,
    pub reasons: TextArea<'static>,
    pub on_reasons: bool,
}

/// The form that records an exit step: which step (the next one by default), its date and,
/// for the announcement and the termination notice, the document number.
pub struct StepForm {
    pub steps: Vec<Step>,
    pub index: usize,
    pub date: String,
    pub number: String,
    pub on_number: bool,
}

impl StepForm {
    pub fn step(&self) -> Step {
        self.steps[self.index]
    }
}

pub enum Overlay {
    Step(StepForm),
    Help {
        scroll: u16,
    },
    Editor(Editor),
    Propose(Propose),
    History {
        rows: Vec<audit::Row>,
        scroll: usize,
    },
    Article {
        title: String,
        text: String,
        scroll: u16,
    },
}

pub struct App {
    pub store: Store,
    pub actor: Actor,
    pub reference: Reference,
    pub lang: Lang,
    pub s: &'static Strings,
    pub theme: Theme,
    pub today: NaiveDate,
    pub period_years: u32,
    pub screen: Screen,
    pub queue: Queue,
    pub case: Option<CaseView>,
    pub overlay: Option<Overlay>,
    pub message: Option<(String, MsgKind)>,
    pub quit: bool,
    pub dirty: bool,
    pub draft_due: Option<Instant>,
    pub size: (u16, u16),
    /// The terminal was resized since the last frame: what it shows may have been cut or
    /// reflowed, so the next frame is drawn whole rather than as changes.
    pub resized: bool,
    pub prefectures: Vec<(String, String)>,
    pub warning: Warning,
    /// The renewal statistics, once opened (kept when going back to the queue, so that
    /// the filters and sort are still there next time).
    pub stats: Option<StatsView>,
    /// A reading of the statistics on its own thread and connection (started with the
    /// desk, and by a reload), so that opening the pane need not wait for the query.
    pub stats_loading: Option<Receiver<anyhow::Result<Renewal>>>,
    /// A finished background reading not yet shown.
    pub stats_ready: Option<Renewal>,
    /// Every open deadline across cases, once opened.
    pub deadlines: Option<DeadlinesView>,
    /// Where `q` on the case screen goes back to (the queue or the deadlines).
    pub case_back: Screen,
}

/// The renewal statistics limited to a reviewer's region.
fn read_stats(
    conn: &rusqlite::Connection,
    reference: &Reference,
    region: &str,
    today: NaiveDate,
    warning: Warning,
) -> anyhow::Result<Renewal> {
    let mut data =
        crate::store::stats::renewal(conn, &reference.rules, &reference.divisions, today, warning)?;
    let prefix = review::scope_prefix(region);
    let before = data.institutions.len();
    data.institutions.retain(|r| r.region.starts_with(&prefix));
    if data.institutions.len() != before {
        data.resummarise(&reference.divisions);
    }
    Ok(data)
}

pub fn new_textarea(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.lines().map(str::to_string).collect()
    };
    let mut t = TextArea::new(lines);
    t.set_wrap_mode(WrapMode::WordOrGlyph);
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

fn target_of(item: &str, occ: Option<&str>) -> String {
    format!("{item}|{}", occ.unwrap_or(""))
}

impl App {
    pub fn new(
        store: Store,
        actor: Actor,
        reference: Reference,
        opts: Options,
        size: (u16, u16),
    ) -> anyhow::Result<Self> {
        let prefix = review::scope_prefix(&actor.region);
        let prefectures = reference
            .divisions
            .by_code
            .values()
            .filter(|d| d.level == "prefecture" && d.code.starts_with(&prefix))
            .map(|d| (d.code.clone(), d.name.clone()))
            .collect();
        let warning = match opts.warning {
            Some(w) => w,
            None => crate::store::stats::warning_from_rules(&reference.rules, opts.today)?,
        };
        let mut app = Self {
            store,
            actor,
            reference,
            lang: opts.lang,
            s: strings::strings(opts.lang),
            theme: Theme::new(opts.ascii, opts.no_color),
            today: opts.today,
            period_years: opts.period_years,
            screen: Screen::Queue,
            queue: Queue {
                filter: QueueFilter::default(),
                sort: QueueSort::Waiting,
                tab: 0,
                kind: 0,
                category: 0,
                region: 0,
                total: 0,
                counts: Vec::new(),
                selected: 0,
                top: 0,
                rows: Vec::new(),
                rows_start: 0,
                query: String::new(),
                typing: false,
                index: None,
            },
            case: None,
            overlay: None,
            message: None,
            quit: false,
            dirty: true,
            draft_due: None,
            size,
            resized: false,
            prefectures,
            warning,
            stats: None,
            stats_loading: None,
            stats_ready: None,
            deadlines: None,
            case_back: Screen::Queue,
        };
        app.reload_queue()?;
        Ok(app)
    }

    pub fn info(&mut self, m: impl Into<String>) {
        self.message = Some((m.into(), MsgKind::Info));
    }

    pub fn error(&mut self, m: impl Into<String>) {
        self.message = Some((m.into(), MsgKind::Error));
    }

    /// Rows of the queue list that fit the screen.
    pub fn list_height(&self) -> usize {
        (self.size.1 as usize).saturating_sub(5).max(1)
    }

    // ------------------------------------------------------------ queue

    pub fn reload_queue(&mut self) -> anyhow::Result<()> {
        let q = &mut self.queue;
        q.filter.status = TABS[q.tab].map(str::to_string);
        q.filter.kind = KINDS[q.kind].map(str::to_string);
        q.filter.category = CATEGORIES[q.category].map(str::to_string);
        q.filter.region = if q.region == 0 {
            None
        } else {
            self.prefectures
                .get(q.region - 1)
                .map(|(c, _)| review::scope_prefix(c))
        };
        let mut without_status = q.filter.clone();
        without_status.status = None;
        q.counts = review::status_counts(&self.store.conn, &self.actor, &without_status)?;
        q.total = review::queue_count(&self.store.conn, &self.actor, &q.filter)?;
        q.rows.clear();
        q.rows_start = 0;
        if q.selected >= q.total {
            q.selected = q.total.saturating_sub(1);
        }
        self.fetch_rows()?;
        self.dirty = true;
        Ok(())
    }

    /// Makes sure the rows on screen are in the cached window; fetches a new window if not.
    pub fn fetch_rows(&mut self) -> anyhow::Result<()> {
        let h = self.list_height();
        let q = &mut self.queue;
        if q.selected < q.top {
            q.top = q.selected;
        }
        if q.selected >= q.top + h {
            q.top = q.selected + 1 - h;
        }
        q.top = q.top.min(q.total.saturating_sub(h));
        let want_end = (q.top + h).min(q.total);
        let have = q.top >= q.rows_start && want_end <= q.rows_start + q.rows.len();
        if !have {
            let start = q.top.saturating_sub(h);
            q.rows = review::queue_page(
                &self.store.conn,
                &self.actor,
                &q.filter,
                q.sort,
                start,
                h * 3,
            )?;
            q.rows_start = start;
        }
        Ok(())
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        let q = &self.queue;
        q.selected
            .checked_sub(q.rows_start)
            .and_then(|i| q.rows.get(i))
    }

    fn move_queue(&mut self, to: isize) -> anyhow::Result<()> {
        let q = &mut self.queue;
        if q.total == 0 {
            return Ok(());
        }
        let max = q.total as isize - 1;
        let new = to.clamp(0, max) as usize;
        if new != q.selected {
            q.selected = new;
            self.dirty = true;
            self.fetch_rows()?;
        }
        Ok(())
    }

    fn apply_search(&mut self) -> anyhow::Result<()> {
        if self.queue.query.trim().is_empty() {
            self.queue.filter.ids = None;
        } else {
            if self.queue.index.is_none() {
                let corpus = review::search_corpus(&self.store.conn, &self.actor)?;
                self.queue.index = Some(SearchIndex::new(corpus));
            }
            let query = self.queue.query.clone();
            let ids = self
                .queue
                .index
                .as_mut()
                .map(|ix| ix.search(&query))
                .unwrap_or_default();
            self.queue.filter.ids = Some(ids);
        }
        self.queue.selected = 0;
        self.queue.top = 0;
        self.reload_queue()
    }

    fn queue_action(&mut self, a: Action) -> anyhow::Result<()> {
        let h = self.list_height() as isize;
        let sel = self.queue.selected as isize;
        match a {
            Action::Down => self.move_queue(sel + 1)?,
            Action::Up => self.move_queue(sel - 1)?,
            Action::PageDown => self.move_queue(sel + h)?,
            Action::PageUp => self.move_queue(sel - h)?,
            Action::Top => self.move_queue(0)?,
            Action::Bottom => self.move_queue(isize::MAX / 2)?,
            Action::Open => {
                if let Some(no) = self.selected_row().map(|r| r.case_no.clone()) {
                    self.open_case(&no)?;
                }
            }
            Action::Search => {
                self.queue.typing = true;
                self.dirty = true;
            }
            Action::NextTab | Action::PrevTab => {
                let n = TABS.len();
                self.queue.tab = if a == Action::NextTab {
                    (self.queue.tab + 1) % n
                } else {
                    (self.queue.tab + n - 1) % n
                };
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::FilterKind => {
                self.queue.kind = (self.queue.kind + 1) % KINDS.len();
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::FilterCategory => {
                self.queue.category = (self.queue.category + 1) % CATEGORIES.len();
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::FilterRegion => {
                self.queue.region = (self.queue.region + 1) % (self.prefectures.len() + 1);
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::FilterMine => {
                self.queue.filter.mine = !self.queue.filter.mine;
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::FilterUnassigned => {
                self.queue.filter.unassigned = !self.queue.filter.unassigned;
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::ClearFilters => {
                let q = &mut self.queue;
                q.tab = 0;
                q.kind = 0;
                q.category = 0;
                q.region = 0;
                q.filter = QueueFilter::default();
                q.query.clear();
                q.selected = 0;
                self.reload_queue()?;
            }
            Action::Sort => {
                self.queue.sort = match self.queue.sort {
                    QueueSort::Waiting => QueueSort::Deadline,
                    QueueSort::Deadline => QueueSort::CaseNo,
                    QueueSort::CaseNo => QueueSort::Institution,
                    QueueSort::Institution => QueueSort::Region,
                    QueueSort::Region => QueueSort::Waiting,
                };
                self.queue.selected = 0;
                self.reload_queue()?;
            }
            Action::Reload => {
                self.queue.index = None;
                self.reload_queue()?;
                let m = self.s.reloaded;
                self.info(m);
            }
            Action::Quit => self.quit = true,
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                self.dirty = true;
            }
            Action::Stats => self.open_stats()?,
            Action::Deadlines => self.open_deadlines()?,
            _ => {}
        }
        Ok(())
    }

    fn search_key(&mut self, k: &KeyEvent) -> anyhow::Result<()> {
        match k.code {
            KeyCode::Esc => {
                self.queue.typing = false;
                self.queue.query.clear();
                self.apply_search()?;
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Up => {
                self.queue.typing = false;
                self.dirty = true;
            }
            KeyCode::Backspace => {
                self.queue.query.pop();
                self.apply_search()?;
            }
            KeyCode::Char(c)
                if !k.modifiers.contains(KeyModifiers::CONTROL) && !crate::text::is_unsafe(c) =>
            {
                self.queue.query.push(c);
                self.apply_search()?;
            }
            _ => {}
        }
        Ok(())
    }

    // ------------------------------------------------------------ case

    pub fn open_case(&mut self, case_no: &str) -> anyhow::Result<()> {
        let detail = review::case_detail(&self.store.conn, &self.actor, case_no)?;
        let lines = build_lines(&detail, &self.reference);
        let selected = lines
            .iter()
            .position(|l| matches!(l, Line::Item(_)))
            .unwrap_or(0);
        let drafts = review::drafts_for_case(&self.store.conn, &self.actor.account, detail.id)?;
        let exit = self.read_exit(&detail);
        self.case = Some(CaseView {
            detail,
            lines,
            selected,
            focus: Pane::Checklist,
            info_scroll: 0,
            exit,
        });
        self.case_back = if self.screen == Screen::Deadlines {
            Screen::Deadlines
        } else {
            Screen::Queue
        };
        self.screen = Screen::Case;
        self.dirty = true;
        if !drafts.is_empty() {
            let list = drafts.join(", ");
            let m = format!("{}{list}{}", self.s.drafts_waiting, self.s.drafts_hint);
            self.info(m);
        } else {
            self.message = None;
        }
        Ok(())
    }

    fn reload_case(&mut self) -> anyhow::Result<()> {
        let Some(cv) = &self.case else { return Ok(()) };
        let no = cv.detail.case_no.clone();
        let (sel, focus) = (cv.selected, cv.focus);
        let detail = review::case_detail(&self.store.conn, &self.actor, &no)?;
        let lines = build_lines(&detail, &self.reference);
        let exit = self.read_exit(&detail);
        self.case = Some(CaseView {
            selected: sel.min(lines.len().saturating_sub(1)),
            detail,
            lines,
            focus,
            info_scroll: 0,
            exit,
        });
        self.dirty = true;
        Ok(())
    }

    /// The exit of an exit case (kind, deadlines, steps), within the reviewer's region.
    /// An exit that cannot be read leaves the case readable, with the reason said.
    fn read_exit(&mut self, detail: &CaseDetail) -> Option<ExitView> {
        if detail.kind != "exit" {
            return None;
        }
        match exits::exit_view(
            &self.store.conn,
            Some(&self.actor.region),
            &detail.case_no,
            self.today,
            &self.reference.calendar,
            &self.reference.rules,
        ) {
            Ok(x) => Some(x),
            Err(e) => {
                self.error(format!("{e:#}"));
                None
            }
        }
    }

    /// A refused write in the UI language: a conflict names who changed the case; an exit
    /// step's refusal is said in the UI language.
    fn write_error_text(&self, e: &anyhow::Error) -> String {
        if let Some(ReviewError::Conflict { by, at, .. }) = e.downcast_ref::<ReviewError>() {
            return format!(
                "{}{}{}",
                by.as_deref().unwrap_or("?"),
                at.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(),
                self.s.conflict
            );
        }
        if let Some(se) = e.downcast_ref::<StepError>() {
            return se.text(self.lang == Lang::Zh);
        }
        format!("{e:#}")
    }

    /// Opens the step form on the exit's next step, dated today.
    fn open_step_form(&mut self) {
        let Some(cv) = &self.case else { return };
        let Some(x) = &cv.exit else {
            let m = self.s.step_not_exit;
            self.error(m);
            return;
        };
        let steps = crate::domain::exit::steps_for(x.facts.kind).to_vec();
        let Some(next) = x.next else {
            let m = self.s.exit_all_done;
            self.info(m);
            return;
        };
        let index = steps.iter().position(|s| *s == next).unwrap_or(0);
        self.overlay = Some(Overlay::Step(StepForm {
            steps,
            index,
            date: self.today.format("%Y-%m-%d").to_string(),
            number: String::new(),
            on_number: false,
        }));
        self.dirty = true;
    }

    /// Saves the form through `record_step` with the version the reviewer saw; the case is
    /// read again after. A refusal keeps the form open (a conflict closes it: the case is
    /// read again, and its next step may be another).
    fn submit_step(&mut self) -> anyhow::Result<()> {
        let Some(Overlay::Step(form)) = &self.overlay else {
            return Ok(());
        };
        let Some(x) = self.case.as_ref().and_then(|cv| cv.exit.as_ref()) else {
            return Ok(());
        };
        let step = form.step();
        let Ok(on) = NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d") else {
            let m = self.s.step_bad_date;
            self.error(m);
            return Ok(());
        };
        let number = form.number.trim();
        let number = (step.needs_number() && !number.is_empty()).then_some(number);
        let r = exits::record_step(
            &self.store.conn,
            &self.actor,
            &x.case_no,
            Some(x.version),
            StepInput {
                step,
                on,
                number,
                note: None,
            },
            self.today,
        );
        match r {
            Ok(out) => {
                self.overlay = None;
                self.reload_case()?;
                let mut m = format!(
                    "{}{}",
                    self.s.step_recorded,
                    step.name(self.lang == Lang::Zh)
                );
                if out.closed {
                    m.push_str(self.s.step_closed);
                }
                self.info(m);
                let _ = self.reload_queue();
            }
            Err(e) => {
                let m = self.write_error_text(&e);
                self.error(m);
                if matches!(
                    e.downcast_ref::<ReviewError>(),
                    Some(ReviewError::Conflict { .. })
                ) {
                    self.overlay = None;
                    let _ = self.reload_case();
                }
            }
        }
        self.dirty = true;
        Ok(())
    }

    // ------------------------------------------------------------ deadlines

    /// Reads every open deadline within the reviewer's region (one query) and shows them;
    /// a reading again keeps the selected deadline when it is still open.
    fn open_deadlines(&mut self) -> anyhow::Result<()> {
        let rows = exits::open_deadlines(
            &self.store.conn,
            Some(&self.actor.region),
            self.today,
            &self.reference.calendar,
        )?;
        let keep = self
            .deadlines
            .as_ref()
            .and_then(|dv| dv.selected_row())
            .map(|r| (r.case_no.clone(), r.item.clone()));
        let mut dv = DeadlinesView::new(rows, self);
        if let Some((no, item)) = keep {
            if let Some(i) = dv
                .rows
                .iter()
                .position(|r| r.case_no == no && r.item == item)
            {
                let h = dl::list_height(self.size, &dv);
                dv.move_to(i as isize, h);
            }
        }
        self.deadlines = Some(dv);
        self.screen = Screen::Deadlines;
        self.dirty = true;
        Ok(())
    }

    fn deadlines_action(&mut self, a: Action) -> anyhow::Result<()> {
        let Some(dv) = &mut self.deadlines else {
            self.screen = Screen::Queue;
            return Ok(());
        };
        let h = dl::list_height(self.size, dv);
        let sel = dv.selected as isize;
        let hi = h as isize;
        let moved = match a {
            Action::Down => dv.move_to(sel + 1, h),
            Action::Up => dv.move_to(sel - 1, h),
            Action::PageDown => dv.move_to(sel + hi, h),
            Action::PageUp => dv.move_to(sel - hi, h),
            Action::Top => dv.move_to(0, h),
            Action::Bottom => dv.move_to(isize::MAX / 2, h),
            _ => false,
        };
        if moved {
            self.dirty = true;
            return Ok(());
        }
        match a {
            Action::Open => {
                if let Some(no) = dv.selected_row().map(|r| r.case_no.clone()) {
                    self.open_case(&no)?;
                }
            }
            Action::Reload => {
                self.open_deadlines()?;
                let m = self.s.reloaded;
                self.info(m);
            }
            Action::Back => {
                self.screen = Screen::Queue;
                self.message = None;
                self.reload_queue()?;
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                self.dirty = true;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    pub fn selected_item(&self) -> Option<&review::ChecklistRow> {
        let cv = self.case.as_ref()?;
        match cv.lines.get(cv.selected)? {
            Line::Item(i) => cv.detail.checklist.get(*i),
            Line::Article(_) => None,
        }
    }

    fn move_case(&mut self, delta: isize) {
        let Some(cv) = &mut self.case else { return };
        if cv.focus == Pane::Info {
            cv.info_scroll = (cv.info_scroll as isize + delta).max(0) as u16;
            self.dirty = true;
            return;
        }
        let n = cv.lines.len() as isize;
        let mut i = cv.selected as isize;
        let step = if delta >= 0 { 1 } else { -1 };
        let mut remaining = delta.abs();
        while remaining > 0 {
            let mut j = i + step;
            while j >= 0 && j < n && matches!(cv.lines[j as usize], Line::Article(_)) {
                j += step;
            }
            if j < 0 || j >= n {
                break;
            }
            i = j;
            remaining -= 1;
        }
        if i as usize != cv.selected {
            cv.selected = i as usize;
            self.dirty = true;
        }
    }

    /// Handles the result of a write: the new state on success; on a conflict, the words of
    /// it and a reload, keeping what the reviewer typed (the caller leaves the editor open).
    fn after_write(&mut self, r: anyhow::Result<i64>, ok: &str) -> bool {
        match r {
            Ok(_) => {
                let ok = ok.to_string();
                if let Err(e) = self.reload_case() {
                    self.error(format!("{e:#}"));
                } else {
                    self.info(ok);
                }
                let _ = self.reload_queue();
                true
            }
            Err(e) => {
                let conflict = matches!(
                    e.downcast_ref::<ReviewError>(),
                    Some(ReviewError::Conflict { .. })
                );
                match e.downcast_ref::<ReviewError>() {
                    Some(ReviewError::Conflict { by, at, .. }) => {
                        let m = format!(
                            "{}{}{}",
                            by.as_deref().unwrap_or("?"),
                            at.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(),
                            self.s.conflict
                        );
                        self.error(m);
                    }
                    _ => self.error(format!("{e:#}")),
                }
                if conflict {
                    let _ = self.reload_case();
                }
                self.dirty = true;
                false
            }
        }
    }

    fn mark(&mut self, mark: Option<Mark>) -> anyhow::Result<()> {
        let Some(item) = self.selected_item().cloned() else {
            return Ok(());
        };
        let Some(cv) = &self.case else { return Ok(()) };
        if mark.is_none() && item.mark.is_none() {
            self.info(self.s.no_mark.to_string());
            return Ok(());
        }
        let overriding = matches!(
            (mark, item.auto_result),
            (Some(Mark::Pass), crate::domain::ItemResult::Fail)
                | (Some(Mark::Fail), crate::domain::ItemResult::Pass)
        );
        if overriding {
            let m = mark.unwrap_or(Mark::Fail);
            self.open_editor(EditPurpose::Override {
                item: item.item_id.clone(),
                occ: item.occupation.clone(),
                mark: m,
            })?;
            return Ok(());
        }
        let (id, version) = (cv.detail.id, cv.detail.version);
        let r = review::mark_item(
            &self.store.conn,
            &self.actor,
            id,
            version,
            &item.item_id,
            item.occupation.as_deref(),
            mark,
            None,
        );
        let ok = if mark.is_some() {
            self.s.marked
        } else {
            self.s.mark_cleared
        };
        if self.after_write(r, ok) && mark.is_some() {
            self.next_unresolved(false);
        }
        Ok(())
    }

    /// Moves to the next unresolved item after the selected one (wrapping); says so when none is left.
    fn next_unresolved(&mut self, say_when_none: bool) {
        let Some(cv) = &mut self.case else { return };
        let n = cv.lines.len();
        for k in 1..=n {
            let j = (cv.selected + k) % n;
            if let Line::Item(i) = cv.lines[j] {
                if cv.detail.checklist.get(i).is_some_and(|r| !r.resolved()) {
                    cv.selected = j;
                    self.dirty = true;
                    return;
                }
            }
        }
        if say_when_none || cv.detail.checklist.iter().all(|r| r.resolved()) {
            let m = self.s.all_resolved;
            self.info(m);
        }
    }

    fn open_editor(&mut self, purpose: EditPurpose) -> anyhow::Result<()> {
        let Some(cv) = &self.case else { return Ok(()) };
        let (target, title, existing) = match &purpose {
            EditPurpose::ItemNote { item, occ } => {
                let existing = cv
                    .detail
                    .checklist
                    .iter()
                    .find(|r| &r.item_id == item && &r.occupation == occ)
                    .and_then(|r| r.note.clone())
                    .unwrap_or_default();
                let t = format!(
                    "{} {} {}",
                    self.s.note_title,
                    item,
                    occ.as_deref().unwrap_or("")
                );
                (target_of(item, occ.as_deref()), t, existing)
            }
            EditPurpose::CaseNote => (
                String::new(),
                self.s.case_note_title.to_string(),
                cv.detail.note.clone().unwrap_or_default(),
            ),
            EditPurpose::Override { item, occ, .. } => (
                format!("reason:{}", target_of(item, occ.as_deref())),
                format!("{} {item}", self.s.reason_title),
                String::new(),
            ),
            EditPurpose::SendBack => (
                "sendback".to_string(),
                self.s.send_back_title.to_string(),
                String::new(),
            ),
        };
        let draft = review::draft(&self.store.conn, &self.actor.account, cv.detail.id, &target)?;
        let text = match &draft {
            Some((t, _)) => t.clone(),
            None => existing,
        };
        if draft.is_some() {
            let m = self.s.draft_restored;
            self.info(m);
        }
        self.overlay = Some(Overlay::Editor(Editor {
            purpose,
            area: new_textarea(&text),
            target,
            title: title.trim().to_string(),
        }));
        self.dirty = true;
        Ok(())
    }

    /// Writes the draft being typed, if one is due (called by the event loop).
    pub fn save_draft_now(&mut self) {
        self.draft_due = None;
        let Some(cv) = &self.case else { return };
        let case_id = cv.detail.id;
        let (target, text) = match &self.overlay {
            Some(Overlay::Editor(ed)) => (ed.target.clone(), ed.area.lines().join("\n")),
            Some(Overlay::Propose(p)) => ("propose".to_string(), p.reasons.lines().join("\n")),
            _ => return,
        };
        if let Err(e) = review::save_draft(
            &self.store.conn,
            &self.actor.account,
            case_id,
            &target,
            &text,
        ) {
            self.error(format!("{e:#}"));
            self.dirty = true;
        }
    }

    fn submit_editor(&mut self) -> anyhow::Result<()> {
        let Some(Overlay::Editor(ed)) = &self.overlay else {
            return Ok(());
        };
        let Some(cv) = &self.case else { return Ok(()) };
        let text = ed.area.lines().join("\n").trim_end().to_string();
        let (id, version) = (cv.detail.id, cv.detail.version);
        let conn = &self.store.conn;
        let (r, ok) = match &ed.purpose {
            EditPurpose::ItemNote { item, occ } => (
                review::set_note(
                    conn,
                    &self.actor,
                    id,
                    version,
                    Some((item.as_str(), occ.as_deref())),
                    &text,
                ),
                self.s.saved,
            ),
            EditPurpose::CaseNote => (
                review::set_note(conn, &self.actor, id, version, None, &text),
                self.s.saved,
            ),
            EditPurpose::Override { item, occ, mark } => (
                review::mark_item(
                    conn,
                    &self.actor,
                    id,
                    version,
                    item,
                    occ.as_deref(),
                    Some(*mark),
                    Some(&text),
                ),
                self.s.marked,
            ),
            EditPurpose::SendBack => (
                review::send_back(conn, &self.actor, id, version, &text),
                self.s.sent_back,
            ),
        };
        let target = ed.target.clone();
        if self.after_write(r, ok) {
            let _ = review::drop_draft(&self.store.conn, &self.actor.account, id, &target);
            self.overlay = None;
            self.draft_due = None;
        }
        Ok(())
    }

    fn open_propose(&mut self) -> anyhow::Result<()> {
        let Some(cv) = &self.case else { return Ok(()) };
        let failed: Vec<&str> = cv
            .detail
            .checklist
            .iter()
            .filter(|r| r.effective() == crate::domain::ItemResult::Fail)
            .filter_map(|r| r.occupation.as_deref())
            .collect();
        let occupations: Vec<(String, String, bool)> = cv
            .detail
            .application
            .occupations
            .iter()
            .map(|o| {
                (
                    o.code.clone(),
                    o.name.clone(),
                    !failed.contains(&o.code.as_str()),
                )
            })
            .collect();
        let any_fail = cv
            .detail
            .checklist
            .iter()
            .any(|r| r.effective() == crate::domain::ItemResult::Fail);
        let some_occ_fail = occupations.iter().any(|o| !o.2);
        let decision =
            if cv
                .detail
                .checklist
                .iter()
                .any(|r| r.mark == Some(Mark::Supplement))
            {
                3
            } else if some_occ_fail
                && occupations.iter().any(|o| o.2)
                && !cv.detail.checklist.iter().any(|r| {
                    r.occupation.is_none() && r.effective() == crate::domain::ItemResult::Fail
                })
            {
                1
            } else if any_fail {
                2
            } else {
                0
            };
        let draft = review::draft(
            &self.store.conn,
            &self.actor.account,
            cv.detail.id,
            "propose",
        )?;
        let reasons = match draft {
            Some((t, _)) => t,
            None => review::compose_reasons(&cv.detail, self.lang == Lang::Zh),
        };
        self.overlay = Some(Overlay::Propose(Propose {
            decision,
            occupations,
            occ_cursor: 0,
            reasons: new_textarea(&reasons),
            on_reasons: false,
        }));
        self.dirty = true;
        Ok(())
    }

    fn submit_propose(&mut self) -> anyhow::Result<()> {
        let Some(Overlay::Propose(p)) = &self.overlay else {
            return Ok(());
        };
        let Some(cv) = &self.case else { return Ok(()) };
        let unresolved: Vec<String> = cv.detail.unresolved().iter().map(|r| r.label()).collect();
        if DECISIONS[p.decision] != "supplement" && !unresolved.is_empty() {
            let m = format!("{}{}", self.s.unresolved_block, unresolved.join(", "));
            self.error(m);
            self.dirty = true;
            return Ok(());
        }
        let decision = DECISIONS[p.decision].to_string();
        let occupations: Vec<String> = match decision.as_str() {
            "approve" => p.occupations.iter().map(|o| o.0.clone()).collect(),
            "approve_partial" => p
                .occupations
                .iter()
                .filter(|o| o.2)
                .map(|o| o.0.clone())
                .collect(),
            _ => vec![],
        };
        let proposal = Proposal {
            decision,
            occupations,
            reasons: p.reasons.lines().join("\n").trim_end().to_string(),
        };
        let r = review::propose(
            &self.store.conn,
            &self.actor,
            cv.detail.id,
            cv.detail.version,
            &proposal,
        );
        let id = cv.detail.id;
        let ok = self.s.proposed;
        if self.after_write(r, ok) {
            let _ = review::drop_draft(&self.store.conn, &self.actor.account, id, "propose");
            self.overlay = None;
            self.draft_due = None;
        }
        Ok(())
    }

    fn case_action(&mut self, a: Action) -> anyhow::Result<()> {
        let h = (self.size.1 as isize - 12).max(3);
        match a {
            Action::Down => self.move_case(1),
            Action::Up => self.move_case(-1),
            Action::PageDown => self.move_case(h),
            Action::PageUp => self.move_case(-h),
            Action::Top => self.move_case(-10_000),
            Action::Bottom => self.move_case(10_000),
            Action::Back => {
                self.message = None;
                if self.case_back == Screen::Deadlines && self.deadlines.is_some() {
                    // Read again: a step recorded meanwhile may have met a deadline.
                    self.open_deadlines()?;
                } else {
                    self.screen = Screen::Queue;
                    self.reload_queue()?;
                }
            }
            Action::RecordStep => self.open_step_form(),
            Action::SwitchPane => {
                if let Some(cv) = &mut self.case {
                    cv.focus = if cv.focus == Pane::Info {
                        Pane::Checklist
                    } else {
                        Pane::Info
                    };
                    self.dirty = true;
                }
            }
            Action::MarkPass => self.mark(Some(Mark::Pass))?,
            Action::MarkFail => self.mark(Some(Mark::Fail))?,
            Action::MarkSupplement => self.mark(Some(Mark::Supplement))?,
            Action::ClearMark => self.mark(None)?,
            Action::NextUnresolved => self.next_unresolved(true),
            Action::Note => {
                if let Some(item) = self.selected_item().cloned() {
                    self.open_editor(EditPurpose::ItemNote {
                        item: item.item_id,
                        occ: item.occupation,
                    })?;
                }
            }
            Action::CaseNote => self.open_editor(EditPurpose::CaseNote)?,
            Action::Article => self.open_article(),
            Action::Propose => self.open_propose()?,
            Action::Approve => {
                // Said here in the UI's language; the store enforces the same rules.
                if !self.actor.can_approve() {
                    let m = self.s.not_approver;
                    self.error(m);
                } else if self
                    .case
                    .as_ref()
                    .and_then(|c| c.detail.proposed_by.as_deref())
                    == Some(self.actor.account.as_str())
                {
                    let m = self.s.two_person;
                    self.error(m);
                } else if let Some(cv) = &self.case {
                    let r = review::approve(
                        &self.store.conn,
                        &self.actor,
                        cv.detail.id,
                        cv.detail.version,
                        self.period_years,
                    );
                    let ok = self.s.approved;
                    self.after_write(r, ok);
                }
            }
            Action::SendBack => self.open_editor(EditPurpose::SendBack)?,
            Action::History => {
                if let Some(cv) = &self.case {
                    let rows = review::history(&self.store.conn, &self.actor, &cv.detail.case_no)?;
                    let scroll = rows.len().saturating_sub(1);
                    self.overlay = Some(Overlay::History { rows, scroll });
                    self.dirty = true;
                }
            }
            Action::Reload => {
                self.reload_case()?;
                let m = self.s.reloaded;
                self.info(m);
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                self.dirty = true;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    fn open_article(&mut self) {
        let Some(item) = self.selected_item() else {
            return;
        };
        let Some(n) = self
            .reference
            .rules
            .item(&item.item_id)
            .and_then(|i| i.article())
        else {
            return;
        };
        let text = article_text(crate::assets::RULES_TEXT_ZH, n);
        let title = format!("第{}条", crate::ui::case::article_cn(n));
        let text = text.unwrap_or_else(|| self.s.article_missing.to_string());
        self.overlay = Some(Overlay::Article {
            title,
            text,
            scroll: 0,
        });
        self.dirty = true;
    }

    // ------------------------------------------------------------ renewal statistics

    /// Rows of the statistics' institution list that fit the screen.
    pub fn stats_height(&self) -> usize {
        pane::list_height(self.size, self.prefectures.len())
    }

    /// Reads the statistics (one query over the per-day counts), limited to the reviewer's
    /// region like every other view of the desk.
    fn load_stats(&self) -> anyhow::Result<Renewal> {
        read_stats(
            &self.store.conn,
            &self.reference,
            &self.actor.region,
            self.today,
            self.warning,
        )
    }

    /// Starts reading the statistics on another thread with its own connection (at
    /// province scale the query takes a few hundred milliseconds). Nothing happens when a
    /// reading is already under way or the database has no file (a test's in-memory one).
    pub fn start_stats_load(&mut self) {
        if self.stats_loading.is_some() {
            return;
        }
        let Some(path) = self.store.conn.path().filter(|p| !p.is_empty()) else {
            return;
        };
        let path = std::path::PathBuf::from(path);
        let (reference, region) = (self.reference.clone(), self.actor.region.clone());
        let (today, warning) = (self.today, self.warning);
        let (send, recv) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let data = crate::store::connect(&path)
                .and_then(|conn| read_stats(&conn, &reference, &region, today, warning));
            // The desk may have closed meanwhile; then nobody wants the figures.
            let _ = send.send(data);
        });
        self.stats_loading = Some(recv);
    }

    /// Takes a finished background reading: shown at once when the statistics are on
    /// screen, else kept for when they open. True when something changed on screen.
    pub fn poll_stats_load(&mut self) -> anyhow::Result<bool> {
        let Some(rx) = &self.stats_loading else {
            return Ok(false);
        };
        let data = match rx.try_recv() {
            Ok(d) => d,
            Err(std::sync::mpsc::TryRecvError::Empty) => return Ok(false),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.stats_loading = None;
                return Ok(false);
            }
        };
        self.stats_loading = None;
        let data = data?;
        if matches!(self.screen, Screen::Stats | Screen::Institution) && self.stats.is_some() {
            self.install_stats(data);
            let m = self.s.reloaded;
            self.info(m);
            return Ok(true);
        }
        self.stats_ready = Some(data);
        Ok(false)
    }

    /// Opens the statistics: a background reading when one has finished (the desk starts
    /// one when it opens), else read now; filters, sort and search from last time stay.
    fn open_stats(&mut self) -> anyhow::Result<()> {
        let data = match self.stats_ready.take() {
            Some(d) => Some(d),
            // Opened before: shown at once as last read, and read again meanwhile.
            None if self.stats.is_some() => {
                self.start_stats_load();
                None
            }
            None => match self.stats_loading.take() {
                // Under way: its remaining time is less than a whole new reading.
                Some(rx) => Some(
                    rx.recv()
                        .map_err(|_| anyhow::anyhow!("statistics: reading stopped"))??,
                ),
                None => Some(self.load_stats()?),
            },
        };
        if let Some(data) = data {
            self.install_stats(data);
        }
        self.screen = Screen::Stats;
        self.message = None;
        self.dirty = true;
        Ok(())
    }

    /// Shows new figures, keeping the view's filters, sort and search.
    fn install_stats(&mut self, data: Renewal) {
        let h = self.stats_height();
        let sv = match self.stats.take() {
            Some(mut sv) => {
                sv.replace_data(data);
                sv
            }
            None => StatsView::new(data),
        };
        let sv = self.stats.insert(sv);
        let open = sv.detail.take().map(|d| d.row.credit_code.clone());
        sv.rebuild(&self.prefectures, h);
        self.dirty = true;
        // An institution on screen is shown again with its new figures.
        let same = self
            .stats
            .as_ref()
            .is_some_and(|sv| sv.selected_row().map(|r| &r.credit_code) == open.as_ref());
        if open.is_some() && self.screen == Screen::Institution {
            if same {
                // Its months are read again too; a failure leaves the list.
                if self.open_institution().is_err() {
                    self.screen = Screen::Stats;
                }
            } else {
                self.screen = Screen::Stats;
            }
        }
    }

    /// Opens the selected institution: its row as held, and its months from one query.
    fn open_institution(&mut self) -> anyhow::Result<()> {
        let Some(sv) = &mut self.stats else {
            return Ok(());
        };
        let Some(row) = sv.selected_row().cloned() else {
            return Ok(());
        };
        let parse = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        // The period up to today (or to its end): later months hold nothing yet.
        let months = match (parse(&row.valid_from), parse(&row.valid_to)) {
            (Some(from), Some(to)) if from <= self.today => crate::store::stats::monthly(
                &self.store.conn,
                &row.credit_code,
                from,
                to.min(self.today),
            )?,
            _ => Vec::new(),
        };
        sv.detail = Some(pane::Detail { row, months });
        self.screen = Screen::Institution;
        self.dirty = true;
        Ok(())
    }

    fn stats_action(&mut self, a: Action) -> anyhow::Result<()> {
        let h = self.stats_height();
        let Some(sv) = &mut self.stats else {
            self.screen = Screen::Queue;
            return Ok(());
        };
        let sel = sv.selected as isize;
        let hi = h as isize;
        let moved = match a {
            Action::Down => sv.move_to(sel + 1, h),
            Action::Up => sv.move_to(sel - 1, h),
            Action::PageDown => sv.move_to(sel + hi, h),
            Action::PageUp => sv.move_to(sel - hi, h),
            Action::Top => sv.move_to(0, h),
            Action::Bottom => sv.move_to(isize::MAX / 2, h),
            _ => false,
        };
        if moved {
            self.dirty = true;
            return Ok(());
        }
        let prefectures = &self.prefectures;
        match a {
            Action::Open => self.open_institution()?,
            Action::Search => {
                sv.start_search();
                sv.typing = true;
                self.dirty = true;
            }
            Action::Sort => {
                let by = pane::next_sort(sv.sort);
                sv.set_sort(by, prefectures, h);
                // A new order starts at its top.
                sv.selected = 0;
                sv.scroll(h);
                self.dirty = true;
            }
            Action::FilterRegion => {
                sv.region = (sv.region + 1) % (prefectures.len() + 1);
                sv.rebuild(prefectures, h);
                self.dirty = true;
            }
            Action::FilterCategory => {
                sv.category = (sv.category + 1) % CATEGORIES.len();
                sv.rebuild(prefectures, h);
                self.dirty = true;
            }
            Action::FilterAtRisk => {
                sv.at_risk = !sv.at_risk;
                sv.rebuild(prefectures, h);
                self.dirty = true;
            }
            Action::ClearFilters => {
                sv.region = 0;
                sv.category = 0;
                sv.at_risk = false;
                sv.set_query(String::new());
                sv.rebuild(prefectures, h);
                self.dirty = true;
            }
            // Read on another thread: the list stays usable and the new figures replace
            // it when they come (the selection and filters stay).
            Action::Reload => {
                self.start_stats_load();
                let m = self.s.reloading;
                self.info(m);
            }
            Action::Back => {
                self.screen = Screen::Queue;
                self.message = None;
                self.reload_queue()?;
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                self.dirty = true;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    fn institution_action(&mut self, a: Action) -> anyhow::Result<()> {
        let h = self.stats_height();
        match a {
            // The next or previous institution of the list, without going back to it.
            Action::Down | Action::Up => {
                let Some(sv) = &mut self.stats else {
                    return Ok(());
                };
                let to = sv.selected as isize + if a == Action::Down { 1 } else { -1 };
                if sv.move_to(to, h) {
                    self.open_institution()?;
                }
            }
            Action::Back => {
                if let Some(sv) = &mut self.stats {
                    sv.detail = None;
                }
                self.screen = Screen::Stats;
                self.message = None;
                self.dirty = true;
            }
            Action::Reload => {
                self.start_stats_load();
                let m = self.s.reloading;
                self.info(m);
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                self.dirty = true;
            }
            Action::Quit => self.quit = true,
            _ => {}
        }
        Ok(())
    }

    fn stats_search_key(&mut self, k: &KeyEvent) -> anyhow::Result<()> {
        let h = self.stats_height();
        let Some(sv) = &mut self.stats else {
            return Ok(());
        };
        let query = match k.code {
            KeyCode::Esc => {
                sv.typing = false;
                Some(String::new())
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Up => {
                sv.typing = false;
                None
            }
            KeyCode::Backspace => {
                let mut q = sv.query.clone();
                q.pop();
                Some(q)
            }
            KeyCode::Char(c)
                if !k.modifiers.contains(KeyModifiers::CONTROL) && !crate::text::is_unsafe(c) =>
            {
                let mut q = sv.query.clone();
                q.push(c);
                Some(q)
            }
            _ => return Ok(()),
        };
        if let Some(q) = query {
            sv.set_query(q);
            sv.rebuild(&self.prefectures, h);
        }
        self.dirty = true;
        Ok(())
    }

    // ------------------------------------------------------------ events

    pub fn handle_event(&mut self, ev: Event) {
        let r = match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                // Every key is followed by a frame: one that changed nothing costs no bytes,
                // and a key whose only effect is a message is then never left unshown.
                self.dirty = true;
                if keymap::lookup(self.screen, &k) == Some(keymap::Action::Redraw) {
                    // The next frame clears the terminal and draws everything.
                    self.resized = true;
                    return;
                }
                self.handle_key(k)
            }
            Event::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
                self.resized = true;
                let h = self.stats_height();
                if let Some(sv) = &mut self.stats {
                    sv.scroll(h);
                }
                self.fetch_rows()
            }
            Event::Paste(text) => {
                if let Some(Overlay::Editor(ed)) = &mut self.overlay {
                    ed.area.insert_str(crate::text::sanitize(&text));
                    self.draft_due = Some(Instant::now() + DRAFT_DEBOUNCE);
                    self.dirty = true;
                }
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = r {
            self.error(format!("{e:#}"));
            self.dirty = true;
        }
    }

    fn handle_key(&mut self, k: KeyEvent) -> anyhow::Result<()> {
        if self.overlay.is_some() {
            return self.overlay_key(k);
        }
        if self.screen == Screen::Queue && self.queue.typing {
            return self.search_key(&k);
        }
        if self.screen == Screen::Stats && self.stats.as_ref().is_some_and(|sv| sv.typing) {
            return self.stats_search_key(&k);
        }
        let Some(a) = keymap::lookup(self.screen, &k) else {
            return Ok(());
        };
        if self.message.is_some() {
            self.message = None;
            self.dirty = true;
        }
        match self.screen {
            Screen::Queue => self.queue_action(a),
            Screen::Case => self.case_action(a),
            Screen::Stats => self.stats_action(a),
            Screen::Institution => self.institution_action(a),
            Screen::Deadlines => self.deadlines_action(a),
        }
    }

    fn overlay_key(&mut self, k: KeyEvent) -> anyhow::Result<()> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        self.dirty = true;
        match &mut self.overlay {
            Some(Overlay::Step(form)) => match k.code {
                KeyCode::Esc => self.overlay = None,
                KeyCode::Enter => self.submit_step()?,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Down | KeyCode::Up => {
                    form.on_number = !form.on_number && form.step().needs_number();
                }
                KeyCode::Left | KeyCode::Right => {
                    let n = form.steps.len();
                    form.index = if k.code == KeyCode::Right {
                        (form.index + 1) % n
                    } else {
                        (form.index + n - 1) % n
                    };
                    form.on_number &= form.step().needs_number();
                }
                KeyCode::Backspace => {
                    if form.on_number {
                        form.number.pop();
                    } else {
                        form.date.pop();
                    }
                }
                KeyCode::Char(c) if !ctrl && !crate::text::is_unsafe(c) => {
                    if form.on_number {
                        if form.number.chars().count() < 60 {
                            form.number.push(c);
                        }
                    } else if form.date.chars().count() < 10 {
                        form.date.push(c);
                    }
                }
                _ => self.dirty = false,
            },
            Some(Overlay::Help { scroll }) | Some(Overlay::Article { scroll, .. }) => {
                match k.code {
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') => self.overlay = None,
                    KeyCode::Char('j') | KeyCode::Down => *scroll = scroll.saturating_add(1),
                    KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => *scroll = scroll.saturating_add(10),
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(10),
                    _ => self.dirty = false,
                }
            }
            Some(Overlay::History { rows, scroll }) => match k.code {
                KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('h') => self.overlay = None,
                KeyCode::Char('j') | KeyCode::Down => {
                    *scroll = (*scroll + 1).min(rows.len().saturating_sub(1))
                }
                KeyCode::Char('k') | KeyCode::Up => *scroll = scroll.saturating_sub(1),
                KeyCode::Char('g') | KeyCode::Home => *scroll = 0,
                KeyCode::Char('G') | KeyCode::End => *scroll = rows.len().saturating_sub(1),
                _ => self.dirty = false,
            },
            Some(Overlay::Editor(ed)) => {
                if k.code == KeyCode::Esc {
                    // The draft stays in the database; reopening the editor offers it back.
                    self.save_draft_now();
                    self.overlay = None;
                } else if ctrl && k.code == KeyCode::Char('s') {
                    self.save_draft_now();
                    self.submit_editor()?;
                } else if ed.area.input(k) {
                    self.draft_due = Some(Instant::now() + DRAFT_DEBOUNCE);
                }
            }
            Some(Overlay::Propose(p)) => {
                if k.code == KeyCode::Esc {
                    self.save_draft_now();
                    self.overlay = None;
                } else if ctrl && k.code == KeyCode::Char('s') {
                    self.submit_propose()?;
                } else if k.code == KeyCode::Tab {
                    p.on_reasons = !p.on_reasons;
                } else if p.on_reasons {
                    if p.reasons.input(k) {
                        self.draft_due = Some(Instant::now() + DRAFT_DEBOUNCE);
                    }
                } else {
                    match k.code {
                        KeyCode::Left | KeyCode::Char('h') => {
                            p.decision = (p.decision + DECISIONS.len() - 1) % DECISIONS.len()
                        }
                        KeyCode::Right | KeyCode::Char('l') => {
                            p.decision = (p.decision + 1) % DECISIONS.len()
                        }
                        KeyCode::Down | KeyCode::Char('j') => {
                            p.occ_cursor =
                                (p.occ_cursor + 1).min(p.occupations.len().saturating_sub(1))
                        }
                        KeyCode::Up | KeyCode::Char('k') => {
                            p.occ_cursor = p.occ_cursor.saturating_sub(1)
                        }
                        KeyCode::Char(' ') => {
                            if let Some(o) = p.occupations.get_mut(p.occ_cursor) {
                                o.2 = !o.2;
                            }
                        }
                        _ => self.dirty = false,
                    }
                }
            }
            None => {}
        }
        Ok(())
    }
}

/// The checklist grouped under its articles, in the order of the rules.
pub fn build_lines(detail: &CaseDetail, reference: &Reference) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut last = None;
    for (i, row) in detail.checklist.iter().enumerate() {
        let art = reference
            .rules
            .item(&row.item_id)
            .and_then(|it| it.article());
        if art != last {
            if let Some(a) = art {
                lines.push(Line::Article(a));
            }
            last = art;
        }
        lines.push(Line::Item(i));
    }
    lines
}

/// The text of article `n` of the 细则, from 第N条 to the next article or heading.
pub fn article_text(text: &str, n: u32) -> Option<String> {
    let head = format!("第{}条", crate::ui::case::article_cn(n));
    let start = text.find(&head)?;
    let rest = &text[start..];
    let next = format!("第{}条", crate::ui::case::article_cn(n + 1));
    let end = rest.find(&next).unwrap_or(rest.len());
    let body = &rest[..end];
    // Drop a trailing section heading (评价机构退出, 附则 …) that sits before the next article.
    let lines: Vec<&str> = body.lines().collect();
    let mut keep = lines.len();
    while keep > 1 {
        let l = lines[keep - 1].trim();
        if l.is_empty() || (!l.starts_with('第') && !l.starts_with('（') && l.chars().count() <= 12)
        {
            keep -= 1;
        } else {
            break;
        }
    }
    Some(lines[..keep].join("\n").trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_text_is_one_article_without_the_next_heading() {
        let text = crate::assets::RULES_TEXT_ZH;
        let a6 = article_text(text, 6).unwrap();
        assert!(a6.starts_with("第六条") && a6.contains("不少于1000人次"));
        assert!(!a6.contains("第七条"));
        let a12 = article_text(text, 12).unwrap();
        assert!(!a12.contains("评价机构退出"), "{a12}");
        let a16 = article_text(text, 16).unwrap();
        assert!(
            a16.contains("终止评价活动通知书") && !a16.contains("附则"),
            "{a16}"
        );
        assert!(article_text(text, 30).is_none());
    }
}
