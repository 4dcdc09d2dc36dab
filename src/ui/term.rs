//! The terminal: raw mode and the alternate screen, restored on every way out (normal exit,
//! error, panic, SIGTERM, SIGHUP); and a writer that sends each frame in one write, wrapped in
//! a synchronized update, so that a slow SSH link gets one packet per frame and never a torn
//! screen.

use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, Command};
use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Collects everything ratatui writes; `commit` sends it in a single write. ratatui flushes
/// after each draw: that flush is held back until the frame is complete.
#[derive(Clone, Default)]
pub struct FrameWriter {
    buf: Rc<RefCell<Vec<u8>>>,
}

impl Write for FrameWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.borrow_mut().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl FrameWriter {
    pub fn begin_frame(&self) {
        let mut b = self.buf.borrow_mut();
        let _ = BeginSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
    }

    /// Ends the synchronized update and writes the frame; returns the bytes sent.
    pub fn commit(&self, out: &mut impl Write) -> io::Result<usize> {
        let mut b = self.buf.borrow_mut();
        // ratatui ends every frame with four resets (colours, underline colour, attributes);
        // the last alone resets them all.
        const RESETS: &[u8] = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m";
        if let Some(at) = b.windows(RESETS.len()).rposition(|w| w == RESETS) {
            b.splice(at..at + RESETS.len() - 4, std::iter::empty());
        }
        let _ = EndSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
        let n = b.len();
        let res = out.write_all(&b).and_then(|_| out.flush());
        b.clear();
        res.map(|_| n)
    }

    /// Drops a frame that was built but is not wanted.
    pub fn discard(&self) {
        self.buf.borrow_mut().clear();
    }
}

struct AnsiBuf<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for AnsiBuf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Enters raw mode and the alternate screen. Mouse capture stays off so reviewers can select
/// and copy text.
pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    crossterm::queue!(out, EnterAlternateScreen, cursor::Hide)?;
    out.flush()
}

/// Leaves the alternate screen and raw mode. Errors are ignored: after a dropped SSH session
/// there may be no terminal left to restore, and exiting must still go on.
pub fn restore() {
    let mut out = io::stdout();
    let _ = crossterm::queue!(
        out,
        EndSynchronizedUpdate,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
    let _ = disable_raw_mode();
}

/// Restores the terminal before the panic message is printed, so the message is readable
/// and the shell is usable. Installed before the alternate screen is entered.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Set when SIGTERM, SIGHUP or SIGINT arrives; the event loop checks it and leaves cleanly
/// (saving the draft being typed first).
pub fn install_signal_flags() -> io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

pub fn signalled(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

/// The crossterm backend with one saving for CJK text: after a double-width character the
/// terminal's cursor has already moved two cells, but ratatui's backend only expects one and
/// sends a cursor-move before the next cell — about half of every Chinese frame's bytes. A
/// styled empty cell is slipped in after each wide character so the backend sees the cursor
/// where it really is. It prints nothing and changes no style.
pub struct LinkBackend<W: Write> {
    inner: ratatui::backend::CrosstermBackend<W>,
    /// What the terminal shows, as far as this backend has drawn it since the last clear:
    /// the base for scrolling part of the screen instead of repainting it.
    shadow: Option<Buffer>,
    /// The cursor is hidden already: ratatui hides it before every frame.
    hidden: bool,
}

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;

impl<W: Write> LinkBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: ratatui::backend::CrosstermBackend::new(writer),
            shadow: None,
            hidden: false,
        }
    }
}

/// How many cells of row `y_a` of `a` differ from row `y_b` of `b`.
fn row_distance(a: &Buffer, b: &Buffer, y_a: u16, y_b: u16) -> usize {
    (0..a.area.width)
        .filter(|&x| a[(x, y_a)] != b[(x, y_b)])
        .count()
}

/// A one-row scroll that turns `old` into most of `new`: the rows `top..=bottom` (terminal
/// rows, 0-based) of the region and the direction (+1: content moved up). Found when at least
/// `MIN_SCROLLED` rows of `new` are rows of `old` moved by one and the row itself changed,
/// which is when a list moves at its edge.
fn find_scroll(old: &Buffer, new: &Buffer) -> Option<(u16, u16, i8)> {
    const MIN_SCROLLED: u16 = 4;
    if old.area != new.area {
        return None;
    }
    let h = new.area.height;
    let mut best: Option<(u16, u16, i8)> = None;
    for dir in [1i8, -1] {
        let mut y = 0u16;
        while y < h {
            // New row y holds old row y+dir (moved up when dir is 1).
            let src = y as i32 + i32::from(dir);
            // Row y of `new` is row `src` of `old`, give or take a few cells (a column whose
            // width follows the rows on screen), and nearer to it than to what was at y.
            let near = usize::from(new.area.width / 10).max(2);
            let moved = |y: u16, src: i32| {
                if src < 0 || src >= i32::from(h) {
                    return false;
                }
                let d = row_distance(new, old, y, src as u16);
                d <= near && d < row_distance(new, old, y, y)
            };
            if !moved(y, src) {
                y += 1;
                continue;
            }
            let start = y;
            while y < h && moved(y, y as i32 + i32::from(dir)) {
                y += 1;
            }
            let run = y - start;
            if run >= MIN_SCROLLED && best.is_none_or(|(t, b, _)| run + 1 > b - t) {
                // The region takes in the row that scrolls away (up: below the run's
                // start; down: above it) and the one that comes in.
                let (top, bottom) = if dir == 1 {
                    (start, y)
                } else {
                    (start - 1, y - 1)
                };
                best = Some((top, bottom, dir));
            }
        }
    }
    best.filter(|(top, bottom, _)| bottom < &h && top < bottom)
}

/// `old` with rows `top..=bottom` scrolled by one (up when `dir` is 1), the new row blank:
/// what the terminal shows after the scroll.
fn scrolled(old: &Buffer, top: u16, bottom: u16, dir: i8) -> Buffer {
    let mut b = old.clone();
    let w = old.area.width;
    let blank = Cell::default();
    let rows: Vec<u16> = if dir == 1 {
        (top..bottom).collect()
    } else {
        (top + 1..=bottom).rev().collect()
    };
    for y in rows {
        let src = if dir == 1 { y + 1 } else { y - 1 };
        for x in 0..w {
            b[(x, y)] = old[(x, src)].clone();
        }
    }
    let fresh = if dir == 1 { bottom } else { top };
    for x in 0..w {
        b[(x, fresh)] = blank.clone();
    }
    b
}

impl<W: Write> LinkBackend<W> {
    /// Cells to the terminal, each double-width character followed by an empty filler so that
    /// ratatui does not move the cursor after it (half the bytes of a Chinese screen).
    fn draw_cells(&mut self, changes: &[(u16, u16, Cell)]) -> io::Result<()> {
        use unicode_width::UnicodeWidthStr;
        let mut cells: Vec<(u16, u16, Cell)> = Vec::with_capacity(changes.len());
        for (x, y, cell) in changes {
            cells.push((*x, *y, cell.clone()));
            if cell.symbol().width() == 2 {
                let mut filler = cell.clone();
                filler.set_symbol("");
                cells.push((x + 1, *y, filler));
            }
        }
        ratatui::backend::Backend::draw(&mut self.inner, cells.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    /// After a clear the screen is blank, as a fresh buffer of its size.
    fn reset_shadow(&mut self) {
        self.shadow = ratatui::backend::Backend::size(&self.inner)
            .ok()
            .map(|s| Buffer::empty(Rect::new(0, 0, s.width, s.height)));
    }
}

impl<W: Write> ratatui::backend::Backend for LinkBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        let changes: Vec<(u16, u16, Cell)> = content.map(|(x, y, c)| (x, y, c.clone())).collect();
        if self.shadow.is_none() {
            // The first frame: ratatui draws it over a blank screen (the alternate screen,
            // or one it cleared), as this does.
            self.reset_shadow();
        }
        let Some(old) = self.shadow.take() else {
            return self.draw_cells(&changes);
        };
        let mut new = old.clone();
        for (x, y, c) in &changes {
            if new.area.contains(ratatui::layout::Position::new(*x, *y)) {
                new[(*x, *y)] = c.clone();
            }
        }
        // A list moved by one row at its edge: let the terminal scroll that part of the
        // screen (a scroll region and a line feed) and send only what then differs, instead
        // of every row of the list again.
        let result = match find_scroll(&old, &new) {
            Some((top, bottom, dir)) => {
                let base = scrolled(&old, top, bottom, dir);
                let cells: Vec<(u16, u16, Cell)> = base
                    .diff(&new)
                    .into_iter()
                    .map(|(x, y, c)| (x, y, c.clone()))
                    .collect();
                // Attributes off first: the row the scroll brings in is blank in them.
                let (r1, r2) = (top + 1, bottom + 1);
                let seq = if dir == 1 {
                    format!("\x1b[0m\x1b[{r1};{r2}r\x1b[{r2};1H\n\x1b[r")
                } else {
                    format!("\x1b[0m\x1b[{r1};{r2}r\x1b[{r1};1H\x1bM\x1b[r")
                };
                self.inner.write_all(seq.as_bytes())?;
                self.draw_cells(&cells)
            }
            None => self.draw_cells(&changes),
        };
        self.shadow = Some(new);
        result
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
    fn get_cursor_position(&mut self) -> io::Result<ratatui::layout::Position> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(&mut self, p: P) -> io::Result<()> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.reset_shadow();
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ratatui::backend::ClearType) -> io::Result<()> {
        // ratatui clears the whole screen (on a resize); a part only for inline viewports,
        // which the desk does not use.
        self.reset_shadow();
        self.inner.clear_region(t)
    }
    fn size(&self) -> io::Result<ratatui::layout::Size> {
        self.inner.size()
    }
    fn window_size(&mut self) -> io::Result<ratatui::backend::WindowSize> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> io::Result<()> {
        ratatui::backend::Backend::flush(&mut self.inner)
    }
}

/// What waiting for input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Ready,
    Timeout,
    /// The terminal has gone away (the SSH connection dropped, the window closed): reads
    /// would return end-of-file for ever.
    HungUp,
}

/// Waits for the terminal to have input, at most `timeout`. The loop polls stdin itself
/// rather than inside crossterm, because crossterm spins on a terminal that has hung up; this
/// way a dropped session ends the process instead of burning a core.
pub fn wait_input(timeout: std::time::Duration) -> Input {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    let ms =
        PollTimeout::try_from(timeout.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::ZERO);
    match poll(&mut fds, ms) {
        Ok(0) => Input::Timeout,
        Ok(_) => match fds[0].revents() {
            Some(r)
                if r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) =>
            {
                Input::HungUp
            }
            _ => Input::Ready,
        },
        // Interrupted by a signal: the loop looks at the signal flags next.
        Err(_) => Input::Timeout,
    }
}

#[cfg(test)]
mod scroll_tests {
    use super::*;
    use ratatui::backend::Backend;
    use ratatui::style::{Modifier, Style};

    /// A list of `rows` rows starting at item `first`, with item `sel` in reverse video, under
    /// a fixed title row; as the queue draws it.
    fn frame(first: usize, sel: usize, rows: u16) -> Buffer {
        let mut b = Buffer::empty(Rect::new(0, 0, 30, rows + 1));
        b.set_string(0, 0, "评审 队列", Style::default());
        for r in 0..rows {
            let item = first + r as usize;
            let style = if item == sel {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            b.set_string(0, r + 1, format!("GZ-{item:04} 机构{item}"), style);
        }
        b
    }

    /// Draws `next` over `prev` through a LinkBackend as ratatui would (its diff), and returns
    /// the bytes and what a terminal shows after them.
    fn through_terminal(prev: &Buffer, next: &Buffer) -> (Vec<u8>, String) {
        let writer = FrameWriter::default();
        let mut be = LinkBackend::new(writer.clone());
        let mut parser = vt100::Parser::new(prev.area.height, prev.area.width, 0);
        let blank = Buffer::empty(prev.area);
        be.draw(blank.diff(prev).into_iter()).unwrap();
        let mut first = Vec::new();
        writer.commit(&mut first).unwrap();
        parser.process(&first);
        be.draw(prev.diff(next).into_iter()).unwrap();
        let mut bytes = Vec::new();
        writer.commit(&mut bytes).unwrap();
        parser.process(&bytes);
        (bytes, parser.screen().contents())
    }

    fn shown(b: &Buffer) -> String {
        let mut parser = vt100::Parser::new(b.area.height, b.area.width, 0);
        let mut out = Vec::new();
        let writer = FrameWriter::default();
        let mut be = LinkBackend::new(writer.clone());
        be.draw(Buffer::empty(b.area).diff(b).into_iter()).unwrap();
        writer.commit(&mut out).unwrap();
        parser.process(&out);
        parser.screen().contents()
    }

    #[test]
    fn a_list_moving_at_its_edge_is_scrolled_not_repainted() {
        // Selection on the last row; one row down: the list moves up by one.
        let (prev, next) = (frame(0, 9, 10), frame(1, 10, 10));
        assert!(matches!(find_scroll(&prev, &next), Some((1, _, 1))));
        let (bytes, screen) = through_terminal(&prev, &next);
        assert_eq!(screen, shown(&next));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("\x1b[2;"), "a scroll region: {text:?}");
        // Two rows drawn (the one scrolled in, the one that lost the selection), not ten.
        assert!(!text.contains("GZ-0005"), "{text:?}");
        assert!(bytes.len() < 200, "{} bytes: {text:?}", bytes.len());

        // And back up at the top edge: the list moves down.
        let (prev, next) = (frame(5, 5, 10), frame(4, 4, 10));
        assert!(matches!(find_scroll(&prev, &next), Some((_, _, -1))));
        let (_, screen) = through_terminal(&prev, &next);
        assert_eq!(screen, shown(&next));
    }

    #[test]
    fn a_move_within_the_page_or_a_new_page_is_no_scroll() {
        assert_eq!(find_scroll(&frame(0, 3, 10), &frame(0, 4, 10)), None);
        assert_eq!(find_scroll(&frame(0, 9, 10), &frame(10, 10, 10)), None);
        let (_, screen) = through_terminal(&frame(0, 9, 10), &frame(10, 10, 10));
        assert_eq!(screen, shown(&frame(10, 10, 10)));
    }
}
