//! The renewal statistics pane (arts. 8–10): the figures of the reviewer's scope (the province
//! for the provincial office), the institutions at risk per prefecture, and every institution
//! with a recognition period — filtered, searched and sorted in memory — and one institution in
//! full: its occupations against their thresholds and its certificates month by month.
//!
//! The statistics are read from SQLite once when the pane opens and again on `r` (about
//! 10,000 rows at province scale); keys only filter and sort what is held, and drawing touches
//! only the rows on screen. Every chart mark has a label or a symbol, so it reads without
//! colour, and `--ascii` swaps the block characters for ASCII ones.

use super::app::{App, CATEGORIES};
use super::search::SearchIndex;
use super::strings::{self, short, word};
use super::theme::Theme;
use super::widgets::{cut, fit, fit_right, width};
use crate::commands::stats::{keep, sort, standing_word, Filter, Sort};
use crate::commands::Lang;
use crate::domain::renewal::{Measure, Risk, Summary};
use crate::store::stats::{Renewal, RenewalRow};
use ratatui::layout::{Direction, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup};
use ratatui::Frame;

/// Bars in ASCII, lowest to highest eighth, for `--ascii`.
const ASCII_BARS: symbols::bar::Set<'static> = symbols::bar::Set {
    full: "#",
    seven_eighths: "#",
    three_quarters: "=",
    five_eighths: "=",
    half: "-",
    three_eighths: "-",
    one_quarter: "_",
    one_eighth: "_",
    empty: " ",
};

/// The at-risk mark of a row: ASCII in both modes, so it lines up everywhere.
pub const AT_RISK_MARK: &str = "!";

/// The institutions of the statistics and how the reviewer looks at them.
pub struct StatsView {
    /// As read, limited to the reviewer's scope, in end-of-period order. Never reordered:
    /// the sorts are permutations of indices, since moving 10,000 rows of this size costs
    /// more than a key may.
    pub data: Renewal,
    /// Indices into `data.institutions` in the order of `sort`.
    order: Vec<usize>,
    /// Of `order`, those the filters and the search keep.
    pub view: Vec<usize>,
    pub sort: Sort,
    /// 0: every prefecture; else `App::prefectures[region - 1]`.
    pub region: usize,
    /// Index into `CATEGORIES`.
    pub category: usize,
    pub at_risk: bool,
    pub query: String,
    pub typing: bool,
    /// Built when a search starts: the pinyin initials of 10,000 names take a moment, which
    /// a reviewer who never searches should not pay. Ids are indices into `data.institutions`.
    index: Option<SearchIndex>,
    /// Per institution, whether the search matches it; `None` when there is no search.
    matches: Option<Vec<bool>>,
    /// Position in `view`.
    pub selected: usize,
    pub top: usize,
    /// The institution opened with Enter.
    pub detail: Option<Detail>,
}

pub struct Detail {
    pub row: RenewalRow,
    /// ("YYYY-MM", certificates) from the start of the period to today or its end.
    pub months: Vec<(String, u64)>,
}

impl StatsView {
    pub fn new(data: Renewal) -> Self {
        let mut v = Self {
            data,
            order: Vec::new(),
            view: Vec::new(),
            sort: Sort::default(),
            region: 0,
            category: 0,
            at_risk: false,
            query: String::new(),
            typing: false,
            index: None,
            matches: None,
            selected: 0,
            top: 0,
            detail: None,
        };
        v.settle();
        v
    }

    /// Puts freshly read rows in end-of-period order (they come so from SQLite: this only
    /// checks it) and orders them by the current sort.
    fn settle(&mut self) {
        sort(&mut self.data.institutions, Sort::ValidTo);
        let rows = &self.data.institutions;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        if self.sort != Sort::ValidTo {
            let cmp = crate::commands::stats::compare(self.sort);
            order.sort_by(|&a, &b| cmp(&rows[a], &rows[b]));
        }
        self.order = order;
    }

    /// New figures (a reload), keeping the filters, the search, the sort and the selected
    /// institution (the caller rebuilds the view).
    pub fn replace_data(&mut self, data: Renewal) {
        self.data = data;
        self.settle();
        let had_index = self.index.take().is_some();
        let q = std::mem::take(&mut self.query);
        if had_index || !q.trim().is_empty() {
            self.start_search();
        }
        self.set_query(q);
    }

    /// The row at position `i` of the view.
    pub fn shown(&self, i: usize) -> Option<&RenewalRow> {
        self.view
            .get(i)
            .and_then(|&k| self.data.institutions.get(k))
    }

    pub fn selected_row(&self) -> Option<&RenewalRow> {
        self.shown(self.selected)
    }

    fn filter(&self, prefectures: &[(String, String)]) -> Filter {
        Filter {
            region: self
                .region
                .checked_sub(1)
                .and_then(|i| prefectures.get(i))
                .map(|(code, _)| code.clone()),
            category: CATEGORIES
                .get(self.category)
                .copied()
                .flatten()
                .map(str::to_string),
            at_risk: self.at_risk,
        }
    }

    /// Applies the filters and the search again; the selected institution stays selected when
    /// it is still shown.
    pub fn rebuild(&mut self, prefectures: &[(String, String)], h: usize) {
        let keep_code = self.selected_row().map(|r| r.credit_code.clone());
        let f = self.filter(prefectures);
        let rows = &self.data.institutions;
        let matches = self.matches.as_deref();
        self.view = self
            .order
            .iter()
            .copied()
            .filter(|&i| {
                keep(&rows[i], &f) && matches.is_none_or(|m| m.get(i).copied().unwrap_or(false))
            })
            .collect();
        self.selected = keep_code
            .and_then(|c| self.view.iter().position(|&i| rows[i].credit_code == c))
            .unwrap_or(0);
        self.scroll(h);
    }

    /// Sorts by `by` (a stable sort of indices from the end-of-period order, so the same sort
    /// always gives the same list whatever came before).
    pub fn set_sort(&mut self, by: Sort, prefectures: &[(String, String)], h: usize) {
        self.sort = by;
        let rows = &self.data.institutions;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        if by != Sort::ValidTo {
            let cmp = crate::commands::stats::compare(by);
            order.sort_by(|&a, &b| cmp(&rows[a], &rows[b]));
        }
        self.order = order;
        self.rebuild(prefectures, h);
    }

    /// Builds the search index, if it is not built yet (when `/` is pressed, so that the
    /// letters typed after it answer at once).
    pub fn start_search(&mut self) {
        if self.index.is_none() {
            let corpus = self
                .data
                .institutions
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        i as i64,
                        String::new(),
                        r.name.clone(),
                        r.credit_code.clone(),
                    )
                })
                .collect();
            self.index = Some(SearchIndex::new(corpus));
        }
    }

    /// Sets the search (the caller rebuilds the view): the institutions whose name, pinyin
    /// initials or credit code match.
    pub fn set_query(&mut self, query: String) {
        self.query = query;
        if self.query.trim().is_empty() {
            self.matches = None;
            return;
        }
        self.start_search();
        let mut matches = vec![false; self.data.institutions.len()];
        if let Some(index) = &mut self.index {
            for id in index.search(&self.query) {
                if let Some(m) = usize::try_from(id).ok().and_then(|i| matches.get_mut(i)) {
                    *m = true;
                }
            }
        }
        self.matches = Some(matches);
    }

    /// Keeps the selection inside the `h` rows on screen.
    pub fn scroll(&mut self, h: usize) {
        let h = h.max(1);
        let n = self.view.len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
        if self.selected < self.top {
            self.top = self.selected;
        }
        if self.selected >= self.top + h {
            self.top = self.selected + 1 - h;
        }
        self.top = self.top.min(n.saturating_sub(h));
    }

    /// Moves the selection to `to` (clamped); whether it moved.
    pub fn move_to(&mut self, to: isize, h: usize) -> bool {
        if self.view.is_empty() {
            return false;
        }
        let new = to.clamp(0, self.view.len() as isize - 1) as usize;
        let moved = new != self.selected;
        self.selected = new;
        self.scroll(h);
        moved
    }
}

pub fn next_sort(s: Sort) -> Sort {
    match s {
        Sort::ValidTo => Sort::Risk,
        Sort::Risk => Sort::Region,
        Sort::Region => Sort::Shortfall,
        Sort::Shortfall => Sort::ValidTo,
    }
}

fn sort_name(app: &App, s: Sort) -> &'static str {
    match s {
        Sort::ValidTo => app.s.sort_valid_to,
        Sort::Risk => app.s.sort_risk,
        Sort::Region => app.s.sort_region,
        Sort::Shortfall => app.s.sort_shortfall,
    }
}

// ------------------------------------------------------------ layout

/// The per-prefecture part gets a table when there is room, else a compact chart.
fn roomy(size: (u16, u16)) -> bool {
    size.0 >= 100 && size.1 >= 34
}

/// Rows of the per-prefecture part.
fn regions_height(size: (u16, u16), regions: usize) -> u16 {
    match (regions, roomy(size)) {
        (0, _) => 0,
        // Header, one row each, a blank line.
        (n, true) => n as u16 + 2,
        // Two rows of bars, the at-risk and institution counts, the names.
        (_, false) => 5,
    }
}

/// Rows of the institution list at a terminal size: the screen less the two bottom lines,
/// the title and summary, the per-prefecture part, the filter line and the list's header.
pub fn list_height(size: (u16, u16), regions: usize) -> usize {
    let main = size.1.saturating_sub(2);
    main.saturating_sub(4 + regions_height(size, regions))
        .max(1) as usize
}

// ------------------------------------------------------------ the list

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let Some(sv) = &app.stats else { return };
    let s = app.s;
    let t = &app.theme;
    let w = area.width as usize;
    let e = t.ellipsis();
    let mut y = area.y;
    let line = |y: u16| Rect::new(area.x, y, area.width, 1);

    let scope = app
        .reference
        .divisions
        .get(&app.actor.region)
        .map_or_else(|| app.actor.region.clone(), |d| d.name.clone());
    let title = format!(
        "{} · {scope} · {} {}",
        s.stats_title, s.as_of, sv.data.as_of
    );
    f.render_widget(Line::styled(cut(&title, w, e), t.title()), line(y));
    y += 1;
    f.render_widget(
        Line::styled(
            cut(&strings::summary_line(app.lang, &sv.data.province), w, e),
            t.header(),
        ),
        line(y),
    );
    y += 1;

    let size = (area.width, area.height + 2);
    let rh = regions_height(size, app.prefectures.len());
    let regions = Rect::new(
        area.x,
        y,
        area.width,
        rh.min(area.bottom().saturating_sub(y)),
    );
    if roomy(size) {
        region_table(f, app, sv, regions);
    } else {
        region_chart(f, app, sv, regions);
    }
    y += rh;

    // Filters, sort and search on one line, as in the queue.
    let mut parts = vec![format!(
        "{} {}/{}",
        s.shown,
        sv.view.len(),
        sv.data.institutions.len()
    )];
    parts.push(format!("{}:{}", s.sort, sort_name(app, sv.sort)));
    if let Some((_, name)) = sv
        .region
        .checked_sub(1)
        .and_then(|i| app.prefectures.get(i))
    {
        parts.push(format!("{}:{name}", s.filter_region));
    }
    if let Some(c) = CATEGORIES.get(sv.category).copied().flatten() {
        parts.push(format!("{}:{}", s.filter_cat, word(app.lang, c)));
    }
    if sv.at_risk {
        parts.push(s.filter_at_risk.to_string());
    }
    let head = parts.join("  ");
    let mut spans = vec![Span::raw(head.clone())];
    if sv.typing || !sv.query.is_empty() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            format!("/{}", crate::text::sanitize(&sv.query)),
            t.header(),
        ));
    }
    f.render_widget(Line::from(spans), line(y));
    if sv.typing {
        // The real cursor sits where the query is typed, so an input method's window follows.
        let used = width(&head) + 3 + width(&crate::text::sanitize(&sv.query));
        f.set_cursor_position((area.x + (used as u16).min(area.width.saturating_sub(1)), y));
    }
    y += 1;

    let cols = Cols::new(w, app.lang);
    f.render_widget(Line::styled(cols.header(app), t.header()), line(y));
    y += 1;

    if sv.view.is_empty() {
        f.render_widget(
            Line::styled(format!("  {}", s.no_institutions), t.dim()),
            line(y),
        );
        return;
    }
    let h = list_height(size, app.prefectures.len());
    for (i, &k) in sv.view.iter().skip(sv.top).take(h).enumerate() {
        let Some(row) = sv.data.institutions.get(k) else {
            break;
        };
        let ry = y + i as u16;
        if ry >= area.bottom() {
            break;
        }
        let (name, rest) = cols.row(app, row);
        let mark = if row.outlook.at_risk {
            AT_RISK_MARK
        } else {
            " "
        };
        let l = if sv.top + i == sv.selected {
            // The name marks the selection, as the case number does in the queue.
            Line::from(vec![
                Span::styled(format!("{mark} "), t.fail()),
                Span::styled(name, t.selected()),
                Span::raw(rest),
            ])
        } else {
            Line::from(vec![
                Span::styled(format!("{mark} "), t.fail()),
                Span::raw(format!("{name}{rest}")),
            ])
        };
        f.render_widget(l, line(ry));
    }
}

/// Column widths of the institution list; 0 hides a column. The name takes what is left.
struct Cols {
    name: usize,
    cat: usize,
    region: usize,
    valid_to: usize,
    days: usize,
    count: usize,
    per_month: usize,
    projected: usize,
    filed: usize,
    standing: usize,
}

impl Cols {
    fn new(w: usize, lang: Lang) -> Self {
        let wide = w >= 110;
        let mut c = Cols {
            name: 0,
            cat: 8,
            region: 8,
            valid_to: if wide { 10 } else { 0 },
            days: 6,
            count: 9,
            per_month: 6,
            projected: 6,
            filed: if wide { 8 } else { 0 },
            standing: match (wide, lang) {
                (true, _) => 12,
                (false, Lang::Zh) => 6,
                (false, Lang::En) => 8,
            },
        };
        let shown = [
            c.cat,
            c.region,
            c.valid_to,
            c.days,
            c.count,
            c.per_month,
            c.projected,
            c.filed,
            c.standing,
        ];
        let used: usize = shown.iter().filter(|&&x| x > 0).map(|x| x + 1).sum();
        // Two cells for the at-risk mark and its space.
        c.name = w.saturating_sub(used + 2).max(8);
        c
    }

    fn cells(&self, texts: [&str; 10]) -> String {
        self.cell_texts(texts).join(" ")
    }

    /// Each shown column's text at its width (the name, always shown, first).
    fn cell_texts(&self, texts: [&str; 10]) -> Vec<String> {
        let widths = [
            self.name,
            self.cat,
            self.region,
            self.valid_to,
            self.days,
            self.count,
            self.per_month,
            self.projected,
            self.filed,
            self.standing,
        ];
        // Figures right-aligned, words left.
        let right = [
            false, false, false, false, true, true, true, true, false, false,
        ];
        let mut out = Vec::new();
        for ((text, w), r) in texts.iter().zip(widths).zip(right) {
            if w == 0 {
                continue;
            }
            out.push(if r {
                fit_right(text, w)
            } else {
                fit(text, w, "")
            });
        }
        out
    }

    fn header(&self, app: &App) -> String {
        let s = app.s;
        format!(
            "{AT_RISK_MARK} {}",
            self.cells([
                s.col_inst,
                s.col_cat,
                s.col_region,
                s.col_valid_to,
                s.col_days_left,
                s.col_count,
                s.col_per_month,
                s.col_projected,
                s.col_filed,
                s.col_standing,
            ])
        )
    }

    /// A row: its name cell, and the rest of the row after it (the name marks the selection).
    fn row(&self, app: &App, r: &RenewalRow) -> (String, String) {
        let e = app.theme.ellipsis();
        let standing = if self.standing >= 12 {
            standing_word(r.outlook.standing, app.lang == Lang::Zh)
        } else {
            strings::standing_short(app.lang, r.outlook.standing)
        };
        let filed = if r.renewal_on_file {
            app.s.filed_yes
        } else {
            app.s.filed_no
        };
        let texts = [
            fit(&r.name, self.name, e),
            fit(short(app.lang, &r.category), self.cat, e),
            fit(&region_name(app, &r.region), self.region, e),
            crate::text::sanitize(&r.valid_to),
            r.days_left.to_string(),
            format!("{}/{}", r.certificates, r.threshold),
            format!("{:.1}", r.pace.per_month),
            r.pace.projected.to_string(),
            filed.to_string(),
            standing.to_string(),
        ];
        let refs: [&str; 10] = std::array::from_fn(|i| texts[i].as_str());
        let mut cells = self.cell_texts(refs).into_iter();
        let name = cells.next().unwrap_or_default();
        let rest: String = cells.map(|c| format!(" {c}")).collect();
        (name, rest)
    }
}

fn region_name(app: &App, code: &str) -> String {
    app.reference
        .divisions
        .get(code)
        .map_or_else(|| crate::text::sanitize(code), |d| d.name.clone())
}

/// 黔西南布依族苗族自治州 → 黔西南州 (or 黔西南 where cells are few); 六盘水市 → 六盘水市
/// (六盘水). The place name is what comes before the first people's name.
pub fn short_prefecture(name: &str, fewest: bool) -> String {
    const PEOPLES: [&str; 8] = [
        "布依族",
        "苗族",
        "侗族",
        "土家族",
        "仡佬族",
        "水族",
        "彝族",
        "回族",
    ];
    if name.ends_with("自治州") {
        let end = PEOPLES
            .iter()
            .filter_map(|p| name.find(p))
            .min()
            .unwrap_or(name.len());
        let base = &name[..end];
        return if fewest {
            base.to_string()
        } else {
            format!("{base}州")
        };
    }
    match (fewest, name.strip_suffix('市')) {
        (true, Some(base)) if !base.is_empty() => base.to_string(),
        _ => name.to_string(),
    }
}

/// Each prefecture's summary, in the order of `App::prefectures` (all of them, with or
/// without institutions).
fn region_summaries<'a>(app: &'a App, sv: &'a StatsView) -> Vec<(&'a str, &'a str, Summary)> {
    app.prefectures
        .iter()
        .map(|(code, name)| {
            let sum = sv
                .data
                .regions
                .iter()
                .find(|r| &r.code == code)
                .map(|r| r.summary.clone())
                .unwrap_or_default();
            (code.as_str(), name.as_str(), sum)
        })
        .collect()
}

fn bar_set(t: &Theme) -> symbols::bar::Set<'static> {
    if t.ascii {
        ASCII_BARS
    } else {
        symbols::bar::NINE_LEVELS
    }
}

fn bar_style(t: &Theme) -> Style {
    t.review()
}

/// The compact per-prefecture part (80x24): bars of the institutions at risk, with the
/// at-risk and institution counts written under each bar and the prefecture's name, so it
/// reads without colour. The prefecture filtered on is in reverse video.
fn region_chart(f: &mut Frame, app: &App, sv: &StatsView, area: Rect) {
    let regions = region_summaries(app, sv);
    if regions.is_empty() || area.height < 5 {
        return;
    }
    let s = app.s;
    let t = &app.theme;
    let legend_w: u16 = 10;
    let n = regions.len() as u16;
    let slot = (area.width.saturating_sub(legend_w) / n).clamp(2, 9);
    let bar_w = slot - 1;
    let legend = |row: u16, text: &str, style: Style| {
        (
            Line::styled(fit(text, legend_w as usize, ""), style),
            Rect::new(area.x, area.y + row, legend_w, 1),
        )
    };
    for (row, text, style) in [
        (0, s.by_prefecture, t.header()),
        (2, s.chart_at_risk, Style::default()),
        (3, s.chart_inst, t.dim()),
    ] {
        let (l, r) = legend(row, text, style);
        f.render_widget(l, r);
    }
    let max = regions
        .iter()
        .map(|r| r.2.at_risk)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars: Vec<Bar> = regions
        .iter()
        .map(|r| Bar::default().value(r.2.at_risk).text_value(String::new()))
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::new(bars))
        .bar_width(bar_w)
        .bar_gap(1)
        .bar_set(bar_set(t))
        .bar_style(bar_style(t))
        .max(max);
    let x0 = area.x + legend_w;
    f.render_widget(chart, Rect::new(x0, area.y, n * slot, 2));
    for (i, (_, name, sum)) in regions.iter().enumerate() {
        let x = x0 + i as u16 * slot;
        let cell = |row: u16| Rect::new(x, area.y + row, bar_w, 1);
        let center = |text: &str| {
            let c = cut(text, bar_w as usize, "");
            let pad = (bar_w as usize).saturating_sub(width(&c)) / 2;
            format!("{}{c}", " ".repeat(pad))
        };
        f.render_widget(Line::from(center(&sum.at_risk.to_string())), cell(2));
        f.render_widget(
            Line::styled(center(&sum.institutions.to_string()), t.dim()),
            cell(3),
        );
        let style = if sv.region == i + 1 {
            t.selected()
        } else {
            Style::default()
        };
        f.render_widget(
            Line::styled(center(&short_prefecture(name, true)), style),
            cell(4),
        );
    }
}

/// The roomy per-prefecture part: one row a prefecture with every figure, and a bar of the
/// share at risk with its percentage after it.
fn region_table(f: &mut Frame, app: &App, sv: &StatsView, area: Rect) {
    let regions = region_summaries(app, sv);
    if regions.is_empty() || area.height < 2 {
        return;
    }
    let s = app.s;
    let t = &app.theme;
    const NAME: usize = 10;
    const NUM: usize = 7;
    let heads = [
        s.col_inst_n,
        s.col_meets,
        s.col_on_pace,
        s.col_behind,
        s.col_at_risk,
        s.col_no_app,
    ];
    let mut header = fit(s.col_prefecture, NAME, "");
    // A space before each figure, so that headers as wide as their column stay apart.
    for h in heads {
        header.push(' ');
        header.push_str(&fit_right(h, NUM));
    }
    header.push(' ');
    header.push_str(&fit_right(s.col_certs, NUM + 3));
    header.push_str("  ");
    let bar_x = width(&header) as u16;
    header.push_str(s.col_share);
    f.render_widget(
        Line::styled(header, t.header()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let rows = (area.height.saturating_sub(2) as usize).min(regions.len());
    // Per mille, so that small shares still differ.
    let share = |x: &Summary| (x.at_risk * 1000).checked_div(x.institutions).unwrap_or(0);
    for (i, (_, name, sum)) in regions.iter().take(rows).enumerate() {
        let y = area.y + 1 + i as u16;
        let mut text = fit(&short_prefecture(name, false), NAME, app.theme.ellipsis());
        for v in [
            sum.institutions,
            sum.meets,
            sum.on_pace,
            sum.behind,
            sum.at_risk,
            sum.no_application,
        ] {
            text.push(' ');
            text.push_str(&fit_right(&v.to_string(), NUM));
        }
        text.push(' ');
        text.push_str(&fit_right(&sum.certificates.to_string(), NUM + 3));
        let style = if sv.region == i + 1 {
            t.selected()
        } else {
            Style::default()
        };
        f.render_widget(
            Line::styled(text, style),
            Rect::new(area.x, y, bar_x.min(area.width), 1),
        );
    }
    // Leave room after the longest bar for its percentage.
    let bw = area.width.saturating_sub(bar_x + 6);
    if bw < 4 || rows == 0 {
        return;
    }
    let max = regions
        .iter()
        .map(|r| share(&r.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let bars: Vec<Bar> = regions
        .iter()
        .take(rows)
        .map(|r| Bar::default().value(share(&r.2)).text_value(String::new()))
        .collect();
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .data(BarGroup::new(bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_set(bar_set(t))
        .bar_style(bar_style(t))
        .max(max);
    let bars_area = Rect::new(area.x + bar_x, area.y + 1, bw, rows as u16);
    f.render_widget(chart, bars_area);
    for (i, r) in regions.iter().take(rows).enumerate() {
        let v = share(&r.2);
        let len = (u64::from(bw) * v / max) as u16;
        let pct = format!("{}%", (v + 5) / 10);
        f.render_widget(
            Line::from(pct),
            Rect::new(
                bars_area.x + len + u16::from(len > 0),
                bars_area.y + i as u16,
                5,
                1,
            ),
        );
    }
}

// ------------------------------------------------------------ one institution

/// Symbols of the detail's bars: issued, projected, threshold line.
fn marks(t: &Theme) -> (&'static str, &'static str, &'static str) {
    if t.ascii {
        ("#", ".", "|")
    } else {
        ("█", "░", "│")
    }
}

pub fn render_detail(f: &mut Frame, app: &App, area: Rect) {
    let Some(sv) = &app.stats else { return };
    let Some(d) = &sv.detail else { return };
    let r = &d.row;
    let s = app.s;
    let t = &app.theme;
    let lang = app.lang;
    let zh = lang == Lang::Zh;
    let w = area.width as usize;
    let e = t.ellipsis();
    let sanitize = crate::text::sanitize;
    let bottom = area.bottom();
    let mut y = area.y;
    let line = |y: u16| Rect::new(area.x, y, area.width, 1);

    let head = format!(
        "{} · {} · {}",
        sanitize(&r.name),
        sanitize(&r.credit_code),
        word(lang, &r.status)
    );
    f.render_widget(Line::styled(cut(&head, w, e), t.title()), line(y));
    y += 1;
    // The prefecture before the county where there is room for it.
    let pref = match app.reference.divisions.get(&r.prefecture) {
        Some(p) if w >= 110 && r.prefecture != r.region => p.name.clone(),
        _ => String::new(),
    };
    // The period first: a long county name is what gets cut.
    let l1 = format!(
        "{} · {} · {pref}{}",
        strings::period_line(
            lang,
            &sanitize(&r.valid_from),
            &sanitize(&r.valid_to),
            r.days_left
        ),
        word(lang, &r.category),
        region_name(app, &r.region),
    );
    let l2 = format!(
        "{} · {}",
        strings::count_line(lang, r.certificates, r.threshold, &r.pace),
        standing_word(r.outlook.standing, zh)
    );
    let l3 = format!(
        "{} · {} {}",
        strings::pace_line(lang, &r.pace),
        s.renewal_application,
        if r.renewal_on_file {
            s.filed_yes
        } else {
            s.filed_no
        }
    );
    for l in [l1, l2, l3] {
        if y < bottom {
            f.render_widget(Line::from(cut(&l, w, e)), line(y));
            y += 1;
        }
    }

    // Each reason for the warning in words with its figures. When they would crowd out the
    // charts, the occupations' reasons become one line: the chart below has their figures.
    let occ_name = |code: &str| {
        r.occupations.iter().find(|o| o.code == code).map_or_else(
            || code.to_string(),
            |o| format!("{} {}", o.code, sanitize(&o.name)),
        )
    };
    let (per_occ, other): (Vec<_>, Vec<_>) = r.outlook.risks.iter().partition(|k| {
        matches!(
            k,
            Risk::Pace {
                measure: Measure::Occupation(_),
                ..
            }
        )
    });
    let occ_rows = 2 + r.occupations.len() as u16;
    let mut gaps = true;
    let mut need = bottom.saturating_sub(y);
    let want = |risk_rows: usize, gaps: bool| {
        risk_rows.max(1) as u16 + occ_rows + MONTHS_MIN + if gaps { 2 } else { 0 }
    };
    if want(r.outlook.risks.len(), gaps) > need {
        gaps = false;
    }
    let condense = per_occ.len() > 1 && want(r.outlook.risks.len(), gaps) > need;
    let mut lines: Vec<String> = Vec::new();
    for risk in other.iter().filter(|k| matches!(k, Risk::Pace { .. })) {
        lines.push(strings::risk_line(lang, risk, &occ_name));
    }
    if condense {
        let short: Vec<(String, u64)> = per_occ
            .iter()
            .filter_map(|k| match k {
                Risk::Pace {
                    measure: Measure::Occupation(code),
                    projected,
                    ..
                } => {
                    // The name alone: the line is short of room already.
                    let name = r
                        .occupations
                        .iter()
                        .find(|o| &o.code == code)
                        .map_or_else(|| code.clone(), |o| sanitize(&o.name));
                    Some((name, *projected))
                }
                _ => None,
            })
            .collect();
        let threshold = per_occ
            .iter()
            .find_map(|k| match k {
                Risk::Pace { threshold, .. } => Some(*threshold),
                _ => None,
            })
            .unwrap_or(0);
        lines.push(strings::occupations_short(lang, threshold, &short));
    } else {
        for risk in &per_occ {
            lines.push(strings::risk_line(lang, risk, &occ_name));
        }
    }
    for risk in other.iter().filter(|k| !matches!(k, Risk::Pace { .. })) {
        lines.push(strings::risk_line(lang, risk, &occ_name));
    }
    if lines.is_empty() && y < bottom {
        f.render_widget(
            Line::styled(format!("  {}", s.no_warning), t.pass()),
            line(y),
        );
        y += 1;
    }
    for text in &lines {
        if y >= bottom {
            break;
        }
        // Marked so it reads without colour.
        f.render_widget(
            Line::from(vec![
                Span::styled(format!("{AT_RISK_MARK} "), t.fail()),
                Span::raw(cut(text, w.saturating_sub(2), e)),
            ]),
            line(y),
        );
        y += 1;
    }
    y += u16::from(gaps && y < bottom);

    // The monthly chart keeps at least its title, three rows of bars and its axis.
    need = bottom.saturating_sub(y);
    let occ_h = need.saturating_sub(MONTHS_MIN + u16::from(gaps));
    let used = occupation_chart(f, app, r, Rect::new(area.x, y, area.width, occ_h));
    y += used;
    y += u16::from(gaps && used > 0 && y < bottom);
    monthly_chart(
        f,
        app,
        &d.months,
        Rect::new(area.x, y, area.width, bottom.saturating_sub(y)),
    );
}

/// Rows the monthly chart keeps at least: its title, three rows of bars and its axis.
const MONTHS_MIN: u16 = 5;

/// The total against its threshold, then each occupation (against the per-occupation
/// threshold of social organisations): bars of what is issued, a lighter fill to where the
/// pace leads, and the threshold as a line through the bars. Returns the rows used.
fn occupation_chart(f: &mut Frame, app: &App, r: &RenewalRow, area: Rect) -> u16 {
    if area.height < 2 {
        return 0;
    }
    let s = app.s;
    let t = &app.theme;
    let e = t.ellipsis();
    let w = area.width as usize;
    let (issued, projected, line_mark) = marks(t);
    let legend = format!(
        "{}  {issued} {}  {projected} {}  {line_mark} {}",
        s.occ_chart, s.legend_issued, s.legend_projected, s.legend_threshold
    );
    f.render_widget(
        Line::styled(cut(&legend, w, e), t.header()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let wide = w >= 110;
    let label_w: usize = if wide { 30 } else { 20 };
    let fig_w: usize = if wide { 28 } else { 22 };
    let bar_w = w.saturating_sub(label_w + fig_w + 2) as u16;
    let bar_x = area.x + label_w as u16 + 1;
    let fig_x = bar_x + bar_w + 1;
    let mut y = area.y + 1;
    let bottom = area.bottom();
    let figures = |n: u64, threshold: Option<u64>, proj: u64| {
        let mut text = match threshold {
            Some(th) => format!("{n}/{th}"),
            None => n.to_string(),
        };
        text = format!("{text} {} {proj}", s.col_projected);
        if let Some(th) = threshold {
            text.push(' ');
            text.push_str(t.result_mark(if n >= th { "pass" } else { "fail" }));
        }
        text
    };
    // The total, on its own scale.
    let label = |text: &str| Line::from(fit(text, label_w, e));
    f.render_widget(label(s.total), Rect::new(area.x, y, label_w as u16, 1));
    let max = headroom(r.certificates.max(r.threshold).max(r.pace.projected));
    hbars(
        f,
        t,
        Rect::new(bar_x, y, bar_w, 1),
        &[(r.certificates, r.pace.projected)],
        max,
        Some(r.threshold),
    );
    f.render_widget(
        Line::from(figures(r.certificates, Some(r.threshold), r.pace.projected)),
        Rect::new(fig_x, y, fig_w as u16, 1),
    );
    y += 1;
    // The occupations, on one scale, with the per-occupation line when there is one.
    let room = bottom.saturating_sub(y) as usize;
    let n = r.occupations.len();
    let shown = if n > room { room.saturating_sub(1) } else { n };
    let occs = &r.occupations[..shown];
    let threshold = occs.iter().filter_map(|o| o.threshold).max();
    let max = headroom(
        occs.iter()
            .map(|o| {
                o.certificates
                    .max(o.pace.projected)
                    .max(o.threshold.unwrap_or(0))
            })
            .max()
            .unwrap_or(0),
    );
    let values: Vec<(u64, u64)> = occs
        .iter()
        .map(|o| (o.certificates, o.pace.projected))
        .collect();
    hbars(
        f,
        t,
        Rect::new(bar_x, y, bar_w, shown as u16),
        &values,
        max,
        threshold,
    );
    for (i, o) in occs.iter().enumerate() {
        let oy = y + i as u16;
        let name = format!("{} {}", o.code, o.name);
        f.render_widget(label(&name), Rect::new(area.x, oy, label_w as u16, 1));
        f.render_widget(
            Line::from(figures(o.certificates, o.threshold, o.pace.projected)),
            Rect::new(fig_x, oy, fig_w as u16, 1),
        );
    }
    y += shown as u16;
    if shown < n && y < bottom {
        f.render_widget(
            Line::styled(format!("  +{}{}", n - shown, s.more_occupations), t.dim()),
            Rect::new(area.x, y, area.width, 1),
        );
        y += 1;
    }
    y - area.y
}

/// A scale a little above the largest figure, so that no mark sits on the right edge.
fn headroom(max: u64) -> u64 {
    (max + max / 10).max(1)
}

/// Horizontal bars, one a row: what is issued (ratatui's BarChart), a lighter fill to the
/// projection, and the threshold as a line through every row.
fn hbars(
    f: &mut Frame,
    t: &Theme,
    area: Rect,
    rows: &[(u64, u64)],
    max: u64,
    threshold: Option<u64>,
) {
    if area.width == 0 || area.height == 0 || rows.is_empty() {
        return;
    }
    let set = if t.ascii {
        symbols::bar::Set {
            full: "#",
            ..ASCII_BARS
        }
    } else {
        symbols::bar::NINE_LEVELS
    };
    let bars: Vec<Bar> = rows
        .iter()
        .map(|(v, _)| Bar::default().value(*v).text_value(String::new()))
        .collect();
    let chart = BarChart::default()
        .direction(Direction::Horizontal)
        .data(BarGroup::new(bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_set(set)
        .bar_style(bar_style(t))
        .max(max);
    f.render_widget(chart, area);
    let (_, projected, line_mark) = marks(t);
    let w = u64::from(area.width);
    let buf = f.buffer_mut();
    for (i, (v, p)) in rows.iter().enumerate().take(area.height as usize) {
        let y = area.y + i as u16;
        // The same rounding as BarChart's: whole cells, rounded down.
        let len = (v * w / max).min(w) as u16;
        let plen = (p * w / max).min(w) as u16;
        for x in len..plen {
            buf[(area.x + x, y)]
                .set_symbol(projected)
                .set_style(t.dim());
        }
        if let Some(th) = threshold {
            let x = (th * w / max).min(w - 1) as u16;
            buf[(area.x + x, y)]
                .set_symbol(line_mark)
                .set_style(Style::default().add_modifier(Modifier::BOLD));
        }
    }
}

/// Certificates per month over the period: the last months that fit, the highest month on
/// the left axis, the first and last month under the bars.
fn monthly_chart(f: &mut Frame, app: &App, months: &[(String, u64)], area: Rect) {
    let s = app.s;
    let t = &app.theme;
    let e = t.ellipsis();
    let w = area.width as usize;
    if area.height == 0 {
        return;
    }
    if months.is_empty() {
        f.render_widget(
            Line::styled(
                cut(&format!("{}  {}", s.monthly_title, s.months_none), w, e),
                t.dim(),
            ),
            Rect::new(area.x, area.y, area.width, 1),
        );
        return;
    }
    const AXIS: u16 = 6;
    let room = area.width.saturating_sub(AXIS + 1);
    // Wider bars when every month fits with them.
    let bar_w: u16 = if months.len() as u16 * 3 <= room {
        2
    } else {
        1
    };
    let fit_n = ((room + 1) / (bar_w + 1)) as usize;
    let shown = &months[months.len().saturating_sub(fit_n)..];
    let (first, last) = match (shown.first(), shown.last()) {
        (Some(a), Some(b)) => (a.0.as_str(), b.0.as_str()),
        _ => return,
    };
    let max = shown.iter().map(|m| m.1).max().unwrap_or(0);
    let title = format!(
        "{}  {}  {}",
        s.monthly_title,
        strings::months_span(app.lang, first, last, shown.len(), months.len()),
        strings::months_max(app.lang, max)
    );
    f.render_widget(
        Line::styled(cut(&title, w, e), t.header()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    if area.height < 3 {
        return;
    }
    let bars_h = area.height - 2;
    let bx = area.x + AXIS + 1;
    let by = area.y + 1;
    // The left axis: the scale's top and zero.
    f.render_widget(
        Line::from(fit_right(&max.to_string(), AXIS as usize)),
        Rect::new(area.x, by, AXIS, 1),
    );
    f.render_widget(
        Line::from(fit_right("0", AXIS as usize)),
        Rect::new(area.x, by + bars_h - 1, AXIS, 1),
    );
    let axis = if t.ascii { "|" } else { "│" };
    for j in 0..bars_h {
        f.render_widget(
            Line::styled(axis, t.dim()),
            Rect::new(area.x + AXIS, by + j, 1, 1),
        );
    }
    let bars: Vec<Bar> = shown
        .iter()
        .map(|m| Bar::default().value(m.1).text_value(String::new()))
        .collect();
    let chart = BarChart::default()
        .data(BarGroup::new(bars))
        .bar_width(bar_w)
        .bar_gap(1)
        .bar_set(bar_set(t))
        .bar_style(bar_style(t))
        .max(max.max(1));
    let chart_w = (shown.len() as u16 * (bar_w + 1))
        .saturating_sub(1)
        .min(room);
    f.render_widget(chart, Rect::new(bx, by, chart_w, bars_h));
    // Under the bars: the first month at the left, the last at the right.
    let ay = by + bars_h;
    f.render_widget(
        Line::styled(first.to_string(), t.dim()),
        Rect::new(bx, ay, chart_w, 1),
    );
    let lw = width(last) as u16;
    if chart_w > lw + width(first) as u16 + 1 {
        f.render_widget(
            Line::styled(last.to_string(), t.dim()),
            Rect::new(bx + chart_w - lw, ay, lw, 1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefecture_names_shorten_to_the_place() {
        assert_eq!(
            short_prefecture("黔西南布依族苗族自治州", false),
            "黔西南州"
        );
        assert_eq!(short_prefecture("黔东南苗族侗族自治州", true), "黔东南");
        assert_eq!(short_prefecture("黔南布依族苗族自治州", true), "黔南");
        assert_eq!(short_prefecture("六盘水市", true), "六盘水");
        assert_eq!(short_prefecture("六盘水市", false), "六盘水市");
        assert_eq!(short_prefecture("市", true), "市");
    }

    #[test]
    fn sorts_cycle_through_the_four_orders() {
        let mut s = Sort::default();
        let mut seen = vec![s];
        for _ in 0..3 {
            s = next_sort(s);
            seen.push(s);
        }
        assert_eq!(
            seen,
            [Sort::ValidTo, Sort::Risk, Sort::Region, Sort::Shortfall]
        );
        assert_eq!(next_sort(s), Sort::ValidTo);
    }
}
