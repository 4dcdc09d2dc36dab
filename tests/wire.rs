//! What the desk sends the terminal, checked against a terminal emulator: every frame of a
//! long session (lists moved at their edges, pages, cases opened, statistics, deadlines,
//! search, help) goes through the desk's own backend into `vt100`, and after each frame the
//! emulated screen must show exactly what ratatui drew, cell by cell, text and attributes.
//! The backend scrolls the terminal and skips cells it believes are right, so a wrong belief
//! shows here as a stale cell. The byte budgets of a one-row move are checked too.
//! `WIRE_DUMP=1 cargo test --test wire -- --nocapture` prints every frame's bytes.

mod common;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use pingshen::assets::Reference;
use pingshen::commands::Lang;
use pingshen::store::{review, Store};
use pingshen::ui::app::App;
use pingshen::ui::term::{FrameWriter, LinkBackend, Pace};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use unicode_width::UnicodeWidthStr;

use common::desk_today as today;

fn app(dir: &std::path::Path, size: (u16, u16), no_color: bool) -> App {
    let path = dir.join("wire.db");
    std::fs::copy(common::demo_template(today()), &path).unwrap();
    common::desk(
        Store::open(&path).unwrap(),
        "tester",
        Lang::Zh,
        false,
        no_color,
        size,
    )
}

/// A desk on a copy of the demo, its first frame drawn through the wire. Keep the folder.
fn start(size: (u16, u16), no_color: bool) -> (tempfile::TempDir, App, Wire) {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), size, no_color);
    let mut wire = Wire::new(size);
    wire.frame(&app, "the first frame");
    (dir, app, wire)
}

struct Wire {
    terminal: Terminal<LinkBackend<FrameWriter>>,
    writer: FrameWriter,
    screen: vt100::Parser,
    size: (u16, u16),
}

impl Wire {
    fn new(size: (u16, u16)) -> Self {
        let writer = FrameWriter::default();
        let terminal =
            Terminal::new(LinkBackend::with_size(writer.clone(), size.0, size.1)).unwrap();
        Wire {
            terminal,
            writer,
            screen: vt100::Parser::new(size.1, size.0, 0),
            size,
        }
    }

    /// Draws a frame and feeds its bytes to the emulator; returns what ratatui drew and the
    /// bytes.
    fn draw(&mut self, app: &App, what: &str) -> (Buffer, usize) {
        self.writer.begin_frame();
        let drawn = self
            .terminal
            .draw(|f| pingshen::ui::draw(f, app))
            .unwrap()
            .buffer
            .clone();
        let mut bytes = Vec::new();
        let n = self.writer.commit(&mut bytes).unwrap();
        self.screen.process(&bytes);
        if std::env::var_os("WIRE_DUMP").is_some() {
            eprintln!("{what}: {:?}", String::from_utf8_lossy(&bytes));
        }
        (drawn, n)
    }

    /// Draws a frame, checks the screen shows what was drawn; returns the bytes.
    fn frame(&mut self, app: &App, what: &str) -> usize {
        let (drawn, n) = self.draw(app, what);
        compare(&drawn, self.screen.screen(), self.size, what);
        n
    }

    /// A frame drawn at `pace`: the screen must show what the backend believes it shows
    /// (rows held back are blank); returns what ratatui drew and the bytes.
    fn paced(&mut self, app: &App, what: &str, pace: Pace) -> (Buffer, usize) {
        self.terminal.backend_mut().set_pace(pace);
        let (drawn, n) = self.draw(app, what);
        let shown = self.terminal.backend().shadow().clone();
        compare(&shown, self.screen.screen(), self.size, what);
        (drawn, n)
    }
}

fn vt_color(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Black => vt100::Color::Idx(0),
        Color::Red => vt100::Color::Idx(1),
        Color::Green => vt100::Color::Idx(2),
        Color::Yellow => vt100::Color::Idx(3),
        Color::Blue => vt100::Color::Idx(4),
        Color::Magenta => vt100::Color::Idx(5),
        Color::Cyan => vt100::Color::Idx(6),
        Color::Gray => vt100::Color::Idx(7),
        Color::DarkGray => vt100::Color::Idx(8),
        Color::LightRed => vt100::Color::Idx(9),
        Color::LightGreen => vt100::Color::Idx(10),
        Color::LightYellow => vt100::Color::Idx(11),
        Color::LightBlue => vt100::Color::Idx(12),
        Color::LightMagenta => vt100::Color::Idx(13),
        Color::LightCyan => vt100::Color::Idx(14),
        Color::White => vt100::Color::Idx(15),
        Color::Indexed(i) => vt100::Color::Idx(i),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
    }
}

fn compare(drawn: &Buffer, screen: &vt100::Screen, size: (u16, u16), what: &str) {
    for y in 0..size.1 {
        let mut x = 0;
        while x < size.0 {
            let want = &drawn[(x, y)];
            let w = want.symbol().width().max(1) as u16;
            let got = screen.cell(y, x).unwrap();
            let text = if got.has_contents() {
                got.contents()
            } else {
                " "
            };
            // A wide character cannot show in the last column: a blank goes there.
            let sym = if want.symbol().is_empty() || (w == 2 && x + 1 == size.0) {
                " "
            } else {
                want.symbol()
            };
            let row = || {
                (0..size.0)
                    .filter_map(|x| screen.cell(y, x))
                    .map(|c| {
                        if c.has_contents() {
                            c.contents().to_string()
                        } else if c.is_wide_continuation() {
                            String::new()
                        } else {
                            " ".to_string()
                        }
                    })
                    .collect::<String>()
            };
            assert_eq!(text, sym, "after {what}: text at ({x},{y}); row: {}", row());
            let m = want.modifier;
            let attrs = [
                (m.contains(Modifier::BOLD), got.bold(), "bold"),
                (m.contains(Modifier::DIM), got.dim(), "dim"),
                (m.contains(Modifier::ITALIC), got.italic(), "italic"),
                (
                    m.contains(Modifier::UNDERLINED),
                    got.underline(),
                    "underline",
                ),
                (m.contains(Modifier::REVERSED), got.inverse(), "reverse"),
            ];
            for (w_, g, name) in attrs {
                assert_eq!(
                    w_,
                    g,
                    "after {what}: {name} at ({x},{y}) '{sym}'; row: {}",
                    row()
                );
            }
            assert_eq!(
                vt_color(want.fg),
                got.fgcolor(),
                "after {what}: colour at ({x},{y}) '{sym}'"
            );
            assert_eq!(
                vt_color(want.bg),
                got.bgcolor(),
                "after {what}: background at ({x},{y}) '{sym}'"
            );
            x += w.min(2);
        }
    }
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_event(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// A reviewer's session as keys: (label, key).
fn session() -> Vec<(String, KeyCode)> {
    use KeyCode::*;
    let mut keys: Vec<KeyCode> = Vec::new();
    let mut add = |k: KeyCode, n: usize| keys.extend(std::iter::repeat_n(k, n));
    add(Char('j'), 45); // through the page and past its bottom edge
    add(Char('k'), 40); // back up, past the top edge
    add(PageDown, 3);
    add(PageUp, 2);
    add(Char('G'), 1);
    add(Char('k'), 3);
    add(Char('g'), 1);
    add(Down, 5);
    add(Enter, 1); // a case
    add(Char('j'), 25);
    add(Char('k'), 6);
    add(Char('a'), 1); // an article's text
    add(Esc, 1);
    add(Char('g'), 1);
    for k in ['p', 'u', 'p', 'j', 's', 'u', 'r', 'p', 'k', 'k'] {
        add(Char(k), 1); // marks, the next unresolved item, a reload
    }
    add(Char('q'), 1);
    add(Char('t'), 2); // type filter
    add(Char('j'), 8);
    add(Char('t'), 2);
    add(Char('/'), 1);
    for c in "贵州".chars() {
        add(Char(c), 1);
    }
    add(Enter, 1);
    add(Char('j'), 6);
    add(Esc, 1);
    add(Char('S'), 1); // statistics
    add(Char('j'), 30);
    add(Enter, 1);
    add(Char('q'), 1);
    add(Char('k'), 12);
    add(Char('q'), 1);
    add(Char('D'), 1); // deadlines
    add(Char('j'), 20);
    add(Char('k'), 20);
    add(Char('q'), 1);
    add(Char('?'), 1); // help
    add(Char('j'), 5);
    add(Esc, 1);
    add(Char('G'), 1);
    add(Char('k'), 30);
    keys.into_iter()
        .enumerate()
        .map(|(i, k)| (format!("key {i} ({k:?})"), k))
        .collect()
}

fn run_session(size: (u16, u16), no_color: bool) {
    let (_dir, mut app, mut wire) = start(size, no_color);
    for (label, k) in session() {
        press(&mut app, k);
        if app.quit {
            break;
        }
        // Statistics come from a background thread: wait for them as the desk does.
        let t = std::time::Instant::now();
        while app.stats_loading.is_some() && t.elapsed() < std::time::Duration::from_secs(20) {
            if !app.poll_stats_load().unwrap() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        wire.frame(&app, &label);
    }
}

#[test]
fn every_frame_shows_what_was_drawn_80x24() {
    run_session((80, 24), false);
}

#[test]
fn every_frame_shows_what_was_drawn_120x40() {
    run_session((120, 40), false);
}

#[test]
fn every_frame_shows_what_was_drawn_without_colour() {
    run_session((120, 40), true);
}

/// Bytes for one `j` inside the page and at its bottom edge (the figures
/// benches/ptybench.sh measures on the real binary, here without the terminal). The test
/// demo fills a page at 80x24 only.
#[test]
fn a_one_row_move_costs_little() {
    let size = (80, 24);
    let (_dir, mut app, mut wire) = start(size, false);
    let page = app.list_height();
    let mut inside = Vec::new();
    for i in 0..page - 1 {
        press(&mut app, KeyCode::Char('j'));
        inside.push(wire.frame(&app, &format!("j {i}")));
    }
    let mut edge = Vec::new();
    for i in 0..5 {
        press(&mut app, KeyCode::Char('j'));
        edge.push(wire.frame(&app, &format!("j at the edge {i}")));
    }
    let max_in = inside.iter().max().copied().unwrap_or(0);
    let max_edge = edge.iter().max().copied().unwrap_or(0);
    assert!(max_in <= 110, "a move inside the page: {inside:?} bytes");
    assert!(max_edge <= 350, "a move at the edge: {edge:?} bytes");
}

/// Another desk writes the case being reviewed: this desk's next mark is refused with a
/// message in words (a long line cut at the screen's edge), then it reloads and marks again.
#[test]
fn a_conflict_from_another_desk_is_drawn_whole() {
    for size in [(100, 30), (80, 24), (120, 40)] {
        let (dir, mut app, mut wire) = start(size, false);
        let other = Store::open(&dir.path().join("wire.db")).unwrap();
        let actor = review::actor(&other.conn, "tester").unwrap();
        for (i, k) in "jjjj\n".chars().enumerate() {
            let code = if k == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(k)
            };
            press(&mut app, code);
            wire.frame(&app, &format!("{size:?} key {i}"));
        }
        let (id, version) = {
            let d = &app.case.as_ref().expect("a case is open").detail;
            (d.id, d.version)
        };
        review::set_note(&other.conn, &actor, id, version, None, "另一位评审员的意见").unwrap();
        for (i, k) in "pupjr upkp".chars().enumerate() {
            let code = if k == ' ' {
                KeyCode::Down
            } else {
                KeyCode::Char(k)
            };
            press(&mut app, code);
            wire.frame(
                &app,
                &format!("{size:?} after the other desk, key {i} ({k})"),
            );
        }
    }
}

/// Every case of the demo opened and walked through at 100x30: each item's text, long
/// wrapped rules and figures, marks and their messages.
#[test]
fn every_case_walked_through() {
    let size = (100, 30);
    let (_dir, mut app, mut wire) = start(size, false);
    let total = app.queue.total;
    for n in 0..total {
        for k in [KeyCode::Enter, KeyCode::Char('u'), KeyCode::Char('p')]
            .into_iter()
            .chain(std::iter::repeat_n(KeyCode::Char('j'), 12))
            .chain([KeyCode::Char('u'), KeyCode::Char('s'), KeyCode::Char('G')])
            .chain(std::iter::repeat_n(KeyCode::Char('k'), 6))
            .chain([KeyCode::Char('q'), KeyCode::Char('j')])
        {
            press(&mut app, k);
            wire.frame(&app, &format!("case {n}, {k:?}"));
        }
    }
}

/// Page down costs no more than the text that changed plus a fifth: the bytes of every cell
/// whose character or attributes changed, against the bytes sent. On a demo as large as the
/// default one (200 institutions), at 120x40.
#[test]
fn a_page_down_costs_the_text_that_changed() {
    let size = (120, 40);
    let (_dir, mut app) = big_desk(size, 200);
    let mut wire = Wire::new(size);
    wire.frame(&app, "the first frame");
    let mut before = wire.terminal.backend().shadow().clone();
    for n in 0..4 {
        press(&mut app, KeyCode::PageDown);
        let sent = wire.frame(&app, &format!("page down {n}"));
        let after = wire.terminal.backend().shadow().clone();
        let changed: usize = before
            .diff(&after)
            .iter()
            .map(|(_, _, c)| c.symbol().len().max(1))
            .sum();
        assert!(
            sent as f64 <= changed as f64 * 1.2,
            "page down {n}: {sent} bytes sent for {changed} bytes of changed text"
        );
        before = after;
    }
}

/// A desk on a demo of so many institutions: lists of several pages. Keep the folder.
fn big_desk(size: (u16, u16), institutions: usize) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wire.db");
    let mut store = Store::open(&path).unwrap();
    pingshen::commands::demo::run(
        &mut store,
        "tester",
        &Reference::builtin().unwrap(),
        pingshen::commands::demo::Options {
            institutions,
            certificates: 2000,
            seed: 2026,
            today: today(),
        },
    )
    .unwrap();
    let app = common::desk(store, "tester", Lang::Zh, false, false, size);
    (dir, app)
}

/// A link slower than the keys (9600 baud): a frame drawn after keys came while the last
/// one was on its way paints the rows nearest the edge the list moves toward, with the
/// selection, and holds the farther ones back blank. Every row on screen is then either the
/// drawn row or blank, and the selection is shown. The next frame with no key between
/// paints the rest: the screen is then all that was drawn. A fast link holds nothing back.
#[test]
fn a_slow_link_gets_the_near_rows_first_and_the_rest_after_the_keys() {
    use KeyCode::*;
    let slow = Pace {
        hot: true,
        rate: Some(1200.0),
    };
    // The list moves by more than a quarter of its rows between most frames.
    let bursts = [
        (Char('j'), 40),
        (Char('j'), 12),
        (Char('j'), 30),
        (Char('k'), 70),
        (Char('k'), 14),
        (Char('j'), 3),
        (PageDown, 2),
        (Char('k'), 30),
        (Char('G'), 1),
        (Char('k'), 16),
        (Char('k'), 25),
    ];
    for size in [(80, 24), (120, 40)] {
        let (_dir, mut app) = big_desk(size, 400);
        let mut wire = Wire::new(size);
        wire.frame(&app, "the first frame");
        let mut held = 0;
        for (i, &(key, n)) in bursts.iter().enumerate() {
            for _ in 0..n {
                press(&mut app, key);
            }
            let what = format!("{size:?} burst {i}: {n} x {key:?}");
            let (drawn, _) = wire.paced(&app, &what, slow);
            // Rows shown blank must be rows held back; every other row is the drawn one.
            let screen = wire.screen.screen().clone();
            let mut expected = drawn.clone();
            let mut blank_rows = 0;
            for y in 0..size.1 {
                let shown = screen.contents_between(y, 0, y, size.0);
                let row_drawn = (0..size.0).any(|x| drawn[(x, y)].symbol().trim() != "");
                if shown.trim().is_empty() && row_drawn {
                    blank_rows += 1;
                    for x in 0..size.0 {
                        expected[(x, y)] = ratatui::buffer::Cell::default();
                    }
                }
            }
            compare(&expected, &screen, size, &what);
            let selection = (0..size.1).find(|&y| {
                drawn[(0, y)]
                    .modifier
                    .contains(ratatui::style::Modifier::REVERSED)
                    && drawn[(0, y)].symbol() == "G"
            });
            if let Some(y) = selection {
                assert!(
                    !screen.contents_between(y, 0, y, size.0).trim().is_empty(),
                    "{what}: the selection's row {y} is shown"
                );
            }
            if wire.terminal.backend().holding() {
                held += 1;
                assert!(blank_rows > 0, "{what}: held rows show blank");
                // The rest, once no key came during the frame.
                wire.paced(&app, &what, Pace::default());
                assert!(!wire.terminal.backend().holding());
                compare(
                    &drawn,
                    wire.screen.screen(),
                    size,
                    &format!("{what}, caught up"),
                );
            } else {
                assert_eq!(blank_rows, 0, "{what}");
            }
        }
        assert!(held >= 3, "{size:?}: {held} frames held rows back");
        // The same bursts on a fast link, or with keys slower than the frames: all at once.
        for pace in [
            Pace {
                hot: true,
                rate: None,
            },
            Pace {
                hot: false,
                rate: Some(1200.0),
            },
        ] {
            for &(key, n) in &bursts {
                for _ in 0..n {
                    press(&mut app, key);
                }
                let (drawn, _) = wire.paced(&app, "fast", pace);
                assert!(!wire.terminal.backend().holding(), "{pace:?}");
                compare(&drawn, wire.screen.screen(), size, &format!("{pace:?}"));
            }
        }
    }
}
