//! The terminal: raw mode and the alternate screen, restored on every way out (normal exit,
//! error, panic, SIGTERM, SIGHUP); a writer that sends each frame in one write (a large one
//! wrapped in a synchronized update), so that a slow SSH link gets one packet per frame and
//! never a torn screen; and the reading of what the terminal sends.

use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, Command};
use std::cell::RefCell;
use std::io::{self, Write};
use std::os::fd::FromRawFd;
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
    /// A cursor-position question ahead of the next frame: its answer comes back after one
    /// round trip, however long the frame takes to arrive, and shows the terminal answers.
    pub fn ask_ahead(&self) {
        self.buf.borrow_mut().extend_from_slice(b"\x1b[6n");
    }

    pub fn begin_frame(&self) {
        let mut b = self.buf.borrow_mut();
        let _ = BeginSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
    }

    /// Ends the synchronized update and writes the frame; returns the bytes sent. A small
    /// frame goes without the synchronized update: it travels in one packet anyway, and the
    /// 16 bytes of the update's markers would be a third of a one-row move.
    pub fn commit(&self, out: &mut impl Write) -> io::Result<usize> {
        self.commit_asking(out, false)
    }

    /// As `commit`; with `ask`, a frame that changed anything ends with the cursor-position
    /// question that paces frames, in the same write. Nothing changed: nothing is written.
    pub fn commit_asking(&self, out: &mut impl Write, ask: bool) -> io::Result<usize> {
        const SMALL: usize = 1024;
        let mut b = self.buf.borrow_mut();
        let mut begin = Vec::new();
        let _ = BeginSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut begin));
        let at = b.windows(begin.len()).position(|w| w == begin.as_slice());
        if let Some(at) = at.filter(|_| b.len() < SMALL + begin.len()) {
            b.drain(at..at + begin.len());
        } else {
            let _ = EndSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
        }
        if b.is_empty() {
            return Ok(0);
        }
        if ask {
            b.extend_from_slice(b"\x1b[6n");
        }
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

/// Standard output without Rust's line buffering: each `write_all` is one write(2) (unless
/// the kernel takes part of it, as a full pseudo-terminal may).
pub struct RawStdout(std::mem::ManuallyDrop<std::fs::File>);

impl RawStdout {
    pub fn new() -> Self {
        // SAFETY: descriptor 1 stays open for the process's life; ManuallyDrop never closes it.
        Self(std::mem::ManuallyDrop::new(unsafe {
            std::fs::File::from_raw_fd(1)
        }))
    }
}

impl Default for RawStdout {
    fn default() -> Self {
        Self::new()
    }
}

impl Write for RawStdout {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // Whatever crossterm queued on Rust's stdout goes first.
        io::stdout().flush()?;
        self.0.write(data)
    }
    fn flush(&mut self) -> io::Result<()> {
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
    // The desk leaves attributes set between frames: off, before the shell is back.
    let _ = out.write_all(b"\x1b[m");
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
    flag_on(&[
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ])
}

/// Set when the window changes size (SIGWINCH).
pub fn install_resize_flag() -> io::Result<Arc<AtomicBool>> {
    flag_on(&[signal_hook::consts::SIGWINCH])
}

fn flag_on(signals: &[i32]) -> io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for &sig in signals {
        signal_hook::flag::register(sig, Arc::clone(&flag))?;
    }
    Ok(flag)
}

/// Reads what the terminal sent (after `wait_input` found it ready). None: end of input, the
/// terminal has gone (a hung-up terminal reads as end-of-file or EIO).
pub fn read_input() -> io::Result<Option<Vec<u8>>> {
    use std::os::fd::AsFd;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match nix::unistd::read(io::stdin().as_fd(), &mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => return Ok(Some(Vec::new())),
            Err(nix::errno::Errno::EIO) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
}

pub fn signalled(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

pub use super::link::{LinkBackend, Pace};

/// What the answers to the frames' cursor questions tell about the link: the shortest round
/// trip seen, and the rate at which the last large frame went through.
#[derive(Debug, Default)]
pub struct LinkMeter {
    sent: Option<(std::time::Instant, usize)>,
    rtt: Option<std::time::Duration>,
    rate: Option<f64>,
}

impl LinkMeter {
    /// A frame of `bytes` went out at `at`, ending with its question.
    pub fn sent(&mut self, at: std::time::Instant, bytes: usize) {
        self.sent = Some((at, bytes));
    }

    /// An answer came at `at`; `left` answers are still awaited. An answer with more to come
    /// is the question sent ahead of the first frame: a bare round trip.
    pub fn answered(&mut self, at: std::time::Instant, left: u32) {
        use std::time::Duration;
        let Some((t, bytes)) = self.sent else {
            return;
        };
        let took = at.saturating_duration_since(t);
        let rtt = self.rtt.map_or(took, |r| r.min(took));
        self.rtt = Some(rtt);
        if left > 0 {
            return;
        }
        self.sent = None;
        // Small frames tell the round trip, large ones the rate: what the frame took beyond
        // the round trip is its bytes crossing the link.
        if bytes >= 256 {
            let busy = took.saturating_sub(rtt);
            self.rate =
                (busy >= Duration::from_millis(20)).then(|| bytes as f64 / busy.as_secs_f64());
        }
    }

    /// Bytes a second the link carries, when it is slow enough to have been measured.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }
}

/// What waiting for input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Ready,
    Timeout,
    /// The terminal has gone away (the SSH connection dropped, the window closed): reads
    /// would return end-of-file for ever.
    HungUp,
}

/// Waits for the terminal to have input, at most `timeout`. A hang-up is told apart, so a
/// dropped session ends the process instead of reading end-of-file for ever.
pub fn wait_input(timeout: std::time::Duration) -> Wait {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let stdin = io::stdin();
    let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
    let ms =
        PollTimeout::try_from(timeout.as_millis().min(60_000) as i32).unwrap_or(PollTimeout::ZERO);
    match poll(&mut fds, ms) {
        Ok(0) => Wait::Timeout,
        Ok(_) => match fds[0].revents() {
            Some(r)
                if r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL) =>
            {
                Wait::HungUp
            }
            _ => Wait::Ready,
        },
        // Interrupted by a signal: the loop looks at the signal flags next.
        Err(_) => Wait::Timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn the_meter_reads_the_round_trip_and_the_rate_from_the_answers() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut m = LinkMeter::default();
        // The first frame (2,432 bytes) with the question sent ahead: its answer after 30 ms,
        // the frame's after 2,057 ms, as at 9600 baud.
        m.sent(t0, 2432);
        m.answered(ms(30), 1);
        assert_eq!(m.rate(), None);
        m.answered(ms(2057), 0);
        let rate = m.rate().unwrap();
        assert!((1150.0..1250.0).contains(&rate), "{rate}");
        // A small frame tells nothing of the rate.
        m.sent(ms(3000), 44);
        m.answered(ms(3040), 0);
        assert_eq!(m.rate(), Some(rate));
        // A large frame through in no time beyond the round trip: a fast link.
        m.sent(ms(4000), 3000);
        m.answered(ms(4035), 0);
        assert_eq!(m.rate(), None);
        // An answer with no frame waiting for it changes nothing.
        m.answered(ms(5000), 0);
        assert_eq!(m.rate(), None);
    }
}
