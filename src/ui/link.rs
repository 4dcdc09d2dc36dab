//! The bytes a frame costs on the wire. ratatui's crossterm backend moves the cursor with an
//! absolute position before every gap, resets all attributes at every frame's end and repaints
//! a whole list when it moves by a row at its edge. On a 9600-baud SSH link each of those is
//! felt, so this backend keeps a copy of what the terminal shows and, per frame:
//!
//! - lets the terminal scroll the part of the screen that moved by whole rows (a scroll
//!   region and line feeds, as curses does), then sends only what still differs;
//! - moves the cursor the shortest way (`\r\n`, a relative move, or resending a short run of
//!   cells that are already right) and changes only the attributes that change;
//! - keeps the cursor hidden and the attributes set across frames instead of resetting them.
//!
//! Correctness rests on the copy matching the screen: a clear or resize starts it again from
//! blank, and a test feeds every frame of the desk to a terminal emulator and compares.

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect, Size};
use ratatui::style::{Color, Modifier, Style};
use std::io::{self, Write};
use unicode_width::UnicodeWidthStr;

pub struct LinkBackend<W: Write> {
    inner: CrosstermBackend<W>,
    /// Fixed size for tests (no terminal to ask).
    fixed: Option<Size>,
    /// What the terminal shows.
    shadow: Buffer,
    /// What ratatui has drawn: the terminal shows it once no rows are held back.
    want: Buffer,
    /// Where the terminal's cursor is, when known.
    cursor: Option<(u16, u16)>,
    /// The attributes the terminal will give the next character, when known.
    pen: Option<Style>,
    hidden: bool,
    /// The terminal scrolls a region by n rows in one sequence (SU/SD); the Linux console and
    /// the DEC terminals scroll by line feeds and reverse index only.
    csi_scroll: bool,
    pace: Pace,
    /// Rows the last frame held back (see `Pace`).
    held: bool,
}

/// How the next frame may pace itself, set by the event loop before it draws.
///
/// While keys come faster than the link carries frames (`hot`: keys arrived while the last
/// frame was on its way), a list scrolling by many rows would spend the link on rows that
/// scroll away again before the keys stop. Such a frame then paints only the rows nearest
/// the edge the list moves toward (a quarter of the scrolled region), where the selection
/// is, and leaves the farther rows blank; the next frame drawn without a key in between
/// paints them. Only on a slow link (`rate`, bytes a second, measured from the answers): a
/// fast one paints them at once, without the round trip.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Pace {
    pub hot: bool,
    pub rate: Option<f64>,
}

/// Rows are held back only when painting them would keep the link busy this long.
const HOLD_OVER: f64 = 0.1;

impl<W: Write> LinkBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: CrosstermBackend::new(writer),
            fixed: None,
            shadow: Buffer::empty(Rect::ZERO),
            want: Buffer::empty(Rect::ZERO),
            cursor: None,
            pen: None,
            hidden: false,
            csi_scroll: true,
            pace: Pace::default(),
            held: false,
        }
    }

    /// Takes the terminal's type (`$TERM`) into account: only the scrolling sequences it has.
    pub fn for_term(mut self, term: &str) -> Self {
        let dec = term
            .strip_prefix("vt")
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
        self.csi_scroll = !(term.starts_with("linux") || dec);
        self
    }

    /// How the next frame is paced.
    pub fn set_pace(&mut self, pace: Pace) {
        self.pace = pace;
    }

    /// The last frame held rows back: a frame drawn now, with nothing new, paints them.
    pub fn holding(&self) -> bool {
        self.held
    }

    /// A backend for a terminal of a known size, for tests.
    pub fn with_size(writer: W, width: u16, height: u16) -> Self {
        let mut b = Self::new(writer);
        b.fixed = Some(Size::new(width, height));
        b
    }

    /// What this backend believes the terminal shows.
    pub fn shadow(&self) -> &Buffer {
        &self.shadow
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)
    }

    fn blank_shadow(&mut self) -> io::Result<()> {
        let s = Backend::size(self)?;
        self.shadow = Buffer::empty(Rect::new(0, 0, s.width, s.height));
        self.want = self.shadow.clone();
        self.held = false;
        Ok(())
    }

    /// Rows of `new` that this frame leaves for later (see `Pace`): rows of the region that
    /// scrolled, still blank, and a quarter of the region or more away from the edge the
    /// rows came in at.
    fn rows_to_hold(&self, base: &Buffer, new: &Buffer, s: Scroll) -> Vec<u16> {
        let Some(rate) = self.pace.rate.filter(|_| self.pace.hot) else {
            return Vec::new();
        };
        let near = ((s.bottom - s.top + 1) / 4).max(1);
        let rows: Vec<u16> = (s.top..=s.bottom)
            .filter(|&y| {
                let from_edge = if s.by > 0 { s.bottom - y } else { y - s.top };
                from_edge >= near && row_blank(base, y) && !row_blank(new, y)
            })
            .collect();
        let bytes: usize = rows.iter().map(|&y| row_bytes(new, y)).sum();
        if (bytes as f64) < rate * HOLD_OVER {
            return Vec::new();
        }
        rows
    }
}

/// Display width of a cell's symbol, as the terminal advances for it.
fn cell_width(c: &Cell) -> u16 {
    match c.symbol().width() {
        0 => 1,
        w => w.min(2) as u16,
    }
}

fn same_look(a: &Cell, b: &Cell) -> bool {
    a.symbol() == b.symbol() && a.style() == b.style()
}

/// For each column of row `y`: true where a character starts (not the right half of a wide
/// one).
fn leads(buf: &Buffer, y: u16) -> Vec<bool> {
    let w = buf.area.width;
    let mut v = vec![false; usize::from(w)];
    let mut x = 0;
    while x < w {
        v[usize::from(x)] = true;
        x += cell_width(&buf[(x, y)]);
    }
    v
}

fn row_distance(a: &Buffer, ya: u16, b: &Buffer, yb: u16) -> usize {
    (0..a.area.width)
        .filter(|&x| !same_look(&a[(x, ya)], &b[(x, yb)]))
        .count()
}

/// A space with no attributes: what an erase or a scroll leaves.
fn cell_blank(c: &Cell) -> bool {
    c.symbol() == " " && look(c) == Style::default()
}

fn row_blank(buf: &Buffer, y: u16) -> bool {
    (0..buf.area.width).all(|x| cell_blank(&buf[(x, y)]))
}

/// About what a row costs to paint: its text.
fn row_bytes(buf: &Buffer, y: u16) -> usize {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().len())
        .sum()
}

fn row_hash(buf: &Buffer, y: u16) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for x in 0..buf.area.width {
        let c = &buf[(x, y)];
        c.symbol().hash(&mut h);
        c.style().hash(&mut h);
    }
    h.finish()
}

/// A scroll of rows `top..=bottom` by `by` rows (positive: content moves up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scroll {
    pub top: u16,
    pub bottom: u16,
    pub by: i16,
}

/// The scroll that turns most of `old` into `new`: the longest run of rows of `new` that are
/// rows of `old` moved by the same amount (give or take a few cells, such as a selection that
/// moved with them), when it is at least three rows.
pub fn find_scroll(old: &Buffer, new: &Buffer) -> Option<Scroll> {
    const MIN_RUN: u16 = 3;
    if old.area != new.area || old.area.height < MIN_RUN + 1 {
        return None;
    }
    let h = new.area.height;
    let w = new.area.width;
    let old_h: Vec<u64> = (0..h).map(|y| row_hash(old, y)).collect();
    let new_h: Vec<u64> = (0..h).map(|y| row_hash(new, y)).collect();
    // Shifts for which some changed row of `new` is exactly a row of `old`.
    let mut shifts: Vec<i16> = Vec::new();
    for y in 0..h {
        if new_h[usize::from(y)] == old_h[usize::from(y)] {
            continue;
        }
        for (src, hash) in old_h.iter().enumerate() {
            let by = src as i16 - y as i16;
            if *hash == new_h[usize::from(y)] && by != 0 && !shifts.contains(&by) {
                shifts.push(by);
            }
        }
    }
    let old_blank: Vec<bool> = (0..h).map(|y| row_blank(old, y)).collect();
    let mut best: Option<(u16, Scroll)> = None;
    for by in shifts {
        // Some(true): row y of `new` is row y + by of `old`; Some(false): that row of `old`
        // is blank (a row a paced frame held back), which a scroll may carry along.
        let matches = |y: u16| -> Option<bool> {
            let src = y as i32 + i32::from(by);
            if src < 0 || src >= i32::from(h) || new_h[usize::from(y)] == old_h[usize::from(y)] {
                return None;
            }
            let src = src as u16;
            if new_h[usize::from(y)] == old_h[usize::from(src)] {
                return Some(true);
            }
            if old_blank[usize::from(src)] {
                return Some(false);
            }
            let d = row_distance(new, y, old, src);
            (d <= usize::from(w / 2) && d < row_distance(new, y, old, y)).then_some(true)
        };
        let mut y = 0;
        while y < h {
            if matches(y).is_none() {
                y += 1;
                continue;
            }
            let start = y;
            let mut run = 0;
            while y < h {
                match matches(y) {
                    Some(m) => run += u16::from(m),
                    None => break,
                }
                y += 1;
            }
            let mag = by.unsigned_abs();
            // The region takes in the rows the scroll brings in.
            let (top, bottom) = if by > 0 {
                (start, y - 1 + mag)
            } else {
                (start.saturating_sub(mag), y - 1)
            };
            if run >= MIN_RUN
                && bottom < h
                && top + mag <= bottom
                && best.is_none_or(|(r, _)| run > r)
            {
                best = Some((run, Scroll { top, bottom, by }));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// `old` after the terminal scrolled it: rows brought in are blank.
fn scrolled(old: &Buffer, s: Scroll) -> Buffer {
    let mut b = old.clone();
    let w = old.area.width;
    for y in s.top..=s.bottom {
        let src = y as i32 + i32::from(s.by);
        for x in 0..w {
            b[(x, y)] = if src >= i32::from(s.top) && src <= i32::from(s.bottom) {
                old[(x, src as u16)].clone()
            } else {
                Cell::default()
            };
        }
    }
    b
}

fn color_params(c: Color, fg: bool, out: &mut Vec<String>) {
    let base = if fg { 30 } else { 40 };
    let p = match c {
        Color::Reset => (base + 9).to_string(),
        Color::Black => base.to_string(),
        Color::Red => (base + 1).to_string(),
        Color::Green => (base + 2).to_string(),
        Color::Yellow => (base + 3).to_string(),
        Color::Blue => (base + 4).to_string(),
        Color::Magenta => (base + 5).to_string(),
        Color::Cyan => (base + 6).to_string(),
        Color::Gray => (base + 7).to_string(),
        Color::DarkGray => (base + 60).to_string(),
        Color::LightRed => (base + 61).to_string(),
        Color::LightGreen => (base + 62).to_string(),
        Color::LightYellow => (base + 63).to_string(),
        Color::LightBlue => (base + 64).to_string(),
        Color::LightMagenta => (base + 65).to_string(),
        Color::LightCyan => (base + 66).to_string(),
        Color::White => (base + 67).to_string(),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    };
    out.push(p);
}

const MODIFIER_CODES: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

/// The attributes of a cell as the terminal keeps them (no attributes: `Style::default()`).
fn look(c: &Cell) -> Style {
    let mut s = Style::default().add_modifier(c.modifier);
    if c.fg != Color::Reset {
        s = s.fg(c.fg);
    }
    if c.bg != Color::Reset {
        s = s.bg(c.bg);
    }
    s
}

/// The SGR sequence that takes the terminal from `from` (unknown: None) to `to`; empty when
/// nothing changes.
fn sgr(from: Option<Style>, to: Style) -> Vec<u8> {
    let fg = |s: Style| s.fg.unwrap_or(Color::Reset);
    let bg = |s: Style| s.bg.unwrap_or(Color::Reset);
    let mut params: Vec<String> = Vec::new();
    let base = match from {
        Some(f) if f == to => return Vec::new(),
        // Attributes only go off all together.
        Some(f) if f.add_modifier.difference(to.add_modifier).is_empty() => f,
        _ => {
            params.push(String::new());
            Style::default()
        }
    };
    for (m, code) in MODIFIER_CODES {
        if to.add_modifier.contains(m) && !base.add_modifier.contains(m) {
            params.push(code.to_string());
        }
    }
    if fg(to) != fg(base) {
        color_params(fg(to), true, &mut params);
    }
    if bg(to) != bg(base) {
        color_params(bg(to), false, &mut params);
    }
    if params.len() == 1 && params[0].is_empty() {
        return b"\x1b[m".to_vec();
    }
    let body = params.join(";");
    // A reset followed by more is "\x1b[0;1;7m" written "\x1b[;1;7m".
    format!("\x1b[{body}m").into_bytes()
}

/// The shortest way to move the cursor from `from` (unknown: None) to (x, y). A cursor at
/// x == `width` has written the last column and waits to wrap: only a carriage return moves
/// it reliably from there.
fn cursor_move(from: Option<(u16, u16)>, x: u16, y: u16, width: u16, height: u16) -> Vec<u8> {
    let cup = || match (x, y) {
        (0, 0) => b"\x1b[H".to_vec(),
        (0, _) => format!("\x1b[{}H", y + 1).into_bytes(),
        _ => format!("\x1b[{};{}H", y + 1, x + 1).into_bytes(),
    };
    let right = |n: u16| -> Vec<u8> {
        match n {
            0 => Vec::new(),
            1 => b"\x1b[C".to_vec(),
            n => format!("\x1b[{n}C").into_bytes(),
        }
    };
    let mut best = cup();
    let mut consider = |v: Vec<u8>| {
        if v.len() < best.len() {
            best = v;
        }
    };
    if let Some((cx, cy)) = from {
        if cy == y && cx == x {
            return Vec::new();
        }
        let pending = cx >= width;
        if cy == y && x > cx && !pending {
            consider(right(x - cx));
        }
        if cy == y && x < cx {
            let mut v = b"\r".to_vec();
            v.extend(right(x));
            consider(v);
            let n = cx - x;
            if !pending {
                consider(if n == 1 {
                    b"\x08".to_vec()
                } else {
                    format!("\x1b[{n}D").into_bytes()
                });
            }
        }
        // A line feed below the last row would scroll the screen.
        if y == cy + 1 && y < height {
            let mut v = b"\r\n".to_vec();
            v.extend(right(x));
            consider(v);
        }
    }
    best
}

impl<W: Write> LinkBackend<W> {
    /// Writes what it takes to turn `base` (what the terminal shows) into `new`.
    fn paint(&mut self, base: &Buffer, new: &Buffer, hold: &[u16]) -> io::Result<()> {
        let w = new.area.width;
        let h = new.area.height;
        let mut out: Vec<u8> = Vec::new();
        for y in (0..h).filter(|y| !hold.contains(y)) {
            let base_leads = leads(base, y);
            // Units of `new` in this row: (x, width, dirty).
            let mut units: Vec<(u16, u16, bool)> = Vec::new();
            let mut x = 0;
            while x < w {
                let c = &new[(x, y)];
                let mut cw = cell_width(c);
                if x + cw > w {
                    cw = 1;
                }
                let b = &base[(x, y)];
                let clean = base_leads[usize::from(x)]
                    && cell_width(b) == cw
                    && same_look(b, c)
                    && (cw == 1 || !base_leads.get(usize::from(x + 1)).copied().unwrap_or(true));
                units.push((x, cw, !clean));
                x += cw;
            }
            // Where the row's blank tail starts: from there, erasing to the end of the line
            // (3 bytes) beats writing the blanks when several of them changed.
            let tail = units
                .iter()
                .rposition(|&(x, _, _)| !cell_blank(&new[(x, y)]))
                .map_or(0, |k| k + 1);
            let erase_tail = units[tail..].iter().filter(|u| u.2).count() >= 4;
            let mut i = 0;
            while i < units.len() {
                let (ux, uw, dirty) = units[i];
                if !dirty {
                    i += 1;
                    continue;
                }
                if erase_tail && i >= tail {
                    out.extend(cursor_move(self.cursor, ux, y, w, h));
                    out.extend(sgr(self.pen, Style::default()));
                    self.pen = Some(Style::default());
                    out.extend_from_slice(b"\x1b[K");
                    self.cursor = Some((ux, y));
                    break;
                }
                // Reach (ux, y): a move, or resending the cells in between when they are
                // already right, in the current attributes, and cheaper.
                let mv = cursor_move(self.cursor, ux, y, w, h);
                // (bytes to get there, attributes the terminal then has)
                let mut way: (Vec<u8>, Option<Style>) = (mv.clone(), self.pen);
                if let Some((cx, cy)) = self.cursor {
                    if cy == y && cx < ux && !mv.is_empty() {
                        let gap: Vec<u16> = units[..i]
                            .iter()
                            .filter(|u| u.0 >= cx)
                            .map(|u| u.0)
                            .collect();
                        let style = look(&new[(cx, y)]);
                        let resendable = gap.first() == Some(&cx)
                            && gap.iter().all(|&gx| look(&new[(gx, y)]) == style);
                        if resendable {
                            let mut bytes = sgr(self.pen, style);
                            bytes.extend(
                                gap.iter()
                                    .flat_map(|&gx| symbol_bytes(&new[(gx, y)]).iter().copied()),
                            );
                            let target = look(&new[(ux, y)]);
                            let by_resend = bytes.len() + sgr(Some(style), target).len();
                            let by_move = mv.len() + sgr(self.pen, target).len();
                            if by_resend < by_move {
                                way = (bytes, Some(style));
                            }
                        }
                    }
                }
                out.extend(way.0);
                self.pen = way.1;
                let c = &new[(ux, y)];
                out.extend(sgr(self.pen, look(c)));
                self.pen = Some(look(c));
                if cell_width(c) > uw {
                    // A wide character in the last column: a terminal would wrap it onto the
                    // next row. What fits is a blank.
                    out.push(b' ');
                } else {
                    out.extend_from_slice(symbol_bytes(c));
                }
                self.cursor = Some((ux + uw, y));
                i += 1;
            }
        }
        self.put(&out)
    }
}

fn symbol_bytes(c: &Cell) -> &[u8] {
    match c.symbol() {
        "" => b" ",
        s => s.as_bytes(),
    }
}

impl<W: Write> Backend for LinkBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if self.shadow.area.is_empty() {
            // The first frame, on the blank screen the alternate screen starts with.
            self.blank_shadow()?;
        }
        for (x, y, c) in content {
            if !self.want.area.contains(Position::new(x, y)) {
                continue;
            }
            self.want[(x, y)] = c.clone();
            // As ratatui's buffer does: the right half of a wide character is blank.
            if cell_width(c) == 2 && x + 1 < self.want.area.width {
                self.want[(x + 1, y)] = Cell::default();
            }
        }
        let old = self.shadow.clone();
        let new = self.want.clone();
        let (base, hold) = match find_scroll(&old, &new) {
            Some(s) => {
                let mut seq = Vec::new();
                // The rows a scroll brings in take the current background.
                if self.pen != Some(Style::default()) {
                    seq.extend_from_slice(b"\x1b[m");
                    self.pen = Some(Style::default());
                }
                let n = s.by.unsigned_abs();
                seq.extend(format!("\x1b[{};{}r", s.top + 1, s.bottom + 1).into_bytes());
                // SU and SD scroll the region wherever the cursor is; line feeds and reverse
                // index only at its edge.
                match (self.csi_scroll, s.by > 0) {
                    (true, up) => {
                        let f = if up { 'S' } else { 'T' };
                        let count = if n == 1 { String::new() } else { n.to_string() };
                        seq.extend(format!("\x1b[{count}{f}").into_bytes());
                    }
                    (false, true) => {
                        seq.extend(format!("\x1b[{}H", s.bottom + 1).into_bytes());
                        seq.extend(std::iter::repeat_n(b'\n', usize::from(n)));
                    }
                    (false, false) => {
                        seq.extend(format!("\x1b[{}H", s.top + 1).into_bytes());
                        for _ in 0..n {
                            seq.extend_from_slice(b"\x1bM");
                        }
                    }
                }
                // Resetting the region puts the cursor home.
                seq.extend_from_slice(b"\x1b[r");
                self.cursor = Some((0, 0));
                self.put(&seq)?;
                let base = scrolled(&old, s);
                let hold = self.rows_to_hold(&base, &new, s);
                (base, hold)
            }
            None => (old, Vec::new()),
        };
        self.paint(&base, &new, &hold)?;
        let mut shown = new;
        for &y in &hold {
            for x in 0..shown.area.width {
                shown[(x, y)] = base[(x, y)].clone();
            }
        }
        self.shadow = shown;
        self.held = !hold.is_empty();
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.hidden {
            return Ok(());
        }
        self.hidden = true;
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.hidden = false;
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, p: P) -> io::Result<()> {
        let p = p.into();
        let (w, h) = (self.shadow.area.width, self.shadow.area.height);
        let mv = cursor_move(self.cursor, p.x, p.y, w, h);
        self.put(&mv)?;
        self.cursor = Some((p.x, p.y));
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    /// Clears the whole screen whatever part is asked: only an inline viewport clears a part,
    /// and the desk has none.
    fn clear_region(&mut self, _: ClearType) -> io::Result<()> {
        // Erasing paints the current background: attributes off first.
        self.put(b"\x1b[m\x1b[2J")?;
        self.pen = Some(Style::default());
        self.cursor = None;
        self.blank_shadow()
    }

    fn size(&self) -> io::Result<Size> {
        match self.fixed {
            Some(s) => Ok(s),
            None => self.inner.size(),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        match self.fixed {
            Some(s) => Ok(WindowSize {
                columns_rows: s,
                pixels: Size::new(0, 0),
            }),
            None => self.inner.window_size(),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_change_by_the_least() {
        let plain = Style::default();
        let rev = Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD);
        assert_eq!(sgr(Some(plain), rev), b"\x1b[1;7m");
        assert_eq!(sgr(Some(rev), plain), b"\x1b[m");
        assert_eq!(sgr(Some(rev), rev), b"");
        assert_eq!(
            sgr(None, Style::default().fg(Color::Cyan)),
            b"\x1b[;36m".to_vec()
        );
    }

    #[test]
    fn the_cursor_moves_the_short_way() {
        assert_eq!(cursor_move(Some((3, 4)), 0, 5, 80, 24), b"\r\n");
        assert_eq!(cursor_move(Some((3, 4)), 9, 4, 80, 24), b"\x1b[6C");
        assert_eq!(cursor_move(None, 0, 0, 80, 24), b"\x1b[H");
        assert_eq!(cursor_move(Some((3, 23)), 0, 24, 80, 24), b"\x1b[25H");
        // After the last column: a carriage return, never a relative move.
        assert_eq!(cursor_move(Some((80, 4)), 0, 5, 80, 24), b"\r\n");
        assert_eq!(cursor_move(Some((80, 4)), 78, 4, 80, 24), b"\r\x1b[78C");
    }

    /// Draws `rows` (one string a row) through a backend for `term` and returns the bytes.
    fn scroll_bytes(term: &str, first: &[&str], then: &[&str]) -> (Vec<u8>, vt100::Parser) {
        let writer = crate::ui::term::FrameWriter::default();
        let h = first.len() as u16;
        let mut b = LinkBackend::with_size(writer.clone(), 10, h).for_term(term);
        let mut screen = vt100::Parser::new(h, 10, 0);
        let mut bytes = Vec::new();
        for rows in [first, then] {
            let mut buf = Buffer::empty(Rect::new(0, 0, 10, h));
            for (y, r) in rows.iter().enumerate() {
                buf.set_string(0, y as u16, r, Style::default());
            }
            let cells: Vec<(u16, u16, &Cell)> = (0..h)
                .flat_map(|y| (0..10u16).map(move |x| (x, y)))
                .map(|(x, y)| (x, y, &buf[(x, y)]))
                .collect();
            b.draw(cells.into_iter()).unwrap();
            bytes.clear();
            writer.commit(&mut bytes).unwrap();
            screen.process(&bytes);
        }
        (bytes, screen)
    }

    #[test]
    fn a_region_scrolls_by_the_sequences_the_terminal_has() {
        let first = ["head", "a", "b", "c", "d", "e", "foot"];
        let then = ["head", "c", "d", "e", "f", "g", "foot"];
        for (term, scroll) in [
            ("xterm-256color", &b"\x1b[2;6r\x1b[2S\x1b[r"[..]),
            ("linux", &b"\x1b[2;6r\x1b[6H\n\n\x1b[r"[..]),
        ] {
            let (bytes, screen) = scroll_bytes(term, &first, &then);
            assert!(
                bytes.starts_with(scroll),
                "{term}: {:?}",
                String::from_utf8_lossy(&bytes)
            );
            assert_eq!(screen.screen().contents(), then.join("\n"), "{term}");
        }
        // Down: SD, or reverse index at the region's top.
        for (term, scroll) in [
            ("xterm", &b"\x1b[2;6r\x1b[T\x1b[r"[..]),
            ("vte-256color", &b"\x1b[2;6r\x1b[T\x1b[r"[..]),
            ("vt100", &b"\x1b[2;6r\x1b[2H\x1bM\x1b[r"[..]),
        ] {
            let (bytes, screen) =
                scroll_bytes(term, &then, &["head", "x", "c", "d", "e", "f", "foot"]);
            assert!(
                bytes.starts_with(scroll),
                "{term}: {:?}",
                String::from_utf8_lossy(&bytes)
            );
            assert_eq!(
                screen.screen().contents(),
                "head\nx\nc\nd\ne\nf\nfoot",
                "{term}"
            );
        }
    }

    #[test]
    fn a_wide_character_in_the_last_column_never_wraps() {
        let writer = crate::ui::term::FrameWriter::default();
        let mut b = LinkBackend::with_size(writer.clone(), 10, 3);
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 3));
        buf[(9, 0)].set_symbol("室");
        buf.set_string(0, 1, "second", Style::default());
        // Every cell (ratatui's diff would skip the cell after the wide one, on the next row).
        let cells: Vec<(u16, u16, &Cell)> = (0..3u16)
            .flat_map(|y| (0..10u16).map(move |x| (x, y)))
            .map(|(x, y)| (x, y, &buf[(x, y)]))
            .collect();
        b.draw(cells.into_iter()).unwrap();
        let mut screen = vt100::Parser::new(3, 10, 0);
        let mut bytes = Vec::new();
        writer.commit(&mut bytes).unwrap();
        screen.process(&bytes);
        assert_eq!(
            screen.screen().contents().trim_start_matches(' '),
            "\nsecond",
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
