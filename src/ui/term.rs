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
}

impl<W: Write> LinkBackend<W> {
    pub fn new(writer: W) -> Self {
        Self {
            inner: ratatui::backend::CrosstermBackend::new(writer),
        }
    }
}

impl<W: Write> ratatui::backend::Backend for LinkBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        use unicode_width::UnicodeWidthStr;
        let mut cells: Vec<(u16, u16, ratatui::buffer::Cell)> = Vec::new();
        for (x, y, cell) in content {
            cells.push((x, y, cell.clone()));
            if cell.symbol().width() == 2 {
                let mut filler = cell.clone();
                filler.set_symbol("");
                cells.push((x + 1, y, filler));
            }
        }
        self.inner.draw(cells.iter().map(|(x, y, c)| (*x, *y, c)))
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<ratatui::layout::Position> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(&mut self, p: P) -> io::Result<()> {
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ratatui::backend::ClearType) -> io::Result<()> {
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
