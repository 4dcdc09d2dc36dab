//! Pop-ups over a screen (help, note and reason editors, the decision dialog, the case history,
//! an article's text) and the two bottom lines: messages and key hints.

use super::app::{App, MsgKind, Overlay, DECISIONS};
use super::keymap::{self, Screen};
use super::strings::word;
use super::widgets::{cut, fit, width};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Clears the pop-up's area. A wide (CJK) character that straddles its left or right edge is
/// blanked too: otherwise the terminal draws it over the border and the border vanishes.
fn clear(f: &mut Frame, r: Rect) {
    f.render_widget(Clear, r);
    let buf = f.buffer_mut();
    let area = buf.area;
    for y in r.y..r.y + r.height {
        if r.x > area.x {
            let cell = &mut buf[(r.x - 1, y)];
            if width(cell.symbol()) > 1 {
                cell.set_symbol(" ");
            }
        }
        let right = r.x + r.width;
        if right < area.x + area.width {
            let cell = &mut buf[(right, y)];
            if cell.symbol().is_empty() {
                cell.set_symbol(" ");
            }
        }
    }
}

fn block<'a>(app: &App, title: &str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_set(app.theme.border())
        .title(Span::styled(format!(" {title} "), app.theme.title()))
}

/// The one-line key hints of the current screen, from the keymap table.
pub fn hints(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let screen = app.screen;
    let mut spans = Vec::new();
    let mut used = 0usize;
    // Help first: whatever is cut at the right edge, `?` lists it.
    let help = keymap::bindings(screen).filter(|b| b.hint && b.action == keymap::Action::Help);
    let rest = keymap::bindings(screen).filter(|b| b.hint && b.action != keymap::Action::Help);
    for b in help.chain(rest) {
        let key = t.key_label(b.label);
        let desc = format!(" {}  ", keymap::hint_label(b, app.lang));
        let w = width(&key) + width(&desc);
        if used + w > area.width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(key, t.header()));
        spans.push(Span::styled(desc, t.dim()));
    }
    f.render_widget(Line::from(spans), area);
}

pub fn message(f: &mut Frame, app: &App, area: Rect) {
    if let Some((m, kind)) = &app.message {
        let style = if *kind == MsgKind::Error {
            app.theme.error()
        } else {
            app.theme.header()
        };
        f.render_widget(
            Line::styled(cut(m, area.width as usize, app.theme.ellipsis()), style),
            area,
        );
    }
}

pub fn render(f: &mut Frame, app: &App, area: Rect) {
    let Some(ov) = &app.overlay else { return };
    let t = &app.theme;
    let s = app.s;
    match ov {
        Overlay::Help { scroll } => {
            let r = centered(area, 76, area.height.saturating_sub(2));
            let screen = app.screen;
            let mut lines = vec![Line::styled(s.keys_title.to_string(), t.header())];
            for b in keymap::bindings(screen) {
                lines.push(Line::from(vec![
                    Span::styled(fit(&t.key_label(b.label), 14, ""), t.header()),
                    Span::raw(keymap::describe(b, app.lang).to_string()),
                ]));
            }
            match screen {
                Screen::Queue => {
                    lines.push(Line::from(""));
                    lines.push(Line::from(s.search_help));
                }
                Screen::Stats => {
                    lines.push(Line::from(""));
                    lines.push(Line::from(s.stats_search_help));
                }
                _ => {}
            }
            lines.push(Line::styled(s.close.to_string(), t.dim()));
            clear(f, r);
            f.render_widget(
                Paragraph::new(lines)
                    .block(block(app, s.help))
                    .scroll((*scroll, 0)),
                r,
            );
        }
        Overlay::Article {
            title,
            text,
            scroll,
        } => {
            let r = centered(area, 78, area.height.saturating_sub(2));
            // Wrapped by display width inside the borders (see widgets::wrap_line).
            let lines: Vec<Line> = text
                .lines()
                .map(|l| Line::from(crate::text::sanitize(l)))
                .flat_map(|l| super::widgets::wrap_line(l, usize::from(r.width.saturating_sub(2))))
                .collect();
            clear(f, r);
            f.render_widget(
                Paragraph::new(lines)
                    .block(block(app, title))
                    .scroll((*scroll, 0)),
                r,
            );
        }
        Overlay::History { rows, scroll } => {
            let r = centered(
                area,
                area.width.saturating_sub(2),
                area.height.saturating_sub(2),
            );
            let inner_h = r.height.saturating_sub(2) as usize;
            let start = scroll.saturating_sub(inner_h.saturating_sub(1));
            let lines: Vec<Line> = rows
                .iter()
                .enumerate()
                .skip(start)
                .take(inner_h)
                .map(|(i, row)| {
                    let what = row.after.as_deref().or(row.before.as_deref()).unwrap_or("");
                    let text =
                        format!("{} {:<10} {:<16} {}", row.at, row.account, row.action, what);
                    let text = cut(&text, r.width.saturating_sub(2) as usize, t.ellipsis());
                    if i == *scroll {
                        Line::styled(text, t.selected())
                    } else {
                        Line::from(text)
                    }
                })
                .collect();
            clear(f, r);
            f.render_widget(Paragraph::new(lines).block(block(app, s.history)), r);
        }
        Overlay::Step(form) => {
            let r = centered(area, 66.min(area.width), 9.min(area.height));
            clear(f, r);
            let outer = block(app, s.step_title).title_bottom(Span::styled(
                format!(" {} ", t.key_label(s.step_hint)),
                t.dim(),
            ));
            let inner = outer.inner(r);
            f.render_widget(outer, r);
            let zh = app.lang == crate::commands::Lang::Zh;
            let iw = inner.width as usize;
            let step = form.step();
            let exit = app.case.as_ref().and_then(|c| c.exit.as_ref());
            let mut lines = Vec::new();
            if let Some(x) = exit {
                lines.push(Line::from(cut(
                    &format!(
                        "{} {} · {} · {}",
                        s.case,
                        x.case_no,
                        crate::domain::exit::kind_name(x.facts.kind, zh),
                        if zh {
                            x.article.to_string()
                        } else {
                            super::case::article_en(x.article)
                        }
                    ),
                    iw,
                    t.ellipsis(),
                )));
            }
            let (l, rr) = if t.ascii { ("<", ">") } else { ("◀", "▶") };
            let kind = exit.map(|x| x.facts.kind);
            lines.push(Line::from(vec![
                Span::raw(format!("{} ", fit(s.step_label, 6, ""))),
                Span::styled(
                    format!(
                        "{l} {}/{} {} {} {rr}",
                        form.index + 1,
                        form.steps.len(),
                        step.name(zh),
                        kind.map(|k| step.cite(k)).unwrap_or("")
                    ),
                    t.header(),
                ),
            ]));
            let field = |label: &str, value: &str, focused: bool| {
                let shown = fit(value, 24, "");
                Line::from(vec![
                    Span::raw(format!("{} ", fit(label, 6, ""))),
                    Span::styled(
                        format!("[{shown}]"),
                        if focused {
                            t.selected()
                        } else {
                            ratatui::style::Style::default()
                        },
                    ),
                ])
            };
            lines.push(Line::from(""));
            lines.push(field(s.step_date, &form.date, !form.on_number));
            if step.needs_number() {
                lines.push(field(s.step_number, &form.number, form.on_number));
            }
            let cursor_row = if form.on_number { 4 } else { 3 } - u16::from(exit.is_none());
            let value = if form.on_number {
                &form.number
            } else {
                &form.date
            };
            let cx = inner.x + 7 + 1 + width(value).min(24) as u16;
            let cy = inner.y + cursor_row;
            if cx < inner.x + inner.width && cy < inner.y + inner.height {
                f.set_cursor_position((cx, cy));
            }
            f.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Editor(ed) => {
            let r = centered(area, 72.min(area.width), 12.min(area.height));
            clear(f, r);
            let outer = block(app, &ed.title)
                .title_bottom(Span::styled(format!(" {} ", s.editor_hint), t.dim()));
            let inner = outer.inner(r);
            f.render_widget(outer, r);
            f.render_widget(&ed.area, inner);
            place_cursor(f, &ed.area, inner);
        }
        Overlay::Propose(p) => {
            let r = centered(area, 76.min(area.width), 20.min(area.height));
            clear(f, r);
            let outer = block(app, s.propose_title)
                .title_bottom(Span::styled(format!(" {} ", s.propose_hint), t.dim()));
            let inner = outer.inner(r);
            f.render_widget(outer, r);
            let mut y = inner.y;
            let mut spans = Vec::new();
            for (i, d) in DECISIONS.iter().enumerate() {
                let label = format!(" {} ", word(app.lang, d));
                spans.push(if i == p.decision {
                    Span::styled(label, t.selected())
                } else {
                    Span::raw(label)
                });
                spans.push(Span::raw(" "));
            }
            f.render_widget(Line::from(spans), Rect::new(inner.x, y, inner.width, 1));
            y += 1;
            if DECISIONS[p.decision] == "approve_partial" {
                for (i, (code, name, on)) in p.occupations.iter().enumerate() {
                    if y >= inner.y + inner.height {
                        break;
                    }
                    let text = format!(
                        " [{}] {code} {}",
                        if *on { "x" } else { " " },
                        crate::text::sanitize(name)
                    );
                    let style = if i == p.occ_cursor && !p.on_reasons {
                        t.selected()
                    } else {
                        ratatui::style::Style::default()
                    };
                    f.render_widget(
                        Line::styled(text, style),
                        Rect::new(inner.x, y, inner.width, 1),
                    );
                    y += 1;
                }
            }
            let label_style = if p.on_reasons {
                t.selected()
            } else {
                t.header()
            };
            if y < inner.y + inner.height {
                f.render_widget(
                    Line::styled(format!("{}:", s.reasons), label_style),
                    Rect::new(inner.x, y, inner.width, 1),
                );
                y += 1;
            }
            let rh = (inner.y + inner.height).saturating_sub(y);
            let ra = Rect::new(inner.x, y, inner.width, rh);
            f.render_widget(&p.reasons, ra);
            if p.on_reasons {
                place_cursor(f, &p.reasons, ra);
            }
        }
    }
}

/// Puts the terminal's own cursor where the text goes, so that a Chinese input method opens
/// its candidate window there.
fn place_cursor(f: &mut Frame, area: &ratatui_textarea::TextArea<'_>, inner: Rect) {
    let c = area.screen_cursor();
    let x = inner.x + (c.col as u16).min(inner.width.saturating_sub(1));
    let y = inner.y + (c.row as u16).min(inner.height.saturating_sub(1));
    f.set_cursor_position((x, y));
}
