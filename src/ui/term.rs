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
    pub fn begin_frame(&self) {
        let mut b = self.buf.borrow_mut();
        let _ = BeginSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
    }

    /// Ends the synchronized update and writes the frame; returns the bytes sent. A small
    /// frame goes without the synchronized update: it travels in one packet anyway, and the
    /// 16 bytes of the update's markers would be a third of a one-row move.
    pub fn commit(&self, out: &mut impl Write) -> io::Result<usize> {
        const SMALL: usize = 1024;
        let mut b = self.buf.borrow_mut();
        let mut begin = Vec::new();
        let _ = BeginSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut begin));
        if b.len() < SMALL + begin.len() && b.starts_with(&begin) {
            b.drain(..begin.len());
        } else {
            let _ = EndSynchronizedUpdate.write_ansi(&mut AnsiBuf(&mut b));
        }
        let n = b.len();
        let res = if n == 0 {
            Ok(())
        } else {
            out.write_all(&b).and_then(|_| out.flush())
        };
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

/// Watches the terminal for a hang-up (a dropped SSH session, a closed window) from a thread
/// of its own. crossterm loops for ever reading a terminal that has hung up, without its
/// timeout (it retries a read that returns nothing or EIO), and the desk may be inside it,
/// waiting for a frame's cursor-position answer, when the link drops. On a hang-up this sets
/// `flag` and puts an empty, non-blocking pipe in place of standard input: crossterm's read
/// then finds nothing and returns after its timeout, and the event loop, seeing the flag, saves
/// the note being typed and exits.
pub fn watch_hangup(flag: Arc<AtomicBool>) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let spawned = std::thread::Builder::new()
        .name("hangup".into())
        .spawn(move || {
            let stdin = io::stdin();
            loop {
                // No events asked for: poll still reports a hang-up or an error.
                let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::empty())];
                match poll(&mut fds, PollTimeout::NONE) {
                    Ok(n) if n > 0 => break,
                    Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => return,
                }
            }
            flag.store(true, Ordering::Relaxed);
            if let Ok((read, write)) = nix::unistd::pipe() {
                let nonblocking = nix::fcntl::fcntl(
                    &read,
                    nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
                );
                // SAFETY: 0 is standard input, open for the life of the process; the
                // OwnedFd is forgotten below, never closed.
                let mut stdin_fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(0) };
                if nonblocking.is_ok() && nix::unistd::dup2(&read, &mut stdin_fd).is_ok() {
                    // The write end stays open so the pipe never reads as end-of-file.
                    std::mem::forget(write);
                }
                std::mem::forget(stdin_fd);
            }
            // Output to a terminal that is gone goes nowhere; pointing it at /dev/null also
            // closes the last reference to the terminal, so crossterm's poll stops waking
            // for its hang-up and sleeps out its timeout instead of spinning.
            if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
                for fd in [1, 2] {
                    // SAFETY: as above, for standard output and error.
                    let mut target = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
                    let _ = nix::unistd::dup2(&null, &mut target);
                    std::mem::forget(target);
                }
            }
        });
    // Without the watcher the desk still exits on a hang-up it sees while waiting for keys.
    drop(spawned);
}

pub fn signalled(flag: &AtomicBool) -> bool {
    flag.load(Ordering::Relaxed)
}

pub use super::link::LinkBackend;

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
