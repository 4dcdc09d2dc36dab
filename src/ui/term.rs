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
