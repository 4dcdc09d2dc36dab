//! The terminal review desk (ratatui). A synchronous loop: wait for input, apply every event
//! that is already waiting, then draw one frame — and only if something changed. Nothing
//! redraws on a timer, so an idle desk sends nothing over the link.

pub mod app;
pub mod case;
pub mod deadlines;
pub mod input;
pub mod keymap;
pub mod link;
pub mod overlay;
pub mod queue;
pub mod search;
pub mod stats;
pub mod strings;
pub mod term;
pub mod theme;
pub mod widgets;

use crate::assets::Reference;
use crate::store::review::Actor;
use crate::store::Store;
use anyhow::Result;
use app::App;
use crossterm::event;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::{Frame, Terminal};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// How often the loop wakes without input, to notice signals and write due drafts. Waking
/// draws nothing unless state changed.
const TICK: Duration = Duration::from_millis(200);

/// Draws the whole screen from the app's state.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = widgets::cut(app.s.too_small, area.width as usize, "");
        let y = area.height / 2;
        f.render_widget(
            Line::styled(msg, app.theme.error()),
            Rect::new(0, y, area.width, 1.min(area.height)),
        );
        return;
    }
    let main = Rect::new(area.x, area.y, area.width, area.height - 2);
    match app.screen {
        keymap::Screen::Queue => queue::render(f, app, main),
        keymap::Screen::Case => case::render(f, app, main),
        keymap::Screen::Stats => stats::render(f, app, main),
        keymap::Screen::Institution => stats::render_detail(f, app, main),
        keymap::Screen::Deadlines => deadlines::render(f, app, main),
    }
    overlay::message(
        f,
        app,
        Rect::new(area.x, area.y + area.height - 2, area.width, 1),
    );
    overlay::hints(
        f,
        app,
        Rect::new(area.x, area.y + area.height - 1, area.width, 1),
    );
    overlay::render(f, app, main);
}

/// Opens the desk. The terminal is restored however this returns.
/// How often a background reading of the statistics is looked for.
const STATS_POLL: Duration = Duration::from_millis(40);

pub fn run(store: Store, actor: Actor, reference: Reference, opts: app::Options) -> Result<()> {
    term::install_panic_hook();
    let signals = term::install_signal_flags()?;
    let size = crossterm::terminal::size().unwrap_or((MIN_WIDTH, MIN_HEIGHT));
    // Built before the alternate screen, so a start-up error prints to a normal terminal.
    let mut app = App::new(store, actor, reference, opts, size)?;
    // The statistics pane then opens without waiting for its query.
    app.start_stats_load();
    term::enter()?;
    let result = event_loop(&mut app, &signals);
    // Whatever ended the loop, a note being typed is kept.
    app.save_draft_now();
    term::restore();
    result
}

/// How long a frame's cursor-position answer is waited for before the terminal is taken to be
/// one that does not answer (if it never has) or the answer to be lost (if it has).
const ANSWER_WAIT: Duration = Duration::from_secs(2);
const ANSWER_LOST: Duration = Duration::from_secs(15);
/// How long the start of an escape sequence waits for the rest before it is taken as keys
/// (vim's 'ttimeoutlen' is 100 ms too).
const ESCAPE_WAIT: Duration = Duration::from_millis(100);

/// Applies decoded keys to the desk; returns how many cursor-position answers came with them
/// and whether any key did.
fn apply(app: &mut App, inputs: Vec<input::Input>) -> (u32, bool) {
    let mut answers = 0;
    let mut keys = false;
    for i in inputs {
        match i {
            input::Input::CursorReport => answers += 1,
            input::Input::Event(ev) => {
                keys = true;
                if !app.quit {
                    app.handle_event(ev);
                }
            }
        }
    }
    (answers, keys)
}

fn event_loop(app: &mut App, signals: &AtomicBool) -> Result<()> {
    let writer = term::FrameWriter::default();
    let backend =
        term::LinkBackend::new(writer.clone()).for_term(&std::env::var("TERM").unwrap_or_default());
    let mut terminal = Terminal::new(backend)?;
    // Frames go straight to the terminal in one write each: Rust's stdout is line-buffered
    // and would send a frame in two writes, cut after its last line feed.
    let mut stdout = term::RawStdout::new();
    let resized = term::install_resize_flag()?;
    let mut keys = input::Decoder::default();
    // One frame in flight: each frame ends with a cursor-position question, and the next
    // frame waits for its answer, which the terminal sends only after it has shown all that
    // came before. Keys typed meanwhile are applied as they come, so a slow link gets the
    // latest state instead of every intermediate frame.
    let mut flow_control = true;
    let mut answered = false;
    let mut outstanding: u32 = 0;
    let mut asked_at = Instant::now();
    let mut first = true;
    let mut escape_since: Option<Instant> = None;
    // Keys that came while a frame was on its way: the link is behind the keys.
    let mut keys_in_flight = false;
    let mut meter = term::LinkMeter::default();
    loop {
        if (app.dirty || terminal.backend().holding()) && outstanding == 0 {
            if std::mem::take(&mut first) {
                // The first frame can take seconds on a slow link: a question ahead of it
                // tells early that the terminal answers.
                writer.ask_ahead();
                outstanding += 1;
            }
            writer.begin_frame();
            if std::mem::take(&mut app.resized) {
                // A window shrunk and grown back between two frames comes back to the same
                // size with its contents cut: a diff against the last frame would leave
                // them so. Resizing to the size it has clears the screen and forgets the
                // last frame (without the cursor query of `clear`); the draw is then whole.
                let size = terminal.size()?;
                terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
            }
            terminal.backend_mut().set_pace(term::Pace {
                hot: std::mem::take(&mut keys_in_flight),
                rate: meter.rate(),
            });
            terminal.draw(|f| draw(f, app))?;
            let sent = writer.commit_asking(&mut stdout, flow_control)?;
            app.dirty = false;
            if flow_control && sent > 0 {
                outstanding += 1;
                asked_at = Instant::now();
                meter.sent(asked_at, sent);
            }
        }
        if app.quit || term::signalled(signals) {
            return Ok(());
        }
        let now = Instant::now();
        let mut wait = app
            .draft_due
            .map(|t| t.saturating_duration_since(now).min(TICK))
            .unwrap_or(TICK);
        if app.stats_loading.is_some() {
            // Statistics are being read on another thread: look for them now and then.
            if app.poll_stats_load()? {
                continue;
            }
            wait = wait.min(STATS_POLL);
        }
        if outstanding > 0 {
            let limit = if answered { ANSWER_LOST } else { ANSWER_WAIT };
            let waited = now.saturating_duration_since(asked_at);
            if waited >= limit {
                // A terminal that never answers: stop asking. One that has answered before
                // but not now for long: the answer is lost; go on.
                flow_control = answered;
                outstanding = 0;
                continue;
            }
            wait = wait.min(limit - waited);
        }
        if keys.waiting() {
            // The start of an escape sequence waits this long for its end.
            let since = *escape_since.get_or_insert(now);
            wait = wait.min(ESCAPE_WAIT.saturating_sub(now.saturating_duration_since(since)));
        } else {
            escape_since = None;
        }
        match term::wait_input(wait) {
            term::Wait::HungUp => return Ok(()),
            term::Wait::Ready => {
                let Some(bytes) = term::read_input()? else {
                    // End of input: the terminal has gone.
                    return Ok(());
                };
                let (answers, typed) = apply(app, keys.feed(&bytes));
                keys_in_flight |= typed && outstanding > 0;
                answered |= answers > 0;
                outstanding = outstanding.saturating_sub(answers);
                if answers > 0 {
                    meter.answered(Instant::now(), outstanding);
                }
            }
            term::Wait::Timeout if escape_since.is_some_and(|t| t.elapsed() >= ESCAPE_WAIT) => {
                escape_since = None;
                apply(app, keys.flush());
            }
            term::Wait::Timeout => {}
        }
        if resized.swap(false, std::sync::atomic::Ordering::Relaxed) {
            let (w, h) = crossterm::terminal::size()?;
            app.handle_event(event::Event::Resize(w, h));
        }
        if app.draft_due.is_some_and(|t| t <= Instant::now()) {
            app.save_draft_now();
        }
    }
}
